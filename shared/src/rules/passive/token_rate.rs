//! Pattern 4, `token_request_rate`: far more token requests than SFMC's guidance. SFMC asks for
//! one access token per ~20 minutes, reused until it expires ("Access tokens ... request a new
//! one only when the current one expires", research file §3); more than [`MAX_PER_WINDOW`] in
//! each of the last two [`RATE_WINDOW`]s is a habit, not a retry burst. Low severity; resolves
//! when the latest window is back at or under it.

use chrono::TimeDelta;

use super::{PassiveInputs, Verdict, count, thousands, window};
use crate::domain::passive::CallKind;
use crate::domain::severity::Severity;

/// SFMC's guidance window: one access token every 20 minutes.
pub const RATE_WINDOW: TimeDelta = TimeDelta::minutes(20);
/// More than this many token requests per window is "by far": three times the guidance (a
/// restart or a retry after a failure stays under it).
pub const MAX_PER_WINDOW: u64 = 3;

/// Token requests of the last window and of the one before it.
pub(crate) fn windows(inputs: &PassiveInputs) -> (u64, u64) {
    let tokens = |from, to| {
        window(inputs.minutes, from, to).fold(0u64, |sum, m| {
            sum.saturating_add(count(m, |k| k.call_kind == CallKind::Token))
        })
    };
    let now = inputs.now;
    (
        tokens(now - RATE_WINDOW, now),
        tokens(now - RATE_WINDOW - RATE_WINDOW, now - RATE_WINDOW),
    )
}

/// Decide pattern 4.
pub(crate) fn check(inputs: &PassiveInputs) -> Verdict {
    let (last, before) = windows(inputs);
    if last > MAX_PER_WINDOW && before > MAX_PER_WINDOW {
        Verdict::Firing {
            severity: Severity::Low,
            message: format!(
                "The integration requested {} access tokens in the last 20 minutes and {} in the 20 before; SFMC asks for one every 20 minutes, reused until it expires. Cache the token: many token requests can get the integration's token requests blocked (SFMC code 50200).",
                thousands(last),
                thousands(before),
            ),
            http_status: None,
        }
    } else if last <= MAX_PER_WINDOW {
        Verdict::Clear(
            "Token requests are back at SFMC's guidance (one every 20 minutes).".to_string(),
        )
    } else {
        Verdict::Hold
    }
}
