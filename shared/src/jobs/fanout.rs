//! The alert fan-out: incident changes from the table's DynamoDB stream become notifications,
//! recorded before they are published and marked sent only with SNS's message id; the sweep
//! retries what failed. The alert-fanout function and the demo both run it.
//!
//! - [`handle_records`]: one stream batch. Each incident change gives its notifications
//!   ([`Notification::for_change`]); each is recorded with a conditional write (an id already
//!   on record is a replay: nothing is published), then published and its delivery written.
//!   A change that calls for no message, and a record that cannot be read, are audited.
//! - [`sweep`]: pending notifications whose next attempt has come are claimed, published and
//!   written, or given up once about a day old.
//!
//! Delivery decisions (lease, backoff, shrinking, giving up) are [`crate::rules::delivery`]'s;
//! the change a record stands for is [`crate::rules::fanout::change_between`]'s.

mod apply;
pub mod context;
mod deliver;
pub mod groups;
pub mod plan;
mod route;
mod summary;

use chrono::{DateTime, Utc};

use self::context::AlertingContext;
use self::route::records_for;
pub use self::summary::{Deliveries, RecordsSummary, SweepSummary};
use crate::domain::incident::{Incident, IncidentChange};
use crate::jobs::panic::contain_panic;
use crate::notify::Publisher;
use crate::notify::annotations::AckFacts;
use crate::notify::delivery::{AuditDecision, AuditEntry};
use crate::notify::notification::{Event, Notification, NotificationId};
use crate::rules::drill::{DrillMessage, drill_message};
use crate::rules::fanout::{AckChange, ack_change, change_between};
use crate::rules::policy::Verdict;
use crate::store::{Notifications, Store, StoreError, UnreadableItem};

/// One DynamoDB stream record, as the fan-out needs it: its ids, its item's key, and its
/// images already decoded (by the function, with the store adapter's own decoders).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamChange {
    /// DynamoDB Streams' id of the change (the record's `eventID`): what makes its audit entry
    /// unique, so a replayed batch writes the same entry again.
    pub source_id: String,
    /// The record's `dynamodb.SequenceNumber`: how Lambda names a record to retry
    /// (`batchItemFailures[].itemIdentifier`).
    pub sequence_number: String,
    /// The item's key, shown as `pk=INC#crm sk=auth#000003` (for logs and audit; never a
    /// value of the item).
    pub key: String,
    /// What the record carries.
    pub content: StreamContent,
}

/// What a stream record carries, decoded.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "incident images are the common case; a batch holds at most a few hundred records"
)]
pub enum StreamContent {
    /// An incident item: its image before the write (`None`: created) and after (`None`:
    /// deleted, e.g. by TTL).
    Incident {
        /// The image before.
        old: Option<Incident>,
        /// The image after.
        new: Option<Incident>,
    },
    /// Any other item (integrations, teams, probe history, notification records, other
    /// writers' items): ignored, whatever the event source mapping's filter let through.
    Other,
    /// An incident item whose image could not be decoded: which attribute, what is wrong.
    Unreadable(UnreadableItem),
}

/// Handles one stream batch at `now` (see the module doc), record by record, in order. One bad
/// record never stops the others: a record that cannot be read is audited and skipped.
///
/// A record whose notification could not be recorded because the store failed (retryable, or
/// permanent such as access denied) is listed in [`RecordsSummary::retry`], and so is every
/// later record of the same item (not processed now, so an incident's messages keep their
/// order): Lambda delivers them again (the function returns them as `batchItemFailures`), or,
/// after the event source mapping's bounded retries, sends them to its on-failure queue. A
/// failed publish is never a batch failure: the notification is on record and the sweep
/// retries it. When the teams, silences or integrations cannot be read, every record is
/// retried: without them a message could reach a silenced or sleeping team.
pub async fn handle_records<S: Store, P: Publisher>(
    store: &S,
    publisher: &P,
    records: Vec<StreamChange>,
    now: DateTime<Utc>,
) -> RecordsSummary {
    let mut summary = RecordsSummary {
        records: records.len(),
        ..RecordsSummary::default()
    };
    let context = match Box::pin(AlertingContext::load(store)).await {
        Ok(context) => context,
        Err(error) => {
            tracing::error!(%error, "teams, silences or integrations unreadable: the whole batch is retried");
            summary
                .deliveries
                .errors
                .push(format!("alerting context: {error}"));
            summary.retry = records.into_iter().map(|r| r.sequence_number).collect();
            return summary;
        }
    };
    let mut held: Vec<String> = Vec::new();
    for record in records {
        if held.contains(&record.key) {
            summary.retry.push(record.sequence_number);
            continue;
        }
        // Boxed: the adapters' futures nest deep, and one record's future on the heap keeps
        // the invocation's future type small.
        let outcome = contain_panic(Box::pin(handle_record(
            store,
            publisher,
            &context,
            &record,
            now,
            &mut summary,
        )))
        .await;
        if let Err(error) = outcome {
            tracing::error!(key = %record.key, sequence_number = %record.sequence_number, %error, "stream record to be retried");
            summary
                .deliveries
                .errors
                .push(format!("stream record {}: {error}", record.key));
            summary.retry.push(record.sequence_number);
            held.push(record.key);
        }
    }
    summary
}

/// One record; `Err` when it must be retried.
async fn handle_record<S: Store, P: Publisher>(
    store: &S,
    publisher: &P,
    context: &AlertingContext,
    record: &StreamChange,
    now: DateTime<Utc>,
    summary: &mut RecordsSummary,
) -> Result<(), StoreError> {
    let (old, new) = match &record.content {
        StreamContent::Other => {
            summary.ignored += 1;
            return Ok(());
        }
        StreamContent::Unreadable(item) => {
            summary.corrupt += 1;
            tracing::error!(
                key = %item.key,
                field = %item.field,
                problem = %item.problem,
                source_id = %record.source_id,
                "unreadable incident image in the stream: skipped"
            );
            let entry = AuditEntry {
                decision: AuditDecision::Corrupt,
                incident_id: None,
                source_id: record.source_id.clone(),
                reason: format!("{item}; skipped, no notification"),
                at: now,
            };
            return audit(store, &entry, summary).await;
        }
        StreamContent::Incident { old, new } => (old.as_ref(), new.as_ref()),
    };
    let Some(incident) = new else {
        summary.ignored += 1;
        return Ok(());
    };
    let change = change_between(old, new);
    if incident.is_drill() {
        return Box::pin(handle_drill(
            store,
            publisher,
            incident,
            change.as_ref(),
            record,
            now,
            summary,
        ))
        .await;
    }
    let ack = ack_change(old, new);
    if change.is_none() && ack.is_none() {
        summary.ignored += 1;
        return Ok(());
    }
    let (integration, expiry) = context.facts(incident, now);
    let mut notifications = change
        .as_ref()
        .map(|change| Notification::for_change(incident, change, integration, expiry, now))
        .unwrap_or_default();
    let mut why_none = change.as_ref().map(|change| {
        format!(
            "{}: class, severity and expiry threshold as before (only its message, team or \
             times changed): no notification",
            change_name(change)
        )
    });
    match ack {
        Some(AckChange::Acknowledged(ack)) => {
            let id = NotificationId::at(&incident.id, Event::Acknowledged, ack.at);
            let mut n =
                Notification::about(id, Event::Acknowledged, incident, integration, expiry, now);
            // Who and the note are free text typed at `credwatch ack` (or written by hand into
            // the table): scrubbed like every other text a message carries.
            n.ack = Some(AckFacts {
                by: crate::notify::scrub::scrub(&ack.by),
                at: ack.at,
                note: ack.note.as_deref().map(crate::notify::scrub::scrub),
            });
            notifications.push(n);
        }
        Some(AckChange::Unacknowledged { was }) => {
            why_none = Some(format!(
                "incident {} unacknowledged (was taken by {} at {}): reminders and escalation \
                 resume, no notification",
                incident.id,
                crate::notify::scrub::scrub(&was.by),
                was.at.format("%Y-%m-%d %H:%M UTC")
            ));
        }
        None => {}
    }
    if notifications.is_empty() {
        summary.unchanged += 1;
        let entry = AuditEntry {
            decision: AuditDecision::Ignored,
            incident_id: Some(incident.id.clone()),
            source_id: record.source_id.clone(),
            reason: why_none.unwrap_or_else(|| "no notification".to_string()),
            at: now,
        };
        return audit(store, &entry, summary).await;
    }
    for notification in notifications {
        for (mut record, verdict) in records_for(notification, incident, context, now) {
            let mut send = verdict == Verdict::Send;
            if send {
                match Box::pin(groups::group(store, context, incident, &record, now)).await {
                    Ok(Some(grouped)) => {
                        record = grouped;
                        send = false;
                    }
                    Ok(None) => {}
                    // An unreadable group window stays so until rewritten (retrying would
                    // only hold the record back until the stream gives up on it): the grouping
                    // is given up, never the notification, which is told on its own.
                    Err(error) if error.corrupt_item().is_some() => {
                        tracing::error!(notification = %record.id(), %error, "group window unreadable: the notification is told on its own");
                        summary.corrupt += 1;
                        summary
                            .deliveries
                            .errors
                            .push(format!("notification {}: {error}", record.id()));
                    }
                    Err(error) => return Err(error),
                }
            }
            if !store.record_notification(&record).await? {
                summary.replayed += 1;
                tracing::info!(notification = %record.id(), "already on record (a replayed batch): not published again");
                continue;
            }
            if send {
                Box::pin(deliver::deliver(
                    store,
                    publisher,
                    &record,
                    now,
                    &mut summary.deliveries,
                ))
                .await;
            } else {
                summary.deliveries.held += 1;
                let decision = record.last_decision();
                tracing::info!(
                    notification = %record.id(),
                    decision = decision.map_or("", |d| d.kind.as_str()),
                    until = ?record.delivery.next_attempt_at,
                    "notification held"
                );
            }
        }
    }
    Ok(())
}

/// A change of a drill incident ([`crate::rules::drill`]): its opening recorded and published
/// at once to its team alone, counted apart from real incidents' notifications
/// ([`RecordsSummary::drills`]); anything else audited as sending nothing.
async fn handle_drill<S: Store, P: Publisher>(
    store: &S,
    publisher: &P,
    incident: &Incident,
    change: Option<&IncidentChange>,
    record: &StreamChange,
    now: DateTime<Utc>,
    summary: &mut RecordsSummary,
) -> Result<(), StoreError> {
    match drill_message(incident, change, now) {
        DrillMessage::Send(drill) => {
            if !store.record_notification(&drill).await? {
                summary.replayed += 1;
                tracing::info!(notification = %drill.id(), "drill already on record (a replayed batch): not published again");
                return Ok(());
            }
            Box::pin(deliver::deliver(
                store,
                publisher,
                &drill,
                now,
                &mut summary.drills,
            ))
            .await;
            Ok(())
        }
        DrillMessage::Nothing(reason) => {
            summary.unchanged += 1;
            let entry = AuditEntry {
                decision: AuditDecision::Ignored,
                incident_id: Some(incident.id.clone()),
                source_id: record.source_id.clone(),
                reason,
                at: now,
            };
            audit(store, &entry, summary).await
        }
    }
}

/// Keeps an audit entry; a failure is the record's (retried) when the store may recover, else
/// counted and logged.
async fn audit<S: Notifications>(
    store: &S,
    entry: &AuditEntry,
    summary: &mut RecordsSummary,
) -> Result<(), StoreError> {
    match store.record_audit(entry).await {
        Ok(()) => Ok(()),
        Err(error) if error.is_retryable() => Err(error),
        Err(error) => {
            tracing::error!(source_id = %entry.source_id, %error, "audit entry not kept");
            summary
                .deliveries
                .errors
                .push(format!("audit entry {}: {error}", entry.source_id));
            Ok(())
        }
    }
}

/// `opened`, `changed` or `resolved`, for messages.
fn change_name(change: &IncidentChange) -> String {
    let what = match change {
        IncidentChange::Opened(_) => "opened",
        IncidentChange::Changed { .. } => "changed",
        IncidentChange::Resolved { .. } => "resolved",
    };
    format!("incident {} ({what})", change.id())
}

/// Time kept after starting the last publish for it and its write: a publish with the SDK's
/// retries stays far below it.
pub const SWEEP_MARGIN: std::time::Duration = std::time::Duration::from_secs(10);

/// The sweep at `now`: the plan of [`plan::plan_sweep`] applied. At most `limit` due
/// notifications, oldest due first: pending ones claimed (attempts + 1), published and
/// written, or given up once about a day in the queue; held ones released (one message per
/// incident and team), superseded or held again. Then the follow-ups open incidents are owed
/// (reminders, escalations), recorded and published or held. With `deadline`, no step starts
/// later than [`SWEEP_MARGIN`] before it (the rest stay due for the next sweep). Unreadable
/// items are logged, counted and skipped.
///
/// # Errors
/// The store's error when the context (teams, silences, integrations), the due notifications
/// or the open incidents cannot be listed at all.
pub async fn sweep<S: Store, P: Publisher>(
    store: &S,
    publisher: &P,
    now: DateTime<Utc>,
    limit: usize,
    deadline: Option<tokio::time::Instant>,
) -> Result<SweepSummary, StoreError> {
    let context = Box::pin(AlertingContext::load(store)).await?;
    let plan = Box::pin(plan::plan_sweep(store, &context, now, limit)).await?;
    let mut summary = SweepSummary {
        due: plan.due,
        unreadable: plan.unreadable,
        ..SweepSummary::default()
    };
    for item in &summary.unreadable {
        tracing::error!(key = %item.key, field = %item.field, problem = %item.problem, "unreadable item skipped by the sweep");
    }
    let start_by = deadline.map(|d| d.checked_sub(SWEEP_MARGIN).unwrap_or(d));
    let total = plan.actions.len();
    for (index, action) in plan.actions.into_iter().enumerate() {
        if start_by.is_some_and(|by| tokio::time::Instant::now() >= by) {
            summary.deferred = total - index;
            tracing::warn!(
                deferred = summary.deferred,
                "the invocation deadline is near: the rest is left for the next sweep"
            );
            break;
        }
        // A drill's retry counts apart, as in `handle_records`.
        let counts = if action.record().event() == Event::Drill {
            &mut summary.drills
        } else {
            &mut summary.deliveries
        };
        let id = action.record().id().clone();
        // Boxed, as in `handle_records`.
        let result = contain_panic(Box::pin(async {
            apply::apply(store, publisher, action, now, counts).await;
            Ok(())
        }))
        .await;
        if let Err(error) = result {
            tracing::error!(notification = %id, %error, "sweep: notification not handled");
            summary.deliveries.errors.push(format!("{id}: {error}"));
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod drill_tests;
#[cfg(test)]
mod operations_tests;
#[cfg(test)]
mod tests;
