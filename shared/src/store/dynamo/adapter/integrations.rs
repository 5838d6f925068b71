//! [`Integrations`] on DynamoDB.

use chrono::{DateTime, Utc};

use super::super::attributes::{RETIRED, RETIRED_AT};
use super::super::expr::{Query, UpdateSpec, exists};
use super::super::integration::{
    decode_integration, inventory_fields, new_integration_item, replacement_item, unretired_fields,
};
use super::super::keys::{
    INTEGRATION_PREFIX, INVENTORY_PK, history_pk, incident_pk, integration_key, item_key_id,
};
use super::super::value::{boolean, time};
use super::{DynamoStore, UpdateFailure, backoff};
use crate::domain::state::CheckState;
use crate::inventory::Integration;
use crate::store::error::{StoreError, StoreResult};
use crate::store::roles::Integrations;
use crate::store::{IntegrationListing, IntegrationRecord, UnreadableIntegration};

impl Integrations for DynamoStore {
    async fn list_integrations(&self) -> StoreResult<IntegrationListing> {
        let items = self
            .query(Query::partition(INVENTORY_PK).prefix(INTEGRATION_PREFIX))
            .await?;
        // Sort keys `INT#{id}` come back in id order. One undecodable item is set apart (and
        // logged), never allowed to hide the others.
        let mut listing = IntegrationListing::default();
        for item in &items {
            match decode_integration(item) {
                Ok(record) => listing.records.push(record),
                Err(unreadable) => {
                    let id = item_key_id(item).unwrap_or(&unreadable.key).to_string();
                    tracing::error!(
                        table = %self.table,
                        // The key is whatever was written: escaped and capped for the log.
                        integration = %crate::text::printable::echo(&id),
                        field = %unreadable.field,
                        problem = %unreadable.problem,
                        "integration item cannot be read; skipped"
                    );
                    listing.unreadable.push(UnreadableIntegration {
                        id,
                        field: unreadable.field,
                        problem: unreadable.problem,
                    });
                }
            }
        }
        Ok(listing)
    }

    async fn get_integration(&self, id: &str) -> StoreResult<Option<IntegrationRecord>> {
        self.get_decoded(&integration_key(id), decode_integration)
            .await
    }

    async fn put_integration(
        &self,
        integration: &Integration,
        now: DateTime<Utc>,
        first_probe_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let key = integration_key(&integration.id);
        // Re-applying an inventory mostly finds the item: update first, create if absent. Each
        // step is conditional, so a concurrent create or prune sends us round again.
        for _ in 0..3 {
            let mut fields = inventory_fields(integration);
            fields.extend(unretired_fields());
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
                .put_new(new_integration_item(integration, now, first_probe_at), &key)
                .await?
            {
                return Ok(());
            }
        }
        Err(StoreError::conflict(format!(
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
        let key = integration_key(&integration.id);
        self.put(replacement_item(integration, now, state), &key)
            .await
    }

    async fn retire_integration(&self, id: &str, now: DateTime<Utc>) -> StoreResult<()> {
        // Retiring again keeps the first retirement time.
        let update = UpdateSpec::new(integration_key(id))
            .set(RETIRED, boolean(true))
            .set_if_absent(RETIRED_AT, time(now));
        self.update_existing(update, &format!("retire integration {id}"))
            .await
    }

    async fn prune_integration(&self, id: &str) -> StoreResult<()> {
        // Children first: if this fails part-way, the integration is still listed and a rerun
        // of the prune finds what is left.
        for pk in [history_pk(id), incident_pk(id)] {
            let keys = self
                .query(Query {
                    keys_only: true,
                    ..Query::partition(&pk)
                })
                .await?;
            self.delete_keys(keys, &format!("pk={pk}")).await?;
        }
        self.delete_item(&integration_key(id)).await
    }
}
