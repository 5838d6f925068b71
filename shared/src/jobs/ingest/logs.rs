//! The CloudWatch Logs entry: a subscription's batch of lines from one log group, read as the
//! calls of the integration bound to that group (`ingest.log_groups`). The stack's own log
//! groups are never read (their lines mention SFMC errors and would feed back). A group no
//! integration is bound to is logged and counted, not an error: Lambda would retry it for
//! nothing.

use chrono::{DateTime, Utc};

use crate::domain::passive::EventSource;
use crate::passive::{Binding, parse_log_line};
use crate::store::StoreError;

use super::evaluate::record_and_evaluate;
use super::{IngestConfig, IngestStore, IngestSummary, log_refused};

/// One log event of a subscription batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// CloudWatch's id of the log event.
    pub id: String,
    /// When it was logged.
    pub timestamp: DateTime<Utc>,
    /// The line.
    pub message: String,
}

/// A subscription's batch (the decoded `awslogs.data`), data messages only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBatch {
    /// The log group's name.
    pub log_group: String,
    /// The lines, in order.
    pub lines: Vec<LogLine>,
}

/// Whether `log_group` is one of the stack's own (never read): under
/// [`IngestConfig::own_log_group_prefix`], or this function's own `/aws/lambda/{name}`.
pub fn is_own_log_group(config: &IngestConfig, log_group: &str) -> bool {
    let under_prefix = config
        .own_log_group_prefix
        .as_deref()
        .is_some_and(|prefix| !prefix.is_empty() && log_group.starts_with(prefix));
    let this_function = config
        .function_name
        .as_deref()
        .is_some_and(|name| log_group == format!("/aws/lambda/{name}"));
    under_prefix || this_function
}

/// Reads one batch at `now`.
///
/// # Errors
/// A store failure listing integrations or recording the calls (the invocation fails and
/// Lambda retries the batch).
pub async fn handle_logs<S: IngestStore>(
    store: &S,
    config: &IngestConfig,
    batch: &LogBatch,
    now: DateTime<Utc>,
) -> Result<IngestSummary, StoreError> {
    let mut summary = IngestSummary {
        source: Some(EventSource::Logs),
        ..IngestSummary::default()
    };
    if is_own_log_group(config, &batch.log_group) {
        tracing::warn!(
            log_group = %batch.log_group,
            lines = batch.lines.len(),
            "log group refused: it is credwatch's own"
        );
        summary.refused = batch.lines.len();
        return Ok(summary);
    }
    let listing = store.list_integrations().await?;
    let Some(record) = listing.records.iter().find(|record| {
        !record.retired
            && record
                .integration
                .ingest
                .log_groups
                .contains(&batch.log_group)
    }) else {
        tracing::warn!(
            log_group = %batch.log_group,
            lines = batch.lines.len(),
            "log group bound to no integration (inventory ingest.log_groups); lines dropped"
        );
        summary.unmapped_log_groups = 1;
        summary.refused = batch.lines.len();
        return Ok(summary);
    };
    let integration = record.integration.id.clone();
    let binding = Binding {
        integration: integration.clone(),
        source: EventSource::Logs,
        received_at: now,
    };
    let mut calls = Vec::new();
    let mut rejected = Vec::new();
    for line in &batch.lines {
        match parse_log_line(&line.message, &line.id, line.timestamp, &binding) {
            Some(Ok(call)) => calls.push(call),
            Some(Err(error)) => rejected.push(error),
            None => {}
        }
    }
    log_refused("logs", &integration, &rejected);
    summary.refused = rejected.len();
    let (done, errors) = record_and_evaluate(store, &calls, now).await?;
    summary.accepted = calls.len();
    for outcome in &done {
        summary.add(outcome);
    }
    summary.errors = errors;
    Ok(summary)
}
