//! The store in memory, for `credwatch demo` and unit tests: the same semantics as the
//! DynamoDB store (version conditions, incidents opened exactly once, all-or-nothing commits,
//! history keyed by millisecond probe time), without persistence.
//!
//! It also keeps what a DynamoDB stream of the table would carry for incidents: every incident
//! write as its old and new image, in write order ([`MemoryStore::take_incident_changes`]), so
//! the demo runs the same fan-out as the deployed function. Notifications and the audit trail
//! are in `memory/notifications.rs`, silences in `memory/silences.rs`.

mod groups;
mod notifications;
mod passive;
mod passive_table;
mod silences;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use super::error::{StoreError, StoreResult};
use super::invariants;
use super::roles::{
    Groups, HistoryReader, Incidents, Integrations, Notifications, ProbeResults, Silences, Teams,
};
use super::{
    AckOutcome, CommitOutcome, DueNotifications, ExpireOutcome, HistoryEntry, Incident,
    IncidentChange, IntegrationListing, IntegrationRecord, SilenceListing, StateCommit,
    UnreadableIntegration, UnreadableItem,
};
use crate::domain::incident::{Acknowledgement, IncidentId};
use crate::domain::silence::{Silence, SilenceId};
use crate::domain::state::CheckState;
use crate::inventory::{Integration, Team};
use crate::notify::delivery::{AuditEntry, Delivery, NotificationRecord};
use crate::notify::notification::NotificationId;

/// The store in memory (see the module doc). Cheap to create; every method locks one mutex.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    integrations: BTreeMap<String, IntegrationRecord>,
    teams: BTreeMap<String, Team>,
    /// Integration id -> probe time ([`invariants::stored_time`], as any store keys it) -> entry.
    history: BTreeMap<String, BTreeMap<DateTime<Utc>, HistoryEntry>>,
    /// Keyed by incident id (one text per incident: `IncidentId` admits no other spelling).
    incidents: BTreeMap<IncidentId, Incident>,
    /// Items that stand for undecodable DynamoDB items (see [`MemoryStore::insert_unreadable`]).
    unreadable: BTreeMap<String, UnreadableIntegration>,
    /// Incident writes not yet taken, (old image, new image) in write order.
    incident_changes: Vec<IncidentImages>,
    /// Notifications and the audit trail.
    notifications: notifications::NotificationTable,
    /// Group windows by key.
    groups: groups::GroupTable,
    /// Silences.
    silences: silences::SilenceTable,
    /// Passive tracking's counters, failed calls, states, tokens and allowances.
    passive: passive_table::PassiveTable,
}

/// One incident write as a stream record carries it: the image before (`None`: created) and
/// after (`None`: deleted).
pub type IncidentImages = (Option<Incident>, Option<Incident>);

impl Inner {
    /// Writes `incident` (or deletes `key` when `None`) and feeds the change.
    fn write_incident(&mut self, key: IncidentId, incident: Option<Incident>) {
        let old = match &incident {
            Some(new) => self.incidents.insert(key, new.clone()),
            None => self.incidents.remove(&key),
        };
        if old.is_some() || incident.is_some() {
            self.incident_changes.push((old, incident));
        }
    }

    /// Applies one incident change of a commit whose conditions held: `Opened` writes the
    /// incident, `Changed` / `Resolved` update it in place.
    fn apply_incident_change(&mut self, write: &IncidentChange, key: IncidentId) {
        match write {
            IncidentChange::Opened(incident) => {
                self.write_incident(key, Some(incident.clone()));
            }
            IncidentChange::Changed {
                previous,
                class,
                message,
                http_status,
                severity,
                threshold_days,
                at,
                ..
            } => self.update_incident(&key, |incident| {
                // Like DynamoDB: a new class restarts the schedule; the ack stays written.
                if *class != previous.class {
                    incident.class_since = Some(*at);
                }
                incident.class = *class;
                incident.message = message.clone();
                incident.http_status = *http_status;
                incident.severity = *severity;
                incident.threshold_days = *threshold_days;
                incident.updated_at = *at;
            }),
            IncidentChange::Resolved { message, at, .. } => {
                self.update_incident(&key, |incident| {
                    incident.open = false;
                    incident.message = message.clone();
                    incident.resolved_at = Some(*at);
                    incident.updated_at = *at;
                });
            }
        }
    }

    /// Changes incident `key` in place with `change` (nothing if there is none), feeding the
    /// change.
    fn update_incident(&mut self, key: &IncidentId, change: impl FnOnce(&mut Incident)) {
        if let Some(old) = self.incidents.get(key).cloned() {
            let mut new = old.clone();
            change(&mut new);
            self.write_incident(key.clone(), Some(new));
        }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Makes integration `id` unreadable, as a corrupt DynamoDB item would be: listed apart,
    /// refused by `get_integration`, mended only by `replace_integration` or `prune_integration`.
    pub fn insert_unreadable(&self, unreadable: UnreadableIntegration) {
        let mut inner = self.lock();
        inner.integrations.remove(&unreadable.id);
        inner.unreadable.insert(unreadable.id.clone(), unreadable);
    }

    /// Every incident write since the last call, as (old image, new image) in write order: what
    /// the table's DynamoDB stream (new and old images) would deliver to the fan-out. Taken: the
    /// next call returns only later writes.
    pub fn take_incident_changes(&self) -> Vec<IncidentImages> {
        std::mem::take(&mut self.lock().incident_changes)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No method panics while holding the lock, and the maps stay consistent if one did.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn missing(id: &str, what: &str) -> StoreError {
    StoreError::conflict(format!("memory store: {what}: no integration {id}"))
}

fn sort_incidents(incidents: &mut [Incident]) {
    incidents.sort_by(|a, b| (a.opened_at, &a.id).cmp(&(b.opened_at, &b.id)));
}

impl Integrations for MemoryStore {
    async fn list_integrations(&self) -> StoreResult<IntegrationListing> {
        let inner = self.lock();
        Ok(IntegrationListing {
            records: inner.integrations.values().cloned().collect(),
            unreadable: inner.unreadable.values().cloned().collect(),
        })
    }

    async fn get_integration(&self, id: &str) -> StoreResult<Option<IntegrationRecord>> {
        let inner = self.lock();
        if let Some(bad) = inner.unreadable.get(id) {
            let item = UnreadableItem {
                key: format!("integration {id}"),
                integration: Some(id.to_string()),
                field: bad.field.clone(),
                problem: bad.problem.clone(),
            };
            return Err(StoreError::corrupt("memory store", item));
        }
        Ok(inner.integrations.get(id).cloned())
    }

    async fn put_integration(
        &self,
        integration: &Integration,
        now: DateTime<Utc>,
        first_probe_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut inner = self.lock();
        if inner.unreadable.contains_key(&integration.id) {
            // Like DynamoDB: updating the inventory attributes leaves a corrupt state corrupt.
            return Ok(());
        }
        match inner.integrations.get_mut(&integration.id) {
            Some(record) => {
                record.integration = integration.clone();
                record.retired = false;
            }
            None => {
                let record = IntegrationRecord {
                    integration: integration.clone(),
                    state: CheckState {
                        next_probe_at: Some(first_probe_at),
                        ..CheckState::default()
                    },
                    retired: false,
                    added_at: now,
                    secret_rotated_seen_at: None,
                };
                inner.integrations.insert(integration.id.clone(), record);
            }
        }
        Ok(())
    }

    async fn replace_integration(
        &self,
        integration: &Integration,
        now: DateTime<Utc>,
        state: &CheckState,
    ) -> StoreResult<()> {
        let mut inner = self.lock();
        inner.unreadable.remove(&integration.id);
        let record = IntegrationRecord {
            integration: integration.clone(),
            state: CheckState {
                version: 0,
                ..state.clone()
            },
            retired: false,
            added_at: now,
            secret_rotated_seen_at: None,
        };
        inner.integrations.insert(integration.id.clone(), record);
        Ok(())
    }

    async fn retire_integration(&self, id: &str, _now: DateTime<Utc>) -> StoreResult<()> {
        let mut inner = self.lock();
        let record = inner
            .integrations
            .get_mut(id)
            .ok_or_else(|| missing(id, "retire"))?;
        record.retired = true;
        Ok(())
    }

    async fn prune_integration(&self, id: &str) -> StoreResult<()> {
        let mut inner = self.lock();
        let pruned: Vec<IncidentId> = inner
            .incidents
            .keys()
            .filter(|key| key.integration() == id)
            .cloned()
            .collect();
        for key in pruned {
            inner.write_incident(key, None);
        }
        inner.history.remove(id);
        inner.integrations.remove(id);
        inner.unreadable.remove(id);
        Ok(())
    }
}

impl ProbeResults for MemoryStore {
    async fn commit(&self, commit: &StateCommit) -> StoreResult<CommitOutcome> {
        let keys = invariants::commit_incident_ids(commit)?;
        let mut inner = self.lock();
        let inner = &mut *inner;

        // Every condition first, then every write: all or nothing, like a transaction.
        let Some(record) = inner.integrations.get_mut(&commit.integration) else {
            return Ok(CommitOutcome::Conflict);
        };
        if record.state.version != commit.expected_version {
            return Ok(CommitOutcome::Conflict);
        }
        let incidents_allowed = commit.incidents.iter().zip(&keys).all(|(write, key)| {
            let existing = inner.incidents.get(key);
            match write {
                IncidentChange::Opened(_) => existing.is_none(),
                IncidentChange::Changed { .. } | IncidentChange::Resolved { .. } => {
                    existing.is_some_and(|i| i.open)
                }
            }
        });
        if !incidents_allowed {
            return Ok(CommitOutcome::Conflict);
        }

        let Some(version) = invariants::next_version(commit.expected_version) else {
            let item = UnreadableItem {
                key: format!("integration {}", commit.integration),
                integration: Some(commit.integration.clone()),
                field: "version".into(),
                problem: format!(
                    "is outside 0..={}; `credwatch inventory apply` rewrites the item",
                    invariants::MAX_VERSION
                ),
            };
            return Err(StoreError::corrupt("memory store", item));
        };
        record.state = CheckState {
            version,
            ..commit.state.clone()
        };
        for (write, key) in commit.incidents.iter().zip(keys) {
            inner.apply_incident_change(write, key);
        }
        Ok(CommitOutcome::Applied)
    }

    async fn append_history(&self, entries: &[HistoryEntry]) -> StoreResult<()> {
        let mut inner = self.lock();
        for entry in entries {
            inner
                .history
                .entry(entry.integration.clone())
                .or_default()
                .insert(invariants::stored_time(entry.probed_at), entry.clone());
        }
        Ok(())
    }

    async fn record_rotation(
        &self,
        integration: &str,
        at: DateTime<Utc>,
        fingerprint: &str,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        let record = inner
            .integrations
            .get_mut(integration)
            .ok_or_else(|| missing(integration, "record secret rotation"))?;
        if record.secret_rotated_seen_at.is_some_and(|seen| seen >= at) {
            return Ok(false);
        }
        // Like DynamoDB: no version bump, so a probe's commit in flight still applies.
        record.secret_rotated_seen_at = Some(at);
        record.state.next_probe_at = Some(at);
        record.state.secret_fingerprint = Some(fingerprint.to_string());
        Ok(true)
    }
}

impl HistoryReader for MemoryStore {
    async fn history(&self, integration: &str, limit: usize) -> StoreResult<Vec<HistoryEntry>> {
        let inner = self.lock();
        let entries = inner.history.get(integration);
        Ok(entries
            .into_iter()
            .flat_map(|e| e.values().rev())
            .take(limit)
            .cloned()
            .collect())
    }
}

impl Incidents for MemoryStore {
    async fn open_incidents(&self) -> StoreResult<Vec<Incident>> {
        let mut open: Vec<Incident> = self
            .lock()
            .incidents
            .values()
            .filter(|i| i.open)
            .cloned()
            .collect();
        sort_incidents(&mut open);
        Ok(open)
    }

    async fn incidents_of(&self, integration: &str) -> StoreResult<Vec<Incident>> {
        let mut incidents: Vec<Incident> = self
            .lock()
            .incidents
            .iter()
            .filter(|(key, _)| key.integration() == integration)
            .map(|(_, i)| i.clone())
            .collect();
        sort_incidents(&mut incidents);
        Ok(incidents)
    }

    async fn open_incident(&self, incident: &Incident) -> StoreResult<bool> {
        let key = incident.id.clone();
        let mut inner = self.lock();
        if inner.incidents.get(&key).is_some_and(|i| i.open) {
            return Ok(false);
        }
        inner.write_incident(key, Some(incident.clone()));
        Ok(true)
    }

    async fn resolve_incident(
        &self,
        id: &str,
        message: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Ok(key) = id.parse::<IncidentId>() else {
            return Ok(false);
        };
        let mut inner = self.lock();
        if !inner.incidents.get(&key).is_some_and(|i| i.open) {
            return Ok(false);
        }
        inner.update_incident(&key, |incident| {
            incident.open = false;
            incident.message = message.to_string();
            incident.resolved_at = Some(at);
            incident.updated_at = at;
        });
        Ok(true)
    }

    async fn reassign_incident(
        &self,
        id: &str,
        team: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Ok(key) = id.parse::<IncidentId>() else {
            return Ok(false);
        };
        let mut inner = self.lock();
        if !inner.incidents.get(&key).is_some_and(|i| i.open) {
            return Ok(false);
        }
        inner.update_incident(&key, |incident| {
            incident.team = team.to_string();
            incident.updated_at = at;
        });
        Ok(true)
    }

    async fn acknowledge(&self, id: &IncidentId, ack: &Acknowledgement) -> StoreResult<AckOutcome> {
        let mut inner = self.lock();
        if let AckOutcome::Done(_) = ack_outcome(inner.incidents.get(id)) {
            inner.update_incident(id, |incident| incident.ack = Some(ack.clone()));
        }
        Ok(ack_outcome(inner.incidents.get(id)))
    }

    async fn unacknowledge(&self, id: &IncidentId) -> StoreResult<AckOutcome> {
        let mut inner = self.lock();
        // Like DynamoDB: a write that changes nothing leaves no stream record.
        if let AckOutcome::Done(Incident { ack: Some(_), .. }) =
            ack_outcome(inner.incidents.get(id))
        {
            inner.update_incident(id, |incident| incident.ack = None);
        }
        Ok(ack_outcome(inner.incidents.get(id)))
    }
}

/// What an ack write finds: the incident if open, else why nothing is written.
fn ack_outcome(incident: Option<&Incident>) -> AckOutcome {
    match incident {
        None => AckOutcome::NotFound,
        Some(incident) if incident.open => AckOutcome::Done(incident.clone()),
        Some(incident) => AckOutcome::Resolved(incident.clone()),
    }
}

impl Teams for MemoryStore {
    async fn list_teams(&self) -> StoreResult<Vec<Team>> {
        Ok(self.lock().teams.values().cloned().collect())
    }

    async fn put_team(&self, team: &Team) -> StoreResult<()> {
        self.lock().teams.insert(team.id.clone(), team.clone());
        Ok(())
    }

    async fn delete_team(&self, id: &str) -> StoreResult<()> {
        self.lock().teams.remove(id);
        Ok(())
    }
}

impl Silences for MemoryStore {
    async fn put_silence(&self, silence: &Silence) -> StoreResult<()> {
        self.lock().silences.put(silence)
    }

    async fn silences(&self) -> StoreResult<SilenceListing> {
        self.lock().silences.list()
    }

    async fn expire_silence(
        &self,
        id: &SilenceId,
        at: DateTime<Utc>,
        by: Option<&str>,
    ) -> StoreResult<ExpireOutcome> {
        Ok(self.lock().silences.expire(id, at, by))
    }
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
        self.lock().notifications.audit_entries()
    }

    /// Every notification on record, by id.
    pub fn notification_records(&self) -> Vec<NotificationRecord> {
        self.lock().notifications.records()
    }
}

impl Notifications for MemoryStore {
    async fn record_notification(&self, record: &NotificationRecord) -> StoreResult<bool> {
        self.lock().notifications.record(record)
    }

    async fn update_delivery(
        &self,
        id: &NotificationId,
        expected_revision: u64,
        delivery: &Delivery,
    ) -> StoreResult<bool> {
        Ok(self
            .lock()
            .notifications
            .update(id, expected_revision, delivery))
    }

    async fn due_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<DueNotifications> {
        Ok(self.lock().notifications.due(now, limit))
    }

    async fn notifications_of(
        &self,
        incident: &IncidentId,
    ) -> StoreResult<Vec<NotificationRecord>> {
        Ok(self.lock().notifications.of(incident))
    }

    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        self.lock().notifications.audit(entry);
        Ok(())
    }

    async fn record_slack_post(
        &self,
        id: &NotificationId,
        post: &crate::notify::delivery::SlackPost,
    ) -> StoreResult<bool> {
        Ok(self.lock().notifications.record_slack_post(id, post))
    }
}

impl Groups for MemoryStore {
    async fn join_group(
        &self,
        key: &crate::rules::grouping::GroupKey,
        incident: &IncidentId,
        now: DateTime<Utc>,
        wait: chrono::TimeDelta,
    ) -> StoreResult<crate::rules::grouping::Slot> {
        Ok(self.lock().groups.join(key, incident, now, wait))
    }
}
