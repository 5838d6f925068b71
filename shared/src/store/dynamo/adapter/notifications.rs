//! [`Notifications`] on DynamoDB.
//!
//! Requests: `record_notification` one conditional PutItem (`attribute_not_exists(pk)`);
//! `update_delivery` one UpdateItem conditional on `revision`; `due_notifications` one Query
//! of the sparse index (`gsi1pk = PENDING AND gsi1sk < {now}$`, projection ALL, so no GetItem
//! follows), more pages only past `limit` readable items or 1 MB; `notifications_of` one Query
//! of the incident's `NTF#` partition; `record_audit` one unconditional PutItem (its key is
//! the entry's source, so writing it again is writing the same item).
//!
//! `record_slack_post` one UpdateItem of the `slack_post` attribute alone, conditional on the
//! item existing.
//!
//! `update_delivery` of a notification that is not on record writes nothing and is `Ok(false)`,
//! like a stale revision. The index is eventually consistent: a notification just marked sent
//! may still be listed as due for a moment; the revision condition of the sweep's next update
//! then refuses it (`Ok(false)`), so it is never published twice for that reason.

use chrono::{DateTime, Utc};

use super::super::attributes::REVISION;
use super::super::attributes::SLACK_POST;
use super::super::audit::audit_item;
use super::super::expr::{Expr, Query, UpdateSpec, exists};
use super::super::keys::{
    GSI_NAME, GSI_PK, GSI_SK, Key, PENDING_GSI_PK, audit_key, describe_key, notification_pk,
    pending_due_bound,
};
use super::super::notification::{
    decode_notification, delivery_fields, notification_id_key, notification_item, record_key,
    slack_post_value,
};
use super::super::value::{Item, n, s};
use super::{DynamoStore, UpdateFailure};
use crate::domain::incident::IncidentId;
use crate::notify::delivery::{AuditEntry, Delivery, NotificationRecord, SlackPost};
use crate::notify::notification::NotificationId;
use crate::store::error::{StoreError, StoreResult};
use crate::store::roles::Notifications;
use crate::store::{DueNotifications, NotificationListing, UnreadableItem};

impl DynamoStore {
    /// A write credwatch refuses to make (a broken invariant of the caller): permanent.
    fn refused(&self, operation: &str, key: &Key, problem: &str) -> StoreError {
        StoreError::permanent(format!(
            "DynamoDB {operation} on table {} ({}) refused: {problem}",
            self.table,
            describe_key(key)
        ))
    }

    /// Logs an unreadable notification item (key, attribute, problem; never its values).
    fn unreadable_notification(&self, unreadable: &UnreadableItem) {
        tracing::error!(
            table = %self.table,
            item = %unreadable.key,
            field = %unreadable.field,
            problem = %unreadable.problem,
            "notification item cannot be read; listed apart"
        );
    }
}

impl Notifications for DynamoStore {
    async fn record_notification(&self, record: &NotificationRecord) -> StoreResult<bool> {
        let key = record_key(record);
        let item = notification_item(record).map_err(|p| self.refused("PutItem", &key, &p))?;
        self.put_new(item, &key).await
    }

    async fn update_delivery(
        &self,
        id: &NotificationId,
        expected_revision: u64,
        delivery: &Delivery,
    ) -> StoreResult<bool> {
        let Some(key) = notification_id_key(id) else {
            return Err(StoreError::permanent(format!(
                "DynamoDB table {}: notification id {id:?} names no incident \
                 (`{{integration}}:{{check}}:{{seq}}/{{event}}...`)",
                self.table
            )));
        };
        if expected_revision.checked_add(1) != Some(delivery.revision) {
            return Err(self.refused(
                "UpdateItem",
                &key,
                &format!(
                    "a delivery update must carry revision {expected_revision} + 1, not {}",
                    delivery.revision
                ),
            ));
        }
        let fields =
            delivery_fields(id, delivery).map_err(|p| self.refused("UpdateItem", &key, &p))?;
        let shown = describe_key(&key);
        let update = UpdateSpec::new(key)
            .fields(fields)
            .condition(|e: &mut Expr| {
                let revision = (e.name(REVISION), e.value(n(expected_revision)));
                format!("{} AND {} = {}", exists(e), revision.0, revision.1)
            });
        match self.update(update).await {
            Ok(()) => Ok(true),
            // Moved by another writer, or absent: nothing written either way.
            Err(UpdateFailure::Condition) => Ok(false),
            Err(UpdateFailure::TransactionConflict) => Err(self.collided("", &shown)),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }

    async fn record_slack_post(&self, id: &NotificationId, post: &SlackPost) -> StoreResult<bool> {
        let Some(key) = notification_id_key(id) else {
            // Never written by credwatch (see update_delivery): nothing to record it on.
            return Ok(false);
        };
        let shown = describe_key(&key);
        let update = UpdateSpec::new(key)
            .fields(vec![(SLACK_POST, Some(slack_post_value(post)))])
            .condition(exists);
        match self.update(update).await {
            Ok(()) => Ok(true),
            Err(UpdateFailure::Condition) => Ok(false),
            Err(UpdateFailure::TransactionConflict) => Err(self.collided("", &shown)),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }

    async fn due_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<DueNotifications> {
        let mut expr = Expr::default();
        let condition = format!(
            "{} = {} AND {} < {}",
            expr.name(GSI_PK),
            expr.value(s(PENDING_GSI_PK)),
            expr.name(GSI_SK),
            expr.value(s(pending_due_bound(now)))
        );
        let what = format!("pk={PENDING_GSI_PK} in index {GSI_NAME}");
        let mut found = DueNotifications::default();
        let mut start = None;
        // Unreadable items do not count towards `limit`: a few corrupt items at the head of
        // the index never hide the due ones behind them.
        while found.due.len() < limit {
            let remaining = limit - found.due.len();
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI_NAME)
                .key_condition_expression(&condition)
                .set_expression_attribute_names(Some(expr.names.clone()))
                .set_expression_attribute_values(Some(expr.values.clone()))
                .scan_index_forward(true)
                .limit(i32::try_from(remaining).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| self.failed("Query", &what, &err))?;
            for item in page.items.unwrap_or_default() {
                match decode_notification(&item) {
                    Ok(record) => found.due.push(record),
                    Err(unreadable) => {
                        self.unreadable_notification(&unreadable);
                        found.unreadable.push(unreadable);
                    }
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(found)
    }

    async fn notifications_of(
        &self,
        incident: &IncidentId,
    ) -> StoreResult<Vec<NotificationRecord>> {
        Ok(self.notification_listing(incident).await?.records)
    }

    async fn notification_listing(
        &self,
        incident: &IncidentId,
    ) -> StoreResult<NotificationListing> {
        let pk = notification_pk(incident);
        let items: Vec<Item> = self.query(Query::partition(&pk)).await?;
        let mut listing = NotificationListing::default();
        for item in &items {
            match decode_notification(item) {
                Ok(record) => listing.records.push(record),
                Err(unreadable) => {
                    self.unreadable_notification(&unreadable);
                    listing.unreadable.push(unreadable);
                }
            }
        }
        // Sort keys order by id text; the contract is oldest first.
        listing
            .records
            .sort_by(|a, b| (a.created_at, a.id()).cmp(&(b.created_at, b.id())));
        Ok(listing)
    }

    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        // Refused before its key is ever shown: an overlong source id is not echoed.
        let item = audit_item(entry).map_err(|problem| {
            StoreError::permanent(format!(
                "DynamoDB PutItem on table {} (an audit entry) refused: {problem}",
                self.table
            ))
        })?;
        let key = audit_key(&entry.source_id, entry.decision);
        self.put(item, &key).await
    }
}
