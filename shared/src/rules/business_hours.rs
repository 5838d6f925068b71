//! A team's business hours in its IANA time zone: whether an instant is inside them, when they
//! next start (non-critical notifications wait for that), and how much business time passed
//! between two instants (non-critical escalation counts only that). Plain functions over a
//! [`Calendar`]; instants are UTC.
//!
//! On each listed day, business hours run from the first moment the local clock shows `start`
//! to the first moment it shows `end`, so daylight-saving changes need no special case:
//!
//! - spring forward: a `start` or `end` the clock skips (02:30 on the night it jumps from
//!   02:00 to 03:00) is the first moment after the jump (03:00);
//! - fall back: a `start` or `end` the clock shows twice is its first showing;
//! - the window is as long as the clock says: 09:00 to 17:00 is 8 hours of business time on
//!   the days of a change too, as the change happens at night.
//!
//! A team without business hours is open around the clock; one without a time zone keeps UTC.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::inventory::{BusinessHours, Team};

/// The furthest [`Calendar::after_business_time`] looks ahead, in days: business hours that
/// hold no time for that long (days listed that all fall in skipped clock hours) never come.
pub const MAX_SEARCH_DAYS: u32 = 366 * 2;

/// A time zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time zone name; use an IANA name such as America/New_York")]
pub struct UnknownTimeZone(pub String);

/// When a team works: its time zone and business hours.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    tz: Tz,
    hours: Option<BusinessHours>,
}

/// One business window in UTC, `[start, end)`.
type Window = (DateTime<Utc>, DateTime<Utc>);

impl Calendar {
    /// The calendar of `hours` in `timezone` (`None`: UTC); `hours` `None`: always open.
    ///
    /// # Errors
    /// [`UnknownTimeZone`] when `timezone` is not an IANA time zone name (the inventory refuses
    /// those, so this only meets hand-made data).
    pub fn new(
        timezone: Option<&str>,
        hours: Option<BusinessHours>,
    ) -> Result<Calendar, UnknownTimeZone> {
        let tz = match timezone {
            None => Tz::UTC,
            Some(name) => {
                timezone_of(Some(name)).ok_or_else(|| UnknownTimeZone(name.to_string()))?
            }
        };
        Ok(Calendar { tz, hours })
    }

    /// The calendar of `team` (its `timezone` and `business_hours`).
    ///
    /// # Errors
    /// As [`Calendar::new`].
    pub fn for_team(team: &Team) -> Result<Calendar, UnknownTimeZone> {
        Calendar::new(team.timezone.as_deref(), team.business_hours.clone())
    }

    /// A calendar that is always open (a team without business hours).
    pub fn always_open() -> Calendar {
        Calendar {
            tz: Tz::UTC,
            hours: None,
        }
    }

    /// Whether `t` is inside business hours.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        // One definition for both: open exactly when the next opening is now.
        self.next_open(t) == Some(t)
    }

    /// The first instant at or after `t` inside business hours: `t` itself when open, else
    /// the start of the next business hours. `None` when no listed day has any business time
    /// within [`MAX_SEARCH_DAYS`] (no day listed).
    pub fn next_open(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let Some(hours) = &self.hours else {
            return Some(t);
        };
        self.windows_from(hours, t)
            .find(|(_, end)| *end > t)
            .map(|(start, _)| start.max(t))
    }

    /// The business time between `from` and `to` (zero when `to` is not after `from`). Work
    /// grows with the number of days between them.
    pub fn business_time(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        if to <= from {
            return TimeDelta::zero();
        }
        let Some(hours) = &self.hours else {
            return to - from;
        };
        let mut total = TimeDelta::zero();
        for (start, end) in self.windows_from(hours, from) {
            if start >= to {
                break;
            }
            // A window before `from` (the day before is looked at too) adds nothing.
            total += (end.min(to) - start.max(from)).max(TimeDelta::zero());
        }
        total
    }

    /// The instant at which `amount` of business time has passed since `from` (`from` itself
    /// for a zero or negative amount); `None` if that is more than [`MAX_SEARCH_DAYS`] away.
    pub fn after_business_time(
        &self,
        from: DateTime<Utc>,
        amount: TimeDelta,
    ) -> Option<DateTime<Utc>> {
        if amount <= TimeDelta::zero() {
            return Some(from);
        }
        let Some(hours) = &self.hours else {
            return from.checked_add_signed(amount);
        };
        let mut left = amount;
        for (start, end) in self.windows_from(hours, from) {
            let start = start.max(from);
            if end <= start {
                continue;
            }
            if end - start >= left {
                return Some(start + left);
            }
            left -= end - start;
        }
        None
    }

    /// `t` on the team's clock, `Tue 08:00 America/New_York`; empty for a team that keeps
    /// UTC (every time is shown in UTC already).
    pub fn local_label(&self, t: DateTime<Utc>) -> String {
        if self.tz == Tz::UTC {
            return String::new();
        }
        format!(
            "{} {}",
            t.with_timezone(&self.tz).format("%a %H:%M"),
            self.tz.name()
        )
    }

    /// The local calendar date of `t`.
    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The non-empty business windows of the days from the day before `t`'s local date on, in
    /// order, for [`MAX_SEARCH_DAYS`] days.
    fn windows_from<'a>(
        &'a self,
        hours: &'a BusinessHours,
        t: DateTime<Utc>,
    ) -> impl Iterator<Item = Window> + 'a {
        let first = self.local_date(t);
        let first = first.pred_opt().unwrap_or(first);
        first
            .iter_days()
            .take(MAX_SEARCH_DAYS as usize)
            .filter_map(move |d| self.window(hours, d))
    }

    /// The business window of local date `day` in UTC, if `day` is listed and the window holds
    /// any time.
    fn window(&self, hours: &BusinessHours, day: NaiveDate) -> Option<Window> {
        if !hours.days.contains(&day.weekday()) {
            return None;
        }
        let start = first_showing(self.tz, day.and_time(hours.start))?;
        let end = first_showing(self.tz, day.and_time(hours.end))?;
        (end > start).then_some((start, end))
    }
}

/// The time zone named `name` (an IANA name such as `America/New_York`); `None` when no name is
/// given or it is not one. Callers choose the fallback (a window's zone, else its team's, else
/// UTC: `timezone_of(window).or(timezone_of(team)).unwrap_or(Tz::UTC)`).
pub fn timezone_of(name: Option<&str>) -> Option<Tz> {
    name?.parse::<Tz>().ok()
}

/// The first instant the local clock of `tz` shows `local` or, if the clock skips it (spring
/// forward), the first instant after the skip; of a time shown twice (fall back), the first
/// showing. Skips are found minute by minute (every daylight-saving change in the database today
/// is on a whole minute); `None` past a day of skipped time.
pub fn first_showing(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let mut probe = local;
    for _ in 0..=(26 * 60) {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => return Some(a.min(b).with_timezone(&Utc)),
            LocalResult::None => probe = probe.checked_add_signed(TimeDelta::minutes(1))?,
        }
    }
    None
}

#[cfg(test)]
mod tests;
