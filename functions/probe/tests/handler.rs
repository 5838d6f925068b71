//! The probe function against moto (DynamoDB, Secrets Manager) and the SFMC simulator over real
//! HTTP, driven by real event JSON: in-process through `handle_at` for scenarios over simulated
//! time, and as the built binary under a Lambda Runtime API stand-in.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::check::{CheckKind, Health};
use credwatch::inventory::{LoadOptions, parse_inventory};
use credwatch::monitor::CycleSettings;
use credwatch::probe::{Prober, RetryPolicy};
use credwatch::secrets_aws::AwsSecrets;
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::schema::create_table;
use credwatch::store::{PLATFORM_TEAM, Store};
use credwatch::sync;
use credwatch_probe::{App, handle_at};
use credwatch_sim::{ClientConfig, Simulator, TokenBehaviour};
use credwatch_tests::aws::{DynamoRequestCounter, child_env, sdk_config, unique_name};
use credwatch_tests::lambda::FunctionProcess;
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory_yaml};
use serde_json::{Value, json};

const SECRET: &str = "Zq4Wm8Rt2Yp6Kx1Nc5Vb9Hd3";
const STALE_SECRET: &str = "Stale7Secret3Nobody2Uses";

fn event(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T09:00:00Z")
        .unwrap()
        .to_utc()
}

fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

fn healthy() -> ClientConfig {
    ClientConfig::healthy(SECRET, SYNC_SCOPES, 7281698)
}

/// A table in moto holding an inventory of `specs` (secrets in files), and an `App` over it.
struct World {
    sim: Simulator,
    table: String,
    app: App<DynamoStore, AwsSecrets>,
    secrets_manager: aws_sdk_secretsmanager::Client,
    /// Counts every DynamoDB request the store makes.
    requests: DynamoRequestCounter,
    _scratch: Scratch,
}

impl World {
    async fn new(build: impl FnOnce(&Simulator) -> Vec<Spec>) -> World {
        let sim = Simulator::start().await.unwrap();
        let scratch = Scratch::new("probe-fn");
        let specs = build(&sim);
        let yaml = inventory_yaml(scratch.path(), &specs);
        let inventory = parse_inventory(
            &yaml,
            &LoadOptions {
                allow_any_endpoint: true,
            },
        )
        .unwrap()
        .inventory;
        let config = sdk_config().await;
        let table = unique_name("probe");
        let requests = DynamoRequestCounter::default();
        let dynamo = requests.client(&config);
        create_table(&dynamo, &table).await.unwrap();
        let store = DynamoStore::new(dynamo, table.clone());
        let plan = sync::plan(&inventory, &[], &[], &[], false);
        let results = sync::apply(&store, &inventory, &plan, t0() - minutes(1)).await;
        assert!(results.iter().all(|r| r.error.is_none()), "{results:?}");
        let secrets_manager = aws_sdk_secretsmanager::Client::new(&config);
        let client = SfmcClient::new(ClientSettings {
            request_timeout: Duration::from_secs(5),
            endpoint_policy: EndpointPolicy::AnyEndpoint,
            ..ClientSettings::default()
        })
        .unwrap();
        let app = App {
            store,
            prober: Prober::new(
                client,
                RetryPolicy {
                    transient_backoff: Duration::from_millis(10),
                    max_retry_after: Duration::from_millis(50),
                },
            ),
            secrets: AwsSecrets::new(secrets_manager.clone(), Duration::from_secs(300)),
            settings: CycleSettings::default(),
        };
        World {
            sim,
            table,
            app,
            secrets_manager,
            requests,
            _scratch: scratch,
        }
    }

    async fn run(&self, payload: &Value, at: DateTime<Utc>) -> Value {
        handle_at(&self.app, payload, at)
            .await
            .expect("invocation succeeds")
    }

    async fn health(&self, id: &str) -> Health {
        self.app
            .store
            .get_integration(id)
            .await
            .unwrap()
            .unwrap()
            .state
            .health()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_event_probes_what_is_due_and_a_revoked_secret_fires_once() {
    let world = World::new(|sim| {
        let ok = Spec::on(sim, "crm-sync", &healthy());
        let mut revoked = Spec::on(sim, "loyalty-feed", &healthy());
        revoked.secret = STALE_SECRET.into();
        vec![ok, revoked]
    })
    .await;
    let first = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(first["probed"], 2, "{first}");
    assert_eq!(first["opened"], 1, "{first}");
    assert_eq!(first["by_class"]["client_auth_failed"], 1);

    let open = world.app.store.open_incidents().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].integration, "loyalty-feed");
    assert_eq!(open[0].class, "client_auth_failed");
    assert_eq!(open[0].check, CheckKind::Auth);
    assert_eq!(open[0].team, "marketing-ops");
    assert_eq!(world.health("loyalty-feed").await, Health::Firing);
    assert_eq!(world.health("crm-sync").await, Health::Healthy);

    // Two minutes later only the failing one is due (recheck cadence); it stays one incident.
    let second = world.run(&event("scheduled.json"), t0() + minutes(2)).await;
    assert_eq!(second["probed"], 1, "{second}");
    assert_eq!(second["opened"], 0);
    assert_eq!(world.app.store.open_incidents().await.unwrap().len(), 1);
    assert_eq!(
        world
            .app
            .store
            .history("loyalty-feed", 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_then_fixed_fires_once_and_resolves_over_simulated_time() {
    let world = World::new(|sim| vec![Spec::on(sim, "crm-sync", &healthy())]).await;
    let scheduled = event("scheduled.json");
    world.run(&scheduled, t0()).await;
    assert_eq!(world.health("crm-sync").await, Health::Healthy);

    // The secret is regenerated in SFMC; the integration still holds the old one.
    world.sim.update_client("crm-sync-client", |c| {
        c.secret = "Brand9New4Secret8Elsewhere".into()
    });
    let next_due = world
        .app
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap()
        .state
        .next_probe_at
        .unwrap();
    assert!(
        next_due > t0() + minutes(5),
        "healthy cadence is probe_every, not recheck"
    );
    let at = next_due + TimeDelta::seconds(1);
    let fired = world.run(&scheduled, at).await;
    assert_eq!(fired["opened"], 1, "{fired}");

    let still = world.run(&scheduled, at + minutes(2)).await;
    assert_eq!(still["probed"], 1);
    assert_eq!(still["opened"], 0);

    // Someone puts the new secret where the integration reads it... here: SFMC takes the old one back.
    world
        .sim
        .update_client("crm-sync-client", |c| c.secret = SECRET.into());
    let recovering = world.run(&scheduled, at + minutes(4)).await;
    assert_eq!(recovering["resolved"], 0);
    assert_eq!(world.health("crm-sync").await, Health::Recovering);
    let resolved = world.run(&scheduled, at + minutes(6)).await;
    assert_eq!(resolved["resolved"], 1, "{resolved}");
    assert_eq!(world.health("crm-sync").await, Health::Healthy);

    let incidents = world.app.store.incidents_of("crm-sync").await.unwrap();
    assert_eq!(incidents.len(), 1, "fired exactly once");
    assert!(!incidents[0].open);
    assert_eq!(incidents[0].resolved_at, Some(at + minutes(6)));
    assert!(world.app.store.open_incidents().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_503_blip_fires_nothing() {
    let world = World::new(|sim| vec![Spec::on(sim, "crm-sync", &healthy())]).await;
    // Both attempts of one probe get a 503; the next probe is fine.
    let blip = TokenBehaviour::FailTimes {
        times: 2,
        then_fail_with: Box::new(TokenBehaviour::Status {
            status: 503,
            body: "Service Unavailable".into(),
        }),
    };
    world
        .sim
        .update_client("crm-sync-client", |c| c.token = blip);
    let failed = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(failed["failing"], 1, "{failed}");
    assert_eq!(failed["opened"], 0);
    assert_eq!(world.health("crm-sync").await, Health::Pending);
    let ok = world.run(&event("scheduled.json"), t0() + minutes(2)).await;
    assert_eq!(ok["ok"], 1, "{ok}");
    assert_eq!(world.health("crm-sync").await, Health::Healthy);
    assert!(
        world
            .app
            .store
            .incidents_of("crm-sync")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn three_overlapping_invocations_open_one_incident() {
    let world = World::new(|sim| {
        let mut revoked = Spec::on(sim, "loyalty-feed", &healthy());
        revoked.secret = STALE_SECRET.into();
        vec![revoked]
    })
    .await;
    let scheduled = event("scheduled.json");
    let (a, b, c) = tokio::join!(
        world.run(&scheduled, t0()),
        world.run(&scheduled, t0()),
        world.run(&scheduled, t0())
    );
    let opened: u64 = [&a, &b, &c]
        .iter()
        .map(|s| s["opened"].as_u64().unwrap())
        .sum();
    assert_eq!(opened, 1, "{a}\n{b}\n{c}");
    assert_eq!(
        world
            .app
            .store
            .incidents_of("loyalty-feed")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(world.app.store.open_incidents().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn direct_invocation_probes_named_integrations_even_when_not_due() {
    let world = World::new(|sim| {
        vec![
            Spec::on(sim, "crm-sync", &healthy()),
            Spec::on(sim, "other", &healthy()),
        ]
    })
    .await;
    world.run(&event("scheduled.json"), t0()).await;
    let not_forced = world
        .run(&json!({"integrations": ["crm-sync"]}), t0() + minutes(1))
        .await;
    assert_eq!(
        not_forced["probed"], 0,
        "not due and not forced: {not_forced}"
    );
    let forced = world
        .run(
            &json!({"integrations": ["crm-sync", "nope"], "force": true}),
            t0() + minutes(1),
        )
        .await;
    assert_eq!(forced["probed"], 1, "{forced}");
    assert_eq!(forced["unknown_integrations"], json!(["nope"]));
    assert_eq!(
        world.sim.counts("other-client").token,
        1,
        "the other integration was not probed again"
    );
    let refused = handle_at(&world.app, &json!({"integrations": "crm-sync"}), t0())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("integrations"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secrets_manager_change_records_the_rotation_and_probes_with_the_new_secret() {
    let secret_name = unique_name("sfmc/crm-sync");
    let world =
        World::new(|sim| vec![Spec::on(sim, "crm-sync", &healthy()).with_aws_secret(&secret_name)])
            .await;
    world
        .secrets_manager
        .create_secret()
        .name(&secret_name)
        .secret_string(json!({"client_secret": STALE_SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let fired = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(fired["opened"], 1, "the stale secret is rejected: {fired}");

    world
        .secrets_manager
        .put_secret_value()
        .secret_id(&secret_name)
        .secret_string(json!({"client_secret": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let mut change = event("put-secret-value.json");
    change["detail"]["requestParameters"]["secretId"] = secret_name.clone().into();
    let rotated_at = DateTime::parse_from_rfc3339("2026-11-20T09:15:42Z")
        .unwrap()
        .to_utc();
    let probed = world.run(&change, t0() + minutes(1)).await;
    assert_eq!(probed["rotations_recorded"], 1, "{probed}");
    assert_eq!(
        probed["ok"], 1,
        "the cached old value was dropped: {probed}"
    );
    let record = world
        .app
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.secret_rotated_seen_at, Some(rotated_at));
    assert_eq!(record.state.health(), Health::Recovering);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_secret_is_the_platform_teams_incident_only_when_sustained() {
    let world = World::new(|sim| {
        vec![Spec::on(sim, "crm-sync", &healthy()).with_aws_secret("credwatch-test/does-not-exist")]
    })
    .await;
    let scheduled = event("scheduled.json");
    let first = world.run(&scheduled, t0()).await;
    assert_eq!(first["by_class"]["secret_unavailable"], 1, "{first}");
    assert_eq!(first["opened"], 0, "one failure is not an incident");
    world.run(&scheduled, t0() + minutes(5)).await;
    let third = world.run(&scheduled, t0() + minutes(10)).await;
    assert_eq!(third["opened"], 1, "{third}");
    let open = world.app.store.open_incidents().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].check, CheckKind::Monitor);
    assert_eq!(open[0].team, PLATFORM_TEAM);
    assert_eq!(
        world.sim.counts("crm-sync-client").token,
        0,
        "SFMC was never called without a secret"
    );
}

/// DynamoDB requests per probed integration per cycle: one Query page lists everything, one
/// conditional write per probed integration (an UpdateItem, or a TransactWriteItems when an
/// incident opens), and history in BatchWriteItem requests of 25.
#[tokio::test(flavor = "multi_thread")]
async fn about_one_dynamodb_request_per_probed_integration() {
    let world = World::new(|sim| {
        (0..100)
            .map(|i| {
                let mut spec = Spec::on(sim, &format!("int-{i:03}"), &healthy());
                if i % 10 == 0 {
                    spec.secret = STALE_SECRET.into();
                }
                spec
            })
            .collect()
    })
    .await;
    world.requests.reset();
    let summary = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(summary["probed"], 100, "{summary}");
    assert_eq!(summary["opened"], 10);
    let counts = world.requests.counts();
    let per_integration = world.requests.total() as f64 / 100.0;
    println!(
        "DynamoDB requests for one cycle of 100 integrations (10 opening incidents): {counts:?} = {per_integration:.2} per probed integration"
    );
    assert_eq!(counts.get("Scan"), None, "never a Scan");
    assert_eq!(counts.get("Query"), Some(&1));
    // One conditional write per probed integration (plus any retry the SDK or the store made
    // after a TransactionConflict, which an emulator under concurrent load can report).
    let writes = counts.get("UpdateItem").copied().unwrap_or(0)
        + counts.get("TransactWriteItems").copied().unwrap_or(0);
    assert!((100..=103).contains(&writes), "{counts:?}");
    assert!(
        counts.get("TransactWriteItems").copied().unwrap_or(0) >= 10,
        "the 10 openings are transactions"
    );
    assert_eq!(
        counts.get("BatchWriteItem"),
        Some(&4),
        "history in batches of 25"
    );
    assert!(per_integration <= 1.08, "{per_integration}");
}

/// The built binary, as Lambda runs it: reads its table from the environment, answers a
/// scheduled event, and leaves no secret or token in its logs or in any DynamoDB item.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_under_a_runtime_api_probes_and_never_leaks_secrets() {
    let secret_name = unique_name("sfmc/from-secrets-manager");
    let world = World::new(|sim| {
        let ok = Spec::on(sim, "crm-sync", &healthy());
        let mut revoked = Spec::on(sim, "loyalty-feed", &healthy());
        revoked.secret = STALE_SECRET.into();
        // Read from Secrets Manager, so the SDK's own TRACE logging of GetSecretValue is
        // covered by the leak check too.
        let from_aws = Spec::on(sim, "from-aws", &healthy()).with_aws_secret(&secret_name);
        vec![ok, revoked, from_aws]
    })
    .await;
    world
        .secrets_manager
        .create_secret()
        .name(&secret_name)
        .secret_string(json!({"client_secret": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let mut env = child_env();
    env.push(("CREDWATCH_TABLE", world.table.clone()));
    env.push(("CREDWATCH_ALLOW_ANY_ENDPOINT", "1".into()));
    env.push(("CREDWATCH_LOG", "trace".into()));
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-probe").as_ref(), &env).await;
    let answer = function.invoke(event("scheduled.json")).await;
    let (stdout, stderr) = function.stop().await;
    let summary = answer.unwrap_or_else(|err| panic!("invocation failed: {err}\n{stderr}"));
    assert_eq!(summary["probed"], 3, "{summary}");
    assert_eq!(
        summary["ok"], 2,
        "the Secrets Manager one works too: {summary}"
    );
    assert_eq!(summary["opened"], 1);
    assert!(
        stdout.contains("\"Heartbeat\":1"),
        "EMF metrics on stdout:\n{stdout}"
    );
    assert!(stderr.contains("TRACE"), "really logged at TRACE");

    let items = scan_all(&world.table).await;
    assert!(
        items.len() >= 4,
        "integration, incident and history items: {}",
        items.len()
    );
    let mut leakable: Vec<String> = vec![SECRET.into(), STALE_SECRET.into()];
    leakable.extend(world.sim.issued_tokens());
    assert!(leakable.len() > 2, "tokens were issued");
    for value in &leakable {
        assert!(
            !stdout.contains(value.as_str()) && !stderr.contains(value.as_str()),
            "leaked into logs"
        );
        assert!(!items.contains(value.as_str()), "leaked into DynamoDB");
    }
}

/// Every item of the table as text (a Scan is fine in a test).
async fn scan_all(table: &str) -> String {
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let mut text = String::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in page.items() {
            text.push_str(&format!("{item:?}\n"));
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    text
}
