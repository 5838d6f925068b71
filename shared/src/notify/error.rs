//! Why a publish failed, sorted by what the caller does about it.
//!
//! | kind | SNS error codes | the caller |
//! |---|---|---|
//! | retryable | `Throttled`, `Throttling`, `KMSThrottling`, `InternalError`, `InternalFailure`, `ServiceUnavailable`, `RequestTimeout`, the SDK's throttling and transient codes, HTTP 429 and 5xx, timeouts, network and dispatch failures, and **any code not listed here** | keeps the notification pending and tries again later: never drops it |
//! | configuration | `NotFound` (topic missing), `AuthorizationError`, `KMSAccessDenied`, `KMSDisabled`, `KMSNotFound`, `KMSInvalidState`, `KMSOptInRequired`, `InvalidSecurity`, `EndpointDisabled`, `AccessDenied`, `InvalidClientTokenId`, `UnrecognizedClient`, `SignatureDoesNotMatch`, `ExpiredToken`, `MissingAuthenticationToken`, missing credentials or region, HTTP 401 or 403 without a code | raises an alarm that does not depend on the topic; retries once fixed |
//! | payload | `InvalidParameter`, `InvalidParameterValue`, `ParameterValueInvalid`, `ValidationError`, `ValidationException`, HTTP 413 without a code | fixes the message (shortens it) and resends |
//!
//! Codes are compared without a trailing `Exception` (the SDK's shape names, `NotFoundException`,
//! and the wire codes, `NotFound`, sort alike).

use std::fmt;

/// What the caller does about a failed publish (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublishErrorKind {
    /// Try again later; never drop.
    Retryable,
    /// The topic, its key or the permissions are wrong: alarm, retry once fixed.
    Configuration,
    /// SNS refused the message itself: shorten or fix it, then resend.
    Payload,
}

impl PublishErrorKind {
    /// `retryable`, `configuration` or `payload`.
    pub fn as_str(self) -> &'static str {
        match self {
            PublishErrorKind::Retryable => "retryable",
            PublishErrorKind::Configuration => "configuration",
            PublishErrorKind::Payload => "payload",
        }
    }

    /// The inverse of [`PublishErrorKind::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<PublishErrorKind> {
        [
            PublishErrorKind::Retryable,
            PublishErrorKind::Configuration,
            PublishErrorKind::Payload,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

const CONFIGURATION: [&str; 16] = [
    "NotFound",
    "AuthorizationError",
    "KMSAccessDenied",
    "KMSDisabled",
    "KMSNotFound",
    "KMSInvalidState",
    "KMSOptInRequired",
    "InvalidSecurity",
    "EndpointDisabled",
    "AccessDenied",
    "InvalidClientTokenId",
    "UnrecognizedClient",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "MissingAuthenticationToken",
    "PlatformApplicationDisabled",
];

const PAYLOAD: [&str; 5] = [
    "InvalidParameter",
    "InvalidParameterValue",
    "ParameterValueInvalid",
    "ValidationError",
    "Validation",
];

/// Sorts a failed publish by SNS's error code (when it answered with one) and HTTP status
/// (when it answered at all); see the module doc. Unknown codes are retryable: a notification
/// is never dropped for an error nobody foresaw.
pub fn classify(code: Option<&str>, status: Option<u16>) -> PublishErrorKind {
    if let Some(code) = code {
        let code = code.strip_suffix("Exception").unwrap_or(code);
        if CONFIGURATION.contains(&code) {
            return PublishErrorKind::Configuration;
        }
        if PAYLOAD.contains(&code) {
            return PublishErrorKind::Payload;
        }
    }
    match (code, status) {
        // An answer without SNS's error document: the status alone says who must act.
        (None, Some(401 | 403)) => PublishErrorKind::Configuration,
        (None, Some(413)) => PublishErrorKind::Payload,
        // Throttling, internal errors, 429, 5xx, no answer, and anything unknown.
        _ => PublishErrorKind::Retryable,
    }
}

/// A failed publish: its kind, the topic and notification it was for, and what went wrong (the
/// service's code and message, or the cause). Never carries the message body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PublishError {
    /// What the caller does about it.
    pub kind: PublishErrorKind,
    /// The topic ARN.
    pub topic: String,
    /// The notification that was not published.
    pub notification_id: String,
    /// What went wrong, in one line.
    pub detail: String,
}

impl PublishError {
    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        self.kind == PublishErrorKind::Retryable
    }
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let advice = match self.kind {
            PublishErrorKind::Retryable => "it stays pending and is retried",
            PublishErrorKind::Configuration => {
                "check that the topic exists, its KMS key is usable and the function may publish to it"
            }
            PublishErrorKind::Payload => "SNS refused the message itself; it is resent shortened",
        };
        write!(
            f,
            "could not publish notification {} to SNS topic {} ({} failure: {}); {advice}",
            self.notification_id,
            self.topic,
            self.kind.as_str(),
            self.detail
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_code_sorts_into_its_kind() {
        use PublishErrorKind::*;
        for (code, kind) in [
            ("Throttled", Retryable),
            ("Throttling", Retryable),
            ("ThrottlingException", Retryable),
            ("KMSThrottling", Retryable),
            ("KMSThrottlingException", Retryable),
            ("InternalError", Retryable),
            ("InternalErrorException", Retryable),
            ("InternalFailure", Retryable),
            ("ServiceUnavailable", Retryable),
            ("RequestTimeout", Retryable),
            ("SomethingNewFromAws", Retryable),
            ("", Retryable),
            ("NotFound", Configuration),
            ("NotFoundException", Configuration),
            ("AuthorizationError", Configuration),
            ("AuthorizationErrorException", Configuration),
            ("KMSAccessDenied", Configuration),
            ("KMSAccessDeniedException", Configuration),
            ("KMSDisabled", Configuration),
            ("KMSNotFound", Configuration),
            ("KMSInvalidState", Configuration),
            ("KMSOptInRequired", Configuration),
            ("InvalidSecurity", Configuration),
            ("EndpointDisabled", Configuration),
            ("AccessDenied", Configuration),
            ("AccessDeniedException", Configuration),
            ("InvalidClientTokenId", Configuration),
            ("UnrecognizedClientException", Configuration),
            ("SignatureDoesNotMatch", Configuration),
            ("ExpiredToken", Configuration),
            ("MissingAuthenticationToken", Configuration),
            ("PlatformApplicationDisabled", Configuration),
            ("InvalidParameter", Payload),
            ("InvalidParameterException", Payload),
            ("InvalidParameterValue", Payload),
            ("InvalidParameterValueException", Payload),
            ("ParameterValueInvalid", Payload),
            ("ValidationError", Payload),
            ("ValidationException", Payload),
        ] {
            for status in [None, Some(400), Some(403), Some(404), Some(500)] {
                assert_eq!(classify(Some(code), status), kind, "{code} {status:?}");
            }
        }
    }

    #[test]
    fn answers_without_a_code_are_retried() {
        for status in [None, Some(400), Some(404), Some(429), Some(500), Some(503)] {
            assert_eq!(
                classify(None, status),
                PublishErrorKind::Retryable,
                "{status:?}"
            );
        }
        assert_eq!(classify(None, Some(401)), PublishErrorKind::Configuration);
        assert_eq!(classify(None, Some(403)), PublishErrorKind::Configuration);
        assert_eq!(classify(None, Some(413)), PublishErrorKind::Payload);
    }

    #[test]
    fn codes_are_matched_whole_not_by_prefix() {
        assert_eq!(
            classify(Some("NotFoundish"), None),
            PublishErrorKind::Retryable
        );
        assert_eq!(
            classify(Some("notfound"), None),
            PublishErrorKind::Retryable
        );
        assert_eq!(
            classify(Some("Exception"), None),
            PublishErrorKind::Retryable
        );
    }

    #[test]
    fn messages_name_topic_notification_and_kind() {
        let err = PublishError {
            kind: PublishErrorKind::Configuration,
            topic: "arn:aws:sns:us-east-1:123456789012:alerts".to_string(),
            notification_id: "crm:auth:1/opened".to_string(),
            detail: "NotFound: Topic does not exist".to_string(),
        };
        let text = err.to_string();
        for part in [
            "crm:auth:1/opened",
            "arn:aws:sns:us-east-1:123456789012:alerts",
            "configuration",
            "NotFound",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert!(!err.is_retryable());
        let retryable = PublishError {
            kind: PublishErrorKind::Retryable,
            ..err.clone()
        };
        assert!(retryable.is_retryable());
        assert!(retryable.to_string().contains("retried"), "{retryable}");
        let payload = PublishError {
            kind: PublishErrorKind::Payload,
            ..err
        };
        assert!(!payload.is_retryable());
        assert!(payload.to_string().contains("shortened"), "{payload}");
    }
}
