//! The dead-man's switch and retiring.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;

#[test]
fn the_dead_mans_switch() {
    let now = "2026-11-28T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let every = Duration::from_secs(900);
    assert!(
        stale_reason(
            "X",
            every,
            Some(now - TimeDelta::minutes(44)),
            now - TimeDelta::days(9),
            now
        )
        .is_none()
    );
    let stale = stale_reason(
        "X",
        every,
        Some(now - TimeDelta::minutes(46)),
        now - TimeDelta::days(9),
        now,
    )
    .unwrap();
    assert!(
        stale.contains("has not checked X since 2026-11-28 11:14 UTC"),
        "{stale}"
    );
    assert!(stale_reason("X", every, None, now - TimeDelta::hours(23), now).is_none());
    let never = stale_reason("X", every, None, now - TimeDelta::hours(25), now).unwrap();
    assert!(never.contains("never checked X"), "{never}");
}
