//! What every store adapter holds to alike, so the in-memory store and DynamoDB agree without
//! one importing the other: the bounds of stored counters, an incident's identity, the commit
//! rules, and the precision and range of stored times.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use super::error::{StoreError, StoreResult};
use crate::domain::incident::{CheckKind, IncidentId};
use crate::domain::passive::{CounterKey, PassiveCommit, PassivePattern, SfmcCall};
use crate::domain::state::StateCommit;

/// Largest `version` an integration may hold: 2^53 - 1, the largest integer every DynamoDB
/// client (JavaScript's included) reads exactly; at one commit a minute, billions of years
/// away. A larger one is an unreadable item, never an overflow.
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// Largest `incident_seq` an integration may hold (incidents ever opened for it): far beyond any
/// real count, and far enough below `u32::MAX` that the next number always exists.
pub const MAX_INCIDENT_SEQ: u32 = i32::MAX as u32;

/// The version a commit writes after `expected`: `None` when `expected` is already
/// [`MAX_VERSION`] (a hand-edited item), never an overflow.
pub fn next_version(expected: u64) -> Option<u64> {
    expected.checked_add(1).filter(|&next| next <= MAX_VERSION)
}

/// Most silences a store lists (pending, active and ended ones still kept): far more than any
/// team sets in [`SILENCE_RETENTION_DAYS`]; past it, listing silences is
/// [`StoreError::Permanent`] naming this bound, never a partial list (a silence left out
/// would let alerts through that someone silenced).
pub const MAX_SILENCES: usize = 5_000;

/// Days an ended silence is kept after its effective end (who silenced what, when and why, for
/// an audit look-back), like resolved incidents.
pub const SILENCE_RETENTION_DAYS: i64 = 400;

/// Days a passive per-minute counter item is kept (TTL): the scope-drift rule looks back 7
/// days, one more day for late reports.
pub const PASSIVE_COUNTER_RETENTION_DAYS: i64 = 8;

/// Days a failed call reported by an integration is kept raw (TTL), for `incident show`.
pub const PASSIVE_EVENT_RETENTION_DAYS: i64 = 7;

/// Most counter attributes one `record_calls` update adds to one minute item: the calls'
/// most-counted keys are kept exact, the rest are folded ([`minute_counters`]). Bounds the
/// UpdateItem's expression (DynamoDB takes at most 4 KB of expression text).
pub const MAX_COUNTERS_PER_UPDATE: usize = 64;

/// Counter attributes a minute item may gain, summed over its updates (each update counts its
/// distinct keys, an upper bound of the attributes it adds). An update that would pass it is
/// written only if it adds no attribute, else folded to [`coarse_key`]s. With at most ~120
/// bytes per attribute (a key's text is at most ~110 characters: the normaliser bounds OAuth
/// codes to 64 `[a-z_]` and SFMC codes are `i64`), an item stays under
/// `1_000 * 120 + 4 * 19 * 40` bytes, about 125 KB: far under DynamoDB's 400 KB.
pub const MAX_COUNTERS_ADDED_PER_MINUTE: u64 = 1_000;

/// The minute `at` falls in (its start, seconds and below zero), as stored.
pub fn minute_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let at = stored_time(at);
    let seconds = at.timestamp().div_euclid(60) * 60;
    DateTime::from_timestamp(seconds, 0)
        .expect("the start of a stored time's minute is representable")
}

/// The coarse form of a counter key: kind and class only (status and code `-`). What keys
/// beyond the bounds are counted under, so a minute item's attribute set stays bounded (4
/// kinds x 19 classes or none).
pub fn coarse_key(key: &CounterKey) -> CounterKey {
    CounterKey {
        call_kind: key.call_kind,
        status: None,
        code: None,
        class: key.class,
    }
}

/// The counters `calls` add, per integration and minute (of `observed_at`): each call adds
/// its `count` to [`CounterKey::of`]. Per minute, the [`MAX_COUNTERS_PER_UPDATE`] most-counted
/// keys (ties in key order) are kept exact and the others folded into their [`coarse_key`],
/// and the result holds at most `MAX_COUNTERS_PER_UPDATE` + 76 keys. Sums saturate.
pub fn minute_counters(calls: &[SfmcCall]) -> BTreeMap<(String, DateTime<Utc>), Counts> {
    let mut minutes: BTreeMap<(String, DateTime<Utc>), Counts> = BTreeMap::new();
    for call in calls {
        let minute = (call.integration_id.clone(), minute_of(call.observed_at));
        let counter = minutes
            .entry(minute)
            .or_default()
            .entry(CounterKey::of(call))
            .or_default();
        *counter = counter.saturating_add(u64::from(call.count));
    }
    for counts in minutes.values_mut() {
        if counts.len() > MAX_COUNTERS_PER_UPDATE {
            *counts = fold_beyond(std::mem::take(counts), MAX_COUNTERS_PER_UPDATE);
        }
    }
    minutes
}

/// Counts by counter key.
pub type Counts = BTreeMap<CounterKey, u64>;

/// `counts` with its `keep` most-counted keys exact and the others added to their coarse key.
fn fold_beyond(counts: Counts, keep: usize) -> Counts {
    let mut ranked: Vec<(CounterKey, u64)> = counts.into_iter().collect();
    // Most counted first; equal counts in key order (a stable sort of the key-ordered list).
    ranked.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    let mut folded = Counts::new();
    for (rank, (key, count)) in ranked.into_iter().enumerate() {
        let key = if rank < keep { key } else { coarse_key(&key) };
        let counter = folded.entry(key).or_default();
        *counter = counter.saturating_add(count);
    }
    folded
}

/// `counts` with every key coarse ([`coarse_key`]): what a minute item past
/// [`MAX_COUNTERS_ADDED_PER_MINUTE`] is given when the counts would add attributes.
pub fn coarse_counts(counts: &Counts) -> Counts {
    let mut coarse = Counts::new();
    for (key, count) in counts {
        let counter = coarse.entry(coarse_key(key)).or_default();
        *counter = counter.saturating_add(*count);
    }
    coarse
}

/// Calls that are kept raw besides being counted: the failures, one per (integration,
/// `observed_at` to the millisecond, `event_id`) (a reporter's retry of an event is one), the
/// first of each.
pub fn failures_to_keep(calls: &[SfmcCall]) -> Vec<&SfmcCall> {
    let mut seen = HashSet::new();
    calls
        .iter()
        .filter(|call| call.is_failure())
        .filter(|call| {
            seen.insert((
                call.integration_id.as_str(),
                stored_time(call.observed_at),
                call.event_id.as_str(),
            ))
        })
        .collect()
}

/// The ids of a passive commit's incident changes, checked: each `{integration}:passive:{seq}`
/// of the commit's integration with a pattern's seq, none twice. Anything else is
/// [`StoreError::Permanent`] (a caller's mistake: retrying cannot help).
pub fn passive_commit_incident_ids(commit: &PassiveCommit) -> StoreResult<Vec<IncidentId>> {
    let mut seen = HashSet::new();
    commit
        .incidents
        .iter()
        .map(|change| {
            let id = change.id();
            let of_commit = id.integration() == commit.integration
                && id.check() == CheckKind::Passive
                && PassivePattern::ALL.iter().any(|p| p.seq() == id.seq());
            if !of_commit {
                return Err(StoreError::permanent(format!(
                    "passive commit of {}: incident {id} is not a passive incident of that                      integration ({}:passive:1..7)",
                    commit.integration, commit.integration
                )));
            }
            if !seen.insert(id.clone()) {
                return Err(StoreError::permanent(format!(
                    "passive commit of {}: incident {id} is written twice in one commit",
                    commit.integration
                )));
            }
            Ok(id.clone())
        })
        .collect()
}

/// The error of a listing that found more than `max` silences in `place`.
pub fn too_many_silences(place: &str, max: usize) -> StoreError {
    StoreError::permanent(format!(
        "{place} holds more than {max} silences (ended ones are kept {SILENCE_RETENTION_DAYS} \
         days); credwatch reads at most {max}, so it reads none rather than miss one"
    ))
}

/// The ids of a commit's incident writes, checked: none twice (one DynamoDB transaction
/// cannot touch an item twice, and the in-memory store refuses the same). A repeat is
/// [`StoreError::Permanent`] (a caller's mistake: retrying cannot help).
pub fn commit_incident_ids(commit: &StateCommit) -> StoreResult<Vec<IncidentId>> {
    let mut seen = HashSet::new();
    commit
        .incidents
        .iter()
        .map(|write| {
            let id = write.id();
            if !seen.insert(id.clone()) {
                return Err(StoreError::permanent(format!(
                    "commit of {}: incident {id} is written twice in one commit",
                    commit.integration
                )));
            }
            Ok(id.clone())
        })
        .collect()
}

/// The latest time a store holds: the last millisecond of year 9999. Later times (a schedule
/// past any real date) are stored as this, so every stored time has a 4-digit year and reads
/// back.
pub fn latest_time() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(253_402_300_799_999).expect("9999-12-31 is representable")
}

/// The earliest time a store holds: the first millisecond of year 0000.
pub fn earliest_time() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(-62_167_219_200_000).expect("year 0 is representable")
}

/// `at` as a store keeps it in keys: clamped to years 0000..=9999 and cut to the millisecond.
/// Two probe times equal here are one history entry.
pub fn stored_time(at: DateTime<Utc>) -> DateTime<Utc> {
    let clamped = at.clamp(earliest_time(), latest_time());
    DateTime::from_timestamp_millis(clamped.timestamp_millis())
        .expect("a clamped time is representable")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::IncidentChange;

    #[test]
    fn versions_stop_at_the_bound() {
        assert_eq!(next_version(0), Some(1));
        assert_eq!(next_version(MAX_VERSION - 1), Some(MAX_VERSION));
        assert_eq!(next_version(MAX_VERSION), None);
        assert_eq!(next_version(u64::MAX), None);
    }

    #[test]
    fn commits_with_repeated_incident_ids_are_permanent_errors() {
        let resolve = |id: &str| IncidentChange::Resolved {
            id: id.parse().unwrap(),
            class: crate::domain::incident::IncidentClass::NotProbed,
            message: String::new(),
            at: DateTime::UNIX_EPOCH,
        };
        let commit = |writes| StateCommit {
            integration: "a".into(),
            expected_version: 0,
            state: Default::default(),
            incidents: writes,
        };
        let ok = commit_incident_ids(&commit(vec![resolve("a:auth:1"), resolve("a:expiry:1")]));
        assert_eq!(ok.map(|s| s.len()), Ok(2));
        let err = commit_incident_ids(&commit(vec![resolve("a:auth:1"), resolve("a:auth:1")]))
            .unwrap_err();
        assert!(matches!(err, StoreError::Permanent { .. }), "{err:?}");
        assert!(err.to_string().contains("written twice"), "{err}");
    }

    #[test]
    fn stored_times_are_clamped_and_cut_to_milliseconds() {
        assert_eq!(stored_time(DateTime::<Utc>::MAX_UTC), latest_time());
        assert_eq!(stored_time(DateTime::<Utc>::MIN_UTC), earliest_time());
        let at = DateTime::from_timestamp(1_780_272_000, 5_678_901).unwrap();
        assert_eq!(
            stored_time(at),
            DateTime::from_timestamp_millis(1_780_272_000_005).unwrap()
        );
    }
}
