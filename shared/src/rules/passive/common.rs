//! What every pattern reads: the inputs, the verdict a pattern returns, and small helpers over
//! the per-minute counters (saturating, never reading outside the window).

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::incident::Incident;
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{CallKind, CounterKey, MinuteCounts, PassiveState, SfmcCall};
use crate::domain::severity::Severity;
use crate::domain::state::Health;
use crate::inventory::Integration;

/// How far back the job reads the per-minute counters before evaluating: 2 hours (the longest
/// window a pattern reads is the race's hour plus its 2-minute follow-up; two hours leave room).
pub const LOOKBACK: TimeDelta = TimeDelta::hours(2);

/// What credwatch's own probe says of the same credential (from the integration's CheckState
/// and its latest history entry).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProbeView {
    /// The auth check's health.
    pub health: Health,
    /// The class of the latest probe, if any.
    pub last_class: Option<OutcomeClass>,
    /// When the latest probe ran.
    pub last_probe_at: Option<DateTime<Utc>>,
    /// Scopes the integration expects that the probe's token lacked (SFMC's names).
    pub missing_scopes: Vec<String>,
}

/// Everything one evaluation reads.
pub struct PassiveInputs<'a> {
    /// The time of the evaluation.
    pub now: DateTime<Utc>,
    /// The integration the calls belong to.
    pub integration: &'a Integration,
    /// Per-minute counters of `[now - LOOKBACK, now]`, this batch included, oldest first.
    pub minutes: &'a [MinuteCounts],
    /// The calls just recorded (empty on the sweep).
    pub batch: &'a [SfmcCall],
    /// The passive state as read before this batch.
    pub state: &'a PassiveState,
    /// What credwatch's own probe says of the credential.
    pub probe: &'a ProbeView,
    /// The integration's OPEN passive incidents.
    pub open: &'a [Incident],
}

/// What one pattern concludes now.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The pattern holds: open (or keep open) with this severity and evidence.
    Firing {
        /// Severity now.
        severity: Severity,
        /// The evidence in plain words.
        message: String,
        /// The status of the calls behind it.
        http_status: Option<u16>,
    },
    /// It is over: resolve an open incident with these words.
    Clear(String),
    /// Not enough evidence either way: leave things as they are.
    Hold,
}

/// The counters of minutes in `(now - span, now]`: older and future minutes are ignored.
pub fn recent<'a>(
    inputs: &'a PassiveInputs,
    span: TimeDelta,
) -> impl Iterator<Item = &'a MinuteCounts> + 'a {
    window(inputs.minutes, inputs.now - span, inputs.now)
}

/// The counters of minutes in `(from, to]`, never after `to`.
pub fn window<'a>(
    minutes: &'a [MinuteCounts],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> impl Iterator<Item = &'a MinuteCounts> + 'a {
    minutes
        .iter()
        .filter(move |m| m.minute > from && m.minute <= to)
}

/// How many calls of one minute match `filter` (saturating).
pub fn count(minute: &MinuteCounts, filter: impl Fn(&CounterKey) -> bool) -> u64 {
    minute
        .counts
        .iter()
        .filter(|(key, _)| filter(key))
        .fold(0u64, |sum, (_, n)| sum.saturating_add(*n))
}

/// A REST or SOAP call (the API calls a token is used for).
pub fn is_api(kind: CallKind) -> bool {
    matches!(kind, CallKind::Rest | CallKind::Soap)
}

/// A time as people read it in an incident: `2026-12-01 03:44 UTC`.
pub fn at(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `1070` as `1,070`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in whole minutes, for messages: `47 minutes`, `1 minute`.
pub fn minutes_text(span: TimeDelta) -> String {
    let m = span.num_minutes().max(0);
    if m == 1 {
        "1 minute".to_string()
    } else {
        format!("{} minutes", thousands(u64::try_from(m).unwrap_or(0)))
    }
}
