//! `credwatch incident show ID --table T [--format json]`: one incident and its timeline
//! (opened, each notification with its delivery, resolved), oldest first, built purely from the
//! table's items and shown as a table for people or as one JSON object for scripts.
//!
//! Exit codes (see [`crate::exit`]): 0 the incident (or what the table holds of it) was shown;
//! 2 the id is not of the form `integration:check:seq`, or the table holds nothing of that
//! incident (like a missing table: retrying unchanged cannot help); 1 the table could not be
//! read. An item that cannot be decoded is named on stderr and in the output, never fatal.

use chrono::{DateTime, Utc};
use comfy_table::Color;
use credwatch::domain::incident::{
    Acknowledgement, CheckKind, Incident, IncidentClass, IncidentId, IncidentIdError,
};
use credwatch::notify::delivery::DeliveryState;
use credwatch::store::{Incidents, NotificationListing, Notifications, StoreError, UnreadableItem};
use credwatch::text::printable::{self, escape};
use serde::Serialize;

use super::table::{fail, fail_reading, store};
use crate::aws_trouble::Trouble;
use crate::exit::{EXIT_INVALID, EXIT_OK};
use crate::output::{Format, Stdout, stdout_colours, table_width, warn};
use crate::render::{Grid, lay_out, wrap};
pub use reported::ReportedCallRow;
pub use rows::NotificationRow;

/// `credwatch incident show --format json`: the incident (null when its item cannot be read or
/// is gone), its notifications oldest first, and the items that could not be read.
#[derive(Serialize)]
pub struct IncidentReport {
    /// The incident as stored (`id`, `integration`, `check`, `class`, `severity`, `team`,
    /// `open`, `opened_at`, `updated_at`, `resolved_at`, `threshold_days`, `message`,
    /// `http_status`, `class_since`, `ack` {`by`, `at`, `note`}).
    pub incident: Option<Incident>,
    /// Its notifications, oldest first.
    pub notifications: Vec<NotificationRow>,
    /// Items of this incident that cannot be read: key, attribute, problem (never a value).
    pub unreadable: Vec<UnreadableItem>,
    /// For a passive incident, the failed calls the integration reported from an hour before
    /// it opened to its resolve (or now), most recent first, at most 20; empty otherwise.
    pub reported_calls: Vec<ReportedCallRow>,
}

/// Pure: the report of an incident (or `None`), its notifications (any order) and the unreadable
/// items; notifications oldest first.
pub fn incident_report(
    incident: Option<Incident>,
    listing: NotificationListing,
    unreadable_incident: Option<UnreadableItem>,
) -> IncidentReport {
    let mut records = listing.records;
    records.sort_by(|a, b| (a.created_at, a.id()).cmp(&(b.created_at, b.id())));
    IncidentReport {
        incident,
        notifications: records.iter().map(NotificationRow::of).collect(),
        unreadable: unreadable_incident
            .into_iter()
            .chain(listing.unreadable)
            .collect(),
        reported_calls: Vec::new(),
    }
}

/// An incident id as given on the command line, or why it is not one ([`EXIT_INVALID`]): the
/// part that is wrong, the form, a hint when it is a notification id, and where to find ids.
pub fn parse_incident_id(id: &str) -> Result<IncidentId, Trouble> {
    // No id credwatch makes holds a control or text-direction character, and every message
    // that names the id prints it as typed: refused here, so none reaches a terminal.
    if let Some(c) = printable::first_unprintable(id) {
        return Err(Trouble {
            message: format!(
                "{} is not an incident id: it holds the unprintable character {}; copy the id \
                 from `credwatch status` or the alert",
                printable::echo(id),
                printable::code_point(c)
            ),
            code: EXIT_INVALID,
        });
    }
    id.parse().map_err(|err| {
        // A notification id (`x:auth:3/opened`, as the email shows it) names its incident.
        let hint = match id.split_once('/') {
            Some((incident, _)) if incident.parse::<IncidentId>().is_ok() => format!(
                "; that is a notification id: its incident is {}",
                printable::echo(incident)
            ),
            _ => String::new(),
        };
        let form = match err {
            IncidentIdError::NotThreeParts => String::new(),
            _ => " (the form is integration:check:seq, e.g. crm-contact-sync:auth:3)".to_string(),
        };
        Trouble {
            message: format!(
                "{} is not an incident id: {err}{form}{hint}. `credwatch status` lists the open \
                 incidents",
                printable::echo(id)
            ),
            code: EXIT_INVALID,
        }
    })
}

/// `credwatch incident show ID --table NAME [--format json]`.
pub async fn incident_show(id: &str, table: &str, format: Format) -> u8 {
    let id = match parse_incident_id(id) {
        Ok(id) => id,
        Err(trouble) => return fail(&trouble),
    };
    let store = match store(table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let shown = printable::echo(table);
    let (incident, listing) =
        tokio::join!(store.get_incident(&id), store.notification_listing(&id));
    let listing = match listing {
        Ok(listing) => listing,
        Err(err) => return fail_reading(&shown, err.message()),
    };
    let (incident, unreadable_incident) = match incident {
        Ok(incident) => (incident, None),
        Err(StoreError::Corrupt { item, .. }) => (None, Some(item)),
        Err(err) => return fail_reading(&shown, err.message()),
    };
    if incident.is_none()
        && unreadable_incident.is_none()
        && listing.records.is_empty()
        && listing.unreadable.is_empty()
    {
        return fail(&Trouble {
            message: format!(
                "table {shown} holds no incident {id} (resolved incidents are kept about 400 \
                 days); `credwatch status` lists the open ones"
            ),
            code: EXIT_INVALID,
        });
    }
    let now = Utc::now();
    let passive = incident.as_ref().filter(|i| i.check == CheckKind::Passive);
    // The evidence behind a passive incident: a read that fails never hides the incident.
    let (reported, reported_trouble) = match passive {
        Some(incident) => match reported::reported_calls(&store, incident, now).await {
            Ok(rows) => (rows, None),
            Err(err) => (Vec::new(), Some(err)),
        },
        None => (Vec::new(), None),
    };
    let mut report = incident_report(incident, listing, unreadable_incident);
    report.reported_calls = reported;
    for bad in &report.unreadable {
        warn(&format!(
            "credwatch: warning: an item of incident {id} cannot be read ({}); it is not shown",
            escape(&bad.to_string())
        ));
    }
    let mut out = Stdout::new();
    match format {
        Format::Json => {
            out.line(&serde_json::to_string_pretty(&report).expect("the report serializes"))
        }
        Format::Table => out.print(&incident_text(
            &id,
            &report,
            now,
            table_width(),
            stdout_colours(),
        )),
    }
    match reported_trouble {
        Some(err) => {
            let code = fail_reading(&shown, err.message());
            out.finish(code)
        }
        None => out.finish(EXIT_OK),
    }
}

/// "by Dana at 2026-06-01 12:00:00 UTC: rotating the secret", escaped for a terminal
/// (`ack`, `status` and `incident show` say it alike).
pub fn ack_words(ack: &Acknowledgement) -> String {
    let note = ack
        .note
        .as_deref()
        .map(|note| format!(": {}", escape(note)))
        .unwrap_or_default();
    format!("by {} at {}{note}", escape(&ack.by), when(ack.at))
}

/// `2026-06-01 12:00:00 UTC`.
fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// One timeline entry: when, what, and the delivery columns (empty for incident events).
struct Entry {
    at: DateTime<Utc>,
    what: String,
    state: String,
    attempts: String,
    message_id: String,
    details: String,
    color: Color,
}

/// Pure: the timeline of `report`, oldest first: opened, the acknowledgement (if any), each
/// notification (at its creation), resolved.
fn timeline(report: &IncidentReport, now: DateTime<Utc>) -> Vec<Entry> {
    let mut entries = Vec::new();
    if let Some(incident) = &report.incident {
        entries.push(Entry {
            at: incident.opened_at,
            what: "opened".into(),
            state: String::new(),
            attempts: String::new(),
            message_id: String::new(),
            details: format!(
                "{} ({}), team {}",
                escape(incident.class.as_str()),
                incident.severity.as_str(),
                escape(&incident.team)
            ),
            color: Color::Red,
        });
    }
    if let Some((incident, ack)) = report
        .incident
        .as_ref()
        .and_then(|i| i.ack.as_ref().map(|ack| (i, ack)))
    {
        entries.push(Entry {
            at: ack.at,
            what: "acknowledged".into(),
            state: String::new(),
            attempts: String::new(),
            message_id: String::new(),
            details: format!(
                "by {}{}{}",
                escape(&ack.by),
                ack.note
                    .as_deref()
                    .map(|note| format!(": {}", escape(note)))
                    .unwrap_or_default(),
                if incident.is_acknowledged() || !incident.open {
                    ""
                } else {
                    "\n(lapsed: the class changed since)"
                }
            ),
            color: Color::Blue,
        });
    }
    for n in &report.notifications {
        let mut details = Vec::new();
        for d in &n.decisions {
            let until = d
                .until
                .map(|u| format!(" until {}", when(u)))
                .unwrap_or_default();
            details.push(format!(
                "{} {}{until}: {}",
                d.kind.as_str(),
                when(d.at),
                escape(&d.reason)
            ));
        }
        match n.state {
            "pending" | "held" => {
                if let Some(next) = n.next_attempt_at {
                    details.push(format!("next attempt {}", relative(next, now)));
                }
            }
            _ => {
                if let Some(done) = n.finished_at {
                    details.push(format!("{} {}", n.state, when(done)));
                }
            }
        }
        if let Some(error) = &n.last_error {
            details.push(format!(
                "last error ({}): {}",
                error.kind,
                escape(&error.detail)
            ));
        }
        details.push(format!("to team {} as {}", escape(&n.team), n.severity));
        if let Some(slack) = &n.slack {
            details.push(format!(
                "Slack {} {} (attempt {}{}{})",
                slack.state,
                when(slack.at),
                slack.attempts,
                slack
                    .status
                    .map(|code| format!(", HTTP {code}"))
                    .unwrap_or_default(),
                slack
                    .error
                    .as_deref()
                    .map(|e| format!(": {}", escape(e)))
                    .unwrap_or_default()
            ));
        }
        entries.push(Entry {
            at: n.created_at,
            what: format!("notification {}", n.event),
            state: n.state.to_string(),
            attempts: n.attempts.to_string(),
            message_id: n
                .message_id
                .as_deref()
                .map_or("-".into(), |m| escape(m).into_owned()),
            details: details.join("\n"),
            color: match DeliveryState::parse(n.state) {
                Some(DeliveryState::Sent) => Color::Green,
                Some(DeliveryState::Pending | DeliveryState::Held) => Color::Yellow,
                Some(DeliveryState::Superseded) => Color::DarkGrey,
                _ => Color::Red,
            },
        });
    }
    if let Some(incident) = &report.incident
        && let Some(resolved_at) = incident.resolved_at
    {
        entries.push(Entry {
            at: resolved_at,
            what: "resolved".into(),
            state: String::new(),
            attempts: String::new(),
            message_id: String::new(),
            details: format!("after {}", span(resolved_at - incident.opened_at)),
            color: Color::Green,
        });
    }
    // Stable: at equal times, opened before its notifications, notifications before resolved.
    entries.sort_by_key(|e| e.at);
    entries
}

/// Pure: the whole table output of `credwatch incident show`: a header about the incident, the
/// timeline laid out for `width` (six columns when they fit, else two, else one), and the
/// unreadable items. Every text from the table is escaped.
pub fn incident_text(
    id: &IncidentId,
    report: &IncidentReport,
    now: DateTime<Utc>,
    width: u16,
    colours: bool,
) -> String {
    let mut head = Vec::new();
    match &report.incident {
        Some(i) => {
            let state = if i.open { "open" } else { "resolved" };
            head.push(format!("Incident {} ({state})", escape(i.id.as_str())));
            head.push(format!(
                "Integration: {}   Team: {}   Check: {}",
                escape(&i.integration),
                escape(&i.team),
                i.check.as_str()
            ));
            let threshold = i
                .threshold_days
                .map(|d| format!("   Threshold: {d} days"))
                .unwrap_or_default();
            let class_since = i
                .class_since
                .map(|at| format!(" (since {})", when(at)))
                .unwrap_or_default();
            head.push(format!(
                "Class: {}{class_since}   Severity: {}{threshold}",
                escape(i.class.as_str()),
                i.severity.as_str()
            ));
            let resolved = i
                .resolved_at
                .map(|r| format!("   Resolved: {} (after {})", when(r), span(r - i.opened_at)))
                .unwrap_or_else(|| format!("   Open for {}", span(now - i.opened_at)));
            head.push(format!("Opened: {}{resolved}", when(i.opened_at)));
            if let Some(ack) = &i.ack {
                let words = ack_words(ack);
                head.push(match (i.open, i.is_acknowledged()) {
                    (true, true) => format!(
                        "Acknowledged {words} (reminders and escalation paused until the class \
                         changes or it resolves)"
                    ),
                    (true, false) => format!(
                        "Acknowledgement lapsed ({words}): the class changed at {}; `credwatch \
                         ack` again to pause reminders and escalation",
                        when(i.schedule_since())
                    ),
                    (false, _) => format!("Acknowledged {words}"),
                });
            }
            // An HTTP status belongs to SFMC's answer (to the probe, or reported); expiry and
            // monitor incidents have none.
            if matches!(i.check, CheckKind::Auth | CheckKind::Passive) {
                head.push(format!(
                    "SFMC's HTTP status: {}",
                    i.http_status
                        .map_or("none (no HTTP answer)".to_string(), |s| s.to_string())
                ));
            }
            head.push(format!("Message: {}", escape(&i.message)));
            match (i.open, i.class) {
                (true, IncidentClass::Outcome(class)) => {
                    head.push(format!("What to do: {}", class.what_to_do()));
                }
                (false, _) => head.push(
                    "What to do: nothing is failing now; check whether data missed while it lasted \
                     needs re-processing"
                        .to_string(),
                ),
                (true, _) => {}
            }
        }
        None => head.push(format!(
            "Incident {} (its item cannot be read or is gone; its notifications follow)",
            escape(id.as_str())
        )),
    }
    let mut wide = Grid::new(vec![
        "When",
        "What",
        "Delivery",
        "Attempts",
        "SNS message id",
        "Details",
    ]);
    let mut two = Grid::new(vec!["When and what", "Details"]);
    let mut one = Grid::new(vec!["Timeline"]);
    let entries = timeline(report, now);
    for e in &entries {
        let stamp = when(e.at);
        wide.row(
            vec![
                stamp.clone(),
                e.what.clone(),
                e.state.clone(),
                e.attempts.clone(),
                e.message_id.clone(),
                e.details.clone(),
            ],
            e.color,
            &[&[], &[&e.what], &[&e.state], &[], &[&e.message_id], &[]],
        );
        let mut delivery = Vec::new();
        if !e.state.is_empty() {
            let sns = match e.message_id.as_str() {
                "-" => String::new(),
                id => format!(", SNS message id {id}"),
            };
            let attempts = if e.attempts == "1" {
                "1 attempt".to_string()
            } else {
                format!("{} attempts", e.attempts)
            };
            delivery.push(format!("{}, {attempts}{sns}", e.state));
        }
        delivery.push(e.details.clone());
        let left = format!("{stamp}\n{}", e.what);
        two.row(
            vec![left.clone(), delivery.join("\n")],
            e.color,
            &[&[&e.what], &[&e.message_id]],
        );
        one.row(
            vec![format!("{left}\n{}", delivery.join("\n"))],
            e.color,
            &[&[&e.what, &e.message_id]],
        );
    }
    let mut text = head
        .iter()
        .map(|line| wrap(line, width))
        .collect::<Vec<_>>()
        .join("\n");
    text.push('\n');
    if entries.is_empty() {
        text.push_str(&wrap(
            "No timeline: nothing of this incident could be read.",
            width,
        ));
        text.push('\n');
    } else {
        text.push_str(&format!(
            "{}\n",
            lay_out(vec![wide, two, one], width, colours)
        ));
    }
    for bad in &report.unreadable {
        text.push_str(&wrap(
            &format!(
                "Cannot read {} (not shown above): {}",
                escape(&bad.key),
                escape(&format!("attribute {} {}", bad.field, bad.problem))
            ),
            width,
        ));
        text.push('\n');
    }
    if report
        .incident
        .as_ref()
        .is_some_and(|i| i.check == CheckKind::Passive)
    {
        text.push_str(&reported::reported_text(
            &report.reported_calls,
            width,
            colours,
        ));
    }
    let counts = |state: &str| {
        report
            .notifications
            .iter()
            .filter(|n| n.state == state)
            .count()
    };
    text.push_str(&wrap(
        &format!(
            "{} notification{}: {} sent, {} pending, {} failed.",
            report.notifications.len(),
            if report.notifications.len() == 1 {
                ""
            } else {
                "s"
            },
            counts("sent"),
            counts("pending"),
            counts("failed")
        ),
        width,
    ));
    text.push('\n');
    text
}

/// "in 3 min" / "5 min ago" / "due now".
fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    match secs {
        s if s.abs() < 5 => "due now".to_string(),
        s if s > 0 => format!("in {}", span(at - now)),
        _ => format!("overdue since {} ({} ago)", when(at), span(now - at)),
    }
}

/// "45 s", "12 min", "3 h 5 min", "2 days 4 h"; never negative.
fn span(delta: chrono::TimeDelta) -> String {
    let secs = delta.num_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} days {} h", s / 86_400, s % 86_400 / 3600),
    }
}

pub mod reported;
pub mod rows;
#[cfg(test)]
mod tests;
