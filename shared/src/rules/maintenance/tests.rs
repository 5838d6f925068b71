//! Maintenance windows across daylight-saving changes, midnight, weekdays and chains.

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn window(days: &[Weekday], h: u32, m: u32, duration: TimeDelta) -> MaintenanceWindow {
    MaintenanceWindow {
        days: days.to_vec(),
        start: NaiveTime::from_hms_opt(h, m, 0).unwrap(),
        duration: duration.to_std().unwrap(),
        timezone: None,
    }
}

fn occ(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Occurrence> {
    Some(Occurrence { start, end })
}

const NY: Tz = chrono_tz::America::New_York;
const SEC: TimeDelta = TimeDelta::seconds(1);

/// (name, window, zone, instant, the occurrence in force)
type Case<'a> = (
    &'a str,
    &'a MaintenanceWindow,
    Tz,
    DateTime<Utc>,
    Option<Occurrence>,
);

/// One window, one zone, an instant, and the occurrence in force (or none).
#[test]
fn active_at_table() {
    let h = TimeDelta::hours;
    let sunday_2am = window(&[Weekday::Sun], 2, 0, h(3));
    let sunday_0130 = window(&[Weekday::Sun], 1, 30, h(1));
    let friday_night = window(&[Weekday::Fri], 22, 0, h(4));
    let every_day = window(&[], 23, 0, h(2));
    let week_from_monday = window(&[Weekday::Mon], 0, 0, TimeDelta::days(7));
    // 2026-03-08: New York springs forward at 02:00 EST (07:00Z) to 03:00 EDT.
    let spring_start = utc(2026, 3, 8, 7, 0);
    // 2026-11-01: New York falls back at 02:00 EDT (06:00Z) to 01:00 EST; 01:30 shows twice.
    let fold_first = utc(2026, 11, 1, 5, 30);
    let cases: Vec<Case> = vec![
        // Spring forward: 02:00 is skipped, the window starts at 03:00 EDT and lasts 3 hours.
        ("spring: before", &sunday_2am, NY, spring_start - SEC, None),
        (
            "spring: start inclusive",
            &sunday_2am,
            NY,
            spring_start,
            occ(spring_start, spring_start + h(3)),
        ),
        (
            "spring: last second",
            &sunday_2am,
            NY,
            spring_start + h(3) - SEC,
            occ(spring_start, spring_start + h(3)),
        ),
        (
            "spring: end exclusive",
            &sunday_2am,
            NY,
            spring_start + h(3),
            None,
        ),
        // Fall back: the earlier 01:30 (EDT); at the second 01:30 (EST) the hour is over.
        ("fall: before", &sunday_0130, NY, fold_first - SEC, None),
        (
            "fall: earlier instant",
            &sunday_0130,
            NY,
            fold_first,
            occ(fold_first, fold_first + h(1)),
        ),
        (
            "fall: second showing is the end",
            &sunday_0130,
            NY,
            fold_first + h(1),
            None,
        ),
        // A normal Sunday: 02:00 EST is 07:00Z.
        (
            "sunday",
            &sunday_2am,
            NY,
            utc(2026, 11, 8, 8, 0),
            occ(utc(2026, 11, 8, 7, 0), utc(2026, 11, 8, 10, 0)),
        ),
        (
            "monday is not sunday",
            &sunday_2am,
            NY,
            utc(2026, 11, 9, 8, 0),
            None,
        ),
        (
            "saturday is not sunday",
            &sunday_2am,
            NY,
            utc(2026, 11, 7, 8, 0),
            None,
        ),
        // Across midnight: Friday 22:00 to Saturday 02:00; the Saturday part belongs to Friday.
        (
            "midnight: friday",
            &friday_night,
            Tz::UTC,
            utc(2026, 11, 6, 23, 0),
            occ(utc(2026, 11, 6, 22, 0), utc(2026, 11, 7, 2, 0)),
        ),
        (
            "midnight: saturday part",
            &friday_night,
            Tz::UTC,
            utc(2026, 11, 7, 1, 59),
            occ(utc(2026, 11, 6, 22, 0), utc(2026, 11, 7, 2, 0)),
        ),
        (
            "midnight: end",
            &friday_night,
            Tz::UTC,
            utc(2026, 11, 7, 2, 0),
            None,
        ),
        (
            "midnight: saturday night is not friday",
            &friday_night,
            Tz::UTC,
            utc(2026, 11, 7, 23, 0),
            None,
        ),
        // No days listed: every day, here across midnight in New York (23:00 EST = 04:00Z).
        (
            "every day",
            &every_day,
            NY,
            utc(2026, 11, 11, 5, 0),
            occ(utc(2026, 11, 11, 4, 0), utc(2026, 11, 11, 6, 0)),
        ),
        (
            "every day: gap",
            &every_day,
            NY,
            utc(2026, 11, 11, 6, 0),
            None,
        ),
        // Seven days from Monday 00:00: always in force; at Monday 00:00 the next one starts.
        (
            "week: sunday night",
            &week_from_monday,
            Tz::UTC,
            utc(2026, 11, 15, 23, 59),
            occ(utc(2026, 11, 9, 0, 0), utc(2026, 11, 16, 0, 0)),
        ),
        (
            "week: next monday",
            &week_from_monday,
            Tz::UTC,
            utc(2026, 11, 16, 0, 0),
            occ(utc(2026, 11, 16, 0, 0), utc(2026, 11, 23, 0, 0)),
        ),
        // Seven days in absolute time across spring forward: Monday 2026-03-02 00:00 EST (05:00Z)
        // ends 2026-03-09 05:00Z (01:00 EDT); the next starts 00:00 EDT (04:00Z) and ends later.
        (
            "week: absolute across DST",
            &week_from_monday,
            NY,
            utc(2026, 3, 9, 3, 59),
            occ(utc(2026, 3, 2, 5, 0), utc(2026, 3, 9, 5, 0)),
        ),
        (
            "week: the later of two in force",
            &week_from_monday,
            NY,
            utc(2026, 3, 9, 4, 30),
            occ(utc(2026, 3, 9, 4, 0), utc(2026, 3, 16, 4, 0)),
        ),
    ];
    for (name, window, tz, t, expected) in cases {
        assert_eq!(active_at(window, tz, t), expected, "{name}");
    }
}

/// Two occurrences of a 7-day Saturday window meet across spring forward: the first (Saturday
/// 2026-03-07 23:30 EST, 03-08 04:30Z) ends 00:30 EDT on 03-15, 8 local dates after it began;
/// the next began at 23:30 EDT on 03-14 (03:30Z), so both are in force and the later one wins.
#[test]
fn overlapping_occurrences_across_spring_forward_give_the_later_end() {
    let w = window(&[Weekday::Sat], 23, 30, TimeDelta::days(7));
    let first = utc(2026, 3, 8, 4, 30);
    assert_eq!(
        active_at(&w, NY, first),
        occ(first, first + TimeDelta::days(7))
    );
    let next = utc(2026, 3, 15, 3, 30);
    assert_eq!(
        active_at(&w, NY, next - SEC),
        occ(first, first + TimeDelta::days(7))
    );
    assert_eq!(
        active_at(&w, NY, next),
        occ(next, next + TimeDelta::days(7))
    );
    assert_eq!(
        active_at(&w, NY, first + TimeDelta::days(7)),
        occ(next, next + TimeDelta::days(7))
    );
}

/// A window's own zone is the caller's choice; the same window in two zones is two instants.
#[test]
fn the_zone_given_is_the_one_read() {
    let w = window(&[], 2, 0, TimeDelta::hours(1));
    let berlin = timezone_of(Some("Europe/Berlin")).unwrap();
    assert_eq!(
        active_at(&w, berlin, utc(2026, 11, 10, 1, 0)),
        occ(utc(2026, 11, 10, 1, 0), utc(2026, 11, 10, 2, 0))
    );
    assert_eq!(active_at(&w, Tz::UTC, utc(2026, 11, 10, 1, 0)), None);
    assert_eq!(timezone_of(None), None);
    assert_eq!(timezone_of(Some("Mars/Olympus")), None);
    assert_eq!(
        timezone_of(Some("Mars/Olympus"))
            .or(timezone_of(Some("America/New_York")))
            .unwrap_or(Tz::UTC),
        NY
    );
}

/// Windows that overlap or touch extend each other; the start is the chosen window's.
#[test]
fn in_maintenance_follows_chains() {
    let h = TimeDelta::hours;
    let windows = [
        window(&[], 1, 0, h(2)),  // 01:00-03:00
        window(&[], 2, 30, h(2)), // 02:30-04:30
        window(&[], 4, 30, h(1)), // 04:30-05:30, touching
        window(&[], 12, 0, h(1)), // apart
    ];
    let day = |hh, mm| utc(2026, 11, 10, hh, mm);
    let cases = [
        (day(0, 59), None),
        (day(1, 0), occ(day(1, 0), day(5, 30))),
        (day(2, 45), occ(day(2, 30), day(5, 30))),
        (day(4, 30), occ(day(4, 30), day(5, 30))),
        (day(5, 29), occ(day(4, 30), day(5, 30))),
        (day(5, 30), None),
        (day(12, 30), occ(day(12, 0), day(13, 0))),
        (day(13, 0), None),
    ];
    for (t, expected) in cases {
        assert_eq!(in_maintenance(&windows, Tz::UTC, t), expected, "{t}");
    }
    assert_eq!(in_maintenance(&[], Tz::UTC, day(1, 0)), None);
}

/// A window that never ends (every day, two days long) is followed for 50 hops, then left.
#[test]
fn chains_are_bounded() {
    let w = [window(&[], 0, 0, TimeDelta::days(2))];
    let t = utc(2026, 11, 10, 12, 0);
    let found = in_maintenance(&w, Tz::UTC, t).unwrap();
    assert_eq!(found.start, utc(2026, 11, 10, 0, 0));
    // Each hop from a midnight E reaches E + 2 days: 50 hops past the first end.
    let first_end = utc(2026, 11, 12, 0, 0);
    assert_eq!(found.end, first_end + TimeDelta::days(2 * MAX_HOPS as i64));
}
