//! What every store adapter holds to alike, so the in-memory store and DynamoDB agree without
//! one importing the other: the bounds of stored counters, an incident's identity, the commit
//! rules, and the precision and range of stored times.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::error::{StoreError, StoreResult};
use crate::domain::incident::IncidentId;
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
