//! The intake's plain data: limits, the caller's binding, the errors of events and bodies, and
//! what one body yields.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::passive::{EventSource, SfmcCall};

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
