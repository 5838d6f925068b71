//! DynamoDB stream images, decoded by the very decoders the adapter reads with.
//!
//! A Lambda function subscribed to the table's stream receives each change as a record whose
//! `dynamodb.Keys`, `NewImage` and `OldImage` are items in DynamoDB's JSON
//! (`{"pk":{"S":"INC#crm"},"n":{"N":"3"}}`); `aws_lambda_events` deserializes them as
//! [`serde_dynamo::Item`]. Here an image becomes the SDK's item ([`item_of_image`], a lossless
//! conversion `serde_dynamo` provides for `aws-sdk-dynamodb` 1.x) and then goes through the
//! same decoder as a Query result ([`super::incident::decode_incident`] and its siblings), so
//! the alert fan-out never re-implements decoding. The result is the item, or the
//! [`UnreadableItem`] (key, attribute, problem; never a value).

use super::audit::decode_audit;
use super::history::decode_history;
use super::incident::decode_incident;
use super::integration::decode_integration;
use super::keys::{ItemKind, item_integration, item_label};
use super::notification::decode_notification;
use super::passive::{
    decode_failed_call, decode_ingest_token, decode_minute, decode_passive_state, decode_quota,
};
use super::silence::decode_silence;
use super::team::decode_team;
use super::value::Item;
use chrono::{DateTime, Utc};

use crate::domain::passive::{IngestToken, MinuteCounts, PassiveState, SfmcCall};
use crate::domain::silence::Silence;
use crate::inventory::Team;
use crate::notify::delivery::{AuditEntry, NotificationRecord};
use crate::store::{HistoryEntry, Incident, IntegrationRecord, UnreadableItem};

/// An item of the table, decoded according to its key.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredItem {
    /// An integration (`INVENTORY` / `INT#{id}`).
    Integration(Box<IntegrationRecord>),
    /// A team (`INVENTORY` / `TEAM#{id}`).
    Team(Team),
    /// A probe (`HIST#{integration}` / `{probed_at}`).
    History(HistoryEntry),
    /// An incident (`INC#{integration}` / `{check}#{seq}`).
    Incident(Incident),
    /// A notification (`NTF#{incident_id}` / `{notification_id}`).
    Notification(Box<NotificationRecord>),
    /// An audit entry (`AUDIT#{source_id}` / `{decision}`).
    Audit(AuditEntry),
    /// A silence (`SILENCE` / `{id}`).
    Silence(Box<Silence>),
    /// An integration's call counters of one minute (`CALLS#{integration}` / `{minute}`).
    MinuteCounts(MinuteCounts),
    /// A failed call kept raw (`CALLEV#{integration}` / `{observed_at}#{event_id}`).
    FailedCall(Box<SfmcCall>),
    /// An integration's passive state (`PASSIVE` / `STATE#{integration}`): `(integration, state)`.
    PassiveState(String, PassiveState),
    /// An ingest token (`INGEST` / `TOKEN#{hash}`).
    IngestToken(IngestToken),
    /// An integration's ingest allowance of one minute (`QUOTA#{integration}` / `{minute}`):
    /// `(integration, minute, events taken)`.
    IngestQuota(String, DateTime<Utc>, u64),
}

/// The SDK item of a stream image (a copy; every attribute type converts).
pub fn item_of_image(image: &serde_dynamo::Item) -> Item {
    image.clone().into()
}

/// The stream image of an SDK item: what a Lambda stream event would carry for it.
pub fn image_of_item(item: Item) -> serde_dynamo::Item {
    item.into()
}

/// Any item, decoded according to its key: `Ok(None)` for a key credwatch does not write (not
/// an error: a stream also carries other writers' items), `Err` for an item of a known kind
/// that does not decode.
pub fn decode_item(item: &Item) -> Result<Option<StoredItem>, UnreadableItem> {
    let Some(kind) = ItemKind::of_item(item) else {
        return Ok(None);
    };
    let decoded = match kind {
        ItemKind::Integration => StoredItem::Integration(Box::new(decode_integration(item)?)),
        ItemKind::Team => StoredItem::Team(decode_team(item)?),
        ItemKind::History => StoredItem::History(decode_history(item)?),
        ItemKind::Incident => StoredItem::Incident(decode_incident(item)?),
        ItemKind::Notification => StoredItem::Notification(Box::new(decode_notification(item)?)),
        ItemKind::Audit => StoredItem::Audit(decode_audit(item)?),
        ItemKind::Silence => StoredItem::Silence(Box::new(decode_silence(item)?)),
        ItemKind::MinuteCounts => StoredItem::MinuteCounts(decode_minute(item)?),
        ItemKind::FailedCall => StoredItem::FailedCall(Box::new(decode_failed_call(item)?)),
        ItemKind::PassiveState => {
            let (integration, state) = decode_passive_state(item)?;
            StoredItem::PassiveState(integration, state)
        }
        ItemKind::IngestToken => StoredItem::IngestToken(decode_ingest_token(item)?),
        ItemKind::IngestQuota => {
            let (integration, minute, used) = decode_quota(item)?;
            StoredItem::IngestQuota(integration, minute, used)
        }
    };
    Ok(Some(decoded))
}

/// A stream image, decoded according to its key ([`decode_item`]).
pub fn decode_image(image: &serde_dynamo::Item) -> Result<Option<StoredItem>, UnreadableItem> {
    decode_item(&item_of_image(image))
}

/// An incident from a stream image. An image that is not an incident item (by its key) is
/// unreadable as an incident (its `pk` names the problem); use [`decode_image`] or
/// [`ItemKind::of_item`] first to skip other items.
pub fn incident_of_image(image: &serde_dynamo::Item) -> Result<Incident, UnreadableItem> {
    let item = item_of_image(image);
    if ItemKind::of_item(&item) != Some(ItemKind::Incident) {
        return Err(UnreadableItem {
            key: item_label(&item),
            integration: item_integration(&item).map(str::to_string),
            field: super::keys::PK.to_string(),
            problem: format!(
                "is not an incident key ({}{{integration}})",
                super::keys::INCIDENT_PREFIX
            ),
        });
    }
    decode_incident(&item)
}

#[cfg(test)]
mod tests;
