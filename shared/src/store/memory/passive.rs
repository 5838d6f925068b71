//! The in-memory store's passive tracking: the same semantics as the DynamoDB adapter
//! (counters folded and bounded alike through [`invariants`], failed calls keyed by
//! integration, `observed_at` to the millisecond and event id, versioned states, incidents
//! opened again over a resolved one only, tokens by hash, a per-minute allowance).

use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::domain::passive::{IngestToken, MinuteCounts, PassiveCommit, PassiveState, SfmcCall};
use crate::store::error::{StoreError, StoreResult};
use crate::store::invariants::{self, stored_time};
use crate::store::roles::{IngestTokens, PassiveRecords};
use crate::store::{CommitOutcome, IncidentChange, PassiveListing, RecordedCalls, UnreadableItem};

impl PassiveRecords for MemoryStore {
    async fn record_calls(&self, calls: &[SfmcCall]) -> StoreResult<RecordedCalls> {
        let mut inner = self.lock();
        let table = &mut inner.passive;
        let mut recorded = RecordedCalls::default();
        for (minute, counts) in invariants::minute_counters(calls) {
            table.minutes.entry(minute).or_default().add(&counts);
            recorded.counter_writes += 1;
        }
        let failures = invariants::failures_to_keep(calls);
        recorded.failures_kept = failures.len();
        for call in failures {
            let key = (
                call.integration_id.clone(),
                stored_time(call.observed_at),
                call.event_id.clone(),
            );
            table.failed.insert(key, call.clone());
        }
        Ok(recorded)
    }

    async fn minutes(
        &self,
        integration: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<MinuteCounts>> {
        let (from, to) = (stored_time(from), stored_time(to));
        let inner = self.lock();
        Ok(inner
            .passive
            .minutes
            .iter()
            .filter(|((id, minute), _)| id == integration && from <= *minute && *minute < to)
            .map(|((id, minute), item)| MinuteCounts {
                integration: id.clone(),
                minute: *minute,
                counts: item.counts.clone(),
            })
            .collect())
    }

    async fn failed_calls(
        &self,
        integration: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<SfmcCall>> {
        let (from, to) = (stored_time(from), stored_time(to));
        let inner = self.lock();
        Ok(inner
            .passive
            .failed
            .iter()
            .rev()
            .filter(|((id, at, _), _)| id == integration && from <= *at && *at < to)
            .take(limit)
            .map(|(_, call)| call.clone())
            .collect())
    }

    async fn passive_state(&self, integration: &str) -> StoreResult<Option<PassiveState>> {
        Ok(self.lock().passive.states.get(integration).cloned())
    }

    async fn passive_states(&self) -> StoreResult<PassiveListing> {
        let inner = self.lock();
        Ok(PassiveListing {
            states: inner
                .passive
                .states
                .iter()
                .map(|(id, state)| (id.clone(), state.clone()))
                .collect(),
            unreadable: Vec::new(),
        })
    }

    async fn commit_passive(&self, commit: &PassiveCommit) -> StoreResult<CommitOutcome> {
        let keys = invariants::passive_commit_incident_ids(commit)?;
        let mut inner = self.lock();
        let inner = &mut *inner;
        // Every condition first, then every write: all or nothing, like a transaction.
        let stored = inner.passive.states.get(&commit.integration);
        if stored.map_or(0, |s| s.version) != commit.expected_version
            || (commit.expected_version == 0 && stored.is_some())
        {
            return Ok(CommitOutcome::Conflict);
        }
        let allowed = commit.incidents.iter().zip(&keys).all(|(change, key)| {
            let existing = inner.incidents.get(key);
            match change {
                // Standalone ids: opened again over a resolved incident, never an open one.
                IncidentChange::Opened(_) => existing.is_none_or(|i| !i.open),
                IncidentChange::Changed { .. } | IncidentChange::Resolved { .. } => {
                    existing.is_some_and(|i| i.open)
                }
            }
        });
        if !allowed {
            return Ok(CommitOutcome::Conflict);
        }
        let Some(version) = invariants::next_version(commit.expected_version) else {
            let item = UnreadableItem {
                key: format!("passive state {}", commit.integration),
                integration: Some(commit.integration.clone()),
                field: "version".into(),
                problem: format!("is outside 0..={}", invariants::MAX_VERSION),
            };
            return Err(StoreError::corrupt("memory store", item));
        };
        inner.passive.states.insert(
            commit.integration.clone(),
            PassiveState {
                version,
                ..commit.state.clone()
            },
        );
        for (change, key) in commit.incidents.iter().zip(keys) {
            inner.apply_incident_change(change, key);
        }
        Ok(CommitOutcome::Applied)
    }

    async fn probe_soon(&self, integration: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut inner = self.lock();
        let Some(record) = inner.integrations.get_mut(integration) else {
            return Ok(false);
        };
        // Like DynamoDB: never postpones a probe already due sooner; no version bump.
        let at = stored_time(at);
        if record.state.next_probe_at.is_none_or(|next| next > at) {
            record.state.next_probe_at = Some(at);
        }
        Ok(true)
    }
}

impl IngestTokens for MemoryStore {
    async fn put_ingest_token(&self, token: &IngestToken) -> StoreResult<()> {
        let mut inner = self.lock();
        if inner.passive.tokens.contains_key(&token.hash) {
            return Err(StoreError::conflict(
                "memory store: an ingest token with this hash already exists",
            ));
        }
        let mut kept = token.clone();
        kept.created_at = stored_time(kept.created_at);
        inner.passive.tokens.insert(token.hash.clone(), kept);
        Ok(())
    }

    async fn ingest_token(&self, hash: &str) -> StoreResult<Option<IngestToken>> {
        Ok(self.lock().passive.tokens.get(hash).cloned())
    }

    async fn ingest_tokens_of(&self, integration: &str) -> StoreResult<Vec<IngestToken>> {
        let mut tokens: Vec<IngestToken> = self
            .lock()
            .passive
            .tokens
            .values()
            .filter(|t| t.integration == integration)
            .cloned()
            .collect();
        tokens.sort_by(|a, b| (a.created_at, &a.hash).cmp(&(b.created_at, &b.hash)));
        Ok(tokens)
    }

    async fn revoke_ingest_tokens(&self, integration: &str) -> StoreResult<usize> {
        let mut inner = self.lock();
        let before = inner.passive.tokens.len();
        inner
            .passive
            .tokens
            .retain(|_, t| t.integration != integration);
        Ok(before - inner.passive.tokens.len())
    }

    async fn take_ingest_quota(
        &self,
        integration: &str,
        minute: DateTime<Utc>,
        events: u32,
        limit: u32,
    ) -> StoreResult<bool> {
        let Some(room) = limit.checked_sub(events) else {
            return Ok(false);
        };
        let mut inner = self.lock();
        let key = (integration.to_string(), invariants::minute_of(minute));
        let used = inner.passive.quota.entry(key).or_default();
        if *used > u64::from(room) {
            return Ok(false);
        }
        *used += u64::from(events);
        Ok(true)
    }
}
