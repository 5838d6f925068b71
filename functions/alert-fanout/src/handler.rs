//! One invocation: the event read ([`crate::event`]), the use case run, its metrics printed
//! (CloudWatch EMF on stdout), and the answer Lambda expects.

use chrono::{DateTime, Utc};
use credwatch::jobs::fanout::{handle_records, sweep};
use credwatch::notify::Publisher;
use credwatch::store::Store;
use credwatch::telemetry::emf;
use credwatch_lambda::InvocationError;
use serde_json::{Value, json};

use crate::event::{Request, parse_request};

/// Name used in logs and metrics.
pub const FUNCTION: &str = credwatch::telemetry::metrics::ALERT_FANOUT;

/// Due notifications one sweep takes on at most; more wait for the next minute's sweep.
pub const SWEEP_LIMIT: usize = 100;

/// Everything an invocation needs, built once per container.
pub struct App<S, P> {
    /// The table: integrations (for the message's facts), notifications and the audit trail.
    pub store: S,
    /// The alerts topic.
    pub publisher: P,
    /// Due notifications one sweep takes on at most ([`SWEEP_LIMIT`] when deployed).
    pub sweep_limit: usize,
}

/// Handles one invocation at `now` with no deadline; see [`handle_until`].
///
/// # Errors
/// As [`handle_until`].
pub async fn handle_at<S: Store, P: Publisher>(
    app: &App<S, P>,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<Value, InvocationError> {
    handle_until(app, payload, now, None).await
}

/// Handles one invocation at `now`:
///
/// - a DynamoDB stream batch: every incident change becomes its notifications, recorded, then
///   published. Answers Lambda's partial batch response,
///   `{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}, ...]}`, listing the records
///   whose notifications could not be recorded (the store failed); a failed publish is not
///   among them (the notification is on record and the sweep retries it).
/// - the EventBridge schedule: the sweep (none started later than shortly before `deadline`);
///   answers its summary.
///
/// # Errors
/// [`InvocationError::BadEvent`] for any other event (naming what it received);
/// [`InvocationError::Dependency`] when the sweep cannot list the due notifications.
pub async fn handle_until<S: Store, P: Publisher>(
    app: &App<S, P>,
    payload: &Value,
    now: DateTime<Utc>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, InvocationError> {
    match parse_request(payload).map_err(InvocationError::BadEvent)? {
        Request::Stream(records) => {
            let summary = handle_records(&app.store, &app.publisher, records, now).await;
            for line in emf::lines(FUNCTION, &summary.metrics(), now) {
                println!("{line}");
            }
            tracing::info!(
                records = summary.records,
                sent = summary.deliveries.sent,
                retried = summary.deliveries.retried,
                failed = summary.deliveries.failed,
                replayed = summary.replayed,
                ignored = summary.ignored,
                unchanged = summary.unchanged,
                corrupt = summary.corrupt,
                batch_item_failures = summary.retry.len(),
                "stream batch done"
            );
            let failures: Vec<Value> = summary
                .retry
                .iter()
                .map(|sequence_number| json!({ "itemIdentifier": sequence_number }))
                .collect();
            Ok(json!({ "batchItemFailures": failures }))
        }
        Request::Sweep => {
            let summary = sweep(&app.store, &app.publisher, now, app.sweep_limit, deadline)
                .await
                .map_err(|err| {
                    InvocationError::Dependency(format!(
                        "cannot list the notifications due for delivery: {err}"
                    ))
                })?;
            for line in emf::lines(FUNCTION, &summary.metrics(), now) {
                println!("{line}");
            }
            tracing::info!(
                due = summary.due,
                sent = summary.deliveries.sent,
                retried = summary.deliveries.retried,
                failed = summary.deliveries.failed,
                deferred = summary.deferred,
                unreadable = summary.unreadable.len(),
                "sweep done"
            );
            Ok(serde_json::to_value(&summary).expect("a sweep summary serializes"))
        }
    }
}
