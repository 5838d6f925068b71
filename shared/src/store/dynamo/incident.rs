//! The incident item, encoded and decoded. [`decode_incident`] is the one decoder of incidents:
//! the adapter reads Query results through it, and the `image` module reads DynamoDB stream images
//! through it, so the alert fan-out never decodes an incident differently.

use chrono::{DateTime, Utc};

use super::attributes::*;
use super::keys::{
    GSI_PK, GSI_SK, OPEN_GSI_PK, TTL_ATTRIBUTE, incident_key, item_key, item_label, keyed,
};
use super::reader::{ReadResult, Reader};
use super::value::{Fields, Item, boolean, expiry_after, map, n, s, time, timestamp};
use crate::domain::incident::{AckError, Acknowledgement, CheckKind, IncidentClass, IncidentId};
use crate::inventory::Severity;
use crate::inventory::bounds::{NAME_MAX, within};
use crate::store::{Incident, IncidentChange};

/// A resolved incident is kept this long after it resolved (DynamoDB TTL on `expires_at`): a
/// year of look-back plus a margin. Open incidents never expire.
pub const RESOLVED_INCIDENT_TTL_DAYS: i64 = 400;

/// Longest `message` an incident item may hold, in characters: far beyond any message credwatch
/// writes (a sentence around at most 300 characters of sanitized SFMC text), and small enough
/// that one notification stays well inside SNS's 256 KB. A longer one is an unreadable item.
pub const MESSAGE_MAX_CHARS: usize = 16 * 1024;

/// `expires_at` of an incident resolved at `at`.
pub fn resolved_expiry(at: DateTime<Utc>) -> aws_sdk_dynamodb::types::AttributeValue {
    expiry_after(at, RESOLVED_INCIDENT_TTL_DAYS)
}

/// The whole item of an incident (`None` if its id is malformed), with the open-incidents
/// index keys while it is open, and its TTL once resolved.
pub fn incident_item(incident: &Incident) -> Option<Item> {
    let key = incident_key(incident.id.as_str())?;
    let mut fields = vec![
        (ID, Some(s(incident.id.as_str()))),
        (INTEGRATION, Some(s(&incident.integration))),
        (CHECK, Some(s(incident.check.as_str()))),
        (CLASS, Some(s(incident.class.as_str()))),
        (SEVERITY, Some(s(incident.severity.as_str()))),
        (TEAM, Some(s(&incident.team))),
        (OPEN, Some(boolean(incident.open))),
        (OPENED_AT, Some(time(incident.opened_at))),
        (UPDATED_AT, Some(time(incident.updated_at))),
        (RESOLVED_AT, incident.resolved_at.map(time)),
        (THRESHOLD_DAYS, incident.threshold_days.map(n)),
        (MESSAGE, Some(s(&incident.message))),
        (HTTP_STATUS, incident.http_status.map(n)),
        (CLASS_SINCE, incident.class_since.map(time)),
        (ACK, incident.ack.as_ref().map(ack_value)),
    ];
    if incident.open {
        fields.extend(open_index_fields(incident.opened_at, incident.id.as_str()));
    } else if let Some(resolved_at) = incident.resolved_at {
        fields.push((TTL_ATTRIBUTE, Some(resolved_expiry(resolved_at))));
    }
    Some(keyed(&key, fields))
}

fn open_index_fields(opened_at: DateTime<Utc>, id: &str) -> Fields {
    vec![
        (GSI_PK, Some(s(OPEN_GSI_PK))),
        (GSI_SK, Some(s(format!("{}#{id}", timestamp(opened_at))))),
    ]
}

/// The `ack` attribute of an acknowledgement: a map `{by, at, note?}`.
pub fn ack_value(ack: &Acknowledgement) -> aws_sdk_dynamodb::types::AttributeValue {
    map(vec![
        (BY, Some(s(&ack.by))),
        (AT, Some(time(ack.at))),
        (NOTE, ack.note.as_deref().map(s)),
    ])
}

/// What an `Update` or `Resolve` writes onto the open incident (`None` for `Open`, which puts
/// a whole item). Resolving removes the open-incidents index keys and sets the TTL. A change
/// whose class differs from `previous.class` also sets `class_since`, which restarts the
/// reminders and lifts an earlier ack ([`Incident::is_acknowledged`]); the `ack` attribute
/// itself is never touched here, so what was acknowledged stays on record.
pub fn incident_change_fields(write: &IncidentChange) -> Option<Fields> {
    match write {
        IncidentChange::Opened(_) => None,
        IncidentChange::Changed {
            previous,
            class,
            message,
            http_status,
            severity,
            threshold_days,
            at,
            ..
        } => {
            let mut fields = vec![
                (CLASS, Some(s(class.as_str()))),
                (MESSAGE, Some(s(message))),
                (HTTP_STATUS, http_status.map(n)),
                (SEVERITY, Some(s(severity.as_str()))),
                (THRESHOLD_DAYS, threshold_days.map(n)),
                (UPDATED_AT, Some(time(*at))),
            ];
            if *class != previous.class {
                fields.push((CLASS_SINCE, Some(time(*at))));
            }
            Some(fields)
        }
        IncidentChange::Resolved { message, at, .. } => Some(resolved_fields(message, *at)),
    }
}

/// What resolving writes onto an open incident: closed at `at` with `message`, its TTL set and
/// its open-incidents index keys removed.
pub fn resolved_fields(message: &str, at: DateTime<Utc>) -> Fields {
    vec![
        (TTL_ATTRIBUTE, Some(resolved_expiry(at))),
        (OPEN, Some(boolean(false))),
        (MESSAGE, Some(s(message))),
        (RESOLVED_AT, Some(time(at))),
        (UPDATED_AT, Some(time(at))),
        (GSI_PK, None),
        (GSI_SK, None),
    ]
}

/// An open incident handed to another team.
pub fn reassign_fields(team: &str, at: DateTime<Utc>) -> Fields {
    vec![(TEAM, Some(s(team))), (UPDATED_AT, Some(time(at)))]
}

/// An incident item decoded, or where it is wrong (key, attribute, problem; never a value).
/// Besides types, it checks that the id is the one the item's key stands for (and the
/// `integration` and `check` the id's), and that its
/// texts are within bounds ([`MESSAGE_MAX_CHARS`], the inventory's
/// `NAME_MAX` for the team, [`Acknowledgement::check`] for `ack.by` and `ack.note`), so an item or stream image edited by hand cannot route a
/// notification to the wrong incident or carry megabytes into it. (The integration is not
/// bounded: reports about unreadable items carry whatever id their key holds.)
pub fn decode_incident(item: &Item) -> ReadResult<Incident> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let id: IncidentId = r.parsed(ID, "incident id", |t| t.parse().ok())?;
    if incident_key(id.as_str()).is_none_or(|key| Some(key) != item_key(item)) {
        return Err(r.corrupt(ID, "is not the incident id of the item's key (pk, sk)"));
    }
    let incident = Incident {
        integration: r.string(INTEGRATION)?,
        check: r.parsed(CHECK, "check", CheckKind::parse)?,
        class: r.parsed(CLASS, "incident class", IncidentClass::parse)?,
        severity: r.parsed(SEVERITY, "severity", Severity::parse)?,
        team: r.string(TEAM)?,
        open: r.boolean(OPEN)?,
        opened_at: r.time(OPENED_AT)?,
        updated_at: r.time(UPDATED_AT)?,
        resolved_at: r.opt_time(RESOLVED_AT)?,
        threshold_days: r.opt_number(THRESHOLD_DAYS)?,
        message: r.string(MESSAGE)?,
        http_status: r.opt_number(HTTP_STATUS)?,
        class_since: r.opt_time(CLASS_SINCE)?,
        ack: r.opt_map(ACK)?.map(|m| decode_ack(&m)).transpose()?,
        id,
    };
    // The id is the key's; the integration and check must be the id's, or a hand-edited item
    // (or stream image) would route its notifications to another integration or check.
    if incident.integration != incident.id.integration() {
        return Err(r.corrupt(INTEGRATION, "is not the integration of the incident id"));
    }
    if incident.check != incident.id.check() {
        return Err(r.corrupt(CHECK, "is not the check of the incident id"));
    }
    for (name, text, max) in [
        (TEAM, &incident.team, NAME_MAX),
        (MESSAGE, &incident.message, MESSAGE_MAX_CHARS),
    ] {
        if !within(text, max) {
            return Err(r.corrupt(name, &format!("is longer than {max} characters")));
        }
    }
    Ok(incident)
}

/// The `ack` map, held to the bounds `credwatch ack` enforces: an over-long or unprintable
/// `by` or `note` names `ack.by` / `ack.note` (never the value).
fn decode_ack(r: &Reader<'_>) -> ReadResult<Acknowledgement> {
    let ack = Acknowledgement {
        by: r.string(BY)?,
        at: r.time(AT)?,
        note: r.opt_string(NOTE)?,
    };
    match ack.check() {
        Ok(()) => Ok(ack),
        Err(AckError::EmptyBy) => Err(r.corrupt(BY, "is empty")),
        Err(AckError::ByTooLong { max, .. }) => {
            Err(r.corrupt(BY, &format!("is longer than {max} characters")))
        }
        Err(AckError::NoteTooLong { max, .. }) => {
            Err(r.corrupt(NOTE, &format!("is longer than {max} characters")))
        }
        Err(AckError::ByUnprintable { .. }) => Err(r.corrupt(BY, "holds an unprintable character")),
        Err(AckError::NoteUnprintable { .. }) => {
            Err(r.corrupt(NOTE, "holds an unprintable character"))
        }
    }
}

#[cfg(test)]
mod tests;
