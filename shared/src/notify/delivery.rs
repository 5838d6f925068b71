//! A notification on record: what was (or is to be) sent and where its delivery stands. The
//! store keeps one [`NotificationRecord`] per [`NotificationId`]; the fan-out records it before
//! publishing and marks it sent only with SNS's message id, so nothing is ever lost (see
//! `rules::delivery` for the decisions, `jobs::fanout` for the use case).
//!
//! Besides notifications, every other decision of the fan-out is kept as an [`AuditEntry`]
//! (a change that called for no message, a stream record that could not be read).

use chrono::{DateTime, Utc};

use super::error::PublishErrorKind;
use super::notification::{Event, Notification, NotificationId};
use crate::domain::incident::IncidentId;
use crate::domain::severity::Severity;

/// How long audit records and finished notifications are kept (DynamoDB TTL): about 400 days,
/// so a year-on-year question ("were we told last November?") still has its answer.
pub const AUDIT_RETENTION_DAYS: i64 = 400;

/// Where one notification's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Not published yet (or the last attempt failed): the sweep tries it at `next_attempt_at`.
    Pending,
    /// Published: SNS gave it a message id.
    Sent,
    /// Given up after the bounded number of attempts (about a day); counted and alarmed.
    Failed,
    /// Held back by a decision (deferred to business hours, suppressed by a silence or a
    /// maintenance window, or waiting for its group): the sweep decides again at
    /// `next_attempt_at` (see `rules::policy`). Never published while held.
    Held,
    /// Not sent because another notification told the same (a later reminder of the same
    /// incident released with it, a digest or credential notice naming it, or a silence that
    /// ended after its incident resolved): finished, its last decision says why.
    Superseded,
}

impl DeliveryState {
    /// Every state, in the order above.
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Pending,
        DeliveryState::Sent,
        DeliveryState::Failed,
        DeliveryState::Held,
        DeliveryState::Superseded,
    ];

    /// `pending`, `sent`, `failed`, `held` or `superseded`: the form stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::Held => "held",
            DeliveryState::Superseded => "superseded",
        }
    }

    /// The inverse of [`DeliveryState::as_str`].
    pub fn parse(text: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the sweep still has work with it (pending or held): it carries a next attempt
    /// time and sits in the due index. Sent, failed and superseded ones are finished.
    pub fn is_open(self) -> bool {
        matches!(self, DeliveryState::Pending | DeliveryState::Held)
    }
}

/// What the fan-out decided about one notification at one time: the `decision` of
/// `credwatch notifications preview` and of the timeline `incident show` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Sent now (or released after a hold).
    Send,
    /// Deferred to the start of the recipient team's next business hours.
    Defer,
    /// Suppressed by a silence or a maintenance window, kept until it ends.
    Suppress,
    /// Told as part of a group notification (a digest, or one notice per credential).
    Group,
    /// Not sent: another notification told the same (see the reason).
    Supersede,
}

impl DecisionKind {
    /// `send`, `defer`, `suppress`, `group` or `supersede`.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Send => "send",
            DecisionKind::Defer => "defer",
            DecisionKind::Suppress => "suppress",
            DecisionKind::Group => "group",
            DecisionKind::Supersede => "supersede",
        }
    }
}

/// One decision on record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    /// What was decided.
    pub kind: DecisionKind,
    /// When.
    pub at: DateTime<Utc>,
    /// Until when it holds (defer, suppress, group); `None` for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Why, in one line: `reminder 3`, `outside business hours of team crm`, `silence
    /// sil-... (deploy window) by ana`, `digest crm:auth:3/digest@...`.
    pub reason: String,
    /// Defer and suppress: what held it (business hours, a silence, a maintenance window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<super::annotations::HoldKind>,
    /// Group: the id of the group notification that tells it (a digest, or the notice of a
    /// shared credential).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<NotificationId>,
}

impl Decision {
    /// The longest `reason` kept, in characters.
    pub const MAX_REASON: usize = 300;
    /// The most decisions one notification keeps (the first and the latest ones): a
    /// notification held and released again and again stays a bounded item.
    pub const MAX_KEPT: usize = 32;

    /// A decision, its reason cut to [`Decision::MAX_REASON`] characters.
    pub fn new(
        kind: DecisionKind,
        at: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        reason: impl Into<String>,
    ) -> Decision {
        let reason: String = reason.into();
        Decision {
            kind,
            at,
            until,
            reason: reason.chars().take(Decision::MAX_REASON).collect(),
            hold: None,
            group: None,
        }
    }

    /// The same decision, naming the group notification that tells it.
    pub fn in_group(self, group: NotificationId) -> Decision {
        Decision {
            group: Some(group),
            ..self
        }
    }

    /// The same decision, saying what held the notification.
    pub fn held_by(self, hold: super::annotations::HoldKind) -> Decision {
        Decision {
            hold: Some(hold),
            ..self
        }
    }
}

/// Appends `decision` to `log`, keeping the first decision and the latest ones within
/// [`Decision::MAX_KEPT`].
pub fn push_decision(log: &mut Vec<Decision>, decision: Decision) {
    log.push(decision);
    if log.len() > Decision::MAX_KEPT {
        log.remove(1);
    }
}

/// The last failed attempt: its kind and one line saying what went wrong (from
/// [`super::error::PublishError`]'s display; never the message body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    /// Retryable, configuration or payload.
    pub kind: PublishErrorKind,
    /// What went wrong, at most [`DeliveryError::MAX_LEN`] characters.
    pub detail: String,
}

impl DeliveryError {
    /// The longest `detail` kept (characters).
    pub const MAX_LEN: usize = 500;
}

/// A notification's delivery: its state and the record of attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Pending, sent or failed.
    pub state: DeliveryState,
    /// Publish attempts made so far (started, whatever their result).
    pub attempts: u32,
    /// When the next attempt is due: for a pending notification, the backoff after a failure
    /// or the end of the claim of whoever is publishing it now. `None` once sent or failed.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// SNS's message id, once sent.
    pub message_id: Option<String>,
    /// When it was sent or given up.
    pub finished_at: Option<DateTime<Utc>>,
    /// The last failure, if any.
    pub last_error: Option<DeliveryError>,
    /// How many times SNS refused the message itself (payload errors): each halves the size
    /// the message is built to.
    pub shrink: u32,
    /// Optimistic concurrency: incremented by every write, compared by every update.
    pub revision: u64,
    /// The decisions taken about it, oldest first (at most [`Decision::MAX_KEPT`]).
    pub decisions: Vec<Decision>,
}

/// One notification on record.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    /// What is sent (its id is the record's id), as it was made: a retry a day later says what
    /// the first attempt would have said.
    pub notification: Notification,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// Its delivery.
    pub delivery: Delivery,
    /// What the team's Slack webhook answered, once `slack-notify` posted it (`None`: not
    /// posted, or the team has no webhook). Written apart from the delivery, by another function.
    pub slack: Option<SlackPost>,
}

/// Where the Slack post of one notification stands (`slack-notify` records it; `credwatch
/// drill` and `incident show` read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlackPostState {
    /// Slack answered `200 ok`: the message is in the channel.
    Accepted,
    /// Slack refused it for good (e.g. `channel_not_found`, a revoked webhook, a 404), or the
    /// team's webhook secret cannot be used: a platform incident says so.
    Refused,
    /// A failure worth retrying (a 5xx, 429, the network): Lambda invokes again.
    Retrying,
}

impl SlackPostState {
    /// `accepted`, `refused` or `retrying`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            SlackPostState::Accepted => "accepted",
            SlackPostState::Refused => "refused",
            SlackPostState::Retrying => "retrying",
        }
    }

    /// The inverse of [`SlackPostState::as_str`].
    pub fn parse(text: &str) -> Option<SlackPostState> {
        [
            SlackPostState::Accepted,
            SlackPostState::Refused,
            SlackPostState::Retrying,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// What Slack answered to the post of one notification (the last attempt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackPost {
    /// Accepted, refused or retrying.
    pub state: SlackPostState,
    /// When the answer came (or the attempt failed).
    pub at: DateTime<Utc>,
    /// Posts attempted so far (1 for the first).
    pub attempts: u32,
    /// The HTTP status Slack answered, if any answer came.
    pub status: Option<u16>,
    /// Slack's error token (`channel_not_found`, `invalid_token`, ...) or what went wrong in a
    /// few words; scrubbed of anything secret-like, at most [`SlackPost::MAX_ERROR`] characters.
    /// Never the webhook URL.
    pub error: Option<String>,
}

impl SlackPost {
    /// The longest `error` kept (characters).
    pub const MAX_ERROR: usize = 200;

    /// `self` with its error scrubbed and cut to [`SlackPost::MAX_ERROR`] characters: what is
    /// stored, whoever built it.
    pub fn bounded(mut self) -> SlackPost {
        self.error = self.error.map(|e| {
            crate::notify::scrub::scrub(&e)
                .chars()
                .take(SlackPost::MAX_ERROR)
                .collect()
        });
        self
    }
}

impl NotificationRecord {
    /// The notification's id.
    pub fn id(&self) -> &NotificationId {
        &self.notification.id
    }

    /// The incident it is about.
    pub fn incident_id(&self) -> &IncidentId {
        &self.notification.incident_id
    }

    /// Why it is sent.
    pub fn event(&self) -> Event {
        self.notification.event
    }

    /// The routing team.
    pub fn team(&self) -> &str {
        &self.notification.team
    }

    /// The severity it was sent with.
    pub fn severity(&self) -> Severity {
        self.notification.severity
    }

    /// Since when it has been waiting to be sent: its last release from a hold, else its
    /// recording. A notification deferred over a weekend is given up a day after Monday's
    /// release, not a day after Friday's recording.
    pub fn queued_since(&self) -> DateTime<Utc> {
        self.delivery
            .decisions
            .iter()
            .rev()
            .find(|d| d.kind == DecisionKind::Send)
            .map_or(self.created_at, |d| d.at.max(self.created_at))
    }

    /// The last decision taken, if any.
    pub fn last_decision(&self) -> Option<&Decision> {
        self.delivery.decisions.last()
    }
}

/// A decision of the fan-out that is not a notification, kept for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditDecision {
    /// An incident change that calls for no message (message text or timestamps only).
    Ignored,
    /// A stream record that could not be read: skipped, so it never blocks its shard.
    Corrupt,
}

impl AuditDecision {
    /// `ignored` or `corrupt`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditDecision::Ignored => "ignored",
            AuditDecision::Corrupt => "corrupt",
        }
    }

    /// The inverse of [`AuditDecision::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<AuditDecision> {
        [AuditDecision::Ignored, AuditDecision::Corrupt]
            .into_iter()
            .find(|d| d.as_str() == text)
    }
}

/// One audit entry. Written idempotently: the same stream record gives the same entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// What was decided.
    pub decision: AuditDecision,
    /// The incident concerned, when the record could be read that far.
    pub incident_id: Option<IncidentId>,
    /// What makes the entry unique: the stream record's `eventID` (DynamoDB Streams' own id of
    /// the change), so a replayed batch writes the same entry again.
    pub source_id: String,
    /// Why, in one line (for a corrupt record: the item key and field at fault; never the
    /// item's contents).
    pub reason: String,
    /// When it was decided.
    pub at: DateTime<Utc>,
}
