//! The in-memory store's passive tables (the role is implemented in `passive.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::passive::{IngestToken, PassiveState, SfmcCall};
use crate::store::invariants::{self, Counts, MAX_COUNTERS_ADDED_PER_MINUTE};

/// One minute's counters and the counter attributes its updates may have added.
#[derive(Debug, Default, Clone)]
pub(super) struct MinuteItem {
    pub(super) counts: Counts,
    added: u64,
}

/// Passive tracking's tables.
#[derive(Debug, Default)]
pub(super) struct PassiveTable {
    /// (integration, minute) -> counters.
    pub(super) minutes: BTreeMap<(String, DateTime<Utc>), MinuteItem>,
    /// (integration, observed_at to the millisecond, event id) -> the call.
    pub(super) failed: BTreeMap<(String, DateTime<Utc>, String), SfmcCall>,
    /// Integration -> state.
    pub(super) states: BTreeMap<String, PassiveState>,
    /// Hash -> token.
    pub(super) tokens: BTreeMap<String, IngestToken>,
    /// (integration, minute) -> events taken.
    pub(super) quota: BTreeMap<(String, DateTime<Utc>), u64>,
}

impl MinuteItem {
    /// Adds `counts` as the DynamoDB adapter's guarded updates do.
    pub(super) fn add(&mut self, counts: &Counts) {
        let added = counts.len() as u64;
        let counts = if self.added.saturating_add(added) <= MAX_COUNTERS_ADDED_PER_MINUTE {
            self.added += added;
            counts.clone()
        } else if counts.keys().all(|key| self.counts.contains_key(key)) {
            counts.clone()
        } else {
            invariants::coarse_counts(counts)
        };
        for (key, count) in counts {
            let counter = self.counts.entry(key).or_default();
            *counter = counter.saturating_add(count);
        }
    }
}
