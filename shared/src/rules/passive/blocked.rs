//! Pattern 5, `token_requests_blocked`: SFMC answered 429 with code 50200 (too many token
//! requests: the client id is blocked for a while, research file §3). Critical on token calls
//! (the integration cannot get a token at all), medium elsewhere; a Changed when it escalates.
//! Resolves after [`CLEAR_AFTER`] without 50200.

use chrono::TimeDelta;

use super::{PassiveInputs, Verdict, count, recent, thousands};
use crate::domain::passive::{CallKind, CounterKey};
use crate::domain::severity::Severity;

/// SFMC's error code for blocked token requests.
pub const BLOCKED_CODE: &str = "50200";
/// Resolves after this long without a 50200: 30 minutes (research file §3).
pub const CLEAR_AFTER: TimeDelta = TimeDelta::minutes(30);

fn blocked(key: &CounterKey) -> bool {
    key.status == Some(429) && key.code.as_deref() == Some(BLOCKED_CODE)
}

/// Decide pattern 5.
pub(crate) fn check(inputs: &PassiveInputs) -> Verdict {
    let mut on_token = 0u64;
    let mut elsewhere = 0u64;
    for minute in recent(inputs, CLEAR_AFTER) {
        on_token = on_token.saturating_add(count(minute, |k| {
            blocked(k) && k.call_kind == CallKind::Token
        }));
        elsewhere = elsewhere.saturating_add(count(minute, |k| {
            blocked(k) && k.call_kind != CallKind::Token
        }));
    }
    if on_token == 0 && elsewhere == 0 {
        return Verdict::Clear("No call was blocked (SFMC code 50200) for 30 minutes.".to_string());
    }
    let (severity, what) = if on_token > 0 {
        (
            Severity::Critical,
            format!("{} token requests", thousands(on_token)),
        )
    } else {
        (Severity::Medium, format!("{} calls", thousands(elsewhere)))
    };
    Verdict::Firing {
        severity,
        message: format!(
            "The integration itself reported {what} refused with 429, SFMC code 50200 (too many token requests) in the last 30 minutes: SFMC blocks its token requests for a while. Stop requesting tokens in a loop; cache one and reuse it until it expires."
        ),
        http_status: Some(429),
    }
}
