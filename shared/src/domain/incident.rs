//! The incident vocabulary: which check an incident belongs to, its typed id and class, the
//! incident record itself, and the one change type every job reports (the probe cycle, the
//! expiry scan, unreadable-item reporting, and the alert fan-out after them).
//!
//! Ids and classes are written as text in the table, the CLI and the JSON outputs; the typed
//! forms here write exactly that text ([`IncidentId`]'s `Display`, [`IncidentClass::as_str`])
//! and read it back ([`IncidentId::from_str`], [`IncidentClass::parse`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::outcome::OutcomeClass;
use crate::domain::severity::Severity;

mod ack;

pub use ack::{ACK_BY_MAX_CHARS, ACK_NOTE_MAX_CHARS, AckError, Acknowledgement};

/// Incidents of `monitor` checks belong to this team: credwatch's own operators, never the
/// integration's owners.
pub const PLATFORM_TEAM: &str = "platform";

/// The sequence number of standalone incidents: reports that no integration state tracks (an
/// unreadable item, `jobs::corrupt`), opened again under the same id after a resolve (each
/// other incident gets the next number of its integration and check).
pub const STANDALONE_SEQ: u32 = 0;

/// Which check an incident belongs to (the `check` of the SNS contract and `credwatch status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// What SFMC says about the credential; pages the integration's owner.
    Auth,
    /// The client secret's expiry countdown; the integration's owner.
    Expiry,
    /// credwatch's own ability to watch the integration; the [`PLATFORM_TEAM`].
    Monitor,
    /// What the integration itself reports of its SFMC calls (passive tracking, the `ingest`
    /// function); the integration's owner. One standalone incident per pattern
    /// ([`crate::domain::passive::PassivePattern`]).
    Passive,
}

impl CheckKind {
    /// Every check, in the order above.
    pub const ALL: [CheckKind; 4] = [
        CheckKind::Auth,
        CheckKind::Expiry,
        CheckKind::Monitor,
        CheckKind::Passive,
    ];

    /// `auth`, `expiry`, `monitor` or `passive`: the form stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Auth => "auth",
            CheckKind::Expiry => "expiry",
            CheckKind::Monitor => "monitor",
            CheckKind::Passive => "passive",
        }
    }

    /// The inverse of [`CheckKind::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<CheckKind> {
        CheckKind::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The id of the `seq`-th incident of one integration's check: `{integration}:{check}:{seq}`,
/// e.g. `crm-contact-sync:auth:3`. Sequences start at 1 (the integration's `incident_seq`);
/// sequence 0 is the one `monitor` incident of an unreadable item (`{id}:monitor:0`).
///
/// Compares, hashes and orders as its text; serializes as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentId {
    /// `{integration}:{check}:{seq}`, kept so that [`IncidentId::as_str`] is free.
    text: String,
    /// Byte length of the integration part of `text`.
    integration_len: usize,
    check: CheckKind,
    seq: u32,
}

impl IncidentId {
    /// The id of incident `seq` of `integration`'s `check`.
    pub fn new(integration: &str, check: CheckKind, seq: u32) -> IncidentId {
        IncidentId {
            text: format!("{integration}:{}:{seq}", check.as_str()),
            integration_len: integration.len(),
            check,
            seq,
        }
    }

    /// The integration the incident belongs to.
    pub fn integration(&self) -> &str {
        &self.text[..self.integration_len]
    }

    /// The check the incident belongs to.
    pub fn check(&self) -> CheckKind {
        self.check
    }

    /// The incident's number among its integration's incidents (0: the unreadable-item one).
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// `{integration}:{check}:{seq}`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the id opens again after a resolve (its notifications carry each life's opening
    /// time): sequence [`STANDALONE_SEQ`], and every `passive` incident (one id per pattern,
    /// [`crate::domain::passive::PassivePattern::seq`]).
    pub fn is_standalone(&self) -> bool {
        self.seq == STANDALONE_SEQ || self.check == CheckKind::Passive
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a text is not an [`IncidentId`]. The messages name the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentIdError {
    /// Fewer than three `:`-separated parts.
    #[error(
        "an incident id has the form integration:check:seq, check being auth, expiry, \
         monitor or passive (e.g. crm-sync:auth:3)"
    )]
    NotThreeParts,
    /// The integration part is empty.
    #[error("the integration part of an incident id is empty")]
    EmptyIntegration,
    /// The check part is not `auth`, `expiry`, `monitor` or `passive`.
    #[error("the check part of an incident id must be auth, expiry, monitor or passive")]
    UnknownCheck,
    /// The sequence part is not a whole number from 0 to 4,294,967,295 in plain digits.
    #[error(
        "the sequence part of an incident id must be a whole number from 0 to 4294967295, \
         without leading zeros"
    )]
    BadSeq,
}

impl FromStr for IncidentId {
    type Err = IncidentIdError;

    /// Reads `{integration}:{check}:{seq}`, splitting at the last two `:`, so that the result
    /// writes back exactly `text`. The sequence must be plain digits, without sign or leading
    /// zeros (but `0` itself), so that no two texts read as the same id.
    fn from_str(text: &str) -> Result<IncidentId, IncidentIdError> {
        let mut parts = text.rsplitn(3, ':');
        let (Some(seq), Some(check), Some(integration)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(IncidentIdError::NotThreeParts);
        };
        if integration.is_empty() {
            return Err(IncidentIdError::EmptyIntegration);
        }
        let check = CheckKind::parse(check).ok_or(IncidentIdError::UnknownCheck)?;
        let canonical = !seq.is_empty()
            && seq.bytes().all(|b| b.is_ascii_digit())
            && (seq == "0" || !seq.starts_with('0'));
        let seq = seq
            .parse::<u32>()
            .ok()
            .filter(|_| canonical)
            .ok_or(IncidentIdError::BadSeq)?;
        Ok(IncidentId::new(integration, check, seq))
    }
}

impl PartialEq<str> for IncidentId {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for IncidentId {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<String> for IncidentId {
    fn eq(&self, other: &String) -> bool {
        &self.text == other
    }
}

impl Serialize for IncidentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for IncidentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IncidentId, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What an incident is about: an outcome class for `auth` and `monitor` incidents, or one of
/// the classes only the expiry scan and the platform reporting raise. Written as the snake_case
/// names of DESIGN.md (`client_auth_failed`, `secret_expiring`, ...), in the table and in every
/// output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IncidentClass {
    /// What a probe concluded (an `auth` or `monitor` incident).
    Outcome(OutcomeClass),
    /// The client secret expires within a warning threshold (`expiry`).
    SecretExpiring,
    /// The client secret's expiry day has passed (`expiry`).
    SecretExpired,
    /// Nothing tells when the client secret expires (`expiry`, low severity).
    ExpiryUnknown,
    /// credwatch has not probed the integration for too long: the dead-man's switch (`monitor`).
    NotProbed,
    /// credwatch cannot read the integration's table item or an open incident of it (`monitor`).
    CorruptItem,
    /// Slack refuses the posts to a team's incoming webhook, or its secret cannot be used
    /// (`monitor`, for the platform team; slack-notify opens and resolves it).
    SlackWebhookRefused,
    /// A drill (`credwatch drill`): a test of one team's alert route, nothing is wrong
    /// (`monitor`; see `crate::domain::drill`). Excluded from everything that counts real incidents.
    Drill,
    /// The integration itself reports credential, access or permission failures from SFMC
    /// (`passive`): its own token requests refused (`invalid_client`, `invalid_grant`, ...), or
    /// its REST/SOAP calls refused for long with no success between.
    ReportedAuthFailure,
    /// REST/SOAP calls refused as unauthorized and then succeeding on retry, often enough to
    /// show a token-refresh race (`passive`, low severity).
    TokenRefreshRace,
    /// SFMC answers 403 `20002` "Insufficient Privileges" to an integration that had none in
    /// the previous 7 days: a scope or permission was taken away (`passive`).
    ScopeDrift,
    /// The integration requests tokens far more often than SFMC's "one access token every 20
    /// minutes" guidance (`passive`, low severity).
    TokenRequestRate,
    /// SFMC answers 429 `50200` "Your requests are temporarily blocked" (`passive`; critical
    /// on the token endpoint, where it stops the integration).
    TokenRequestsBlocked,
    /// An integration that normally reports has gone quiet for 3x its usual gap (`passive`).
    IntegrationSilent,
    /// The integration reports a client id or business unit (MID) other than the inventory's
    /// (`passive`).
    IdentityMismatch,
}

impl IncidentClass {
    /// The classes that are not outcome classes, in the order above.
    pub const NON_OUTCOME: [IncidentClass; 14] = [
        IncidentClass::SecretExpiring,
        IncidentClass::SecretExpired,
        IncidentClass::ExpiryUnknown,
        IncidentClass::NotProbed,
        IncidentClass::CorruptItem,
        IncidentClass::SlackWebhookRefused,
        IncidentClass::Drill,
        IncidentClass::ReportedAuthFailure,
        IncidentClass::TokenRefreshRace,
        IncidentClass::ScopeDrift,
        IncidentClass::TokenRequestRate,
        IncidentClass::TokenRequestsBlocked,
        IncidentClass::IntegrationSilent,
        IncidentClass::IdentityMismatch,
    ];

    /// The snake_case name, e.g. `client_auth_failed` or `secret_expiring`.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentClass::Outcome(class) => class.as_str(),
            IncidentClass::SecretExpiring => "secret_expiring",
            IncidentClass::SecretExpired => "secret_expired",
            IncidentClass::ExpiryUnknown => "expiry_unknown",
            IncidentClass::NotProbed => "not_probed",
            IncidentClass::CorruptItem => "corrupt_item",
            IncidentClass::SlackWebhookRefused => "slack_webhook_refused",
            IncidentClass::Drill => "drill",
            IncidentClass::ReportedAuthFailure => "reported_auth_failure",
            IncidentClass::TokenRefreshRace => "token_refresh_race",
            IncidentClass::ScopeDrift => "scope_drift",
            IncidentClass::TokenRequestRate => "token_request_rate",
            IncidentClass::TokenRequestsBlocked => "token_requests_blocked",
            IncidentClass::IntegrationSilent => "integration_silent",
            IncidentClass::IdentityMismatch => "identity_mismatch",
        }
    }

    /// The inverse of [`IncidentClass::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<IncidentClass> {
        OutcomeClass::parse(text)
            .map(IncidentClass::Outcome)
            .or_else(|| {
                IncidentClass::NON_OUTCOME
                    .into_iter()
                    .find(|c| c.as_str() == text)
            })
    }
}

impl From<OutcomeClass> for IncidentClass {
    fn from(class: OutcomeClass) -> IncidentClass {
        IncidentClass::Outcome(class)
    }
}

impl fmt::Display for IncidentClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for IncidentClass {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for IncidentClass {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for IncidentClass {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IncidentClass {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IncidentClass, D::Error> {
        let text = String::deserialize(deserializer)?;
        IncidentClass::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(
                "not an incident class (README, \"Outcome classes and what to do\")",
            )
        })
    }
}

/// An incident: one period during which one check of one integration was failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// `{integration}:{check}:{seq}`; its parts equal `integration` and `check`.
    pub id: IncidentId,
    /// The integration's id.
    pub integration: String,
    /// The check that failed.
    pub check: CheckKind,
    /// An outcome class for auth/monitor incidents; `secret_expiring`, `secret_expired` or
    /// `expiry_unknown` for expiry ones; `not_probed` or `corrupt_item` for platform reports.
    pub class: IncidentClass,
    /// How serious it is now (expiry incidents rise as the day nears).
    pub severity: Severity,
    /// Team that owns it: the integration's owner, or [`PLATFORM_TEAM`].
    pub team: String,
    /// Still failing (not resolved).
    pub open: bool,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it last changed (opened, updated or resolved).
    pub updated_at: DateTime<Utc>,
    /// When it resolved; `None` while open.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Expiry incidents: the warning threshold (days) last crossed; 0 once expired.
    pub threshold_days: Option<u32>,
    /// What is wrong, in plain words (sanitized SFMC text included, never a secret).
    pub message: String,
    /// Status of the HTTP answer that decided the class; `None` when there was none.
    pub http_status: Option<u16>,
    /// When the class last changed while open (None: not since it opened). Restarts reminders
    /// and lifts an ack.
    pub class_since: Option<DateTime<Utc>>,
    /// Who acknowledged it, when, why. Counts only while open and given at/after
    /// [`Incident::schedule_since`] ([`Incident::is_acknowledged`]); kept as written after a
    /// class change or a resolve, so that what happened stays on record.
    pub ack: Option<Acknowledgement>,
}

impl Incident {
    /// Since when reminders and escalation count for this incident: the last class change
    /// while open ([`Incident::class_since`]), else when it opened.
    pub fn schedule_since(&self) -> DateTime<Utc> {
        self.class_since.unwrap_or(self.opened_at)
    }

    /// Whether someone is on it: open, and acknowledged at or after
    /// [`Incident::schedule_since`]. An ack given before the class last changed no longer
    /// counts (the problem is a different one now); a resolved incident needs no ack.
    pub fn is_acknowledged(&self) -> bool {
        self.open
            && self
                .ack
                .as_ref()
                .is_some_and(|ack| ack.at >= self.schedule_since())
    }

    /// A newly opened `monitor` incident about credwatch's own trouble with `integration`
    /// (not probed, an unreadable item): the [`PLATFORM_TEAM`]'s, at high severity.
    pub fn for_platform(
        id: IncidentId,
        integration: &str,
        class: IncidentClass,
        message: String,
        now: DateTime<Utc>,
    ) -> Incident {
        Incident {
            id,
            integration: integration.to_string(),
            check: CheckKind::Monitor,
            class,
            severity: Severity::High,
            team: PLATFORM_TEAM.to_string(),
            open: true,
            opened_at: now,
            updated_at: now,
            resolved_at: None,
            threshold_days: None,
            message,
            http_status: None,
            class_since: None,
            ack: None,
        }
    }
}

/// What an open incident was before a [`IncidentChange::Changed`]: enough for a notifier to
/// say "client_auth_failed became missing_scopes" or "now 7 days, was 30".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFacts {
    /// The class before the change.
    pub class: IncidentClass,
    /// The severity before the change.
    pub severity: Severity,
    /// The expiry threshold (days) before the change; `None` for other checks.
    pub threshold_days: Option<u32>,
}

/// A change to one incident, decided by a rule and written together with the state change that
/// caused it (all or nothing). The one change type of the probe cycle, the expiry scan,
/// unreadable-item reporting and the fan-out.
#[derive(Debug, Clone, PartialEq)]
pub enum IncidentChange {
    /// A new incident. Created only if no incident with its id exists (opened exactly once).
    Opened(Incident),
    /// An open incident changed in place: a new failure class while firing, or a more urgent
    /// expiry threshold. `previous` is what it was; the other fields are what it is now.
    Changed {
        /// The incident.
        id: IncidentId,
        /// Class, severity and threshold before the change.
        previous: IncidentFacts,
        /// The class now.
        class: IncidentClass,
        /// The severity now.
        severity: Severity,
        /// The expiry threshold (days) now; `None` for other checks.
        threshold_days: Option<u32>,
        /// What is wrong now, in plain words.
        message: String,
        /// Status of the deciding HTTP answer, if any.
        http_status: Option<u16>,
        /// When the change was decided.
        at: DateTime<Utc>,
    },
    /// An open incident is over.
    Resolved {
        /// The incident.
        id: IncidentId,
        /// The class it had while open.
        class: IncidentClass,
        /// Why it is over, in plain words.
        message: String,
        /// When it was resolved.
        at: DateTime<Utc>,
    },
}

impl IncidentChange {
    /// The incident this change is about.
    pub fn id(&self) -> &IncidentId {
        match self {
            IncidentChange::Opened(incident) => &incident.id,
            IncidentChange::Changed { id, .. } | IncidentChange::Resolved { id, .. } => id,
        }
    }

    /// The incident's class after the change (for `Resolved`, the class it had).
    pub fn class(&self) -> IncidentClass {
        match self {
            IncidentChange::Opened(incident) => incident.class,
            IncidentChange::Changed { class, .. } | IncidentChange::Resolved { class, .. } => {
                *class
            }
        }
    }
}

#[cfg(test)]
mod tests;
