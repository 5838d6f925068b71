//! Passive tracking's intake: the `credwatch.sfmc_call.v1` events integrations report about
//! their own SFMC calls, checked and normalised into [`SfmcCall`](crate::domain::passive::SfmcCall)s (pure, no I/O).
//!
//! Three ways in, one set of rules ([`normalise_event`]): an HTTPS body ([`normalise_body`]),
//! an EventBridge `detail` ([`normalise_value`]) and a CloudWatch Logs line
//! ([`parse_log_line`]). Each accepted call gets its class from the probe's own classifier
//! ([`classify_reported`]) and counts under a [`CounterKey`](crate::domain::passive::CounterKey).
//!
//! The schema is `context/passive-tracking-research.md` §4.2; its rules are the contract of
//! issue 13. What is refused, and why: a field named like a credential (`*token*`, `*secret*`,
//! `*authorization*`, `*password*`, `*cookie*`, at any depth, except `token_age_secs`), request or
//! response bodies (`body`, `request`, `response`), fields only credwatch sets (`source`,
//! `received_at`, `class`), and unknown fields. Errors name the event and the field and never
//! echo a value that could be a secret.
//!
//! JSON objects with a key written twice keep the last value (serde_json's behaviour); a
//! credential-like key is refused wherever it appears, so a duplicate cannot hide one.

mod body;
mod classify;
mod counter;
mod logs;
mod model;
mod normalise;
mod redact;
#[cfg(test)]
mod tests;

pub use body::{normalise_body, normalise_value};
pub use classify::classify_reported;
pub use logs::{MAX_LOG_LINE_BYTES, parse_log_line};
pub use model::{
    Binding, BodyError, EventError, MAX_BODY_BYTES, MAX_EVENTS_PER_REQUEST, MAX_MESSAGE_CHARS,
    Normalised,
};
pub use normalise::{
    MAX_CLOCK_SKEW, MAX_EVENT_AGE, MAX_PATH_TEMPLATE_CHARS, MAX_SOAP_FAULT_CHARS, normalise_event,
};
pub use redact::redact_message;
