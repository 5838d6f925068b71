//! Maintenance windows: whether a recurring window of a team or an integration is in force at
//! an instant, and until when (overlapping windows extend each other). During a window
//! notifications are suppressed, as under a silence. Plain functions; instants are UTC.
//!
//! A window starts on each listed local day (every day when none is listed) at `start` on the
//! local clock and lasts `duration` in absolute time, so it may run past midnight (its day is
//! the day it starts). Local times are resolved as business hours resolve them
//! ([`first_showing`]): a start the clock skips (spring forward) is the first moment after the
//! skip, a start shown twice (fall back) is its first showing.

use chrono::{DateTime, Datelike, Days, TimeDelta, Utc};
use chrono_tz::Tz;

use super::business_hours::first_showing;
pub use super::business_hours::timezone_of;
use crate::inventory::MaintenanceWindow;

/// How many local days before an instant's own day a window start is looked for: a window
/// lasts at most 7 days, plus one for a start late on a day and an hour of daylight saving.
pub const LOOKBACK_DAYS: u64 = 8;

/// How many times [`in_maintenance`] follows a window that another one extends.
pub const MAX_HOPS: usize = 50;

/// One window occurrence, as UTC instants: [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// The first instant in force.
    pub start: DateTime<Utc>,
    /// The first instant no longer in force.
    pub end: DateTime<Utc>,
}

/// The occurrence of `window` in force at `t` (None: none), the window's local days/start read in
/// `tz` (the caller resolves window tz > team tz > UTC). A window may cross midnight (its day is the
/// day it starts); a start skipped by a DST gap starts at the first valid local time after it; an
/// ambiguous start (DST fold) takes the earlier instant; the end is start + duration in absolute
/// time. When two occurrences of the window are in force (a window longer than the days between
/// its starts), the one that started last, which is the one that ends last (all last the same
/// absolute time). Looks at most [`LOOKBACK_DAYS`] local days back.
pub fn active_at(window: &MaintenanceWindow, tz: Tz, t: DateTime<Utc>) -> Option<Occurrence> {
    let duration = TimeDelta::from_std(window.duration).ok()?;
    let today = t.with_timezone(&tz).date_naive();
    // From the day after (a fold across midnight can show a later date first) back.
    let first = today.checked_add_days(Days::new(1)).unwrap_or(today);
    // Latest start first: the first occurrence in force is the one that ends last.
    for back in 0..=LOOKBACK_DAYS + 1 {
        let Some(day) = first.checked_sub_days(Days::new(back)) else {
            break;
        };
        if !window.days.is_empty() && !window.days.contains(&day.weekday()) {
            continue;
        }
        let Some(start) = first_showing(tz, day.and_time(window.start)) else {
            continue;
        };
        let Some(end) = start.checked_add_signed(duration) else {
            continue;
        };
        if start <= t && t < end {
            return Some(Occurrence { start, end });
        }
    }
    None
}

/// The first of `windows` in force at `t`, by latest end (overlapping windows extend each other:
/// follow chains so the returned end is when NO window is in force any more, bounded to 50 hops).
/// `start` is the start of the occurrence chosen at `t`. A window that starts exactly when another
/// ends extends it too. Past [`MAX_HOPS`] hops the end is where the chain was left.
pub fn in_maintenance(
    windows: &[MaintenanceWindow],
    tz: Tz,
    t: DateTime<Utc>,
) -> Option<Occurrence> {
    let latest_at = |at: DateTime<Utc>| {
        windows
            .iter()
            .filter_map(|w| active_at(w, tz, at))
            .max_by_key(|o| o.end)
    };
    let first = latest_at(t)?;
    let mut end = first.end;
    // An occurrence in force at `end` ends after it (ends are exclusive), so each hop moves on.
    for _ in 0..MAX_HOPS {
        match latest_at(end) {
            Some(next) => end = next.end,
            None => break,
        }
    }
    Some(Occurrence {
        start: first.start,
        end,
    })
}

#[cfg(test)]
mod tests;
