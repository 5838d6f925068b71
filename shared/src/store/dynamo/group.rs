//! The group window item (`GROUP#{group key}` / `window`), decoded. Written only by the
//! adapter's conditional joins (see `adapter/groups.rs`); read back from their `ALL_NEW`
//! answers (or a consistent GetItem) through [`decode_window`], strictly, like every other
//! item.
//!
//! Attributes: `window_start`, `window_end` (times), `leader` (the incident that opened it),
//! `members` (L of S: the incidents that joined, in order, each once), `joined` (N: their
//! count), `expires_at` (TTL).

use super::attributes::{JOINED, LEADER, MEMBERS, WINDOW_END, WINDOW_START};
use super::keys::item_label;
use super::reader::{ReadResult, Reader};
use super::value::Item;
use crate::domain::incident::IncidentId;
use crate::rules::grouping::Slot;

/// Most joiners one window keeps: far beyond any inventory (a window lasts at most an hour).
pub const MAX_JOINED: usize = 10_000;

/// A window item decoded as the place of `member` in it (`None`: it has not joined), or where
/// it is wrong (key, attribute, problem; never a value).
pub fn decode_window(item: &Item, member: &IncidentId) -> ReadResult<Option<Slot>> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let members = r.strings(MEMBERS)?;
    if members.len() > MAX_JOINED {
        return Err(r.corrupt(MEMBERS, &format!("holds more than {MAX_JOINED} incidents")));
    }
    let joined: usize = r.number(JOINED)?;
    if joined != members.len() {
        return Err(r.corrupt(JOINED, "is not the number of members"));
    }
    let window_start = r.time(WINDOW_START)?;
    let window_end = r.time(WINDOW_END)?;
    if window_end < window_start {
        return Err(r.corrupt(WINDOW_END, "is before window_start"));
    }
    let leader: IncidentId = r.parsed(LEADER, "incident id", |t| t.parse().ok())?;
    if members.first().map(String::as_str) != Some(leader.as_str()) {
        return Err(r.corrupt(LEADER, "is not the first member"));
    }
    let Some(index) = members.iter().position(|m| m == member.as_str()) else {
        return Ok(None);
    };
    Ok(Some(Slot {
        window_start,
        window_end,
        position: u32::try_from(index + 1).unwrap_or(u32::MAX),
        leader,
    }))
}
