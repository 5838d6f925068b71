//! One integration's calls recorded, then decided on: read, `rules::passive::evaluate`,
//! `commit_passive` (a version conflict re-reads and decides again), `probe_soon`.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::incident::{CheckKind, IncidentChange};
use crate::domain::passive::{PassiveCommit, SfmcCall};
use crate::rules::passive::{LOOKBACK, PassiveInputs, ProbeView, evaluate};
use crate::store::{CommitOutcome, IntegrationRecord, StoreError};

use super::model::{Evaluated, IngestStore};

/// Attempts at committing one decision before the conflict is reported (each re-reads).
pub const COMMIT_ATTEMPTS: usize = 4;

/// How far after `now` the minutes read reach: a reporter's clock may run up to five minutes
/// ahead (the schema allows it), and those calls count in their own minute.
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(6);

/// Records `calls` (any integrations), then evaluates each integration they belong to. A
/// failure to record is returned (nothing was decided); a failure to evaluate one integration
/// is named in the returned list and never stops the others (its calls are recorded: the sweep
/// decides on them within five minutes).
///
/// # Errors
/// The store's error when the calls could not be recorded.
pub async fn record_and_evaluate<S: IngestStore>(
    store: &S,
    calls: &[SfmcCall],
    now: DateTime<Utc>,
) -> Result<(Vec<Evaluated>, Vec<String>), StoreError> {
    if calls.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    store.record_calls(calls).await?;
    let mut integrations: Vec<&str> = calls.iter().map(|c| c.integration_id.as_str()).collect();
    integrations.sort_unstable();
    integrations.dedup();
    let mut done = Vec::new();
    let mut errors = Vec::new();
    for integration in integrations {
        let batch: Vec<SfmcCall> = calls
            .iter()
            .filter(|c| c.integration_id == integration)
            .cloned()
            .collect();
        match evaluate_integration(store, integration, None, &batch, now).await {
            Ok(Some(outcome)) => done.push(outcome),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(integration, error = %error, "passive evaluation failed");
                errors.push(format!("{integration}: {error}"));
            }
        }
    }
    Ok((done, errors))
}

/// The probe's view of the integration's credential: its auth track, last probe, and the
/// scopes the latest probe found missing.
async fn probe_view<S: IngestStore>(
    store: &S,
    record: &IntegrationRecord,
) -> Result<ProbeView, StoreError> {
    let latest = store.history(&record.integration.id, 1).await?;
    Ok(ProbeView {
        health: record.state.auth.health,
        last_class: record.state.last_class,
        last_probe_at: record.state.last_probe_at,
        missing_scopes: latest
            .into_iter()
            .next()
            .map(|entry| entry.missing_scopes)
            .unwrap_or_default(),
    })
}

/// Decides on `integration` with `batch` (its calls just recorded; empty on the sweep) and
/// commits the decision. `record` is the integration as already read (the sweep's listing),
/// else it is read. `None` when the integration is unknown or retired (nothing decided).
///
/// # Errors
/// A store failure, or [`StoreError::Conflict`] after [`COMMIT_ATTEMPTS`] conflicting commits.
pub async fn evaluate_integration<S: IngestStore>(
    store: &S,
    integration: &str,
    record: Option<IntegrationRecord>,
    batch: &[SfmcCall],
    now: DateTime<Utc>,
) -> Result<Option<Evaluated>, StoreError> {
    let record = match record {
        Some(record) => record,
        None => match store.get_integration(integration).await? {
            Some(record) => record,
            None => return Ok(None),
        },
    };
    if record.retired {
        return Ok(None);
    }
    let probe = probe_view(store, &record).await?;
    for _ in 0..COMMIT_ATTEMPTS {
        let minutes = store
            .minutes(integration, now - LOOKBACK, now + CLOCK_SKEW)
            .await?;
        let state = store.passive_state(integration).await?.unwrap_or_default();
        let open: Vec<_> = store
            .incidents_of(integration)
            .await?
            .into_iter()
            .filter(|incident| incident.open && incident.check == CheckKind::Passive)
            .collect();
        let decision = evaluate(&PassiveInputs {
            now,
            integration: &record.integration,
            minutes: &minutes,
            batch,
            state: &state,
            probe: &probe,
            open: &open,
        });
        let mut outcome = Evaluated::default();
        for change in &decision.changes {
            match change {
                IncidentChange::Opened(_) => outcome.opened += 1,
                IncidentChange::Resolved { .. } => outcome.resolved += 1,
                IncidentChange::Changed { .. } => {}
            }
        }
        // Compared without the version: the store sets it.
        let unchanged = decision.changes.is_empty()
            && crate::domain::passive::PassiveState {
                version: state.version,
                ..decision.state.clone()
            } == state;
        if !unchanged {
            let commit = PassiveCommit {
                integration: integration.to_string(),
                expected_version: state.version,
                state: decision.state,
                incidents: decision.changes,
            };
            match store.commit_passive(&commit).await? {
                CommitOutcome::Applied => outcome.committed = true,
                CommitOutcome::Conflict => continue,
            }
        }
        if decision.probe_now {
            outcome.probe_requested = store.probe_soon(integration, now).await?;
        }
        return Ok(Some(outcome));
    }
    Err(StoreError::conflict(format!(
        "passive state of {integration}: {COMMIT_ATTEMPTS} commits in a row met a newer version"
    )))
}
