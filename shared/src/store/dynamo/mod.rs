//! The store on DynamoDB: one table laid out as [`schema`] documents.
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
//!
//! A write that collides with another transaction in flight on the same item
//! (`TransactionConflict`) is retried a few times; the version condition then decides.

pub mod schema;

use std::collections::HashMap;
use std::error::Error;
use std::fmt::{Debug, Display};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, Put, PutRequest, TransactWriteItem, Update, WriteRequest,
};
use chrono::{DateTime, Utc};

use crate::domain::state::CheckState;
use crate::inventory::{Integration, Team};
use crate::store::{
    CommitOutcome, HistoryEntry, Incident, IncidentChange, IncidentListing, IntegrationListing,
    IntegrationRecord, StateCommit, Store, StoreError, StoreResult, UnreadableIntegration,
    UnreadableItem,
};
use schema::{Fields, Item, Key};

/// BatchWriteItem takes at most 25 requests.
const BATCH_SIZE: usize = 25;
/// Attempts at writing a batch's unprocessed items (DynamoDB returns them when throttled).
const BATCH_ATTEMPTS: u32 = 8;
/// Attempts at a commit that collides with another in-flight transaction on the same item.
const CONFLICT_ATTEMPTS: u32 = 4;

pub struct DynamoStore {
    client: Client,
    table: String,
    history_ttl_days: i64,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            history_ttl_days: schema::HISTORY_TTL_DAYS,
        }
    }

    /// Keeps probe history this many days instead of [`schema::HISTORY_TTL_DAYS`].
    pub fn with_history_ttl_days(mut self, days: i64) -> Self {
        self.history_ttl_days = days;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Deletes one item (absent is fine).
    async fn delete_item(&self, key: &Key) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(schema::key_item(key)))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                self.failed("DeleteItem", &schema::describe_key(key), error_detail(&err))
            })
    }

    /// A failed request: the operation, table and key, and the SDK's error code and message.
    fn failed(&self, operation: &str, key: &str, detail: impl Display) -> StoreError {
        StoreError(format!(
            "DynamoDB {operation} on table {} ({key}) failed: {detail}",
            self.table
        ))
    }

    fn corrupt(&self, err: StoreError) -> StoreError {
        StoreError(format!("DynamoDB table {}: {}", self.table, err.0))
    }

    /// Every item of one partition (optionally of an index, with a sort-key prefix), following
    /// pages; newest first and at most `limit` when asked.
    async fn query(&self, q: Query<'_>) -> StoreResult<Vec<Item>> {
        let mut expr = Expr::default();
        let (pk_attr, sk_attr) = match q.index {
            Some(_) => (schema::GSI_PK, schema::GSI_SK),
            None => (schema::PK, schema::SK),
        };
        let mut condition = format!("{} = {}", expr.name(pk_attr), expr.value(schema::s(q.pk)));
        if let Some(prefix) = q.sk_prefix {
            condition += &format!(
                " AND begins_with({}, {})",
                expr.name(sk_attr),
                expr.value(schema::s(prefix))
            );
        }
        let projection = q
            .keys_only
            .then(|| format!("{}, {}", expr.name(schema::PK), expr.name(schema::SK)));
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
                .map_err(|err| self.failed("Query", &what, error_detail(&err)))?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(items)
    }

    /// Writes (puts or deletes) in batches of 25, retrying unprocessed items with backoff.
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
                    .map_err(|err| self.failed("BatchWriteItem", what, error_detail(&err)))?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt == BATCH_ATTEMPTS {
                    return Err(StoreError(format!(
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
            .set_key(Some(schema::key_item(key)))
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
                    UpdateFailure::Other(self.failed(
                        "UpdateItem",
                        &schema::describe_key(key),
                        error_detail(&err),
                    ))
                }
            })
    }

    /// An update that must find its item: a failed condition means there is none.
    async fn update_existing(&self, update: UpdateSpec, what: &str) -> StoreResult<()> {
        let key = schema::describe_key(&update.key);
        match self.update(update.condition(exists)).await {
            Ok(()) => Ok(()),
            Err(UpdateFailure::Condition) => Err(StoreError(format!(
                "DynamoDB table {}: {what}: no such item ({key})",
                self.table
            ))),
            Err(UpdateFailure::TransactionConflict) => Err(StoreError(format!(
                "DynamoDB table {}: {what}: another transaction was writing {key}; try again",
                self.table
            ))),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }

    /// An update of an incident that applies only while it is open; false if it was not.
    async fn update_if_open(&self, update: UpdateSpec) -> StoreResult<bool> {
        let key = schema::describe_key(&update.key);
        let update = update.condition(|e| {
            let open = (e.name(schema::OPEN), e.value(schema::boolean(true)));
            format!("{} AND {} = {}", exists(e), open.0, open.1)
        });
        match self.update(update).await {
            Ok(()) => Ok(true),
            Err(UpdateFailure::Condition) => Ok(false),
            Err(UpdateFailure::TransactionConflict) => Err(StoreError(format!(
                "DynamoDB table {}: another transaction was writing {key}; try again",
                self.table
            ))),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }

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
            Err(err) => Err(self.failed("PutItem", &schema::describe_key(key), error_detail(&err))),
        }
    }

    /// The state update of a commit: the state attributes and the next version, if the
    /// stored version is still the expected one.
    ///
    /// A version read from the table that cannot be incremented is that item's error, never a
    /// panic or a silent wrap.
    fn state_update(&self, commit: &StateCommit) -> StoreResult<UpdateSpec> {
        let expected = commit.expected_version;
        let next =
            schema::next_version(&commit.integration, expected).map_err(|err| self.corrupt(err))?;
        Ok(
            UpdateSpec::new(schema::integration_key(&commit.integration))
                .fields(schema::state_fields(&commit.state))
                .set(schema::VERSION, schema::n(next))
                .condition(|e| {
                    format!(
                        "{} = {}",
                        e.name(schema::VERSION),
                        e.value(schema::n(expected))
                    )
                }),
        )
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
            items.push(self.incident_write(write, key)?);
        }
        let what = schema::describe_key(&schema::integration_key(&commit.integration));
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
            return Err(self.failed("TransactWriteItems", &what, error_detail(&err)));
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
            return Err(self.failed("TransactWriteItems", &what, error_detail(&err)));
        }
        if codes.first() == Some(&"None") {
            // The version matched but an incident was already opened / no longer open: the
            // state and the incidents disagree. Nothing was written, as for any conflict.
            tracing::warn!(
                table = %self.table,
                integration = %commit.integration,
                reasons = ?codes,
                "commit refused by an incident condition although the state version matched"
            );
        }
        Ok(Attempt::Done(CommitOutcome::Conflict))
    }

    fn incident_write(&self, write: &IncidentChange, key: &Key) -> StoreResult<TransactWriteItem> {
        if let IncidentChange::Opened(incident) = write {
            let item =
                schema::incident_item(incident).expect("commit_incident_keys checked the id");
            let mut expr = Expr::default();
            // Opened exactly once: overlapping invocations compute the same id, one wins.
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(absent(&mut expr))
                .set_expression_attribute_names(Some(expr.names))
                .build()
                .map_err(|err| {
                    self.failed("TransactWriteItems", &schema::describe_key(key), err)
                })?;
            return Ok(TransactWriteItem::builder().put(put).build());
        }
        let fields =
            schema::incident_change_fields(write).expect("Update and Resolve change fields");
        UpdateSpec::new(key.clone())
            .fields(fields)
            .condition(|e| {
                let open = (e.name(schema::OPEN), e.value(schema::boolean(true)));
                format!("{} AND {} = {}", exists(e), open.0, open.1)
            })
            .transact(&self.table)
    }

    async fn delete_keys(&self, keys: Vec<Item>, what: &str) -> StoreResult<()> {
        let requests = keys
            .into_iter()
            .map(|key| {
                let delete = DeleteRequest::builder().set_key(Some(key)).build();
                delete.map(|d| WriteRequest::builder().delete_request(d).build())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| self.failed("BatchWriteItem", what, err))?;
        self.batch_write(requests, what).await
    }

    /// Decodes every item; one that does not decode is logged (key, attribute, problem: never
    /// its values) and skipped, so one bad team, incident or history item never hides the rest.
    /// Rewriting it (`inventory apply` for a team, the next change of an incident) repairs it.
    fn decode_all<T>(
        &self,
        items: &[Item],
        decode: fn(&Item) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        Ok(items
            .iter()
            .filter_map(|item| match decode(item) {
                Ok(value) => Some(value),
                Err(err) => {
                    tracing::error!(error = %self.corrupt(err), "item cannot be read; skipped");
                    None
                }
            })
            .collect())
    }
}

impl Store for DynamoStore {
    async fn list_integrations(&self) -> StoreResult<IntegrationListing> {
        let items = self
            .query(Query::partition(schema::INVENTORY_PK).prefix(schema::INTEGRATION_PREFIX))
            .await?;
        // Sort keys `INT#{id}` come back in id order. One undecodable item is set apart (and
        // logged), never allowed to hide the others.
        let mut listing = IntegrationListing::default();
        for item in &items {
            match schema::decode_integration(item) {
                Ok(record) => listing.records.push(record),
                Err(corrupt) => {
                    let id = schema::item_key_id(item)
                        .unwrap_or(&corrupt.label)
                        .to_string();
                    tracing::error!(
                        table = %self.table,
                        // The key is whatever was written: escaped and capped for the log.
                        integration = %crate::text::printable::echo(&id),
                        field = %corrupt.field,
                        problem = %corrupt.problem,
                        "integration item cannot be read; skipped"
                    );
                    listing.unreadable.push(UnreadableIntegration {
                        id,
                        field: corrupt.field,
                        problem: corrupt.problem,
                    });
                }
            }
        }
        Ok(listing)
    }

    async fn get_integration(&self, id: &str) -> StoreResult<Option<IntegrationRecord>> {
        let key = schema::integration_key(id);
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(schema::key_item(&key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| {
                self.failed("GetItem", &schema::describe_key(&key), error_detail(&err))
            })?;
        output
            .item
            .map(|item| schema::decode_integration(&item).map_err(|e| self.corrupt(e.into())))
            .transpose()
    }

    async fn commit(&self, commit: &StateCommit) -> StoreResult<CommitOutcome> {
        let keys = schema::commit_incident_keys(commit)?;
        for attempt in 1..=CONFLICT_ATTEMPTS {
            let result = if keys.is_empty() {
                self.commit_alone(commit).await?
            } else {
                self.commit_transaction(commit, &keys).await?
            };
            match result {
                Attempt::Done(outcome) => return Ok(outcome),
                // Another transaction held the item and may or may not commit: try again, and
                // the version condition tells which.
                Attempt::Collided if attempt < CONFLICT_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await
                }
                Attempt::Collided => {}
            }
        }
        Err(StoreError(format!(
            "DynamoDB table {}: commit of integration {} kept colliding with other transactions \
             ({CONFLICT_ATTEMPTS} attempts)",
            self.table, commit.integration
        )))
    }

    async fn append_history(&self, entries: &[HistoryEntry]) -> StoreResult<()> {
        // One batch cannot hold one key twice; the same probe time twice is the same entry.
        let mut items: HashMap<Key, Item> = HashMap::new();
        for entry in entries {
            let key = schema::history_key(&entry.integration, entry.probed_at);
            items.insert(key, schema::history_item(entry, self.history_ttl_days));
        }
        let requests = items
            .into_values()
            .map(|item| {
                let put = PutRequest::builder().set_item(Some(item)).build();
                put.map(|p| WriteRequest::builder().put_request(p).build())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| self.failed("BatchWriteItem", "history", err))?;
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
        let update = UpdateSpec::new(schema::integration_key(integration))
            .fields(schema::rotation_fields(at, fingerprint))
            .condition(exists)
            .condition(|expr| {
                let seen = expr.name(schema::attr::SECRET_ROTATED_SEEN_AT);
                let at = expr.value(AttributeValue::S(schema::timestamp(at)));
                format!("attribute_not_exists({seen}) OR {seen} < {at}")
            });
        match self.update(update).await {
            Ok(()) => Ok(true),
            // Either the item is gone or a rotation at or after `at` is recorded: tell apart.
            Err(UpdateFailure::Condition) => match self.get_integration(integration).await? {
                Some(_) => Ok(false),
                None => Err(StoreError(format!(
                    "DynamoDB table {}: record secret rotation of integration {integration}: \
                     no such item",
                    self.table
                ))),
            },
            Err(UpdateFailure::TransactionConflict) => Err(StoreError(format!(
                "DynamoDB table {}: record secret rotation of integration {integration}: \
                 another transaction was writing it; try again",
                self.table
            ))),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }

    async fn history(&self, integration: &str, limit: usize) -> StoreResult<Vec<HistoryEntry>> {
        let pk = schema::history_pk(integration);
        let items = self
            .query(Query::partition(&pk).newest_first(limit))
            .await?;
        self.decode_all(&items, schema::decode_history)
    }

    async fn open_incidents(&self) -> StoreResult<Vec<Incident>> {
        Ok(self.open_incident_listing().await?.incidents)
    }

    async fn open_incident_listing(&self) -> StoreResult<IncidentListing> {
        // The sparse index holds open incidents only, sorted by `{opened_at}#{id}`.
        let query = Query {
            index: Some(schema::GSI_NAME),
            ..Query::partition(schema::OPEN_GSI_PK)
        };
        let items = self.query(query).await?;
        let mut listing = IncidentListing::default();
        for item in &items {
            match schema::decode_incident_item(item) {
                Ok(incident) => listing.incidents.push(incident),
                Err(corrupt) => {
                    let unreadable = UnreadableItem {
                        integration: schema::item_incident_integration(item).map(str::to_string),
                        key: corrupt.label,
                        field: corrupt.field,
                        problem: corrupt.problem,
                    };
                    tracing::error!(
                        table = %self.table,
                        item = %unreadable.key,
                        field = %unreadable.field,
                        problem = %unreadable.problem,
                        "open incident item cannot be read; listed apart"
                    );
                    listing.unreadable.push(unreadable);
                }
            }
        }
        Ok(listing)
    }

    async fn incidents_of(&self, integration: &str) -> StoreResult<Vec<Incident>> {
        let pk = schema::incident_pk(integration);
        let items = self.query(Query::partition(&pk)).await?;
        let mut incidents = self.decode_all(&items, schema::decode_incident)?;
        // Sort keys order by check, then sequence; the contract is oldest first.
        incidents.sort_by(|a, b| (a.opened_at, &a.id).cmp(&(b.opened_at, &b.id)));
        Ok(incidents)
    }

    async fn list_teams(&self) -> StoreResult<Vec<Team>> {
        let items = self
            .query(Query::partition(schema::INVENTORY_PK).prefix(schema::TEAM_PREFIX))
            .await?;
        self.decode_all(&items, schema::decode_team)
    }

    async fn put_team(&self, team: &Team) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(schema::team_item(team)))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                self.failed(
                    "PutItem",
                    &schema::describe_key(&schema::team_key(&team.id)),
                    error_detail(&err),
                )
            })
    }

    async fn delete_team(&self, id: &str) -> StoreResult<()> {
        self.delete_item(&schema::team_key(id)).await
    }

    async fn put_integration(
        &self,
        integration: &Integration,
        now: DateTime<Utc>,
        first_probe_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let key = schema::integration_key(&integration.id);
        // Re-applying an inventory mostly finds the item: update first, create if absent. Each
        // step is conditional, so a concurrent create or prune sends us round again.
        for _ in 0..3 {
            let mut fields = schema::inventory_fields(integration);
            fields.extend(schema::unretired_fields());
            match self
                .update(
                    UpdateSpec::new(key.clone())
                        .fields(fields)
                        .condition(exists),
                )
                .await
            {
                Ok(()) => return Ok(()),
                Err(UpdateFailure::Condition) => {}
                Err(UpdateFailure::TransactionConflict) => tokio::time::sleep(backoff(1)).await,
                Err(UpdateFailure::Other(err)) => return Err(err),
            }
            if self
                .put_new(
                    schema::new_integration_item(integration, now, first_probe_at),
                    &key,
                )
                .await?
            {
                return Ok(());
            }
        }
        Err(StoreError(format!(
            "DynamoDB table {}: integration {} kept appearing and disappearing while being written",
            self.table, integration.id
        )))
    }

    async fn replace_integration(
        &self,
        integration: &Integration,
        now: DateTime<Utc>,
        state: &CheckState,
    ) -> StoreResult<()> {
        let key = schema::integration_key(&integration.id);
        let item = schema::replacement_item(integration, now, state);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| self.failed("PutItem", &schema::describe_key(&key), error_detail(&err)))
    }

    async fn open_incident(&self, incident: &Incident) -> StoreResult<bool> {
        let key = schema::incident_key(incident.id.as_str()).ok_or_else(|| {
            StoreError(format!(
                "incident id {:?} is not of the form integration:check:seq",
                incident.id
            ))
        })?;
        let item = schema::incident_item(incident).expect("the id was checked above");
        let mut expr = Expr::default();
        // Absent, or resolved (a problem that came back): opened once per occurrence.
        let condition = format!(
            "{} OR {} = {}",
            absent(&mut expr),
            expr.name(schema::OPEN),
            expr.value(schema::boolean(false))
        );
        self.put_if(item, &key, expr, condition).await
    }

    async fn resolve_incident(
        &self,
        id: &str,
        message: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some(key) = schema::incident_key(id) else {
            return Ok(false);
        };
        let fields = schema::resolved_fields(message, at);
        self.update_if_open(UpdateSpec::new(key).fields(fields))
            .await
    }

    async fn reassign_incident(
        &self,
        id: &str,
        team: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some(key) = schema::incident_key(id) else {
            return Ok(false);
        };
        self.update_if_open(UpdateSpec::new(key).fields(schema::reassign_fields(team, at)))
            .await
    }

    async fn retire_integration(&self, id: &str, now: DateTime<Utc>) -> StoreResult<()> {
        // Retiring again keeps the first retirement time.
        let update = UpdateSpec::new(schema::integration_key(id))
            .set(schema::RETIRED, schema::boolean(true))
            .set_if_absent(schema::RETIRED_AT, schema::time(now));
        self.update_existing(update, &format!("retire integration {id}"))
            .await
    }

    async fn prune_integration(&self, id: &str) -> StoreResult<()> {
        // Children first: if this fails part-way, the integration is still listed and a rerun
        // of the prune finds what is left.
        for pk in [schema::history_pk(id), schema::incident_pk(id)] {
            let keys = self
                .query(Query {
                    keys_only: true,
                    ..Query::partition(&pk)
                })
                .await?;
            self.delete_keys(keys, &format!("pk={pk}")).await?;
        }
        self.delete_item(&schema::integration_key(id)).await
    }
}

/// One pass of a commit.
enum Attempt {
    Done(CommitOutcome),
    /// Collided with another in-flight transaction on the item; nothing was written.
    Collided,
}

enum UpdateFailure {
    Condition,
    TransactionConflict,
    Other(StoreError),
}

/// What went wrong in a request: DynamoDB's error code and message for a service error (they
/// name keys at most, never item values); the innermost cause for anything else (timeout,
/// connection, credentials), in one line (see [`crate::aws_error`]).
pub(crate) fn error_detail<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug + 'static,
{
    crate::aws_error::describe(err)
}

/// Exponential backoff with jitter, 25 ms .. ~1.6 s.
fn backoff(attempt: u32) -> Duration {
    let base = 25u64 << attempt.min(6);
    Duration::from_millis(base + fastrand::u64(0..base))
}

/// Expression placeholders: `#n0`.. for attribute names, `:v0`.. for values.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    fn name(&mut self, attribute: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| *a == attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names
            .insert(placeholder.clone(), attribute.to_string());
        placeholder
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }
}

/// Condition: the item exists.
fn exists(expr: &mut Expr) -> String {
    format!("attribute_exists({})", expr.name(schema::PK))
}

/// Condition: no item with this key yet.
fn absent(expr: &mut Expr) -> String {
    format!("attribute_not_exists({})", expr.name(schema::PK))
}

/// A partial, conditional update of one item.
struct UpdateSpec {
    key: Key,
    expr: Expr,
    set: Vec<String>,
    remove: Vec<String>,
    condition: Option<String>,
}

impl UpdateSpec {
    fn new(key: Key) -> Self {
        UpdateSpec {
            key,
            expr: Expr::default(),
            set: Vec::new(),
            remove: Vec::new(),
            condition: None,
        }
    }

    fn set(mut self, attribute: &str, value: AttributeValue) -> Self {
        let (name, value) = (self.expr.name(attribute), self.expr.value(value));
        self.set.push(format!("{name} = {value}"));
        self
    }

    fn set_if_absent(mut self, attribute: &str, value: AttributeValue) -> Self {
        let (name, value) = (self.expr.name(attribute), self.expr.value(value));
        self.set
            .push(format!("{name} = if_not_exists({name}, {value})"));
        self
    }

    /// SETs the present fields, REMOVEs the absent ones.
    fn fields(self, fields: Fields) -> Self {
        fields
            .into_iter()
            .fold(self, |update, (attribute, value)| match value {
                Some(value) => update.set(attribute, value),
                None => update.remove(attribute),
            })
    }

    fn remove(mut self, attribute: &str) -> Self {
        let name = self.expr.name(attribute);
        self.remove.push(name);
        self
    }

    /// ANDs a condition, built with this update's placeholders.
    fn condition(mut self, make: impl FnOnce(&mut Expr) -> String) -> Self {
        let condition = make(&mut self.expr);
        self.condition = Some(match self.condition.take() {
            Some(existing) => format!("({existing}) AND ({condition})"),
            None => condition,
        });
        self
    }

    fn expression(&self) -> String {
        let mut clauses = Vec::new();
        if !self.set.is_empty() {
            clauses.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.remove.is_empty() {
            clauses.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        clauses.join(" ")
    }

    fn transact(self, table: &str) -> StoreResult<TransactWriteItem> {
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(schema::key_item(&self.key)))
            .update_expression(self.expression())
            .set_condition_expression(self.condition)
            .set_expression_attribute_names(Some(self.expr.names))
            .set_expression_attribute_values(Some(self.expr.values).filter(|v| !v.is_empty()))
            .build()
            .map_err(|err| {
                StoreError(format!(
                    "DynamoDB TransactWriteItems on table {table} ({}): {err}",
                    schema::describe_key(&self.key),
                ))
            })?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

/// A Query of one partition.
#[derive(Clone, Copy)]
struct Query<'a> {
    index: Option<&'a str>,
    pk: &'a str,
    sk_prefix: Option<&'a str>,
    newest_first: bool,
    limit: Option<usize>,
    keys_only: bool,
}

impl<'a> Query<'a> {
    fn partition(pk: &'a str) -> Self {
        Query {
            index: None,
            pk,
            sk_prefix: None,
            newest_first: false,
            limit: None,
            keys_only: false,
        }
    }

    fn prefix(self, sk_prefix: &'a str) -> Self {
        Query {
            sk_prefix: Some(sk_prefix),
            ..self
        }
    }

    fn newest_first(self, limit: usize) -> Self {
        Query {
            newest_first: true,
            limit: Some(limit),
            ..self
        }
    }
}
