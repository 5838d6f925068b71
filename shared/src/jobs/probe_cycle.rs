//! One monitoring cycle: choose the integrations to probe, probe them, advance their check
//! state, and commit state, incidents and history. The probe function and the demo both run it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;

use crate::domain::incident::IncidentChange;
use crate::domain::outcome::{OutcomeClass, ProbeOutcome};
use crate::domain::state::StateCommit;
use crate::jobs::corrupt::open_corrupt_incidents;
use crate::jobs::panic::contain_panic;
use crate::jobs::rotation;
use crate::probe::{Concurrency, Probed, Prober, probe_stream};
use crate::rules::deadman::resolve_stale;
use crate::rules::health::{self, Observation, Policy};
use crate::rules::schedule;
use crate::secrets::SecretReader;
use crate::secrets::SecretSource;
use crate::secrets::secret_ids_match;
use crate::store::{
    CommitOutcome, HistoryEntry, Incidents, IntegrationRecord, Integrations, ProbeResults,
    StoreError, UnreadableIntegration,
};
use crate::telemetry::emf::{Metric, MetricSet, Unit};
use crate::telemetry::metrics;

/// Which integrations a cycle probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Those whose `next_probe_at` has come (the schedule).
    Due,
    /// The named ones; with `force` even if not due (a direct invocation).
    Only {
        /// The integration ids, in the order asked.
        ids: Vec<String>,
        /// Probe them even if not due.
        force: bool,
    },
    /// Those whose `aws_secret` is this secret, which just changed: a rotation is recorded
    /// where the value really changed ([`crate::jobs::rotation`]), then all are probed now.
    SecretChanged {
        /// The Secrets Manager secret (name or ARN) that changed.
        secret_id: String,
        /// When it changed (the event's time).
        at: DateTime<Utc>,
    },
}

/// How a cycle runs: the state machine's policy, probing and commit concurrency, the deadline.
#[derive(Debug, Clone)]
pub struct CycleSettings {
    /// When tracks fire and resolve.
    pub policy: Policy,
    /// Probes in flight at once, overall and per SFMC host.
    pub concurrency: Concurrency,
    /// State commits in flight at once.
    pub commit_concurrency: usize,
    /// When the invocation must have returned (the Lambda deadline); `None`: no limit.
    pub deadline: Option<tokio::time::Instant>,
    /// Time kept after the last probe for its commit and the summary.
    pub commit_margin: std::time::Duration,
}

impl Default for CycleSettings {
    fn default() -> Self {
        CycleSettings {
            policy: Policy::default(),
            concurrency: Concurrency::default(),
            commit_concurrency: 16,
            deadline: None,
            commit_margin: std::time::Duration::from_secs(5),
        }
    }
}

/// What a cycle did: the probe function's return value, and the source of its metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CycleSummary {
    /// Integrations probed.
    pub probed: usize,
    /// Probes that found the integration working.
    pub ok: usize,
    /// Probes that found any other class.
    pub failing: usize,
    /// Incidents opened (including unreadable-item reports).
    pub opened: usize,
    /// Open incidents whose class changed.
    pub updated: usize,
    /// Incidents resolved.
    pub resolved: usize,
    /// Integrations another overlapping invocation had already updated; their result was not
    /// applied (the other invocation's was).
    pub conflicts: usize,
    /// Secret changes verified as rotations and recorded.
    pub rotations_recorded: usize,
    /// Secret change events that were not rotations (same value re-saved, no baseline yet,
    /// unreadable, or older than a recorded rotation): nothing recorded.
    pub secret_changes_not_rotations: usize,
    /// Requested ids that are not in the table (or are retired).
    pub unknown_integrations: Vec<String>,
    /// Due integrations not probed because the deadline was near; still due for the next run.
    pub deferred: usize,
    /// Integration items that cannot be read: skipped, reported as `corrupt_item` incidents.
    pub unreadable: Vec<UnreadableIntegration>,
    /// Per-integration store failures; they never stop the other integrations.
    pub errors: Vec<String>,
    /// Probes per outcome class name.
    pub by_class: BTreeMap<String, usize>,
    /// Latency (milliseconds) of each probe that made a request; metrics only.
    #[serde(skip)]
    pub latencies_ms: Vec<u64>,
}

/// History entries appended per BatchWriteItem request (DynamoDB's maximum).
const HISTORY_BATCH: usize = 25;

/// Runs one cycle at time `now`. Fails only if the integrations cannot be listed at all.
///
/// Each result is committed as soon as its probe finishes (history in batches of
/// 25, one request each), so a run killed part-way keeps every result committed before. With
/// `settings.deadline`, no probe starts later than the deadline minus one probe's worst case
/// ([`Prober::worst_case`]) and `settings.commit_margin`: the rest are `deferred`, left due for
/// the next run. Unreadable items are skipped and reported ([`crate::jobs::corrupt`]).
pub async fn run_cycle<S: Integrations + ProbeResults + Incidents, R: SecretReader>(
    store: &S,
    prober: &Prober,
    secrets: &R,
    selection: &Selection,
    now: DateTime<Utc>,
    settings: &CycleSettings,
) -> Result<CycleSummary, StoreError> {
    let listing = store.list_integrations().await?;
    let mut summary = CycleSummary::default();
    let corrupt = open_corrupt_incidents(store, &listing, now).await;
    summary.opened += corrupt.opened;
    summary.errors.extend(corrupt.errors);
    summary.unreadable = listing.unreadable.clone();
    let (chosen, unknown) = select(&listing.records, selection, now);
    summary.unknown_integrations = unknown
        .into_iter()
        .filter(|id| !listing.unreadable.iter().any(|u| &u.id == id))
        .collect();

    if let Selection::SecretChanged { at, .. } = selection {
        let report = rotation::verify_rotations(store, secrets, &chosen, *at).await;
        summary.rotations_recorded += report.recorded;
        summary.secret_changes_not_rotations += report.not_rotations;
        summary.errors.extend(report.errors);
    }

    let start_by = settings.deadline.map(|deadline| {
        let margin = prober.worst_case() + settings.commit_margin;
        deadline
            .checked_sub(margin)
            .unwrap_or_else(tokio::time::Instant::now)
    });
    if start_by.is_some_and(|by| by <= tokio::time::Instant::now()) && !chosen.is_empty() {
        tracing::warn!(
            worst_case_ms =
                u64::try_from((prober.worst_case() + settings.commit_margin).as_millis())
                    .unwrap_or(u64::MAX),
            "the invocation has less time left than one probe may take: nothing is probed; \
             raise the function's timeout or lower CREDWATCH_REQUEST_TIMEOUT"
        );
    }
    let integrations: Vec<_> = chosen.iter().map(|r| r.integration.clone()).collect();
    let chosen = &chosen;
    let policy = &settings.policy;
    let mut results = std::pin::pin!(
        probe_stream(
            prober,
            secrets,
            &integrations,
            settings.concurrency,
            start_by
        )
        .map(|probed| async move {
            match probed {
                Probed::Done(index, outcome) => {
                    let record = chosen[index];
                    let committing = commit_outcome(store, record, &outcome, now, policy);
                    let result = contain_panic(async { committing.await.1 }).await;
                    Some((outcome, record.integration.id.clone(), result))
                }
                Probed::Deferred(_) => None,
            }
        })
        .buffer_unordered(settings.commit_concurrency.max(1))
    );
    let mut history: Vec<HistoryEntry> = Vec::new();
    while let Some(result) = results.next().await {
        let Some((outcome, integration, result)) = result else {
            summary.deferred += 1;
            continue;
        };
        match result {
            Ok(Some(commit)) => {
                for write in &commit.incidents {
                    match write {
                        IncidentChange::Opened(_) => summary.opened += 1,
                        IncidentChange::Changed { .. } => summary.updated += 1,
                        IncidentChange::Resolved { .. } => summary.resolved += 1,
                    }
                }
            }
            Ok(None) => summary.conflicts += 1,
            Err(err) => summary.errors.push(format!(
                "{integration}: saving the probe result failed: {err}"
            )),
        }
        summary.count(&outcome);
        history.push(history_entry(&outcome, now));
        if history.len() >= HISTORY_BATCH {
            append_history(store, &mut history, &mut summary).await;
        }
    }
    append_history(store, &mut history, &mut summary).await;
    Ok(summary)
}

/// Appends and empties `history`; a failure is counted, never fatal.
async fn append_history<S: ProbeResults>(
    store: &S,
    history: &mut Vec<HistoryEntry>,
    summary: &mut CycleSummary,
) {
    if history.is_empty() {
        return;
    }
    if let Err(err) = store.append_history(history).await {
        summary
            .errors
            .push(format!("appending probe history failed: {err}"));
    }
    history.clear();
}

impl CycleSummary {
    /// The metrics of one cycle: totals (with a `Heartbeat` of 1, so an alarm on its absence
    /// catches a probe function that stopped running; `ProbesDeferred`, due integrations left
    /// for the next run because the deadline was near; `CorruptItems`, unreadable table items;
    /// `ProbeLatency`, one sample per probe that made a request), then `Outcomes` per class.
    pub fn metrics(&self) -> Vec<MetricSet> {
        let mut sets = vec![MetricSet {
            dimensions: vec![],
            metrics: vec![
                Metric::count(metrics::HEARTBEAT, 1),
                Metric::count(metrics::PROBES, self.probed),
                Metric::count(metrics::PROBES_OK, self.ok),
                Metric::count(metrics::PROBES_FAILING, self.failing),
                Metric::count(metrics::INCIDENTS_OPENED, self.opened),
                Metric::count(metrics::INCIDENTS_RESOLVED, self.resolved),
                Metric::count(metrics::COMMIT_CONFLICTS, self.conflicts),
                Metric::count(metrics::STORE_ERRORS, self.errors.len()),
                Metric {
                    name: metrics::PROBE_LATENCY,
                    unit: Unit::Milliseconds,
                    value: self.latencies_ms.clone().into(),
                },
                Metric::count(metrics::PROBES_DEFERRED, self.deferred),
                Metric::count(metrics::CORRUPT_ITEMS, self.unreadable.len()),
            ],
        }];
        sets.extend(self.by_class.iter().map(|(class, count)| MetricSet {
            dimensions: vec![(metrics::CLASS, class.clone())],
            metrics: vec![Metric::count(metrics::OUTCOMES, *count)],
        }));
        sets
    }

    fn count(&mut self, outcome: &ProbeOutcome) {
        self.probed += 1;
        if outcome.class == OutcomeClass::Ok {
            self.ok += 1;
        } else {
            self.failing += 1;
        }
        *self
            .by_class
            .entry(outcome.class.as_str().to_string())
            .or_default() += 1;
        if outcome.attempts > 0 {
            self.latencies_ms.push(outcome.latency_ms);
        }
    }
}

/// Commits one probe outcome. On a version conflict the integration is read again: if no other
/// probe completed meanwhile (the other writer was the expiry scan or an inventory change), the
/// outcome is applied to the fresh state once more; if another probe did, its result stands.
/// `Ok(None)` when this outcome was not applied.
async fn commit_outcome<S: Integrations + ProbeResults>(
    store: &S,
    record: &IntegrationRecord,
    outcome: &ProbeOutcome,
    now: DateTime<Utc>,
    policy: &Policy,
) -> (String, Result<Option<StateCommit>, StoreError>) {
    let id = record.integration.id.clone();
    let commit = plan_commit(record, outcome, now, policy);
    let result = match store.commit(&commit).await {
        Ok(CommitOutcome::Applied) => Ok(Some(commit)),
        Ok(CommitOutcome::Conflict) => match store.get_integration(&id).await {
            Ok(Some(fresh))
                if !fresh.retired && fresh.state.last_probe_at == record.state.last_probe_at =>
            {
                let commit = plan_commit(&fresh, outcome, now, policy);
                match store.commit(&commit).await {
                    Ok(CommitOutcome::Applied) => Ok(Some(commit)),
                    Ok(CommitOutcome::Conflict) => Ok(None),
                    Err(err) => Err(err),
                }
            }
            Ok(_) => Ok(None),
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    (id, result)
}

/// The integrations a selection names, and requested ids that are unknown or retired.
pub fn select<'a>(
    records: &'a [IntegrationRecord],
    selection: &Selection,
    now: DateTime<Utc>,
) -> (Vec<&'a IntegrationRecord>, Vec<String>) {
    let active = || records.iter().filter(|r| !r.retired);
    match selection {
        Selection::Due => (
            active()
                .filter(|r| r.state.next_probe_at.is_none_or(|at| at <= now))
                .collect(),
            vec![],
        ),
        Selection::Only { ids, force } => {
            let mut chosen = Vec::new();
            let mut unknown = Vec::new();
            for id in ids {
                match active().find(|r| &r.integration.id == id) {
                    Some(record)
                        if *force || record.state.next_probe_at.is_none_or(|at| at <= now) =>
                    {
                        if !chosen
                            .iter()
                            .any(|c: &&IntegrationRecord| c.integration.id == *id)
                        {
                            chosen.push(record);
                        }
                    }
                    Some(_) => {}
                    None => unknown.push(id.clone()),
                }
            }
            (chosen, unknown)
        }
        Selection::SecretChanged { secret_id, .. } => (
            active()
                .filter(|r| match &r.integration.client_secret {
                    SecretSource::AwsSecret { id, .. } => secret_ids_match(id, secret_id),
                    _ => false,
                })
                .collect(),
            vec![],
        ),
    }
}

/// Pure: the state commit (with its incident writes) that one probe outcome causes.
pub fn plan_commit(
    record: &IntegrationRecord,
    outcome: &ProbeOutcome,
    now: DateTime<Utc>,
    policy: &Policy,
) -> StateCommit {
    let integration = &record.integration;
    let observation = Observation {
        class: outcome.class,
        confirmed: outcome.confirmed,
        at: now,
        message: outcome.message.clone(),
        http_status: outcome.http_status,
    };
    let (mut state, mut incidents) =
        health::advance(&record.state, integration, &observation, policy);
    // The secret this probe read is the baseline the next change event is compared with.
    if let Some(fingerprint) = &outcome.secret_fingerprint {
        state.secret_fingerprint = Some(fingerprint.clone());
    }
    // Not healthy: the short recheck cadence (with jitter). Healthy: the integration's own slot.
    state.next_probe_at = Some(if state.health().needs_recheck() {
        schedule::schedule(
            &state,
            now,
            integration.probe_every,
            integration.recheck_every,
            fastrand::f64(),
        )
    } else {
        schedule::next_slot(&integration.id, now, integration.probe_every)
    });
    // A completed probe ends the dead-man's switch: credwatch is checking it again.
    if let Some(stale) = state.stale_incident.take() {
        incidents.push(resolve_stale(stale, &integration.name, now));
    }
    StateCommit {
        integration: integration.id.clone(),
        expected_version: record.state.version,
        state,
        incidents,
    }
}

fn history_entry(outcome: &ProbeOutcome, now: DateTime<Utc>) -> HistoryEntry {
    HistoryEntry {
        integration: outcome.integration.clone(),
        probed_at: now,
        class: outcome.class,
        http_status: outcome.http_status,
        latency_ms: outcome.latency_ms,
        attempts: outcome.attempts,
        confirmed: outcome.confirmed,
        business_unit: outcome.business_unit,
        missing_scopes: outcome.missing_scopes.clone(),
        message: outcome.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::emf;
    use chrono::DateTime;
    use serde_json::{Value, json};

    #[test]
    fn emf_documents_declare_what_they_carry() {
        let mut summary = CycleSummary {
            probed: 3,
            ok: 2,
            failing: 1,
            ..Default::default()
        };
        summary.by_class.insert("ok".into(), 2);
        summary.by_class.insert("throttled".into(), 1);
        summary.latencies_ms = vec![120, 80];
        let now = DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc();
        let lines = emf::lines("credwatch-probe", &summary.metrics(), now);
        assert_eq!(lines.len(), 3);
        let totals: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(totals["_aws"]["Timestamp"], now.timestamp_millis());
        assert_eq!(
            totals["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "credwatch"
        );
        assert_eq!(totals["Heartbeat"], 1);
        assert_eq!(totals["Probes"], 3);
        assert_eq!(totals["ProbeLatency"], json!([120, 80]));
        // Every declared metric has a value at the root, as EMF requires.
        for metric in totals["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
        {
            assert!(
                totals.get(metric["Name"].as_str().unwrap()).is_some(),
                "{metric}"
            );
        }
        assert_eq!(totals["Function"], "credwatch-probe");
        let throttled: Value = serde_json::from_str(&lines[2]).unwrap();
        assert_eq!(throttled["Class"], "throttled");
        assert_eq!(throttled["Outcomes"], 1);
        assert_eq!(
            throttled["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function", "Class"]])
        );
    }

    /// The cycle emits exactly the probe's entries of the metric catalogue (the names the
    /// template's alarms and dashboard are checked against): none missing, none unlisted.
    #[test]
    fn a_cycle_emits_exactly_the_catalogued_probe_metrics() {
        let mut summary = CycleSummary::default();
        summary.by_class.insert("auth_failed".into(), 1);
        assert_eq!(
            metrics::declared(&summary.metrics()),
            metrics::catalogued(metrics::PROBE)
        );
    }
}
