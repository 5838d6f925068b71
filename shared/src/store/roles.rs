//! The store's role traits, one per concern. `Store` (in the parent module) requires them all; a
//! caller takes only those it uses (the expiry scan never appends history, `status` never writes).
//!
//! Every method fails with a [`StoreError`](super::error::StoreError) whose kind says what the
//! caller can do ([`StoreError::is_retryable`](super::error::StoreError::is_retryable),
//! [`StoreError::Conflict`](super::error::StoreError::Conflict),
//! [`StoreError::Corrupt`](super::error::StoreError::Corrupt)).

use std::future::Future;

use chrono::{DateTime, TimeDelta, Utc};

use super::error::StoreResult;
use super::{
    AckOutcome, CommitOutcome, DueNotifications, ExpireOutcome, HistoryEntry, Incident,
    IncidentListing, IntegrationListing, IntegrationRecord, NotificationListing, PassiveListing,
    RecordedCalls, SilenceListing, StateCommit,
};
use crate::domain::incident::{Acknowledgement, IncidentId};
use crate::domain::passive::{IngestToken, MinuteCounts, PassiveCommit, PassiveState, SfmcCall};
use crate::domain::silence::{Silence, SilenceId};
use crate::domain::state::CheckState;
use crate::inventory::{Integration, Team};
use crate::notify::delivery::{AuditEntry, Delivery, NotificationRecord, SlackPost};
use crate::notify::notification::NotificationId;
use crate::rules::grouping::{GroupKey, Slot};

/// The integrations themselves: listing and reading them (the probe's hot path) and what
/// `inventory apply` does to them.
pub trait Integrations: Send + Sync {
    /// Every integration with its state, active and retired, in id order, and apart from them
    /// the items that cannot be decoded: one bad item never hides the others. One Query (paged).
    fn list_integrations(&self) -> impl Future<Output = StoreResult<IntegrationListing>> + Send;

    /// One integration, `None` if there is none. An item that cannot be decoded is
    /// [`StoreError::Corrupt`](super::error::StoreError::Corrupt).
    fn get_integration(
        &self,
        id: &str,
    ) -> impl Future<Output = StoreResult<Option<IntegrationRecord>>> + Send;

    /// Creates the integration with a fresh state (due at `first_probe_at`), or updates its
    /// inventory fields only, keeping state, and un-retiring it.
    fn put_integration(
        &self,
        integration: &Integration,
        now: DateTime<Utc>,
        first_probe_at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Writes the integration afresh over whatever its item holds (repairing an unreadable
    /// one): inventory fields, `state` as version 0, added at `now`, not retired.
    fn replace_integration(
        &self,
        integration: &Integration,
        now: DateTime<Utc>,
        state: &CheckState,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Marks an integration removed from the inventory: kept, not probed. No such integration
    /// is [`StoreError::Conflict`](super::error::StoreError::Conflict).
    fn retire_integration(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Deletes an integration with its state, history and incidents (`--prune`).
    fn prune_integration(&self, id: &str) -> impl Future<Output = StoreResult<()>> + Send;
}

/// What probing and scanning write: state commits with their incident writes, probe history,
/// and seen rotations.
pub trait ProbeResults: Send + Sync {
    /// Applies a state update and its incident writes atomically, if the version still matches
    /// ([`CommitOutcome::Conflict`] otherwise: nothing written, re-read and decide again). A stored
    /// version that cannot be incremented is
    /// [`StoreError::Corrupt`](super::error::StoreError::Corrupt); a malformed or repeated incident
    /// id is [`StoreError::Permanent`](super::error::StoreError::Permanent).
    fn commit(
        &self,
        commit: &StateCommit,
    ) -> impl Future<Output = StoreResult<CommitOutcome>> + Send;

    /// Appends probe history, batched.
    fn append_history(
        &self,
        entries: &[HistoryEntry],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Records a verified rotation: the integration's secret changed in Secrets Manager at `at` to
    /// a value with `fingerprint`; makes the integration due now. Rotation times only move forward:
    /// `Ok(false)` (nothing written) when a rotation at or after `at` is already recorded. No such
    /// integration is [`StoreError::Conflict`](super::error::StoreError::Conflict).
    fn record_rotation(
        &self,
        integration: &str,
        at: DateTime<Utc>,
        fingerprint: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Reading probe history.
pub trait HistoryReader: Send + Sync {
    /// The last `limit` probes of one integration, most recent first.
    fn history(
        &self,
        integration: &str,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<HistoryEntry>>> + Send;
}

/// Incidents: listing them, and the writes no state commit carries (reports about unreadable
/// items, resolves and moves by `inventory apply`).
pub trait Incidents: Send + Sync {
    /// Every open incident (sparse index; no Scan), oldest first.
    fn open_incidents(&self) -> impl Future<Output = StoreResult<Vec<Incident>>> + Send;

    /// [`Incidents::open_incidents`] with the open incident items that cannot be decoded
    /// listed apart (an open incident whose `message` is a number must not vanish). The
    /// default is for stores that cannot hold such items (in memory).
    fn open_incident_listing(&self) -> impl Future<Output = StoreResult<IncidentListing>> + Send {
        async {
            Ok(IncidentListing {
                incidents: self.open_incidents().await?,
                unreadable: Vec::new(),
            })
        }
    }

    /// Incident `id`, open or resolved; `None` if there is none. An item that cannot be decoded
    /// is [`StoreError::Corrupt`](super::error::StoreError::Corrupt) where the store can hold
    /// one. The default reads [`Incidents::incidents_of`] its integration (stores that cannot
    /// hold unreadable items, in memory); DynamoDB reads the one item.
    fn get_incident(
        &self,
        id: &IncidentId,
    ) -> impl Future<Output = StoreResult<Option<Incident>>> + Send {
        async move {
            let incidents = self.incidents_of(id.integration()).await?;
            Ok(incidents.into_iter().find(|incident| incident.id == *id))
        }
    }

    /// Every incident of one integration, open or resolved, oldest first.
    fn incidents_of(
        &self,
        integration: &str,
    ) -> impl Future<Output = StoreResult<Vec<Incident>>> + Send;

    /// Opens an incident that no integration state tracks (an unreadable item), unless an open
    /// incident with its id exists; a resolved one of that id is replaced. True if opened. An id
    /// not of the form `integration:check:seq` is
    /// [`StoreError::Permanent`](super::error::StoreError::Permanent).
    fn open_incident(&self, incident: &Incident) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Resolves incident `id` if it is open. True if it was.
    fn resolve_incident(
        &self,
        id: &str,
        message: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Hands open incident `id` to `team` (the integration's owner changed). True if it was open.
    fn reassign_incident(
        &self,
        id: &str,
        team: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Records `ack` on incident `id` if it exists and is open (a conditional write), replacing
    /// an earlier ack (someone else takes it over). `updated_at` is not touched: it tells the
    /// incident's own state. [`AckOutcome::Done`] carries the incident after the write;
    /// [`AckOutcome::NotFound`] and [`AckOutcome::Resolved`] wrote nothing. An item that does
    /// not decode is [`StoreError::Corrupt`](super::error::StoreError::Corrupt).
    fn acknowledge(
        &self,
        id: &IncidentId,
        ack: &Acknowledgement,
    ) -> impl Future<Output = StoreResult<AckOutcome>> + Send;

    /// Removes the ack of incident `id` if it exists and is open (a conditional write); an open
    /// incident without one is [`AckOutcome::Done`] too (idempotent). Otherwise as
    /// [`Incidents::acknowledge`].
    fn unacknowledge(
        &self,
        id: &IncidentId,
    ) -> impl Future<Output = StoreResult<AckOutcome>> + Send;
}

/// Teams, as `inventory apply` keeps them.
pub trait Teams: Send + Sync {
    /// Every team that decodes, in id order.
    fn list_teams(&self) -> impl Future<Output = StoreResult<Vec<Team>>> + Send;

    /// Creates or overwrites a team.
    fn put_team(&self, team: &Team) -> impl Future<Output = StoreResult<()>> + Send;

    /// Deletes a team (absent is fine).
    fn delete_team(&self, id: &str) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Notifications on record and the fan-out's audit trail (see [`crate::notify::delivery`]).
pub trait Notifications: Send + Sync {
    /// Records a new notification (pending, as `record.delivery` says), unless one with its id
    /// exists: `Ok(false)`, nothing written (a replayed stream batch). Conditional write.
    fn record_notification(
        &self,
        record: &NotificationRecord,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Replaces notification `id`'s delivery with `delivery` if its stored revision is still
    /// `expected_revision` (`delivery.revision` is the next one): `Ok(false)` when another
    /// writer moved it first (nothing written). A finished delivery (sent or failed) is kept
    /// [`AUDIT_RETENTION_DAYS`](crate::notify::delivery::AUDIT_RETENTION_DAYS) after `finished_at`
    /// (TTL) and leaves the pending index.
    fn update_delivery(
        &self,
        id: &NotificationId,
        expected_revision: u64,
        delivery: &Delivery,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Pending notifications whose `next_attempt_at` is at or before `now`, oldest due first,
    /// at most `limit` (sparse index; no Scan); unreadable ones listed apart.
    fn due_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<DueNotifications>> + Send;

    /// Every notification about one incident, oldest first (unreadable ones logged and skipped).
    fn notifications_of(
        &self,
        incident: &IncidentId,
    ) -> impl Future<Output = StoreResult<Vec<NotificationRecord>>> + Send;

    /// [`Notifications::notifications_of`] with the notification items of that incident that
    /// cannot be decoded listed apart (for `credwatch incident show`, which names them). The
    /// default is for stores that cannot hold such items (in memory).
    fn notification_listing(
        &self,
        incident: &IncidentId,
    ) -> impl Future<Output = StoreResult<NotificationListing>> + Send {
        async move {
            Ok(NotificationListing {
                records: self.notifications_of(incident).await?,
                unreadable: Vec::new(),
            })
        }
    }

    /// Keeps an audit entry (TTL as above). Idempotent: the same entry written twice is one.
    fn record_audit(&self, entry: &AuditEntry) -> impl Future<Output = StoreResult<()>> + Send;

    /// Records what Slack answered to notification `id` (`slack-notify`), replacing the
    /// previous answer, its error scrubbed and bounded ([`SlackPost::bounded`]): `Ok(false)`
    /// when no notification `id` is on record (nothing written). The delivery (and its
    /// revision) is left alone: the fan-out's updates and this one never collide.
    fn record_slack_post(
        &self,
        id: &NotificationId,
        post: &SlackPost,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// The windows of the alert fan-out's groups (see [`crate::rules::grouping`]): one small item
/// per group, joined with a conditional write so concurrent invocations agree on who opened a
/// window and in which place each joiner came.
pub trait Groups: Send + Sync {
    /// Joins the window of `key` at `now` as `incident`: opens a new window of `wait` (the
    /// joiner is its leader, place 1) when none is open at `now`, else takes the next place
    /// in the open one.
    fn join_group(
        &self,
        key: &GroupKey,
        incident: &IncidentId,
        now: DateTime<Utc>,
        wait: TimeDelta,
    ) -> impl Future<Output = StoreResult<Slot>> + Send;
}

/// Silences (`credwatch silence add|list|expire`; the fan-out reads them).
pub trait Silences: Send + Sync {
    /// Stores a new silence. Conditional on its id being new: an existing id is
    /// [`StoreError::Conflict`](super::error::StoreError::Conflict), nothing written (draw a
    /// new id). Kept until [`SILENCE_RETENTION_DAYS`](super::invariants::SILENCE_RETENTION_DAYS)
    /// after its effective end.
    fn put_silence(&self, silence: &Silence) -> impl Future<Output = StoreResult<()>> + Send;

    /// Every stored silence (pending, active and ended), by start then id, with the items that
    /// cannot be decoded apart. More than
    /// [`MAX_SILENCES`](super::invariants::MAX_SILENCES) is
    /// [`StoreError::Permanent`](super::error::StoreError::Permanent) naming that bound.
    fn silences(&self) -> impl Future<Output = StoreResult<SilenceListing>> + Send;

    /// Ends silence `id` at `at` (by `by`, when given), if it has not ended by then: a
    /// conditional update, so two operators expiring it at once record one end. Not found and
    /// already ended are outcomes, not errors; a stored item that cannot be decoded is
    /// [`StoreError::Corrupt`](super::error::StoreError::Corrupt).
    fn expire_silence(
        &self,
        id: &SilenceId,
        at: DateTime<Utc>,
        by: Option<&str>,
    ) -> impl Future<Output = StoreResult<ExpireOutcome>> + Send;
}

/// Passive tracking's records (the `ingest` function): per-minute counters of reported calls,
/// the failures kept raw for a few days, each integration's passive state with the `passive`
/// incidents it opens and resolves, and asking the probe to look now. Nothing here is a Scan.
pub trait PassiveRecords: Send + Sync {
    /// Adds each call's `count` to its integration's counter of its `observed_at` minute (one
    /// UpdateItem per integration and minute, whatever the number of calls; kept
    /// [`PASSIVE_COUNTER_RETENTION_DAYS`](super::invariants::PASSIVE_COUNTER_RETENTION_DAYS)),
    /// and keeps every failed call raw (batched; kept
    /// [`PASSIVE_EVENT_RETENTION_DAYS`](super::invariants::PASSIVE_EVENT_RETENTION_DAYS), keyed by
    /// `observed_at` and `event_id`, so a reporter's retry of the same event is one item).
    /// Successes are only counted. Counters are not idempotent: a retried batch counts twice.
    fn record_calls(
        &self,
        calls: &[SfmcCall],
    ) -> impl Future<Output = StoreResult<RecordedCalls>> + Send;

    /// The counters of `integration`'s minutes in `[from, to)`, oldest first (one Query, paged).
    /// A minute item that cannot be decoded is skipped and logged.
    fn minutes(
        &self,
        integration: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<MinuteCounts>>> + Send;

    /// The failed calls of `integration` kept raw, observed in `[from, to)`, most recent first,
    /// at most `limit` (one Query). Unreadable ones are skipped and logged.
    fn failed_calls(
        &self,
        integration: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<SfmcCall>>> + Send;

    /// `integration`'s passive state; `None` when it never reported. An item that cannot be
    /// decoded is [`StoreError::Corrupt`](super::error::StoreError::Corrupt).
    fn passive_state(
        &self,
        integration: &str,
    ) -> impl Future<Output = StoreResult<Option<PassiveState>>> + Send;

    /// Every integration's passive state, by integration id, with the unreadable ones apart
    /// (one Query, paged): the sweep's list.
    fn passive_states(&self) -> impl Future<Output = StoreResult<PassiveListing>> + Send;

    /// Writes `commit.state` (version `expected_version + 1`) and its incident changes, all or
    /// nothing, if the stored version is still `expected_version` (0: no state yet):
    /// [`CommitOutcome::Conflict`] otherwise (nothing written: re-read and decide again). An
    /// incident id that is not `{integration}:passive:{seq}` of `commit.integration` is
    /// [`StoreError::Permanent`](super::error::StoreError::Permanent).
    fn commit_passive(
        &self,
        commit: &PassiveCommit,
    ) -> impl Future<Output = StoreResult<CommitOutcome>> + Send;

    /// Makes `integration` due for a probe at `at` (the probe's next tick probes it): a
    /// reported credential failure is checked by credwatch's own probe at once. `Ok(false)`
    /// when there is no such integration (nothing written). Not versioned, like a rotation.
    fn probe_soon(
        &self,
        integration: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Ingest tokens (`credwatch ingest token create|revoke`; the ingest function checks them) and
/// the per-integration flood limit of the ingest endpoint.
pub trait IngestTokens: Send + Sync {
    /// Stores a new token's hash. Conditional on the hash being new: an existing one is
    /// [`StoreError::Conflict`](super::error::StoreError::Conflict), nothing written.
    fn put_ingest_token(&self, token: &IngestToken)
    -> impl Future<Output = StoreResult<()>> + Send;

    /// The token whose hash is `hash` (strongly consistent read); `None` if none (never issued,
    /// or revoked).
    fn ingest_token(
        &self,
        hash: &str,
    ) -> impl Future<Output = StoreResult<Option<IngestToken>>> + Send;

    /// Every token of `integration`, oldest first.
    fn ingest_tokens_of(
        &self,
        integration: &str,
    ) -> impl Future<Output = StoreResult<Vec<IngestToken>>> + Send;

    /// Deletes every token of `integration`; how many there were.
    fn revoke_ingest_tokens(
        &self,
        integration: &str,
    ) -> impl Future<Output = StoreResult<usize>> + Send;

    /// Takes `events` from `integration`'s allowance of `limit` events in the minute starting
    /// at `minute` (one conditional UpdateItem, kept an hour): `Ok(false)` when they do not fit
    /// (nothing taken; the endpoint answers 429 until the next minute).
    fn take_ingest_quota(
        &self,
        integration: &str,
        minute: DateTime<Utc>,
        events: u32,
        limit: u32,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
