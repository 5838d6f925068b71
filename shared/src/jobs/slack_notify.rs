//! slack-notify: each notification document the alerts topic delivers (SNS, protocol `lambda`)
//! is posted to its team's Slack incoming webhook, once, and what Slack answered is recorded on
//! the notification ([`SlackPost`]).
//!
//! Per record, in order: read the document ([`read_document`]; a bad one is counted and logged
//! with its message id and field, never retried); skip it when the team is unknown, has no
//! `slack_webhook`, or the severity is below its `min_severity`; skip it when Slack already
//! accepted it (Lambda retries an invocation); read the webhook from Secrets Manager (only under
//! the Slack prefix); post; record. A permanent refusal, or a secret that is missing, outside
//! the prefix or not a webhook URL, opens one `monitor` incident for the platform team
//! ([`webhook_incident`]), which a later accepted post to that team resolves. A retryable
//! failure is recorded as `retrying` and returned, so the function fails and Lambda retries.
//! Email delivery is another subscription and is never touched.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::time::Instant;

use crate::domain::incident::{CheckKind, Incident, IncidentClass, IncidentId, STANDALONE_SEQ};
use crate::inventory::Team;
use crate::notify::delivery::{SlackPost, SlackPostState};
use crate::notify::notification::Notification;
use crate::notify::render::slack::slack_value;
use crate::notify::slack::answer::SlackAnswer;
use crate::notify::slack::document::read_document;
use crate::notify::slack::webhook::{SlackPoster, WebhookTransport, WebhookUrl};
use crate::secrets::{SecretReader, SecretSource, is_under_prefix};
use crate::store::{Incidents, Notifications, StoreError, Teams};
use crate::telemetry::emf::{Metric, MetricSet};

/// The longest error kept in a record's outcome, in characters (as on a [`SlackPost`]).
pub const MAX_POST_ERROR_CHARS: usize = SlackPost::MAX_ERROR;

/// One SNS record: its message id (for logs) and its message (the document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsRecord {
    /// SNS's `MessageId`.
    pub message_id: String,
    /// SNS's `Message`: the `credwatch.notification.v1` document.
    pub message: String,
}

/// What slack-notify needs besides the records: the store, the secrets, the poster and the
/// deployment's rules.
pub struct SlackContext<'a, S, R, T> {
    /// The table: teams, notifications, incidents.
    pub store: &'a S,
    /// Secrets Manager (the webhook URLs).
    pub secrets: &'a R,
    /// Posts to webhooks (paced).
    pub poster: &'a SlackPoster<T>,
    /// Only secrets under this prefix are read (`CREDWATCH_SLACK_SECRET_PREFIX`).
    pub prefix: &'a str,
    /// Whether a webhook URL may be any `http(s)` URL (tests only).
    pub allow_any_endpoint: bool,
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecordOutcome {
    /// Slack accepted the post.
    Accepted,
    /// Slack refused it for good (or the webhook's secret is unusable): recorded, reported.
    Refused {
        /// Slack's token or what is wrong with the secret.
        error: String,
    },
    /// It may pass later: recorded as `retrying`, the invocation fails so Lambda retries.
    Retrying {
        /// Why.
        error: String,
    },
    /// Nothing to post.
    Skipped {
        /// Why: `no webhook`, `below min_severity`, `already accepted`, `unknown team`.
        reason: String,
    },
    /// The record could not be read (never retried).
    Unreadable {
        /// The field at fault and what is wrong.
        error: String,
    },
}

/// What one invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SlackSummary {
    /// Per record: its message id and outcome, in order.
    pub records: Vec<(String, RecordOutcome)>,
    /// Platform incidents opened (a broken webhook) and resolved (working again).
    pub incidents_opened: usize,
    /// See `incidents_opened`.
    pub incidents_resolved: usize,
    /// Store failures met while reporting (never fatal to a record's post), and answers that
    /// could not be recorded because their notification is not on record.
    pub errors: Vec<String>,
}

impl SlackSummary {
    fn count(&self, pick: impl Fn(&RecordOutcome) -> bool) -> usize {
        self.records.iter().filter(|(_, o)| pick(o)).count()
    }

    /// The message ids of the records to retry (retrying ones).
    pub fn retry(&self) -> Vec<&str> {
        self.records
            .iter()
            .filter(|(_, o)| matches!(o, RecordOutcome::Retrying { .. }))
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// `SlackPosts` by `Outcome` (`accepted`, `refused`, `retrying`), `SlackSkipped` and
    /// `SlackUnreadable` (records that could not be read).
    pub fn metrics(&self) -> Vec<MetricSet> {
        let mut sets: Vec<MetricSet> = [
            (
                "accepted",
                self.count(|o| matches!(o, RecordOutcome::Accepted)),
            ),
            (
                "refused",
                self.count(|o| matches!(o, RecordOutcome::Refused { .. })),
            ),
            (
                "retrying",
                self.count(|o| matches!(o, RecordOutcome::Retrying { .. })),
            ),
        ]
        .into_iter()
        .map(|(outcome, n)| MetricSet {
            dimensions: vec![("Outcome", outcome.to_string())],
            metrics: vec![Metric::count("SlackPosts", n)],
        })
        .collect();
        sets.push(MetricSet {
            dimensions: Vec::new(),
            metrics: vec![
                Metric::count(
                    "SlackSkipped",
                    self.count(|o| matches!(o, RecordOutcome::Skipped { .. })),
                ),
                Metric::count(
                    "SlackUnreadable",
                    self.count(|o| matches!(o, RecordOutcome::Unreadable { .. })),
                ),
            ],
        });
        sets
    }
}

/// The integration part of a broken-webhook incident's id: `slack-webhook.` then the team's id.
/// The `.` cannot occur in an inventory id, so it never names an integration's incident (an
/// integration may well be called `slack-webhook-crm-ops`; its unreadable item opens
/// `slack-webhook-crm-ops:monitor:0`, which a post Slack accepted must never resolve).
pub const WEBHOOK_INTEGRATION_PREFIX: &str = "slack-webhook.";

/// The one incident id of team `team`'s broken webhook: `slack-webhook.{team}:monitor:0`
/// (sequence 0, opened once while it stays broken).
pub fn webhook_incident_id(team: &str) -> IncidentId {
    IncidentId::new(
        &format!("{WEBHOOK_INTEGRATION_PREFIX}{team}"),
        CheckKind::Monitor,
        STANDALONE_SEQ,
    )
}

/// Pure: the platform team's incident for team `team`'s broken webhook: what is wrong (`why`)
/// and which secret (by name) to fix.
pub fn webhook_incident(team: &str, secret_name: &str, why: &str, now: DateTime<Utc>) -> Incident {
    let id = webhook_incident_id(team);
    let integration = id.integration().to_string();
    Incident::for_platform(
        id,
        &integration,
        IncidentClass::SlackWebhookRefused,
        format!(
            "the Slack webhook of team {team} is broken: {why}; fix the secret {secret_name}. \
             The team's alerts still go by email; each refused Slack message is recorded on its \
             notification."
        ),
        now,
    )
}

/// Whether a secret that could not be read will stay unreadable (missing, denied, binary,
/// empty, too long) rather than fail for a moment (throttled, unreachable).
pub fn secret_failure_is_permanent(why: &str) -> bool {
    [
        "ResourceNotFoundException",
        "AccessDeniedException",
        "DecryptionFailure",
        "InvalidRequestException",
        "InvalidParameterException",
        "binary data",
        "more than",
        "longer than",
        "is empty",
    ]
    .iter()
    .any(|sign| why.contains(sign))
}

fn short(text: &str) -> String {
    let text = crate::notify::scrub::scrub(text);
    crate::text::printable::cap(&text, MAX_POST_ERROR_CHARS).into_owned()
}

/// Why a webhook could not be used, before or after posting.
enum Failure {
    /// For good: report it to the platform team.
    Broken(String),
    /// For now.
    Transient(String),
}

/// Handles the records of one invocation at `now`, each on its own (see the module doc).
/// `deadline` bounds waiting out a `429`.
pub async fn handle_records<S, R, T>(
    ctx: &SlackContext<'_, S, R, T>,
    records: &[SnsRecord],
    now: DateTime<Utc>,
    deadline: Option<Instant>,
) -> SlackSummary
where
    S: Teams + Notifications + Incidents,
    R: SecretReader,
    T: WebhookTransport,
{
    let mut summary = SlackSummary::default();
    let mut teams: Option<Vec<Team>> = None;
    for record in records {
        let outcome = handle_record(ctx, record, &mut teams, now, deadline, &mut summary).await;
        match &outcome {
            RecordOutcome::Unreadable { error } => tracing::error!(
                message_id = %record.message_id,
                error = %error,
                "SNS record skipped: not a notification document"
            ),
            RecordOutcome::Refused { error } => tracing::warn!(
                message_id = %record.message_id,
                error = %error,
                "Slack refused the post"
            ),
            RecordOutcome::Retrying { error } => tracing::warn!(
                message_id = %record.message_id,
                error = %error,
                "Slack post failed; will be retried"
            ),
            RecordOutcome::Accepted => {
                tracing::info!(message_id = %record.message_id, "Slack accepted the post")
            }
            RecordOutcome::Skipped { reason } => {
                tracing::info!(message_id = %record.message_id, reason = %reason, "nothing to post")
            }
        }
        summary.records.push((record.message_id.clone(), outcome));
    }
    summary
}

async fn handle_record<S, R, T>(
    ctx: &SlackContext<'_, S, R, T>,
    record: &SnsRecord,
    teams: &mut Option<Vec<Team>>,
    now: DateTime<Utc>,
    deadline: Option<Instant>,
    summary: &mut SlackSummary,
) -> RecordOutcome
where
    S: Teams + Notifications + Incidents,
    R: SecretReader,
    T: WebhookTransport,
{
    let n = match read_document(&record.message) {
        Ok(n) => n,
        Err(err) => {
            return RecordOutcome::Unreadable {
                error: err.to_string(),
            };
        }
    };
    if teams.is_none() {
        match ctx.store.list_teams().await {
            Ok(listed) => *teams = Some(listed),
            Err(err) => {
                return RecordOutcome::Retrying {
                    error: short(&format!("cannot read the teams: {err}")),
                };
            }
        }
    }
    let skipped = |reason: &str| RecordOutcome::Skipped {
        reason: reason.to_string(),
    };
    let Some(team) = teams
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .find(|t| t.id == n.team)
    else {
        return skipped("unknown team");
    };
    let Some(secret_name) = team.notify.slack_webhook.clone() else {
        return skipped("no webhook");
    };
    // Severity orders most serious first: a severity after the minimum is below it.
    if n.severity > team.notify.min_severity {
        return skipped("below min_severity");
    }
    let previous = match slack_post_of(ctx.store, &n).await {
        Ok(previous) => previous,
        Err(err) => {
            return RecordOutcome::Retrying {
                error: short(&format!("cannot read the notification: {err}")),
            };
        }
    };
    if previous
        .as_ref()
        .is_some_and(|p| p.state == SlackPostState::Accepted)
    {
        return skipped("already accepted");
    }
    let earlier_attempts = previous.as_ref().map_or(0, |p| p.attempts);
    let (failure, attempts, status) = match webhook(ctx, &secret_name).await {
        Err(failure) => (Some(failure), 0, None),
        Ok(url) => {
            let result = ctx.poster.post(&url, &slack_value(&n), deadline).await;
            tracing::debug!(webhook = url.key(), attempts = result.attempts, "posted");
            let failure = match result.answer {
                SlackAnswer::Accepted => None,
                SlackAnswer::Refused { token } => {
                    Some(Failure::Broken(format!("Slack answered {token}")))
                }
                SlackAnswer::RateLimited { retry_after } => Some(Failure::Transient(format!(
                    "rate_limited (retry after {} s)",
                    retry_after.as_secs()
                ))),
                SlackAnswer::Retryable { reason, .. } => Some(Failure::Transient(reason)),
            };
            (failure, result.attempts, result.status)
        }
    };
    let (state, error) = match &failure {
        None => (SlackPostState::Accepted, None),
        Some(Failure::Broken(why)) => (SlackPostState::Refused, Some(short(why))),
        Some(Failure::Transient(why)) => (SlackPostState::Retrying, Some(short(why))),
    };
    let post = SlackPost {
        state,
        at: now,
        attempts: earlier_attempts + attempts,
        status,
        error: error.clone(),
    }
    .bounded();
    match ctx.store.record_slack_post(&n.id, &post).await {
        Ok(true) => {}
        // Posted (nothing is lost), but the answer has nowhere to go: say so, never silently.
        Ok(false) => summary.errors.push(short(&format!(
            "{}: no such notification on record (incident {}); Slack's answer ({}) was not \
             recorded",
            n.id,
            n.incident_id,
            post.state.as_str()
        ))),
        Err(err) => summary.errors.push(short(&format!(
            "{}: recording Slack's answer failed: {err}",
            n.id
        ))),
    }
    match failure {
        None => {
            let incident = webhook_incident_id(&team.id);
            match ctx
                .store
                .resolve_incident(
                    incident.as_str(),
                    &format!(
                        "Slack accepted a post to the webhook of team {} again",
                        team.id
                    ),
                    now,
                )
                .await
            {
                Ok(true) => summary.incidents_resolved += 1,
                Ok(false) => {}
                Err(err) => summary.errors.push(short(&format!(
                    "{incident}: resolving the broken-webhook incident failed: {err}"
                ))),
            }
            RecordOutcome::Accepted
        }
        Some(Failure::Broken(why)) => {
            // Read the secret afresh next time: someone may fix it now.
            ctx.secrets.invalidate(&secret_name);
            let incident = webhook_incident(&team.id, &secret_name, &why, now);
            match ctx.store.open_incident(&incident).await {
                Ok(true) => summary.incidents_opened += 1,
                Ok(false) => {}
                Err(err) => summary.errors.push(short(&format!(
                    "{}: opening the broken-webhook incident failed: {err}",
                    incident.id
                ))),
            }
            RecordOutcome::Refused { error: short(&why) }
        }
        Some(Failure::Transient(why)) => RecordOutcome::Retrying { error: short(&why) },
    }
}

/// What Slack answered earlier for `n`, if anything is on record.
async fn slack_post_of<S: Notifications>(
    store: &S,
    n: &Notification,
) -> Result<Option<SlackPost>, StoreError> {
    let records = store.notifications_of(&n.incident_id).await?;
    Ok(records
        .into_iter()
        .find(|record| record.notification.id == n.id)
        .and_then(|record| record.slack))
}

/// The webhook in secret `name`, if this deployment may read it and it holds one.
async fn webhook<S, R, T>(
    ctx: &SlackContext<'_, S, R, T>,
    name: &str,
) -> Result<WebhookUrl, Failure>
where
    R: SecretReader,
{
    if !is_under_prefix(name, ctx.prefix) {
        return Err(Failure::Broken(format!(
            "its secret is outside {}, the only prefix slack-notify may read",
            ctx.prefix
        )));
    }
    let source = SecretSource::AwsSecret {
        id: name.to_string(),
        key: None,
    };
    let value = ctx.secrets.read(&source).await.map_err(|err| {
        let why = format!("its secret cannot be read ({err})");
        if secret_failure_is_permanent(&err.0) {
            Failure::Broken(why)
        } else {
            Failure::Transient(why)
        }
    })?;
    WebhookUrl::from_secret(&value, ctx.allow_any_endpoint).map_err(|err| {
        ctx.secrets.invalidate(name);
        Failure::Broken(format!("its secret does not hold a webhook URL: {err}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_incident_names_the_team_the_answer_and_the_secret_for_the_platform_team() {
        let at: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let incident = webhook_incident(
            "crm-ops",
            "credwatch/slack/crm-ops",
            "Slack answered channel_not_found",
            at,
        );
        assert_eq!(incident.id.as_str(), "slack-webhook.crm-ops:monitor:0");
        assert_eq!(incident.team, crate::domain::incident::PLATFORM_TEAM);
        assert_eq!(incident.class, IncidentClass::SlackWebhookRefused);
        assert_eq!(incident.check, CheckKind::Monitor);
        assert!(incident.message.starts_with(
            "the Slack webhook of team crm-ops is broken: Slack answered channel_not_found; fix \
             the secret credwatch/slack/crm-ops."
        ));
    }

    #[test]
    fn a_broken_webhook_incident_never_shares_an_id_with_an_integrations() {
        use crate::inventory::is_valid_id;
        use crate::jobs::corrupt::corrupt_incident_id;
        for team in ["web", "crm-ops", "a"] {
            let id = webhook_incident_id(team);
            // No inventory id can be its integration part...
            assert!(!is_valid_id(id.integration()), "{id}");
            // ...so an integration named after it keeps its own incidents.
            assert_ne!(id, corrupt_incident_id(&format!("slack-webhook-{team}")));
        }
    }

    #[test]
    fn missing_and_refused_secrets_are_permanent_throttles_are_not() {
        for permanent in [
            "could not read Secrets Manager secret x: ResourceNotFoundException: not found",
            "could not read Secrets Manager secret x: AccessDeniedException: no",
            "Secrets Manager secret x holds binary data; store the client secret as a string",
            "the client secret in Secrets Manager secret x is empty",
        ] {
            assert!(secret_failure_is_permanent(permanent), "{permanent}");
        }
        for transient in [
            "could not read Secrets Manager secret x: ThrottlingException: slow down",
            "Secrets Manager did not answer for secret x within 10 s",
            "could not read Secrets Manager secret x: could not reach AWS (Connection refused)",
        ] {
            assert!(!secret_failure_is_permanent(transient), "{transient}");
        }
    }

    #[test]
    fn metrics_count_posts_by_outcome() {
        let summary = SlackSummary {
            records: vec![
                ("1".into(), RecordOutcome::Accepted),
                ("2".into(), RecordOutcome::Accepted),
                ("3".into(), RecordOutcome::Refused { error: "x".into() }),
                ("4".into(), RecordOutcome::Retrying { error: "x".into() }),
                (
                    "5".into(),
                    RecordOutcome::Skipped {
                        reason: "no webhook".into(),
                    },
                ),
                ("6".into(), RecordOutcome::Unreadable { error: "x".into() }),
            ],
            ..SlackSummary::default()
        };
        let sets = summary.metrics();
        let posts: Vec<(String, serde_json::Value)> = sets[..3]
            .iter()
            .map(|s| (s.dimensions[0].1.clone(), s.metrics[0].value.clone()))
            .collect();
        assert_eq!(
            posts,
            vec![
                ("accepted".to_string(), 2.into()),
                ("refused".to_string(), 1.into()),
                ("retrying".to_string(), 1.into()),
            ]
        );
        assert_eq!(sets[3].metrics[0].value, 1);
        assert_eq!(sets[3].metrics[1].value, 1);
        assert_eq!(summary.retry(), vec!["4"]);
    }
}
