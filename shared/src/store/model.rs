//! The plain data of the store port: what the adapters take and return. No adapter type (no
//! DynamoDB attribute, no key) appears here.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::outcome::OutcomeClass;
use crate::inventory::{Integration, Severity};
use crate::rules::health::{CheckKind, CheckState};

/// Incidents of `monitor` checks belong to this team: credwatch's own operators, never the
/// integration's owners.
pub const PLATFORM_TEAM: &str = "platform";

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

/// An incident: one period during which one check of one integration was failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// `{integration}:{check}:{seq}`, see [`crate::rules::health::incident_id`].
    pub id: String,
    /// The integration id.
    pub integration: String,
    /// Which check it belongs to.
    pub check: CheckKind,
    /// An outcome class for auth/monitor incidents; `secret_expiring`, `secret_expired` or
    /// `expiry_unknown` for expiry ones.
    pub class: String,
    /// How urgent it is (the integration's severity; `high` for the platform's).
    pub severity: Severity,
    /// Team that owns it: the integration's owner, or [`PLATFORM_TEAM`].
    pub team: String,
    /// Still failing; false once resolved.
    pub open: bool,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it last changed (opened, changed class or threshold, moved team, resolved).
    pub updated_at: DateTime<Utc>,
    /// When it resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Expiry incidents: the warning threshold (days) last crossed.
    pub threshold_days: Option<u32>,
    /// What is wrong, in plain words (sanitized SFMC text included, never a secret).
    pub message: String,
    /// The HTTP status SFMC answered with, when the failure had one.
    pub http_status: Option<u16>,
}

impl Incident {
    /// A newly opened `monitor` incident about credwatch's own trouble with `integration`
    /// (not probed, an unreadable item): the [`PLATFORM_TEAM`]'s, at high severity.
    pub fn for_platform(
        id: String,
        integration: &str,
        class: &str,
        message: String,
        now: DateTime<Utc>,
    ) -> Incident {
        Incident {
            id,
            integration: integration.to_string(),
            check: CheckKind::Monitor,
            class: class.to_string(),
            severity: Severity::High,
            team: PLATFORM_TEAM.to_string(),
            open: true,
            opened_at: now,
            updated_at: now,
            resolved_at: None,
            threshold_days: None,
            message,
            http_status: None,
        }
    }
}

/// A change to an incident, written together with the state change that caused it.
#[derive(Debug, Clone, PartialEq)]
pub enum IncidentWrite {
    /// Create; refused if an incident with this id already exists (it is opened exactly once).
    Open(Incident),
    /// Update an open incident in place (class change, expiry threshold step).
    Update {
        /// The incident's id.
        id: String,
        /// Its new class.
        class: String,
        /// Its new message.
        message: String,
        /// Its new HTTP status (absent removes it).
        http_status: Option<u16>,
        /// Its new severity.
        severity: Severity,
        /// Its new threshold (absent removes it).
        threshold_days: Option<u32>,
        /// When it changed.
        at: DateTime<Utc>,
    },
    /// Close an open incident.
    Resolve {
        /// The incident's id.
        id: String,
        /// The closing message.
        message: String,
        /// When it resolved.
        at: DateTime<Utc>,
    },
}

impl IncidentWrite {
    /// The id of the incident it writes.
    pub fn id(&self) -> &str {
        match self {
            IncidentWrite::Open(incident) => &incident.id,
            IncidentWrite::Update { id, .. } | IncidentWrite::Resolve { id, .. } => id,
        }
    }
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

/// A state update after a probe: applied only if the stored version is still
/// `expected_version`, together with its incident writes (all or nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct StateCommit {
    /// The integration id.
    pub integration: String,
    /// The version the state was read at.
    pub expected_version: u64,
    /// The new state; the store writes it with version `expected_version + 1`.
    pub state: CheckState,
    /// Incident writes applied with it, at most one per incident.
    pub incidents: Vec<IncidentWrite>,
}

/// What became of a [`StateCommit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The state and every incident write were written.
    Applied,
    /// Another invocation updated the state first; nothing was written.
    Conflict,
}
