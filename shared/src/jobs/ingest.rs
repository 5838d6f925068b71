//! ingest: the SFMC calls integrations report (passive tracking), from four entries: an HTTPS
//! `POST /v1/events` with an integration's bearer token ([`https`]), a CloudWatch Logs
//! subscription ([`logs`]), an EventBridge `credwatch.sfmc_call.v1` event ([`eventbridge`]), and
//! the five-minute sweep that evaluates every reporting integration with no new calls ([`sweep`]:
//! silence, resolves).
//!
//! Every entry ends in [`evaluate`]: the calls recorded (`PassiveRecords::record_calls`), then
//! per integration its recent minutes, passive state, record and open passive incidents read,
//! `rules::passive::evaluate` decides, `commit_passive` writes (re-read and decided again on a
//! version conflict), and `probe_soon` makes the integration due for credwatch's own probe when a
//! reported credential failure is new. Who the events belong to is decided here from the
//! authenticated route (token, log group, event source), never from the events.

pub mod evaluate;
pub mod eventbridge;
pub mod https;
pub mod logs;
mod model;
pub mod sweep;

pub use model::{DEFAULT_EVENTS_PER_MINUTE, Evaluated, IngestConfig, IngestStore, IngestSummary};

#[cfg(test)]
mod tests;
