//! DynamoDB request failures sorted into [`StoreError`] kinds.
//!
//! Throttling and transient codes are the AWS SDK's own lists (`aws_runtime`'s retry
//! classifiers: `ProvisionedThroughputExceededException`, `ThrottlingException`,
//! `RequestLimitExceeded`, `RequestTimeout`, ...), so credwatch retries what the SDK itself
//! would. Everything else is sorted by what it means for the caller:
//!
//! | failure | kind |
//! |---|---|
//! | throttling / transient code, `TransactionConflictException`, HTTP 429 or 5xx, no answer in time, connection or I/O error | retryable |
//! | `ConditionalCheckFailedException` | conflict |
//! | anything else AWS answered (`AccessDeniedException`, `ResourceNotFoundException`, `ValidationException`, ...), missing credentials or region, a request that could not be built | permanent |

use std::error::Error;
use std::fmt::Debug;

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::store::error::StoreError;

/// What a failed request means for its caller (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Try again later.
    Retryable,
    /// A condition failed: re-read.
    Conflict,
    /// Will not pass by retrying.
    Permanent,
}

/// Sorts a failed request (see the module doc).
pub fn failure_kind<E>(err: &SdkError<E, HttpResponse>) -> FailureKind
where
    E: ProvideErrorMetadata + Error + 'static,
{
    let status = |raw: &HttpResponse| raw.status().as_u16();
    let retryable_status = |status: u16| status == 429 || (500..=599).contains(&status);
    match err {
        SdkError::TimeoutError(_) => FailureKind::Retryable,
        SdkError::DispatchFailure(failure) => {
            let transient = failure
                .as_other()
                .is_some_and(|kind| kind != aws_smithy_types::retry::ErrorKind::ClientError);
            if failure.is_io() || failure.is_timeout() || transient {
                FailureKind::Retryable
            } else {
                // A user error: missing credentials or region, a signing failure.
                FailureKind::Permanent
            }
        }
        SdkError::ResponseError(response) if retryable_status(status(response.raw())) => {
            FailureKind::Retryable
        }
        SdkError::ServiceError(service) => {
            let code = err.code().unwrap_or_default();
            if code == "ConditionalCheckFailedException" {
                FailureKind::Conflict
            } else if THROTTLING_ERRORS.contains(&code)
                || TRANSIENT_ERRORS.contains(&code)
                || code == "TransactionConflictException"
                || retryable_status(status(service.raw()))
            {
                FailureKind::Retryable
            } else {
                FailureKind::Permanent
            }
        }
        _ => FailureKind::Permanent,
    }
}

/// What went wrong in a request: DynamoDB's error code and message for a service error (they
/// name keys at most, never item values); the innermost cause for anything else (timeout,
/// connection, credentials), in one line (see [`crate::aws_error`]).
pub fn error_detail<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug + 'static,
{
    crate::aws_error::describe(err)
}

/// The [`StoreError`] of a failed request: `message` (which names table, operation and key)
/// as the kind [`failure_kind`] sorts it into.
pub fn request_error<E>(err: &SdkError<E, HttpResponse>, message: String) -> StoreError
where
    E: ProvideErrorMetadata + Error + 'static,
{
    match failure_kind(err) {
        FailureKind::Retryable => StoreError::retryable(message),
        FailureKind::Conflict => StoreError::conflict(message),
        FailureKind::Permanent => StoreError::permanent(message),
    }
}

#[cfg(test)]
mod tests;
