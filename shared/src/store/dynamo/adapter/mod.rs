//! The DynamoDB adapter: [`DynamoStore`] and the requests it is made of. Each role's
//! implementation sits in its own file ([`integrations`], [`probe_results`], [`incidents`],
//! [`teams`], [`notifications`], [`silences`]); item shapes come from the item files of [`super`].
//!
//! Requests per operation (no Scan anywhere):
//! - `list_integrations`, `list_teams`, `history`, `incidents_of`, `open_incidents` (on the
//!   sparse index): one Query each, more only past 1 MB of items. `get_integration`: one GetItem.
//! - `commit`: one UpdateItem (conditional on `version`); one TransactWriteItems when it
//!   carries incident writes.
//! - `append_history`: one BatchWriteItem per 25 entries (plus retries of unprocessed items).
//! - `record_rotation`, `retire_integration`: one UpdateItem.
//! - `put_integration`: one UpdateItem if it exists; UpdateItem + PutItem when it is new.
//! - `prune_integration`: two key-only Queries, BatchWriteItem deletes, one DeleteItem.
//! - `put_team`: one PutItem; `delete_team`: one DeleteItem.
//! - `get_incident`: one GetItem.
//! - `acknowledge`, `unacknowledge`: one conditional UpdateItem (the item comes back either way).
//! - notifications and audit entries: see [`notifications`].
//! - silences: see [`silences`].
//!
//! A write that collides with another transaction in flight on the same item
//! (`TransactionConflict`) is retried a few times; the version condition then decides.

mod groups;
mod incidents;
mod integrations;
mod notifications;
mod passive;
mod probe_results;
mod silences;
mod teams;

use std::error::Error;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};

use super::error::{error_detail, request_error};
use super::expr::{Expr, Query, UpdateSpec, absent};
use super::history::HISTORY_TTL_DAYS;
use super::keys::{GSI_PK, GSI_SK, Key, PK, SK, describe_key, key_item};
use super::value::Item;
use crate::store::UnreadableItem;
use crate::store::error::{StoreError, StoreResult};
use crate::store::invariants::MAX_SILENCES;

/// BatchWriteItem takes at most 25 requests.
const BATCH_SIZE: usize = 25;
/// Attempts at writing a batch's unprocessed items (DynamoDB returns them when throttled).
const BATCH_ATTEMPTS: u32 = 8;
/// Attempts at a commit that collides with another in-flight transaction on the same item.
const CONFLICT_ATTEMPTS: u32 = 4;

/// The store on one DynamoDB table laid out as [`super`] documents. Cheap to clone the client
/// into; holds no state of its own besides the table name, the history TTL and the silence
/// listing bound.
pub struct DynamoStore {
    client: Client,
    table: String,
    history_ttl_days: i64,
    max_silences: usize,
}

impl DynamoStore {
    /// The store on table `table`, reached with `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            history_ttl_days: HISTORY_TTL_DAYS,
            max_silences: MAX_SILENCES,
        }
    }

    /// Lists at most `max` silences instead of [`MAX_SILENCES`] (tests of the bound).
    pub fn with_max_silences(mut self, max: usize) -> Self {
        self.max_silences = max;
        self
    }

    /// Keeps probe history this many days instead of [`HISTORY_TTL_DAYS`].
    pub fn with_history_ttl_days(mut self, days: i64) -> Self {
        self.history_ttl_days = days;
        self
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Deletes one item (absent is fine).
    async fn delete_item(&self, key: &Key) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| self.failed("DeleteItem", &describe_key(key), &err))
    }

    /// A failed request: the operation, table and key, and the SDK's error code and message,
    /// sorted into its kind.
    fn failed<E>(&self, operation: &str, key: &str, err: &SdkError<E, HttpResponse>) -> StoreError
    where
        E: ProvideErrorMetadata + Error + 'static,
    {
        request_error(
            err,
            format!(
                "DynamoDB {operation} on table {} ({key}) failed: {}",
                self.table,
                error_detail(err)
            ),
        )
    }

    /// A request the SDK refused to build (a bug, never worth retrying).
    fn unbuildable(&self, operation: &str, key: &str, err: BuildError) -> StoreError {
        StoreError::permanent(format!(
            "DynamoDB {operation} on table {} ({key}) failed: {err}",
            self.table
        ))
    }

    /// An item of this table that cannot be decoded.
    fn corrupt(&self, item: UnreadableItem) -> StoreError {
        StoreError::corrupt(&format!("DynamoDB table {}", self.table), item)
    }

    /// Every item of one partition (optionally of an index, with a sort-key prefix), following
    /// pages; newest first and at most `limit` when asked.
    async fn query(&self, q: Query<'_>) -> StoreResult<Vec<Item>> {
        let mut expr = Expr::default();
        let (pk_attr, sk_attr) = match q.index {
            Some(_) => (GSI_PK, GSI_SK),
            None => (PK, SK),
        };
        let mut condition = format!(
            "{} = {}",
            expr.name(pk_attr),
            expr.value(super::value::s(q.pk))
        );
        if let Some(prefix) = q.sk_prefix {
            condition += &format!(
                " AND begins_with({}, {})",
                expr.name(sk_attr),
                expr.value(super::value::s(prefix))
            );
        }
        if let Some((low, high)) = q.sk_range {
            condition += &format!(
                " AND {} BETWEEN {} AND {}",
                expr.name(sk_attr),
                expr.value(super::value::s(low)),
                expr.value(super::value::s(high))
            );
        }
        let projection = q
            .keys_only
            .then(|| format!("{}, {}", expr.name(PK), expr.name(SK)));
        let what = format!(
            "pk={}{}",
            q.pk,
            q.index
                .map(|i| format!(" in index {i}"))
                .unwrap_or_default()
        );

        let mut items = Vec::new();
        let mut start = None;
        loop {
            let remaining = q.limit.map(|limit| limit.saturating_sub(items.len()));
            if remaining == Some(0) {
                break;
            }
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(q.index.map(str::to_string))
                // Base-table reads see the latest commit (cheap at this size); an index cannot.
                .set_consistent_read(q.index.is_none().then_some(true))
                .key_condition_expression(&condition)
                .set_projection_expression(projection.clone())
                .set_expression_attribute_names(Some(expr.names.clone()))
                .set_expression_attribute_values(Some(expr.values.clone()))
                .scan_index_forward(!q.newest_first)
                .set_limit(remaining.map(|r| i32::try_from(r).unwrap_or(i32::MAX)))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| self.failed("Query", &what, &err))?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(items)
    }

    /// Writes (puts or deletes) in batches of 25, retrying unprocessed items with backoff.
    /// Items still unprocessed after [`BATCH_ATTEMPTS`] are [`StoreError::Retryable`].
    async fn batch_write(&self, requests: Vec<WriteRequest>, what: &str) -> StoreResult<()> {
        for chunk in requests.chunks(BATCH_SIZE) {
            let mut pending = chunk.to_vec();
            for attempt in 1.. {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|err| self.failed("BatchWriteItem", what, &err))?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt == BATCH_ATTEMPTS {
                    return Err(StoreError::retryable(format!(
                        "DynamoDB BatchWriteItem on table {} ({what}): {} of {} writes still unprocessed after \
                         {BATCH_ATTEMPTS} attempts (throttled?)",
                        self.table,
                        pending.len(),
                        chunk.len()
                    )));
                }
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
        Ok(())
    }

    /// Applies one conditional update, telling a failed condition and a transaction collision
    /// apart from other failures.
    async fn update(&self, update: UpdateSpec) -> Result<(), UpdateFailure> {
        let UpdateSpec {
            key,
            expr,
            condition,
            ..
        } = &update;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .update_expression(update.expression())
            .set_condition_expression(condition.clone())
            .set_expression_attribute_names(Some(expr.names.clone()))
            .set_expression_attribute_values(Some(expr.values.clone()).filter(|v| !v.is_empty()))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                let service = err.as_service_error();
                if service.is_some_and(|e| e.is_conditional_check_failed_exception()) {
                    UpdateFailure::Condition
                } else if service.is_some_and(|e| e.is_transaction_conflict_exception()) {
                    UpdateFailure::TransactionConflict
                } else {
                    UpdateFailure::Other(self.failed("UpdateItem", &describe_key(key), &err))
                }
            })
    }

    /// An update that must find its item: a failed condition means there is none
    /// ([`StoreError::Conflict`]).
    async fn update_existing(&self, update: UpdateSpec, what: &str) -> StoreResult<()> {
        let key = describe_key(&update.key);
        match self.update(update.condition(super::expr::exists)).await {
            Ok(()) => Ok(()),
            Err(UpdateFailure::Condition) => Err(StoreError::conflict(format!(
                "DynamoDB table {}: {what}: no such item ({key})",
                self.table
            ))),
            Err(UpdateFailure::TransactionConflict) => {
                Err(self.collided(&format!("{what}: "), &key))
            }
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }

    /// Another transaction held the item: worth retrying.
    fn collided(&self, what: &str, key: &str) -> StoreError {
        StoreError::retryable(format!(
            "DynamoDB table {}: {what}another transaction was writing {key}; try again",
            self.table
        ))
    }

    /// Puts `item` if no item has its key: `Ok(false)` when one does (nothing written).
    async fn put_new(&self, item: Item, key: &Key) -> StoreResult<bool> {
        let mut expr = Expr::default();
        let condition = absent(&mut expr);
        self.put_if(item, key, expr, condition).await
    }

    /// Puts `item` if `condition` holds: `Ok(false)` when it does not (nothing written).
    async fn put_if(
        &self,
        item: Item,
        key: &Key,
        expr: Expr,
        condition: String,
    ) -> StoreResult<bool> {
        // DynamoDB refuses an empty ExpressionAttributeValues map.
        let values = Some(expr.values).filter(|values| !values.is_empty());
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(expr.names))
            .set_expression_attribute_values(values)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(self.failed("PutItem", &describe_key(key), &err)),
        }
    }

    /// Puts `item` unconditionally.
    async fn put(&self, item: Item, key: &Key) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| self.failed("PutItem", &describe_key(key), &err))
    }

    /// Deletes the items of `keys` (key-only items), batched.
    async fn delete_keys(&self, keys: Vec<Item>, what: &str) -> StoreResult<()> {
        let requests = keys
            .into_iter()
            .map(|key| {
                let delete = DeleteRequest::builder().set_key(Some(key)).build();
                delete.map(|d| WriteRequest::builder().delete_request(d).build())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| self.unbuildable("BatchWriteItem", what, err))?;
        self.batch_write(requests, what).await
    }

    /// Reads one item with a consistent read and decodes it: `None` when there is none; an
    /// item that does not decode is [`StoreError::Corrupt`].
    async fn get_decoded<T>(
        &self,
        key: &Key,
        decode: impl Fn(&Item) -> Result<T, UnreadableItem>,
    ) -> StoreResult<Option<T>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.failed("GetItem", &describe_key(key), &err))?;
        output
            .item
            .map(|item| decode(&item).map_err(|e| self.corrupt(e)))
            .transpose()
    }

    /// Decodes every item; one that does not decode is logged (key, attribute, problem: never
    /// its values) and skipped, so one bad team, incident or history item never hides the rest.
    /// Rewriting it (`inventory apply` for a team, the next change of an incident) repairs it.
    fn decode_all<T>(
        &self,
        items: &[Item],
        decode: fn(&Item) -> Result<T, UnreadableItem>,
    ) -> Vec<T> {
        items
            .iter()
            .filter_map(|item| match decode(item) {
                Ok(value) => Some(value),
                Err(unreadable) => {
                    tracing::error!(error = %self.corrupt(unreadable), "item cannot be read; skipped");
                    None
                }
            })
            .collect()
    }
}

/// Why a conditional update wrote nothing.
enum UpdateFailure {
    /// Its condition did not hold.
    Condition,
    /// Another transaction was writing the item.
    TransactionConflict,
    /// Any other failure.
    Other(StoreError),
}

/// Exponential backoff with jitter, 25 ms .. ~1.6 s.
fn backoff(attempt: u32) -> Duration {
    let base = 25u64 << attempt.min(6);
    Duration::from_millis(base + fastrand::u64(0..base))
}
