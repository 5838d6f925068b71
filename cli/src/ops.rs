//! Commands that operate a deployment through its DynamoDB table: `table create`,
//! `inventory plan|apply`, `status`. They use the standard AWS environment (profile or keys,
//! `AWS_REGION`, and `AWS_ENDPOINT_URL` for an emulator).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use comfy_table::Color;
use credwatch::domain::incident::IncidentClass;
use credwatch::domain::state::Health;
use credwatch::inventory::{LoadOptions, load_inventory};
use credwatch::jobs::inventory_sync::{ItemResult, SyncPlan, apply, plan};
use credwatch::rules::expiry::{days_until, expiry_date};
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::dynamo::{create_table, table_spec};
use credwatch::store::{
    Incident, IncidentListing, Incidents, IntegrationRecord, Integrations, Teams,
    UnreadableIntegration, UnreadableItem,
};
use credwatch::text::printable::{self, escape};
use serde::Serialize;

use crate::aws_trouble::{self, Target, Trouble, store_error_line};
use crate::check::{report_loaded, with_secret_layout};
use crate::output::{Stdout, stdout_colours, table_width, warn};
use crate::render::{Grid, lay_out, wrap};
use crate::routing;
use crate::{EXIT_FAILING, EXIT_INVALID, EXIT_OK, Format};

/// The table's store, once AWS is configured and the table is there (a `DescribeTable` first,
/// so that a missing table, missing access or an unreachable endpoint is told as such).
async fn store(table: &str) -> Result<DynamoStore, Trouble> {
    let config = aws_trouble::configured().await?;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let target = Target::new(&config, table);
    client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|err| aws_trouble::describe(&err, "DescribeTable", &target))?;
    Ok(DynamoStore::new(client, table.to_string()))
}

/// `credwatch table create --table NAME`.
pub async fn table_create(table: &str) -> u8 {
    let config = match aws_trouble::configured().await {
        Ok(config) => config,
        Err(trouble) => return fail(&trouble),
    };
    let client = aws_sdk_dynamodb::Client::new(&config);
    let target = Target::new(&config, table);
    match client.describe_table().table_name(table).send().await {
        Ok(_) => {
            return fail(&Trouble {
                message: format!(
                    "DynamoDB table {} already exists in {}; use it as is, or choose another name",
                    target.table, target.region
                ),
                code: EXIT_FAILING,
            });
        }
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) => {}
        Err(err) => return fail(&aws_trouble::describe(&err, "DescribeTable", &target)),
    }
    let mut out = Stdout::new();
    match create_table(&client, table).await {
        Ok(()) => {
            let spec = table_spec();
            out.line(&format!(
                "Created table {}: keys {}/{}, index {} (open incidents), TTL on {} (probe history), stream of changes.",
                target.table, spec.partition_key, spec.sort_key, spec.gsi_name, spec.ttl_attribute
            ));
            out.finish(EXIT_OK)
        }
        Err(err) => fail(&Trouble {
            message: format!(
                "could not create table {}: {}",
                target.table,
                store_error_line(err.message())
            ),
            code: EXIT_FAILING,
        }),
    }
}

/// `credwatch inventory plan|apply FILE --table NAME [--prune] [--topic ARN]`.
pub async fn inventory_sync(
    file: &Path,
    table: &str,
    secret_prefix: Option<&str>,
    prune: bool,
    topic: Option<&str>,
    execute: bool,
    format: Format,
) -> u8 {
    let loaded = with_secret_layout(
        load_inventory(file, &LoadOptions::from_env()),
        secret_prefix,
        true,
    );
    let Some(inventory) = report_loaded(file, loaded, "nothing was written") else {
        return EXIT_INVALID;
    };
    let store = match store(table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let shown = printable::echo(table);
    let current = match tokio::try_join!(store.list_integrations(), store.list_teams()) {
        Ok(current) => current,
        Err(err) => return fail_reading(&shown, err.message()),
    };
    let (listing, teams) = current;
    for bad in &listing.unreadable {
        warn(&format!(
            "credwatch: warning: the table item of integration {} cannot be read ({})",
            printable::echo(&bad.id),
            escape(&bad.to_string())
        ));
    }
    let mut sync_plan = plan(
        &inventory,
        &listing.records,
        &listing.unreadable,
        &teams,
        prune,
    );
    // Subscriptions first: a removed team's subscriptions are known as credwatch's by the
    // team the table still holds, so the team is removed only once they are gone.
    let (subscriptions, mut results) = match routing::sync(topic, &inventory, &teams, execute).await
    {
        Ok(done) => done,
        Err(trouble) => return fail(&trouble),
    };
    if results.iter().any(|r| r.error.is_some()) {
        sync_plan.teams_removed.clear();
    }
    if execute {
        results.extend(apply(&store, &inventory, &sync_plan, Utc::now()).await);
    }
    let failed: Vec<&ItemResult> = results.iter().filter(|r| r.error.is_some()).collect();
    let mut out = Stdout::new();
    match format {
        Format::Json => {
            let report = serde_json::json!({
                "applied": execute,
                "table": table,
                "plan": sync_plan,
                "topic": topic,
                "subscriptions": subscriptions,
                "results": results,
            });
            out.line(&serde_json::to_string_pretty(&report).expect("plan serializes"));
        }
        Format::Table => {
            out.print(&describe_plan(&sync_plan, &shown, execute));
            match (&subscriptions, topic) {
                (Some(planned), Some(topic)) => {
                    out.print(&routing::describe_subscriptions(planned, topic, execute))
                }
                _ => out.line(routing::NO_TOPIC),
            }
            for result in &failed {
                out.line(&format!(
                    "  ! {}: not {}: {}",
                    printable::echo(&result.item),
                    result.action,
                    escape(&store_error_line(
                        result.error.as_deref().unwrap_or_default()
                    ))
                ));
            }
        }
    }
    if failed.is_empty() {
        out.finish(EXIT_OK)
    } else {
        let code = out.finish(EXIT_FAILING);
        warn(&format!(
            "credwatch: {} of {} changes to {shown} failed (listed above); the others were applied. \
             Fix the cause and run apply again: it finishes what is left",
            failed.len(),
            results.len()
        ));
        code
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
    // Ids read back from the table are printed escaped, like everything else from outside.
    for line in lines {
        text.push_str(&escape(&line));
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
                // A retired integration is never probed again, whatever its state says.
                next_probe_at: state.next_probe_at.filter(|_| !record.retired),
                days_to_expiry: expiry_date(&record.integration, record.secret_rotated_seen_at)
                    .map(|date| days_until(date, now.date_naive())),
                retired: record.retired,
                open_incidents: incident_rows(&by_integration, &record.integration.id),
                problem: None,
            }
        })
        .chain(unreadable.iter().map(|bad| {
            unreadable_row(
                bad.id.clone(),
                incident_rows(&by_integration, &bad.id),
                format!(
                    "credwatch cannot read its table item: {bad}; `inventory apply` rewrites it, --prune deletes it"
                ),
            )
        }))
        .collect()
}

/// The row of an integration whose table item cannot be read: only its id (from the key),
/// its open incidents and why.
fn unreadable_row(id: String, open_incidents: Vec<IncidentRow>, problem: String) -> StatusRow {
    StatusRow {
        integration: id.clone(),
        name: id,
        owner: String::new(),
        health: UNREADABLE,
        class: Some(IncidentClass::CorruptItem.to_string()),
        since: None,
        last_probe_at: None,
        next_probe_at: None,
        days_to_expiry: None,
        retired: false,
        open_incidents,
        problem: Some(problem),
    }
}

/// Pure: says on each integration's row which of its open incident items cannot be read (the
/// integration may be firing with no incident shown); an item whose key names no listed
/// integration gets a row of its own.
pub fn mark_unreadable_incidents(rows: &mut Vec<StatusRow>, unreadable: &[UnreadableItem]) {
    for bad in unreadable {
        let id = bad.integration.clone().unwrap_or_else(|| bad.key.clone());
        let note = format!(
            "credwatch cannot read an open incident of it ({bad}); that incident is not shown \
             until the item is fixed or deleted"
        );
        match rows.iter_mut().find(|row| row.integration == id) {
            Some(row) => {
                row.problem = Some(match row.problem.take() {
                    Some(earlier) => format!("{earlier}; {note}"),
                    None => note,
                })
            }
            None => rows.push(unreadable_row(id, Vec::new(), note)),
        }
    }
}

/// `health` of a status row whose table item cannot be read.
pub const UNREADABLE: &str = "unreadable";

fn incident_rows(by_integration: &BTreeMap<&str, Vec<&Incident>>, id: &str) -> Vec<IncidentRow> {
    by_integration
        .get(id)
        .into_iter()
        .flatten()
        .map(|i| IncidentRow {
            id: i.id.to_string(),
            check: i.check.as_str(),
            class: i.class.to_string(),
            severity: i.severity.as_str(),
            opened_at: i.opened_at,
            threshold_days: i.threshold_days,
        })
        .collect()
}

/// `credwatch status --table NAME [--topic ARN]`.
pub async fn status(table: &str, topic: Option<&str>, format: Format) -> u8 {
    let store = match store(table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let routing = match topic {
        None => None,
        Some(topic) => match routing::status(&store, topic).await {
            Ok(seen) => Some((topic, seen)),
            Err(trouble) => return fail(&trouble),
        },
    };
    let shown = printable::echo(table);
    let (records, open) =
        match tokio::try_join!(store.list_integrations(), store.open_incident_listing()) {
            Ok(found) => found,
            Err(err) => return fail_reading(&shown, err.message()),
        };
    let IncidentListing {
        incidents: open,
        unreadable: unreadable_incidents,
    } = open;
    for bad in &unreadable_incidents {
        warn(&format!(
            "credwatch: warning: an open incident{} cannot be read ({}); it is not shown",
            bad.integration
                .as_deref()
                .map(|id| format!(" of integration {}", printable::echo(id)))
                .unwrap_or_default(),
            escape(&bad.to_string())
        ));
    }
    for bad in &records.unreadable {
        warn(&format!(
            "credwatch: warning: the table item of integration {} cannot be read ({}); it is \
             not probed until `inventory apply` rewrites it",
            printable::echo(&bad.id),
            escape(&bad.to_string())
        ));
    }
    let mut rows = status_rows(&records.records, &records.unreadable, &open, Utc::now());
    mark_unreadable_incidents(&mut rows, &unreadable_incidents);
    let mut out = Stdout::new();
    if rows.is_empty() && format == Format::Table && routing.is_none() {
        out.line(&format!(
            "Table {shown} holds no integrations yet; run `credwatch inventory apply FILE --table {shown}`."
        ));
        return out.finish(EXIT_OK);
    }
    match (format, &routing) {
        (Format::Json, None) => {
            out.line(&serde_json::to_string_pretty(&rows).expect("status serializes"))
        }
        (Format::Json, Some((topic, seen))) => out.line(
            &serde_json::to_string_pretty(&routing::status_json(&rows, topic, seen))
                .expect("status serializes"),
        ),
        (Format::Table, _) => {
            out.print(&status_table(
                &rows,
                Utc::now(),
                table_width(),
                stdout_colours(),
            ));
            if let Some((topic, seen)) = &routing {
                out.print(&routing::describe_reachability(seen, topic));
            }
        }
    }
    out.finish(EXIT_OK)
}

/// The status table, laid out for `width` columns (seven when they fit, else two, else one),
/// styled only if `colours`. Ids and classes are never broken; text from the table is escaped.
pub fn status_table(rows: &[StatusRow], now: DateTime<Utc>, width: u16, colours: bool) -> String {
    let mut wide = Grid::new(vec![
        "Integration",
        "Health",
        "Since",
        "Last probe",
        "Next probe",
        "Secret expires",
        "Open incidents",
    ]);
    let mut two = Grid::new(vec!["Integration", "State"]);
    let mut one = Grid::new(vec!["Integration and state"]);
    for row in rows {
        if let Some(problem) = row.problem.as_ref().filter(|_| row.health == UNREADABLE) {
            // An item credwatch cannot read: only its id (from the key) and why.
            let id = escape(&row.integration).into_owned();
            let problem = escape(problem).into_owned();
            let whole: [&str; 2] = [&id, row.health];
            wide.row(
                vec![
                    id.clone(),
                    row.health.to_string(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    problem.clone(),
                ],
                Color::Magenta,
                &[&[&id], &[row.health], &[], &[], &[], &[], &[]],
            );
            let left = format!("{id}\n{}", row.health);
            two.row(
                vec![left.clone(), problem.clone()],
                Color::Magenta,
                &[&whole, &[]],
            );
            one.row(
                vec![format!("{left}\n{problem}")],
                Color::Magenta,
                &[&whole],
            );
            continue;
        }
        let health = Health::parse(row.health).unwrap_or_default();
        let color = match health {
            Health::Healthy => Color::Green,
            Health::Pending | Health::Recovering => Color::Yellow,
            Health::Firing => Color::Red,
            Health::Unknown => Color::Grey,
        };
        let class = row.class.as_deref().map(|c| escape(c).into_owned());
        let verdict = match &class {
            Some(class) if health != Health::Healthy => format!("{}\n{class}", row.health),
            _ => row.health.to_string(),
        };
        let mut incident_classes = Vec::new();
        let incidents: Vec<String> = row
            .open_incidents
            .iter()
            .map(|i| {
                let number = i.id.rsplit(':').next().unwrap_or(&i.id);
                let class = escape(&i.class).into_owned();
                let shown = match i.threshold_days {
                    Some(days) if i.class == IncidentClass::SecretExpiring.as_str() => {
                        format!("{class} ({days}d)")
                    }
                    _ => class.clone(),
                };
                incident_classes.push(class);
                format!(
                    "{} #{} {shown}\n{}, opened {}",
                    i.check,
                    escape(number),
                    i.severity,
                    ago(i.opened_at, now)
                )
            })
            .collect();
        // A readable integration with a problem (an open incident that cannot be read): said
        // where its incidents are listed.
        let incidents: Vec<String> = incidents
            .into_iter()
            .chain(row.problem.as_deref().map(|p| escape(p).into_owned()))
            .collect();
        let id = escape(&row.integration).into_owned();
        let retired = if row.retired { " (retired)" } else { "" };
        let name = format!("{}\n{id}{retired}", escape(&row.name));
        let since = row.since.map_or("-".to_string(), |t| ago(t, now));
        let last = row
            .last_probe_at
            .map_or("never".to_string(), |t| ago(t, now));
        let next = row.next_probe_at.map_or("-".to_string(), |t| until(t, now));
        let expires = match row.days_to_expiry {
            None => "unknown".to_string(),
            Some(d) if d < 0 => format!("expired {} days ago", -d),
            Some(0) => "today".to_string(),
            Some(d) => format!("in {d} days"),
        };
        let classes: Vec<&str> = incident_classes.iter().map(String::as_str).collect();
        let mut left_whole: Vec<&str> = vec![&id, row.health];
        left_whole.extend(class.as_deref());
        wide.row(
            vec![
                name.clone(),
                verdict.clone(),
                since.clone(),
                last.clone(),
                next.clone(),
                expires.clone(),
                incidents.join("\n"),
            ],
            color,
            &[&[&id], &left_whole[1..], &[], &[], &[], &[], &classes],
        );
        let mut state = format!(
            "since: {since}\nlast probe: {last}\nnext probe: {next}\nsecret expires: {expires}"
        );
        if !incidents.is_empty() {
            state.push_str(&format!("\nopen: {}", incidents.join("\nopen: ")));
        }
        let left = format!("{name}\n{verdict}");
        two.row(
            vec![left.clone(), state.clone()],
            color,
            &[&left_whole, &classes],
        );
        let mut all_whole = left_whole.clone();
        all_whole.extend(&classes);
        one.row(vec![format!("{left}\n{state}")], color, &[&all_whole]);
    }
    let table = lay_out(vec![wide, two, one], width, colours);
    let firing = rows.iter().filter(|r| r.health == "firing").count();
    let summary = format!("{} integrations, {firing} firing.", rows.len());
    format!("{table}\n{}\n", wrap(&summary, width))
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

/// Says what went wrong in one line on stderr; returns its exit code.
fn fail(trouble: &Trouble) -> u8 {
    warn(&format!("credwatch: {}", trouble.message));
    trouble.code
}

fn fail_reading(table: &str, error: &str) -> u8 {
    fail(&Trouble {
        message: format!("could not read table {table}: {}", store_error_line(error)),
        code: EXIT_FAILING,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::assert_laid_out;

    fn row(id: &str, health: &'static str, class: Option<&str>, incidents: &[&str]) -> StatusRow {
        let now = Utc::now();
        StatusRow {
            integration: id.to_string(),
            name: format!("The long display name of {id} for the journeys"),
            owner: "marketing-ops".into(),
            health,
            class: class.map(str::to_string),
            since: Some(now - chrono::TimeDelta::minutes(12)),
            last_probe_at: Some(now - chrono::TimeDelta::minutes(2)),
            next_probe_at: Some(now + chrono::TimeDelta::minutes(2)),
            days_to_expiry: Some(12),
            retired: false,
            open_incidents: incidents
                .iter()
                .enumerate()
                .map(|(n, class)| IncidentRow {
                    id: format!("{id}:auth:{}", n + 1),
                    check: "auth",
                    class: class.to_string(),
                    severity: "critical",
                    opened_at: now - chrono::TimeDelta::minutes(10),
                    threshold_days: None,
                })
                .collect(),
            problem: None,
        }
    }

    #[test]
    fn status_table_fits_every_width_and_never_breaks_ids_or_classes() {
        let rows = vec![
            row("crm-contact-sync", "healthy", Some("ok"), &[]),
            StatusRow {
                problem: Some("attribute next_probe_at: not a time credwatch can read".into()),
                ..row("loyalty-feed", "unreadable", None, &[])
            },
            row(
                "emea-preference-sync",
                "firing",
                Some("wrong_business_unit"),
                &["wrong_business_unit", "secret_expiring"],
            ),
            row(
                "analytics-export",
                "pending",
                Some("malformed_response"),
                &[],
            ),
        ];
        let whole: Vec<String> = [
            "crm-contact-sync",
            "emea-preference-sync",
            "analytics-export",
            "wrong_business_unit",
            "malformed_response",
            "secret_expiring",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for width in [40u16, 60, 80, 110, 160] {
            let text = status_table(&rows, Utc::now(), width, false);
            assert_laid_out(&text, width, &whole);
        }
        let escaped = status_table(
            &[row("x\u{1b}[2J", "firing", Some("evil\u{202e}"), &[])],
            Utc::now(),
            120,
            false,
        );
        assert!(
            !escaped.contains('\u{1b}') && !escaped.contains('\u{202e}'),
            "{escaped}"
        );
    }
}
