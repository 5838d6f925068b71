//! The wait an answer asks for: the `Retry-After` header (RFC 9110 §10.2.3) or the `retryAfter`
//! field of SFMC's rate-limit body, capped at [`MAX_RETRY_AFTER`].

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::answer::HttpAnswer;
use super::failure::Failure;

/// Attaches the wait SFMC asked for: the `Retry-After` header, or else the `retryAfter` field
/// of SFMC's rate-limit body (a number of seconds, or a numeric string).
/// Capped at [`MAX_RETRY_AFTER`].
pub(super) fn with_retry_after(
    mut failure: Failure,
    answer: &HttpAnswer,
    json: Option<&Value>,
) -> Failure {
    failure.retry_after = answer
        .retry_after
        .or_else(|| json.and_then(body_retry_after))
        .map(|wait| wait.min(MAX_RETRY_AFTER));
    failure
}

/// The longest wait an answer can ask for, as far as credwatch records it: one day. The probe
/// waits far less (its own cap, `RetryPolicy::max_retry_after`); this bound keeps what is
/// reported (`retry_after_secs` in JSON output and history) sane when a header says
/// `99999999999999999999` or a date in the year 9999. A wait of a day or more means "not soon"
/// either way.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// `retryAfter` of an SFMC error body, in seconds; anything else is ignored.
pub(super) fn body_retry_after(json: &Value) -> Option<Duration> {
    let value = json.get("retryAfter")?;
    let secs = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs(secs.ceil() as u64))
}

/// Parses `Retry-After` relative to `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3, all
/// three date formats), capped at [`MAX_RETRY_AFTER`]. A date in the past is a wait of zero;
/// anything unreadable is `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturates: a 30-digit wait is "very long", not unreadable.
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}
