//! [`Silences`] on DynamoDB.
//!
//! Requests: `put_silence` one conditional PutItem (`attribute_not_exists(pk)`); `silences`
//! one Query of the `SILENCE` partition (more pages only past 1 MB), reading at most
//! [`MAX_SILENCES`](crate::store::invariants::MAX_SILENCES) + 1 items so that too many is told,
//! not truncated; `expire_silence` one UpdateItem conditional on the silence existing, not
//! expired and not run out (`ends_at > at`: fixed-width timestamps compare as times), returning
//! the new item, plus one GetItem when the condition fails (to tell "no such silence" from
//! "already ended").

use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};

use super::super::attributes::{ENDS_AT, EXPIRED_AT, EXPIRED_BY};
use super::super::expr::{Expr, Query, UpdateSpec, exists};
use super::super::keys::{SILENCE_PK, TTL_ATTRIBUTE, describe_key, key_item, silence_key};
use super::super::silence::{decode_silence, silence_item};
use super::super::value::{expiry_after, s, time};
use super::DynamoStore;
use crate::domain::silence::{Silence, SilenceId};
use crate::store::error::{StoreError, StoreResult};
use crate::store::invariants::{SILENCE_RETENTION_DAYS, stored_time, too_many_silences};
use crate::store::roles::Silences;
use crate::store::{ExpireOutcome, SilenceListing};

impl Silences for DynamoStore {
    async fn put_silence(&self, silence: &Silence) -> StoreResult<()> {
        let key = silence_key(&silence.id);
        // What is written must read back: an invalid silence would be a corrupt item.
        silence.check().map_err(|err| {
            StoreError::permanent(format!(
                "DynamoDB PutItem on table {} ({}) refused: the silence {}",
                self.table,
                describe_key(&key),
                err.rule()
            ))
        })?;
        if self.put_new(silence_item(silence), &key).await? {
            Ok(())
        } else {
            Err(StoreError::conflict(format!(
                "DynamoDB table {}: silence {} already exists ({})",
                self.table,
                silence.id,
                describe_key(&key)
            )))
        }
    }

    async fn silences(&self) -> StoreResult<SilenceListing> {
        let max = self.max_silences;
        let items = self
            .query(Query::partition(SILENCE_PK).at_most(max.saturating_add(1)))
            .await?;
        if items.len() > max {
            return Err(too_many_silences(
                &format!("DynamoDB table {}", self.table),
                max,
            ));
        }
        let mut listing = SilenceListing::default();
        for item in &items {
            match decode_silence(item) {
                Ok(silence) => listing.silences.push(silence),
                Err(unreadable) => {
                    tracing::error!(
                        table = %self.table,
                        item = %unreadable.key,
                        field = %unreadable.field,
                        problem = %unreadable.problem,
                        "silence item cannot be read; listed apart"
                    );
                    listing.unreadable.push(unreadable);
                }
            }
        }
        listing
            .silences
            .sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
        Ok(listing)
    }

    async fn expire_silence(
        &self,
        id: &SilenceId,
        at: DateTime<Utc>,
        by: Option<&str>,
    ) -> StoreResult<ExpireOutcome> {
        let key = silence_key(id);
        let at = stored_time(at);
        let mut update = UpdateSpec::new(key.clone())
            .set(EXPIRED_AT, time(at))
            // The effective end is now `at` (the condition holds `at < ends_at`).
            .set(TTL_ATTRIBUTE, expiry_after(at, SILENCE_RETENTION_DAYS));
        if let Some(by) = by {
            update = update.set(EXPIRED_BY, s(by));
        }
        let update = update.condition(|e: &mut Expr| {
            format!(
                "{} AND attribute_not_exists({}) AND {} > {}",
                exists(e),
                e.name(EXPIRED_AT),
                e.name(ENDS_AT),
                e.value(time(at))
            )
        });
        let shown = describe_key(&key);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&update.key)))
            .update_expression(update.expression())
            .set_condition_expression(update.condition.clone())
            .set_expression_attribute_names(Some(update.expr.names.clone()))
            .set_expression_attribute_values(Some(update.expr.values.clone()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item = output.attributes.unwrap_or_default();
                let silence = decode_silence(&item).map_err(|e| self.corrupt(e))?;
                Ok(ExpireOutcome::Expired(silence))
            }
            Err(err) => {
                let service = err.as_service_error();
                if service.is_some_and(|e| e.is_conditional_check_failed_exception()) {
                    Ok(match self.get_decoded(&key, decode_silence).await? {
                        Some(silence) => ExpireOutcome::AlreadyEnded(silence),
                        None => ExpireOutcome::NotFound,
                    })
                } else if service.is_some_and(|e| e.is_transaction_conflict_exception()) {
                    Err(self.collided("", &shown))
                } else {
                    Err(self.failed("UpdateItem", &shown, &err))
                }
            }
        }
    }
}
