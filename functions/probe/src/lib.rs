//! The probe Lambda: turns an invocation into one monitoring cycle of `credwatch::jobs::probe_cycle`.
//! `main.rs` builds the clients once per container; everything here is testable in-process.

pub mod event;

use chrono::{DateTime, Utc};
use credwatch::jobs::probe_cycle::{CycleSettings, Selection, run_cycle};
use credwatch::probe::Prober;
use credwatch::secrets::SecretReader;
use credwatch::store::{Incidents, Integrations, ProbeResults};
use credwatch::telemetry::emf;
pub use credwatch_lambda::InvocationError;
use serde_json::{Value, json};

use crate::event::{Request, parse_request};

/// Name used in logs and metrics.
pub const FUNCTION: &str = credwatch::telemetry::metrics::PROBE;

/// Everything an invocation needs, built once per container.
pub struct App<S, R> {
    /// The table: integrations, their state, history and incidents.
    pub store: S,
    /// Probes with one SFMC client and one retry policy.
    pub prober: Prober,
    /// Reads client secrets (Secrets Manager when deployed).
    pub secrets: R,
    /// Concurrency and commit settings of a cycle (its deadline is set per invocation).
    pub settings: CycleSettings,
}

/// Handles one invocation at `now` with no deadline; see [`handle_until`].
///
/// # Errors
/// As [`handle_until`].
pub async fn handle_at<S: Integrations + ProbeResults + Incidents, R: SecretReader>(
    app: &App<S, R>,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<Value, InvocationError> {
    handle_until(app, payload, now, None).await
}

/// Handles one invocation at `now`: parses the payload, runs the cycle (starting no probe too
/// close to `deadline` to finish before it: those are deferred to the next run), prints its
/// metrics (CloudWatch EMF on stdout) and returns its summary.
///
/// # Errors
/// [`InvocationError::BadEvent`] for a payload that is not a request this function handles;
/// [`InvocationError::Dependency`] when the integrations cannot be listed (the store failed).
/// A failure of one integration is in the summary, never an error of the invocation.
pub async fn handle_until<S: Integrations + ProbeResults + Incidents, R: SecretReader>(
    app: &App<S, R>,
    payload: &Value,
    now: DateTime<Utc>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, InvocationError> {
    let selection = match parse_request(payload, now).map_err(InvocationError::BadEvent)? {
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
    .map_err(|err| InvocationError::Dependency(format!("cannot list integrations: {err}")))?;
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
