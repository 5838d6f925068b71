//! The expiry-scan Lambda: turns a scheduled invocation into one `credwatch::jobs::expiry_scan` run.
//! `main.rs` builds the clients once per container; everything here is testable in-process.

use chrono::{DateTime, Utc};
use credwatch::jobs::expiry_scan::run_scan;
use credwatch::jobs::expiry_scan::{change_class_and_threshold, change_name};
use credwatch::store::{Incidents, Integrations, ProbeResults};
use credwatch::telemetry::emf;
pub use credwatch_lambda::InvocationError;
use serde_json::Value;

/// Name used in logs and metrics.
pub const FUNCTION: &str = credwatch::telemetry::metrics::EXPIRY_SCAN;

/// Handles one invocation at `now`: an EventBridge "Scheduled Event", or `{}` for a manual run.
/// Runs the scan, prints its metrics (CloudWatch EMF on stdout) and returns its summary.
///
/// # Errors
/// [`InvocationError::BadEvent`] for any other event; [`InvocationError::Dependency`] when the
/// integrations cannot be listed (the store failed). A failure of one integration is in the
/// summary, never an error of the invocation.
pub async fn handle_at<S: Integrations + ProbeResults + Incidents>(
    store: &S,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<Value, InvocationError> {
    let scheduled = payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event");
    let manual = payload.as_object().is_some_and(|o| o.is_empty());
    if !scheduled && !manual {
        return Err(InvocationError::BadEvent(
            "unrecognised event; expected an EventBridge Scheduled Event, or {} to scan now"
                .to_string(),
        ));
    }
    let summary = run_scan(store, now)
        .await
        .map_err(|err| InvocationError::Dependency(format!("cannot list integrations: {err}")))?;
    for line in emf::lines(FUNCTION, &summary.metrics(), now) {
        println!("{line}");
    }
    for error in &summary.errors {
        tracing::error!(%error, "store error");
    }
    for change in &summary.changes {
        let (class, threshold_days) = change_class_and_threshold(change);
        tracing::info!(
            integration = %change.id().integration(),
            incident = %change.id(),
            change = change_name(change),
            class = %class,
            threshold_days = ?threshold_days,
            "incident change"
        );
    }
    tracing::info!(
        scanned = summary.scanned,
        opened = summary.opened,
        stepped = summary.stepped,
        resolved = summary.resolved,
        expiring = summary.expiring,
        expired = summary.expired,
        unknown = summary.unknown,
        stale = summary.stale,
        "expiry scan done"
    );
    Ok(serde_json::to_value(&summary).expect("summary serializes"))
}
