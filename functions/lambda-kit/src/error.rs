//! [`InvocationError`]: the one error a credwatch function returns from an invocation, and
//! whether the Lambda runtime's caller may expect a retry of the same event to succeed.

use lambda_runtime::Diagnostic;

/// The diagnostic `errorType` of a failure that may pass on a later attempt with the same event
/// (a dependency was unavailable).
pub const RETRYABLE: &str = "Retryable";

/// The diagnostic `errorType` of a failure the same event will meet again (the event itself is
/// wrong).
pub const NON_RETRYABLE: &str = "NonRetryable";

/// Why an invocation failed; the caller (EventBridge, a direct invoke) sees a failed invocation
/// whose `errorMessage` is this error's text and whose `errorType` is [`RETRYABLE`] or
/// [`NON_RETRYABLE`]. Messages name what failed and never carry a secret: they are built from
/// credwatch's own secret-free errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvocationError {
    /// The event is not one this function handles, or asks for something it cannot do (an
    /// unrecognised event, a malformed request): sending it again fails the same way.
    #[error("{0}")]
    BadEvent(String),
    /// A service the function depends on failed (DynamoDB could not list the integrations):
    /// the same event may succeed later.
    #[error("{0}")]
    Dependency(String),
}

impl InvocationError {
    /// Whether a later attempt with the same event may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            InvocationError::BadEvent(_) => false,
            InvocationError::Dependency(_) => true,
        }
    }

    /// The diagnostic `errorType` the runtime reports: [`RETRYABLE`] or [`NON_RETRYABLE`].
    pub fn error_type(&self) -> &'static str {
        if self.is_retryable() {
            RETRYABLE
        } else {
            NON_RETRYABLE
        }
    }
}

impl From<InvocationError> for Diagnostic {
    fn from(error: InvocationError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_string(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagnostic_says_whether_to_retry_and_keeps_the_message() {
        let cases = [
            (
                InvocationError::BadEvent("unrecognised event".into()),
                "NonRetryable",
            ),
            (
                InvocationError::Dependency("cannot list integrations: throttled".into()),
                "Retryable",
            ),
        ];
        for (error, error_type) in cases {
            let message = error.to_string();
            assert_eq!(error.is_retryable(), error_type == "Retryable", "{message}");
            let diagnostic = Diagnostic::from(error);
            assert_eq!(diagnostic.error_type, error_type, "{message}");
            assert_eq!(diagnostic.error_message, message);
        }
    }
}
