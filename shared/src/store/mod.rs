//! The store port: what credwatch keeps between invocations, and the adapters that keep it
//! (DynamoDB when deployed, in memory for the demo and unit tests).
//!
//! Key names and item shapes live in [`schema`]; nothing else knows them.

pub mod dynamo;
pub mod memory;

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::outcome::OutcomeClass;
use crate::domain::state::CheckState;
use crate::inventory::{Integration, Team};

/// The vocabulary of the port's signatures, defined in [`crate::domain`].
pub use crate::domain::incident::{Incident, IncidentChange};
/// The state commit, defined in [`crate::domain::state`].
pub use crate::domain::state::StateCommit;

/// An integration as the store holds it: its inventory entry, its monitoring state, and its life.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationRecord {
    pub integration: Integration,
    pub state: CheckState,
    /// Removed from the inventory: no longer probed, its state, history and incidents kept.
    pub retired: bool,
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
    pub records: Vec<IntegrationRecord>,
    pub unreadable: Vec<UnreadableIntegration>,
}

/// An item other than an integration (an incident) that cannot be decoded. Listed apart so it
/// is counted and shown, never silently dropped. Never carries the item's values, only where
/// it is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableItem {
    /// The item's key, `pk=INC#crm-sync sk=auth#000003` (keys are ids and timestamps).
    pub key: String,
    /// The integration it belongs to, from its key, when the key names one.
    pub integration: Option<String>,
    /// The attribute that is wrong, e.g. `message` or `opened_at`.
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
    pub incidents: Vec<Incident>,
    pub unreadable: Vec<UnreadableItem>,
}

/// One probe, as kept in the history (with a TTL; default 90 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub integration: String,
    pub probed_at: DateTime<Utc>,
    pub class: OutcomeClass,
    pub http_status: Option<u16>,
    pub latency_ms: u64,
    pub attempts: u32,
    pub confirmed: bool,
    pub business_unit: Option<u64>,
    pub missing_scopes: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    Applied,
    /// Another invocation updated the state first; nothing was written.
    Conflict,
}

/// A store failure. Messages name the table, item key and operation, never item contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything credwatch reads and writes between invocations. Listings never fail because of
/// one item: unreadable integrations are returned apart ([`IntegrationListing`]), and so are
/// unreadable open incidents ([`Store::open_incident_listing`]); unreadable teams, history
/// entries and (in [`Store::incidents_of`]) incidents are logged and skipped.
pub trait Store: Send + Sync {
    // ---- the probe's hot path ----

    /// Every integration with its state, active and retired, in id order, and apart from them
    /// the items that cannot be decoded: one bad item never hides the others. One Query (paged).
    fn list_integrations(&self) -> impl Future<Output = StoreResult<IntegrationListing>> + Send;

    fn get_integration(
        &self,
        id: &str,
    ) -> impl Future<Output = StoreResult<Option<IntegrationRecord>>> + Send;

    /// Applies a state update and its incident writes atomically, if the version still matches.
    fn commit(
        &self,
        commit: &StateCommit,
    ) -> impl Future<Output = StoreResult<CommitOutcome>> + Send;

    /// Appends probe history, batched.
    fn append_history(
        &self,
        entries: &[HistoryEntry],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Records a verified rotation: the integration's secret changed in Secrets Manager at `at`
    /// to a value with `fingerprint`; makes the integration due now. Rotation times only move
    /// forward: `Ok(false)` (nothing written) when a rotation at or after `at` is already
    /// recorded.
    fn record_rotation(
        &self,
        integration: &str,
        at: DateTime<Utc>,
        fingerprint: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    // ---- reading ----

    /// Most recent first.
    fn history(
        &self,
        integration: &str,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<HistoryEntry>>> + Send;

    /// Every open incident (sparse index; no Scan).
    fn open_incidents(&self) -> impl Future<Output = StoreResult<Vec<Incident>>> + Send;

    /// Every incident of one integration, open or resolved, oldest first.
    fn incidents_of(
        &self,
        integration: &str,
    ) -> impl Future<Output = StoreResult<Vec<Incident>>> + Send;

    /// [`Store::open_incidents`] with the open incident items that cannot be decoded listed
    /// apart (an open incident whose `message` is a number must not vanish). The default is for
    /// stores that cannot hold such items (in memory).
    fn open_incident_listing(&self) -> impl Future<Output = StoreResult<IncidentListing>> + Send {
        async {
            Ok(IncidentListing {
                incidents: self.open_incidents().await?,
                unreadable: Vec::new(),
            })
        }
    }

    // ---- inventory sync ----

    fn list_teams(&self) -> impl Future<Output = StoreResult<Vec<Team>>> + Send;

    fn put_team(&self, team: &Team) -> impl Future<Output = StoreResult<()>> + Send;

    fn delete_team(&self, id: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Creates the integration with a fresh state (due at `first_probe_at`), or updates its
    /// inventory fields only, keeping state, and un-retiring it.
    fn put_integration(
        &self,
        integration: &Integration,
        now: DateTime<Utc>,
        first_probe_at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Writes the integration afresh over whatever its item holds (repairing an unreadable
    /// one): inventory fields, `state` as version 0, added at `now`, not retired.
    fn replace_integration(
        &self,
        integration: &Integration,
        now: DateTime<Utc>,
        state: &CheckState,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Opens an incident that no integration state tracks (an unreadable item), unless an open
    /// incident with its id exists; a resolved one of that id is replaced. True if opened.
    fn open_incident(&self, incident: &Incident) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Resolves incident `id` if it is open. True if it was.
    fn resolve_incident(
        &self,
        id: &str,
        message: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Hands open incident `id` to `team` (the integration's owner changed). True if it was open.
    fn reassign_incident(
        &self,
        id: &str,
        team: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Marks an integration removed from the inventory: kept, not probed.
    fn retire_integration(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Deletes an integration with its state, history and incidents (`--prune`).
    fn prune_integration(&self, id: &str) -> impl Future<Output = StoreResult<()>> + Send;
}
