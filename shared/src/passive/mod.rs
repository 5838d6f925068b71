//! Passive tracking's intake (CONTRACT STUB on p13-base: H1 replaces every body).
#![allow(missing_docs, unused_variables)]

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{CounterKey, EventSource, SfmcCall};

pub const MAX_EVENTS_PER_REQUEST: usize = 500;
pub const MAX_BODY_BYTES: usize = 1_048_576;
pub const MAX_MESSAGE_CHARS: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub integration: String,
    pub source: EventSource,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventError {
    pub index: Option<usize>,
    pub field: String,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("too large: {bytes} bytes, limit {limit}")]
    TooLarge { bytes: usize, limit: usize },
    #[error("too many events: {events}, limit {limit}")]
    TooManyEvents { events: usize, limit: usize },
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not an event: {0}")]
    NotAnEvent(String),
    #[error("no events")]
    NoEvents,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Normalised {
    pub calls: Vec<SfmcCall>,
    pub rejected: Vec<EventError>,
}

pub fn normalise_body(body: &[u8], binding: &Binding) -> Result<Normalised, BodyError> {
    unimplemented!("H1")
}

pub fn normalise_value(
    value: &serde_json::Value,
    binding: &Binding,
) -> Result<Normalised, BodyError> {
    unimplemented!("H1")
}

pub fn normalise_event(
    value: &serde_json::Value,
    index: Option<usize>,
    binding: &Binding,
) -> Result<SfmcCall, EventError> {
    unimplemented!("H1")
}

pub fn classify_reported(call: &SfmcCall) -> Option<OutcomeClass> {
    unimplemented!("H1")
}

impl CounterKey {
    pub fn of(call: &SfmcCall) -> CounterKey {
        unimplemented!("H1")
    }
    pub fn to_text(&self) -> String {
        unimplemented!("H1")
    }
    pub fn parse(text: &str) -> Option<CounterKey> {
        unimplemented!("H1")
    }
}

pub fn parse_log_line(
    line: &str,
    log_event_id: &str,
    timestamp: DateTime<Utc>,
    binding: &Binding,
) -> Option<Result<SfmcCall, EventError>> {
    unimplemented!("H1")
}
