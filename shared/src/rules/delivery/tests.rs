//! The delivery decisions: claims, backoff, shrinking, giving up, and what each writes.

use chrono::{TimeZone, Utc};

use super::*;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

fn failure(kind: PublishErrorKind) -> Attempt {
    Attempt::Failed(PublishError {
        kind,
        topic: "arn:aws:sns:us-east-1:123456789012:alerts".to_string(),
        notification_id: "crm:auth:1/opened".to_string(),
        detail: "Throttling: Rate exceeded".to_string(),
    })
}

fn published(id: &str) -> Attempt {
    Attempt::Published(MessageId(id.to_string()))
}

/// A pending delivery after `attempts` attempts, due at `due`.
fn pending(attempts: u32, due: DateTime<Utc>) -> Delivery {
    Delivery {
        attempts,
        next_attempt_at: Some(due),
        revision: 7,
        ..first_claim(at(0))
    }
}

#[test]
fn a_new_notification_is_recorded_claimed_with_its_first_attempt() {
    assert_eq!(
        first_claim(at(0)),
        Delivery {
            state: DeliveryState::Pending,
            attempts: 1,
            next_attempt_at: Some(at(2)),
            message_id: None,
            finished_at: None,
            last_error: None,
            shrink: 0,
            revision: 0,
            decisions: Vec::new(),
        }
    );
    assert_eq!(CLAIM_LEASE, TimeDelta::minutes(2));
}

#[test]
fn success_marks_it_sent_with_the_message_id() {
    let delivery = first_claim(at(0));
    let sent = after_attempt(&delivery, at(0), &published("m-1"), at(1), 0.5).unwrap();
    assert_eq!(
        sent,
        Delivery {
            state: DeliveryState::Sent,
            attempts: 1,
            next_attempt_at: None,
            message_id: Some("m-1".to_string()),
            finished_at: Some(at(1)),
            last_error: None,
            shrink: 0,
            revision: 1,
            decisions: Vec::new(),
        }
    );
}

#[test]
fn a_late_success_still_marks_it_sent() {
    // Published just before the day ran out: SNS has it, so it is sent, not failed.
    let delivery = pending(MAX_ATTEMPTS, at(0));
    let sent = after_attempt(&delivery, at(0), &published("m"), at(24 * 60 + 5), 0.0).unwrap();
    assert_eq!(sent.state, DeliveryState::Sent);
}

#[test]
fn retryable_and_configuration_failures_back_off_and_keep_the_error() {
    for kind in [PublishErrorKind::Retryable, PublishErrorKind::Configuration] {
        let delivery = first_claim(at(0));
        let next = after_attempt(&delivery, at(0), &failure(kind), at(1), 0.0).unwrap();
        assert_eq!(next.state, DeliveryState::Pending, "{kind:?}");
        assert_eq!(next.attempts, 1);
        assert_eq!(next.next_attempt_at, Some(at(2)), "{kind:?}");
        assert_eq!(next.shrink, 0);
        assert_eq!(next.revision, 1);
        assert_eq!(next.finished_at, None);
        assert_eq!(next.message_id, None);
        let error = next.last_error.unwrap();
        assert_eq!(error.kind, kind);
        assert!(
            error.detail.contains("Throttling: Rate exceeded"),
            "{error:?}"
        );
        assert!(error.detail.contains("crm:auth:1/opened"), "{error:?}");
    }
}

#[test]
fn the_backoff_doubles_from_a_minute_to_at_most_an_hour() {
    let cases = [
        (0, 1),
        (1, 1),
        (2, 2),
        (3, 4),
        (4, 8),
        (5, 16),
        (6, 32),
        (7, 60),
        (8, 60),
        (17, 60),
        (18, 60),
        (u32::MAX, 60),
    ];
    for (attempts, minutes) in cases {
        assert_eq!(
            backoff(attempts, 0.0),
            TimeDelta::minutes(minutes),
            "{attempts}"
        );
    }
}

#[test]
fn jitter_takes_at_most_a_fifth_off_the_backoff() {
    let cases = [
        (0.0, 60_000),
        (0.5, 54_000),
        (0.25, 57_000),
        (1.0, 48_000),
        (7.0, 48_000),
        (-3.0, 60_000),
        (f64::NAN, 60_000),
        (f64::INFINITY, 48_000),
    ];
    for (jitter, millis) in cases {
        assert_eq!(
            backoff(1, jitter),
            TimeDelta::milliseconds(millis),
            "{jitter}"
        );
    }
    assert_eq!(backoff(7, 0.5), TimeDelta::minutes(54));
}

#[test]
fn later_failures_wait_longer() {
    let delivery = pending(4, at(0));
    let next = after_attempt(
        &delivery,
        at(0),
        &failure(PublishErrorKind::Retryable),
        at(30),
        0.0,
    )
    .unwrap();
    assert_eq!(next.next_attempt_at, Some(at(38)));
    assert_eq!(next.revision, 8);
}

#[test]
fn a_day_of_failures_gives_up() {
    let cases = [
        // (minutes after recording, attempts made, given up)
        (24 * 60 - 1, 20, false),
        (24 * 60, 20, true),
        (24 * 60 + 1, 20, true),
        (10, MAX_ATTEMPTS - 1, false),
        (10, MAX_ATTEMPTS, true),
        (10, u32::MAX, true),
    ];
    for (minutes, attempts, given_up) in cases {
        for kind in [
            PublishErrorKind::Retryable,
            PublishErrorKind::Configuration,
            PublishErrorKind::Payload,
        ] {
            let delivery = pending(attempts, at(minutes));
            let next = after_attempt(&delivery, at(0), &failure(kind), at(minutes), 0.0).unwrap();
            let expected = if given_up {
                DeliveryState::Failed
            } else {
                DeliveryState::Pending
            };
            assert_eq!(next.state, expected, "{minutes} {attempts} {kind:?}");
            assert_eq!(next.revision, 8, "{minutes} {attempts} {kind:?}");
            assert!(next.last_error.is_some());
            if given_up {
                assert_eq!(next.finished_at, Some(at(minutes)));
                assert_eq!(next.next_attempt_at, None);
            } else {
                assert_eq!(next.finished_at, None);
                assert!(next.next_attempt_at.is_some());
            }
        }
    }
    assert_eq!(MAX_DELIVERY_AGE, TimeDelta::hours(24));
}

#[test]
fn a_day_of_backoff_holds_fewer_attempts_than_the_cap() {
    // The age ends a failing delivery; the attempts cap is only for claims that keep expiring.
    let mut now = at(0);
    let mut attempts = 1;
    // Bounded, so a backoff that never advances fails here instead of hanging.
    while now - at(0) < MAX_DELIVERY_AGE && attempts <= MAX_ATTEMPTS {
        now += backoff(attempts, 0.999);
        attempts += 1;
    }
    assert!(attempts < MAX_ATTEMPTS, "{attempts}");
    assert!(attempts > 24, "{attempts}");
}

#[test]
fn payload_failures_are_resent_at_half_the_size_then_given_up() {
    let mut delivery = first_claim(at(0));
    let mut limits = vec![build_limit(delivery.shrink)];
    for n in 1..=MAX_SHRINKS {
        delivery = after_attempt(
            &delivery,
            at(0),
            &failure(PublishErrorKind::Payload),
            at(1),
            0.9,
        )
        .unwrap();
        assert_eq!(delivery.state, DeliveryState::Pending);
        assert_eq!(delivery.shrink, n);
        // Due at once: shortening needs no wait.
        assert_eq!(delivery.next_attempt_at, Some(at(1)));
        assert!(is_due(&delivery, at(1)));
        limits.push(build_limit(delivery.shrink));
    }
    assert_eq!(limits, [262_144, 131_072, 65_536, 32_768, 16_384]);
    let failed = after_attempt(
        &delivery,
        at(0),
        &failure(PublishErrorKind::Payload),
        at(1),
        0.0,
    )
    .unwrap();
    assert_eq!(failed.state, DeliveryState::Failed);
    assert_eq!(failed.shrink, MAX_SHRINKS + 1);
    assert_eq!(failed.finished_at, Some(at(1)));
    assert_eq!(failed.revision, delivery.revision + 1);
    assert_eq!(build_limit(MAX_SHRINKS + 1), 16_384);
    assert_eq!(build_limit(u32::MAX), 16_384);
}

#[test]
fn other_failures_keep_the_shrink() {
    let delivery = Delivery {
        shrink: 2,
        ..first_claim(at(0))
    };
    let next = after_attempt(
        &delivery,
        at(0),
        &failure(PublishErrorKind::Retryable),
        at(1),
        0.0,
    )
    .unwrap();
    assert_eq!(next.shrink, 2);
}

#[test]
fn a_finished_delivery_is_left_alone() {
    for state in [DeliveryState::Sent, DeliveryState::Failed] {
        let delivery = Delivery {
            state,
            next_attempt_at: None,
            ..first_claim(at(0))
        };
        assert_eq!(
            after_attempt(&delivery, at(0), &published("m"), at(1), 0.0),
            None
        );
        assert_eq!(claim(&delivery, at(0), at(60)), Claim::Skip);
        assert!(!is_due(&delivery, at(60)));
    }
}

#[test]
fn the_sweep_claims_only_what_is_due() {
    let delivery = pending(2, at(10));
    assert_eq!(claim(&delivery, at(0), at(9)), Claim::Skip);
    let expected = Delivery {
        attempts: 3,
        next_attempt_at: Some(at(12)),
        revision: 8,
        ..delivery.clone()
    };
    assert_eq!(claim(&delivery, at(0), at(10)), Claim::Publish(expected));
    let Claim::Publish(later) = claim(&delivery, at(0), at(11)) else {
        panic!("due")
    };
    assert_eq!(later.next_attempt_at, Some(at(13)));
    // A pending delivery without a time (written by hand) is due.
    let timeless = Delivery {
        next_attempt_at: None,
        ..delivery
    };
    assert!(matches!(claim(&timeless, at(0), at(0)), Claim::Publish(_)));
}

#[test]
fn the_sweep_gives_up_what_is_too_old_or_out_of_attempts() {
    let old = pending(3, at(24 * 60));
    let Claim::GiveUp(failed) = claim(&old, at(0), at(24 * 60)) else {
        panic!("too old")
    };
    assert_eq!(failed.state, DeliveryState::Failed);
    assert_eq!(failed.attempts, 3);
    assert_eq!(failed.finished_at, Some(at(24 * 60)));
    assert_eq!(failed.next_attempt_at, None);
    assert_eq!(failed.revision, 8);
    assert!(matches!(
        claim(&pending(3, at(0)), at(0), at(24 * 60 - 1)),
        Claim::Publish(_)
    ));
    let spent = pending(MAX_ATTEMPTS, at(5));
    assert!(matches!(claim(&spent, at(0), at(5)), Claim::GiveUp(_)));
    let nearly = pending(MAX_ATTEMPTS - 1, at(5));
    let Claim::Publish(last) = claim(&nearly, at(0), at(5)) else {
        panic!("one attempt left")
    };
    assert_eq!(last.attempts, MAX_ATTEMPTS);
}

#[test]
fn an_expired_claim_is_due_again() {
    // The publisher crashed between claim and result: the lease runs out, the sweep retries.
    let claimed = first_claim(at(0));
    assert!(!is_due(&claimed, at(1)));
    assert!(is_due(&claimed, at(2)));
    assert!(is_due(&claimed, at(3)));
}

#[test]
fn the_error_kept_is_bounded() {
    let Attempt::Failed(mut error) = failure(PublishErrorKind::Retryable) else {
        unreachable!()
    };
    error.detail = "é".repeat(5_000);
    let next = after_attempt(
        &first_claim(at(0)),
        at(0),
        &Attempt::Failed(error),
        at(1),
        0.0,
    )
    .unwrap();
    let detail = next.last_error.unwrap().detail;
    assert_eq!(detail.chars().count(), DeliveryError::MAX_LEN);
    assert!(detail.ends_with('…'));
}

#[test]
fn times_at_the_end_of_the_calendar_saturate() {
    let end = DateTime::<Utc>::MAX_UTC;
    assert_eq!(first_claim(end).next_attempt_at, Some(end));
    let next = after_attempt(
        &pending(1, end),
        end,
        &failure(PublishErrorKind::Retryable),
        end,
        0.0,
    )
    .unwrap();
    assert_eq!(next.next_attempt_at, Some(end));
}
