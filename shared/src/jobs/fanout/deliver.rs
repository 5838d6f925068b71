//! Publishing one claimed notification and recording the result: the step the stream handler
//! and the sweep share. Decisions are [`crate::rules::delivery`]'s; this file does the I/O.

use chrono::{DateTime, Utc};

use super::summary::Deliveries;
use crate::notify::Publisher;
use crate::notify::delivery::{DeliveryState, NotificationRecord};
use crate::notify::error::PublishErrorKind;
use crate::notify::publish::build;
use crate::rules::delivery::{Attempt, Claim, MAX_SHRINKS, after_attempt, build_limit, claim};
use crate::store::Notifications;

/// Publishes `record`, whose stored delivery is `record.delivery` (claimed by the caller),
/// built to the size its `shrink` allows, then writes the result: sent with SNS's message id,
/// pending with the backoff and the error, or failed. A payload failure is resent at once,
/// built smaller, until it is sent or given up. Counted in `counts`; never fails: a store error
/// after publishing is counted and the claim's lease runs out, so the sweep tries again (a
/// possible duplicate, which receivers drop by `notification_id`).
pub(super) async fn deliver<S: Notifications, P: Publisher>(
    store: &S,
    publisher: &P,
    record: &NotificationRecord,
    now: DateTime<Utc>,
    counts: &mut Deliveries,
) {
    let id = record.id();
    let mut delivery = record.delivery.clone();
    // Each round either finishes or adds one halving, so MAX_SHRINKS + 1 rounds end it.
    for _ in 0..=MAX_SHRINKS {
        let request = build(&record.notification, build_limit(delivery.shrink));
        let attempt = match publisher.publish(&request).await {
            Ok(message_id) => Attempt::Published(message_id),
            Err(error) => {
                counts.count_failure(error.kind);
                tracing::warn!(notification = %id, kind = error.kind.as_str(), %error, "publish failed");
                Attempt::Failed(error)
            }
        };
        let Some(next) = after_attempt(
            &delivery,
            record.queued_since(),
            &attempt,
            now,
            fastrand::f64(),
        ) else {
            return;
        };
        if !write(store, record, delivery.revision, &next, counts).await {
            return;
        }
        match next.state {
            DeliveryState::Sent => {
                counts.sent += 1;
                tracing::info!(notification = %id, message_id = ?next.message_id, attempts = next.attempts, "notification sent");
                return;
            }
            DeliveryState::Failed => {
                counts.failed += 1;
                tracing::error!(
                    notification = %id,
                    attempts = next.attempts,
                    last_error = ?next.last_error.as_ref().map(|e| &e.detail),
                    "notification given up: never delivered"
                );
                return;
            }
            DeliveryState::Pending | DeliveryState::Held | DeliveryState::Superseded => {}
        }
        // Pending: a payload failure is due at once (built smaller); anything else waits for
        // its backoff and the sweep.
        match claim(&next, record.queued_since(), now) {
            Claim::Publish(claimed) => {
                if !write(store, record, next.revision, &claimed, counts).await {
                    return;
                }
                delivery = claimed;
            }
            Claim::GiveUp(failed) => {
                if write(store, record, next.revision, &failed, counts).await {
                    counts.failed += 1;
                }
                return;
            }
            Claim::Skip => {
                counts.retried += 1;
                return;
            }
        }
    }
    // Not reached (the rounds above always finish); the record stays pending for the sweep.
    counts.retried += 1;
}

/// Writes `next` over the delivery at `revision`; false (counted) when another writer moved
/// it first or the store failed.
async fn write<S: Notifications>(
    store: &S,
    record: &NotificationRecord,
    revision: u64,
    next: &crate::notify::delivery::Delivery,
    counts: &mut Deliveries,
) -> bool {
    match store.update_delivery(record.id(), revision, next).await {
        Ok(true) => true,
        Ok(false) => {
            counts.conflicts += 1;
            tracing::info!(notification = %record.id(), "another invocation moved the notification first");
            false
        }
        Err(error) => {
            tracing::error!(notification = %record.id(), %error, "recording the delivery failed");
            counts.errors.push(format!(
                "{}: recording the delivery failed: {error}",
                record.id()
            ));
            false
        }
    }
}

impl Deliveries {
    fn count_failure(&mut self, kind: PublishErrorKind) {
        match kind {
            PublishErrorKind::Retryable => self.retryable_errors += 1,
            PublishErrorKind::Configuration => self.configuration_errors += 1,
            PublishErrorKind::Payload => self.payload_errors += 1,
        }
    }
}
