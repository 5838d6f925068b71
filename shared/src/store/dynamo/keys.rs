//! The key layout: the one place that knows how items are keyed. One `pub const` per key prefix;
//! the template's stream filter repeats [`INCIDENT_PREFIX`], and a test compares them.
//!
//! | item | `pk` | `sk` |
//! |---|---|---|
//! | integration | [`INVENTORY_PK`] | [`INTEGRATION_PREFIX`]`{id}` |
//! | team | [`INVENTORY_PK`] | [`TEAM_PREFIX`]`{id}` |
//! | probe history | [`HISTORY_PREFIX`]`{integration}` | `{probed_at}` |
//! | incident | [`INCIDENT_PREFIX`]`{integration}` | `{check}#{seq:06}` |
//! | notification | [`NOTIFICATION_PREFIX`]`{incident_id}` | `{notification_id}` (the whole id) |
//! | audit entry | [`AUDIT_PREFIX`]`{source_id}` | `{decision}` |
//! | silence | [`SILENCE_PK`] | `{id}` (`sil-…`) |
//! | minute counters | [`CALLS_PREFIX`]`{integration}` | `{minute}` |
//! | failed call kept raw | [`CALL_EVENT_PREFIX`]`{integration}` | `{observed_at}#{event_id}` |
//! | passive state | [`PASSIVE_PK`] | [`PASSIVE_STATE_PREFIX`]`{integration}` |
//! | ingest token | [`INGEST_PK`] | [`INGEST_TOKEN_PREFIX`]`{sha256 hex}` |
//! | ingest quota | [`QUOTA_PREFIX`]`{integration}` | `{minute}` |
//!
//! Open incidents also carry the index keys [`GSI_PK`] = [`OPEN_GSI_PK`] and [`GSI_SK`] =
//! `{opened_at}#{id}`; pending notifications carry [`GSI_PK`] = [`PENDING_GSI_PK`] and
//! [`GSI_SK`] = `{next_attempt_at}#{notification_id}` (the fixed-width timestamp of
//! [`super::value::timestamp`], so lexical order is time order and the sweep Queries
//! `gsi1sk < {now}$` for the due ones). Sent and failed notifications carry no index keys.
//!
//! Minutes and times in sort keys are the fixed-width timestamps of [`super::value::timestamp`]
//! (a minute's seconds and milliseconds zero), so a Query of `sk` between two of them reads a
//! time range.
//!
//! The partition-key prefixes are disjoint (`INVENTORY`, `HIST#`, `INC#`, `NTF#`, `AUDIT#`,
//! `SILENCE`, `GROUP#`, `CALLS#`, `CALLEV#`, `PASSIVE`, `INGEST`, `QUOTA#`: none is a prefix of
//! another), so the alert fan-out's stream filter on [`INCIDENT_PREFIX`] never
//! selects the fan-out's own writes (notifications, audit entries): it cannot feed itself.
//! An audit entry is keyed by its source (the stream record's `eventID`) so that a replayed
//! batch writes the same item again, whatever the day of the replay.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::value::{Fields, Item, s, timestamp, to_item};
use crate::domain::incident::IncidentId;
use crate::domain::silence::SilenceId;
use crate::notify::delivery::AuditDecision;
use crate::notify::notification::NotificationId;

/// The table's partition key attribute (S).
pub const PK: &str = "pk";
/// The table's sort key attribute (S).
pub const SK: &str = "sk";
/// The sparse index of open incidents.
pub const GSI_NAME: &str = "open-incidents";
/// The open-incidents index's partition key attribute (S).
pub const GSI_PK: &str = "gsi1pk";
/// The open-incidents index's sort key attribute (S), `{opened_at}#{id}`.
pub const GSI_SK: &str = "gsi1sk";
/// The TTL attribute (N, epoch seconds) of probe history and resolved incidents.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// Partition of integrations and teams (few, small items: one Query lists them).
pub const INVENTORY_PK: &str = "INVENTORY";
/// Sort-key prefix of an integration, `INT#{id}`.
pub const INTEGRATION_PREFIX: &str = "INT#";
/// Sort-key prefix of a team, `TEAM#{id}`.
pub const TEAM_PREFIX: &str = "TEAM#";
/// Partition-key prefix of an integration's probe history, `HIST#{integration}`.
pub const HISTORY_PREFIX: &str = "HIST#";
/// Partition-key prefix of an integration's incidents, `INC#{integration}`: the alert fan-out's
/// stream filter selects incident changes by it.
pub const INCIDENT_PREFIX: &str = "INC#";
/// `gsi1pk` of every open incident.
pub const OPEN_GSI_PK: &str = "OPEN";
/// Partition-key prefix of an incident's notifications, `NTF#{incident_id}`.
pub const NOTIFICATION_PREFIX: &str = "NTF#";
/// Partition-key prefix of an audit entry, `AUDIT#{source_id}`.
pub const AUDIT_PREFIX: &str = "AUDIT#";
/// Partition-key prefix of a group's window, `GROUP#{group key}` (sort key [`GROUP_SK`]).
pub const GROUP_PREFIX: &str = "GROUP#";
/// Sort key of a group's window item.
pub const GROUP_SK: &str = "window";
/// Partition of every silence (few, small items: one Query lists them all).
pub const SILENCE_PK: &str = "SILENCE";
/// `gsi1pk` of every pending notification (the sweep's Query).
pub const PENDING_GSI_PK: &str = "PENDING";
/// Partition-key prefix of an integration's per-minute call counters, `CALLS#{integration}`
/// (sort key: the minute).
pub const CALLS_PREFIX: &str = "CALLS#";
/// Partition-key prefix of an integration's failed calls kept raw, `CALLEV#{integration}`
/// (sort key `{observed_at}#{event_id}`).
pub const CALL_EVENT_PREFIX: &str = "CALLEV#";
/// Partition of every integration's passive state (one small item each: one Query lists them).
pub const PASSIVE_PK: &str = "PASSIVE";
/// Sort-key prefix of a passive state, `STATE#{integration}`.
pub const PASSIVE_STATE_PREFIX: &str = "STATE#";
/// Partition of every ingest token.
pub const INGEST_PK: &str = "INGEST";
/// Sort-key prefix of an ingest token, `TOKEN#{sha256 hex}` (never the token itself).
pub const INGEST_TOKEN_PREFIX: &str = "TOKEN#";
/// Partition-key prefix of an integration's ingest allowance, `QUOTA#{integration}` (sort key:
/// the minute).
pub const QUOTA_PREFIX: &str = "QUOTA#";

/// `(pk, sk)` of an item.
pub type Key = (String, String);

/// What an item is, told by its key alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// `INVENTORY` / `INT#{id}`.
    Integration,
    /// `INVENTORY` / `TEAM#{id}`.
    Team,
    /// `HIST#{integration}` / `{probed_at}`.
    History,
    /// `INC#{integration}` / `{check}#{seq}`.
    Incident,
    /// `NTF#{incident_id}` / `{notification_id}`.
    Notification,
    /// `AUDIT#{source_id}` / `{decision}`.
    Audit,
    /// `SILENCE` / `{id}`.
    Silence,
    /// `CALLS#{integration}` / `{minute}`.
    MinuteCounts,
    /// `CALLEV#{integration}` / `{observed_at}#{event_id}`.
    FailedCall,
    /// `PASSIVE` / `STATE#{integration}`.
    PassiveState,
    /// `INGEST` / `TOKEN#{hash}`.
    IngestToken,
    /// `QUOTA#{integration}` / `{minute}`.
    IngestQuota,
}

impl ItemKind {
    /// The kind of the item keyed `(pk, sk)`; `None` for a key credwatch does not write.
    pub fn of_key(pk: &str, sk: &str) -> Option<ItemKind> {
        if pk == INVENTORY_PK {
            if sk.starts_with(INTEGRATION_PREFIX) {
                return Some(ItemKind::Integration);
            }
            if sk.starts_with(TEAM_PREFIX) {
                return Some(ItemKind::Team);
            }
            return None;
        }
        if pk.starts_with(HISTORY_PREFIX) {
            return Some(ItemKind::History);
        }
        if pk.starts_with(NOTIFICATION_PREFIX) {
            return Some(ItemKind::Notification);
        }
        if pk.starts_with(AUDIT_PREFIX) {
            return Some(ItemKind::Audit);
        }
        if pk == SILENCE_PK {
            return Some(ItemKind::Silence);
        }
        if pk == PASSIVE_PK {
            return sk
                .starts_with(PASSIVE_STATE_PREFIX)
                .then_some(ItemKind::PassiveState);
        }
        if pk == INGEST_PK {
            return sk
                .starts_with(INGEST_TOKEN_PREFIX)
                .then_some(ItemKind::IngestToken);
        }
        if pk.starts_with(CALLS_PREFIX) {
            return Some(ItemKind::MinuteCounts);
        }
        if pk.starts_with(CALL_EVENT_PREFIX) {
            return Some(ItemKind::FailedCall);
        }
        if pk.starts_with(QUOTA_PREFIX) {
            return Some(ItemKind::IngestQuota);
        }
        pk.starts_with(INCIDENT_PREFIX)
            .then_some(ItemKind::Incident)
    }

    /// The kind of a raw item, by its key attributes.
    pub fn of_item(item: &Item) -> Option<ItemKind> {
        let (pk, sk) = (key_text(item, PK)?, key_text(item, SK)?);
        ItemKind::of_key(pk, sk)
    }
}

/// The key of integration `id`.
pub fn integration_key(id: &str) -> Key {
    (
        INVENTORY_PK.to_string(),
        format!("{INTEGRATION_PREFIX}{id}"),
    )
}

/// The key of team `id`.
pub fn team_key(id: &str) -> Key {
    (INVENTORY_PK.to_string(), format!("{TEAM_PREFIX}{id}"))
}

/// The partition of an integration's probe history.
pub fn history_pk(integration: &str) -> String {
    format!("{HISTORY_PREFIX}{integration}")
}

/// The key of the probe of `integration` at `probed_at` (one entry per millisecond).
pub fn history_key(integration: &str, probed_at: DateTime<Utc>) -> Key {
    (history_pk(integration), timestamp(probed_at))
}

/// The partition of an integration's incidents.
pub fn incident_pk(integration: &str) -> String {
    format!("{INCIDENT_PREFIX}{integration}")
}

/// The key of incident `{integration}:{check}:{seq}`: `INC#{integration}`, `{check}#{seq:06}`.
/// `None` if the id is not of that form.
pub fn incident_key(id: &str) -> Option<Key> {
    id.parse::<IncidentId>().ok().map(|id| incident_id_key(&id))
}

/// The key of incident `id`.
pub fn incident_id_key(id: &IncidentId) -> Key {
    (
        incident_pk(id.integration()),
        format!("{}#{:06}", id.check().as_str(), id.seq()),
    )
}

/// The incident id stored under `(pk, sk)`, the inverse of [`incident_key`].
pub fn incident_id_of_key(pk: &str, sk: &str) -> Option<crate::domain::incident::IncidentId> {
    let integration = pk.strip_prefix(INCIDENT_PREFIX).filter(|i| !i.is_empty())?;
    let (check, seq) = sk.split_once('#')?;
    let check = crate::domain::incident::CheckKind::parse(check)?;
    let seq: u32 = seq.parse().ok()?;
    Some(crate::domain::incident::IncidentId::new(
        integration,
        check,
        seq,
    ))
}

/// The partition of incident `incident`'s notifications.
pub fn notification_pk(incident: &IncidentId) -> String {
    format!("{NOTIFICATION_PREFIX}{incident}")
}

/// The key of notification `id` about incident `incident`.
pub fn notification_key(incident: &IncidentId, id: &NotificationId) -> Key {
    (notification_pk(incident), id.as_str().to_string())
}

/// The incident a notification id is about: its text up to the `/` after the incident id
/// (`{incident}/{event}...`, see [`NotificationId`]; the event name ends at `/`, `@`, or the
/// `>` of another team's copy, `{id}>{team}`). `None` if no prefix of it is an incident id
/// followed by an event name.
pub fn incident_of_notification(id: &NotificationId) -> Option<IncidentId> {
    let text = id.as_str();
    text.match_indices('/').find_map(|(at, _)| {
        let rest = &text[at + 1..];
        let event = rest.split(['/', '@', '>']).next()?;
        crate::notify::notification::Event::parse(event)?;
        text[..at].parse::<IncidentId>().ok()
    })
}

/// The key of the window item of group `key`.
pub fn group_key(key: &crate::rules::grouping::GroupKey) -> Key {
    (format!("{GROUP_PREFIX}{}", key.0), GROUP_SK.to_string())
}

/// The index sort key of a notification pending until `next_attempt_at`.
pub fn pending_gsi_sk(next_attempt_at: DateTime<Utc>, id: &NotificationId) -> String {
    format!("{}#{id}", timestamp(next_attempt_at))
}

/// The exclusive upper bound of the index sort keys due at `now`: every
/// [`pending_gsi_sk`] whose time is at or before `now` sorts below it (`$` follows `#`).
pub fn pending_due_bound(now: DateTime<Utc>) -> String {
    format!("{}$", timestamp(now))
}

/// The key of silence `id`.
pub fn silence_key(id: &SilenceId) -> Key {
    (SILENCE_PK.to_string(), id.as_str().to_string())
}

/// The key of the audit entry of `decision` about `source_id`.
pub fn audit_key(source_id: &str, decision: AuditDecision) -> Key {
    (
        format!("{AUDIT_PREFIX}{source_id}"),
        decision.as_str().to_string(),
    )
}

/// The partition of `integration`'s per-minute counters.
pub fn calls_pk(integration: &str) -> String {
    format!("{CALLS_PREFIX}{integration}")
}

/// The key of `integration`'s counters of the minute starting at `minute`.
pub fn minute_key(integration: &str, minute: DateTime<Utc>) -> Key {
    (calls_pk(integration), timestamp(minute))
}

/// The partition of `integration`'s failed calls kept raw.
pub fn call_event_pk(integration: &str) -> String {
    format!("{CALL_EVENT_PREFIX}{integration}")
}

/// The key of a failed call: `CALLEV#{integration}`, `{observed_at}#{event_id}` (a reporter's
/// retry of the same event is the same item).
pub fn call_event_key(integration: &str, observed_at: DateTime<Utc>, event_id: &str) -> Key {
    (
        call_event_pk(integration),
        format!("{}#{event_id}", timestamp(observed_at)),
    )
}

/// The key of `integration`'s passive state.
pub fn passive_state_key(integration: &str) -> Key {
    (
        PASSIVE_PK.to_string(),
        format!("{PASSIVE_STATE_PREFIX}{integration}"),
    )
}

/// The key of the ingest token whose SHA-256 hex is `hash`.
pub fn ingest_token_key(hash: &str) -> Key {
    (
        INGEST_PK.to_string(),
        format!("{INGEST_TOKEN_PREFIX}{hash}"),
    )
}

/// The key of `integration`'s ingest allowance of the minute starting at `minute`.
pub fn quota_key(integration: &str, minute: DateTime<Utc>) -> Key {
    (format!("{QUOTA_PREFIX}{integration}"), timestamp(minute))
}

/// The key attributes of an item.
pub fn key_item((pk, sk): &Key) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

/// An item of the present `fields` under `key`.
pub fn keyed(key: &Key, fields: Fields) -> Item {
    let mut item = to_item(fields);
    item.extend(key_item(key));
    item
}

/// `pk=… sk=…`, for messages.
pub fn describe_key((pk, sk): &Key) -> String {
    format!("pk={pk} sk={sk}")
}

/// `pk=… sk=…` of a raw item, for messages (keys are ids and timestamps, never secrets).
/// Keys are whatever was written to the table: escaped and capped wherever they are shown.
pub fn item_label(item: &Item) -> String {
    let key =
        |name| key_text(item, name).map_or_else(|| "?".to_string(), crate::text::printable::echo);
    format!("pk={} sk={}", key(PK), key(SK))
}

/// The integration id in a raw integration item's sort key `INT#{id}`, if it has one.
pub fn item_key_id(item: &Item) -> Option<&str> {
    key_text(item, SK)?.strip_prefix(INTEGRATION_PREFIX)
}

/// The integration id in a raw incident item's partition key `INC#{id}`, if it has one.
pub fn item_incident_integration(item: &Item) -> Option<&str> {
    key_text(item, PK)?.strip_prefix(INCIDENT_PREFIX)
}

/// The integration a raw item belongs to, from its key: an integration's own id, or the id in
/// a history or incident partition. `None` for teams and foreign keys.
pub fn item_integration(item: &Item) -> Option<&str> {
    match ItemKind::of_item(item)? {
        ItemKind::Integration => item_key_id(item),
        ItemKind::History => key_text(item, PK)?.strip_prefix(HISTORY_PREFIX),
        ItemKind::Incident => item_incident_integration(item),
        ItemKind::Notification => {
            let incident = key_text(item, PK)?.strip_prefix(NOTIFICATION_PREFIX)?;
            // The integration is the incident id's part before its last two `:`.
            let mut parts = incident.rsplitn(3, ':');
            parts.nth(2).filter(|i| !i.is_empty())
        }
        ItemKind::MinuteCounts => key_text(item, PK)?.strip_prefix(CALLS_PREFIX),
        ItemKind::FailedCall => key_text(item, PK)?.strip_prefix(CALL_EVENT_PREFIX),
        ItemKind::IngestQuota => key_text(item, PK)?.strip_prefix(QUOTA_PREFIX),
        ItemKind::PassiveState => key_text(item, SK)?.strip_prefix(PASSIVE_STATE_PREFIX),
        ItemKind::Team | ItemKind::Audit | ItemKind::Silence | ItemKind::IngestToken => None,
    }
}

/// The key of a raw item, if both key attributes are strings.
pub fn item_key(item: &Item) -> Option<Key> {
    Some((
        key_text(item, PK)?.to_string(),
        key_text(item, SK)?.to_string(),
    ))
}

fn key_text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_ids_map_to_keys_and_back() {
        let key = incident_key("crm-contact-sync:auth:3").unwrap();
        assert_eq!(
            key,
            (
                "INC#crm-contact-sync".to_string(),
                "auth#000003".to_string()
            )
        );
        assert_eq!(
            incident_id_of_key(&key.0, &key.1).map(|id| id.to_string()),
            Some("crm-contact-sync:auth:3".to_string())
        );
        for bad in [
            "",
            "x",
            "a:auth",
            "a:bogus:1",
            ":auth:1",
            "a:auth:-1",
            "a:auth:one",
        ] {
            assert_eq!(incident_key(bad), None, "{bad}");
        }
        assert_eq!(incident_id_of_key("INC#a", "auth"), None);
        assert_eq!(incident_id_of_key("HIST#a", "auth#000001"), None);
    }

    #[test]
    fn keys_tell_the_item_kind() {
        let kind = |(pk, sk): Key| ItemKind::of_key(&pk, &sk);
        assert_eq!(kind(integration_key("a")), Some(ItemKind::Integration));
        assert_eq!(kind(team_key("a")), Some(ItemKind::Team));
        assert_eq!(
            kind(history_key("a", DateTime::UNIX_EPOCH)),
            Some(ItemKind::History)
        );
        assert_eq!(
            kind(incident_key("a:auth:1").unwrap()),
            Some(ItemKind::Incident)
        );
        assert_eq!(
            ItemKind::of_key("NTF#a:auth:1", "a:auth:1/opened"),
            Some(ItemKind::Notification)
        );
        assert_eq!(
            ItemKind::of_key("AUDIT#e1", "ignored"),
            Some(ItemKind::Audit)
        );
        assert_eq!(
            kind(silence_key(&"sil-abcdefgh23".parse().unwrap())),
            Some(ItemKind::Silence)
        );
        let minute = DateTime::UNIX_EPOCH;
        assert_eq!(kind(minute_key("a", minute)), Some(ItemKind::MinuteCounts));
        assert_eq!(
            kind(call_event_key("a", minute, "e1")),
            Some(ItemKind::FailedCall)
        );
        assert_eq!(kind(passive_state_key("a")), Some(ItemKind::PassiveState));
        assert_eq!(kind(ingest_token_key("ab12")), Some(ItemKind::IngestToken));
        assert_eq!(kind(quota_key("a", minute)), Some(ItemKind::IngestQuota));
        assert_eq!(ItemKind::of_key("PASSIVE", "OTHER#a"), None);
        assert_eq!(ItemKind::of_key("INGEST", "STATE#a"), None);
        assert_eq!(ItemKind::of_key("SILENCEX", "sil-abcdefgh23"), None);
        assert_eq!(ItemKind::of_key("INVENTORY", "OTHER#a"), None);
        assert_eq!(ItemKind::of_key("SOMETHING", "else"), None);
        assert_eq!(ItemKind::of_item(&Item::new()), None);
    }

    #[test]
    fn items_name_their_integration() {
        let of = |key: Key| item_integration(&key_item(&key)).map(str::to_string);
        assert_eq!(of(integration_key("a")), Some("a".into()));
        assert_eq!(of(history_key("b", DateTime::UNIX_EPOCH)), Some("b".into()));
        assert_eq!(of(incident_key("c:auth:1").unwrap()), Some("c".into()));
        assert_eq!(of(team_key("t")), None);
        let incident: IncidentId = "d:auth:2".parse().unwrap();
        let ntf = NotificationId::new(
            &incident,
            crate::notify::notification::Event::Opened,
            &crate::domain::incident::IncidentChange::Opened(sample_incident(&incident)),
            1,
        );
        assert_eq!(of(notification_key(&incident, &ntf)), Some("d".into()));
        assert_eq!(of(audit_key("e", AuditDecision::Ignored)), None);
        assert_eq!(of(silence_key(&"sil-abcdefgh23".parse().unwrap())), None);
        let minute = DateTime::UNIX_EPOCH;
        assert_eq!(of(minute_key("f", minute)), Some("f".into()));
        assert_eq!(of(call_event_key("g", minute, "e")), Some("g".into()));
        assert_eq!(of(passive_state_key("h")), Some("h".into()));
        assert_eq!(of(quota_key("i", minute)), Some("i".into()));
        assert_eq!(of(ingest_token_key("ab")), None);
    }

    fn sample_incident(id: &IncidentId) -> crate::domain::incident::Incident {
        crate::domain::incident::Incident::for_platform(
            id.clone(),
            id.integration(),
            crate::domain::incident::IncidentClass::NotProbed,
            String::new(),
            DateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn prefixes_are_disjoint_so_the_stream_filter_selects_incidents_only() {
        let prefixes = [
            INVENTORY_PK,
            HISTORY_PREFIX,
            INCIDENT_PREFIX,
            NOTIFICATION_PREFIX,
            AUDIT_PREFIX,
            SILENCE_PK,
            GROUP_PREFIX,
            CALLS_PREFIX,
            CALL_EVENT_PREFIX,
            PASSIVE_PK,
            INGEST_PK,
            QUOTA_PREFIX,
        ];
        for a in prefixes {
            for b in prefixes {
                if a != b {
                    assert!(!a.starts_with(b), "{a} starts with {b}");
                }
            }
        }
    }

    #[test]
    fn a_notification_id_names_its_incident() {
        let incident: IncidentId = "crm-sync:auth:12".parse().unwrap();
        for text in [
            "crm-sync:auth:12/opened",
            "crm-sync:auth:12/resolved",
            "crm-sync:auth:12/changed/missing_scopes@2026-11-30T13:05:00.000Z",
            "crm-sync:auth:12/reminder/2",
            "crm-sync:auth:12/drill@2026-11-30T13:05:00.000Z",
        ] {
            let id: NotificationId = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert_eq!(
                incident_of_notification(&id),
                Some(incident.clone()),
                "{text}"
            );
        }
        // Every form the fan-out builds, and each one's copy to another team (`>{team}`: the
        // after-hours or escalation team, the other owner of a shared credential).
        use crate::notify::notification::Event;
        let at: chrono::DateTime<chrono::Utc> = "2026-11-30T13:05:00Z".parse().unwrap();
        let mut built = Vec::new();
        for event in [
            Event::Opened,
            Event::Changed,
            Event::Resolved,
            Event::Acknowledged,
        ] {
            built.push(NotificationId::at(&incident, event, at));
        }
        for event in [Event::Reminder, Event::Escalated] {
            built.push(NotificationId::step(&incident, event, 3, at));
        }
        built.push(NotificationId::group(
            &incident,
            Event::Opened,
            "credential",
            at,
        ));
        built.push(NotificationId::group(
            &incident,
            Event::Digest,
            "opened",
            at,
        ));
        for base in ["opened", "resolved", "changed", "acknowledged"] {
            let text = format!("crm-sync:auth:12/{base}");
            built.push(serde_json::from_value(serde_json::json!(text)).unwrap());
        }
        for id in built {
            let copy = id.for_team("platform");
            for id in [id, copy] {
                assert_eq!(
                    incident_of_notification(&id),
                    Some(incident.clone()),
                    "{id}"
                );
            }
        }
        for text in [
            "",
            "crm-sync:auth:12",
            "crm-sync:auth:12/bogus",
            "x/opened",
            "a:b:1/opened",
        ] {
            let id: NotificationId = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert_eq!(incident_of_notification(&id), None, "{text}");
        }
    }

    #[test]
    fn due_bound_admits_exactly_the_times_at_or_before_now() {
        let now = DateTime::UNIX_EPOCH + chrono::TimeDelta::milliseconds(5_000);
        let id: NotificationId =
            serde_json::from_value(serde_json::json!("a:auth:1/opened")).unwrap();
        let bound = pending_due_bound(now);
        let at = |ms| {
            pending_gsi_sk(
                DateTime::UNIX_EPOCH + chrono::TimeDelta::milliseconds(ms),
                &id,
            )
        };
        assert!(at(4_999) < bound);
        assert!(at(5_000) < bound);
        assert!(at(5_001) > bound);
    }
}
