//! Passive tracking's intake: the `credwatch.sfmc_call.v1` events integrations report about
//! their own SFMC calls, checked and normalised into [`SfmcCall`]s (pure, no I/O).
//!
//! Three ways in, one set of rules ([`normalise_event`]): an HTTPS body ([`normalise_body`]),
//! an EventBridge `detail` ([`normalise_value`]) and a CloudWatch Logs line
//! ([`parse_log_line`]). Each accepted call gets its class from the probe's own classifier
//! ([`classify_reported`]) and counts under a [`CounterKey`].
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

mod classify;
mod counter;
mod logs;
mod normalise;
mod redact;
#[cfg(test)]
mod tests;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::domain::passive::{EventSource, SfmcCall};

pub use classify::classify_reported;
pub use logs::{MAX_LOG_LINE_BYTES, parse_log_line};
pub use normalise::{
    MAX_CLOCK_SKEW, MAX_EVENT_AGE, MAX_PATH_TEMPLATE_CHARS, MAX_SOAP_FAULT_CHARS, normalise_event,
};
pub use redact::redact_message;

/// Most events in one `{"events": [...]}` body; a longer list is refused whole
/// ([`BodyError::TooManyEvents`], the endpoint answers 413).
pub const MAX_EVENTS_PER_REQUEST: usize = 500;

/// Largest HTTPS body accepted, in bytes (1 MiB); checked before parsing
/// ([`BodyError::TooLarge`], the endpoint answers 413).
pub const MAX_BODY_BYTES: usize = 1_048_576;

/// Longest `message` kept, in characters: cut (with `…`) after redaction, never refused for
/// its length.
pub const MAX_MESSAGE_CHARS: usize = 512;

/// Who the events belong to, decided by the caller from the authenticated route (an ingest
/// token, a mapped log group, an EventBridge source), never from the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The integration id the route is bound to.
    pub integration: String,
    /// How the events arrived.
    pub source: EventSource,
    /// When they arrived (every event's `received_at`; `observed_at` is checked against it).
    pub received_at: DateTime<Utc>,
}

/// Why one event was refused.
///
/// `index` is its place in `events` (`None` for a lone event or a log line), `field` the JSON
/// key (`status`, `reporter.client_secret` for a nested key, `(event)` for the whole event),
/// `problem` in plain words. A value that could be a secret is never echoed; anything echoed is
/// redacted, escaped and capped. Displays as `event 3: status: must be ...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventError {
    /// The event's place in the body's `events` list, from 0.
    pub index: Option<usize>,
    /// The field at fault, or `(event)`.
    pub field: String,
    /// What is wrong, for a person.
    pub problem: String,
}

impl EventError {
    /// An error of `field` of the event at `index`.
    pub fn new(index: Option<usize>, field: impl Into<String>, problem: impl Into<String>) -> Self {
        EventError {
            index,
            field: field.into(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(index) => write!(f, "event {index}: {}: {}", self.field, self.problem),
            None => write!(f, "{}: {}", self.field, self.problem),
        }
    }
}

impl std::error::Error for EventError {}

/// Why a whole body was refused (the endpoint answers 413 for the first two, 400 otherwise).
/// No variant carries any of the body's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than [`MAX_BODY_BYTES`].
    #[error(
        "the body is {bytes} bytes, more than the {limit} accepted; send fewer events per request"
    )]
    TooLarge {
        /// The body's size, in bytes.
        bytes: usize,
        /// [`MAX_BODY_BYTES`].
        limit: usize,
    },
    /// `events` lists more than [`MAX_EVENTS_PER_REQUEST`] events.
    #[error(
        "the body has {events} events, more than the {limit} accepted per request; send them in smaller batches"
    )]
    TooManyEvents {
        /// How many events the body lists.
        events: usize,
        /// [`MAX_EVENTS_PER_REQUEST`].
        limit: usize,
    },
    /// The body is not JSON (or not UTF-8); says where parsing stopped.
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    /// The JSON is neither one event nor `{"events": [...]}`.
    #[error("the body is not a credwatch.sfmc_call.v1 event: {0}")]
    NotAnEvent(String),
    /// `{"events": []}`.
    #[error("the body's events list is empty")]
    NoEvents,
}

/// The events of one body that passed and those refused (one bad event never stops the
/// others). `calls` keep the body's order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Normalised {
    /// The accepted calls, normalised and classified.
    pub calls: Vec<SfmcCall>,
    /// One error per refused event.
    pub rejected: Vec<EventError>,
}

/// Checks and normalises an HTTPS body: one event (a JSON object) or `{"events": [...]}`.
///
/// # Errors
/// [`BodyError::TooLarge`] over [`MAX_BODY_BYTES`] (checked before parsing),
/// [`BodyError::NotJson`] for bytes that are not UTF-8 JSON, and those of [`normalise_value`].
pub fn normalise_body(body: &[u8], binding: &Binding) -> Result<Normalised, BodyError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge {
            bytes: body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    // serde_json bounds nesting (128 levels) and refuses non-UTF-8 and non-finite numbers. Its
    // syntax errors name a place, never a value; only that place is kept.
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        BodyError::NotJson(format!(
            "{} at line {}, column {}",
            match e.classify() {
                serde_json::error::Category::Eof => "it ends too early",
                serde_json::error::Category::Io | serde_json::error::Category::Syntax =>
                    "syntax error",
                serde_json::error::Category::Data => "unusable value",
            },
            e.line(),
            e.column()
        ))
    })?;
    normalise_value(&value, binding)
}

/// Checks and normalises parsed JSON (an EventBridge `detail`, a parsed body): one event, or
/// `{"events": [...]}` with at most [`MAX_EVENTS_PER_REQUEST`] events.
///
/// # Errors
/// [`BodyError::NotAnEvent`] for JSON that is neither shape, [`BodyError::NoEvents`] for an
/// empty list, [`BodyError::TooManyEvents`] for a long one. Refused events are not errors of
/// the body: they are listed in [`Normalised::rejected`].
pub fn normalise_value(value: &Value, binding: &Binding) -> Result<Normalised, BodyError> {
    let Value::Object(object) = value else {
        return Err(BodyError::NotAnEvent(
            "send one event as a JSON object, or {\"events\": [...]}".to_string(),
        ));
    };
    let Some(events) = object.get("events") else {
        return Ok(one_by_one(std::iter::once((None, value)), binding));
    };
    if object.len() > 1 {
        return Err(BodyError::NotAnEvent(
            "a batch is {\"events\": [...]} with no other field next to events".to_string(),
        ));
    }
    let Value::Array(events) = events else {
        return Err(BodyError::NotAnEvent(
            "events must be a list of events".to_string(),
        ));
    };
    if events.is_empty() {
        return Err(BodyError::NoEvents);
    }
    if events.len() > MAX_EVENTS_PER_REQUEST {
        return Err(BodyError::TooManyEvents {
            events: events.len(),
            limit: MAX_EVENTS_PER_REQUEST,
        });
    }
    Ok(one_by_one(
        events.iter().enumerate().map(|(i, e)| (Some(i), e)),
        binding,
    ))
}

fn one_by_one<'a>(
    events: impl Iterator<Item = (Option<usize>, &'a Value)>,
    binding: &Binding,
) -> Normalised {
    let mut out = Normalised::default();
    for (index, event) in events {
        match normalise_event(event, index, binding) {
            Ok(call) => out.calls.push(call),
            Err(error) => out.rejected.push(error),
        }
    }
    out
}
