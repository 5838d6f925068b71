//! One invocation: the event told by its shape ([`crate::event`]), the use case run
//! (`credwatch::jobs::ingest`), the metrics printed (CloudWatch EMF on stdout), and the answer:
//! a function URL response for a request (never an invocation error: the caller gets its
//! status), the summary otherwise, or an error Lambda retries when the store failed.

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlResponse;
use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue};
use chrono::{DateTime, Utc};
use credwatch::jobs::ingest::eventbridge::handle_bus_event;
use credwatch::jobs::ingest::https::{HttpResponse, handle_request};
use credwatch::jobs::ingest::logs::handle_logs;
use credwatch::jobs::ingest::sweep::sweep;
use credwatch::jobs::ingest::{IngestConfig, IngestStore, IngestSummary};
use credwatch::store::StoreError;
use credwatch::telemetry::{emf, metrics};
use credwatch_lambda::InvocationError;
use serde_json::Value;

use crate::event::{IngestEvent, parse_event};

/// Name used in logs and metrics.
pub const FUNCTION: &str = metrics::INGEST;

/// Everything an invocation needs, built once per container.
pub struct App<S> {
    /// The table.
    pub store: S,
    /// The deployment's rules.
    pub config: IngestConfig,
}

/// Handles one event at `now`; `account` is the function's own (from its ARN).
///
/// # Errors
/// [`InvocationError::BadEvent`] when the payload is no event this function handles;
/// [`InvocationError::Dependency`] when the store failed for a log batch, an EventBridge event or
/// the sweep (Lambda retries it). A function URL request always gets an answer.
pub async fn handle<S: IngestStore>(
    app: &App<S>,
    payload: &Value,
    account: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Value, InvocationError> {
    let event = parse_event(payload).map_err(|error| {
        tracing::error!(error = %error, "event refused");
        InvocationError::BadEvent(error)
    })?;
    match event {
        IngestEvent::Http(request) => {
            let (response, summary) =
                Box::pin(handle_request(&app.store, &app.config, &request, now)).await;
            report(&summary, now);
            Ok(url_response(&response))
        }
        IngestEvent::Logs(batch) => {
            let summary = Box::pin(handle_logs(&app.store, &app.config, &batch, now)).await;
            finish(summary, now)
        }
        IngestEvent::Bus(event) => {
            let summary = Box::pin(handle_bus_event(&app.store, account, &event, now)).await;
            finish(summary, now)
        }
        IngestEvent::Sweep => finish(Box::pin(sweep(&app.store, now)).await, now),
    }
}

fn finish(
    summary: Result<IngestSummary, StoreError>,
    now: DateTime<Utc>,
) -> Result<Value, InvocationError> {
    match summary {
        Ok(summary) => {
            report(&summary, now);
            Ok(serde_json::to_value(&summary).expect("an ingest summary serializes"))
        }
        Err(error) => {
            let failed = IngestSummary {
                errors: vec![error.to_string()],
                ..IngestSummary::default()
            };
            report(&failed, now);
            let message = format!("the ingest store failed: {error}");
            Err(if error.is_retryable() {
                InvocationError::Dependency(message)
            } else {
                InvocationError::BadEvent(message)
            })
        }
    }
}

/// Prints the metrics and one log line of what the invocation did.
fn report(summary: &IngestSummary, now: DateTime<Utc>) {
    for line in emf::lines(FUNCTION, &summary.metrics(), now) {
        println!("{line}");
    }
    for error in &summary.errors {
        tracing::error!(error = %error, "store failure");
    }
    tracing::info!(
        source = summary.source.map(|s| s.as_str()),
        status = summary.http_status,
        accepted = summary.accepted,
        refused = summary.refused,
        evaluated = summary.evaluated,
        opened = summary.opened,
        resolved = summary.resolved,
        "ingest done"
    );
}

/// The function URL response (payload 2.0) of an answer.
pub fn url_response(response: &HttpResponse) -> Value {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in &response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    let mut answer = LambdaFunctionUrlResponse::default();
    answer.status_code = i64::from(response.status);
    answer.headers = headers;
    answer.body = Some(response.body.to_string());
    answer.is_base64_encoded = false;
    serde_json::to_value(&answer).expect("a function URL response serializes")
}
