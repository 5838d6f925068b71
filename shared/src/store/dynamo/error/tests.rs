//! Every kind of SDK failure, built directly as the SDK reports it, sorted into its kind.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ConnectorError, ErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::QueryError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;

use super::*;

fn response(status: u16) -> HttpResponse {
    HttpResponse::new(status.try_into().expect("a valid status"), SdkBody::empty())
}

/// A service error with `code`, answered with HTTP `status`.
fn service(code: &str, status: u16) -> SdkError<QueryError, HttpResponse> {
    let meta = ErrorMetadata::builder()
        .code(code)
        .message("as AWS says it")
        .build();
    SdkError::service_error(QueryError::generic(meta), response(status))
}

#[test]
fn throttling_and_transient_codes_are_retryable() {
    for code in [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "TransactionInProgressException",
        "RequestTimeout",
        "RequestTimeoutException",
        "TransactionConflictException",
    ] {
        assert_eq!(
            failure_kind(&service(code, 400)),
            FailureKind::Retryable,
            "{code}"
        );
    }
}

#[test]
fn server_errors_and_429_are_retryable_whatever_their_code() {
    for (code, status) in [
        ("InternalServerError", 500),
        ("ServiceUnavailable", 503),
        ("SomethingNew", 502),
        ("SomethingNew", 429),
    ] {
        assert_eq!(
            failure_kind(&service(code, status)),
            FailureKind::Retryable,
            "{code} {status}"
        );
    }
    assert_eq!(
        failure_kind(&service("SomethingNew", 400)),
        FailureKind::Permanent
    );
}

#[test]
fn a_failed_condition_is_a_conflict() {
    assert_eq!(
        failure_kind(&service("ConditionalCheckFailedException", 400)),
        FailureKind::Conflict
    );
}

#[test]
fn refusals_are_permanent() {
    for code in [
        "AccessDeniedException",
        "ResourceNotFoundException",
        "ValidationException",
        "UnrecognizedClientException",
        "MissingAuthenticationTokenException",
    ] {
        assert_eq!(
            failure_kind(&service(code, 400)),
            FailureKind::Permanent,
            "{code}"
        );
    }
}

#[test]
fn timeouts_and_network_failures_are_retryable() {
    let dispatch =
        |err: ConnectorError| SdkError::<QueryError, HttpResponse>::dispatch_failure(err);
    for err in [
        SdkError::<QueryError, HttpResponse>::timeout_error("no answer in time"),
        dispatch(ConnectorError::io("connection refused".into())),
        dispatch(ConnectorError::timeout("connect timed out".into())),
        dispatch(ConnectorError::other(
            "connection reset".into(),
            Some(ErrorKind::TransientError),
        )),
        SdkError::response_error("an HTML page", response(502)),
        SdkError::response_error("an HTML page", response(429)),
    ] {
        assert_eq!(failure_kind(&err), FailureKind::Retryable, "{err:?}");
    }
}

#[test]
fn configuration_and_construction_failures_are_permanent() {
    let dispatch =
        |err: ConnectorError| SdkError::<QueryError, HttpResponse>::dispatch_failure(err);
    for err in [
        // How the SDK reports missing credentials: an unclassified dispatch failure.
        dispatch(ConnectorError::other(
            "no credentials in the chain".into(),
            None,
        )),
        dispatch(ConnectorError::user("bad request".into())),
        dispatch(ConnectorError::other(
            "refused".into(),
            Some(ErrorKind::ClientError),
        )),
        SdkError::construction_failure("no region"),
        SdkError::response_error("a proxy's page", response(403)),
    ] {
        assert_eq!(failure_kind(&err), FailureKind::Permanent, "{err:?}");
    }
}

#[test]
fn request_errors_keep_their_message_and_take_their_kind() {
    let message = "DynamoDB Query on table t1 (pk=INVENTORY) failed: …".to_string();
    let err = request_error(&service("ThrottlingException", 400), message.clone());
    assert_eq!(err, StoreError::retryable(message.clone()));
    assert!(err.is_retryable());
    let err = request_error(
        &service("ConditionalCheckFailedException", 400),
        message.clone(),
    );
    assert_eq!(err, StoreError::conflict(message.clone()));
    let err = request_error(&service("AccessDeniedException", 400), message.clone());
    assert_eq!(err, StoreError::permanent(message));
}

#[test]
fn details_are_aws_code_and_message_in_one_line() {
    assert_eq!(
        error_detail(&service("ThrottlingException", 400)),
        "ThrottlingException: as AWS says it"
    );
    let err = SdkError::<QueryError, HttpResponse>::timeout_error("slow");
    assert_eq!(error_detail(&err), "no answer from AWS in time");
}
