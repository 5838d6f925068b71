//! Pure decisions, one per file: state and `now` in, new state and incident changes out.
//! Randomness and time are parameters; no rule imports a store, an SDK or another rule that
//! imports it back.
//!
//! - [`health`]: the check state machine (one probe outcome -> health, incidents).
//! - [`schedule`]: when to probe next.
//! - [`expiry`]: client-secret expiry thresholds and the expiry incident.
//! - [`deadman`]: the dead-man's switch and retiring an integration.
//! - [`rotation`]: whether a secret change is a rotation.
//! - [`delivery`]: a notification's delivery (claims, backoff, shrinking, giving up).
//! - [`fanout`]: the incident change a DynamoDB stream record stands for.

pub mod deadman;
pub mod delivery;
pub mod expiry;
pub mod fanout;
pub mod health;
pub mod rotation;
pub mod schedule;
pub mod subscriptions;
