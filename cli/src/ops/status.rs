//! `credwatch status`: one row per integration (health, since when, probes, secret expiry,
//! what it reported itself (passive tracking), open incidents) built purely from the table's items, shown as JSON or as a table laid out
//! for the terminal's width, with times said as "5 min ago" / "in 3 min".

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use comfy_table::Color;
use credwatch::domain::incident::IncidentId;
use credwatch::domain::incident::{Acknowledgement, IncidentClass};
use credwatch::domain::state::Health;
use credwatch::notify::delivery::{DeliveryState, NotificationRecord};
use credwatch::rules::expiry::{days_until, expiry_date};
use credwatch::store::{
    Incident, IncidentListing, Incidents, IntegrationRecord, Integrations, Notifications,
    UnreadableIntegration, UnreadableItem,
};
use credwatch::text::printable::{self, escape};
use serde::Serialize;

use super::table::{fail, fail_reading, store};
use crate::aws_trouble::Trouble;
use crate::exit::{EXIT_FAILING, EXIT_OK};
use crate::output::Format;
use crate::output::{Stdout, stdout_colours, table_width, warn};
use crate::render::{Grid, lay_out, wrap};
use crate::routing;
pub use passive::PassiveView;

/// One element of `credwatch status --format json`.
#[derive(Serialize)]
pub struct StatusRow {
    /// The integration's id in the inventory.
    pub integration: String,
    /// Its display name (the id when its item cannot be read).
    pub name: String,
    /// The team that owns it (empty when its item cannot be read).
    pub owner: String,
    /// Its health: `healthy`, `pending`, `firing`, `recovering`, `unknown`, or [`UNREADABLE`].
    pub health: &'static str,
    /// The failing class when a check is failing, else the last probe's.
    pub class: Option<String>,
    /// Since when it has been as it is (UTC).
    pub since: Option<DateTime<Utc>>,
    /// When it was last probed (UTC).
    pub last_probe_at: Option<DateTime<Utc>>,
    /// When it is probed next (UTC); `None` once retired.
    pub next_probe_at: Option<DateTime<Utc>>,
    /// Whole days until its client secret expires (negative once expired); `None` when unknown.
    pub days_to_expiry: Option<i64>,
    /// Whether it has left the inventory (kept in the table, no longer probed).
    pub retired: bool,
    /// Its open incidents.
    pub open_incidents: Vec<IncidentRow>,
    /// What the integration reported itself (passive tracking): calls and failures in the last
    /// hour, its last reported failure and class; `null` when it never reported.
    pub passive: Option<PassiveView>,
    /// Why the integration's table item cannot be read (`health` is then `unreadable`).
    pub problem: Option<String>,
}

/// One open incident of a [`StatusRow`].
#[derive(Serialize)]
pub struct IncidentRow {
    /// The incident's id (`integration:check:number`).
    pub id: String,
    /// The check that opened it: `auth` or `expiry`.
    pub check: &'static str,
    /// Its class (an outcome class, or `secret_expiring`).
    pub class: String,
    /// Its severity, from the inventory.
    pub severity: &'static str,
    /// When it opened (UTC).
    pub opened_at: DateTime<Utc>,
    /// For an expiry incident, the warning threshold it crossed, in days.
    pub threshold_days: Option<u32>,
    /// Who is on it (`credwatch ack`), while that pauses reminders and escalation; `null`
    /// when nobody is, or the ack was given before the class last changed.
    pub ack: Option<Acknowledgement>,
    /// Its notifications by delivery state (`--format json` only; zero in the table).
    pub notifications: NotificationCounts,
}

/// How many notifications of an incident are sent, pending and failed.
#[derive(Serialize, Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationCounts {
    /// Published (SNS gave a message id).
    pub sent: usize,
    /// Not yet published, or to be retried.
    pub pending: usize,
    /// Given up after the bounded attempts.
    pub failed: usize,
    /// Held back: deferred to business hours, or suppressed by a silence or maintenance.
    pub held: usize,
    /// Not sent: told by another message.
    pub superseded: usize,
}

impl NotificationCounts {
    /// Pure: the counts of `records`.
    pub fn of(records: &[NotificationRecord]) -> NotificationCounts {
        let count = |state| records.iter().filter(|r| r.delivery.state == state).count();
        NotificationCounts {
            sent: count(DeliveryState::Sent),
            pending: count(DeliveryState::Pending),
            failed: count(DeliveryState::Failed),
            held: count(DeliveryState::Held),
            superseded: count(DeliveryState::Superseded),
        }
    }
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
    // A drill (`credwatch drill`) is no integration's incident: never shown or counted here.
    for incident in open.iter().filter(|i| !i.is_drill()) {
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
                passive: None,
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
        passive: None,
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
            ack: i.ack.clone().filter(|_| i.is_acknowledged()),
            notifications: NotificationCounts::default(),
        })
        .collect()
}

/// Fills in each open incident's notification counts: one Query per open incident. A
/// notification item that cannot be read is said on stderr and not counted.
async fn count_notifications<S: Notifications>(
    store: &S,
    rows: &mut [StatusRow],
) -> Result<(), credwatch::store::StoreError> {
    for incident in rows
        .iter_mut()
        .flat_map(|row| row.open_incidents.iter_mut())
    {
        let Ok(id) = incident.id.parse::<IncidentId>() else {
            continue;
        };
        let listing = store.notification_listing(&id).await?;
        for bad in &listing.unreadable {
            warn(&format!(
                "credwatch: warning: a notification of incident {} cannot be read ({}); it is \
                 not counted",
                printable::echo(&incident.id),
                escape(&bad.to_string())
            ));
        }
        incident.notifications = NotificationCounts::of(&listing.records);
    }
    Ok(())
}

/// `credwatch status --table NAME [--topic ARN]`.
pub async fn status(table: &str, topic: Option<&str>, format: Format) -> u8 {
    let store = match store(table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    // A topic that cannot be read (a stale CREDWATCH_TOPIC_ARN, say) never hides the health
    // of the integrations: they are shown, then the routing trouble, with its exit code.
    let (routing, routing_trouble) = match topic {
        None => (None, None),
        Some(topic) => match routing::status(&store, topic).await {
            Ok(seen) => (Some((topic, seen)), None),
            Err(trouble) => (None, Some(trouble)),
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
    let now = Utc::now();
    let mut rows = status_rows(&records.records, &records.unreadable, &open, now);
    mark_unreadable_incidents(&mut rows, &unreadable_incidents);
    // What the integrations reported themselves: a read that fails is said on its row and
    // ends the command with 1, after everything else is shown.
    let mut slots: Vec<passive::Slot> = rows
        .iter_mut()
        .map(|row| passive::Slot {
            id: &row.integration,
            view: &mut row.passive,
            problem: &mut row.problem,
        })
        .collect();
    let passive_trouble = passive::fill_passive(&store, &mut slots, now).await.err();
    if format == Format::Json
        && let Err(err) = count_notifications(&store, &mut rows).await
    {
        return fail_reading(&shown, err.message());
    }
    let mut out = Stdout::new();
    if rows.is_empty() && format == Format::Table && topic.is_none() {
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
            out.print(&status_table(&rows, now, table_width(), stdout_colours()));
            if let Some((topic, seen)) = &routing {
                out.print(&routing::describe_reachability(seen, topic));
            }
        }
    }
    let mut code = EXIT_OK;
    if let Some(message) = passive_trouble {
        code = fail(&Trouble {
            message: format!("table {shown}: {message}"),
            code: EXIT_FAILING,
        });
    }
    if let Some(trouble) = routing_trouble {
        code = code.max(fail(&trouble));
    }
    out.finish(code)
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
        "Reported (1 h)",
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
                    "-".into(),
                    problem.clone(),
                ],
                Color::Magenta,
                &[&[&id], &[row.health], &[], &[], &[], &[], &[], &[]],
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
                let ack = i
                    .ack
                    .as_ref()
                    .map(|ack| format!("\nacknowledged {}", super::incident::ack_words(ack)))
                    .unwrap_or_default();
                format!(
                    "{} #{} {shown}\n{}, opened {}{ack}",
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
        let reported = passive::passive_words(row.passive.as_ref(), |t| ago(t, now));
        let reported_class: Vec<&str> = row
            .passive
            .as_ref()
            .and_then(|p| p.last_failure_class.as_deref())
            .into_iter()
            .collect();
        let mut classes: Vec<&str> = incident_classes.iter().map(String::as_str).collect();
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
                reported.clone(),
                incidents.join("\n"),
            ],
            color,
            &[
                &[&id],
                &left_whole[1..],
                &[],
                &[],
                &[],
                &[],
                &reported_class,
                &classes,
            ],
        );
        classes.extend(&reported_class);
        let mut state = format!(
            "since: {since}\nlast probe: {last}\nnext probe: {next}\nsecret expires: {expires}"
        );
        if row.passive.is_some() {
            state.push_str(&format!(
                "\nreported (1 h): {}",
                reported.replace('\n', ", ")
            ));
        }
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

pub mod passive;
#[cfg(test)]
mod tests;
