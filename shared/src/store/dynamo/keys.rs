//! The key layout: the one place that knows how items are keyed. One `pub const` per key prefix;
//! the template's stream filter repeats [`INCIDENT_PREFIX`], and a test compares them.
//!
//! | item | `pk` | `sk` |
//! |---|---|---|
//! | integration | [`INVENTORY_PK`] | [`INTEGRATION_PREFIX`]`{id}` |
//! | team | [`INVENTORY_PK`] | [`TEAM_PREFIX`]`{id}` |
//! | probe history | [`HISTORY_PREFIX`]`{integration}` | `{probed_at}` |
//! | incident | [`INCIDENT_PREFIX`]`{integration}` | `{check}#{seq:06}` |
//!
//! Open incidents also carry the index keys [`GSI_PK`] = [`OPEN_GSI_PK`] and [`GSI_SK`] =
//! `{opened_at}#{id}`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::value::{Fields, Item, s, timestamp, to_item};
use crate::domain::incident::IncidentId;

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
        ItemKind::Team => None,
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
    }
}
