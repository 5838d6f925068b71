//! [`Groups`] on DynamoDB: one item per group, `GROUP#{key}` / `window`.
//!
//! Requests per join: one UpdateItem that opens a new window when none is open
//! (`attribute_not_exists(pk) OR window_end <= :now`); when one is open, a second UpdateItem
//! that takes the next place (`joined + 1`, condition `window_end > :now`), both returning
//! the item as written (`ALL_NEW`), so every joiner learns its own place atomically. A window
//! that closes between the two is opened again (at most three rounds). The item expires a
//! day after its window ([`GROUP_TTL_DAYS`]).

use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, TimeDelta, Utc};

use super::super::attributes::{JOINED, LEADER, WINDOW_END, WINDOW_START};
use super::super::expr::UpdateSpec;
use super::super::group::decode_window;
use super::super::keys::{PK, TTL_ATTRIBUTE, describe_key, group_key, key_item};
use super::super::value::{expiry_after, n, s, time};
use super::DynamoStore;
use crate::domain::incident::IncidentId;
use crate::rules::grouping::{GroupKey, Slot, window_end};
use crate::store::error::{StoreError, StoreResult};
use crate::store::roles::Groups;

/// A window item is kept this long after its window closes.
pub const GROUP_TTL_DAYS: i64 = 1;

impl Groups for DynamoStore {
    async fn join_group(
        &self,
        key: &GroupKey,
        incident: &IncidentId,
        now: DateTime<Utc>,
        wait: TimeDelta,
    ) -> StoreResult<Slot> {
        let item_key = group_key(key);
        let end = window_end(now, wait);
        for _ in 0..3 {
            let open = UpdateSpec::new(item_key.clone())
                .set(WINDOW_START, time(now))
                .set(WINDOW_END, time(end))
                .set(JOINED, n(1))
                .set(LEADER, s(incident.as_str()))
                .set(TTL_ATTRIBUTE, expiry_after(end, GROUP_TTL_DAYS))
                .condition(|e| {
                    format!(
                        "attribute_not_exists({}) OR {} <= {}",
                        e.name(PK),
                        e.name(WINDOW_END),
                        e.value(time(now))
                    )
                });
            if let Some(slot) = self.join(open).await? {
                return Ok(slot);
            }
            let next = UpdateSpec::new(item_key.clone()).condition(|e| {
                format!("{} > {}", e.name(WINDOW_END), e.value(time(now)))
            });
            let next = add_one(next);
            if let Some(slot) = self.join(next).await? {
                return Ok(slot);
            }
        }
        Err(StoreError::retryable(format!(
            "DynamoDB table {}: group window {} kept closing and opening while joining",
            self.table,
            describe_key(&item_key)
        )))
    }
}

/// `SET joined = joined + :one` on `update`.
fn add_one(mut update: UpdateSpec) -> UpdateSpec {
    let (name, one) = (update.expr.name(JOINED), update.expr.value(n(1)));
    update.push_set(format!("{name} = {name} + {one}"));
    update
}

impl DynamoStore {
    /// One conditional join: the slot as written, `None` when its condition failed.
    async fn join(&self, update: UpdateSpec) -> StoreResult<Option<Slot>> {
        let shown = describe_key(&update.key);
        let answer = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&update.key)))
            .update_expression(update.expression())
            .set_condition_expression(update.condition.clone())
            .set_expression_attribute_names(Some(update.expr.names.clone()))
            .set_expression_attribute_values(
                Some(update.expr.values.clone()).filter(|v| !v.is_empty()),
            )
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match answer {
            Ok(output) => {
                let item = output.attributes.unwrap_or_default();
                decode_window(&item)
                    .map(Some)
                    .map_err(|unreadable| StoreError::corrupt(&format!("DynamoDB table {}", self.table), unreadable))
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(err) => Err(self.failed("UpdateItem", &shown, &err)),
        }
    }
}
