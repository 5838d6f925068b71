//! The `lambda` and `sqs` body: a versioned JSON document with every field, for programs
//! (slack-notify and others). The routing fields (team, severity, event, check, class, ids) are
//! inside too: a subscriber may receive no message attributes.

use serde_json::{Value, json};

use super::facts::facts;
use super::subject::subject;
use super::trim::{Trim, cut};
use crate::notify::notification::Notification;
use crate::notify::words::impact_records;

/// The document's schema name; a change that breaks readers gets a new version.
pub const SCHEMA: &str = "credwatch.notification.v1";

/// The document of `n`, as a JSON value. Lists and texts are limited by `trim`; `shortened`
/// says whether they were.
pub fn document_value(n: &Notification, trim: &Trim, shortened: bool) -> Value {
    let facts = facts(n, trim);
    let duration = n.duration();
    let depends_on: Vec<String> = n
        .integration
        .depends_on
        .iter()
        .take(trim.depends_on_max)
        .map(|item| cut(item, trim.depends_on_chars))
        .collect();
    let lines: serde_json::Map<String, Value> = facts
        .lines
        .iter()
        .map(|line| (line.label.to_string(), Value::String(line.text.clone())))
        .collect();
    json!({
        "schema": SCHEMA,
        "notification_id": n.id.as_str(),
        "event": n.event.as_str(),
        "incident_id": n.incident_id.as_str(),
        "team": n.team,
        "severity": n.severity.as_str(),
        "check": n.check.as_str(),
        "class": n.class.as_str(),
        "previous": n.previous,
        "integration": {
            "id": n.integration.id,
            "name": cut(&n.integration.name, trim.name_chars),
            "depends_on": depends_on,
            "depends_on_total": n.integration.depends_on.len(),
            "records_per_hour": n.integration.records_per_hour,
            "runbook": n.integration.runbook.as_deref().map(|r| cut(r, trim.runbook_chars)),
        },
        "opened_at": n.opened_at,
        "resolved_at": n.resolved_at,
        "at": n.at,
        "duration_seconds": duration.num_seconds(),
        "http_status": n.http_status,
        "message": cut(&n.message, trim.words_chars),
        "threshold_days": n.threshold_days,
        "expiry": n.expiry,
        "estimated_impact_records": impact_records(n.integration.records_per_hour, duration),
        "step": n.step,
        "on_behalf_of": n.on_behalf_of,
        "ack": n.ack.as_ref().map(|ack| json!({
            "by": cut(&ack.by, trim.name_chars),
            "at": ack.at,
            "note": ack.note.as_deref().map(|note| cut(note, trim.words_chars)),
        })),
        "held": n.held.as_ref().map(|held| json!({
            "kind": held.kind,
            "since": held.since,
            "reason": cut(&held.reason, trim.words_chars),
        })),
        "members": n.members.iter().take(trim.depends_on_max).map(|m| json!({
            "incident_id": m.incident_id.as_str(),
            "integration": m.integration,
            "name": cut(&m.name, trim.name_chars),
            "team": m.team,
            "class": m.class.as_str(),
            "opened_at": m.opened_at,
            "resolved_at": m.resolved_at,
        })).collect::<Vec<Value>>(),
        "members_total": n.members.len(),
        "credential": n.credential,
        "subject": subject(n),
        "title": facts.title,
        "lines": lines,
        "next_steps": facts.next_steps,
        "shortened": shortened,
    })
}

/// The document of `n`, as JSON text.
pub fn document(n: &Notification, trim: &Trim, shortened: bool) -> String {
    document_value(n, trim, shortened).to_string()
}
