//! The delivery decisions of one notification: when it may be published, how long whoever
//! publishes it holds it, when a failed attempt is tried again, how much smaller a refused
//! message is built, and when credwatch gives up. Plain functions over a
//! [`Delivery`]; `now` and the jitter are parameters; every function that changes a delivery
//! returns it with `revision + 1` (the store compares the old revision).
//!
//! The life of a delivery:
//!
//! ```text
//! first_claim ──> pending (claimed until now + CLAIM_LEASE)
//!   publish ok                 -> sent (message id)
//!   retryable / configuration  -> pending, next attempt after the backoff (1 min doubling, at most 1 h)
//!   payload                    -> pending, due now, built to half the size (shrink + 1)
//!   about a day old, or MAX_ATTEMPTS, or more than MAX_SHRINKS halvings -> failed
//! claim (the sweep, once due) -> pending, claimed again, attempts + 1
//! ```
//!
//! A claim that is never followed by a result (the publisher crashed) simply expires: the
//! sweep finds the notification due again once the lease has passed.

use chrono::{DateTime, TimeDelta, Utc};

use crate::notify::MessageId;
use crate::notify::delivery::{Decision, Delivery, DeliveryError, DeliveryState, push_decision};
use crate::notify::error::{PublishError, PublishErrorKind};
use crate::notify::publish::SNS_MAX_BYTES;

/// How long a claim lasts: whoever claimed a notification has this long to publish it and
/// record the result before the sweep may try it again. Far longer than one SNS publish with
/// the SDK's retries; short enough that a crashed publisher delays a message by minutes only.
pub const CLAIM_LEASE: TimeDelta = TimeDelta::minutes(2);

/// The wait after the first failed attempt; each further failure doubles it.
pub const FIRST_BACKOFF: TimeDelta = TimeDelta::minutes(1);

/// The longest wait between two attempts.
pub const MAX_BACKOFF: TimeDelta = TimeDelta::hours(1);

/// At most this fraction of a backoff is taken off at random (`jitter`), so notifications that
/// failed together (a throttled topic) are not retried together.
pub const MAX_JITTER: f64 = 0.2;

/// A notification still undelivered this long after it was recorded is given up (marked
/// failed, counted in `NotificationsFailed`, alarmed): a day-old alert is history, and the
/// audit trail says it was never delivered.
pub const MAX_DELIVERY_AGE: TimeDelta = TimeDelta::hours(24);

/// Attempts after which a notification is given up whatever its age: with the backoff above a
/// day holds about 30 attempts, so this only stops claims that keep expiring (a publisher that
/// crashes on this notification).
pub const MAX_ATTEMPTS: u32 = 48;

/// How many times a message refused by SNS (a payload error) is built again at half the size
/// before it is given up: 256 KiB, then 128, 64, 32 and 16 KiB.
pub const MAX_SHRINKS: u32 = 4;

/// The longest [`DeliveryError::detail`] kept, in characters.
const MAX_DETAIL: usize = DeliveryError::MAX_LEN;

/// What became of one publish attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// SNS accepted the message and gave it this id.
    Published(MessageId),
    /// The publish failed.
    Failed(PublishError),
}

/// What the sweep may do with a notification it found due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Publish it: this delivery (claimed, one more attempt) is written first.
    Publish(Delivery),
    /// Give it up without another attempt (too old, or out of attempts): write this failed
    /// delivery.
    GiveUp(Delivery),
    /// Nothing to do: it is sent, failed, or not due yet (another publisher holds it, or its
    /// backoff has not passed).
    Skip,
}

/// The delivery a new notification is recorded with: pending, claimed by the recorder for
/// [`CLAIM_LEASE`], its first attempt counted, revision 0.
pub fn first_claim(now: DateTime<Utc>) -> Delivery {
    Delivery {
        state: DeliveryState::Pending,
        attempts: 1,
        next_attempt_at: Some(later(now, CLAIM_LEASE)),
        message_id: None,
        finished_at: None,
        last_error: None,
        shrink: 0,
        revision: 0,
        decisions: Vec::new(),
    }
}

/// The delivery a new notification held by `decision` is recorded with: held until `until`
/// (in the due index, never published before), no attempt yet, revision 0.
pub fn held(until: DateTime<Utc>, decision: Decision) -> Delivery {
    Delivery {
        state: DeliveryState::Held,
        attempts: 0,
        next_attempt_at: Some(until),
        message_id: None,
        finished_at: None,
        last_error: None,
        shrink: 0,
        revision: 0,
        decisions: vec![decision],
    }
}

/// A held delivery released at `now` by `decision` (a send): pending and claimed by the
/// releaser for [`CLAIM_LEASE`], one more attempt counted. Its age for giving up counts from
/// `now` (see `NotificationRecord::queued_since`).
pub fn release_claim(delivery: &Delivery, decision: Decision, now: DateTime<Utc>) -> Delivery {
    let mut next = Delivery {
        state: DeliveryState::Pending,
        attempts: delivery.attempts.saturating_add(1),
        next_attempt_at: Some(later(now, CLAIM_LEASE)),
        revision: delivery.revision.saturating_add(1),
        ..delivery.clone()
    };
    push_decision(&mut next.decisions, decision);
    next
}

/// A held delivery held again until `until` by `decision` (the silence was extended, the
/// team's hours have not started).
pub fn rehold(delivery: &Delivery, until: DateTime<Utc>, decision: Decision) -> Delivery {
    let mut next = Delivery {
        state: DeliveryState::Held,
        next_attempt_at: Some(until),
        revision: delivery.revision.saturating_add(1),
        ..delivery.clone()
    };
    push_decision(&mut next.decisions, decision);
    next
}

/// A held or pending delivery finished without publishing at `now`: `decision` says why
/// (another notification told the same).
pub fn supersede(delivery: &Delivery, decision: Decision, now: DateTime<Utc>) -> Delivery {
    let mut next = finish(delivery, DeliveryState::Superseded, now);
    push_decision(&mut next.decisions, decision);
    next
}

/// Whether the sweep should act on `delivery` at `now`: pending and due.
pub fn is_due(delivery: &Delivery, now: DateTime<Utc>) -> bool {
    delivery.state == DeliveryState::Pending && delivery.next_attempt_at.is_none_or(|at| at <= now)
}

/// Whether a notification recorded at `created_at` is to be given up at `now` after
/// `attempts` attempts: [`MAX_DELIVERY_AGE`] old, or [`MAX_ATTEMPTS`] made.
pub fn exhausted(created_at: DateTime<Utc>, attempts: u32, now: DateTime<Utc>) -> bool {
    now.signed_duration_since(created_at) >= MAX_DELIVERY_AGE || attempts >= MAX_ATTEMPTS
}

/// What to do with `delivery` (of a notification recorded at `created_at`) found at `now`:
/// claim it for another attempt, give it up, or leave it (see [`Claim`]).
pub fn claim(delivery: &Delivery, created_at: DateTime<Utc>, now: DateTime<Utc>) -> Claim {
    if !is_due(delivery, now) {
        return Claim::Skip;
    }
    if exhausted(created_at, delivery.attempts, now) {
        return Claim::GiveUp(finish(delivery, DeliveryState::Failed, now));
    }
    Claim::Publish(Delivery {
        attempts: delivery.attempts.saturating_add(1),
        next_attempt_at: Some(later(now, CLAIM_LEASE)),
        revision: delivery.revision.saturating_add(1),
        ..delivery.clone()
    })
}

/// The delivery after an attempt at `now` ended with `attempt`, for a notification recorded
/// at `created_at`; `jitter` in `[0, 1)` (anything outside is clamped, NaN counts as 0) takes
/// up to [`MAX_JITTER`] off the backoff. `None` when `delivery` is no longer pending (nothing
/// to write).
///
/// - Published: sent, with SNS's message id.
/// - Retryable or configuration failure (the topic or its key may be fixed meanwhile): pending,
///   tried again after [`backoff`] of the attempts made; failed once [`exhausted`].
/// - Payload failure: pending, due now, built with one more halving ([`build_limit`]); failed
///   after [`MAX_SHRINKS`] halvings, or once [`exhausted`].
pub fn after_attempt(
    delivery: &Delivery,
    created_at: DateTime<Utc>,
    attempt: &Attempt,
    now: DateTime<Utc>,
    jitter: f64,
) -> Option<Delivery> {
    if delivery.state != DeliveryState::Pending {
        return None;
    }
    let error = match attempt {
        Attempt::Published(id) => {
            let mut sent = finish(delivery, DeliveryState::Sent, now);
            sent.message_id = Some(id.0.clone());
            return Some(sent);
        }
        Attempt::Failed(error) => error,
    };
    let mut next = Delivery {
        last_error: Some(delivery_error(error)),
        ..delivery.clone()
    };
    let next_attempt_at = if error.kind == PublishErrorKind::Payload {
        next.shrink = delivery.shrink.saturating_add(1);
        if next.shrink > MAX_SHRINKS {
            return Some(finish(&next, DeliveryState::Failed, now));
        }
        now
    } else {
        later(now, backoff(delivery.attempts, jitter))
    };
    if exhausted(created_at, delivery.attempts, now) {
        return Some(finish(&next, DeliveryState::Failed, now));
    }
    next.next_attempt_at = Some(next_attempt_at);
    next.revision = delivery.revision.saturating_add(1);
    Some(next)
}

/// The wait after the `attempts`-th failed attempt: [`FIRST_BACKOFF`] after the first,
/// doubling each time, at most [`MAX_BACKOFF`]; minus up to [`MAX_JITTER`] of it (`jitter`
/// in `[0, 1)`, clamped; NaN counts as 0).
pub fn backoff(attempts: u32, jitter: f64) -> TimeDelta {
    let doublings = attempts.saturating_sub(1).min(16);
    let base = FIRST_BACKOFF
        .checked_mul(1 << doublings)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    // Whole milliseconds: a backoff of at most an hour is far inside f64's exact range.
    let off = (base.num_milliseconds() as f64 * jitter * MAX_JITTER) as i64;
    base - TimeDelta::milliseconds(off)
}

/// The size (bytes) a message is built to after `shrink` payload failures: SNS's limit,
/// halved once per failure.
pub fn build_limit(shrink: u32) -> usize {
    SNS_MAX_BYTES >> shrink.min(MAX_SHRINKS)
}

/// `delivery` finished (sent or failed) at `now`: no next attempt, one revision on.
fn finish(delivery: &Delivery, state: DeliveryState, now: DateTime<Utc>) -> Delivery {
    Delivery {
        state,
        next_attempt_at: None,
        finished_at: Some(now),
        revision: delivery.revision.saturating_add(1),
        ..delivery.clone()
    }
}

/// The error kept on the delivery: the kind, and the error's own sentence cut to
/// [`DeliveryError::MAX_LEN`] characters (it names topic, notification and SNS's code; never
/// the body).
fn delivery_error(error: &PublishError) -> DeliveryError {
    DeliveryError {
        kind: error.kind,
        // `cap` adds an ellipsis after the characters it keeps.
        detail: crate::text::printable::cap(&error.to_string(), MAX_DETAIL - 1).into_owned(),
    }
}

/// `at + delta`, or the latest representable time.
fn later(at: DateTime<Utc>, delta: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(delta)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests;
