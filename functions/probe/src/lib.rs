//! The probe Lambda: turns an invocation into one monitoring cycle of `credwatch::jobs::probe_cycle`.
//! `main.rs` builds the clients once per container; everything here is testable in-process.

pub mod event;

use chrono::{DateTime, Utc};
use credwatch::jobs::probe_cycle::{CycleSettings, Selection, run_cycle};
use credwatch::probe::{Prober, SecretReader};
use credwatch::store::Store;
use credwatch::telemetry::emf;
use serde_json::{Value, json};

use crate::event::{Request, parse_request};

/// Name used in logs and metrics.
pub const FUNCTION: &str = "credwatch-probe";

/// Everything an invocation needs, built once per container.
pub struct App<S, R> {
    pub store: S,
    pub prober: Prober,
    pub secrets: R,
    pub settings: CycleSettings,
}

/// A failure the caller should see as a failed invocation (so EventBridge and Lambda retry it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvocationError(pub String);

/// Handles one invocation at `now` with no deadline; see [`handle_until`].
pub async fn handle_at<S: Store, R: SecretReader>(
    app: &App<S, R>,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<Value, InvocationError> {
    handle_until(app, payload, now, None).await
}

/// The Lambda deadline (`LambdaEvent.context.deadline`, milliseconds since the Unix epoch) as
/// an instant of this process's clock; a deadline already past is now.
pub fn deadline_instant(deadline_ms: u64) -> tokio::time::Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let remaining = u128::from(deadline_ms).saturating_sub(now_ms);
    let remaining = std::time::Duration::from_millis(u64::try_from(remaining).unwrap_or(u64::MAX));
    tokio::time::Instant::now() + remaining.min(std::time::Duration::from_secs(86_400))
}

/// Handles one invocation at `now`: parses the payload, runs the cycle (starting no probe too
/// close to `deadline` to finish before it: those are deferred to the next run), prints its
/// metrics (CloudWatch EMF on stdout) and returns its summary.
pub async fn handle_until<S: Store, R: SecretReader>(
    app: &App<S, R>,
    payload: &Value,
    now: DateTime<Utc>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, InvocationError> {
    let selection = match parse_request(payload, now).map_err(InvocationError)? {
        Request::Probe(selection) => selection,
        Request::Ignore(reason) => {
            tracing::info!(%reason, "nothing to do");
            return Ok(json!({ "ignored": reason }));
        }
    };
    if let Selection::SecretChanged { secret_id, .. } = &selection {
        app.secrets.invalidate(secret_id);
    }
    let settings = CycleSettings {
        deadline,
        ..app.settings.clone()
    };
    let summary = run_cycle(
        &app.store,
        &app.prober,
        &app.secrets,
        &selection,
        now,
        &settings,
    )
    .await
    .map_err(|err| InvocationError(format!("cannot list integrations: {err}")))?;
    for line in emf::lines(FUNCTION, &summary.metrics(), now) {
        println!("{line}");
    }
    for error in &summary.errors {
        tracing::error!(%error, "store error");
    }
    for bad in &summary.unreadable {
        tracing::error!(integration = %bad.id, field = %bad.field, problem = %bad.problem, "unreadable integration item skipped");
    }
    if summary.deferred > 0 {
        tracing::warn!(
            deferred = summary.deferred,
            "the invocation deadline was near: due integrations left for the next run"
        );
    }
    if !summary.unknown_integrations.is_empty() {
        tracing::warn!(unknown = ?summary.unknown_integrations, "requested integrations are not in the table");
    }
    tracing::info!(
        probed = summary.probed,
        ok = summary.ok,
        failing = summary.failing,
        opened = summary.opened,
        resolved = summary.resolved,
        conflicts = summary.conflicts,
        deferred = summary.deferred,
        unreadable = summary.unreadable.len(),
        "probe cycle done"
    );
    Ok(serde_json::to_value(&summary).expect("summary serializes"))
}
