//! [`PassiveRecords`] and [`IngestTokens`] on DynamoDB.
//!
//! Requests per operation:
//! - `record_calls`: one UpdateItem per integration and minute the calls fall in (two or three
//!   only for a minute past its counter bound, see [`super::super::passive`]), and one
//!   BatchWriteItem per 25 failed calls (plus retries of unprocessed items). Measured
//!   (`tests/tests/passive_store.rs`, `write_requests_per_thousand_events`): 1,000 successes in
//!   one minute in 2 batches of 500: 2 write requests; 1,000 failures over 10 minutes in
//!   batches of 100: 50 write requests (10 UpdateItem + 40 BatchWriteItem).
//! - `minutes`, `failed_calls`, `passive_states`, `ingest_tokens_of`: one Query each (paged).
//! - `passive_state`, `ingest_token`: one consistent GetItem.
//! - `commit_passive`: one UpdateItem without incident changes, else one TransactWriteItems.
//! - `probe_soon`: one UpdateItem (a GetItem more when its condition fails).
//! - `put_ingest_token`: one conditional PutItem; `revoke_ingest_tokens`: a Query and
//!   BatchWriteItem deletes; `take_ingest_quota`: one conditional UpdateItem.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use chrono::{DateTime, Utc};

use super::super::attributes::{NEXT_PROBE_AT, VERSION};
use super::super::expr::{Query, UpdateSpec, absent, exists};
use super::super::keys::{
    INGEST_PK, INGEST_TOKEN_PREFIX, Key, PASSIVE_PK, PASSIVE_STATE_PREFIX, call_event_pk, calls_pk,
    describe_key, incident_id_key, ingest_token_key, integration_key, item_key, passive_state_key,
};
use super::super::passive::{
    CounterGuard, decode_failed_call, decode_ingest_token, decode_minute, decode_passive_state,
    failed_call_bounds, failed_call_item, ingest_token_item, minute_bounds, minute_update,
    passive_state_fields, quota_update,
};
use super::super::value::{Item, n, time};
use super::probe_results::Attempt;
use super::{CONFLICT_ATTEMPTS, DynamoStore, UpdateFailure};
use crate::domain::passive::{IngestToken, MinuteCounts, PassiveCommit, PassiveState, SfmcCall};
use crate::store::error::{StoreError, StoreResult};
use crate::store::invariants::{self, Counts, MAX_VERSION};
use crate::store::roles::{IngestTokens, PassiveRecords};
use crate::store::{CommitOutcome, PassiveListing, RecordedCalls, UnreadableItem};

impl DynamoStore {
    /// Adds one minute's counts to its item: one UpdateItem, unless the item is past its bound
    /// of added counters (then only if every key exists, else with coarse keys).
    async fn add_counts(
        &self,
        integration: &str,
        minute: DateTime<Utc>,
        counts: &Counts,
    ) -> StoreResult<()> {
        for guard in [
            CounterGuard::Counted,
            CounterGuard::Existing,
            CounterGuard::Coarse,
        ] {
            let Some(update) = minute_update(integration, minute, counts, guard) else {
                continue;
            };
            let key = describe_key(&update.key);
            match self.update(update).await {
                Ok(()) => return Ok(()),
                Err(UpdateFailure::Condition) => {
                    tracing::warn!(
                        table = %self.table,
                        item = %key,
                        "minute counters past their bound of added keys; counting by kind and class"
                    );
                }
                Err(UpdateFailure::TransactionConflict) => {
                    return Err(self.collided("add call counters: ", &key));
                }
                Err(UpdateFailure::Other(err)) => return Err(err),
            }
        }
        Err(StoreError::permanent(format!(
            "DynamoDB table {}: counters of {integration} at {minute} could not be written",
            self.table
        )))
    }

    /// The state update of a passive commit, conditional on the expected version (0: no item).
    fn passive_state_update(&self, commit: &PassiveCommit) -> StoreResult<UpdateSpec> {
        let key = passive_state_key(&commit.integration);
        let expected = commit.expected_version;
        let Some(next) = invariants::next_version(expected) else {
            return Err(self.corrupt(UnreadableItem {
                key: describe_key(&key),
                integration: Some(commit.integration.clone()),
                field: VERSION.to_string(),
                problem: format!("is outside 0..={MAX_VERSION}"),
            }));
        };
        let update = UpdateSpec::new(key)
            .fields(passive_state_fields(&commit.integration, &commit.state))
            .set(VERSION, n(next));
        Ok(if expected == 0 {
            update.condition(absent)
        } else {
            update.condition(|e| format!("{} = {}", e.name(VERSION), e.value(n(expected))))
        })
    }

    async fn passive_commit_once(
        &self,
        commit: &PassiveCommit,
        keys: &[Key],
    ) -> StoreResult<Attempt> {
        let update = self.passive_state_update(commit)?;
        if keys.is_empty() {
            return match self.update(update).await {
                Ok(()) => Ok(Attempt::Done(CommitOutcome::Applied)),
                Err(UpdateFailure::Condition) => Ok(Attempt::Done(CommitOutcome::Conflict)),
                Err(UpdateFailure::TransactionConflict) => Ok(Attempt::Collided),
                Err(UpdateFailure::Other(err)) => Err(err),
            };
        }
        let what = describe_key(&update.key);
        let mut items = vec![update.transact(&self.table)?];
        for (change, key) in commit.incidents.iter().zip(keys) {
            // Passive incident ids are standalone: opened again over a resolved one.
            items.push(self.incident_write(change, key, true)?);
        }
        self.send_transaction(items, &what, &commit.integration)
            .await
    }

    /// Every ingest token item of the table, decoded (unreadable ones logged and skipped).
    async fn all_ingest_tokens(&self) -> StoreResult<Vec<IngestToken>> {
        let items = self
            .query(Query::partition(INGEST_PK).prefix(INGEST_TOKEN_PREFIX))
            .await?;
        Ok(self.decode_all(&items, decode_ingest_token))
    }
}

impl PassiveRecords for DynamoStore {
    async fn record_calls(&self, calls: &[SfmcCall]) -> StoreResult<RecordedCalls> {
        let mut recorded = RecordedCalls::default();
        for ((integration, minute), counts) in invariants::minute_counters(calls) {
            self.add_counts(&integration, minute, &counts).await?;
            recorded.counter_writes += 1;
        }
        // One batch cannot hold one key twice: a retried event is one item.
        let failures = invariants::failures_to_keep(calls);
        let mut items: HashMap<Key, Item> = HashMap::new();
        for call in &failures {
            let item = failed_call_item(call);
            if let Some(key) = item_key(&item) {
                items.insert(key, item);
            }
        }
        recorded.failures_kept = items.len();
        let requests = items
            .into_values()
            .map(|item| {
                let put = PutRequest::builder().set_item(Some(item)).build();
                put.map(|p| WriteRequest::builder().put_request(p).build())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| self.unbuildable("BatchWriteItem", "failed calls", err))?;
        self.batch_write(requests, "failed calls").await?;
        Ok(recorded)
    }

    async fn minutes(
        &self,
        integration: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<MinuteCounts>> {
        let Some((low, high)) = minute_bounds(from, to) else {
            return Ok(Vec::new());
        };
        let pk = calls_pk(integration);
        let items = self
            .query(Query::partition(&pk).between(&low, &high))
            .await?;
        Ok(self.decode_all(&items, decode_minute))
    }

    async fn failed_calls(
        &self,
        integration: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<SfmcCall>> {
        let Some((low, high)) = failed_call_bounds(from, to) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let pk = call_event_pk(integration);
        let items = self
            .query(
                Query::partition(&pk)
                    .between(&low, &high)
                    .newest_first(limit),
            )
            .await?;
        Ok(self.decode_all(&items, decode_failed_call))
    }

    async fn passive_state(&self, integration: &str) -> StoreResult<Option<PassiveState>> {
        let key = passive_state_key(integration);
        let decoded = self.get_decoded(&key, decode_passive_state).await?;
        Ok(decoded.map(|(_, state)| state))
    }

    async fn passive_states(&self) -> StoreResult<PassiveListing> {
        let items = self
            .query(Query::partition(PASSIVE_PK).prefix(PASSIVE_STATE_PREFIX))
            .await?;
        let mut listing = PassiveListing::default();
        for item in &items {
            match decode_passive_state(item) {
                Ok(state) => listing.states.push(state),
                Err(unreadable) => {
                    tracing::error!(error = %self.corrupt(unreadable.clone()), "passive state cannot be read; listed apart");
                    listing.unreadable.push(unreadable);
                }
            }
        }
        Ok(listing)
    }

    async fn commit_passive(&self, commit: &PassiveCommit) -> StoreResult<CommitOutcome> {
        let keys: Vec<Key> = invariants::passive_commit_incident_ids(commit)?
            .iter()
            .map(incident_id_key)
            .collect();
        for tries in 1..=CONFLICT_ATTEMPTS {
            match self.passive_commit_once(commit, &keys).await? {
                Attempt::Done(outcome) => return Ok(outcome),
                Attempt::Collided => self.pause_after_collision(tries).await,
            }
        }
        Err(self.kept_colliding(&commit.integration))
    }

    async fn probe_soon(&self, integration: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        // Not versioned (like a rotation): never postpones a probe already due sooner.
        let update = UpdateSpec::new(integration_key(integration))
            .set(NEXT_PROBE_AT, time(at))
            .condition(exists)
            .condition(|e| {
                let next = e.name(NEXT_PROBE_AT);
                format!(
                    "attribute_not_exists({next}) OR {next} > {}",
                    e.value(time(at))
                )
            });
        let key = describe_key(&update.key);
        match self.update(update).await {
            Ok(()) => Ok(true),
            Err(UpdateFailure::Condition) => {
                // Absent, or already due at or before `at`: tell apart.
                let item = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .set_key(Some(super::super::keys::key_item(&integration_key(
                        integration,
                    ))))
                    .consistent_read(true)
                    .projection_expression("pk")
                    .send()
                    .await
                    .map_err(|err| self.failed("GetItem", &key, &err))?;
                Ok(item.item.is_some())
            }
            Err(UpdateFailure::TransactionConflict) => Err(self.collided("probe soon: ", &key)),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }
}

impl IngestTokens for DynamoStore {
    async fn put_ingest_token(&self, token: &IngestToken) -> StoreResult<()> {
        let key = ingest_token_key(&token.hash);
        if self.put_new(ingest_token_item(token), &key).await? {
            return Ok(());
        }
        Err(StoreError::conflict(format!(
            "DynamoDB table {}: an ingest token with this hash already exists ({})",
            self.table,
            describe_key(&key)
        )))
    }

    async fn ingest_token(&self, hash: &str) -> StoreResult<Option<IngestToken>> {
        self.get_decoded(&ingest_token_key(hash), decode_ingest_token)
            .await
    }

    async fn ingest_tokens_of(&self, integration: &str) -> StoreResult<Vec<IngestToken>> {
        let mut tokens: Vec<IngestToken> = self
            .all_ingest_tokens()
            .await?
            .into_iter()
            .filter(|t| t.integration == integration)
            .collect();
        tokens.sort_by(|a, b| (a.created_at, &a.hash).cmp(&(b.created_at, &b.hash)));
        Ok(tokens)
    }

    async fn revoke_ingest_tokens(&self, integration: &str) -> StoreResult<usize> {
        let tokens = self.ingest_tokens_of(integration).await?;
        let keys: Vec<Item> = tokens
            .iter()
            .map(|t| super::super::keys::key_item(&ingest_token_key(&t.hash)))
            .collect();
        self.delete_keys(keys, &format!("ingest tokens of {integration}"))
            .await?;
        Ok(tokens.len())
    }

    async fn take_ingest_quota(
        &self,
        integration: &str,
        minute: DateTime<Utc>,
        events: u32,
        limit: u32,
    ) -> StoreResult<bool> {
        let minute = invariants::minute_of(minute);
        let Some(update) = quota_update(integration, minute, events, limit) else {
            return Ok(false);
        };
        let key = describe_key(&update.key);
        match self.update(update).await {
            Ok(()) => Ok(true),
            Err(UpdateFailure::Condition) => Ok(false),
            Err(UpdateFailure::TransactionConflict) => Err(self.collided("ingest quota: ", &key)),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }
}
