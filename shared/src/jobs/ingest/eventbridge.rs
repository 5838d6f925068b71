//! The EventBridge entry: an event with `detail-type` `credwatch.sfmc_call.v1` whose `source` is
//! bound to an integration (`ingest.event_sources`) and whose `account` is the function's own
//! (another account's bus cannot report for this one's integrations).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::passive::{EventSource, SCHEMA};
use crate::passive::{Binding, normalise_value};
use crate::store::StoreError;

use super::evaluate::record_and_evaluate;
use super::{IngestStore, IngestSummary, log_refused};

/// One EventBridge event, as its envelope gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct BusEvent {
    /// The event's `id`.
    pub id: String,
    /// `detail-type`.
    pub detail_type: String,
    /// `source`, e.g. `com.acme.orders-sync`.
    pub source: String,
    /// `account`: the AWS account the event was put in.
    pub account: String,
    /// `detail`: one `credwatch.sfmc_call.v1` event or `{"events": [...]}`.
    pub detail: Value,
}

/// Reads one event at `now`; `own_account` is the function's account (from its ARN).
///
/// # Errors
/// A store failure listing integrations or recording the calls (Lambda retries the event).
pub async fn handle_bus_event<S: IngestStore>(
    store: &S,
    own_account: Option<&str>,
    event: &BusEvent,
    now: DateTime<Utc>,
) -> Result<IngestSummary, StoreError> {
    let mut summary = IngestSummary {
        source: Some(EventSource::Eventbridge),
        ..IngestSummary::default()
    };
    let refuse = |summary: &mut IngestSummary, why: &str| {
        tracing::warn!(event_id = %event.id, source = %event.source, why, "EventBridge event refused");
        summary.refused = 1;
    };
    if event.detail_type != SCHEMA {
        refuse(&mut summary, "detail-type is not credwatch.sfmc_call.v1");
        return Ok(summary);
    }
    if own_account != Some(event.account.as_str()) {
        refuse(&mut summary, "the event was put in another AWS account");
        return Ok(summary);
    }
    let listing = store.list_integrations().await?;
    let Some(record) = listing.records.iter().find(|record| {
        !record.retired
            && record
                .integration
                .ingest
                .event_sources
                .contains(&event.source)
    }) else {
        refuse(
            &mut summary,
            "source bound to no integration (inventory ingest.event_sources)",
        );
        return Ok(summary);
    };
    let integration = record.integration.id.clone();
    let binding = Binding {
        integration: integration.clone(),
        source: EventSource::Eventbridge,
        received_at: now,
    };
    let normalised = match normalise_value(&event.detail, &binding) {
        Ok(normalised) => normalised,
        Err(error) => {
            refuse(&mut summary, &error.to_string());
            return Ok(summary);
        }
    };
    log_refused("eventbridge", &integration, &normalised.rejected);
    summary.refused = normalised.rejected.len();
    let (done, errors) = record_and_evaluate(store, &normalised.calls, now).await?;
    summary.accepted = normalised.calls.len();
    for outcome in &done {
        summary.add(outcome);
    }
    summary.errors = errors;
    Ok(summary)
}
