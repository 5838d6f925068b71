//! What a notification says beyond the incident itself, set by the alert-operations rules:
//! which reminder or escalation step it is, for whom it is sent when the recipient is not the
//! owner, who acknowledged, why it was held back, and the other incidents a group notice names.
//! Plain data, stored inside the notification document (each part absent when unused, so
//! documents of earlier versions read unchanged).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::incident::{IncidentClass, IncidentId};

/// The place of a reminder or escalation in its incident's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Its number, 1-based (reminder 3; escalation 1).
    pub n: u32,
    /// When the schedule started: the incident's opening or its last class change (a change
    /// restarts reminders and escalation).
    pub since: DateTime<Utc>,
}

/// Why the recipient is not (only) the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The team's `escalate_to`: nobody acknowledged in time.
    Escalation,
    /// The team's `after_hours_to`: critical, outside the owner's business hours.
    AfterHours,
}

/// A copy sent to another team than the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnBehalfOf {
    /// The owning team.
    pub owner: String,
    /// Why this team receives it.
    pub role: Role,
}

/// Who acknowledged the incident (`acknowledged` notifications).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckFacts {
    /// Who took it, as given to `credwatch ack --by`.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Their note, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why a notification was held back before it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    /// Outside the recipient team's business hours.
    Deferred,
    /// A silence (`credwatch silence add`).
    Silenced,
    /// A maintenance window of the inventory.
    Maintenance,
}

/// The hold a released notification went through: "silenced since 14:02 (silence sil-...)".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldNote {
    /// Deferred, silenced or maintenance.
    pub kind: HoldKind,
    /// Since when (the first hold).
    pub since: DateTime<Utc>,
    /// The hold's own words: `silence sil-abc (deploy) by ana`, `business hours of team crm`.
    pub reason: String,
}

/// One more incident a group notice names (a digest, or one notice per credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The incident.
    pub incident_id: IncidentId,
    /// Its integration's id.
    pub integration: String,
    /// Its integration's display name (scrubbed like every inventory text).
    pub name: String,
    /// The team that owns it.
    pub team: String,
    /// Its class when it was grouped.
    pub class: IncidentClass,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it resolved (members of a resolve digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The credential a credential notice is about: never its secret, only where and which
/// client id (SFMC's installed-package Client Id, shown in Setup, not a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialFacts {
    /// The auth host, e.g. `mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com`.
    pub auth_host: String,
    /// The Client Id.
    pub client_id: String,
    /// The team owning the integration the notice is about (its other integrations are its
    /// members, each with its team): every recipient sees who owns each one. Empty in
    /// notices recorded before it was kept.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
}
