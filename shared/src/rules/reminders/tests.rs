//! The reminder schedule: defaults, a team's list, the cap, coalescing, acknowledgement,
//! expiry incidents.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap()
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes)
}

fn schedule(severity: Severity) -> Schedule<'static> {
    Schedule {
        since: t0(),
        severity,
        subject: Subject::Failure,
        intervals: None,
        max: None,
    }
}

/// Minutes after the start of reminders 1..=n.
fn dues(s: &Schedule<'_>, n: u32) -> Vec<Option<i64>> {
    (1..=n)
        .map(|k| s.due(k).map(|d| (d - t0()).num_minutes()))
        .collect()
}

#[test]
fn default_schedules_by_severity() {
    let h = 60;
    let cases = [
        (Severity::Critical, vec![30, 90, 210, 450, 930, 1410, 1890]),
        (
            Severity::High,
            vec![h, 5 * h, 17 * h, 41 * h, 65 * h, 89 * h, 113 * h],
        ),
        (
            Severity::Medium,
            vec![24 * h, 48 * h, 72 * h, 96 * h, 120 * h, 144 * h, 168 * h],
        ),
        (
            Severity::Low,
            vec![24 * h, 48 * h, 72 * h, 96 * h, 120 * h, 144 * h, 168 * h],
        ),
    ];
    for (severity, want) in cases {
        let want: Vec<_> = want.into_iter().map(Some).collect();
        assert_eq!(dues(&schedule(severity), 7), want, "{severity:?}");
    }
}

#[test]
fn team_list_overrides_and_its_last_interval_repeats() {
    let own = [TimeDelta::minutes(10), TimeDelta::hours(1)];
    let s = Schedule {
        intervals: Some(&own),
        ..schedule(Severity::Critical)
    };
    assert_eq!(dues(&s, 4), vec![Some(10), Some(70), Some(130), Some(190)]);
    // An empty list is no list: the default.
    let s = Schedule {
        intervals: Some(&[]),
        ..schedule(Severity::High)
    };
    assert_eq!(s.due(1), Some(at(60)));
    // Intervals shorter than a minute count as a minute: due times still increase.
    let tiny = [TimeDelta::zero(), TimeDelta::seconds(-5)];
    let s = Schedule {
        intervals: Some(&tiny),
        ..schedule(Severity::Low)
    };
    assert_eq!(dues(&s, 3), vec![Some(1), Some(2), Some(3)]);
}

#[test]
fn the_cap_ends_the_schedule() {
    let s = Schedule {
        max: Some(2),
        ..schedule(Severity::Critical)
    };
    assert_eq!(dues(&s, 3), vec![Some(30), Some(90), None]);
    assert_eq!(s.due(0), None);
    assert_eq!(s.due_by(at(10_000)), 2);
    assert_eq!(next(&s, false, 2, at(10_000)), None);
    // Several overdue beyond the cap: one reminder, the last allowed.
    assert_eq!(
        next(&s, false, 0, at(10_000)),
        Some(Reminder { n: 2, due: at(90) })
    );
    let none = Schedule {
        max: Some(0),
        ..schedule(Severity::Critical)
    };
    assert_eq!(next(&none, false, 0, at(10_000)), None);
}

#[test]
fn next_reminder_table() {
    let s = schedule(Severity::Critical);
    // (last sent, now in minutes) -> (n, due in minutes)
    let cases = [
        ((0, 0), Some((1, 30))),
        ((0, 29), Some((1, 30))),
        ((0, 30), Some((1, 30))),
        ((1, 30), Some((2, 90))),
        ((1, 89), Some((2, 90))),
        // Missed sweeps: one reminder, the latest due, never a burst.
        ((0, 215), Some((3, 210))),
        ((1, 935), Some((5, 930))),
        ((5, 935), Some((6, 1410))),
        // Far in the repeating tail (8 h = 480 min after 930).
        ((0, 930 + 480 * 100 + 1), Some((105, 930 + 480 * 100))),
        // Before the start (a clock behind): the first, later.
        ((0, -60), Some((1, 30))),
    ];
    for ((last, now), want) in cases {
        let got = next(&s, false, last, at(now)).map(|r| (r.n, (r.due - t0()).num_minutes()));
        assert_eq!(got, want, "last sent {last}, now +{now}m");
    }
}

#[test]
fn due_by_counts_the_reminders_due() {
    let s = schedule(Severity::High);
    let cases = [
        (-1, 0),
        (0, 0),
        (59, 0),
        (60, 1),
        (299, 1),
        (300, 2),
        (1020, 3),
        (2460, 4),
        (2459, 3),
        (3900, 5),
    ];
    for (minutes, want) in cases {
        assert_eq!(s.due_by(at(minutes)), want, "+{minutes}m");
    }
}

#[test]
fn acknowledged_gets_no_reminder() {
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        assert_eq!(next(&schedule(severity), true, 0, at(100_000)), None);
        assert!(next(&schedule(severity), false, 0, at(100_000)).is_some());
    }
}

#[test]
fn expiry_incidents_follow_their_thresholds_then_daily() {
    let own = [TimeDelta::minutes(5)];
    let warning = Schedule {
        subject: Subject::ExpiryWarning,
        intervals: Some(&own),
        ..schedule(Severity::Critical)
    };
    assert_eq!(next(&warning, false, 0, at(100_000)), None);
    assert_eq!(warning.due(1), None);
    assert_eq!(warning.due_by(at(100_000)), 0);
    // Expired: daily, whatever the severity or the team's list.
    let expired = Schedule {
        subject: Subject::Expired,
        ..warning
    };
    assert_eq!(dues(&expired, 3), vec![Some(1440), Some(2880), Some(4320)]);
    assert_eq!(
        next(&expired, false, 0, at(3000)),
        Some(Reminder {
            n: 2,
            due: at(2880)
        })
    );
}

#[test]
fn extreme_numbers_and_times_are_none_not_a_panic() {
    let s = schedule(Severity::Medium);
    assert_eq!(s.due(u32::MAX), None);
    assert_eq!(next(&s, false, u32::MAX, at(0)), None);
    let late = Schedule {
        since: DateTime::<Utc>::MAX_UTC - TimeDelta::hours(1),
        ..schedule(Severity::Medium)
    };
    assert_eq!(late.due(1), None);
}

fn any_schedule() -> impl Strategy<Value = (Vec<i64>, Option<u32>, u8)> {
    (
        prop::collection::vec(-10i64..3000, 0..6),
        prop::option::of(0u32..12),
        0u8..4,
    )
}

fn severity(i: u8) -> Severity {
    [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ][usize::from(i % 4)]
}

proptest! {
    /// Following `next` sweep after sweep never exceeds the cap, due times strictly increase,
    /// and no two reminders share an instant or a number.
    #[test]
    fn sweeps_respect_cap_and_order(
        (own, max, sev) in any_schedule(),
        steps in prop::collection::vec(1i64..5000, 1..40),
    ) {
        let own: Vec<TimeDelta> = own.into_iter().map(TimeDelta::minutes).collect();
        let s = Schedule { intervals: Some(&own), max, ..schedule(severity(sev)) };
        let mut now = t0();
        let mut last = 0u32;
        let mut sent: Vec<Reminder> = Vec::new();
        for step in steps {
            now += TimeDelta::minutes(step);
            if let Some(r) = next(&s, false, last, now) {
                if r.due <= now {
                    // Coalescing: at most one per sweep, and the latest due.
                    prop_assert_eq!(r.n, s.due_by(now));
                    prop_assert!(next(&s, false, r.n, now).is_none_or(|after| after.due > now));
                    last = r.n;
                    sent.push(r);
                } else {
                    prop_assert!(r.n == last + 1);
                }
            }
        }
        if let Some(max) = max {
            prop_assert!(last <= max && sent.len() as u32 <= max);
        }
        for pair in sent.windows(2) {
            prop_assert!(pair[0].due < pair[1].due && pair[0].n < pair[1].n);
        }
    }

    /// Due times strictly increase with the number, and `due_by` is their inverse.
    #[test]
    fn due_times_increase((own, max, sev) in any_schedule(), n in 1u32..60) {
        let own: Vec<TimeDelta> = own.into_iter().map(TimeDelta::minutes).collect();
        let s = Schedule { intervals: Some(&own), max, ..schedule(severity(sev)) };
        if let (Some(a), Some(b)) = (s.due(n), s.due(n + 1)) {
            prop_assert!(a < b);
            prop_assert_eq!(s.due_by(a), n);
            prop_assert_eq!(s.due_by(b - TimeDelta::seconds(1)), n);
        }
        if max.is_some_and(|m| n > m) {
            prop_assert_eq!(s.due(n), None);
        }
    }
}

#[test]
fn without_remind_max_a_one_minute_schedule_still_ends() {
    // remind_after: [1m] and no remind_max, left open for a year: the work a sweep does for
    // the incident (its notification items) stays bounded.
    let every_minute = [TimeDelta::minutes(1)];
    let s = Schedule {
        intervals: Some(&every_minute),
        ..schedule(Severity::Critical)
    };
    let year = at(365 * 24 * 60);
    assert_eq!(s.due_by(year), MAX_REMINDERS);
    assert_eq!(s.due(MAX_REMINDERS), Some(at(i64::from(MAX_REMINDERS))));
    assert_eq!(s.due(MAX_REMINDERS + 1), None);
    assert_eq!(next(&s, false, MAX_REMINDERS, year), None);
}
