//! One invocation: the SNS event read ([`crate::event`]), the records posted
//! (`credwatch::jobs::slack_notify`), the metrics printed (CloudWatch EMF on stdout), and the
//! answer Lambda expects: an error when a record must be retried, so Lambda's asynchronous
//! retries (and then the on-failure destination) take it again.

use chrono::{DateTime, Utc};
use credwatch::jobs::slack_notify::{RecordOutcome, SlackContext, SlackSummary, handle_records};
use credwatch::notify::slack::webhook::{SlackPoster, WebhookTransport};
use credwatch::secrets::SecretReader;
use credwatch::store::{Incidents, Notifications, Teams};
use credwatch::telemetry::emf;
use credwatch_lambda::InvocationError;
use serde_json::Value;

use crate::event::parse_event;

/// Name used in logs and metrics.
pub const FUNCTION: &str = "credwatch-slack-notify";

/// Everything an invocation needs, built once per container.
pub struct App<S, R, T> {
    /// The table: teams, notifications, incidents.
    pub store: S,
    /// Secrets Manager, under the Slack prefix.
    pub secrets: R,
    /// Posts to webhooks, paced per webhook.
    pub poster: SlackPoster<T>,
    /// `CREDWATCH_SLACK_SECRET_PREFIX`.
    pub prefix: String,
    /// `CREDWATCH_ALLOW_ANY_ENDPOINT` (tests only): any `http(s)` webhook URL.
    pub allow_any_endpoint: bool,
}

/// Handles one SNS event at `now`; `deadline` bounds waiting out a `429`.
///
/// # Errors
/// [`InvocationError::BadEvent`] when the payload is not an SNS event;
/// [`InvocationError::Dependency`] when a record's post must be retried (naming its message id
/// and why), so Lambda retries the event (records already accepted are not posted again).
pub async fn handle_until<S, R, T>(
    app: &App<S, R, T>,
    payload: &Value,
    now: DateTime<Utc>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, InvocationError>
where
    S: Teams + Notifications + Incidents,
    R: SecretReader,
    T: WebhookTransport,
{
    let parsed = parse_event(payload).map_err(InvocationError::BadEvent)?;
    let mut readable = Vec::new();
    let mut unreadable = Vec::new();
    for record in parsed {
        match record {
            Ok(record) => readable.push(record),
            Err((name, error)) => {
                tracing::error!(message_id = %name, error = %error, "SNS record skipped");
                unreadable.push((name, RecordOutcome::Unreadable { error }));
            }
        }
    }
    let ctx = SlackContext {
        store: &app.store,
        secrets: &app.secrets,
        poster: &app.poster,
        prefix: &app.prefix,
        allow_any_endpoint: app.allow_any_endpoint,
    };
    // Boxed: the post's future (reqwest, the AWS SDK) is deep enough to overflow the
    // compiler's layout depth when inlined into the runtime's loop.
    let mut summary: SlackSummary = Box::pin(handle_records(&ctx, &readable, now, deadline)).await;
    summary.records.extend(unreadable);
    for line in emf::lines(FUNCTION, &summary.metrics(), now) {
        println!("{line}");
    }
    for error in &summary.errors {
        tracing::error!(error = %error, "recording failed");
    }
    let retry: Vec<String> = summary
        .records
        .iter()
        .filter_map(|(id, outcome)| match outcome {
            RecordOutcome::Retrying { error } => Some(format!("{id} ({error})")),
            _ => None,
        })
        .collect();
    tracing::info!(
        records = summary.records.len(),
        retry = retry.len(),
        opened = summary.incidents_opened,
        resolved = summary.incidents_resolved,
        "SNS event done"
    );
    if !retry.is_empty() {
        return Err(InvocationError::Dependency(format!(
            "the Slack post of {} record(s) will be retried: {}",
            retry.len(),
            retry.join("; ")
        )));
    }
    Ok(serde_json::to_value(&summary).expect("a Slack summary serializes"))
}
