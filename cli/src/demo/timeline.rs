//! Step 2 of `credwatch demo`: the deployed monitor's cycle over simulated time on an in-memory
//! store, narrated as what opens, what does not, and what resolves; and the end state the
//! story must reach.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::CheckKind;
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::state::Health;
use credwatch::inventory::Inventory;
use credwatch::jobs::expiry_scan::run_scan;
use credwatch::jobs::inventory_sync;
use credwatch::jobs::probe_cycle::{CycleSettings, Selection, run_cycle};
use credwatch::probe::Prober;
use credwatch::secrets::LocalSecrets;
use credwatch::store::memory::MemoryStore;
use credwatch::store::{Incident, Incidents, Integrations};
use credwatch_sim::{DemoClient, Simulator};

use super::delivery::{self, Mailroom};
use super::oncall;
use super::tenant::{DEMO_INTEGRATIONS, SecretDates, demo_start, script};
use crate::ops::{StatusRow, status_rows, status_table};

/// Simulated minutes between monitor cycles (the default `recheck_every`).
pub const CYCLE_MINUTES: i64 = 2;
/// Cycles after the first one: the timeline covers `CYCLES * CYCLE_MINUTES` simulated minutes.
pub const CYCLES: i64 = 9;

/// What step 2 produced.
pub struct Monitor {
    /// What happened, in order: (simulated time, one line in plain words).
    pub timeline: Vec<(DateTime<Utc>, String)>,
    /// The status rows at the end, as `credwatch status --format json` shows them.
    pub status: Vec<StatusRow>,
    /// The status table at the end, as `credwatch status` shows it.
    pub status_table: String,
    /// Every message the alert fan-out published, in order.
    pub sent: Vec<credwatch::notify::publish::PublishRequest>,
    /// Step 4: five hours on call after the timeline.
    pub on_call: oncall::OnCall,
    /// Where the end state differs from the story (empty when the demo went as scripted).
    pub problems: Vec<String>,
    /// The store at the end of step 4 (step 5 goes on with it).
    pub store: MemoryStore,
    /// The fan-out of steps 2-4 (step 5 goes on with it).
    pub mailroom: Mailroom,
    /// The simulated time at the end of step 4.
    pub end: DateTime<Utc>,
}

/// Runs the monitor's cycle every [`CYCLE_MINUTES`] simulated minutes on an in-memory store,
/// changing the simulated world on the way, and narrates what changes. `(width, colours)` lay
/// out the final status table. Errors: the store or a job failing, said in one line.
pub async fn monitor_timeline(
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
    let mut mailroom = Mailroom::default();
    let (mut opened, mut resolved) = (Vec::new(), Vec::new());
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
        // What the table's stream would carry goes through the deployed fan-out.
        mailroom.deliver(&store, now).await;
        let after = snapshot(&store).await?;
        for (id, incident) in &after.open {
            if !before.open.contains_key(id) {
                opened.push((id.clone(), incident.team.clone()));
            }
        }
        resolved.extend(
            before
                .open
                .keys()
                .filter(|id| !after.open.contains_key(*id))
                .cloned(),
        );
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
    let sent = mailroom.sent();
    let mut problems = expected_end_state(&before);
    problems.append(&mut mailroom.problems);
    problems.extend(delivery::check(&sent, &opened, &resolved));
    let status = status_rows(&records.records, &records.unreadable, &open, end);
    // Step 4 starts from this end state.
    let on_call = oncall::on_call(&store, &mut mailroom, end).await;
    problems.extend(oncall::check(&on_call));
    Ok(Monitor {
        sent,
        on_call,
        timeline,
        status_table: status_table(
            &status_rows(&records.records, &records.unreadable, &open, end),
            end,
            width,
            colours,
        ),
        status,
        problems,
        store,
        mailroom,
        end: end + TimeDelta::minutes(oncall::MINUTES),
    })
}

/// The integrations' health and the open incidents at one moment.
#[derive(Clone, Default, PartialEq)]
struct Snapshot {
    health: BTreeMap<String, (Health, Option<OutcomeClass>)>,
    open: BTreeMap<String, Incident>,
}

/// The store's [`Snapshot`] now.
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
