//! The plain data of the store port: what the adapters take and return. No adapter type (no
//! DynamoDB attribute, no key) appears here.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::incident::Incident;
use crate::domain::outcome::OutcomeClass;
use crate::domain::silence::Silence;
use crate::domain::state::CheckState;
use crate::inventory::Integration;

/// An integration as the store holds it: its inventory entry, its monitoring state, and its life.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationRecord {
    /// The inventory entry, as last applied.
    pub integration: Integration,
    /// The monitoring state; its `version` is the store's optimistic-concurrency counter.
    pub state: CheckState,
    /// Removed from the inventory: no longer probed, its state, history and incidents kept.
    pub retired: bool,
    /// When `inventory apply` first wrote it (or last rewrote an unreadable item).
    pub added_at: DateTime<Utc>,
    /// Last time a Secrets Manager change to this integration's secret was seen (rotation).
    pub secret_rotated_seen_at: Option<DateTime<Utc>>,
}

/// An integration item that cannot be decoded (written by hand, by another tool, or by an older
/// credwatch). Every reader skips it and reports it; `inventory apply` overwrites it and
/// `--prune` deletes it. Never carries the item's values, only where it is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableIntegration {
    /// The integration id from the item's key.
    pub id: String,
    /// The attribute that is wrong, e.g. `next_probe_at` or `auth.health`.
    pub field: String,
    /// What is wrong with it, e.g. `is not a valid RFC 3339 timestamp`.
    pub problem: String,
}

impl std::fmt::Display for UnreadableIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "attribute {} {}", self.field, self.problem)
    }
}

/// Every integration in the store: those that decode, in id order, and those that do not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntegrationListing {
    /// The integrations that decode, in id order.
    pub records: Vec<IntegrationRecord>,
    /// The integration items that do not, in key order.
    pub unreadable: Vec<UnreadableIntegration>,
}

/// An item that cannot be decoded, wherever it was read (a Query, a GetItem, a DynamoDB stream
/// image). Listed apart so it is counted and shown, never silently dropped. Never carries the
/// item's values, only where it is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableItem {
    /// The item's key, `pk=INC#crm-sync sk=auth#000003` (keys are ids and timestamps; shown
    /// escaped and capped, whatever was written).
    pub key: String,
    /// The integration it belongs to, from its key, when the key names one.
    pub integration: Option<String>,
    /// The attribute that is wrong, e.g. `message`, `opened_at` or `auth.health`.
    pub field: String,
    /// What is wrong with it, e.g. `is not a string (S)`.
    pub problem: String,
}

impl std::fmt::Display for UnreadableItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "item {}: attribute {} {}",
            self.key, self.field, self.problem
        )
    }
}

/// Incidents that decode, and apart from them the incident items that do not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentListing {
    /// The incidents that decode, oldest first.
    pub incidents: Vec<Incident>,
    /// The incident items that do not.
    pub unreadable: Vec<UnreadableItem>,
}

/// One probe, as kept in the history (with a TTL; default 90 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// The integration id.
    pub integration: String,
    /// When the probe ran (kept to the millisecond: one entry per integration and millisecond).
    pub probed_at: DateTime<Utc>,
    /// What the probe concluded.
    pub class: OutcomeClass,
    /// SFMC's HTTP status, when it answered.
    pub http_status: Option<u16>,
    /// How long the probe took, in milliseconds.
    pub latency_ms: u64,
    /// Requests made (2 when a definitive failure was confirmed).
    pub attempts: u32,
    /// A definitive failure confirmed by an immediate second attempt.
    pub confirmed: bool,
    /// The business unit (MID) the token was issued for.
    pub business_unit: Option<u64>,
    /// Expected scopes the token lacked.
    pub missing_scopes: Vec<String>,
    /// What happened, in plain words (sanitized, never a secret).
    pub message: String,
}

/// What became of a [`StateCommit`](crate::domain::state::StateCommit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The state and every incident write were written.
    Applied,
    /// Another invocation updated the state first; nothing was written.
    Conflict,
}

/// Every notification of one incident that decodes, oldest first, and apart from them the
/// notification items of that incident that do not (each named by its key and field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotificationListing {
    /// The notifications that decode, oldest first.
    pub records: Vec<crate::notify::delivery::NotificationRecord>,
    /// The items that could not be decoded.
    pub unreadable: Vec<UnreadableItem>,
}

/// Pending notifications due for an attempt, and apart from them the notification items that
/// cannot be read (each named by its key and field; the sweep reports and skips them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DueNotifications {
    /// Readable pending notifications whose `next_attempt_at` has come, oldest due first.
    pub due: Vec<crate::notify::delivery::NotificationRecord>,
    /// Items that could not be decoded.
    pub unreadable: Vec<UnreadableItem>,
}

/// Every stored silence that decodes (pending, active and ended, by start then id), and apart
/// from them the silence items that do not (each named by its key and attribute).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SilenceListing {
    /// The silences that decode, by `starts_at`, then id.
    pub silences: Vec<Silence>,
    /// The items that could not be decoded.
    pub unreadable: Vec<UnreadableItem>,
}

/// What [`Silences::expire_silence`](super::roles::Silences::expire_silence) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpireOutcome {
    /// It was pending or active and is now ended: the silence as stored after the write.
    Expired(Silence),
    /// No silence has that id.
    NotFound,
    /// It had already ended (ran out, or was expired before): nothing written.
    AlreadyEnded(Silence),
}

/// What [`Incidents::acknowledge`](super::roles::Incidents::acknowledge) and
/// [`Incidents::unacknowledge`](super::roles::Incidents::unacknowledge) did.
#[derive(Debug, Clone, PartialEq)]
pub enum AckOutcome {
    /// Written: the incident as it is after the write.
    Done(Incident),
    /// No incident has that id (never opened, pruned, or expired a year after it resolved).
    NotFound,
    /// The incident is resolved: nothing written (nobody needs to be on it); as it is.
    Resolved(Incident),
}

/// What [`PassiveRecords::record_calls`](super::PassiveRecords::record_calls) wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RecordedCalls {
    /// Counter items updated (one per integration and minute).
    pub counter_writes: usize,
    /// Failed calls kept raw.
    pub failures_kept: usize,
}

/// Every integration's passive state, and apart from them the state items that cannot be
/// decoded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PassiveListing {
    /// `(integration, state)`, by integration id.
    pub states: Vec<(String, crate::domain::passive::PassiveState)>,
    /// The state items that cannot be decoded.
    pub unreadable: Vec<UnreadableItem>,
}
