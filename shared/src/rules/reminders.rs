//! When an open, unacknowledged incident is reminded: decaying intervals by severity (or a
//! team's own list), at most `remind_max` reminders, and never a burst. Plain functions over a
//! [`Schedule`]; `now` is a parameter.
//!
//! Reminder `n` (1-based) is due the sum of the first `n` intervals after the schedule's start
//! (the incident's opening, or its last class change: a change restarts the schedule); past the
//! end of the list the last interval repeats:
//!
//! ```text
//! critical  30m, 1h, 2h, 4h, then every 8h  -> due at +30m, +1h30, +3h30, +7h30, +15h30, ...
//! high      1h, 4h, 12h, then daily         -> due at +1h, +5h, +17h, +1d17h, ...
//! medium    daily
//! low       daily
//! ```
//!
//! A sweep that finds several reminders overdue (one was missed) sends ONE, numbered as the
//! latest overdue, so the reminders that follow keep the documented rhythm.
//!
//! Expiry incidents are not reminded by this schedule while the secret is still valid (each
//! warning threshold it crosses is a `changed` notification already); once the secret has
//! expired they are reminded daily.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::severity::Severity;

/// The shortest interval between two reminders: anything shorter in a team's list counts as
/// this, so due times always strictly increase and a sweep sends at most one per minute.
pub const MIN_INTERVAL: TimeDelta = TimeDelta::minutes(1);

/// The most reminders one schedule gives when the team sets no `notify.remind_max` (the
/// largest `remind_max` the inventory accepts): each reminder is a notification item kept
/// [`AUDIT_RETENTION_DAYS`](crate::notify::delivery::AUDIT_RETENTION_DAYS) and read by every
/// sweep while its incident is open, so a `remind_after: [1m]` left open for months must not
/// grow that work without end. At the default schedules this is months of reminders (critical:
/// 1000 x 8h is about 333 days).
pub const MAX_REMINDERS: u32 = 1000;

const CRITICAL: [TimeDelta; 5] = [
    TimeDelta::minutes(30),
    TimeDelta::hours(1),
    TimeDelta::hours(2),
    TimeDelta::hours(4),
    TimeDelta::hours(8),
];
const HIGH: [TimeDelta; 4] = [
    TimeDelta::hours(1),
    TimeDelta::hours(4),
    TimeDelta::hours(12),
    TimeDelta::days(1),
];
const DAILY: [TimeDelta; 1] = [TimeDelta::days(1)];

/// The default intervals between reminders of an incident of `severity` (the first from the
/// schedule's start; the last repeats).
pub fn default_intervals(severity: Severity) -> &'static [TimeDelta] {
    match severity {
        Severity::Critical => &CRITICAL,
        Severity::High => &HIGH,
        Severity::Medium | Severity::Low => &DAILY,
    }
}

/// What the incident is reminded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A failure (an `auth` or `monitor` incident): the severity's schedule or the team's own.
    Failure,
    /// A client secret still valid but expiring: its thresholds notify, no reminders.
    ExpiryWarning,
    /// A client secret past its expiry day: reminded daily (the team's list does not apply).
    Expired,
}

/// One incident's reminder schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule<'a> {
    /// When the schedule started: the incident's opening or its last class change.
    pub since: DateTime<Utc>,
    /// The incident's severity (picks the default intervals).
    pub severity: Severity,
    /// What is reminded (see [`Subject`]).
    pub subject: Subject,
    /// The team's `notify.remind_after` (the last repeating); `None` or empty: the default for
    /// the severity.
    pub intervals: Option<&'a [TimeDelta]>,
    /// The team's `notify.remind_max`: no reminder numbered above it; `None`:
    /// [`MAX_REMINDERS`].
    pub max: Option<u32>,
}

/// A reminder to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reminder {
    /// Its number, 1-based (the `n` of the `{incident}/reminder/{n}` notification id).
    pub n: u32,
    /// When it is due (at or before `now` when it should go now).
    pub due: DateTime<Utc>,
}

impl Schedule<'_> {
    /// The highest reminder number this schedule gives: `max`, else [`MAX_REMINDERS`].
    fn cap(&self) -> u32 {
        self.max.unwrap_or(MAX_REMINDERS).min(MAX_REMINDERS)
    }

    /// The intervals in force, each at least [`MIN_INTERVAL`]; empty for a subject without
    /// reminders.
    fn intervals(&self) -> Vec<TimeDelta> {
        let list = match self.subject {
            Subject::ExpiryWarning => return Vec::new(),
            Subject::Expired => &DAILY[..],
            Subject::Failure => match self.intervals {
                Some(own) if !own.is_empty() => own,
                _ => default_intervals(self.severity),
            },
        };
        list.iter().map(|gap| (*gap).max(MIN_INTERVAL)).collect()
    }

    /// When reminder `n` (1-based) is due; `None` for `n = 0`, past the cap, for a subject
    /// without reminders, or beyond the representable times.
    pub fn due(&self, n: u32) -> Option<DateTime<Utc>> {
        if n == 0 || n > self.cap() {
            return None;
        }
        let intervals = self.intervals();
        let last = *intervals.last()?;
        let listed = intervals.len().min(n as usize);
        let mut offset = TimeDelta::zero();
        for gap in &intervals[..listed] {
            offset = offset.checked_add(gap)?;
        }
        let repeats = i32::try_from(n as usize - listed).ok()?;
        offset = offset.checked_add(&last.checked_mul(repeats)?)?;
        self.since.checked_add_signed(offset)
    }

    /// How many reminders are due by `now` (the number of the latest due, capped); 0 before
    /// the first. Bounded work whatever the span: the repeating tail is divided, not walked.
    pub fn due_by(&self, now: DateTime<Utc>) -> u32 {
        let intervals = self.intervals();
        let Some(&last) = intervals.last() else {
            return 0;
        };
        let cap = self.cap();
        let mut elapsed = now.signed_duration_since(self.since);
        let mut n: u32 = 0;
        for gap in &intervals {
            if elapsed < *gap || n >= cap {
                return n.min(cap);
            }
            elapsed -= *gap;
            n += 1;
        }
        // Past the list, the last interval repeats: reminder `n` came once `last` had
        // passed again, as many times as it fits in what remains.
        let more = elapsed.num_milliseconds() / last.num_milliseconds();
        let more = u32::try_from(more).unwrap_or(u32::MAX);
        n.saturating_add(more).min(cap)
    }
}

/// The next reminder of an incident whose latest reminder sent is number `last_sent` (0 for
/// none), seen at `now`:
///
/// - `None` when acknowledged (until the class changes and the caller starts a new
///   [`Schedule`]), when the cap is reached, or for a subject without reminders;
/// - when one or more are overdue, ONE reminder, numbered as the latest due (`due <= now`);
/// - otherwise the next one, due later (`due > now`).
pub fn next(
    schedule: &Schedule<'_>,
    acknowledged: bool,
    last_sent: u32,
    now: DateTime<Utc>,
) -> Option<Reminder> {
    if acknowledged {
        return None;
    }
    let latest = schedule.due_by(now);
    let n = if latest > last_sent {
        latest
    } else {
        last_sent.checked_add(1)?
    };
    let due = schedule.due(n)?;
    Some(Reminder { n, due })
}

#[cfg(test)]
mod tests;
