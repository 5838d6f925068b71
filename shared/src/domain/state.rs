//! An integration's monitoring state: what credwatch remembers between probes and scans (the
//! health of its two tracks, its expiry countdown, its open incidents), and the commit that
//! replaces it together with the incident changes it causes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::incident::{IncidentChange, IncidentClass, IncidentId};
use crate::domain::outcome::OutcomeClass;

/// Health of one track, and of an integration (the worse of its tracks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Never probed yet.
    #[default]
    Unknown,
    /// Working.
    Healthy,
    /// Failing, but not yet long enough (transient) to fire.
    Pending,
    /// An incident is open.
    Firing,
    /// Succeeding again, not yet long enough to resolve the incident.
    Recovering,
}

impl Health {
    /// Every health, from the least to the most attention needed but `Recovering` before
    /// `Firing` as an incident lives: the order of a dashboard's stacked series.
    pub const ALL: [Health; 5] = [
        Health::Unknown,
        Health::Healthy,
        Health::Pending,
        Health::Firing,
        Health::Recovering,
    ];

    /// `unknown`, `healthy`, `pending`, `firing` or `recovering`: the form stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Healthy => "healthy",
            Health::Pending => "pending",
            Health::Firing => "firing",
            Health::Recovering => "recovering",
        }
    }

    /// The inverse of [`Health::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<Health> {
        Health::ALL.into_iter().find(|h| h.as_str() == text)
    }

    /// How much attention the state needs; the integration shows its worst track.
    fn urgency(self) -> u8 {
        match self {
            Health::Unknown => 0,
            Health::Healthy => 1,
            Health::Pending => 2,
            Health::Recovering => 3,
            Health::Firing => 4,
        }
    }

    /// The one of `a` and `b` that needs more attention (`a` when equal).
    pub fn worst(a: Health, b: Health) -> Health {
        if b.urgency() > a.urgency() { b } else { a }
    }

    /// Not healthy: the integration is probed on the faster `recheck_every` cadence.
    pub fn needs_recheck(self) -> bool {
        matches!(self, Health::Pending | Health::Firing | Health::Recovering)
    }
}

/// Sustained-failure bookkeeping of one track.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Track {
    /// Where the track is in its state machine.
    pub health: Health,
    /// The failing class while not healthy; the class of the open incident while firing.
    pub class: Option<OutcomeClass>,
    /// When `health` last changed.
    pub since: Option<DateTime<Utc>>,
    /// Failures in a row (saturating).
    pub consecutive_failures: u32,
    /// First failure of the current run of failures.
    pub first_failure_at: Option<DateTime<Utc>>,
    /// Successes in a row since the last failure (saturating).
    pub consecutive_successes: u32,
    /// Open incident of this track (while firing or recovering).
    pub open_incident: Option<IncidentId>,
}

/// Everything the monitor remembers about one integration between probes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckState {
    /// What SFMC says about the credential.
    pub auth: Track,
    /// credwatch's own ability to probe.
    pub monitor: Track,
    /// Class of the last completed probe.
    pub last_class: Option<OutcomeClass>,
    /// When the last completed probe ran.
    pub last_probe_at: Option<DateTime<Utc>>,
    /// When the integration is due next (`None`: due now).
    pub next_probe_at: Option<DateTime<Utc>>,
    /// Incidents ever opened for this integration; the next one gets `incident_seq + 1`. Part
    /// of the incident id, so overlapping invocations that compute the same transition compute
    /// the same id, and the conditional put lets only one of them open it.
    pub incident_seq: u32,
    /// Expiry warnings of the client secret (written by the expiry scan).
    pub expiry: ExpiryTrack,
    /// The open dead-man's-switch incident ("credwatch has not checked X since ..."): opened by
    /// the expiry scan, resolved by the next completed probe.
    pub stale_incident: Option<IncidentId>,
    /// Fingerprint of the client secret the last probe that read it used
    /// ([`crate::secrets::fingerprint::secret_fingerprint`]; never the secret): the baseline a Secrets
    /// Manager change event is compared with to tell a rotation from a re-save.
    pub secret_fingerprint: Option<String>,
    /// Optimistic-concurrency version, bumped by the store on every committed update.
    pub version: u64,
}

impl CheckState {
    /// The integration's health: the worse of its two tracks.
    pub fn health(&self) -> Health {
        Health::worst(self.auth.health, self.monitor.health)
    }
}

/// A warning threshold: `Days(n)` is crossed when the secret expires in `n` days or fewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Threshold {
    /// Expires in this many days or fewer.
    Days(u32),
    /// The expiry day has passed.
    Expired,
    /// The expiry date is not known.
    Unknown,
}

impl Threshold {
    /// `30`, `7`, `expired`, `unknown`: the form stored and shown.
    pub fn key(self) -> String {
        match self {
            Threshold::Days(days) => days.to_string(),
            Threshold::Expired => "expired".to_string(),
            Threshold::Unknown => "unknown".to_string(),
        }
    }

    /// The inverse of [`Threshold::key`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<Threshold> {
        match text {
            "expired" => Some(Threshold::Expired),
            "unknown" => Some(Threshold::Unknown),
            days => days.parse().ok().map(Threshold::Days),
        }
    }

    /// `threshold_days` of the incident: the days of a warning, 0 once expired.
    pub fn days(self) -> Option<u32> {
        match self {
            Threshold::Days(days) => Some(days),
            Threshold::Expired => Some(0),
            Threshold::Unknown => None,
        }
    }

    /// The class of the expiry incident at this threshold.
    pub fn class(self) -> IncidentClass {
        match self {
            Threshold::Days(_) => IncidentClass::SecretExpiring,
            Threshold::Expired => IncidentClass::SecretExpired,
            Threshold::Unknown => IncidentClass::ExpiryUnknown,
        }
    }

    /// Lower is more urgent.
    fn rank(self) -> u64 {
        match self {
            Threshold::Expired => 0,
            Threshold::Days(days) => 1 + u64::from(days),
            Threshold::Unknown => u64::MAX,
        }
    }

    /// True when `self` is strictly more urgent (closer to or past expiry) than `other`.
    pub fn more_urgent_than(self, other: Threshold) -> bool {
        self.rank() < other.rank()
    }
}

/// What the monitor remembers about an integration's expiry between scans.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExpiryTrack {
    /// The open expiry incident, if any.
    pub open_incident: Option<IncidentId>,
    /// Version (expiry date `YYYY-MM-DD`, or `unknown`) the open incident is about.
    pub version: Option<String>,
    /// Threshold the open incident is at.
    pub threshold: Option<Threshold>,
    /// `{version}#{threshold}` of every notification ever made (opened or stepped), oldest first.
    pub notified: Vec<String>,
}

/// A state update: applied only if the stored version is still `expected_version`, together
/// with its incident changes (all or nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct StateCommit {
    /// The integration's id.
    pub integration: String,
    /// The version the state was read at.
    pub expected_version: u64,
    /// The new state; the store writes it with version `expected_version + 1`.
    pub state: CheckState,
    /// Incident changes, in order.
    pub incidents: Vec<IncidentChange>,
}
