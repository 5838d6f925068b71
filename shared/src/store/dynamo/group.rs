//! The group window item (`GROUP#{group key}` / `window`), decoded. Written only by the
//! adapter's conditional joins (see `adapter/groups.rs`); read back from their `ALL_NEW`
//! answers through [`decode_window`], strictly, like every other item.

use super::attributes::{JOINED, LEADER, WINDOW_END, WINDOW_START};
use super::keys::item_label;
use super::reader::{ReadResult, Reader};
use super::value::Item;
use crate::domain::incident::IncidentId;
use crate::rules::grouping::Slot;

/// Most joiners one window counts: far beyond any inventory (a window lasts at most an hour).
pub const MAX_JOINED: u32 = 100_000;

/// A window item decoded as the place of its latest joiner, or where it is wrong (key,
/// attribute, problem; never a value).
pub fn decode_window(item: &Item) -> ReadResult<Slot> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let slot = Slot {
        window_start: r.time(WINDOW_START)?,
        window_end: r.time(WINDOW_END)?,
        position: r.number_at_most(JOINED, MAX_JOINED)?,
        leader: r.parsed(LEADER, "incident id", |t| t.parse::<IncidentId>().ok())?,
    };
    if slot.window_end < slot.window_start {
        return Err(r.corrupt(WINDOW_END, "is before window_start"));
    }
    if slot.position == 0 {
        return Err(r.corrupt(JOINED, "is 0 (the leader is the first joiner)"));
    }
    Ok(slot)
}
