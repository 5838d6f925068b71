//! The in-memory store's notifications and audit trail: the same semantics as the
//! [`Notifications`] role documents (conditional record, revision-checked updates, due
//! listing oldest due first), plus what tests need to make the store misbehave: queued write
//! failures and unreadable notification items.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::domain::incident::IncidentId;
use crate::notify::delivery::{AuditEntry, Delivery, DeliveryState, NotificationRecord};
use crate::notify::notification::NotificationId;
use crate::store::error::{StoreError, StoreResult};
use crate::store::roles::Notifications;
use crate::store::{DueNotifications, UnreadableItem};

/// Notifications by id, the audit trail, and the failures asked for.
#[derive(Debug, Default)]
pub(super) struct NotificationTable {
    records: BTreeMap<NotificationId, NotificationRecord>,
    /// Keyed by the entry's `source_id` and decision: the same entry written twice is one.
    audit: BTreeMap<(String, &'static str), AuditEntry>,
    /// Items listed as unreadable by `due_notifications` (see
    /// [`MemoryStore::insert_unreadable_notification`]).
    unreadable: Vec<UnreadableItem>,
    /// Errors the next `record_notification` calls return, in order.
    failures: VecDeque<StoreError>,
}

impl MemoryStore {
    /// Makes the next `record_notification` fail with `error` (calls queue up), as a throttled
    /// or unavailable table would.
    pub fn fail_next_record(&self, error: StoreError) {
        self.lock().notifications.failures.push_back(error);
    }

    /// Lists `item` among the unreadable notifications of every `due_notifications` call, as
    /// a corrupt DynamoDB item would be.
    pub fn insert_unreadable_notification(&self, item: UnreadableItem) {
        self.lock().notifications.unreadable.push(item);
    }

    /// Every audit entry kept, by source id.
    pub fn audit_entries(&self) -> Vec<AuditEntry> {
        self.lock().notifications.audit.values().cloned().collect()
    }

    /// Every notification on record, by id.
    pub fn notification_records(&self) -> Vec<NotificationRecord> {
        self.lock()
            .notifications
            .records
            .values()
            .cloned()
            .collect()
    }
}

impl Notifications for MemoryStore {
    async fn record_notification(&self, record: &NotificationRecord) -> StoreResult<bool> {
        let mut inner = self.lock();
        let table = &mut inner.notifications;
        if let Some(error) = table.failures.pop_front() {
            return Err(error);
        }
        if table.records.contains_key(record.id()) {
            return Ok(false);
        }
        table.records.insert(record.id().clone(), record.clone());
        Ok(true)
    }

    async fn update_delivery(
        &self,
        id: &NotificationId,
        expected_revision: u64,
        delivery: &Delivery,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        match inner.notifications.records.get_mut(id) {
            Some(record) if record.delivery.revision == expected_revision => {
                record.delivery = delivery.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn due_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<DueNotifications> {
        let inner = self.lock();
        let table = &inner.notifications;
        let mut due: Vec<&NotificationRecord> = table
            .records
            .values()
            .filter(|r| r.delivery.state == DeliveryState::Pending)
            .filter(|r| r.delivery.next_attempt_at.is_none_or(|at| at <= now))
            .collect();
        due.sort_by(|a, b| {
            (a.delivery.next_attempt_at, a.id()).cmp(&(b.delivery.next_attempt_at, b.id()))
        });
        Ok(DueNotifications {
            due: due.into_iter().take(limit).cloned().collect(),
            unreadable: table.unreadable.clone(),
        })
    }

    async fn notifications_of(
        &self,
        incident: &IncidentId,
    ) -> StoreResult<Vec<NotificationRecord>> {
        let inner = self.lock();
        let mut records: Vec<NotificationRecord> = inner
            .notifications
            .records
            .values()
            .filter(|r| r.incident_id() == incident)
            .cloned()
            .collect();
        records.sort_by(|a, b| (a.created_at, a.id()).cmp(&(b.created_at, b.id())));
        Ok(records)
    }

    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let key = (entry.source_id.clone(), entry.decision.as_str());
        self.lock()
            .notifications
            .audit
            .entry(key)
            .or_insert_with(|| entry.clone());
        Ok(())
    }
}
