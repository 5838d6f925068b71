//! [`ProbeResults`] on DynamoDB: state commits (with their incident writes, in one transaction),
//! probe history and rotations.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest};
use chrono::{DateTime, Utc};

use super::super::attributes::{OPEN, SECRET_ROTATED_SEEN_AT, VERSION};
use super::super::expr::{Expr, UpdateSpec, absent, exists};
use super::super::history::history_item;
use super::super::incident::{incident_change_fields, incident_item};
use super::super::integration::{rotation_fields, state_fields};
use super::super::keys::{Key, describe_key, history_key, incident_id_key, integration_key};
use super::super::value::{Item, boolean, n, timestamp};
use super::incidents::open_condition;
use super::{CONFLICT_ATTEMPTS, DynamoStore, UpdateFailure, backoff};
use crate::store::error::{StoreError, StoreResult};
use crate::store::invariants::{self, MAX_VERSION};
use crate::store::roles::{Integrations, ProbeResults};
use crate::store::{CommitOutcome, HistoryEntry, IncidentChange, StateCommit, UnreadableItem};

/// One pass of a commit.
pub(super) enum Attempt {
    Done(CommitOutcome),
    /// Collided with another in-flight transaction on the item; nothing was written.
    Collided,
}

/// Cancellation reasons of a transaction that may pass on a later try (DynamoDB's
/// `CancellationReason` codes for throttling).
const RETRYABLE_CANCELLATIONS: [&str; 2] = ["ProvisionedThroughputExceeded", "ThrottlingError"];

impl DynamoStore {
    /// The state update of a commit: the state attributes and the next version, if the
    /// stored version is still the expected one.
    ///
    /// A version read from the table that cannot be incremented is that item's
    /// [`StoreError::Corrupt`], never a panic or a silent wrap.
    fn state_update(&self, commit: &StateCommit) -> StoreResult<UpdateSpec> {
        let expected = commit.expected_version;
        let key = integration_key(&commit.integration);
        let Some(next) = invariants::next_version(expected) else {
            return Err(self.corrupt(UnreadableItem {
                key: describe_key(&key),
                integration: Some(commit.integration.clone()),
                field: VERSION.to_string(),
                problem: format!(
                    "is outside 0..={MAX_VERSION}; `credwatch inventory apply` rewrites the item"
                ),
            }));
        };
        Ok(UpdateSpec::new(key)
            .fields(state_fields(&commit.state))
            .set(VERSION, n(next))
            .condition(|e| format!("{} = {}", e.name(VERSION), e.value(n(expected)))))
    }

    async fn commit_alone(&self, commit: &StateCommit) -> StoreResult<Attempt> {
        match self.update(self.state_update(commit)?).await {
            Ok(()) => Ok(Attempt::Done(CommitOutcome::Applied)),
            Err(UpdateFailure::Condition) => Ok(Attempt::Done(CommitOutcome::Conflict)),
            Err(UpdateFailure::TransactionConflict) => Ok(Attempt::Collided),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }

    async fn commit_transaction(&self, commit: &StateCommit, keys: &[Key]) -> StoreResult<Attempt> {
        let mut items = vec![self.state_update(commit)?.transact(&self.table)?];
        for (write, key) in commit.incidents.iter().zip(keys) {
            items.push(self.incident_write(write, key, false)?);
        }
        let what = describe_key(&integration_key(&commit.integration));
        self.send_transaction(items, &what, &commit.integration)
            .await
    }

    /// Sends one commit's TransactWriteItems (the state update first): applied, a conflict
    /// (a condition failed: nothing written), or a collision with another transaction.
    pub(super) async fn send_transaction(
        &self,
        items: Vec<TransactWriteItem>,
        what: &str,
        integration: &str,
    ) -> StoreResult<Attempt> {
        let Err(err) = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        else {
            return Ok(Attempt::Done(CommitOutcome::Applied));
        };
        let Some(TransactWriteItemsError::TransactionCanceledException(canceled)) =
            err.as_service_error()
        else {
            return Err(self.failed("TransactWriteItems", what, &err));
        };
        let codes: Vec<&str> = canceled
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().unwrap_or("None"))
            .collect();
        if codes.contains(&"TransactionConflict") {
            return Ok(Attempt::Collided);
        }
        let condition_failed = codes.contains(&"ConditionalCheckFailed");
        if !condition_failed
            || codes
                .iter()
                .any(|c| !matches!(*c, "None" | "ConditionalCheckFailed"))
        {
            let failed = self.failed("TransactWriteItems", what, &err);
            if codes.iter().any(|c| RETRYABLE_CANCELLATIONS.contains(c)) {
                return Err(StoreError::retryable(failed.message()));
            }
            return Err(failed);
        }
        if codes.first() == Some(&"None") {
            // The version matched but an incident was already opened / no longer open: the
            // state and the incidents disagree. Nothing was written, as for any conflict.
            tracing::warn!(
                table = %self.table,
                integration = %integration,
                reasons = ?codes,
                "commit refused by an incident condition although the state version matched"
            );
        }
        Ok(Attempt::Done(CommitOutcome::Conflict))
    }

    /// The write of one incident change: `Opened` puts the whole item if no item has its key
    /// (or, with `reopen`, if the one there is resolved: a standalone id opened again);
    /// `Changed` / `Resolved` update the incident if it is open.
    pub(super) fn incident_write(
        &self,
        write: &IncidentChange,
        key: &Key,
        reopen: bool,
    ) -> StoreResult<TransactWriteItem> {
        if let IncidentChange::Opened(incident) = write {
            let item = incident_item(incident).expect("an IncidentId is always well-formed");
            let mut expr = Expr::default();
            // Opened exactly once: overlapping invocations compute the same id, one wins.
            let mut condition = absent(&mut expr);
            if reopen {
                let open = (expr.name(OPEN), expr.value(boolean(false)));
                condition = format!("{condition} OR {} = {}", open.0, open.1);
            }
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_names(Some(expr.names))
                .set_expression_attribute_values(Some(expr.values).filter(|v| !v.is_empty()))
                .build()
                .map_err(|err| self.unbuildable("TransactWriteItems", &describe_key(key), err))?;
            return Ok(TransactWriteItem::builder().put(put).build());
        }
        let fields = incident_change_fields(write).expect("Update and Resolve change fields");
        UpdateSpec::new(key.clone())
            .fields(fields)
            .condition(open_condition)
            .transact(&self.table)
    }

    /// After a commit's `tries`-th attempt collided with another in-flight transaction: waits
    /// before the next (none after the last, [`CONFLICT_ATTEMPTS`]). The version condition
    /// then tells whether the other one committed.
    pub(super) async fn pause_after_collision(&self, tries: u32) {
        if tries < CONFLICT_ATTEMPTS {
            tokio::time::sleep(backoff(tries)).await
        }
    }

    /// The error of a commit that collided [`CONFLICT_ATTEMPTS`] times.
    pub(super) fn kept_colliding(&self, integration: &str) -> StoreError {
        StoreError::retryable(format!(
            "DynamoDB table {}: commit of integration {integration} kept colliding with other \
             transactions ({CONFLICT_ATTEMPTS} attempts)",
            self.table
        ))
    }
}

impl ProbeResults for DynamoStore {
    async fn commit(&self, commit: &StateCommit) -> StoreResult<CommitOutcome> {
        let keys: Vec<Key> = invariants::commit_incident_ids(commit)?
            .iter()
            .map(incident_id_key)
            .collect();
        for tries in 1..=CONFLICT_ATTEMPTS {
            let attempt = if keys.is_empty() {
                self.commit_alone(commit).await?
            } else {
                self.commit_transaction(commit, &keys).await?
            };
            match attempt {
                Attempt::Done(outcome) => return Ok(outcome),
                Attempt::Collided => self.pause_after_collision(tries).await,
            }
        }
        Err(self.kept_colliding(&commit.integration))
    }

    async fn append_history(&self, entries: &[HistoryEntry]) -> StoreResult<()> {
        // One batch cannot hold one key twice; the same probe time twice is the same entry.
        let mut items: HashMap<Key, Item> = HashMap::new();
        for entry in entries {
            let key = history_key(&entry.integration, entry.probed_at);
            items.insert(key, history_item(entry, self.history_ttl_days));
        }
        let requests = items
            .into_values()
            .map(|item| {
                let put = PutRequest::builder().set_item(Some(item)).build();
                put.map(|p| WriteRequest::builder().put_request(p).build())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| self.unbuildable("BatchWriteItem", "history", err))?;
        self.batch_write(requests, "probe history").await
    }

    async fn record_rotation(
        &self,
        integration: &str,
        at: DateTime<Utc>,
        fingerprint: &str,
    ) -> StoreResult<bool> {
        // Not versioned: a concurrent state commit may overwrite next_probe_at (it then has
        // its own schedule) but never secret_rotated_seen_at, which commits do not write.
        // Conditional on time only moving forward (timestamps sort as text).
        let update = UpdateSpec::new(integration_key(integration))
            .fields(rotation_fields(at, fingerprint))
            .condition(exists)
            .condition(|expr| {
                let seen = expr.name(SECRET_ROTATED_SEEN_AT);
                let at = expr.value(AttributeValue::S(timestamp(at)));
                format!("attribute_not_exists({seen}) OR {seen} < {at}")
            });
        match self.update(update).await {
            Ok(()) => Ok(true),
            // Either the item is gone or a rotation at or after `at` is recorded: tell apart.
            Err(UpdateFailure::Condition) => match self.get_integration(integration).await? {
                Some(_) => Ok(false),
                None => Err(StoreError::conflict(format!(
                    "DynamoDB table {}: record secret rotation of integration {integration}: \
                     no such item",
                    self.table
                ))),
            },
            Err(UpdateFailure::TransactionConflict) => Err(StoreError::retryable(format!(
                "DynamoDB table {}: record secret rotation of integration {integration}: \
                 another transaction was writing it; try again",
                self.table
            ))),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }
}
