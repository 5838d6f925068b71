//! Which silence holds a notification back, and until when.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::silence::{Expired, MatchField, Matcher};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap()
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes)
}

/// A silence of team `team` over minutes `[start, end)`, created at minute -1000; the id tells
/// it apart in failures.
fn silence(n: u8, team: &str, start: i64, end: i64) -> Silence {
    let id = format!(
        "sil-aaaaaaaa{}{}",
        char::from(b'a' + n / 26),
        char::from(b'a' + n % 26)
    );
    Silence {
        id: id.parse().expect("a silence id"),
        matchers: vec![Matcher::new(MatchField::Team, team).expect("a team id")],
        starts_at: at(start),
        ends_at: at(end),
        reason: "planned work".into(),
        created_by: "dana".into(),
        created_at: at(-1000),
        expired: None,
    }
}

fn labels(team: &str) -> Labels<'_> {
    Labels {
        integration: "crm-sync",
        team,
        class: "client_auth_failed",
        check: "auth",
    }
}

fn ended_early(mut s: Silence, minute: i64) -> Silence {
    s.expired = Some(Expired {
        at: at(minute),
        by: None,
    });
    s
}

#[test]
fn the_active_matching_silence_that_ends_last_decides() {
    let silences = vec![
        silence(0, "crm-ops", 0, 60),
        silence(1, "crm-ops", 10, 120),
        silence(2, "web-ops", 0, 500),
        silence(3, "crm-ops", 200, 300),
        ended_early(silence(4, "crm-ops", 0, 400), 30),
    ];
    let id = |s: Option<&Silence>| s.map(|s| s.id.to_string());
    // (minute, silence expected, silenced until)
    let table: [(i64, Option<u8>, Option<i64>); 9] = [
        (-1, None, None),
        // Silence 4 ended early at 30: silence 0 ends later, and silence 1 takes over at 60.
        (0, Some(0), Some(120)),
        (5, Some(0), Some(120)),
        (9, Some(0), Some(120)),
        (10, Some(1), Some(120)),
        (30, Some(1), Some(120)),
        (120, None, None),
        (199, None, None),
        (250, Some(3), Some(300)),
    ];
    for (minute, expected, until) in table {
        let found = silencing(&silences, &labels("crm-ops"), at(minute));
        let expected_id = expected.map(|n| silences[usize::from(n)].id.to_string());
        assert_eq!(id(found), expected_id, "minute {minute}");
        assert_eq!(
            silenced_until(&silences, &labels("crm-ops"), at(minute)),
            until.map(at),
            "minute {minute}"
        );
    }
    assert_eq!(
        id(silencing(&silences, &labels("web-ops"), at(499))),
        Some(silences[2].id.to_string())
    );
    assert_eq!(silencing(&silences, &labels("nobody"), at(30)), None);
    assert_eq!(silencing(&[], &labels("crm-ops"), at(30)), None);
}

#[test]
fn a_tie_goes_to_the_first() {
    let silences = vec![silence(0, "crm-ops", 0, 60), silence(1, "crm-ops", 10, 60)];
    let found = silencing(&silences, &labels("crm-ops"), at(20)).expect("silenced");
    assert_eq!(found.id, silences[0].id);
}

#[test]
fn chains_of_overlapping_and_touching_silences_are_followed() {
    let chain = vec![
        silence(0, "crm-ops", 100, 200),
        silence(1, "crm-ops", 0, 50),
        silence(2, "crm-ops", 40, 100), // touches the first: 100 is its end and the other's start
        silence(3, "web-ops", 200, 300), // another team's does not extend it
        silence(4, "crm-ops", 201, 300), // a gap of one minute: not followed
    ];
    let until = |minute| silenced_until(&chain, &labels("crm-ops"), at(minute));
    assert_eq!(until(0), Some(at(200)));
    assert_eq!(until(150), Some(at(200)));
    assert_eq!(until(200), None);
    assert_eq!(until(201), Some(at(300)));
    // An early end cuts the chain.
    let mut cut = chain.clone();
    cut[2] = ended_early(cut[2].clone(), 70);
    assert_eq!(
        silenced_until(&cut, &labels("crm-ops"), at(0)),
        Some(at(70))
    );
}

fn arbitrary_silences() -> impl Strategy<Value = Vec<Silence>> {
    let one = (0u8..3, 0i64..200, 1i64..80, proptest::option::of(0i64..300));
    proptest::collection::vec(one, 0..12).prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (team, start, length, expired))| {
                let team = ["crm-ops", "web-ops", "data-ops"][usize::from(team)];
                let s = silence(u8::try_from(i).expect("few"), team, start, start + length);
                match expired {
                    Some(minute) => ended_early(s, minute),
                    None => s,
                }
            })
            .collect()
    })
}

proptest! {
    /// silenced_until is None exactly when nothing silences; at the instant it returns no
    /// matching silence is active, and every instant before it (from `at` on) is silenced.
    #[test]
    fn silenced_until_ends_where_no_matching_silence_is_active(
        silences in arbitrary_silences(),
        minute in -10i64..300,
    ) {
        let labels = labels("crm-ops");
        let until = silenced_until(&silences, &labels, at(minute));
        prop_assert_eq!(until.is_none(), silencing(&silences, &labels, at(minute)).is_none());
        if let Some(until) = until {
            prop_assert!(until > at(minute));
            prop_assert!(silencing(&silences, &labels, until).is_none());
            let mut t = at(minute);
            while t < until {
                prop_assert!(silencing(&silences, &labels, t).is_some(), "a gap at {}", t);
                t += TimeDelta::minutes(1);
            }
        }
    }
}
