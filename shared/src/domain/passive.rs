//! Passive tracking's vocabulary: one SFMC call as an integration reports it (the
//! `credwatch.sfmc_call.v1` event, normalised), the per-minute counters credwatch keeps of them,
//! what credwatch remembers per integration between reports, and the patterns read from them.
//!
//! The schema and its rules come from `context/passive-tracking-research.md` §4.2: reporter
//! fields (`observed_at`, `call_kind`, `count`, ...) and fields only credwatch sets
//! (`integration_id` from the authenticated binding, `source`, `received_at`, `class`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::incident::{CheckKind, IncidentClass, IncidentId};
use crate::domain::outcome::OutcomeClass;

/// The schema name and version every event carries (and `detail-type` of an EventBridge event).
pub const SCHEMA: &str = "credwatch.sfmc_call.v1";

/// Which SFMC API a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// The token endpoint, `https://{subdomain}.auth.marketingcloudapis.com/v2/token`.
    Token,
    /// The REST API, `https://{subdomain}.rest.marketingcloudapis.com/...`.
    Rest,
    /// The SOAP API, `https://{subdomain}.soap.marketingcloudapis.com/Service.asmx`.
    Soap,
    /// Anything else the integration counts as an SFMC call.
    Other,
}

impl CallKind {
    /// Every kind, in the order above.
    pub const ALL: [CallKind; 4] = [
        CallKind::Token,
        CallKind::Rest,
        CallKind::Soap,
        CallKind::Other,
    ];

    /// `token`, `rest`, `soap` or `other`: the form reported, stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::Token => "token",
            CallKind::Rest => "rest",
            CallKind::Soap => "soap",
            CallKind::Other => "other",
        }
    }

    /// The inverse of [`CallKind::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<CallKind> {
        CallKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Why a call got no HTTP answer (OpenTelemetry's `error.type`, reduced to what credwatch tells
/// apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkError {
    /// The call timed out.
    Timeout,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake failed.
    Tls,
    /// The connection was refused or could not be made.
    Connect,
    /// The connection was reset.
    Reset,
    /// Another transport failure.
    Other,
}

impl NetworkError {
    /// Every value, in the order above.
    pub const ALL: [NetworkError; 6] = [
        NetworkError::Timeout,
        NetworkError::Dns,
        NetworkError::Tls,
        NetworkError::Connect,
        NetworkError::Reset,
        NetworkError::Other,
    ];

    /// `timeout`, `dns`, `tls`, `connect`, `reset` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkError::Timeout => "timeout",
            NetworkError::Dns => "dns",
            NetworkError::Tls => "tls",
            NetworkError::Connect => "connect",
            NetworkError::Reset => "reset",
            NetworkError::Other => "other",
        }
    }

    /// The inverse of [`NetworkError::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<NetworkError> {
        NetworkError::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// How an event reached credwatch (set by credwatch, never by the reporter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// POSTed to the ingest function's URL with an integration's bearer token.
    Https,
    /// A log line of a mapped CloudWatch Logs group (`ingest.log_groups`).
    Logs,
    /// An EventBridge event whose `detail` is the schema.
    Eventbridge,
}

impl EventSource {
    /// `https`, `logs` or `eventbridge`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Https => "https",
            EventSource::Logs => "logs",
            EventSource::Eventbridge => "eventbridge",
        }
    }
}

/// One reported SFMC call (or `count` identical ones), normalised: every field checked, bounded
/// and redacted. What the ingest function stores and the pattern rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SfmcCall {
    /// Set by credwatch: the reporter's idempotency key when it gave one (`[A-Za-z0-9_.:-]`, at
    /// most 64), else one drawn at ingest.
    pub event_id: String,
    /// Set by credwatch from the authenticated binding (token, log group, ...), never the body.
    pub integration_id: String,
    /// Set by credwatch.
    pub source: EventSource,
    /// Set by credwatch: when the event arrived.
    pub received_at: DateTime<Utc>,
    /// Set by credwatch with the probe's own classifier: `ok` for a success, the failure's
    /// class otherwise; `None` when the event says too little to classify (no status, no
    /// network error).
    pub class: Option<OutcomeClass>,
    /// When the call completed (the window's end for an aggregate); not after `received_at`
    /// plus a small skew.
    pub observed_at: DateTime<Utc>,
    /// Which API.
    pub call_kind: CallKind,
    /// How many identical calls this event stands for (at least 1).
    pub count: u32,
    /// The window an aggregate covers, in seconds (given when `count` > 1).
    pub window_secs: Option<u32>,
    /// `server.address`, e.g. `mc123.rest.marketingcloudapis.com`.
    pub host: Option<String>,
    /// `GET`, `POST`, ...
    pub method: Option<String>,
    /// A low-cardinality path, e.g. `/v2/token`.
    pub path_template: Option<String>,
    /// The HTTP status, absent when no answer came.
    pub status: Option<u16>,
    /// The body's Marketing Cloud `errorcode` (0, 20002, 40004, 50100, 50200, ...).
    pub sfmc_errorcode: Option<i64>,
    /// The body's OAuth `error` (`invalid_client`, `invalid_grant`, ...).
    pub oauth_error: Option<String>,
    /// The SOAP fault string (`Token Expired`, `API Permission Failed`, ...).
    pub soap_fault: Option<String>,
    /// SFMC's words (`error_description` / `message`), capped and redacted.
    pub message: Option<String>,
    /// The wait SFMC asked for, in seconds.
    pub retry_after_secs: Option<u32>,
    /// 0 for a first attempt (OpenTelemetry's `http.request.resend_count`).
    pub resend_count: Option<u32>,
    /// Age of the access token used, in seconds (evidence of expiry races).
    pub token_age_secs: Option<u32>,
    /// Why no answer came.
    pub network_error: Option<NetworkError>,
    /// The MID the token was for.
    pub account_id: Option<u64>,
    /// The installed package's client id (not a secret).
    pub client_id: Option<String>,
    /// Who reported it (`census`, `orders-sync-lambda`, ...).
    pub reporter: Option<String>,
    /// W3C trace id (32 hex digits).
    pub trace_id: Option<String>,
}

impl SfmcCall {
    /// Whether the call failed: classified, and not `ok`.
    pub fn is_failure(&self) -> bool {
        self.class.is_some_and(|class| class != OutcomeClass::Ok)
    }

    /// Whether the call succeeded (class `ok`).
    pub fn is_success(&self) -> bool {
        self.class == Some(OutcomeClass::Ok)
    }
}

/// The patterns passive tracking reads, each its own incident class and standalone incident id
/// `{integration}:passive:{seq}` (opened again under the same id after a resolve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassivePattern {
    /// Credential, access or permission failures the integration reports.
    ReportedAuthFailure,
    /// 401 then success on retry, above a threshold.
    TokenRefreshRace,
    /// First 403 `20002` in 7 days.
    ScopeDrift,
    /// Token requests well above one per 20 minutes.
    TokenRequestRate,
    /// 429 `50200` (blocked).
    TokenRequestsBlocked,
    /// Quiet for 3x the usual gap.
    IntegrationSilent,
    /// Client id or MID other than the inventory's.
    IdentityMismatch,
}

impl PassivePattern {
    /// Every pattern, in the order above (their `seq` order).
    pub const ALL: [PassivePattern; 7] = [
        PassivePattern::ReportedAuthFailure,
        PassivePattern::TokenRefreshRace,
        PassivePattern::ScopeDrift,
        PassivePattern::TokenRequestRate,
        PassivePattern::TokenRequestsBlocked,
        PassivePattern::IntegrationSilent,
        PassivePattern::IdentityMismatch,
    ];

    /// The incident class of the pattern.
    pub fn class(self) -> IncidentClass {
        match self {
            PassivePattern::ReportedAuthFailure => IncidentClass::ReportedAuthFailure,
            PassivePattern::TokenRefreshRace => IncidentClass::TokenRefreshRace,
            PassivePattern::ScopeDrift => IncidentClass::ScopeDrift,
            PassivePattern::TokenRequestRate => IncidentClass::TokenRequestRate,
            PassivePattern::TokenRequestsBlocked => IncidentClass::TokenRequestsBlocked,
            PassivePattern::IntegrationSilent => IncidentClass::IntegrationSilent,
            PassivePattern::IdentityMismatch => IncidentClass::IdentityMismatch,
        }
    }

    /// The pattern of an incident class; `None` for classes no pattern raises.
    pub fn of_class(class: IncidentClass) -> Option<PassivePattern> {
        PassivePattern::ALL.into_iter().find(|p| p.class() == class)
    }

    /// The fixed sequence number of the pattern's incident (1 to 7, the order above).
    pub fn seq(self) -> u32 {
        match self {
            PassivePattern::ReportedAuthFailure => 1,
            PassivePattern::TokenRefreshRace => 2,
            PassivePattern::ScopeDrift => 3,
            PassivePattern::TokenRequestRate => 4,
            PassivePattern::TokenRequestsBlocked => 5,
            PassivePattern::IntegrationSilent => 6,
            PassivePattern::IdentityMismatch => 7,
        }
    }

    /// The id of `integration`'s incident of this pattern: `{integration}:passive:{seq}`.
    pub fn incident_id(self, integration: &str) -> IncidentId {
        IncidentId::new(integration, CheckKind::Passive, self.seq())
    }
}

/// What one per-minute counter counts: calls of one kind, with one status, SFMC code and class.
/// Its text form (the attribute name in the table) is `{kind}|{status}|{code}|{class}`, `-` for
/// an absent part, e.g. `token|401|invalid_client|client_auth_failed` or `rest|200|-|ok`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CounterKey {
    /// Which API.
    pub call_kind: CallKind,
    /// The HTTP status, `None` when no answer came.
    pub status: Option<u16>,
    /// The SFMC `errorcode` in decimal, else the OAuth `error`; `None` when neither was given.
    pub code: Option<String>,
    /// The class credwatch computed; `None` when unclassified.
    pub class: Option<OutcomeClass>,
}

/// The counters of one integration's calls observed in one minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteCounts {
    /// The integration.
    pub integration: String,
    /// The minute's start (seconds and below zero), by the calls' `observed_at`.
    pub minute: DateTime<Utc>,
    /// Calls per counter (a call with `count` n adds n).
    pub counts: std::collections::BTreeMap<CounterKey, u64>,
}

/// What passive tracking remembers about one integration between reports (one small item,
/// versioned like the check state): what the pattern rules need beyond the recent minutes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PassiveState {
    /// When the latest report arrived (`received_at`); `None`: never.
    pub last_report_at: Option<DateTime<Utc>>,
    /// Distinct minutes in which reports arrived (saturating): how established the habit is.
    pub report_minutes: u32,
    /// The integration's usual gap between reports, in seconds (a moving average of the gaps
    /// between report minutes); `None` until two report minutes were seen.
    pub usual_gap_secs: Option<u32>,
    /// The latest 403 `20002` "Insufficient Privileges" seen (scope drift looks 7 days back).
    pub last_scope_denied_at: Option<DateTime<Utc>>,
    /// The latest report of a client id or MID other than the inventory's.
    pub last_mismatch_at: Option<DateTime<Utc>>,
    /// What that report said, for the message (`client id abc…, MID 123`; never a secret).
    pub mismatch: Option<String>,
    /// Optimistic-concurrency version, bumped by the store on every committed update.
    pub version: u64,
}

/// A passive state update and the incident changes it causes, written all or nothing if the
/// state's version is still `expected_version` (the probe's `StateCommit`, for passive tracking).
#[derive(Debug, Clone, PartialEq)]
pub struct PassiveCommit {
    /// The integration.
    pub integration: String,
    /// The version the state was read at (0: there was none).
    pub expected_version: u64,
    /// The new state; stored with version `expected_version + 1`.
    pub state: PassiveState,
    /// Incident changes of `passive` incidents, in order. `Opened` replaces a resolved incident
    /// of the same id (standalone ids), never an open one.
    pub incidents: Vec<crate::domain::incident::IncidentChange>,
}

/// An ingest token on record: only its SHA-256 hash is kept, bound to one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestToken {
    /// Lowercase hex SHA-256 of the token's text.
    pub hash: String,
    /// The integration whose calls the token may report.
    pub integration: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for kind in CallKind::ALL {
            assert_eq!(CallKind::parse(kind.as_str()), Some(kind));
        }
        for error in NetworkError::ALL {
            assert_eq!(NetworkError::parse(error.as_str()), Some(error));
        }
        assert_eq!(CallKind::parse("TOKEN"), None);
        assert_eq!(NetworkError::parse(""), None);
    }

    #[test]
    fn each_pattern_has_its_own_class_and_id() {
        let ids: Vec<String> = PassivePattern::ALL
            .iter()
            .map(|p| p.incident_id("crm-sync").to_string())
            .collect();
        assert_eq!(ids[0], "crm-sync:passive:1");
        assert_eq!(ids[6], "crm-sync:passive:7");
        for pattern in PassivePattern::ALL {
            assert_eq!(PassivePattern::of_class(pattern.class()), Some(pattern));
            let id = pattern.incident_id("crm-sync");
            assert!(id.is_standalone());
            assert_eq!(id.as_str().parse::<IncidentId>().ok(), Some(id));
        }
        let mut seqs: Vec<u32> = PassivePattern::ALL.iter().map(|p| p.seq()).collect();
        seqs.dedup();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(
            PassivePattern::of_class(IncidentClass::Outcome(OutcomeClass::Ok)),
            None
        );
    }

    #[test]
    fn failure_and_success_follow_the_class() {
        let mut call = SfmcCall {
            event_id: "e1".into(),
            integration_id: "crm-sync".into(),
            source: EventSource::Https,
            received_at: DateTime::UNIX_EPOCH,
            class: None,
            observed_at: DateTime::UNIX_EPOCH,
            call_kind: CallKind::Token,
            count: 1,
            window_secs: None,
            host: None,
            method: None,
            path_template: None,
            status: None,
            sfmc_errorcode: None,
            oauth_error: None,
            soap_fault: None,
            message: None,
            retry_after_secs: None,
            resend_count: None,
            token_age_secs: None,
            network_error: None,
            account_id: None,
            client_id: None,
            reporter: None,
            trace_id: None,
        };
        assert!(!call.is_failure() && !call.is_success());
        call.class = Some(OutcomeClass::Ok);
        assert!(call.is_success() && !call.is_failure());
        call.class = Some(OutcomeClass::ClientAuthFailed);
        assert!(call.is_failure() && !call.is_success());
    }
}
