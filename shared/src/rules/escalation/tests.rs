//! Escalation: once, after escalate_after; wall-clock for critical, business time below; and
//! the simulated week of a New York team across the 2026 fall-back.

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;

use super::*;
use crate::inventory::BusinessHours;
use crate::rules::reminders::{self, Schedule, Subject};

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn new_york() -> Calendar {
    let hours = BusinessHours {
        days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ],
        start: hm(9, 0),
        end: hm(17, 0),
    };
    Calendar::new(Some("America/New_York"), Some(hours)).unwrap()
}

fn ny(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("an unambiguous New York time")
        .with_timezone(&Utc)
}

/// Friday 2026-10-30 18:30 New York (EDT), two days before the fall-back.
fn friday_evening() -> DateTime<Utc> {
    ny(2026, 10, 30, 18, 30)
}

fn incident(severity: Severity) -> Escalatable {
    Escalatable {
        since: friday_evening(),
        severity,
        open: true,
        acknowledged: false,
        escalated: false,
    }
}

#[test]
fn escalation_table() {
    let c = new_york();
    let four_hours = Some(TimeDelta::hours(4));
    let high = incident(Severity::High);
    let critical = incident(Severity::Critical);
    let cases = [
        // Critical: wall-clock, Friday 22:30.
        (
            critical,
            four_hours,
            ny(2026, 10, 30, 19, 0),
            Escalation::At(ny(2026, 10, 30, 22, 30)),
        ),
        (
            critical,
            four_hours,
            ny(2026, 10, 30, 22, 30),
            Escalation::Now,
        ),
        // High: four business hours, Monday 13:00 EST.
        (
            high,
            four_hours,
            ny(2026, 10, 31, 12, 0),
            Escalation::At(ny(2026, 11, 2, 13, 0)),
        ),
        (
            high,
            four_hours,
            ny(2026, 11, 2, 12, 59),
            Escalation::At(ny(2026, 11, 2, 13, 0)),
        ),
        (high, four_hours, ny(2026, 11, 2, 13, 0), Escalation::Now),
        (
            incident(Severity::Low),
            four_hours,
            ny(2026, 11, 2, 13, 0),
            Escalation::Now,
        ),
        // Once, open, unacknowledged, configured.
        (
            Escalatable {
                escalated: true,
                ..high
            },
            four_hours,
            ny(2026, 11, 9, 0, 0),
            Escalation::Never,
        ),
        (
            Escalatable {
                acknowledged: true,
                ..critical
            },
            four_hours,
            ny(2026, 11, 9, 0, 0),
            Escalation::Never,
        ),
        (
            Escalatable {
                open: false,
                ..critical
            },
            four_hours,
            ny(2026, 11, 9, 0, 0),
            Escalation::Never,
        ),
        (critical, None, ny(2026, 11, 9, 0, 0), Escalation::Never),
    ];
    for (i, (incident, after, now, want)) in cases.into_iter().enumerate() {
        assert_eq!(escalation(&incident, after, &c, now), want, "case {i}");
    }
}

#[test]
fn unreachable_due_time_is_never() {
    let no_days = Calendar::new(
        None,
        Some(BusinessHours {
            days: vec![],
            start: hm(9, 0),
            end: hm(17, 0),
        }),
    )
    .unwrap();
    let high = incident(Severity::High);
    assert_eq!(
        escalation(
            &high,
            Some(TimeDelta::hours(1)),
            &no_days,
            ny(2027, 1, 1, 0, 0)
        ),
        Escalation::Never
    );
    let late = Escalatable {
        since: DateTime::<Utc>::MAX_UTC,
        ..incident(Severity::Critical)
    };
    assert_eq!(
        escalation(
            &late,
            Some(TimeDelta::hours(1)),
            &no_days,
            ny(2027, 1, 1, 0, 0)
        ),
        Escalation::Never
    );
}

/// What a team receives, as (New York local time, event): the sweep runs every minute from
/// the opening for a week; below critical, anything outside business hours waits for them,
/// and the deferred opening counts for the reminders due by then (no burst on Monday).
fn simulate_week(severity: Severity, opened_at: DateTime<Utc>) -> Vec<(String, String)> {
    let calendar = new_york();
    let schedule = Schedule {
        since: opened_at,
        severity,
        subject: Subject::Failure,
        intervals: None,
        max: None,
    };
    let mut out = Vec::new();
    let mut log = |t: DateTime<Utc>, what: String| {
        out.push((
            t.with_timezone(&New_York)
                .format("%a %m-%d %H:%M %Z")
                .to_string(),
            what,
        ));
    };
    let mut opened_sent = false;
    let mut last_sent = 0;
    let mut escalated = false;
    let mut now = opened_at;
    let end = opened_at + TimeDelta::days(7);
    while now < end {
        let may_send = severity == Severity::Critical || calendar.is_open(now);
        if !opened_sent {
            if may_send {
                log(now, "opened".to_string());
                opened_sent = true;
                last_sent = schedule.due_by(now);
            } else if now == opened_at {
                let until = calendar.next_open(now).expect("weekdays are listed");
                let until = until.with_timezone(&New_York).format("%a %H:%M %Z");
                log(now, format!("opened deferred until {until}"));
            }
        } else if may_send
            && let Some(r) = reminders::next(&schedule, false, last_sent, now)
            && r.due <= now
        {
            log(now, format!("reminder {}", r.n));
            last_sent = r.n;
        }
        if opened_sent && may_send {
            let state = Escalatable {
                since: opened_at,
                severity,
                open: true,
                acknowledged: false,
                escalated,
            };
            if escalation(&state, Some(TimeDelta::hours(4)), &calendar, now) == Escalation::Now {
                log(now, "escalated".to_string());
                escalated = true;
            }
        }
        now += TimeDelta::minutes(1);
    }
    out
}

fn rows(want: &[(&str, &str)]) -> Vec<(String, String)> {
    want.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn simulated_week_high_incident_friday_evening_across_the_fall_back() {
    let got = simulate_week(Severity::High, friday_evening());
    let want = rows(&[
        ("Fri 10-30 18:30 EDT", "opened deferred until Mon 09:00 EST"),
        ("Mon 11-02 09:00 EST", "opened"),
        ("Mon 11-02 10:30 EST", "reminder 5"),
        ("Mon 11-02 13:00 EST", "escalated"),
        ("Tue 11-03 10:30 EST", "reminder 6"),
        ("Wed 11-04 10:30 EST", "reminder 7"),
        ("Thu 11-05 10:30 EST", "reminder 8"),
        ("Fri 11-06 10:30 EST", "reminder 9"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn simulated_week_critical_incident_friday_evening_goes_at_once() {
    let got = simulate_week(Severity::Critical, friday_evening());
    let want = rows(&[
        ("Fri 10-30 18:30 EDT", "opened"),
        ("Fri 10-30 19:00 EDT", "reminder 1"),
        ("Fri 10-30 20:00 EDT", "reminder 2"),
        ("Fri 10-30 22:00 EDT", "reminder 3"),
        ("Fri 10-30 22:30 EDT", "escalated"),
        ("Sat 10-31 02:00 EDT", "reminder 4"),
        ("Sat 10-31 10:00 EDT", "reminder 5"),
        ("Sat 10-31 18:00 EDT", "reminder 6"),
        // Wall-clock 8 h: Saturday 18:00 EDT + 8 h is 01:00 EST (the clock fell back an hour).
        ("Sun 11-01 01:00 EST", "reminder 7"),
        ("Sun 11-01 09:00 EST", "reminder 8"),
        ("Sun 11-01 17:00 EST", "reminder 9"),
        ("Mon 11-02 01:00 EST", "reminder 10"),
        ("Mon 11-02 09:00 EST", "reminder 11"),
        ("Mon 11-02 17:00 EST", "reminder 12"),
        ("Tue 11-03 01:00 EST", "reminder 13"),
        ("Tue 11-03 09:00 EST", "reminder 14"),
        ("Tue 11-03 17:00 EST", "reminder 15"),
        ("Wed 11-04 01:00 EST", "reminder 16"),
        ("Wed 11-04 09:00 EST", "reminder 17"),
        ("Wed 11-04 17:00 EST", "reminder 18"),
        ("Thu 11-05 01:00 EST", "reminder 19"),
        ("Thu 11-05 09:00 EST", "reminder 20"),
        ("Thu 11-05 17:00 EST", "reminder 21"),
        ("Fri 11-06 01:00 EST", "reminder 22"),
        ("Fri 11-06 09:00 EST", "reminder 23"),
        ("Fri 11-06 17:00 EST", "reminder 24"),
    ]);
    assert_eq!(got, want);
}
