//! [`Groups`] in memory: one window per group key, as the DynamoDB item holds it (start, end,
//! the incidents that joined in order); joining again keeps one's place.

use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::domain::incident::IncidentId;
use crate::rules::grouping::{GroupKey, Slot, window_end};
use crate::store::error::StoreResult;
use crate::store::roles::Groups;

impl Groups for MemoryStore {
    async fn join_group(
        &self,
        key: &GroupKey,
        incident: &IncidentId,
        now: DateTime<Utc>,
        wait: chrono::TimeDelta,
    ) -> StoreResult<Slot> {
        let mut inner = self.lock();
        let window = inner.groups.entry(key.0.clone()).or_insert_with(|| Window {
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
        Ok(Slot {
            window_start: window.start,
            window_end: window.end,
            position: u32::try_from(index + 1).unwrap_or(u32::MAX),
            leader: window.members[0].clone(),
        })
    }
}

/// A group's window in memory: as the DynamoDB item holds it.
#[derive(Debug)]
pub(super) struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// The incidents that joined, in order, each once.
    members: Vec<IncidentId>,
}
