//! AWS SDK errors in one line of credwatch's words, for messages that are printed, stored and
//! sent: the service's own code and message when AWS answered, the innermost cause ("Connection
//! refused") when it could not be reached. Never the SDK's debug output (`DispatchFailure {
//! source: ConnectorError { ...`), which is long, multi-part and carries raw response headers.

use std::error::Error;
use std::fmt::Debug;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::text::printable;

/// Longest description, in characters.
const MAX_CHARS: usize = 300;

/// `ResourceNotFoundException: Secrets Manager can't find the specified secret.`, `could not
/// reach AWS (Connection refused)`, `no answer from AWS in time`, ...
pub fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug + 'static,
{
    let text = match err {
        SdkError::ServiceError(_) => match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_string(),
            _ => format!("AWS refused the request ({})", innermost(err)),
        },
        SdkError::TimeoutError(_) => "no answer from AWS in time".to_string(),
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            format!("could not reach AWS ({})", innermost(err))
        }
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            "no answer from AWS in time".to_string()
        }
        // Not a connection problem: missing region or credentials, a failed signing step, ...
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
            let cause = innermost(err);
            if cause.contains("region") {
                "no AWS region is configured: set AWS_REGION (e.g. export AWS_REGION=eu-west-1) \
                 or a region in your AWS profile"
                    .to_string()
            } else if cause.contains("credentials") {
                format!(
                    "no usable AWS credentials ({cause}): set AWS_PROFILE or \
                     AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where a role is available"
                )
            } else if matches!(err, SdkError::ConstructionFailure(_)) {
                format!("the request could not be built ({cause})")
            } else {
                format!("the request could not be sent ({cause})")
            }
        }
        SdkError::ResponseError(_) => {
            format!("the answer was not AWS's ({})", innermost(err))
        }
        _ => innermost(err),
    };
    one_line(&text)
}

/// The innermost cause of an error, which is what helps, without the OS error number.
pub fn innermost(err: &(dyn Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => &text,
    };
    if text.trim().is_empty() {
        one_line(&DisplayErrorContext(err).to_string())
    } else {
        one_line(text)
    }
}

/// Whitespace runs as one space, unprintable characters escaped, cut to a readable length.
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    printable::cap(&printable::escape(&joined), MAX_CHARS).into_owned()
}
