//! [`Incidents`] on DynamoDB.

use chrono::{DateTime, Utc};

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::super::attributes::{ACK, OPEN};
use super::super::expr::{Expr, Query, UpdateSpec, absent, exists};
use super::super::incident::{
    ack_value, decode_incident, incident_item, reassign_fields, resolved_fields,
};
use super::super::keys::{
    GSI_NAME, OPEN_GSI_PK, describe_key, incident_id_key, incident_key, incident_pk, key_item,
};
use super::super::value::boolean;
use super::{DynamoStore, UpdateFailure};
use crate::domain::incident::{Acknowledgement, IncidentId};
use crate::store::error::{StoreError, StoreResult};
use crate::store::roles::Incidents;
use crate::store::{AckOutcome, Incident, IncidentListing};

impl DynamoStore {
    /// An update of an incident that applies only while it is open; false if it was not.
    async fn update_if_open(&self, update: UpdateSpec) -> StoreResult<bool> {
        let key = describe_key(&update.key);
        let update = update.condition(open_condition);
        match self.update(update).await {
            Ok(()) => Ok(true),
            Err(UpdateFailure::Condition) => Ok(false),
            Err(UpdateFailure::TransactionConflict) => Err(self.collided("", &key)),
            Err(UpdateFailure::Other(err)) => Err(err),
        }
    }

    /// An ack write (`update`, conditional on the incident being open) that answers with the
    /// item after it (ReturnValues ALL_NEW) or, when the condition fails, the item as it is
    /// (ReturnValuesOnConditionCheckFailure ALL_OLD: absent means no such incident), both
    /// read by the one incident decoder. One UpdateItem, no read before or after.
    async fn ack_write(&self, update: UpdateSpec) -> StoreResult<AckOutcome> {
        let update = update.condition(open_condition);
        let key = describe_key(&update.key);
        let result = self
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
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let decode = |item: &_| decode_incident(item).map_err(|e| self.corrupt(e));
        match result {
            Ok(output) => match output.attributes {
                Some(item) => Ok(AckOutcome::Done(decode(&item)?)),
                None => Err(StoreError::permanent(format!(
                    "DynamoDB UpdateItem on table {} ({key}) answered without the item \
                     (ReturnValues ALL_NEW)",
                    self.table
                ))),
            },
            Err(err) => {
                let service = err.as_service_error();
                if let Some(failed) = service.and_then(|e| match e {
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(f) => Some(f),
                    _ => None,
                }) {
                    return match failed.item() {
                        None => Ok(AckOutcome::NotFound),
                        Some(item) => Ok(AckOutcome::Resolved(decode(item)?)),
                    };
                }
                if service.is_some_and(|e| e.is_transaction_conflict_exception()) {
                    return Err(self.collided("", &key));
                }
                Err(self.failed("UpdateItem", &key, &err))
            }
        }
    }
}

/// Condition: the incident exists and is open.
pub(super) fn open_condition(e: &mut Expr) -> String {
    let open = (e.name(OPEN), e.value(boolean(true)));
    format!("{} AND {} = {}", exists(e), open.0, open.1)
}

impl Incidents for DynamoStore {
    async fn open_incidents(&self) -> StoreResult<Vec<Incident>> {
        Ok(self.open_incident_listing().await?.incidents)
    }

    async fn open_incident_listing(&self) -> StoreResult<IncidentListing> {
        // The sparse index holds open incidents only, sorted by `{opened_at}#{id}`.
        let query = Query {
            index: Some(GSI_NAME),
            ..Query::partition(OPEN_GSI_PK)
        };
        let items = self.query(query).await?;
        let mut listing = IncidentListing::default();
        for item in &items {
            match decode_incident(item) {
                Ok(incident) => listing.incidents.push(incident),
                Err(unreadable) => {
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

    async fn get_incident(&self, id: &IncidentId) -> StoreResult<Option<Incident>> {
        self.get_decoded(&incident_id_key(id), decode_incident)
            .await
    }

    async fn incidents_of(&self, integration: &str) -> StoreResult<Vec<Incident>> {
        let pk = incident_pk(integration);
        let items = self.query(Query::partition(&pk)).await?;
        let mut incidents = self.decode_all(&items, decode_incident);
        // Sort keys order by check, then sequence; the contract is oldest first.
        incidents.sort_by(|a, b| (a.opened_at, &a.id).cmp(&(b.opened_at, &b.id)));
        Ok(incidents)
    }

    async fn open_incident(&self, incident: &Incident) -> StoreResult<bool> {
        let (Some(key), Some(item)) = (incident_key(incident.id.as_str()), incident_item(incident))
        else {
            return Err(StoreError::permanent(format!(
                "incident id {:?} is not of the form integration:check:seq",
                incident.id
            )));
        };
        let mut expr = Expr::default();
        // Absent, or resolved (a problem that came back): opened once per occurrence.
        let condition = format!(
            "{} OR {} = {}",
            absent(&mut expr),
            expr.name(OPEN),
            expr.value(boolean(false))
        );
        self.put_if(item, &key, expr, condition).await
    }

    async fn resolve_incident(
        &self,
        id: &str,
        message: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some(key) = incident_key(id) else {
            return Ok(false);
        };
        self.update_if_open(UpdateSpec::new(key).fields(resolved_fields(message, at)))
            .await
    }

    async fn reassign_incident(
        &self,
        id: &str,
        team: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some(key) = incident_key(id) else {
            return Ok(false);
        };
        self.update_if_open(UpdateSpec::new(key).fields(reassign_fields(team, at)))
            .await
    }

    async fn acknowledge(&self, id: &IncidentId, ack: &Acknowledgement) -> StoreResult<AckOutcome> {
        self.ack_write(UpdateSpec::new(incident_id_key(id)).set(ACK, ack_value(ack)))
            .await
    }

    async fn unacknowledge(&self, id: &IncidentId) -> StoreResult<AckOutcome> {
        self.ack_write(UpdateSpec::new(incident_id_key(id)).remove(ACK))
            .await
    }
}
