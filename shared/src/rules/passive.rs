//! Passive tracking's pattern rules: what the calls an integration reports about its own SFMC
//! traffic say, as incidents of [`CheckKind::Passive`].
//!
//! Pure: the per-minute counters of the last [`LOOKBACK`], the calls just recorded, the state
//! kept between reports, what credwatch's own probe says and the open passive incidents in; the
//! new state and the incident changes out. One file per pattern under `passive/`; the
//! thresholds come from `context/passive-tracking-research.md` §3 and SFMC's documentation.
//! Counts are never trusted: arithmetic saturates, empty inputs are fine, and minutes outside
//! `[now - LOOKBACK, now]` (a reporter's clock ahead, an old counter) are ignored.

use crate::domain::incident::{CheckKind, Incident, IncidentChange, IncidentFacts, IncidentId};
use crate::domain::passive::{PassivePattern, PassiveState};
use crate::domain::severity::Severity;

mod blocked;
mod common;
mod identity;
mod race;
mod reported;
mod scope;
mod silence;
mod token_rate;

#[cfg(test)]
mod tests;

use common::Verdict;
pub use common::{LOOKBACK, PassiveInputs, ProbeView};

/// What one evaluation decided.
#[derive(Debug, Clone, PartialEq)]
pub struct PassiveDecision {
    /// The state to write (its `version` is the one read: the store's condition bumps it).
    pub state: PassiveState,
    /// Incident changes, at most one per pattern.
    pub changes: Vec<IncidentChange>,
    /// Probe the credential now: the batch holds a reported credential or access failure, and
    /// its incident opens now or the probe's last look is older than [`PROBE_AGAIN_AFTER`].
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
    let changes: Vec<IncidentChange> = verdicts
        .into_iter()
        .filter_map(|(pattern, verdict)| apply(inputs, pattern, verdict))
        .collect();
    let reported_id = PassivePattern::ReportedAuthFailure.incident_id(&inputs.integration.id);
    let opens_reported = changes
        .iter()
        .any(|change| matches!(change, IncidentChange::Opened(i) if i.id == reported_id));
    // The probe mints a token too: ask it when the incident opens, and again only when its
    // last look is older than PROBE_AGAIN_AFTER (never a token request per reported batch).
    let probe_is_stale = inputs
        .probe
        .last_probe_at
        .is_none_or(|at| inputs.now - at >= PROBE_AGAIN_AFTER);
    PassiveDecision {
        state,
        changes,
        probe_now: reported::new_in_batch(inputs.batch) && (opens_reported || probe_is_stale),
    }
}

/// While reported credential failures go on, how old credwatch's own probe of the credential
/// may be before a new report asks for another: SFMC asks for at most one token request every
/// 20 minutes per package (`context/sfmc-api-research.md`), and the probe's own cadence while
/// failing (`recheck_every`) keeps it looking meanwhile.
pub const PROBE_AGAIN_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

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
