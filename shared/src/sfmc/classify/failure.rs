//! The failure an attempt ends with, in the contract's terms.

use std::time::Duration;

use crate::domain::outcome::OutcomeClass;

/// Why an attempt did not succeed, in the terms of the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What kind of failure it is.
    pub class: OutcomeClass,
    /// The status of the answer that showed it; `None` when there was no answer.
    pub http_status: Option<u16>,
    /// What happened, for a person: SFMC's own words when it gave them (sanitized), else what
    /// answered instead. Never a secret or a token.
    pub message: String,
    /// The wait asked for (`Retry-After`, else the body's `retryAfter`), at most
    /// [`MAX_RETRY_AFTER`](super::MAX_RETRY_AFTER).
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub(super) fn new(
        class: OutcomeClass,
        status: Option<u16>,
        message: impl Into<String>,
    ) -> Self {
        Failure {
            class,
            http_status: status,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// `malformed_response`: the answer is SFMC's but not what its API documents.
pub(super) fn malformed(status: u16, why: impl Into<String>) -> Failure {
    Failure::new(OutcomeClass::MalformedResponse, Some(status), why)
}
