//! The in-memory store's notifications and audit trail: the same semantics as the
//! [`Notifications`](crate::store::Notifications) role documents (conditional record,
//! revision-checked updates, due listing oldest due first), plus what tests need to make the
//! store misbehave: queued write failures and unreadable notification items. The role itself
//! is implemented on the store (in the parent module) by these methods.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::domain::incident::IncidentId;
use crate::notify::delivery::{AuditEntry, Delivery, NotificationRecord, SlackPost};
use crate::notify::notification::NotificationId;
use crate::store::error::{StoreError, StoreResult};
use crate::store::{DueNotifications, UnreadableItem};

/// Notifications by id, the audit trail, and the failures asked for.
#[derive(Debug, Default)]
pub(super) struct NotificationTable {
    records: BTreeMap<NotificationId, NotificationRecord>,
    /// Keyed by the entry's `source_id` and decision: the same entry written twice is one.
    audit: BTreeMap<(String, &'static str), AuditEntry>,
    /// Items listed as unreadable by every due listing.
    pub(super) unreadable: Vec<UnreadableItem>,
    /// Errors the next records return, in order.
    pub(super) failures: VecDeque<StoreError>,
}

impl NotificationTable {
    /// Records `record` unless its id is on record (or a failure was asked for).
    pub(super) fn record(&mut self, record: &NotificationRecord) -> StoreResult<bool> {
        if let Some(error) = self.failures.pop_front() {
            return Err(error);
        }
        if self.records.contains_key(record.id()) {
            return Ok(false);
        }
        self.records.insert(record.id().clone(), record.clone());
        Ok(true)
    }

    /// Replaces the delivery of `id` if its revision is `expected_revision`.
    pub(super) fn update(
        &mut self,
        id: &NotificationId,
        expected_revision: u64,
        delivery: &Delivery,
    ) -> bool {
        match self.records.get_mut(id) {
            Some(record) if record.delivery.revision == expected_revision => {
                record.delivery = delivery.clone();
                true
            }
            _ => false,
        }
    }

    /// Sets the Slack answer of `id`; `false` when it is not on record.
    pub(super) fn record_slack_post(&mut self, id: &NotificationId, post: &SlackPost) -> bool {
        match self.records.get_mut(id) {
            Some(record) => {
                record.slack = Some(post.clone().bounded());
                true
            }
            None => false,
        }
    }

    /// Pending notifications due at `now`, oldest due first, at most `limit`.
    pub(super) fn due(&self, now: DateTime<Utc>, limit: usize) -> DueNotifications {
        let mut due: Vec<&NotificationRecord> = self
            .records
            .values()
            .filter(|r| r.delivery.state.is_open())
            .filter(|r| r.delivery.next_attempt_at.is_none_or(|at| at <= now))
            .collect();
        due.sort_by(|a, b| {
            (a.delivery.next_attempt_at, a.id()).cmp(&(b.delivery.next_attempt_at, b.id()))
        });
        DueNotifications {
            due: due.into_iter().take(limit).cloned().collect(),
            unreadable: self.unreadable.clone(),
        }
    }

    /// Every notification about `incident`, oldest first.
    pub(super) fn of(&self, incident: &IncidentId) -> Vec<NotificationRecord> {
        let mut records: Vec<NotificationRecord> = self
            .records
            .values()
            .filter(|r| r.incident_id() == incident)
            .cloned()
            .collect();
        records.sort_by(|a, b| (a.created_at, a.id()).cmp(&(b.created_at, b.id())));
        records
    }

    /// Keeps `entry` once.
    pub(super) fn audit(&mut self, entry: &AuditEntry) {
        let key = (entry.source_id.clone(), entry.decision.as_str());
        self.audit.entry(key).or_insert_with(|| entry.clone());
    }

    /// Every audit entry, by source id.
    pub(super) fn audit_entries(&self) -> Vec<AuditEntry> {
        self.audit.values().cloned().collect()
    }

    /// Every notification, by id.
    pub(super) fn records(&self) -> Vec<NotificationRecord> {
        self.records.values().cloned().collect()
    }
}
