//! The store port: what credwatch keeps between invocations, and the adapters that keep it.
//!
//! # Architecture
//!
//! - [`model`]: the plain data the port speaks ([`IntegrationRecord`], [`HistoryEntry`], the
//!   listings and what an unreadable item is); incidents and state commits are the domain's
//!   ([`Incident`], [`IncidentChange`], [`StateCommit`]).
//! - [`roles`]: one small trait per concern ([`Integrations`], [`ProbeResults`],
//!   [`HistoryReader`], [`Incidents`], [`Teams`], [`Silences`]); [`Store`] is all of them. A caller takes the
//!   narrowest role it needs, so code that only reads cannot write by accident.
//! - [`error`]: [`StoreError`], which tells a caller what it can do about a failure (re-read on a
//!   conflict, retry a retryable one, skip and report a corrupt item, stop on a permanent one).
//! - [`invariants`]: what every adapter holds to alike (the version bound, incident identity,
//!   millisecond times), so the adapters share semantics without sharing code.
//! - Adapters: [`memory`] (the demo and unit tests) and [`dynamo`] (deployed; key names and
//!   item shapes live only there). Neither imports the other.

pub mod dynamo;
pub mod error;
pub mod invariants;
pub mod memory;
pub mod model;
pub mod roles;

pub use error::{StoreError, StoreResult};
pub use model::{
    AckOutcome, CommitOutcome, DueNotifications, ExpireOutcome, HistoryEntry, IncidentListing,
    IntegrationListing, IntegrationRecord, NotificationListing, PassiveListing, RecordedCalls,
    SilenceListing, UnreadableIntegration, UnreadableItem,
};

/// The vocabulary of the port's signatures, defined in [`crate::domain`].
pub use crate::domain::incident::{Incident, IncidentChange, PLATFORM_TEAM};
/// The state commit, defined in [`crate::domain::state`].
pub use crate::domain::state::StateCommit;
pub use roles::{
    Groups, HistoryReader, Incidents, IngestTokens, Integrations, Notifications, PassiveRecords,
    ProbeResults, Silences, Teams,
};

/// Everything credwatch reads and writes between invocations: every role at once, for the
/// callers that need them all (`inventory apply`, the probe cycle). Implemented for every type
/// that implements each role.
///
/// Listings never fail because of one item: unreadable integrations are returned apart
/// ([`IntegrationListing`]), and so are unreadable open incidents
/// ([`Incidents::open_incident_listing`]); unreadable teams, history entries and (in
/// [`Incidents::incidents_of`]) incidents are logged and skipped.
pub trait Store:
    Integrations + ProbeResults + HistoryReader + Incidents + Teams + Notifications + Groups + Silences
{
}

impl<T> Store for T where
    T: Integrations
        + ProbeResults
        + HistoryReader
        + Incidents
        + Teams
        + Notifications
        + Groups
        + Silences
{
}
