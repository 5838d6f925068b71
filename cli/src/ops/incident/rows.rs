//! The rows of `credwatch incident show`'s report: one per notification, with its delivery and
//! what Slack answered.

use chrono::{DateTime, Utc};
use credwatch::notify::delivery::{Decision, NotificationRecord};
use serde::Serialize;

/// One notification of an [`IncidentReport`].
#[derive(Serialize)]
pub struct NotificationRow {
    /// Its deterministic id (`{incident}/{event}...`).
    pub id: String,
    /// Why it was sent: `opened`, `changed`, `resolved`, ...
    pub event: &'static str,
    /// `pending`, `sent` or `failed`.
    pub state: &'static str,
    /// The routing team and severity it was made with.
    pub team: String,
    /// Its severity.
    pub severity: &'static str,
    /// Publish attempts so far.
    pub attempts: u32,
    /// SNS's message id, once sent.
    pub message_id: Option<String>,
    /// The last failed attempt, if any.
    pub last_error: Option<ErrorRow>,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was sent or given up.
    pub finished_at: Option<DateTime<Utc>>,
    /// Every decision taken about it, oldest first: `kind` (send, defer, suppress, group,
    /// supersede), `at`, `until` (holds), `reason`.
    pub decisions: Vec<Decision>,
    /// What the team's Slack webhook answered (`slack-notify`): `state` (accepted, refused,
    /// retrying), `at`, `attempts`, `status` (HTTP), `error` (Slack's token); `null` when not
    /// posted.
    pub slack: Option<SlackRow>,
}

/// What Slack answered to a notification's post.
#[derive(Serialize)]
pub struct SlackRow {
    /// `accepted`, `refused` or `retrying`.
    pub state: &'static str,
    /// When Slack answered.
    pub at: DateTime<Utc>,
    /// Posts attempted so far.
    pub attempts: u32,
    /// The HTTP status Slack answered, if any.
    pub status: Option<u16>,
    /// Slack's error token or what failed.
    pub error: Option<String>,
}

/// The last failure of a notification's delivery.
#[derive(Serialize)]
pub struct ErrorRow {
    /// `retryable`, `configuration` or `payload`.
    pub kind: &'static str,
    /// What went wrong, in one line.
    pub detail: String,
}

impl NotificationRow {
    pub(super) fn of(record: &NotificationRecord) -> NotificationRow {
        let delivery = &record.delivery;
        NotificationRow {
            id: record.id().to_string(),
            event: record.event().as_str(),
            state: delivery.state.as_str(),
            team: record.team().to_string(),
            severity: record.severity().as_str(),
            attempts: delivery.attempts,
            message_id: delivery.message_id.clone(),
            last_error: delivery.last_error.as_ref().map(|e| ErrorRow {
                kind: e.kind.as_str(),
                detail: e.detail.clone(),
            }),
            next_attempt_at: delivery.next_attempt_at,
            created_at: record.created_at,
            finished_at: delivery.finished_at,
            decisions: delivery.decisions.clone(),
            slack: record.slack.as_ref().map(|post| SlackRow {
                state: post.state.as_str(),
                at: post.at,
                attempts: post.attempts,
                status: post.status,
                error: post.error.clone(),
            }),
        }
    }
}
