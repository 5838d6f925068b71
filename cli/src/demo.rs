//! `credwatch demo`: a simulated SFMC tenant with one integration per common failure. Step 1
//! probes it exactly as `credwatch check` does and explains each finding; step 2 runs the
//! deployed monitor's cycle (state machine, incidents, history) over simulated time on an
//! in-memory store, and shows what opens, what does not, and what resolves.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use clap::Args;
use credwatch::domain::incident::CheckKind;
use credwatch::domain::outcome::{OutcomeClass, ProbeOutcome};
use credwatch::domain::state::Health;
use credwatch::inventory::{Inventory, LoadOptions, parse_inventory};
use credwatch::jobs::expiry_scan::run_scan;
use credwatch::jobs::inventory_sync;
use credwatch::jobs::probe_cycle::{CycleSettings, Selection, run_cycle};
use credwatch::probe::{Concurrency, Prober, RetryPolicy};
use credwatch::secrets::LocalSecrets;
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch::store::memory::MemoryStore;
use credwatch::store::{Incident, Incidents, Integrations};
use credwatch_sim::{DemoClient, Simulator, TokenBehaviour, demo_scenario};
use serde_json::json;

use crate::check::{CheckSettings, probe};
use crate::exit::{EXIT_FAILING, EXIT_OK};
use crate::ops::{status_rows, status_table};
use crate::output::Format;
use crate::output::{Stdout, stdout_colours, table_width, warn};
use crate::render;

#[derive(Args)]
pub struct DemoArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// What the demo inventory says about a secret's expiry, relative to the demo's start.
#[derive(Clone, Copy)]
enum SecretDates {
    ExpiresInDays(i64),
    RotatedDaysAgo(i64),
    Unknown,
}

/// How the demo inventory describes one simulated integration.
struct DemoIntegration {
    id: &'static str,
    name: &'static str,
    owner: &'static str,
    severity: &'static str,
    depends_on: &'static str,
    dates: SecretDates,
}

const fn demo(
    id: &'static str,
    name: &'static str,
    owner: &'static str,
    severity: &'static str,
    depends_on: &'static str,
    dates: SecretDates,
) -> DemoIntegration {
    DemoIntegration {
        id,
        name,
        owner,
        severity,
        depends_on,
        dates,
    }
}

const DEMO_INTEGRATIONS: &[DemoIntegration] = &[
    demo(
        "crm-contact-sync",
        "CRM contact sync",
        "crm-ops",
        "critical",
        "Welcome journey enrollment",
        SecretDates::ExpiresInDays(12),
    ),
    demo(
        "loyalty-points-feed",
        "Loyalty points feed",
        "marketing-ops",
        "high",
        "Points balance emails",
        SecretDates::RotatedDaysAgo(40),
    ),
    demo(
        "journey-orchestrator",
        "Journey orchestrator",
        "marketing-ops",
        "high",
        "Abandoned cart journey",
        SecretDates::RotatedDaysAgo(178),
    ),
    demo(
        "emea-preference-sync",
        "EMEA preference sync",
        "crm-ops",
        "high",
        "EMEA consent updates",
        SecretDates::ExpiresInDays(75),
    ),
    demo(
        "analytics-export",
        "Analytics export",
        "it-security",
        "medium",
        "Nightly engagement export",
        SecretDates::Unknown,
    ),
    demo(
        "triggered-send-api",
        "Triggered send API",
        "marketing-ops",
        "critical",
        "Order confirmations",
        SecretDates::RotatedDaysAgo(10),
    ),
    demo(
        "web-collect-forms",
        "Web collect forms",
        "marketing-ops",
        "medium",
        "Newsletter sign-ups",
        SecretDates::ExpiresInDays(100),
    ),
];

/// When the simulated timeline of step 2 starts.
fn demo_start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z")
        .expect("fixed time")
        .to_utc()
}

/// Simulated minutes between monitor cycles (the default `recheck_every`).
const CYCLE_MINUTES: i64 = 2;
const CYCLES: i64 = 9;

pub async fn run(args: DemoArgs) -> u8 {
    let sim = match Simulator::start().await {
        Ok(sim) => sim,
        Err(err) => {
            warn(&format!(
                "credwatch demo: cannot start the SFMC simulator on 127.0.0.1: {err}"
            ));
            return EXIT_FAILING;
        }
    };
    let clients = demo_scenario();
    for client in &clients {
        sim.set_client(&client.client_id, client.config.clone());
    }
    let workdir = DemoDir::create();
    let yaml = demo_inventory_yaml(
        &clients,
        &sim.base_url(),
        workdir.path(),
        demo_start().date_naive(),
    );
    // The simulator is not an SFMC host, so this inventory is loaded with other endpoints allowed.
    let inventory = match parse_inventory(
        &yaml,
        &LoadOptions {
            allow_any_endpoint: true,
        },
    ) {
        Ok(loaded) => loaded.inventory,
        Err(invalid) => {
            warn(&format!(
                "credwatch demo: the demo inventory is invalid (a bug): {invalid}"
            ));
            return EXIT_FAILING;
        }
    };
    let table = args.format == Format::Table;
    let client_settings = ClientSettings {
        request_timeout: Duration::from_secs(5),
        endpoint_policy: EndpointPolicy::AnyEndpoint,
        ..ClientSettings::default()
    };
    // A simulation: SFMC's Retry-After is honoured, but capped short so the demo stays quick.
    let retry = RetryPolicy {
        transient_backoff: Duration::from_millis(100),
        max_retry_after: Duration::from_millis(200),
    };

    let width = table_width();
    let colours = stdout_colours();
    let mut out = Stdout::new();
    if table {
        out.line(&format!(
            "credwatch demo: a simulated SFMC tenant is running at {}",
            sim.base_url()
        ));
        out.line(&format!(
            "It plays {} integrations: one healthy, the others each broken the way real ones break.\n",
            clients.len()
        ));
        out.line("Step 1 of 2: probe them now, exactly as `credwatch check` would.\n");
    }
    let settings = CheckSettings {
        concurrency: Concurrency::default(),
        client: client_settings.clone(),
        retry: retry.clone(),
        show_progress: table,
    };
    let all: Vec<usize> = (0..inventory.integrations.len()).collect();
    let outcomes = match probe(&inventory, &all, &settings, &LocalSecrets).await {
        Ok(outcomes) => outcomes,
        Err(message) => {
            warn(&format!("credwatch demo: {message}"));
            return out.finish(EXIT_FAILING);
        }
    };
    let mut problems = mismatches(&clients, &outcomes);
    if table {
        out.print(&render::outcomes_table(
            &inventory, &outcomes, width, colours,
        ));
        out.line(&format!("\n{}", explain(&inventory, &clients, &outcomes)));
        out.line(&format!(
            "Step 2 of 2: the deployed monitor, over {} simulated minutes (a probe cycle every {CYCLE_MINUTES} minutes).\n\
             Definitive failures open an incident at once; transient ones only if they last 10 minutes;\n\
             an incident resolves after 2 good probes in a row.\n",
            CYCLES * CYCLE_MINUTES
        ));
    }
    let prober = match SfmcClient::new(client_settings) {
        Ok(client) => Prober::new(client, retry),
        Err(err) => {
            warn(&format!(
                "credwatch demo: cannot set up the HTTP client: {err}"
            ));
            return out.finish(EXIT_FAILING);
        }
    };
    if out.is_broken() {
        // Nobody is reading any more: stop here, with the exit code the story so far earned.
        sim.shutdown().await;
        return out.finish(if problems.is_empty() {
            EXIT_OK
        } else {
            EXIT_FAILING
        });
    }
    let layout = (width, colours);
    let monitor =
        match monitor_timeline(&sim, &clients, &inventory, &prober, workdir.path(), layout).await {
            Ok(monitor) => monitor,
            Err(message) => {
                warn(&format!("credwatch demo: {message}"));
                return out.finish(EXIT_FAILING);
            }
        };
    problems.extend(monitor.problems.iter().cloned());
    let requests = sim.total_counts();
    match args.format {
        Format::Json => {
            let report = json!({
                "check": serde_json::from_str::<serde_json::Value>(&render::outcomes_json(&inventory, &outcomes))
                    .expect("outcomes are JSON"),
                "timeline": monitor.timeline.iter().map(|(at, line)| json!({"at": at, "event": line})).collect::<Vec<_>>(),
                "status": monitor.status,
            });
            out.line(&serde_json::to_string_pretty(&report).expect("report serializes"));
        }
        Format::Table => {
            for (at, line) in &monitor.timeline {
                out.line(&format!("  {}  {line}", at.format("%H:%M")));
            }
            out.line("\nWhere things stand (what `credwatch status` shows for a deployment):\n");
            out.print(&monitor.status_table);
            out.line(&format!(
                "\nThe simulator answered {} token requests and {} tokenContext calls. No secret or token was printed or logged.",
                requests.token, requests.token_context
            ));
        }
    }
    sim.shutdown().await;
    if problems.is_empty() {
        out.finish(EXIT_OK)
    } else {
        for line in &problems {
            warn(&format!("credwatch demo: {line}"));
        }
        out.finish(EXIT_FAILING)
    }
}

/// Scripted failures the probe did not recognise (the demo checks itself).
fn mismatches(clients: &[DemoClient], outcomes: &[ProbeOutcome]) -> Vec<String> {
    clients
        .iter()
        .zip(outcomes)
        .filter(|(client, outcome)| outcome.class.as_str() != client.expected_class)
        .map(|(client, outcome)| {
            format!(
                "{} was scripted as {} but was classified {}",
                client.id, client.expected_class, outcome.class
            )
        })
        .collect()
}

/// One paragraph per integration: what was simulated, what credwatch concluded, what to do.
fn explain(inventory: &Inventory, clients: &[DemoClient], outcomes: &[ProbeOutcome]) -> String {
    let mut text = String::from("What credwatch found:\n");
    for (client, outcome) in clients.iter().zip(outcomes) {
        let name = inventory
            .integration(&outcome.integration)
            .map_or("", |i| i.name.as_str());
        let _ = writeln!(text, "\n* {name} ({})", outcome.integration);
        let _ = writeln!(text, "  Simulated: {}", client.description);
        let _ = writeln!(
            text,
            "  Verdict:   {} [{}]",
            outcome.class.verdict(),
            outcome.class
        );
        if outcome.class == OutcomeClass::Ok {
            let _ = writeln!(
                text,
                "  The token was issued for business unit {} with every expected scope.",
                outcome
                    .business_unit
                    .map_or("?".to_string(), |b| b.to_string())
            );
            continue;
        }
        let _ = writeln!(
            text,
            "  Evidence:  {}",
            credwatch::text::printable::escape(&outcome.message)
        );
        let note = if outcome.class.is_definitive()
            && outcome.class.kind() == credwatch::domain::outcome::Kind::Monitor
        {
            "The same answer came twice in a row, so this is real: the monitor opens an incident at once, for the platform team, not the integration's owner."
        } else if outcome.class.is_definitive() {
            "SFMC said no twice in a row, so this is real: the monitor opens an incident at once."
        } else if outcome.class.is_transient() {
            "This can be momentary: the monitor opens an incident only if it lasts (3 failures over 10+ minutes)."
        } else {
            "This is credwatch's own problem, routed to the platform team, not the integration's owner."
        };
        let _ = writeln!(text, "  Alerting:  {note}");
        let _ = writeln!(text, "  Next step: {}", outcome.class.what_to_do());
    }
    text
}

/// What step 2 produced.
struct Monitor {
    timeline: Vec<(DateTime<Utc>, String)>,
    status: Vec<crate::ops::StatusRow>,
    status_table: String,
    problems: Vec<String>,
}

/// Runs the monitor's cycle every [`CYCLE_MINUTES`] simulated minutes on an in-memory store,
/// changing the simulated world on the way, and narrates what changes.
async fn monitor_timeline(
    sim: &Simulator,
    clients: &[DemoClient],
    inventory: &Inventory,
    prober: &Prober,
    dir: &Path,
    (width, colours): (u16, bool),
) -> Result<Monitor, String> {
    let store = MemoryStore::new();
    let start = demo_start();
    let plan = inventory_sync::plan(inventory, &[], &[], &[], false);
    if let Some(failed) = inventory_sync::apply(&store, inventory, &plan, start)
        .await
        .into_iter()
        .find_map(|r| r.error.map(|e| format!("{}: {e}", r.item)))
    {
        return Err(failed);
    }
    let settings = CycleSettings::default();
    let mut timeline = Vec::new();
    let mut before = snapshot(&store).await?;
    for cycle in 0..=CYCLES {
        let now = start + TimeDelta::minutes(cycle * CYCLE_MINUTES);
        for line in script(cycle, sim, clients, dir) {
            timeline.push((now, format!("[simulated] {line}")));
        }
        run_cycle(
            &store,
            prober,
            &LocalSecrets,
            &Selection::Due,
            now,
            &settings,
        )
        .await
        .map_err(|e| format!("the monitor cycle failed: {e}"))?;
        if cycle == 0 {
            // The expiry scan runs hourly when deployed; once is enough for the demo.
            run_scan(&store, now)
                .await
                .map_err(|e| format!("the expiry scan failed: {e}"))?;
        }
        let after = snapshot(&store).await?;
        timeline.extend(
            narrate(inventory, &before, &after)
                .into_iter()
                .map(|line| (now, line)),
        );
        before = after;
    }
    let end = start + TimeDelta::minutes(CYCLES * CYCLE_MINUTES);
    let records = store.list_integrations().await.map_err(|e| e.to_string())?;
    let open = store.open_incidents().await.map_err(|e| e.to_string())?;
    let problems = expected_end_state(&before);
    Ok(Monitor {
        timeline,
        status_table: status_table(
            &status_rows(&records.records, &records.unreadable, &open, end),
            end,
            width,
            colours,
        ),
        status: status_rows(&records.records, &records.unreadable, &open, end),
        problems,
    })
}

/// What happens in the simulated world before each cycle.
fn script(cycle: i64, sim: &Simulator, clients: &[DemoClient], dir: &Path) -> Vec<String> {
    let client = |id: &str| clients.iter().find(|c| c.id == id);
    match cycle {
        1 => {
            let Some(down) = client("web-collect-forms") else {
                return vec![];
            };
            sim.update_client(&down.client_id, |c| c.token = TokenBehaviour::Healthy);
            vec!["SFMC answers Web collect forms again: the outage lasted two minutes.".into()]
        }
        6 => {
            let Some(revoked) = client("loyalty-points-feed") else {
                return vec![];
            };
            // The owner copies the active secret from Installed Packages into the integration.
            let _ = std::fs::write(
                dir.join(format!("{}.secret", revoked.id)),
                &revoked.config.secret,
            );
            vec!["The loyalty team puts the active secret into the Loyalty points feed.".into()]
        }
        _ => vec![],
    }
}

#[derive(Clone, Default, PartialEq)]
struct Snapshot {
    health: BTreeMap<String, (Health, Option<OutcomeClass>)>,
    open: BTreeMap<String, Incident>,
}

async fn snapshot(store: &MemoryStore) -> Result<Snapshot, String> {
    let records = store.list_integrations().await.map_err(|e| e.to_string())?;
    let open = store.open_incidents().await.map_err(|e| e.to_string())?;
    Ok(Snapshot {
        health: records
            .records
            .into_iter()
            .map(|r| {
                let health = r.state.health();
                let class = [&r.state.auth, &r.state.monitor]
                    .into_iter()
                    .find(|t| t.health == health)
                    .and_then(|t| t.class);
                (r.integration.id, (health, class))
            })
            .collect(),
        open: open.into_iter().map(|i| (i.id.to_string(), i)).collect(),
    })
}

/// Plain-words lines for what changed between two snapshots.
fn narrate(inventory: &Inventory, before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let name = |id: &str| {
        inventory
            .integration(id)
            .map_or(id.to_string(), |i| i.name.clone())
    };
    let team = |id: &str| {
        inventory
            .team(id)
            .map_or(id.to_string(), |t| t.name.clone())
    };
    let mut lines = Vec::new();
    for (id, incident) in &after.open {
        match before.open.get(id) {
            None => lines.push(format!(
                "OPENED   {id}: {} — {}{} ({}) for {}",
                name(&incident.integration),
                incident.class,
                incident
                    .threshold_days
                    .map_or(String::new(), |d| format!(", {d}-day warning")),
                incident.severity.as_str(),
                team(&incident.team)
            )),
            Some(old) if old.class != incident.class => lines.push(format!(
                "UPDATED  {id}: now {} (was {})",
                incident.class, old.class
            )),
            Some(_) => {}
        }
    }
    let reopened: BTreeSet<&String> = after.open.keys().collect();
    for (id, incident) in &before.open {
        if !reopened.contains(id) {
            lines.push(format!(
                "RESOLVED {id}: {} works again",
                name(&incident.integration)
            ));
        }
    }
    for (id, (health, class)) in &after.health {
        let previous = before.health.get(id).map(|(h, _)| *h).unwrap_or_default();
        if previous == *health
            || *health == Health::Firing
            || (previous == Health::Recovering && *health == Health::Healthy)
        {
            continue;
        }
        let class = class.map_or(String::new(), |c| format!(" ({c})"));
        let what = match health {
            Health::Healthy if previous == Health::Unknown => continue,
            Health::Healthy => {
                "healthy again; it did not last long enough for an incident".to_string()
            }
            Health::Pending => format!("failing{class}; watching whether it lasts"),
            Health::Recovering => {
                "recovering: one good probe, one more resolves the incident".to_string()
            }
            Health::Firing | Health::Unknown => continue,
        };
        lines.push(format!("         {}: {what}", name(id)));
    }
    lines
}

/// The demo checks its own story: what must be open and resolved at the end.
fn expected_end_state(end: &Snapshot) -> Vec<String> {
    let mut problems = Vec::new();
    let open = |check: CheckKind| -> BTreeSet<&str> {
        end.open
            .values()
            .filter(|i| i.check == check)
            .map(|i| i.integration.as_str())
            .collect()
    };
    let auth = open(CheckKind::Auth);
    for must_fire in [
        "journey-orchestrator",
        "emea-preference-sync",
        "analytics-export",
        "triggered-send-api",
    ] {
        if !auth.contains(must_fire) {
            problems.push(format!(
                "{must_fire} should have an open auth incident at the end of the demo"
            ));
        }
    }
    for must_not in [
        "crm-contact-sync",
        "web-collect-forms",
        "loyalty-points-feed",
    ] {
        if auth.contains(must_not) {
            problems.push(format!(
                "{must_not} should have no open auth incident at the end of the demo"
            ));
        }
    }
    let expiry = open(CheckKind::Expiry);
    for integration in DEMO_INTEGRATIONS {
        let due = match integration.dates {
            SecretDates::ExpiresInDays(days) => days <= 30,
            SecretDates::RotatedDaysAgo(days) => 180 - days <= 30,
            SecretDates::Unknown => true,
        };
        if due != expiry.contains(integration.id) {
            let not = if due { "" } else { "not " };
            problems.push(format!(
                "{} should {not}have an open expiry incident",
                integration.id
            ));
        }
    }
    problems
}

/// The demo inventory: every integration points at the simulator, and its secret sits in a file.
fn demo_inventory_yaml(
    clients: &[DemoClient],
    base_url: &str,
    dir: &Path,
    start_day: NaiveDate,
) -> String {
    let mut yaml = String::from(
        "version: 1\n\
         teams:\n\
         \x20 - { id: crm-ops, name: CRM Operations, timezone: America/New_York }\n\
         \x20 - { id: marketing-ops, name: Marketing Operations, timezone: Europe/London }\n\
         \x20 - { id: it-security, name: IT Security }\n\
         integrations:\n",
    );
    for client in clients {
        let secret_file = dir.join(format!("{}.secret", client.id));
        if let Err(err) = std::fs::write(&secret_file, &client.sent_secret) {
            warn(&format!(
                "credwatch demo: cannot write {}: {err}",
                secret_file.display()
            ));
        }
        let Some(meta) = DEMO_INTEGRATIONS.iter().find(|d| d.id == client.id) else {
            continue;
        };
        let DemoIntegration {
            name,
            owner,
            severity,
            depends_on,
            dates,
            ..
        } = meta;
        let _ = writeln!(yaml, "  - id: {}", client.id);
        let _ = writeln!(yaml, "    name: {name}");
        let _ = writeln!(yaml, "    owner: {owner}");
        let _ = writeln!(yaml, "    severity: {severity}");
        let _ = writeln!(yaml, "    auth_url: {base_url}");
        let _ = writeln!(yaml, "    client_id: {}", client.client_id);
        let _ = writeln!(
            yaml,
            "    client_secret: {{ file: {:?} }}",
            secret_file.display().to_string()
        );
        let _ = writeln!(yaml, "    depends_on: [{depends_on:?}]");
        let _ = writeln!(yaml, "    records_per_hour: 2000");
        match dates {
            SecretDates::ExpiresInDays(days) => {
                let _ = writeln!(
                    yaml,
                    "    secret_expires_at: {}",
                    start_day + TimeDelta::days(*days)
                );
            }
            SecretDates::RotatedDaysAgo(days) => {
                let _ = writeln!(
                    yaml,
                    "    secret_rotated_at: {}",
                    start_day - TimeDelta::days(*days)
                );
            }
            SecretDates::Unknown => {}
        }
        if let Some(mid) = client.expected_account_id {
            let _ = writeln!(yaml, "    account_id: {mid}");
        }
        if !client.expected_scopes.is_empty() {
            let _ = writeln!(
                yaml,
                "    expected_scopes: [{}]",
                client.expected_scopes.join(", ")
            );
        }
    }
    yaml
}

/// A private scratch directory for the demo's secret files, removed when the demo ends.
struct DemoDir(PathBuf);

impl DemoDir {
    fn create() -> DemoDir {
        let path = std::env::temp_dir().join(format!("credwatch-demo-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&path);
        DemoDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
