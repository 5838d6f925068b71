//! What Slack answered a post to an incoming webhook, classified (pure).
//!
//! Slack's incoming webhooks answer `200` with the body `ok`; otherwise a status and a short
//! error token as plain text (Slack API docs, "Sending messages using incoming webhooks",
//! "Handling errors": `invalid_payload`, `user_not_found`, `channel_not_found`,
//! `channel_is_archived`, `action_prohibited`, `posting_to_general_channel_denied`,
//! `too_many_attachments`, `no_service`, `no_service_id`, `no_team`, `team_disabled`,
//! `invalid_token`, `no_text`; and `429` with `Retry-After` when rate limited, "Rate limits").
//! The token decides, not the status alone: Slack sends `400`, `403`, `404` and `410` with
//! tokens, and a `200` carrying a refusal token is still a refusal. A body that is not Slack's
//! (an HTML page from a proxy or a captive portal) says nothing about the webhook: retryable,
//! unless the status itself is one of the permanent ones.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The most of a body read and looked at, in bytes: Slack's tokens are short; a proxy's page
/// or a hostile answer is never read further.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// The wait when a `429` carries no usable `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The longest `Retry-After` honoured; a longer one is clamped to it.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// The shortest wait after a `429` (`Retry-After: 0` still means "not now").
pub const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Error tokens that say the webhook (or this payload) will never be accepted: the webhook was
/// revoked, its channel archived or deleted, its app removed, or the message itself is invalid.
pub const PERMANENT_TOKENS: [&str; 16] = [
    "invalid_payload",
    "invalid_token",
    "channel_not_found",
    "channel_is_archived",
    "no_service",
    "no_service_id",
    "no_team",
    "team_disabled",
    "action_prohibited",
    "posting_to_general_channel_denied",
    "user_not_found",
    "no_text",
    "too_many_attachments",
    "invalid_blocks",
    "invalid_blocks_format",
    "missing_text_or_fallback_or_attachments",
];

/// Statuses that are permanent whatever the body holds.
pub const PERMANENT_STATUSES: [u16; 4] = [400, 403, 404, 410];

/// What one answer means for the notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackAnswer {
    /// `200 ok`: posted.
    Accepted,
    /// `429`: wait `retry_after` (from `Retry-After`, clamped to
    /// [`MIN_RETRY_AFTER`]..=[`MAX_RETRY_AFTER`]; [`DEFAULT_RETRY_AFTER`] when missing or
    /// unreadable), then post again.
    RateLimited {
        /// How long to wait.
        retry_after: Duration,
    },
    /// May pass later: a 5xx, a network failure or timeout, a status carrying `Retry-After`, an
    /// answer that is not Slack's.
    Retryable {
        /// Slack's token, `http_<status>`, or a short description; never a URL.
        reason: String,
        /// The server's `Retry-After`, when it sent one (clamped as for `RateLimited`).
        retry_after: Option<Duration>,
    },
    /// Will never pass: Slack refused the webhook or the payload.
    Refused {
        /// Slack's error token, or `http_<status>` when the body held none.
        token: String,
    },
}

impl SlackAnswer {
    /// A network failure (connect, timeout, reset) described by `what`.
    pub fn network(what: impl Into<String>) -> SlackAnswer {
        SlackAnswer::Retryable {
            reason: what.into(),
            retry_after: None,
        }
    }
}

/// A body's Slack error token: the whole (trimmed) body when it is one short snake_case word,
/// or the `error` of a JSON answer `{"ok": false, "error": "..."}`; `None` for anything else
/// (HTML, prose, binary).
pub fn error_token(body: &[u8]) -> Option<String> {
    let body = &body[..body.len().min(MAX_BODY_BYTES)];
    let text = std::str::from_utf8(body).ok()?.trim();
    let is_token = |t: &str| {
        !t.is_empty()
            && t.len() <= 64
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    if is_token(text) {
        return Some(text.to_string());
    }
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let error = json.get("error")?.as_str()?;
    is_token(error).then(|| error.to_string())
}

/// `Retry-After` as a wait from `now`: delta-seconds or an HTTP-date (RFC 9110, 10.2.3),
/// clamped to [`MIN_RETRY_AFTER`]..=[`MAX_RETRY_AFTER`]; `None` when absent or unreadable.
pub fn retry_after(value: Option<&str>, now: DateTime<Utc>) -> Option<Duration> {
    let value = value?.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        let at: DateTime<Utc> = at.into();
        (at - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(wait.clamp(MIN_RETRY_AFTER, MAX_RETRY_AFTER))
}

/// Classifies one answer: `status`, its `Retry-After` header (if any), the first
/// [`MAX_BODY_BYTES`] of its body, received at `now`.
pub fn classify(
    status: u16,
    retry_after_header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> SlackAnswer {
    let token = error_token(body);
    let wait = retry_after(retry_after_header, now);
    if status == 429 {
        return SlackAnswer::RateLimited {
            retry_after: wait.unwrap_or(DEFAULT_RETRY_AFTER),
        };
    }
    if status == 200 && token.as_deref() == Some("ok") {
        return SlackAnswer::Accepted;
    }
    if let Some(token) = token.as_deref().filter(|t| PERMANENT_TOKENS.contains(t)) {
        return SlackAnswer::Refused {
            token: token.to_string(),
        };
    }
    let retryable = |reason: String| SlackAnswer::Retryable {
        reason,
        retry_after: wait,
    };
    if wait.is_some() {
        return retryable(token.unwrap_or_else(|| format!("http_{status}")));
    }
    match (status, token) {
        (500..=599, token) => retryable(token.unwrap_or_else(|| format!("http_{status}"))),
        (status, token) if PERMANENT_STATUSES.contains(&status) => SlackAnswer::Refused {
            token: token.unwrap_or_else(|| format!("http_{status}")),
        },
        // Request timeout, too early: the same post may pass.
        (408 | 425, _) => retryable(format!("http_{status}")),
        // Another 4xx carrying one of Slack's tokens (one not listed above): Slack refused it.
        (401..=499, Some(token)) if token != "ok" => SlackAnswer::Refused { token },
        // A proxy's page, a redirect (never followed), a 200 that is not `ok`...: not Slack's
        // answer about this webhook.
        (status, _) => retryable(format!("http_{status}: not an answer from Slack")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    fn refused(token: &str) -> SlackAnswer {
        SlackAnswer::Refused {
            token: token.to_string(),
        }
    }

    fn retryable(reason: &str, retry_after: Option<u64>) -> SlackAnswer {
        SlackAnswer::Retryable {
            reason: reason.to_string(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    const HTML: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>";

    #[test]
    fn every_answer_is_classified_by_its_token_then_its_status() {
        let cases: Vec<(u16, Option<&str>, &str, SlackAnswer)> = vec![
            (200, None, "ok", SlackAnswer::Accepted),
            (200, None, "ok\n", SlackAnswer::Accepted),
            (
                200,
                None,
                "",
                retryable("http_200: not an answer from Slack", None),
            ),
            (
                200,
                None,
                HTML,
                retryable("http_200: not an answer from Slack", None),
            ),
            (
                200,
                None,
                "channel_is_archived",
                refused("channel_is_archived"),
            ),
            (
                429,
                Some("7"),
                "rate_limited",
                SlackAnswer::RateLimited {
                    retry_after: Duration::from_secs(7),
                },
            ),
            (
                429,
                None,
                "rate_limited",
                SlackAnswer::RateLimited {
                    retry_after: DEFAULT_RETRY_AFTER,
                },
            ),
            (
                429,
                Some("soon"),
                "",
                SlackAnswer::RateLimited {
                    retry_after: DEFAULT_RETRY_AFTER,
                },
            ),
            (
                429,
                Some("0"),
                "",
                SlackAnswer::RateLimited {
                    retry_after: MIN_RETRY_AFTER,
                },
            ),
            (
                429,
                Some("99999999"),
                "",
                SlackAnswer::RateLimited {
                    retry_after: MAX_RETRY_AFTER,
                },
            ),
            (
                429,
                Some("Tue, 01 Dec 2026 00:00:42 GMT"),
                "",
                SlackAnswer::RateLimited {
                    retry_after: Duration::from_secs(42),
                },
            ),
            (
                429,
                Some("Mon, 30 Nov 2026 00:00:00 GMT"),
                "",
                SlackAnswer::RateLimited {
                    retry_after: MIN_RETRY_AFTER,
                },
            ),
            (400, None, "invalid_payload", refused("invalid_payload")),
            (400, None, "no_text", refused("no_text")),
            (
                400,
                None,
                "too_many_attachments",
                refused("too_many_attachments"),
            ),
            (400, None, "invalid_blocks", refused("invalid_blocks")),
            (403, None, "invalid_token", refused("invalid_token")),
            (403, None, "action_prohibited", refused("action_prohibited")),
            (
                403,
                None,
                "posting_to_general_channel_denied",
                refused("posting_to_general_channel_denied"),
            ),
            (403, None, "team_disabled", refused("team_disabled")),
            (404, None, "no_service", refused("no_service")),
            (404, None, "channel_not_found", refused("channel_not_found")),
            (404, None, "user_not_found", refused("user_not_found")),
            (404, None, "no_team", refused("no_team")),
            (400, None, "no_service_id", refused("no_service_id")),
            (
                410,
                None,
                "channel_is_archived",
                refused("channel_is_archived"),
            ),
            (404, None, HTML, refused("http_404")),
            (410, None, "", refused("http_410")),
            (403, None, "some_new_error", refused("some_new_error")),
            (401, None, "some_new_error", refused("some_new_error")),
            (
                401,
                None,
                HTML,
                retryable("http_401: not an answer from Slack", None),
            ),
            (
                407,
                None,
                HTML,
                retryable("http_407: not an answer from Slack", None),
            ),
            (408, None, "", retryable("http_408", None)),
            (500, None, "", retryable("http_500", None)),
            (
                500,
                None,
                "internal_error",
                retryable("internal_error", None),
            ),
            (502, None, HTML, retryable("http_502", None)),
            (503, Some("12"), HTML, retryable("http_503", Some(12))),
            // Any status with Retry-After is retryable, unless a permanent token says otherwise.
            (400, Some("5"), HTML, retryable("http_400", Some(5))),
            (200, Some("5"), "ok", SlackAnswer::Accepted),
            (
                404,
                Some("5"),
                "channel_not_found",
                refused("channel_not_found"),
            ),
            (
                301,
                None,
                "",
                retryable("http_301: not an answer from Slack", None),
            ),
            (
                302,
                None,
                HTML,
                retryable("http_302: not an answer from Slack", None),
            ),
            // JSON answers name their error too.
            (
                404,
                None,
                r#"{"ok":false,"error":"channel_not_found"}"#,
                refused("channel_not_found"),
            ),
            (
                200,
                None,
                r#"{"ok":false,"error":"invalid_blocks"}"#,
                refused("invalid_blocks"),
            ),
        ];
        for (status, header, body, expected) in cases {
            assert_eq!(
                classify(status, header, body.as_bytes(), now()),
                expected,
                "{status} {header:?} {body:?}"
            );
        }
    }

    #[test]
    fn every_permanent_token_is_refused_under_any_status() {
        for token in PERMANENT_TOKENS {
            for status in [200, 400, 403, 404, 410, 500, 503] {
                assert_eq!(
                    classify(status, None, token.as_bytes(), now()),
                    refused(token)
                );
            }
        }
    }

    #[test]
    fn only_the_first_kibibytes_of_a_body_are_looked_at() {
        let mut huge = b"ok".to_vec();
        huge.extend(std::iter::repeat_n(b' ', 10 * MAX_BODY_BYTES));
        huge.extend(b"channel_not_found");
        // Past the limit the token is not seen; what is seen is "ok" and spaces.
        assert_eq!(classify(200, None, &huge, now()), SlackAnswer::Accepted);
        let page = "x".repeat(1_000_000);
        assert_eq!(
            classify(404, None, page.as_bytes(), now()),
            refused("http_404")
        );
    }

    #[test]
    fn tokens_are_short_snake_case_words_only() {
        assert_eq!(error_token(b"invalid_token"), Some("invalid_token".into()));
        assert_eq!(error_token(b"  no_service\r\n"), Some("no_service".into()));
        for not_a_token in [
            &b"Invalid Token"[..],
            b"",
            b"<html>",
            b"no-service",
            &[0xff, 0xfe],
            "a".repeat(65).as_bytes(),
        ] {
            assert_eq!(error_token(not_a_token), None, "{not_a_token:?}");
        }
        assert_eq!(error_token(br#"{"error":"Not A Token"}"#), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_clamps() {
        assert_eq!(retry_after(None, now()), None);
        assert_eq!(retry_after(Some("abc"), now()), None);
        assert_eq!(retry_after(Some("-3"), now()), None);
        assert_eq!(
            retry_after(Some(" 3 "), now()),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(Some("Tue, 01 Dec 2026 00:01:00 GMT"), now()),
            Some(Duration::from_secs(60))
        );
        assert_eq!(retry_after(Some("86400"), now()), Some(MAX_RETRY_AFTER));
    }
}
