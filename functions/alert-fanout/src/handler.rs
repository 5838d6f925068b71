//! One invocation: the event read ([`crate::event`]), the use case run, its metrics printed
//! (CloudWatch EMF on stdout), and the answer Lambda expects.

use chrono::{DateTime, Utc};
use credwatch::jobs::drill::{DrillError, DrillOptions, DrillReport, run_drill, slack_words};
use credwatch::jobs::fanout::{SWEEP_MARGIN, handle_records, sweep};
use credwatch::notify::Publisher;
use credwatch::store::Store;
use credwatch::subscriptions::TopicSubscriptions;
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

/// What the scheduled drill needs besides [`App`]: the alert topic's subscriptions (to say,
/// per team, which are confirmed and which pending).
pub struct DrillPort<T> {
    /// The topic's subscriptions.
    pub subscriptions: T,
    /// The alert topic's ARN.
    pub topic: String,
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
/// A drill event is refused here ([`InvocationError::Dependency`]: no subscriptions port);
/// [`handle_with_drill`] runs it.
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
    handle_request(app, None::<&DrillPort<NoPort>>, payload, now, deadline).await
}

/// [`handle_until`], plus the weekly drill rule's event (`{"drill": {"teams": [...]}}`): the
/// drill of [`credwatch::jobs::drill`] for those teams (empty: every team), waiting for the
/// stream's fan-out (another invocation of this function) to publish each drill, but not for
/// Slack; at most [`credwatch::jobs::drill::DEFAULT_WAIT`], and never past `deadline` less
/// [`SWEEP_MARGIN`]. The per-team report is logged and answered; metrics `DrillTeams` and
/// `DrillTeamsFailed`.
///
/// # Errors
/// As [`handle_until`]; for a drill, [`InvocationError::BadEvent`] when a team is unknown or
/// the table holds none, [`InvocationError::Dependency`] when the teams or the topic's
/// subscriptions cannot be read (nothing written). A team that fails its drill is not an
/// error: it is in the report, logged at error level and counted.
pub async fn handle_with_drill<S: Store, P: Publisher, T: TopicSubscriptions>(
    app: &App<S, P>,
    drill: &DrillPort<T>,
    payload: &Value,
    now: DateTime<Utc>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, InvocationError> {
    handle_request(app, Some(drill), payload, now, deadline).await
}

/// The port [`handle_until`] lacks (it never drills).
pub struct NoPort;

impl TopicSubscriptions for NoPort {
    async fn list(
        &self,
        topic: &str,
    ) -> Result<
        Vec<credwatch::domain::subscription::Subscription>,
        credwatch::subscriptions::SubscriptionError,
    > {
        Err(no_port(topic))
    }

    async fn subscribe(
        &self,
        topic: &str,
        _protocol: &str,
        _endpoint: &str,
        _filter_policy: &str,
    ) -> Result<String, credwatch::subscriptions::SubscriptionError> {
        Err(no_port(topic))
    }

    async fn set_filter_policy(
        &self,
        arn: &str,
        _filter_policy: &str,
    ) -> Result<(), credwatch::subscriptions::SubscriptionError> {
        Err(no_port(arn))
    }

    async fn unsubscribe(
        &self,
        arn: &str,
    ) -> Result<(), credwatch::subscriptions::SubscriptionError> {
        Err(no_port(arn))
    }
}

fn no_port(on: &str) -> credwatch::subscriptions::SubscriptionError {
    credwatch::subscriptions::SubscriptionError {
        message: format!("no subscriptions port for {on}"),
    }
}

async fn handle_request<S: Store, P: Publisher, T: TopicSubscriptions>(
    app: &App<S, P>,
    drill: Option<&DrillPort<T>>,
    payload: &Value,
    now: DateTime<Utc>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, InvocationError> {
    match parse_request(payload).map_err(InvocationError::BadEvent)? {
        Request::Drill { teams } => {
            let Some(port) = drill else {
                return Err(InvocationError::Dependency(
                    "a drill event reached a handler without the topic's subscriptions".to_string(),
                ));
            };
            // Boxed: the drill's future nests the store's and SNS's deep futures.
            Box::pin(drill_now(app, port, teams, now, deadline)).await
        }
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

/// The drill of `teams` (see [`handle_with_drill`]).
async fn drill_now<S: Store, P: Publisher, T: TopicSubscriptions>(
    app: &App<S, P>,
    port: &DrillPort<T>,
    teams: Vec<String>,
    now: DateTime<Utc>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Value, InvocationError> {
    let mut wait = credwatch::jobs::drill::DEFAULT_WAIT;
    if let Some(deadline) = deadline {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        wait = wait.min(left.saturating_sub(SWEEP_MARGIN));
    }
    let options = DrillOptions {
        teams,
        wait,
        wait_for_slack: false,
    };
    let mut progress = |line: &str| tracing::info!(progress = line, "drill");
    let report = Box::pin(run_drill(
        &app.store,
        &port.subscriptions,
        &port.topic,
        &options,
        now,
        &mut progress,
    ))
    .await
    .map_err(|error| match error {
        DrillError::UnknownTeams { .. } | DrillError::NoTeams => {
            InvocationError::BadEvent(format!("drill: {error}"))
        }
        DrillError::Teams(_) | DrillError::Subscriptions(_) => {
            InvocationError::Dependency(format!("drill: {error}"))
        }
    })?;
    log_report(&report);
    for line in emf::lines(FUNCTION, &report.metrics(), now) {
        println!("{line}");
    }
    Ok(serde_json::to_value(&report).expect("a drill report serializes"))
}

/// One log line per team: info when it passed, error (what to do) when not.
fn log_report(report: &DrillReport) {
    for team in &report.teams {
        let published = match &team.publication {
            credwatch::rules::drill::Publication::Published { message_id } => message_id.as_str(),
            _ => "",
        };
        if team.ok() {
            tracing::info!(
                team = %team.team,
                message_id = published,
                confirmed = team.confirmed.len(),
                pending = team.pending.len(),
                slack = %slack_words(&team.slack),
                "drill ok"
            );
        } else {
            tracing::error!(
                team = %team.team,
                publication = ?team.publication,
                confirmed = team.confirmed.len(),
                pending = team.pending.len(),
                slack = %slack_words(&team.slack),
                what_to_do = %team.what_to_do(),
                "drill failed: this team's alerts may reach nobody"
            );
        }
    }
}
