//! Commands that operate a deployment through its DynamoDB table: `table create`,
//! `inventory plan|apply`, `status`. They use the standard AWS environment (profile or keys,
//! `AWS_REGION`, and `AWS_ENDPOINT_URL` for an emulator).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use credwatch::check::Health;
use credwatch::expiry::{days_until, expiry_date};
use credwatch::inventory::LoadOptions;
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::schema::{create_table, table_spec};
use credwatch::store::{Incident, IntegrationRecord, Store, UnreadableIntegration};
use credwatch::sync::{ItemResult, SyncPlan, apply, plan};
use serde::Serialize;

use crate::check::{load_or_report, terminal_width};
use crate::{EXIT_FAILING, EXIT_INVALID, EXIT_OK, Format};

/// AWS configuration from the environment, or a message saying what is missing.
async fn aws() -> Result<aws_config::SdkConfig, String> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    if config.region().is_none() {
        return Err(
            "no AWS region is configured; set AWS_REGION (or a profile with a region)".to_string(),
        );
    }
    Ok(config)
}

async fn store(table: &str) -> Result<DynamoStore, String> {
    let config = aws().await?;
    Ok(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&config),
        table.to_string(),
    ))
}

/// `credwatch table create --table NAME`.
pub async fn table_create(table: &str) -> u8 {
    let config = match aws().await {
        Ok(config) => config,
        Err(message) => return fail(&message, EXIT_INVALID),
    };
    let client = aws_sdk_dynamodb::Client::new(&config);
    match create_table(&client, table).await {
        Ok(()) => {
            let spec = table_spec();
            println!(
                "Created table {table}: keys {}/{}, index {} (open incidents), TTL on {} (probe history), stream of changes.",
                spec.partition_key, spec.sort_key, spec.gsi_name, spec.ttl_attribute
            );
            EXIT_OK
        }
        Err(err) => fail(
            &format!("could not create table {table}: {err}"),
            EXIT_FAILING,
        ),
    }
}

/// `credwatch inventory plan|apply FILE --table NAME [--prune]`.
pub async fn inventory_sync(
    file: &Path,
    table: &str,
    prune: bool,
    execute: bool,
    format: Format,
) -> u8 {
    let Some(inventory) = load_or_report(file, &LoadOptions::from_env()) else {
        return EXIT_INVALID;
    };
    let store = match store(table).await {
        Ok(store) => store,
        Err(message) => return fail(&message, EXIT_INVALID),
    };
    let current = match tokio::try_join!(store.list_integrations(), store.list_teams()) {
        Ok(current) => current,
        Err(err) => {
            return fail(
                &format!("could not read table {table}: {err}"),
                EXIT_FAILING,
            );
        }
    };
    let (listing, teams) = current;
    for bad in &listing.unreadable {
        eprintln!(
            "credwatch: warning: the table item of integration {} cannot be read ({bad})",
            bad.id
        );
    }
    let sync_plan = plan(
        &inventory,
        &listing.records,
        &listing.unreadable,
        &teams,
        prune,
    );
    let results = if execute {
        apply(&store, &inventory, &sync_plan, Utc::now()).await
    } else {
        Vec::new()
    };
    let failed: Vec<&ItemResult> = results.iter().filter(|r| r.error.is_some()).collect();
    match format {
        Format::Json => {
            let report = serde_json::json!({
                "applied": execute,
                "table": table,
                "plan": sync_plan,
                "results": results,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&report).expect("plan serializes")
            );
        }
        Format::Table => {
            print!("{}", describe_plan(&sync_plan, table, execute));
            for result in &failed {
                println!(
                    "  ! {}: not {}: {}",
                    result.item,
                    result.action,
                    result.error.as_deref().unwrap_or_default()
                );
            }
        }
    }
    if failed.is_empty() {
        EXIT_OK
    } else {
        fail(
            &format!(
                "{} of {} changes to {table} failed (listed above); the others were applied. \
                 Fix the cause and run apply again: it finishes what is left",
                failed.len(),
                results.len()
            ),
            EXIT_FAILING,
        )
    }
}

fn describe_plan(plan: &SyncPlan, table: &str, applied: bool) -> String {
    let mut lines = Vec::new();
    let verb = |future: &'static str, past: &'static str| if applied { past } else { future };
    for id in &plan.added {
        lines.push(format!(
            "  + {id}: {}",
            verb(
                "will be added and probed on the next run",
                "added; probed on the next run"
            )
        ));
    }
    for id in &plan.reactivated {
        lines.push(format!(
            "  + {id}: {}",
            verb(
                "is back in the inventory and will be probed again",
                "reactivated"
            )
        ));
    }
    for change in &plan.changed {
        lines.push(format!(
            "  ~ {}: {} {}",
            change.id,
            change.fields.join(", "),
            verb("will change", "changed")
        ));
    }
    for id in &plan.retired {
        lines.push(format!(
            "  - {id}: {} (its state, history and incidents are kept; --prune deletes them)",
            verb(
                "is not in the inventory and will no longer be probed",
                "retired"
            )
        ));
    }
    for id in &plan.pruned {
        lines.push(format!(
            "  x {id}: {}",
            verb(
                "will be deleted with its state, history and incidents",
                "deleted"
            )
        ));
    }
    for id in &plan.repaired {
        lines.push(format!(
            "  ! {id}: {}",
            verb(
                "cannot be read from the table and will be rewritten from the inventory (its checks start afresh)",
                "rewritten from the inventory; its checks start afresh"
            )
        ));
    }
    for id in &plan.unreadable {
        lines.push(format!(
            "  ? {id}: cannot be read from the table and is not in the inventory; --prune deletes it"
        ));
    }
    for id in &plan.teams_added {
        lines.push(format!("  + team {id}"));
    }
    for id in &plan.teams_changed {
        lines.push(format!("  ~ team {id}"));
    }
    for id in &plan.teams_removed {
        lines.push(format!("  - team {id}"));
    }
    let header = if plan.is_empty() {
        format!(
            "Table {table} already matches the inventory ({} integrations).\n",
            plan.unchanged
        )
    } else if applied {
        format!("Applied to table {table} ({} unchanged):\n", plan.unchanged)
    } else {
        format!(
            "Plan for table {table} ({} unchanged; run `credwatch inventory apply` to make these changes):\n",
            plan.unchanged
        )
    };
    let mut text = header;
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// One element of `credwatch status --format json`.
#[derive(Serialize)]
pub struct StatusRow {
    pub integration: String,
    pub name: String,
    pub owner: String,
    pub health: &'static str,
    pub class: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub last_probe_at: Option<DateTime<Utc>>,
    pub next_probe_at: Option<DateTime<Utc>>,
    pub days_to_expiry: Option<i64>,
    pub retired: bool,
    pub open_incidents: Vec<IncidentRow>,
    /// Why the integration's table item cannot be read (`health` is then `unreadable`).
    pub problem: Option<String>,
}

#[derive(Serialize)]
pub struct IncidentRow {
    pub id: String,
    pub check: &'static str,
    pub class: String,
    pub severity: &'static str,
    pub opened_at: DateTime<Utc>,
    pub threshold_days: Option<u32>,
}

/// Pure: status rows from the integrations and the open incidents; unreadable items last,
/// with health `unreadable` and the reason.
pub fn status_rows(
    records: &[IntegrationRecord],
    unreadable: &[UnreadableIntegration],
    open: &[Incident],
    now: DateTime<Utc>,
) -> Vec<StatusRow> {
    let mut by_integration: BTreeMap<&str, Vec<&Incident>> = BTreeMap::new();
    for incident in open {
        by_integration
            .entry(incident.integration.as_str())
            .or_default()
            .push(incident);
    }
    records
        .iter()
        .map(|record| {
            let state = &record.state;
            let health = state.health();
            // The class shown is the failing one when there is one, else the last probe's.
            let failing = [&state.auth, &state.monitor]
                .into_iter()
                .find(|t| t.health.needs_recheck())
                .and_then(|t| t.class);
            // Since when the integration has been as it is: healthy since the later of its
            // tracks recovered; failing since the earlier of them started failing.
            let sinces = [&state.auth, &state.monitor]
                .into_iter()
                .filter(|t| t.health == health)
                .filter_map(|t| t.since);
            let since = if health.needs_recheck() {
                sinces.min()
            } else {
                sinces.max()
            };
            StatusRow {
                integration: record.integration.id.clone(),
                name: record.integration.name.clone(),
                owner: record.integration.owner.clone(),
                health: health.as_str(),
                class: failing.or(state.last_class).map(|c| c.as_str().to_string()),
                since,
                last_probe_at: state.last_probe_at,
                next_probe_at: state.next_probe_at,
                days_to_expiry: expiry_date(&record.integration, record.secret_rotated_seen_at)
                    .map(|date| days_until(date, now.date_naive())),
                retired: record.retired,
                open_incidents: incident_rows(&by_integration, &record.integration.id),
                problem: None,
            }
        })
        .chain(unreadable.iter().map(|bad| StatusRow {
            integration: bad.id.clone(),
            name: bad.id.clone(),
            owner: String::new(),
            health: UNREADABLE,
            class: Some(credwatch::corrupt::CORRUPT_ITEM.to_string()),
            since: None,
            last_probe_at: None,
            next_probe_at: None,
            days_to_expiry: None,
            retired: false,
            open_incidents: incident_rows(&by_integration, &bad.id),
            problem: Some(format!(
                "credwatch cannot read its table item: {bad}; `inventory apply` rewrites it, --prune deletes it"
            )),
        }))
        .collect()
}

/// `health` of a status row whose table item cannot be read.
pub const UNREADABLE: &str = "unreadable";

fn incident_rows(by_integration: &BTreeMap<&str, Vec<&Incident>>, id: &str) -> Vec<IncidentRow> {
    by_integration
        .get(id)
        .into_iter()
        .flatten()
        .map(|i| IncidentRow {
            id: i.id.clone(),
            check: i.check.as_str(),
            class: i.class.clone(),
            severity: i.severity.as_str(),
            opened_at: i.opened_at,
            threshold_days: i.threshold_days,
        })
        .collect()
}

/// `credwatch status --table NAME`.
pub async fn status(table: &str, format: Format) -> u8 {
    let store = match store(table).await {
        Ok(store) => store,
        Err(message) => return fail(&message, EXIT_INVALID),
    };
    let (records, open) = match tokio::try_join!(store.list_integrations(), store.open_incidents())
    {
        Ok(found) => found,
        Err(err) => {
            return fail(
                &format!("could not read table {table}: {err}"),
                EXIT_FAILING,
            );
        }
    };
    for bad in &records.unreadable {
        eprintln!(
            "credwatch: warning: the table item of integration {} cannot be read ({bad}); it is \
             not probed until `inventory apply` rewrites it",
            bad.id
        );
    }
    let rows = status_rows(&records.records, &records.unreadable, &open, Utc::now());
    if rows.is_empty() && format == Format::Table {
        println!(
            "Table {table} holds no integrations yet; run `credwatch inventory apply FILE --table {table}`."
        );
        return EXIT_OK;
    }
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("status serializes")
        ),
        Format::Table => print!("{}", status_table(&rows, Utc::now())),
    }
    EXIT_OK
}

pub fn status_table(rows: &[StatusRow], now: DateTime<Utc>) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(terminal_width())
        .set_header([
            "Integration",
            "Health",
            "Since",
            "Last probe",
            "Next probe",
            "Secret expires",
            "Open incidents",
        ]);
    for row in rows {
        if let Some(problem) = &row.problem {
            table.add_row(vec![
                Cell::new(&row.integration),
                Cell::new(row.health).fg(Color::Magenta),
                Cell::new("-"),
                Cell::new("-"),
                Cell::new("-"),
                Cell::new("-"),
                Cell::new(problem),
            ]);
            continue;
        }
        let health = Health::parse(row.health).unwrap_or_default();
        let color = match health {
            Health::Healthy => Color::Green,
            Health::Pending | Health::Recovering => Color::Yellow,
            Health::Firing => Color::Red,
            Health::Unknown => Color::Grey,
        };
        let verdict = match &row.class {
            Some(class) if health != Health::Healthy => format!("{}\n{class}", row.health),
            _ => row.health.to_string(),
        };
        let incidents: Vec<String> = row
            .open_incidents
            .iter()
            .map(|i| {
                let number = i.id.rsplit(':').next().unwrap_or(&i.id);
                let class = match i.threshold_days {
                    Some(days) if i.class == credwatch::expiry::SECRET_EXPIRING => {
                        format!("{} ({days} d)", i.class)
                    }
                    _ => i.class.clone(),
                };
                format!(
                    "{} #{number} {class}\n{}, opened {}",
                    i.check,
                    i.severity,
                    ago(i.opened_at, now)
                )
            })
            .collect();
        let name = if row.retired {
            format!("{}\n{} (retired)", row.name, row.integration)
        } else {
            format!("{}\n{}", row.name, row.integration)
        };
        table.add_row(vec![
            Cell::new(name),
            Cell::new(verdict).fg(color),
            Cell::new(row.since.map_or("-".to_string(), |t| ago(t, now))),
            Cell::new(
                row.last_probe_at
                    .map_or("never".to_string(), |t| ago(t, now)),
            ),
            Cell::new(row.next_probe_at.map_or("-".to_string(), |t| until(t, now))),
            Cell::new(match row.days_to_expiry {
                None => "unknown".to_string(),
                Some(d) if d < 0 => format!("expired {} days ago", -d),
                Some(0) => "today".to_string(),
                Some(d) => format!("in {d} days"),
            }),
            Cell::new(incidents.join("\n")),
        ]);
    }
    let firing = rows.iter().filter(|r| r.health == "firing").count();
    format!("{table}\n{} integrations, {firing} firing.\n", rows.len())
}

/// "5 min ago", "3 h ago", "2 days ago".
fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match span((now - at).num_seconds()) {
        None => "just now".to_string(),
        Some(span) => format!("{span} ago"),
    }
}

/// "in 3 min", "due now".
fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match span((at - now).num_seconds()) {
        None => "due now".to_string(),
        Some(span) => format!("in {span}"),
    }
}

/// "45 s", "12 min", "3 h", "2 days"; `None` under 5 seconds (or negative).
fn span(secs: i64) -> Option<String> {
    Some(match secs {
        s if s < 5 => return None,
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    })
}

fn fail(message: &str, code: u8) -> u8 {
    eprintln!("credwatch: {message}");
    code
}
