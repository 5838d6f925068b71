//! Pattern 3, `scope_drift`: SFMC refused a call with 403 and its code 20002 ("insufficient
//! privileges", the token lacks a scope) when none was seen in the previous
//! [`QUIET_BEFORE`]: someone changed the installed package's permissions, or the integration
//! asks for fewer scopes. Resolves after [`CLEAR_AFTER`] without 20002.

use chrono::{DateTime, TimeDelta, Utc};

use super::common::{LOOKBACK, PassiveInputs, Verdict, at, recent};
use crate::domain::passive::{CounterKey, PassiveState};
use crate::text::printable::echo;

/// SFMC's error code for a token without the scope the call needs (`context/sfmc-api-research.md`).
pub const INSUFFICIENT_PRIVILEGES: &str = "20002";
/// A 20002 is new when none was seen for this long before it: 7 days (the counters' retention).
pub const QUIET_BEFORE: TimeDelta = TimeDelta::days(7);
/// Resolves after this long without a 20002: 24 hours (research file §3).
pub const CLEAR_AFTER: TimeDelta = TimeDelta::hours(24);

fn denied(key: &CounterKey) -> bool {
    key.status == Some(403) && key.code.as_deref() == Some(INSUFFICIENT_PRIVILEGES)
}

fn latest_denied(inputs: &PassiveInputs) -> Option<DateTime<Utc>> {
    recent(inputs, LOOKBACK)
        .filter(|m| super::common::count(m, denied) > 0)
        .map(|m| m.minute)
        .max()
}

/// Remember the latest 20002 (never moving back in time).
pub(crate) fn update_state(inputs: &PassiveInputs, state: &mut PassiveState) {
    // `None` orders before any time: the later of the two is kept.
    state.last_scope_denied_at = state.last_scope_denied_at.max(latest_denied(inputs));
}

/// Decide pattern 3 (`state` is after this batch; `inputs.state` before it).
pub(crate) fn check(inputs: &PassiveInputs, state: &PassiveState) -> Verdict {
    let before = inputs.state.last_scope_denied_at;
    if let Some(latest) = latest_denied(inputs) {
        // An earlier one more than QUIET_BEFORE ago (one remembered later than this is not).
        let new = before.is_none_or(|old| latest - old > QUIET_BEFORE);
        if new {
            return Verdict::Firing {
                severity: inputs.integration.severity,
                message: message(inputs, latest),
                http_status: Some(403),
            };
        }
    }
    match state.last_scope_denied_at {
        Some(last) if inputs.now - last < CLEAR_AFTER => Verdict::Hold,
        _ => Verdict::Clear(
            "No call was refused for a missing scope (SFMC code 20002) for 24 hours.".to_string(),
        ),
    }
}

fn message(inputs: &PassiveInputs, latest: DateTime<Utc>) -> String {
    let list = |scopes: &[String]| {
        scopes
            .iter()
            .map(|s| echo(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let expected = if inputs.integration.expected_scopes.is_empty() {
        "the inventory lists no expected scopes".to_string()
    } else {
        format!(
            "the inventory expects {}",
            list(&inputs.integration.expected_scopes)
        )
    };
    let probe = if inputs.probe.missing_scopes.is_empty() {
        "credwatch's own probe sees no missing scope, so the integration likely asks for fewer scopes than its package grants".to_string()
    } else {
        format!(
            "credwatch's own probe misses {} too: the installed package's permissions changed",
            list(&inputs.probe.missing_scopes)
        )
    };
    format!(
        "The integration itself reported calls refused with 403, SFMC code 20002 (insufficient privileges) at {}, the first in 7 days; {expected}; {probe}.",
        at(latest)
    )
}
