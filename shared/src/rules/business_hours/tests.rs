//! Business hours in a time zone: inside, next start, business time, across daylight-saving
//! changes and weekends.

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use proptest::prelude::*;

use super::*;

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn weekdays(start: NaiveTime, end: NaiveTime) -> BusinessHours {
    BusinessHours {
        days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ],
        start,
        end,
    }
}

fn new_york() -> Calendar {
    Calendar::new(
        Some("America/New_York"),
        Some(weekdays(hm(9, 0), hm(17, 0))),
    )
    .unwrap()
}

/// New York local wall-clock time (unambiguous ones only) as UTC.
fn ny(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("an unambiguous New York time")
        .with_timezone(&Utc)
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

#[test]
fn unknown_time_zone_is_an_error() {
    assert_eq!(
        Calendar::new(Some("Mars/Olympus"), None),
        Err(UnknownTimeZone("Mars/Olympus".to_string()))
    );
    assert!(
        UnknownTimeZone("Mars/Olympus".to_string())
            .to_string()
            .contains("\"Mars/Olympus\" is not a time zone name")
    );
}

#[test]
fn inside_business_hours_table() {
    let c = new_york();
    let cases = [
        (ny(2026, 10, 30, 8, 59), false), // Friday before start
        (ny(2026, 10, 30, 9, 0), true),   // start is inside
        (ny(2026, 10, 30, 16, 59), true),
        (ny(2026, 10, 30, 17, 0), false), // end is outside
        (ny(2026, 10, 30, 18, 30), false),
        (ny(2026, 10, 31, 12, 0), false),  // Saturday
        (ny(2026, 11, 1, 12, 0), false),   // Sunday, after the fall-back
        (ny(2026, 11, 2, 9, 0), true),     // Monday, now EST
        (utc(2026, 11, 2, 13, 30), false), // 08:30 EST (would be 09:30 EDT)
        (utc(2026, 10, 30, 13, 30), true), // 09:30 EDT
    ];
    for (t, want) in cases {
        assert_eq!(c.is_open(t), want, "{t}");
    }
}

#[test]
fn next_open_table() {
    let c = new_york();
    let cases = [
        // Friday evening before the fall-back: Monday 09:00 EST (14:00 UTC).
        (ny(2026, 10, 30, 18, 30), ny(2026, 11, 2, 9, 0)),
        (ny(2026, 11, 2, 9, 0), ny(2026, 11, 2, 9, 0)),
        (ny(2026, 11, 2, 8, 0), ny(2026, 11, 2, 9, 0)),
        (ny(2026, 11, 2, 17, 0), ny(2026, 11, 3, 9, 0)),
        // Friday evening before the spring-forward: Monday 09:00 EDT.
        (ny(2027, 3, 12, 18, 0), ny(2027, 3, 15, 9, 0)),
        (ny(2027, 3, 14, 3, 30), ny(2027, 3, 15, 9, 0)),
    ];
    for (t, want) in cases {
        assert_eq!(c.next_open(t), Some(want), "{t}");
    }
    assert_eq!(ny(2026, 11, 2, 9, 0), utc(2026, 11, 2, 14, 0));
    assert_eq!(ny(2027, 3, 15, 9, 0), utc(2027, 3, 15, 13, 0));
}

#[test]
fn hours_inside_the_skipped_and_repeated_clock_hours() {
    // A (night-shift) team whose hours start inside the clock's change, every day.
    let every_day = |start, end| BusinessHours {
        days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ],
        start,
        end,
    };
    let c = Calendar::new(
        Some("America/New_York"),
        Some(every_day(hm(2, 30), hm(4, 0))),
    )
    .unwrap();
    // Spring forward 2027-03-14: 02:00 EST -> 03:00 EDT (07:00 UTC); 02:30 is skipped, the
    // window starts at the jump and lasts until 04:00 EDT (08:00 UTC): one hour.
    assert_eq!(
        c.next_open(utc(2027, 3, 14, 5, 0)),
        Some(utc(2027, 3, 14, 7, 0))
    );
    assert_eq!(
        c.business_time(utc(2027, 3, 14, 0, 0), utc(2027, 3, 14, 12, 0)),
        TimeDelta::hours(1)
    );
    // Fall back 2026-11-01: 02:00 EDT -> 01:00 EST (06:00 UTC). 01:30 shows twice; a window
    // from 01:30 runs from its first showing (05:30 UTC) to 04:00 EST (09:00 UTC).
    let c = Calendar::new(
        Some("America/New_York"),
        Some(every_day(hm(1, 30), hm(4, 0))),
    )
    .unwrap();
    assert_eq!(
        c.next_open(utc(2026, 11, 1, 0, 0)),
        Some(utc(2026, 11, 1, 5, 30))
    );
    assert!(c.is_open(utc(2026, 11, 1, 6, 10))); // 01:10 EST, after the first 01:30
    assert!(!c.is_open(utc(2026, 11, 1, 9, 0)));
    assert_eq!(
        c.business_time(utc(2026, 11, 1, 0, 0), utc(2026, 11, 1, 12, 0)),
        TimeDelta::minutes(210)
    );
    // A window wholly inside the skipped hour holds no time that day.
    let c = Calendar::new(
        Some("America/New_York"),
        Some(every_day(hm(2, 10), hm(2, 50))),
    )
    .unwrap();
    assert_eq!(
        c.business_time(utc(2027, 3, 14, 0, 0), utc(2027, 3, 14, 23, 0)),
        TimeDelta::zero()
    );
    assert_eq!(
        c.business_time(utc(2027, 3, 15, 0, 0), utc(2027, 3, 15, 23, 0)),
        TimeDelta::minutes(40)
    );
    // ... so business hours next start the day after, not at the jump.
    assert!(!c.is_open(utc(2027, 3, 14, 7, 0)));
    assert_eq!(
        c.next_open(utc(2027, 3, 14, 0, 0)),
        Some(ny(2027, 3, 15, 2, 10))
    );
}

#[test]
fn a_two_hour_skip_and_a_skipped_day() {
    let every_day = |start, end| BusinessHours {
        days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ],
        start,
        end,
    };
    // Antarctica/Troll jumps from 01:00 +00 to 03:00 +02 (01:00 UTC) on 2027-03-28: a window
    // from 01:30 starts at the jump, 90 minutes of local clock later.
    let c = Calendar::new(
        Some("Antarctica/Troll"),
        Some(every_day(hm(1, 30), hm(4, 0))),
    )
    .unwrap();
    assert_eq!(
        c.next_open(utc(2027, 3, 28, 0, 0)),
        Some(utc(2027, 3, 28, 1, 0))
    );
    assert_eq!(
        c.business_time(utc(2027, 3, 28, 0, 0), utc(2027, 3, 28, 12, 0)),
        TimeDelta::hours(1)
    );
    // Samoa skipped Friday 2011-12-30 entirely: no business hours that day, Saturday's next.
    let c = Calendar::new(Some("Pacific/Apia"), Some(every_day(hm(9, 0), hm(17, 0)))).unwrap();
    let thursday_evening = utc(2011, 12, 30, 4, 0); // Thursday 2011-12-29 18:00 -10:00
    assert_eq!(
        c.next_open(thursday_evening),
        Some(utc(2011, 12, 30, 19, 0))
    ); // Sat 09:00 +14:00
    assert_eq!(
        c.business_time(thursday_evening, utc(2011, 12, 30, 19, 0)),
        TimeDelta::zero()
    );
}

#[test]
fn search_reaches_two_years_and_no_further() {
    // One minute of business time a week: 100 minutes are 100 weeks away (within
    // MAX_SEARCH_DAYS), 110 weeks are beyond it.
    let c = Calendar::new(
        None,
        Some(BusinessHours {
            days: vec![Weekday::Mon],
            start: hm(9, 0),
            end: hm(9, 1),
        }),
    )
    .unwrap();
    let from = utc(2026, 11, 2, 12, 0); // a Monday, after the minute
    assert_eq!(
        c.after_business_time(from, TimeDelta::minutes(100)),
        Some(utc(2026, 11, 2, 9, 1) + TimeDelta::weeks(100))
    );
    assert_eq!(c.after_business_time(from, TimeDelta::minutes(110)), None);
}

#[test]
fn business_time_table() {
    let c = new_york();
    let cases = [
        // Friday 18:30 to Monday 09:00: nothing.
        (ny(2026, 10, 30, 18, 30), ny(2026, 11, 2, 9, 0), 0),
        (ny(2026, 10, 30, 18, 30), ny(2026, 11, 2, 13, 0), 4 * 60),
        // A whole week across the fall-back: 5 x 8 h.
        (ny(2026, 10, 30, 0, 0), ny(2026, 11, 6, 0, 0), 40 * 60),
        (ny(2026, 11, 2, 10, 15), ny(2026, 11, 2, 10, 45), 30),
        (ny(2026, 11, 2, 16, 0), ny(2026, 11, 3, 10, 0), 2 * 60),
        (ny(2026, 11, 3, 10, 0), ny(2026, 11, 2, 10, 0), 0),
    ];
    for (from, to, want) in cases {
        assert_eq!(
            c.business_time(from, to),
            TimeDelta::minutes(want),
            "{from}..{to}"
        );
    }
    let always = Calendar::always_open();
    assert_eq!(
        always.business_time(utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 0, 0)),
        TimeDelta::days(1)
    );
}

#[test]
fn after_business_time_table() {
    let c = new_york();
    let cases = [
        (
            ny(2026, 10, 30, 18, 30),
            4 * 60,
            Some(ny(2026, 11, 2, 13, 0)),
        ),
        (
            ny(2026, 10, 30, 16, 0),
            2 * 60,
            Some(ny(2026, 11, 2, 10, 0)),
        ),
        (ny(2026, 10, 30, 16, 0), 60, Some(ny(2026, 10, 30, 17, 0))),
        (ny(2026, 10, 30, 16, 0), 0, Some(ny(2026, 10, 30, 16, 0))),
        (ny(2026, 10, 30, 16, 0), -5, Some(ny(2026, 10, 30, 16, 0))),
        // 41 business hours: the whole next week and one hour.
        (
            ny(2026, 10, 30, 17, 0),
            41 * 60,
            Some(ny(2026, 11, 9, 10, 0)),
        ),
    ];
    for (from, minutes, want) in cases {
        assert_eq!(
            c.after_business_time(from, TimeDelta::minutes(minutes)),
            want,
            "{from} +{minutes}m"
        );
    }
    let always = Calendar::always_open();
    assert_eq!(
        always.after_business_time(utc(2026, 1, 1, 0, 0), TimeDelta::hours(5)),
        Some(utc(2026, 1, 1, 5, 0))
    );
}

#[test]
fn no_days_means_never_open() {
    let c = Calendar::new(
        None,
        Some(BusinessHours {
            days: vec![],
            start: hm(9, 0),
            end: hm(17, 0),
        }),
    )
    .unwrap();
    let t = utc(2026, 11, 2, 12, 0);
    assert!(!c.is_open(t));
    assert_eq!(c.next_open(t), None);
    assert_eq!(c.after_business_time(t, TimeDelta::hours(1)), None);
    assert_eq!(
        c.business_time(t, t + TimeDelta::days(30)),
        TimeDelta::zero()
    );
}

#[test]
fn team_calendar_keeps_utc_without_a_time_zone() {
    let team = Team {
        id: "crm-ops".to_string(),
        name: "CRM operations".to_string(),
        timezone: None,
        business_hours: Some(weekdays(hm(9, 0), hm(17, 0))),
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        notify: Default::default(),
        maintenance: Vec::new(),
    };
    let c = Calendar::for_team(&team).unwrap();
    assert!(c.is_open(utc(2026, 11, 2, 9, 0)));
    assert!(!c.is_open(utc(2026, 11, 2, 8, 59)));
    let team = Team {
        timezone: Some("America/New_York".to_string()),
        ..team
    };
    assert_eq!(Calendar::for_team(&team).unwrap(), new_york());
}

fn any_calendar() -> impl Strategy<Value = Calendar> {
    let zones = prop::sample::select(vec![
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Apia",
        "UTC",
    ]);
    let day_set = prop::collection::btree_set(0u8..7, 1..=7);
    (zones, day_set, 0u32..(24 * 60 - 1), 1u32..(24 * 60)).prop_map(|(zone, days, start, len)| {
        let end = (start + len).min(24 * 60 - 1);
        let end = end.max(start + 1);
        let days = days
            .into_iter()
            .map(|d| Weekday::try_from(d).expect("0..7 is a weekday"))
            .collect();
        let hours = BusinessHours {
            days,
            start: hm(start / 60, start % 60),
            end: hm(end / 60, end % 60),
        };
        Calendar::new(Some(zone), Some(hours)).expect("a known zone")
    })
}

/// Instants around the 2026-2027 daylight-saving changes, to the minute.
fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..(500 * 24 * 60)).prop_map(|m| utc(2026, 9, 1, 0, 0) + TimeDelta::minutes(m))
}

proptest! {
    /// The next start is inside business hours and never before `t`; nothing between `t`
    /// and it is inside.
    #[test]
    fn next_open_is_open_and_not_before(c in any_calendar(), t in any_instant()) {
        let next = c.next_open(t).expect("some day is listed");
        prop_assert!(next >= t);
        prop_assert!(c.is_open(next));
        prop_assert_eq!(c.business_time(t, next), TimeDelta::zero());
    }

    /// Business time is additive and never more than wall time; `after_business_time` is its
    /// inverse.
    #[test]
    fn business_time_is_additive(
        c in any_calendar(),
        a in any_instant(),
        d1 in 0i64..(10 * 24 * 60),
        d2 in 0i64..(10 * 24 * 60),
    ) {
        let b = a + TimeDelta::minutes(d1);
        let e = b + TimeDelta::minutes(d2);
        let (ab, be, ae) = (c.business_time(a, b), c.business_time(b, e), c.business_time(a, e));
        prop_assert_eq!(ab + be, ae);
        prop_assert!(ae <= e - a);
        prop_assert!(ab >= TimeDelta::zero() && be >= TimeDelta::zero());
        if ae > TimeDelta::zero() {
            let at = c.after_business_time(a, ae).expect("within reach");
            prop_assert!(at <= e);
            prop_assert_eq!(c.business_time(a, at), ae);
        }
    }
}
