//! Passive tracking's pattern rules: what the calls an integration reports about its own SFMC
//! traffic say, as incidents of [`CheckKind::Passive`].
//!
//! Pure: the per-minute counters of the last [`LOOKBACK`], the calls just recorded, the state
//! kept between reports, what credwatch's own probe says and the open passive incidents in; the
//! new state and the incident changes out. One file per pattern under `passive/`; the
//! thresholds come from `context/passive-tracking-research.md` §3 and SFMC's documentation.
//! Counts are never trusted: arithmetic saturates, empty inputs are fine, and minutes outside
//! `[now - LOOKBACK, now]` (a reporter's clock ahead, an old counter) are ignored.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::incident::{CheckKind, Incident, IncidentChange, IncidentFacts, IncidentId};
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{
    CallKind, CounterKey, MinuteCounts, PassivePattern, PassiveState, SfmcCall,
};
use crate::domain::severity::Severity;
use crate::domain::state::Health;
use crate::inventory::Integration;

mod blocked;
mod identity;
mod race;
mod reported;
mod scope;
mod silence;
mod token_rate;

#[cfg(test)]
mod tests;

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

/// What one evaluation decided.
#[derive(Debug, Clone, PartialEq)]
pub struct PassiveDecision {
    /// The state to write (its `version` is the one read: the store's condition bumps it).
    pub state: PassiveState,
    /// Incident changes, at most one per pattern.
    pub changes: Vec<IncidentChange>,
    /// Probe the credential now: the batch holds a newly reported credential or access failure.
    pub probe_now: bool,
}

/// Decide every pattern for one integration.
pub fn evaluate(inputs: &PassiveInputs) -> PassiveDecision {
    let mut state = inputs.state.clone();
    silence::update_state(inputs, &mut state);
    scope::update_state(inputs, &mut state);
    identity::update_state(inputs, &mut state);

    let verdicts = [
        (PassivePattern::ReportedAuthFailure, reported::check(inputs)),
        (PassivePattern::TokenRefreshRace, race::check(inputs)),
        (PassivePattern::ScopeDrift, scope::check(inputs, &state)),
        (PassivePattern::TokenRequestRate, token_rate::check(inputs)),
        (PassivePattern::TokenRequestsBlocked, blocked::check(inputs)),
        (
            PassivePattern::IntegrationSilent,
            silence::check(inputs, &state),
        ),
        (
            PassivePattern::IdentityMismatch,
            identity::check(inputs, &state),
        ),
    ];
    let changes = verdicts
        .into_iter()
        .filter_map(|(pattern, verdict)| apply(inputs, pattern, verdict))
        .collect();
    PassiveDecision {
        state,
        changes,
        probe_now: reported::new_in_batch(inputs.batch),
    }
}

/// What one pattern concludes now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
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

/// When a firing pattern whose incident is open changes it: only when it becomes more urgent
/// (a Changed for every new count would churn notifications).
fn apply(
    inputs: &PassiveInputs,
    pattern: PassivePattern,
    verdict: Verdict,
) -> Option<IncidentChange> {
    let id = pattern.incident_id(&inputs.integration.id);
    let open = inputs.open.iter().find(|i| i.id == id && i.open);
    match (verdict, open) {
        (
            Verdict::Firing {
                severity,
                message,
                http_status,
            },
            None,
        ) => Some(IncidentChange::Opened(opened(
            inputs,
            pattern,
            id,
            severity,
            message,
            http_status,
        ))),
        (
            Verdict::Firing {
                severity,
                message,
                http_status,
            },
            Some(incident),
        ) if severity < incident.severity => Some(IncidentChange::Changed {
            id,
            previous: IncidentFacts {
                class: incident.class,
                severity: incident.severity,
                threshold_days: incident.threshold_days,
            },
            class: pattern.class(),
            severity,
            threshold_days: None,
            message,
            http_status,
            at: inputs.now,
        }),
        (Verdict::Clear(message), Some(incident)) => Some(IncidentChange::Resolved {
            id,
            class: incident.class,
            message,
            at: inputs.now,
        }),
        _ => None,
    }
}

fn opened(
    inputs: &PassiveInputs,
    pattern: PassivePattern,
    id: IncidentId,
    severity: Severity,
    message: String,
    http_status: Option<u16>,
) -> Incident {
    Incident {
        id,
        integration: inputs.integration.id.clone(),
        check: CheckKind::Passive,
        class: pattern.class(),
        severity,
        team: inputs.integration.owner.clone(),
        open: true,
        opened_at: inputs.now,
        updated_at: inputs.now,
        resolved_at: None,
        threshold_days: None,
        message,
        http_status,
        class_since: None,
        ack: None,
    }
}

/// The counters of minutes in `(now - span, now]`: older and future minutes are ignored.
pub(crate) fn recent<'a>(
    inputs: &'a PassiveInputs,
    span: TimeDelta,
) -> impl Iterator<Item = &'a MinuteCounts> + 'a {
    window(inputs.minutes, inputs.now - span, inputs.now)
}

/// The counters of minutes in `(from, to]`, never after `to`.
pub(crate) fn window<'a>(
    minutes: &'a [MinuteCounts],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> impl Iterator<Item = &'a MinuteCounts> + 'a {
    minutes
        .iter()
        .filter(move |m| m.minute > from && m.minute <= to)
}

/// How many calls of one minute match `filter` (saturating).
pub(crate) fn count(minute: &MinuteCounts, filter: impl Fn(&CounterKey) -> bool) -> u64 {
    minute
        .counts
        .iter()
        .filter(|(key, _)| filter(key))
        .fold(0u64, |sum, (_, n)| sum.saturating_add(*n))
}

/// A REST or SOAP call (the API calls a token is used for).
pub(crate) fn is_api(kind: CallKind) -> bool {
    matches!(kind, CallKind::Rest | CallKind::Soap)
}

/// A time as people read it in an incident: `2026-12-01 03:44 UTC`.
pub(crate) fn at(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `1070` as `1,070`.
pub(crate) fn thousands(n: u64) -> String {
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
pub(crate) fn minutes_text(span: TimeDelta) -> String {
    let m = span.num_minutes().max(0);
    if m == 1 {
        "1 minute".to_string()
    } else {
        format!("{} minutes", thousands(u64::try_from(m).unwrap_or(0)))
    }
}
