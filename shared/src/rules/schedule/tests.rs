//! The probe schedule: cadence by health, jitter, the 30-second floor, saturation, and the
//! stable per-integration slots.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::domain::state::{Health, Track};

fn minute(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap() + TimeDelta::minutes(n)
}

/// A state whose auth track is at `health`.
fn state_at(health: Health) -> CheckState {
    CheckState {
        auth: Track {
            health,
            ..Track::default()
        },
        ..CheckState::default()
    }
}

fn firing_state() -> CheckState {
    state_at(Health::Firing)
}

const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);
const TWO_MINUTES: Duration = Duration::from_secs(2 * 60);

#[test]
fn schedule_uses_the_cadence_of_the_integrations_health() {
    let at = minute(0);
    let healthy = state_at(Health::Healthy);
    let cases = [
        (
            "unknown",
            CheckState::default(),
            at + TimeDelta::minutes(15),
        ),
        ("healthy", healthy, at + TimeDelta::minutes(15)),
        ("firing", firing_state(), at + TimeDelta::minutes(2)),
    ];
    for (name, state, expected) in cases {
        assert_eq!(
            schedule(&state, at, FIFTEEN_MINUTES, TWO_MINUTES, 0.0),
            expected,
            "{name}"
        );
    }
}

#[test]
fn schedule_jitter_takes_at_most_a_tenth_of_the_interval() {
    let at = minute(0);
    let state = CheckState::default();
    let next = |jitter| schedule(&state, at, FIFTEEN_MINUTES, TWO_MINUTES, jitter);
    assert_eq!(next(0.0), at + TimeDelta::seconds(900));
    assert_eq!(next(0.5), at + TimeDelta::seconds(855));
    let almost_one = next(0.999_999);
    assert!(almost_one > at + TimeDelta::seconds(810) && almost_one < at + TimeDelta::seconds(811));
    // Outside [0, 1) is clamped, and NaN counts as no jitter.
    assert_eq!(next(1.5), next(1.0));
    assert_eq!(next(-1.0), next(0.0));
    assert_eq!(next(f64::NAN), next(0.0));
}

#[test]
fn schedule_never_probes_sooner_than_30_seconds() {
    let at = minute(0);
    let cases = [
        Duration::ZERO,
        Duration::from_secs(10),
        Duration::from_secs(31),
    ];
    for interval in cases {
        let next = schedule(&firing_state(), at, FIFTEEN_MINUTES, interval, 0.99);
        assert_eq!(
            next,
            at + TimeDelta::seconds(30),
            "recheck every {interval:?}"
        );
    }
}

#[test]
fn schedule_saturates_instead_of_overflowing() {
    let late = DateTime::<Utc>::MAX_UTC - TimeDelta::days(1);
    for every in [Duration::from_secs(2 * 86_400), Duration::MAX] {
        let next = schedule(&CheckState::default(), late, every, TWO_MINUTES, 0.5);
        assert_eq!(next, DateTime::<Utc>::MAX_UTC, "probe every {every:?}");
    }
}

#[test]
fn fnv1a_matches_the_reference_vectors() {
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn first_probe_offsets_are_stable_bounded_and_spread() {
    let ids: Vec<String> = (0..200).map(|i| format!("integration-{i}")).collect();
    let offsets: Vec<Duration> = ids
        .iter()
        .map(|id| first_probe_offset(id, FIFTEEN_MINUTES))
        .collect();
    assert!(offsets.iter().all(|offset| *offset < FIFTEEN_MINUTES));
    let minutes: HashSet<u64> = offsets.iter().map(|offset| offset.as_secs() / 60).collect();
    assert_eq!(
        minutes.len(),
        15,
        "200 ids should land in every minute of 15"
    );
    assert_eq!(
        first_probe_offset("integration-7", FIFTEEN_MINUTES),
        offsets[7]
    );

    assert_eq!(first_probe_offset("crm", Duration::ZERO), Duration::ZERO);
    assert_eq!(
        first_probe_offset("crm", Duration::from_millis(900)),
        Duration::ZERO
    );
    assert_eq!(
        first_probe_offset("crm", Duration::from_secs(1)),
        Duration::ZERO
    );
}

#[test]
fn healthy_slots_keep_a_stable_phase_spread_over_the_interval() {
    let every = Duration::from_secs(15 * 60);
    let at = DateTime::parse_from_rfc3339("2026-11-28T09:00:20Z")
        .unwrap()
        .to_utc();
    let slot = next_slot("crm-contact-sync", at, every);
    assert!(
        slot >= at + TimeDelta::seconds(450),
        "at least half an interval away: {slot}"
    );
    assert!(
        slot < at + TimeDelta::seconds(450 + 900),
        "within one interval after that: {slot}"
    );
    // Probing a little late still lands on the next slot: the cadence is exactly probe_every.
    let late = slot + TimeDelta::seconds(40);
    assert_eq!(
        next_slot("crm-contact-sync", late, every),
        slot + TimeDelta::seconds(900)
    );
    // The phase is the id's own.
    let phase = slot.timestamp().rem_euclid(900);
    assert_eq!(
        phase,
        first_probe_offset("crm-contact-sync", every).as_secs() as i64
    );
    // Many ids spread over many different minutes of the interval.
    let minutes: HashSet<i64> = (0..100)
        .map(|i| next_slot(&format!("integration-{i}"), at, every).timestamp() / 60)
        .collect();
    assert!(minutes.len() >= 10, "{} distinct minutes", minutes.len());
}

#[test]
fn next_slot_is_the_first_own_slot_at_least_half_an_interval_away() {
    let every = Duration::from_secs(900);
    let base = DateTime::parse_from_rfc3339("2026-11-28T09:00:00Z")
        .unwrap()
        .to_utc();
    for i in 0..40 {
        let id = format!("integration-{i}");
        let phase = first_probe_offset(&id, every).as_secs() as i64;
        for offset in [0, 1, 7, 449, 450, 451, 899, 900, 1234] {
            let at = base + TimeDelta::seconds(offset);
            let slot = next_slot(&id, at, every);
            let earliest = at + TimeDelta::seconds(450);
            assert!(
                slot >= earliest && slot < earliest + TimeDelta::seconds(900),
                "{id} at +{offset}s: {slot}"
            );
            assert_eq!(
                slot.timestamp().rem_euclid(900),
                phase,
                "{id} at +{offset}s"
            );
        }
        // Exactly half an interval before a slot: that slot itself, not the one after.
        let on_slot = base.timestamp() - base.timestamp().rem_euclid(900) + 900 + phase;
        let at = DateTime::from_timestamp(on_slot - 450, 0).unwrap();
        assert_eq!(next_slot(&id, at, every).timestamp(), on_slot, "{id}");
    }
}
