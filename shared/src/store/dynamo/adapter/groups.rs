//! [`Groups`] on DynamoDB: one item per group, `GROUP#{key}` / `window` (see
//! [`super::super::group`]).
//!
//! Requests per join: one UpdateItem that opens a new window when none is open
//! (`attribute_not_exists(pk) OR (window_end <= :now AND NOT contains(members, :me))`); when one is open, a second UpdateItem
//! that appends the joiner (`list_append`, `joined + 1`, condition `window_end > :now AND NOT
//! contains(members, :me)`), both returning the item as written (`ALL_NEW`), so every joiner
//! learns its own place atomically. When both conditions fail the joiner is already a member
//! (a retried stream record) and one consistent GetItem gives its place: joining is
//! idempotent. A window that closes in between is opened again (at most three rounds). The
//! item expires a day after its window ([`GROUP_TTL_DAYS`]).

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, TimeDelta, Utc};

use super::super::attributes::{JOINED, LEADER, MEMBERS, WINDOW_END, WINDOW_START};
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
        let me = || AttributeValue::L(vec![s(incident.as_str())]);
        for _ in 0..3 {
            let open = UpdateSpec::new(item_key.clone())
                .set(WINDOW_START, time(now))
                .set(WINDOW_END, time(end))
                .set(JOINED, n(1))
                .set(LEADER, s(incident.as_str()))
                .set(MEMBERS, me())
                .set(TTL_ATTRIBUTE, expiry_after(end, GROUP_TTL_DAYS))
                .condition(|e| {
                    // A member of a closed window (a retried record) keeps its place there.
                    format!(
                        "attribute_not_exists({}) OR ({} <= {} AND NOT contains({}, {}))",
                        e.name(PK),
                        e.name(WINDOW_END),
                        e.value(time(now)),
                        e.name(MEMBERS),
                        e.value(s(incident.as_str()))
                    )
                });
            if let Some(slot) = self.join(open, incident).await? {
                return Ok(slot);
            }
            let mut append = UpdateSpec::new(item_key.clone()).condition(|e| {
                format!(
                    "{} > {} AND NOT contains({}, {})",
                    e.name(WINDOW_END),
                    e.value(time(now)),
                    e.name(MEMBERS),
                    e.value(s(incident.as_str()))
                )
            });
            let (members, joined) = (append.expr.name(MEMBERS), append.expr.name(JOINED));
            let (list, one) = (append.expr.value(me()), append.expr.value(n(1)));
            append.push_set(format!("{members} = list_append({members}, {list})"));
            append.push_set(format!("{joined} = {joined} + {one}"));
            if let Some(slot) = self.join(append, incident).await? {
                return Ok(slot);
            }
            if let Some(slot) = self.member_slot(&item_key, incident).await? {
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

impl DynamoStore {
    /// One conditional join: the joiner's slot as written, `None` when its condition failed.
    async fn join(&self, update: UpdateSpec, me: &IncidentId) -> StoreResult<Option<Slot>> {
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
                match decode_window(&item, me) {
                    Ok(Some(slot)) => Ok(Some(slot)),
                    Ok(None) => Err(StoreError::permanent(format!(
                        "DynamoDB table {}: group window {shown} does not list the joiner it \
                         was just written with",
                        self.table
                    ))),
                    Err(unreadable) => Err(StoreError::corrupt(
                        &format!("DynamoDB table {}", self.table),
                        unreadable,
                    )),
                }
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

    /// The joiner's place in the window as stored now (consistent read), if it is a member.
    async fn member_slot(
        &self,
        key: &super::super::keys::Key,
        me: &IncidentId,
    ) -> StoreResult<Option<Slot>> {
        let shown = describe_key(key);
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.failed("GetItem", &shown, &err))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        decode_window(&item, me).map_err(|unreadable| {
            StoreError::corrupt(&format!("DynamoDB table {}", self.table), unreadable)
        })
    }
}
