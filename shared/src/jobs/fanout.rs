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

mod deliver;
mod summary;

use chrono::{DateTime, Utc};

pub use self::summary::{Deliveries, RecordsSummary, SweepSummary};
use crate::domain::incident::{CheckKind, Incident, IncidentChange};
use crate::jobs::panic::contain_panic;
use crate::notify::Publisher;
use crate::notify::delivery::{AuditDecision, AuditEntry, NotificationRecord};
use crate::notify::notification::{Expiry, Notification};
use crate::rules::delivery::{Claim, claim, first_claim};
use crate::rules::expiry::{days_until, expiry_date};
use crate::rules::fanout::change_between;
use crate::store::{Integrations, Notifications, StoreError, UnreadableItem};

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
/// retries it.
pub async fn handle_records<S: Integrations + Notifications, P: Publisher>(
    store: &S,
    publisher: &P,
    records: Vec<StreamChange>,
    now: DateTime<Utc>,
) -> RecordsSummary {
    let mut summary = RecordsSummary {
        records: records.len(),
        ..RecordsSummary::default()
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
async fn handle_record<S: Integrations + Notifications, P: Publisher>(
    store: &S,
    publisher: &P,
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
    let (Some(change), Some(incident)) = (change_between(old, new), new) else {
        summary.ignored += 1;
        return Ok(());
    };
    let (integration, expiry) = integration_facts(store, incident, now).await;
    let notifications =
        Notification::for_change(incident, &change, integration.as_ref(), expiry, now);
    if notifications.is_empty() {
        summary.unchanged += 1;
        let entry = AuditEntry {
            decision: AuditDecision::Ignored,
            incident_id: Some(incident.id.clone()),
            source_id: record.source_id.clone(),
            reason: format!(
                "{}: class, severity and expiry threshold as before (only its message, team or \
                 times changed): no notification",
                change_name(&change)
            ),
            at: now,
        };
        return audit(store, &entry, summary).await;
    }
    for notification in notifications {
        let record = NotificationRecord {
            notification,
            created_at: now,
            delivery: first_claim(now),
        };
        if store.record_notification(&record).await? {
            Box::pin(deliver::deliver(
                store,
                publisher,
                &record,
                now,
                &mut summary.deliveries,
            ))
            .await;
        } else {
            summary.replayed += 1;
            tracing::info!(notification = %record.id(), "already on record (a replayed batch): not published again");
        }
    }
    Ok(())
}

/// The inventory entry of the incident's integration (`None` when it is gone or cannot be
/// read: the message then names the integration by id, and is sent all the same) and, for
/// expiry incidents, the secret's expiry as of `now`.
async fn integration_facts<S: Integrations>(
    store: &S,
    incident: &Incident,
    now: DateTime<Utc>,
) -> (Option<crate::inventory::Integration>, Option<Expiry>) {
    let record = match store.get_integration(&incident.integration).await {
        Ok(record) => record,
        Err(error) => {
            tracing::warn!(integration = %incident.integration, %error, "integration unreadable: the notification names it by id");
            None
        }
    };
    let Some(record) = record else {
        return (None, None);
    };
    let expiry = (incident.check == CheckKind::Expiry)
        .then(|| expiry_date(&record.integration, record.secret_rotated_seen_at))
        .flatten()
        .map(|expires_on| Expiry {
            expires_on,
            days_left: days_until(expires_on, now.date_naive()),
        });
    (Some(record.integration), expiry)
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

/// The sweep at `now`: at most `limit` due notifications, oldest due first, each claimed
/// (attempts + 1), published and written; those about a day old are given up without another
/// attempt. With `deadline`, none starts later than [`SWEEP_MARGIN`] before it (the rest stay
/// due for the next sweep). Unreadable notification items are logged, counted and skipped.
///
/// # Errors
/// The store's error when the due notifications cannot be listed at all.
pub async fn sweep<S: Notifications, P: Publisher>(
    store: &S,
    publisher: &P,
    now: DateTime<Utc>,
    limit: usize,
    deadline: Option<tokio::time::Instant>,
) -> Result<SweepSummary, StoreError> {
    let listing = store.due_notifications(now, limit).await?;
    let mut summary = SweepSummary {
        due: listing.due.len(),
        unreadable: listing.unreadable,
        ..SweepSummary::default()
    };
    for item in &summary.unreadable {
        tracing::error!(key = %item.key, field = %item.field, problem = %item.problem, "unreadable notification item skipped");
    }
    let start_by = deadline.map(|d| d.checked_sub(SWEEP_MARGIN).unwrap_or(d));
    for (index, record) in listing.due.iter().enumerate() {
        if start_by.is_some_and(|by| tokio::time::Instant::now() >= by) {
            summary.deferred = summary.due - index;
            tracing::warn!(
                deferred = summary.deferred,
                "the invocation deadline is near: due notifications left for the next sweep"
            );
            break;
        }
        let counts = &mut summary.deliveries;
        // Boxed, as in `handle_records`.
        let result = contain_panic(Box::pin(async {
            retry(store, publisher, record, now, counts).await;
            Ok(())
        }))
        .await;
        if let Err(error) = result {
            counts_error(&mut summary.deliveries, record, &error);
        }
    }
    Ok(summary)
}

/// One due notification: claim, then publish (or give up).
async fn retry<S: Notifications, P: Publisher>(
    store: &S,
    publisher: &P,
    record: &NotificationRecord,
    now: DateTime<Utc>,
    counts: &mut Deliveries,
) {
    let id = record.id();
    let (next, give_up) = match claim(&record.delivery, record.created_at, now) {
        Claim::Publish(claimed) => (claimed, false),
        Claim::GiveUp(failed) => (failed, true),
        Claim::Skip => return,
    };
    match store
        .update_delivery(id, record.delivery.revision, &next)
        .await
    {
        Ok(true) if give_up => {
            counts.failed += 1;
            tracing::error!(notification = %id, attempts = next.attempts, "notification given up: never delivered");
        }
        Ok(true) => {
            let claimed = NotificationRecord {
                delivery: next,
                ..record.clone()
            };
            Box::pin(deliver::deliver(store, publisher, &claimed, now, counts)).await;
        }
        Ok(false) => counts.conflicts += 1,
        Err(error) => counts_error(counts, record, &error),
    }
}

fn counts_error(counts: &mut Deliveries, record: &NotificationRecord, error: &StoreError) {
    tracing::error!(notification = %record.id(), %error, "sweep: notification not handled");
    counts.errors.push(format!("{}: {error}", record.id()));
}

#[cfg(test)]
mod tests;
