//! The ingest use case's plain parts: what the store must offer, the deployment's rules, and
//! what an invocation and one integration's evaluation did (with the metrics they declare).

use serde::Serialize;

use crate::domain::passive::EventSource;
use crate::passive::EventError;
use crate::store::{HistoryReader, Incidents, IngestTokens, Integrations, PassiveRecords};
use crate::telemetry::emf::{Metric, MetricSet};
use crate::telemetry::metrics;

/// The default of `CREDWATCH_INGEST_EVENTS_PER_MINUTE`: events one integration may report over
/// HTTPS per minute before the endpoint answers 429.
pub const DEFAULT_EVENTS_PER_MINUTE: u32 = 6000;

/// What the store must offer the ingest use case.
pub trait IngestStore:
    PassiveRecords + IngestTokens + Integrations + HistoryReader + Incidents
{
}

impl<T> IngestStore for T where
    T: PassiveRecords + IngestTokens + Integrations + HistoryReader + Incidents
{
}

/// The deployment's rules for the ingest function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestConfig {
    /// Events one integration may report over HTTPS per minute
    /// (`CREDWATCH_INGEST_EVENTS_PER_MINUTE`, default [`DEFAULT_EVENTS_PER_MINUTE`]).
    pub events_per_minute: u32,
    /// Log groups whose name starts with this are the stack's own and never read
    /// (`CREDWATCH_OWN_LOG_GROUP_PREFIX`, e.g. `/aws/lambda/credwatch-`): credwatch's logs
    /// mention SFMC errors and would feed back into themselves.
    pub own_log_group_prefix: Option<String>,
    /// This function's own name (`AWS_LAMBDA_FUNCTION_NAME`): `/aws/lambda/{name}` is refused too.
    pub function_name: Option<String>,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            events_per_minute: DEFAULT_EVENTS_PER_MINUTE,
            own_log_group_prefix: None,
            function_name: None,
        }
    }
}

/// What one invocation did, whatever its entry: the basis of its log line and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    /// The entry's source; `None` for the sweep.
    pub source: Option<EventSource>,
    /// Events accepted (normalised and recorded).
    pub accepted: usize,
    /// Events refused (by field), including those of a body refused whole.
    pub refused: usize,
    /// The HTTP status answered (the HTTPS entry only).
    pub http_status: Option<u16>,
    /// Integrations evaluated.
    pub evaluated: usize,
    /// Passive incidents opened.
    pub opened: usize,
    /// Passive incidents resolved.
    pub resolved: usize,
    /// Integrations made due for a probe.
    pub probes_requested: usize,
    /// Log groups no integration is bound to (their lines dropped, never retried).
    pub unmapped_log_groups: usize,
    /// Passive state items that could not be read (sweep).
    pub corrupt_items: usize,
    /// Store failures met (each named), none fatal to the other integrations.
    pub errors: Vec<String>,
}

impl IngestSummary {
    /// Adds what evaluating one integration did.
    pub fn add(&mut self, outcome: &Evaluated) {
        self.evaluated += 1;
        self.opened += outcome.opened;
        self.resolved += outcome.resolved;
        self.probes_requested += usize::from(outcome.probe_requested);
    }

    /// The invocation's metrics (`Function` = [`metrics::INGEST`]): `EventsAccepted` and
    /// `EventsRefused` by `Source` (every source, zeros too), `IngestRequests` by `Status`
    /// (HTTPS only), and the totals `PassiveIncidentsOpened`, `PassiveIncidentsResolved`,
    /// `UnmappedLogGroups`, `StoreErrors`, `CorruptItems`, `Heartbeat`.
    pub fn metrics(&self) -> Vec<MetricSet> {
        let mut sets: Vec<MetricSet> = [
            EventSource::Https,
            EventSource::Logs,
            EventSource::Eventbridge,
        ]
        .into_iter()
        .map(|source| {
            let mine = self.source == Some(source);
            MetricSet {
                dimensions: vec![(metrics::SOURCE, source.as_str().to_string())],
                metrics: vec![
                    Metric::count(
                        metrics::EVENTS_ACCEPTED,
                        if mine { self.accepted } else { 0 },
                    ),
                    Metric::count(metrics::EVENTS_REFUSED, if mine { self.refused } else { 0 }),
                ],
            }
        })
        .collect();
        if let Some(status) = self.http_status {
            sets.push(MetricSet {
                dimensions: vec![(metrics::STATUS, status.to_string())],
                metrics: vec![Metric::count(metrics::INGEST_REQUESTS, 1)],
            });
        }
        sets.push(MetricSet {
            dimensions: Vec::new(),
            metrics: vec![
                Metric::count(metrics::HEARTBEAT, 1),
                Metric::count(metrics::PASSIVE_INCIDENTS_OPENED, self.opened),
                Metric::count(metrics::PASSIVE_INCIDENTS_RESOLVED, self.resolved),
                Metric::count(metrics::UNMAPPED_LOG_GROUPS, self.unmapped_log_groups),
                Metric::count(metrics::STORE_ERRORS, self.errors.len()),
                Metric::count(metrics::CORRUPT_ITEMS, self.corrupt_items),
            ],
        });
        sets
    }
}

/// Logs each refused event (index, field, problem: never a value that could be a secret).
pub(crate) fn log_refused(route: &str, integration: &str, rejected: &[EventError]) {
    for error in rejected {
        tracing::warn!(
            route,
            integration,
            index = ?error.index,
            field = %error.field,
            problem = %error.problem,
            "reported event refused"
        );
    }
}

/// What evaluating one integration did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluated {
    /// Passive incidents opened.
    pub opened: usize,
    /// Passive incidents resolved.
    pub resolved: usize,
    /// Whether the integration was made due for a probe.
    pub probe_requested: bool,
    /// Whether anything was written (a decision that changes nothing is not committed).
    pub committed: bool,
}
