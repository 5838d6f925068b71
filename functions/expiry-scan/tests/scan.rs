//! The expiry-scan function against moto (DynamoDB): the expiry countdown of several secrets
//! over 400 simulated days (in-process through `handle_at`), the dead-man's switch with real
//! probe cycles against the SFMC simulator, and the built binary under a Lambda Runtime API
//! stand-in, as the acceptance check runs it.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, PLATFORM_TEAM};
use credwatch::inventory::{Inventory, LoadOptions, Severity, parse_inventory_on};
use credwatch::jobs::inventory_sync;
use credwatch::jobs::probe_cycle::{CycleSettings, CycleSummary, Selection, run_cycle};
use credwatch::probe::{Prober, RetryPolicy};
use credwatch::secrets::LocalSecrets;
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::dynamo::create_table;
use credwatch::store::{
    CommitOutcome, Incident, Incidents, Integrations, ProbeResults, StateCommit, Teams,
};
use credwatch_expiry_scan::handle_at;
use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::aws::{child_env, sdk_config, unique_name};
use credwatch_tests::lambda::FunctionProcess;
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory_yaml};
use serde_json::{Value, json};

const SECRET: &str = "Zq4Wm8Rt2Yp6Kx1Nc5Vb9Hd3";

fn event(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// A table in moto and the inventory in it

/// A fresh credwatch table in moto, and the scratch directory its inventory's secret files
/// live in.
struct World {
    store: DynamoStore,
    table: String,
    scratch: Scratch,
}

impl World {
    async fn new(label: &str) -> World {
        let table = unique_name(label);
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk_config().await);
        create_table(&dynamo, &table).await.unwrap();
        World {
            store: DynamoStore::new(dynamo, table.clone()),
            table,
            scratch: Scratch::new(label),
        }
    }

    /// Inventory YAML for `specs` (see [`inventory_yaml`]), with extra `field: value` lines
    /// for some integrations, e.g. `("crm", "secret_expires_at: 2026-12-01")`.
    fn yaml(&self, specs: &[Spec], extra: &[(&str, String)]) -> String {
        let mut yaml = inventory_yaml(self.scratch.path(), specs);
        for (id, line) in extra {
            let entry = format!("  - id: {id}\n");
            assert!(yaml.contains(&entry), "no integration {id} in\n{yaml}");
            yaml = yaml.replacen(&entry, &format!("{entry}    {line}\n"), 1);
        }
        yaml
    }

    /// `credwatch inventory apply` of `yaml` at `now` (parsed as on that day): plans against
    /// what the table holds, then applies.
    async fn apply(&self, yaml: &str, now: DateTime<Utc>) -> inventory_sync::SyncPlan {
        let inventory = parse(yaml, now.date_naive());
        let listing = self.store.list_integrations().await.unwrap();
        let teams = self.store.list_teams().await.unwrap();
        let plan = inventory_sync::plan(
            &inventory,
            &listing.records,
            &listing.unreadable,
            &teams,
            false,
        );
        let results = inventory_sync::apply(&self.store, &inventory, &plan, now).await;
        assert!(results.iter().all(|r| r.error.is_none()), "{results:?}");
        plan
    }

    /// One scheduled invocation of the function at `now`, in-process.
    async fn scan(&self, now: DateTime<Utc>) -> Value {
        let summary = handle_at(&self.store, &event("scheduled.json"), now)
            .await
            .unwrap_or_else(|err| panic!("scan at {now} failed: {err}"));
        assert_eq!(
            summary["errors"],
            json!([]),
            "store errors at {now}: {summary}"
        );
        assert_eq!(
            summary["conflicts"], 0,
            "commit conflicts at {now}: {summary}"
        );
        summary
    }

    /// What a completed healthy probe of every active integration leaves behind, as far as
    /// the scan is concerned: a fresh `last_probe_at`, committed like the probe commits (with
    /// the current version), so the dead-man's switch stays quiet.
    async fn mark_probed(&self, at: DateTime<Utc>) {
        for record in self.store.list_integrations().await.unwrap().records {
            if record.retired {
                continue;
            }
            let mut state = record.state.clone();
            state.last_probe_at = Some(at);
            let commit = StateCommit {
                integration: record.integration.id.clone(),
                expected_version: record.state.version,
                state,
                incidents: vec![],
            };
            assert_eq!(
                self.store.commit(&commit).await.unwrap(),
                CommitOutcome::Applied,
                "probe commit of {}",
                record.integration.id
            );
        }
    }

    async fn open_incidents(&self) -> Vec<Incident> {
        self.store.open_incidents().await.unwrap()
    }
}

fn parse(yaml: &str, today: NaiveDate) -> Inventory {
    let options = LoadOptions {
        allow_any_endpoint: true,
    };
    match parse_inventory_on(yaml, &options, today) {
        Ok(loaded) => loaded.inventory,
        Err(invalid) => panic!("invalid inventory: {invalid}\n{yaml}"),
    }
}

/// An integration that is never probed here (the scan does not talk to SFMC).
fn offline(id: &str) -> Spec {
    Spec {
        id: id.to_string(),
        client_id: format!("{id}-client"),
        secret: SECRET.to_string(),
        account_id: None,
        expected_scopes: vec![],
        auth_url: "http://127.0.0.1:9/".to_string(),
        aws_secret: None,
    }
}

/// A scan's incident changes as one line each, after `label`:
/// `day 31: charlie charlie:expiry:1 stepped secret_expired 0` (`-` for no class / threshold).
fn change_lines(label: &str, summary: &Value) -> Vec<String> {
    let changes = summary["changes"]
        .as_array()
        .expect("the summary lists its changes");
    changes
        .iter()
        .map(|change| {
            let text = |field: &str| match change[field].as_str() {
                Some("") | None => "-".to_string(),
                Some(text) => text.to_string(),
            };
            let threshold = change["threshold_days"]
                .as_u64()
                .map_or("-".to_string(), |days| days.to_string());
            format!(
                "{label}: {} {} {} {} {threshold}",
                text("integration"),
                text("incident"),
                text("change"),
                text("class")
            )
        })
        .collect()
}

/// Open expiry incidents by integration, as `(incident, class, threshold_days)`; panics if an
/// integration has more than one.
fn open_expiry_by_integration(
    open: &[Incident],
    day: i64,
) -> BTreeMap<String, (String, String, Option<u32>)> {
    let mut by_integration = BTreeMap::new();
    for incident in open.iter().filter(|i| i.check == CheckKind::Expiry) {
        let previous = by_integration.insert(
            incident.integration.clone(),
            (
                incident.id.to_string(),
                incident.class.to_string(),
                incident.threshold_days,
            ),
        );
        assert!(
            previous.is_none(),
            "day {day}: two open expiry incidents for {}: {previous:?} and {}",
            incident.integration,
            incident.id
        );
    }
    by_integration
}

/// The open expiry incidents the scans' reported changes add up to.
fn replay(model: &mut BTreeMap<String, (String, String, Option<u32>)>, summary: &Value) {
    for change in summary["changes"].as_array().unwrap() {
        let integration = change["integration"].as_str().unwrap().to_string();
        let incident = change["incident"].as_str().unwrap().to_string();
        let class = change["class"].as_str().unwrap().to_string();
        let threshold = change["threshold_days"].as_u64().map(|d| d as u32);
        match change["change"].as_str().unwrap() {
            "opened" => {
                let before = model.insert(integration, (incident, class, threshold));
                assert!(
                    before.is_none(),
                    "opened while {before:?} is open: {change}"
                );
            }
            "stepped" => {
                let open = model
                    .get_mut(&integration)
                    .expect("stepped an open incident");
                assert_eq!(open.0, incident, "stepped the open incident");
                *open = (incident, class, threshold);
            }
            "resolved" => {
                let open = model
                    .remove(&integration)
                    .expect("resolved an open incident");
                assert_eq!(open.0, incident, "resolved the open incident");
            }
            other => panic!("unknown change {other}: {change}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Four hundred days of daily scans

/// Day 0 of the simulation.
fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

fn date(day: i64) -> NaiveDate {
    start() + TimeDelta::days(day)
}

fn at(day: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    date(day)
        .and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap())
        .and_utc()
}

const SCENARIO: [&str; 5] = ["alpha", "bravo", "charlie", "delta", "echo"];

/// Days the operators run `inventory apply` (at 09:00, before the noon scan).
const APPLY_DAYS: [i64; 4] = [0, 20, 36, 300];

/// The day a secret rotation of bravo is seen in Secrets Manager (at 08:00).
const BRAVO_ROTATION_DAY: i64 = 35;

/// What the inventory records about each secret on `day` (lifetime 180 days, default warnings):
/// - alpha: expires day 60; rotated on day 20 *before* any warning: the operator replaces the
///   explicit date with `secret_rotated_at: day 20` (so it now expires day 200).
/// - bravo: generated so that it expires day 45; its rotation on day 35 is only seen in
///   Secrets Manager (new expiry day 35 + 180 = 215), never recorded in the inventory.
/// - charlie: expires day 30; rotated on day 36, five days after it expired: new explicit date
///   day 216.
/// - delta: no date at all until day 300, when its date (day 320) is recorded.
/// - echo: expires day 100; nothing ever changes.
fn scenario_dates(day: i64) -> Vec<(&'static str, String)> {
    let expires = |d: i64| format!("secret_expires_at: {}", date(d));
    let rotated = |d: i64| format!("secret_rotated_at: {}", date(d));
    let mut lines = vec![
        ("alpha", if day < 20 { expires(60) } else { rotated(20) }),
        ("bravo", rotated(45 - 180)),
        ("charlie", if day < 36 { expires(30) } else { expires(216) }),
        ("echo", expires(100)),
    ];
    if day >= 300 {
        lines.push(("delta", expires(320)));
    }
    lines
}

/// Every incident change of the 400 days, in order (within a day: by integration id, then in
/// the order the scan wrote them).
const EXPECTED_CHANGES: &[&str] = &[
    "day 0: charlie charlie:expiry:1 opened secret_expiring 30",
    "day 0: delta delta:expiry:1 opened expiry_unknown -",
    "day 15: bravo bravo:expiry:1 opened secret_expiring 30",
    "day 16: charlie charlie:expiry:1 stepped secret_expiring 14",
    "day 23: charlie charlie:expiry:1 stepped secret_expiring 7",
    "day 27: charlie charlie:expiry:1 stepped secret_expiring 3",
    "day 29: charlie charlie:expiry:1 stepped secret_expiring 1",
    "day 31: bravo bravo:expiry:1 stepped secret_expiring 14",
    "day 31: charlie charlie:expiry:1 stepped secret_expired 0",
    "day 35: bravo bravo:expiry:1 resolved - -",
    "day 36: charlie charlie:expiry:1 resolved - -",
    "day 70: echo echo:expiry:1 opened secret_expiring 30",
    "day 86: echo echo:expiry:1 stepped secret_expiring 14",
    "day 93: echo echo:expiry:1 stepped secret_expiring 7",
    "day 97: echo echo:expiry:1 stepped secret_expiring 3",
    "day 99: echo echo:expiry:1 stepped secret_expiring 1",
    "day 101: echo echo:expiry:1 stepped secret_expired 0",
    "day 170: alpha alpha:expiry:1 opened secret_expiring 30",
    "day 185: bravo bravo:expiry:2 opened secret_expiring 30",
    "day 186: alpha alpha:expiry:1 stepped secret_expiring 14",
    "day 186: charlie charlie:expiry:2 opened secret_expiring 30",
    "day 193: alpha alpha:expiry:1 stepped secret_expiring 7",
    "day 197: alpha alpha:expiry:1 stepped secret_expiring 3",
    "day 199: alpha alpha:expiry:1 stepped secret_expiring 1",
    "day 201: alpha alpha:expiry:1 stepped secret_expired 0",
    "day 201: bravo bravo:expiry:2 stepped secret_expiring 14",
    "day 202: charlie charlie:expiry:2 stepped secret_expiring 14",
    "day 208: bravo bravo:expiry:2 stepped secret_expiring 7",
    "day 209: charlie charlie:expiry:2 stepped secret_expiring 7",
    "day 212: bravo bravo:expiry:2 stepped secret_expiring 3",
    "day 213: charlie charlie:expiry:2 stepped secret_expiring 3",
    "day 214: bravo bravo:expiry:2 stepped secret_expiring 1",
    "day 215: charlie charlie:expiry:2 stepped secret_expiring 1",
    "day 216: bravo bravo:expiry:2 stepped secret_expired 0",
    "day 217: charlie charlie:expiry:2 stepped secret_expired 0",
    "day 300: delta delta:expiry:1 resolved - -",
    "day 300: delta delta:expiry:2 opened secret_expiring 30",
    "day 306: delta delta:expiry:2 stepped secret_expiring 14",
    "day 313: delta delta:expiry:2 stepped secret_expiring 7",
    "day 317: delta delta:expiry:2 stepped secret_expiring 3",
    "day 319: delta delta:expiry:2 stepped secret_expiring 1",
    "day 321: delta delta:expiry:2 stepped secret_expired 0",
];

#[tokio::test(flavor = "multi_thread")]
async fn four_hundred_days_of_scans_give_the_exact_incident_sequence() {
    let world = World::new("expiry-400d").await;
    let specs: Vec<Spec> = SCENARIO.iter().map(|id| offline(id)).collect();
    let mut log = Vec::new();
    // The open expiry incidents the reported changes add up to, checked against the table daily.
    let mut model = BTreeMap::new();

    for day in 0..400 {
        if APPLY_DAYS.contains(&day) {
            let plan = world
                .apply(&world.yaml(&specs, &scenario_dates(day)), at(day, 9, 0))
                .await;
            assert!(!plan.is_empty(), "day {day}: the apply changes something");
        }
        if day == BRAVO_ROTATION_DAY {
            // What the probe function does on a Secrets Manager change (CloudTrail event).
            world
                .store
                .record_rotation("bravo", at(day, 8, 0), "0123456789abcdef0123456789abcdef")
                .await
                .unwrap();
        }
        world.mark_probed(at(day, 11, 55)).await;

        let now = at(day, 12, 0);
        let summary = world.scan(now).await;
        assert_eq!(summary["scanned"], 5, "day {day}: {summary}");
        assert_eq!(
            summary["stale"], 0,
            "day {day}: probes are fresh: {summary}"
        );
        log.extend(change_lines(&format!("day {day}"), &summary));
        replay(&mut model, &summary);

        let again = world.scan(now).await;
        assert_eq!(
            again["changes"],
            json!([]),
            "day {day}: a second scan at the same time changes nothing"
        );
        assert_eq!(
            (&again["opened"], &again["stepped"], &again["resolved"]),
            (&json!(0), &json!(0), &json!(0)),
            "day {day}: {again}"
        );

        let open = world.open_incidents().await;
        assert!(
            open.iter().all(|i| i.check == CheckKind::Expiry),
            "day {day}: only expiry incidents (no dead-man's switch, no probe): {open:?}"
        );
        assert_eq!(
            open_expiry_by_integration(&open, day),
            model,
            "day {day}: the open incidents in the table are what the reported changes add up to"
        );

        if day == 0 {
            assert_eq!(
                (
                    &summary["expiring"],
                    &summary["expired"],
                    &summary["unknown"]
                ),
                (&json!(1), &json!(0), &json!(1)),
                "day 0: charlie inside its window, delta unknown: {summary}"
            );
        }
        if day == 399 {
            assert_eq!(
                (
                    &summary["expiring"],
                    &summary["expired"],
                    &summary["unknown"]
                ),
                (&json!(0), &json!(5), &json!(0)),
                "day 399: every secret has expired: {summary}"
            );
        }
    }

    assert_eq!(
        log,
        EXPECTED_CHANGES,
        "the incident changes of 400 daily scans, in full:\n{}",
        log.join("\n")
    );

    // Every incident ever opened is in the table once, and the resolved ones were resolved on
    // the day the change log says, at the scan's time.
    for id in SCENARIO {
        let incidents = world.store.incidents_of(id).await.unwrap();
        let opened: Vec<&str> = EXPECTED_CHANGES
            .iter()
            .filter(|line| line.contains(&format!(" {id} ")) && line.contains(" opened "))
            .map(|line| line.split(' ').nth(3).unwrap())
            .collect();
        let stored: Vec<&str> = incidents.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(stored, opened, "{id}: incidents in the table");
        for incident in &incidents {
            let resolved_on = EXPECTED_CHANGES
                .iter()
                .find(|line| line.contains(&format!(" {} resolved", incident.id)))
                .map(|line| {
                    let day: i64 = line["day ".len()..line.find(':').unwrap()].parse().unwrap();
                    at(day, 12, 0)
                });
            assert_eq!(incident.resolved_at, resolved_on, "{}", incident.id);
            assert_eq!(incident.open, resolved_on.is_none(), "{}", incident.id);
            assert_eq!(
                incident.team, "marketing-ops",
                "owned by the integration's team"
            );
        }
    }
    let alpha = world.store.incidents_of("alpha").await.unwrap();
    assert!(
        alpha[0].message.contains(&date(200).to_string()),
        "alpha warns about its new date only: {}",
        alpha[0].message
    );
    assert_eq!(
        alpha[0].severity,
        Severity::High,
        "expired: as serious as the (high) integration"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. The dead-man's switch with real probe cycles

/// A probe cycle of one integration (forced), as the probe function runs it.
struct Probing {
    _sim: Simulator,
    prober: Prober,
}

impl Probing {
    async fn start() -> (Probing, Vec<Spec>) {
        let sim = Simulator::start().await.unwrap();
        let healthy = ClientConfig::healthy(SECRET, SYNC_SCOPES, 7281698);
        let specs = vec![
            Spec::on(&sim, "crm-sync", &healthy),
            Spec::on(&sim, "new-feed", &healthy),
        ];
        let client = SfmcClient::new(ClientSettings {
            request_timeout: Duration::from_secs(5),
            endpoint_policy: EndpointPolicy::AnyEndpoint,
            ..ClientSettings::default()
        })
        .unwrap();
        let prober = Prober::new(
            client,
            RetryPolicy {
                transient_backoff: Duration::from_millis(10),
                max_retry_after: Duration::from_millis(50),
            },
        );
        (Probing { _sim: sim, prober }, specs)
    }

    async fn probe(&self, store: &DynamoStore, id: &str, now: DateTime<Utc>) -> CycleSummary {
        let selection = Selection::Only {
            ids: vec![id.to_string()],
            force: true,
        };
        let settings = CycleSettings::default();
        let summary = run_cycle(
            store,
            &self.prober,
            &LocalSecrets,
            &selection,
            now,
            &settings,
        )
        .await
        .unwrap();
        assert_eq!(
            (summary.probed, summary.ok),
            (1, 1),
            "{id} probed at {now}: {summary:?}"
        );
        assert!(summary.errors.is_empty(), "{summary:?}");
        summary
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_mans_switch_opens_for_the_platform_and_resolves_when_probes_resume() {
    let world = World::new("expiry-deadman").await;
    let (probing, specs) = Probing::start().await;
    let added = DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z")
        .unwrap()
        .to_utc();
    let minutes = TimeDelta::minutes;
    // Far-off expiry dates: only the switch can open anything here.
    let far = |id| (id, "secret_expires_at: 2027-09-01".to_string());
    let yaml = world.yaml(&specs, &[far("crm-sync"), far("new-feed")]);
    world.apply(&yaml, added).await;
    let no_changes = |summary: &Value, when: &str| {
        assert_eq!(summary["changes"], json!([]), "{when}: {summary}");
    };

    // crm-sync is probed once (probe_every 15m: the switch allows 45 minutes).
    probing
        .probe(&world.store, "crm-sync", added + minutes(5))
        .await;
    no_changes(&world.scan(added + minutes(40)).await, "35 minutes after");
    no_changes(&world.scan(added + minutes(50)).await, "exactly 45 minutes");

    let stale = world.scan(added + minutes(51)).await;
    assert_eq!(
        change_lines("scan", &stale),
        ["scan: crm-sync crm-sync:monitor:1 opened not_probed -"],
        "46 minutes without a probe: {stale}"
    );
    assert_eq!(
        stale["stale"], 1,
        "only crm-sync: new-feed was added 51 minutes ago"
    );
    let open = world.open_incidents().await;
    let [incident] = open.as_slice() else {
        panic!("one open incident: {open:?}")
    };
    assert_eq!(
        (
            incident.check,
            incident.class.as_str(),
            incident.team.as_str()
        ),
        (CheckKind::Monitor, "not_probed", PLATFORM_TEAM),
        "the platform's incident, never the integration's team"
    );
    assert_eq!(incident.severity, Severity::High);
    assert!(
        incident
            .message
            .contains("has not checked crm-sync integration since 2026-11-02 09:05 UTC"),
        "{}",
        incident.message
    );
    no_changes(
        &world.scan(added + minutes(51)).await,
        "the same scan again",
    );
    no_changes(
        &world.scan(added + minutes(180)).await,
        "still stale hours later",
    );

    // A probe completes: its own commit resolves the switch.
    let resumed_at = added + minutes(181);
    let cycle = probing.probe(&world.store, "crm-sync", resumed_at).await;
    assert_eq!(cycle.resolved, 1, "the probe commit resolves it: {cycle:?}");
    let record = world
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.state.stale_incident, None);
    let incidents = world.store.incidents_of("crm-sync").await.unwrap();
    let [resolved] = incidents.as_slice() else {
        panic!("one incident ever: {incidents:?}")
    };
    assert_eq!(
        (resolved.open, resolved.resolved_at),
        (false, Some(resumed_at))
    );
    assert!(
        resolved
            .message
            .contains("checking crm-sync integration again"),
        "{}",
        resolved.message
    );
    assert!(world.open_incidents().await.is_empty());
    no_changes(
        &world.scan(resumed_at + minutes(1)).await,
        "after the probe",
    );

    // new-feed was never probed: quiet for a day after it was added, then the switch opens.
    probing
        .probe(
            &world.store,
            "crm-sync",
            added + TimeDelta::hours(24) - minutes(5),
        )
        .await;
    no_changes(
        &world.scan(added + TimeDelta::hours(24)).await,
        "exactly one day after new-feed was added",
    );
    let never = world.scan(added + TimeDelta::hours(24) + minutes(1)).await;
    assert_eq!(
        change_lines("scan", &never),
        ["scan: new-feed new-feed:monitor:1 opened not_probed -"],
        "{never}"
    );
    let open = world.open_incidents().await;
    let [incident] = open.as_slice() else {
        panic!("one open incident: {open:?}")
    };
    assert_eq!(incident.team, PLATFORM_TEAM);
    assert!(
        incident
            .message
            .contains("has never checked new-feed integration, added 2026-11-02 09:00 UTC"),
        "{}",
        incident.message
    );
    let first_probe = added + TimeDelta::hours(24) + minutes(2);
    let cycle = probing.probe(&world.store, "new-feed", first_probe).await;
    assert_eq!(cycle.resolved, 1, "{cycle:?}");
    assert!(world.open_incidents().await.is_empty());
    no_changes(&world.scan(first_probe + minutes(1)).await, "both probed");
    assert_eq!(world.store.incidents_of("new-feed").await.unwrap().len(), 1);
    assert_eq!(world.store.incidents_of("crm-sync").await.unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 3. The built binary, as the acceptance check runs it

/// The function binary reads the wall clock: stay clear of midnight UTC, so the setup and the
/// invocations see the same day (not part of the logic under test).
async fn not_near_midnight() {
    let now = Utc::now();
    let midnight = (now.date_naive() + TimeDelta::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc();
    let left = midnight - now;
    if left < TimeDelta::minutes(2) {
        tokio::time::sleep((left + TimeDelta::seconds(1)).to_std().unwrap()).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_under_a_runtime_api_meets_the_acceptance() {
    not_near_midnight().await;
    let world = World::new("expiry-bin").await;
    let now = Utc::now();
    let today = now.date_naive();
    let in_days = |days: i64| (today + TimeDelta::days(days)).to_string();
    let ids = [
        "in-100", "in-20", "in-10", "in-2", "expired", "rotated", "no-date",
    ];
    let specs: Vec<Spec> = ids.iter().map(|id| offline(id)).collect();
    let dates = |in_10: &str| {
        vec![
            ("in-100", format!("secret_expires_at: {}", in_days(100))),
            ("in-20", format!("secret_expires_at: {}", in_days(20))),
            ("in-10", format!("secret_expires_at: {in_10}")),
            ("in-2", format!("secret_expires_at: {}", in_days(2))),
            ("expired", format!("secret_expires_at: {}", in_days(-1))),
            ("rotated", format!("secret_rotated_at: {}", in_days(-175))),
        ]
    };
    world
        .apply(&world.yaml(&specs, &dates(&in_days(10))), now)
        .await;

    let mut env = child_env();
    env.push(("CREDWATCH_TABLE", world.table.clone()));
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-expiry-scan").as_ref(), &env).await;
    let invoke = async |what: &str| match function.invoke(event("scheduled.json")).await {
        Ok(summary) => summary,
        Err(err) => panic!("{what} invocation failed: {err}"),
    };

    let first = invoke("first").await;
    assert_eq!(first["scanned"], 7, "{first}");
    assert_eq!(first["opened"], 6, "{first}");
    assert_eq!(
        first["stale"], 0,
        "just added: the switch waits a day: {first}"
    );
    assert_eq!(first["errors"], json!([]), "{first}");
    let open = world.open_incidents().await;
    let by_integration: BTreeMap<&str, (&str, Option<u32>)> = open
        .iter()
        .map(|i| (i.integration.as_str(), (i.class.as_str(), i.threshold_days)))
        .collect();
    assert_eq!(
        by_integration,
        BTreeMap::from([
            ("expired", ("secret_expired", Some(0))),
            ("in-10", ("secret_expiring", Some(14))),
            ("in-2", ("secret_expiring", Some(3))),
            ("in-20", ("secret_expiring", Some(30))),
            ("no-date", ("expiry_unknown", None)),
            ("rotated", ("secret_expiring", Some(7))),
        ]),
        "one open expiry incident where due, none for in-100: {open:#?}"
    );
    assert_eq!(open.len(), 6, "exactly one each: {open:#?}");
    for incident in &open {
        assert_eq!(
            (incident.check, incident.team.as_str()),
            (CheckKind::Expiry, "marketing-ops"),
            "expiry incidents for the owner; no not_probed: {incident:?}"
        );
        assert_eq!(incident.id, format!("{}:expiry:1", incident.integration));
    }

    let second = invoke("second").await;
    assert_eq!(second["changes"], json!([]), "nothing new: {second}");
    assert_eq!(second["opened"], 0, "{second}");
    assert_eq!(
        world.open_incidents().await,
        open,
        "the second invocation left the incidents as they were"
    );

    // in-10 is rotated: its new date is far off.
    let plan = world
        .apply(&world.yaml(&specs, &dates(&in_days(170))), Utc::now())
        .await;
    assert_eq!(plan.changed.len(), 1, "{plan:?}");
    let third = invoke("third").await;
    assert_eq!(
        change_lines("scan", &third),
        ["scan: in-10 in-10:expiry:1 resolved - -"],
        "{third}"
    );
    let after: Vec<Incident> = open
        .iter()
        .filter(|i| i.integration != "in-10")
        .cloned()
        .collect();
    assert_eq!(
        world.open_incidents().await,
        after,
        "in-10 resolved, no new incident, the others untouched"
    );
    let in_10 = world.store.incidents_of("in-10").await.unwrap();
    assert!(
        in_10.len() == 1 && !in_10[0].open,
        "in-10: one incident, resolved: {in_10:?}"
    );

    let (stdout, stderr) = function.stop().await;
    assert_eq!(
        stdout.matches("\"Heartbeat\":1").count(),
        3,
        "one EMF heartbeat per invocation on stdout:\n{stdout}\n{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Events, and integrations leaving the inventory

#[tokio::test(flavor = "multi_thread")]
async fn a_manual_run_scans_other_events_are_refused_and_removed_integrations_close() {
    let world = World::new("expiry-events").await;
    let specs = [offline("crm"), offline("loyalty")];
    let now = at(0, 12, 0);
    let soon = |id| (id, format!("secret_expires_at: {}", date(5)));
    world
        .apply(&world.yaml(&specs, &[soon("crm"), soon("loyalty")]), now)
        .await;
    world.mark_probed(now).await;

    let refused = handle_at(&world.store, &json!({"detail-type": "Object Created"}), now)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("Scheduled Event"), "{refused}");
    assert!(
        world.open_incidents().await.is_empty(),
        "a refused event scans nothing"
    );

    let manual = handle_at(&world.store, &json!({}), now).await.unwrap();
    assert_eq!(manual["opened"], 2, "{{}} scans now: {manual}");

    // loyalty leaves the inventory: retiring it closes its incidents at once, so the scan
    // after has nothing left to close.
    let plan = world
        .apply(&world.yaml(&specs[..1], &[soon("crm")]), now)
        .await;
    assert_eq!(plan.retired, ["loyalty"], "{plan:?}");
    let after = world.scan(now + TimeDelta::minutes(1)).await;
    assert!(change_lines("scan", &after).is_empty(), "{after}");
    assert_eq!(
        after["scanned"], 1,
        "retired integrations are not counted: {after}"
    );
    let open = world.open_incidents().await;
    assert!(open.len() == 1 && open[0].integration == "crm", "{open:?}");
    let closed = world.store.incidents_of("loyalty").await.unwrap();
    assert!(
        closed[0].message.contains("no longer in the inventory"),
        "{}",
        closed[0].message
    );
    assert_eq!(
        world.scan(now + TimeDelta::days(30)).await["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["integration"] == "loyalty")
            .count(),
        0,
        "a retired integration never warns again"
    );
}

/// An integration item the scan cannot read (a required attribute removed by hand): the built
/// binary still scans every other integration, reports the item once to the platform team
/// (`CorruptItems` metric, a `corrupt_item` incident), and resolves the report once the item
/// reads again.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_scans_the_rest_when_one_item_is_unreadable() {
    not_near_midnight().await;
    let world = World::new("expiry-corrupt").await;
    let now = Utc::now();
    let soon = |id| {
        (
            id,
            format!(
                "secret_expires_at: {}",
                now.date_naive() + TimeDelta::days(5)
            ),
        )
    };
    let specs = [offline("crm"), offline("loyalty")];
    world
        .apply(&world.yaml(&specs, &[soon("crm"), soon("loyalty")]), now)
        .await;
    let raw = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let key =
        |update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder| {
            update
                .table_name(&world.table)
                .key("pk", AttributeValue::S("INVENTORY".into()))
                .key("sk", AttributeValue::S("INT#loyalty".into()))
        };
    key(raw.update_item())
        .update_expression("REMOVE added_at")
        .send()
        .await
        .unwrap();

    let mut env = child_env();
    env.push(("CREDWATCH_TABLE", world.table.clone()));
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-expiry-scan").as_ref(), &env).await;
    let first = function.invoke(event("scheduled.json")).await.unwrap();
    let second = function.invoke(event("scheduled.json")).await.unwrap();
    let (stdout, _) = function.stop().await;
    assert_eq!(first["scanned"], 1, "the readable one is scanned: {first}");
    assert_eq!(first["expiring"], 1, "{first}");
    assert_eq!(
        first["opened"], 2,
        "its expiry warning and the report: {first}"
    );
    assert_eq!(first["unreadable"][0]["id"], "loyalty", "{first}");
    assert_eq!(first["unreadable"][0]["field"], "added_at", "{first}");
    assert_eq!(first["errors"], json!([]), "{first}");
    assert_eq!(second["opened"], 0, "reported once: {second}");
    assert!(stdout.contains("\"CorruptItems\":1"), "{stdout}");
    let report: Vec<Incident> = world
        .open_incidents()
        .await
        .into_iter()
        .filter(|i| i.class == "corrupt_item")
        .collect();
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(
        (report[0].team.as_str(), report[0].check),
        (PLATFORM_TEAM, CheckKind::Monitor)
    );

    // Fixed by hand: the next scan reads it again and resolves the report.
    key(raw.update_item())
        .update_expression("SET added_at = :t")
        .expression_attribute_values(":t", AttributeValue::S("2026-11-01T00:00:00.000Z".into()))
        .send()
        .await
        .unwrap();
    let fixed = world.scan(now + TimeDelta::minutes(1)).await;
    assert_eq!(fixed["scanned"], 2, "{fixed}");
    assert_eq!(fixed["resolved"], 1, "{fixed}");
    let closed = world.store.incidents_of("loyalty").await.unwrap();
    let closed = closed.iter().find(|i| i.class == "corrupt_item").unwrap();
    assert!(
        !closed.open && closed.message.contains("again"),
        "{closed:?}"
    );
}

/// An open incident item that cannot be read (its `message` made a number by hand) no longer
/// vanishes: the built binary lists it under `unreadable_incidents`, counts it in `CorruptItems`,
/// and reports it once as the integration's `corrupt_item` incident for the platform team.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_reports_an_unreadable_open_incident() {
    not_near_midnight().await;
    let world = World::new("expiry-corrupt-incident").await;
    let now = Utc::now();
    let soon = |id| {
        (
            id,
            format!(
                "secret_expires_at: {}",
                now.date_naive() + TimeDelta::days(5)
            ),
        )
    };
    let specs = [offline("crm"), offline("loyalty")];
    world
        .apply(&world.yaml(&specs, &[soon("crm"), soon("loyalty")]), now)
        .await;
    let first = world.scan(now).await;
    assert_eq!(first["opened"], 2, "both expiry warnings: {first}");
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
        .update_item()
        .table_name(&world.table)
        .key("pk", AttributeValue::S("INC#loyalty".into()))
        .key("sk", AttributeValue::S("expiry#000001".into()))
        .update_expression("SET message = :v")
        .expression_attribute_values(":v", AttributeValue::N("4711".into()))
        .send()
        .await
        .unwrap();

    let mut env = child_env();
    env.push(("CREDWATCH_TABLE", world.table.clone()));
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-expiry-scan").as_ref(), &env).await;
    let second = function.invoke(event("scheduled.json")).await.unwrap();
    let third = function.invoke(event("scheduled.json")).await.unwrap();
    let (stdout, _) = function.stop().await;
    assert_eq!(second["scanned"], 2, "{second}");
    assert_eq!(second["opened"], 1, "the report: {second}");
    assert_eq!(second["errors"], json!([]), "{second}");
    let unreadable = &second["unreadable_incidents"];
    assert_eq!(unreadable.as_array().unwrap().len(), 1, "{second}");
    assert_eq!(unreadable[0]["integration"], "loyalty", "{second}");
    assert_eq!(unreadable[0]["field"], "message", "{second}");
    assert!(!second.to_string().contains("4711"), "{second}");
    assert_eq!(third["opened"], 0, "reported once: {third}");
    assert!(stdout.contains("\"CorruptItems\":1"), "{stdout}");
    let report: Vec<Incident> = world
        .open_incidents()
        .await
        .into_iter()
        .filter(|i| i.class == "corrupt_item")
        .collect();
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0].id, "loyalty:monitor:0");
    assert_eq!(report[0].team, PLATFORM_TEAM);
    assert!(
        report[0].message.contains("sk=expiry#000001"),
        "{}",
        report[0].message
    );
}

/// The binary tells the Lambda runtime whether a failed invocation is worth retrying: an event
/// it does not handle fails the same way every time (`NonRetryable`); a table it cannot read
/// may be back later (`Retryable`). The message is the library's, unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_reports_failures_as_retryable_or_not() {
    let mut env = child_env();
    env.push((
        credwatch::config::TABLE_VAR,
        unique_name("credwatch-no-such-table"),
    ));
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-expiry-scan").as_ref(), &env).await;
    let refused = function
        .invoke(json!({"detail-type": "Object Created"}))
        .await;
    let missing_table = function.invoke(event("scheduled.json")).await;
    let (_, stderr) = function.stop().await;

    let refused = refused.expect_err("an unrecognised event fails");
    assert_eq!(refused["errorType"], "NonRetryable", "{refused}\n{stderr}");
    assert!(
        text(&refused["errorMessage"]).starts_with("unrecognised event; expected an EventBridge"),
        "{refused}"
    );
    let missing_table = missing_table.expect_err("a missing table fails");
    assert_eq!(
        missing_table["errorType"], "Retryable",
        "{missing_table}\n{stderr}"
    );
    assert!(
        text(&missing_table["errorMessage"]).starts_with("cannot list integrations: "),
        "{missing_table}"
    );
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value}"))
}
