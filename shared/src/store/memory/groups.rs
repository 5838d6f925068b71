//! Group windows in memory: one per group key, as the DynamoDB item holds it (start, end, the
//! incidents that joined, in order); joining again keeps one's place.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::incident::IncidentId;
use crate::rules::grouping::{GroupKey, Slot, window_end};

/// Every group's window, by key.
#[derive(Debug, Default)]
pub(super) struct GroupTable {
    windows: BTreeMap<String, Window>,
}

/// A group's window.
#[derive(Debug)]
struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// The incidents that joined, in order, each once.
    members: Vec<IncidentId>,
}

impl GroupTable {
    /// `incident` joins the window of `key` at `now` (see `store::Groups::join_group`).
    pub(super) fn join(
        &mut self,
        key: &GroupKey,
        incident: &IncidentId,
        now: DateTime<Utc>,
        wait: TimeDelta,
    ) -> Slot {
        let window = self.windows.entry(key.0.clone()).or_insert_with(|| Window {
            start: now,
            end: now,
            members: Vec::new(),
        });
        let member = window.members.iter().position(|m| m == incident);
        if member.is_none() && window.end <= now {
            *window = Window {
                start: now,
                end: window_end(now, wait),
                members: Vec::new(),
            };
        }
        let index = member.unwrap_or_else(|| {
            window.members.push(incident.clone());
            window.members.len() - 1
        });
        Slot {
            window_start: window.start,
            window_end: window.end,
            position: u32::try_from(index + 1).unwrap_or(u32::MAX),
            leader: window.members[0].clone(),
        }
    }
}
