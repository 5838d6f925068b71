//! One attempt of a probe (a token request, then tokenContext) and how attempts become a
//! [`ProbeOutcome`].

use std::time::{Duration, Instant};

use crate::domain::outcome::{OutcomeClass, ProbeOutcome};
use crate::inventory::Integration;
use crate::secrets::Secret;
use crate::secrets::secret_fingerprint;
use crate::sfmc::Failure;

/// One token request (and tokenContext call, when a token was issued) and what it showed.
#[derive(Debug, Clone)]
pub(super) struct Attempt {
    pub(super) class: OutcomeClass,
    pub(super) http_status: Option<u16>,
    pub(super) message: String,
    pub(super) missing_scopes: Vec<String>,
    pub(super) unexpected_scopes: Vec<String>,
    pub(super) latency: Duration,
    pub(super) token_expires_in: Option<u64>,
    pub(super) business_unit: Option<u64>,
    pub(super) retry_after: Option<Duration>,
}

impl Attempt {
    pub(super) fn failed(failure: Failure, latency: Duration) -> Self {
        Attempt {
            class: failure.class,
            http_status: failure.http_status,
            message: failure.message,
            missing_scopes: Vec::new(),
            unexpected_scopes: Vec::new(),
            latency,
            token_expires_in: None,
            business_unit: None,
            retry_after: failure.retry_after,
        }
    }
}

/// Decides between ok, wrong business unit and missing scopes once both calls succeeded.
/// The business unit comes first: scopes granted in the wrong BU are beside the point.
pub(super) fn assess(
    integration: &Integration,
    grant: &crate::sfmc::TokenGrant,
    organization_id: u64,
    missing: &[String],
) -> Attempt {
    let mut attempt = Attempt {
        class: OutcomeClass::Ok,
        http_status: Some(200),
        message: String::new(),
        missing_scopes: Vec::new(),
        unexpected_scopes: Vec::new(),
        latency: Duration::ZERO,
        token_expires_in: None,
        business_unit: Some(organization_id),
        retry_after: None,
    };
    if let Some(expected) = integration.account_id.filter(|mid| *mid != organization_id) {
        attempt.class = OutcomeClass::WrongBusinessUnit;
        attempt.message = format!(
            "The token is for business unit {organization_id}, but the inventory expects {expected} (account_id)"
        );
    } else if grant.scopes.is_none() && !integration.expected_scopes.is_empty() {
        attempt.class = OutcomeClass::MalformedResponse;
        attempt.message = "SFMC's token answer did not list the granted scopes".to_string();
    } else if !missing.is_empty() {
        attempt.class = OutcomeClass::MissingScopes;
        attempt.message = format!("The token lacks expected scope(s): {}", missing.join(", "));
    } else {
        attempt.message =
            format!("Token issued for business unit {organization_id}; tokenContext answered");
    }
    attempt
}

/// The outcome, carrying the fingerprint of the secret its deciding attempt used (the state
/// commit keeps it as the baseline a later rotation event is compared with).
pub(super) fn with_fingerprint(
    mut outcome: ProbeOutcome,
    integration: &Integration,
    secret: &Secret,
) -> ProbeOutcome {
    outcome.secret_fingerprint = Some(secret_fingerprint(&integration.id, secret));
    outcome
}

/// A transport failure (connect, DNS, TLS, timeout) as an attempt: class `network`.
pub(super) fn network(message: String, started: Instant) -> Attempt {
    Attempt::failed(
        Failure {
            class: OutcomeClass::Network,
            http_status: None,
            message,
            retry_after: None,
        },
        started.elapsed(),
    )
}

/// The outcome of `integration` from its deciding `attempt` (`attempts` made, `confirmed` when a
/// definitive class was seen twice).
pub(super) fn outcome(
    integration: &Integration,
    attempt: Attempt,
    attempts: u32,
    confirmed: bool,
    probed_at: chrono::DateTime<chrono::Utc>,
) -> ProbeOutcome {
    ProbeOutcome {
        integration: integration.id.clone(),
        class: attempt.class,
        kind: attempt.class.kind(),
        http_status: attempt.http_status,
        message: attempt.message,
        missing_scopes: attempt.missing_scopes,
        unexpected_scopes: attempt.unexpected_scopes,
        latency_ms: attempt.latency.as_millis() as u64,
        token_expires_in: attempt.token_expires_in,
        business_unit: attempt.business_unit,
        attempts,
        confirmed,
        retry_after_secs: attempt.retry_after.map(|d| d.as_secs()),
        probed_at,
        secret_fingerprint: None,
    }
}
