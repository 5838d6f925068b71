//! The sweep (EventBridge schedule, every five minutes): every integration that ever reported
//! is evaluated with no new calls, so silence is noticed and quiet patterns resolve. One bad
//! item never stops the others.

use chrono::{DateTime, Utc};

use crate::store::StoreError;

use super::evaluate::evaluate_integration;
use super::model::{IngestStore, IngestSummary};

/// Runs the sweep at `now`.
///
/// # Errors
/// A store failure listing the passive states or the integrations (nothing evaluated: the
/// next sweep runs in five minutes, and Lambda retries this one).
pub async fn sweep<S: IngestStore>(
    store: &S,
    now: DateTime<Utc>,
) -> Result<IngestSummary, StoreError> {
    let mut summary = IngestSummary::default();
    let states = store.passive_states().await?;
    for item in &states.unreadable {
        tracing::error!(key = %item.key, "passive state unreadable; skipped");
    }
    summary.corrupt_items = states.unreadable.len();
    let listing = store.list_integrations().await?;
    for (integration, _) in &states.states {
        let record = listing
            .records
            .iter()
            .find(|record| record.integration.id == *integration);
        let Some(record) = record else {
            continue;
        };
        match evaluate_integration(store, integration, Some(record.clone()), &[], now).await {
            Ok(Some(outcome)) => summary.add(&outcome),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(integration = %integration, error = %error, "sweep: evaluation failed");
                summary.errors.push(format!("{integration}: {error}"));
            }
        }
    }
    Ok(summary)
}
