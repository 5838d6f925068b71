//! AWS trouble in the operator commands (`status`, `inventory plan|apply`, `table create`), told
//! in one line a person can act on: no region, no credentials (and where credwatch looked), no
//! such table, access denied (which action on which resource), an endpoint that cannot be
//! reached. Never the SDK's debug output.
//!
//! Exit codes (README, "Operating a deployment"): `2` when the command cannot run as given, and
//! running it again unchanged cannot help: no region, no usable credentials, no such table;
//! `1` when AWS could not be reached or refused on the way (unreachable endpoint, access denied,
//! throttling, any other service error).

use std::error::Error;
use std::fmt::Debug;

use aws_sdk_dynamodb::config::ProvideCredentials;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use credwatch::aws_error::innermost;
use credwatch::config::TABLE_VAR;
use credwatch::text::printable;

use crate::exit::{EXIT_FAILING, EXIT_INVALID};

/// Longest message this module produces, in characters.
const MAX_MESSAGE_CHARS: usize = 400;

/// What went wrong, in one line, and the exit code it earns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    pub message: String,
    pub code: u8,
}

impl Trouble {
    fn invalid(message: impl Into<String>) -> Self {
        Trouble {
            message: one_line(&message.into()),
            code: EXIT_INVALID,
        }
    }

    fn failing(message: impl Into<String>) -> Self {
        Trouble {
            message: one_line(&message.into()),
            code: EXIT_FAILING,
        }
    }
}

/// Where a request went: for messages.
#[derive(Debug, Clone)]
pub struct Target {
    pub table: String,
    pub region: String,
    /// `AWS_ENDPOINT_URL` when set, else DynamoDB's regional endpoint.
    pub endpoint: String,
}

impl Target {
    pub fn new(config: &aws_config::SdkConfig, table: &str) -> Self {
        let region = config
            .region()
            .map_or_else(|| "(no region)".to_string(), ToString::to_string);
        let endpoint = config.endpoint_url().map_or_else(
            || format!("https://dynamodb.{region}.amazonaws.com"),
            str::to_string,
        );
        Target {
            table: printable::echo(table),
            region,
            endpoint: printable::echo(&endpoint),
        }
    }
}

/// The AWS configuration of the standard environment, once a region and working credentials
/// are known to be there. Credentials are resolved here, so that their absence is told as such
/// rather than as a failed request.
pub async fn configured() -> Result<aws_config::SdkConfig, Trouble> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".to_string());
    let profile = printable::echo(&profile);
    if config.region().is_none() {
        return Err(Trouble::invalid(format!(
            "no AWS region is configured: credwatch looked at AWS_REGION, AWS_DEFAULT_REGION and \
             profile {profile} in the AWS config file; set one, e.g. export AWS_REGION=eu-west-1"
        )));
    }
    let Some(provider) = config.credentials_provider() else {
        return Err(no_credentials(
            &profile,
            "no credential provider is configured",
        ));
    };
    if let Err(err) = provider.provide_credentials().await {
        return Err(no_credentials(&profile, &innermost(&err)));
    }
    Ok(config)
}

fn no_credentials(profile: &str, why: &str) -> Trouble {
    Trouble::invalid(format!(
        "no usable AWS credentials ({why}): credwatch looked at AWS_ACCESS_KEY_ID / \
         AWS_SECRET_ACCESS_KEY, profile {profile} in ~/.aws/credentials and ~/.aws/config \
         (keys, SSO, credential_process), web identity and the container or instance role; \
         set AWS_PROFILE, run `aws sso login` or `aws configure`"
    ))
}

/// A failed DynamoDB request of `operation`, by the kind of failure.
pub fn describe<E, R>(err: &SdkError<E, R>, operation: &str, target: &Target) -> Trouble
where
    E: ProvideErrorMetadata + Error + 'static,
    R: Debug + 'static,
{
    match err {
        SdkError::ServiceError(_) => service_error(
            err.code().unwrap_or("UnknownError"),
            err.message().unwrap_or(""),
            operation,
            target,
        ),
        SdkError::TimeoutError(_) => Trouble::failing(format!(
            "no answer from AWS at {} in time ({operation} on table {}); check the network and \
             any proxy, or AWS_ENDPOINT_URL",
            target.endpoint, target.table
        )),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Trouble::failing(format!(
            "no answer from AWS at {} in time ({operation} on table {}); check the network and \
             any proxy, or AWS_ENDPOINT_URL",
            target.endpoint, target.table
        )),
        // Not a connection problem: credentials, signing, the SDK's own configuration.
        SdkError::DispatchFailure(failure) if !failure.is_io() => Trouble::invalid(format!(
            "AWS request {operation} could not be sent: {}; check the AWS configuration \
             (AWS_PROFILE, credentials, AWS_REGION)",
            innermost(err)
        )),
        SdkError::DispatchFailure(_) => Trouble::failing(format!(
            "could not reach AWS at {} ({}); check the network and any proxy, AWS_REGION, or \
             AWS_ENDPOINT_URL",
            target.endpoint,
            innermost(err)
        )),
        SdkError::ResponseError(_) => Trouble::failing(format!(
            "the answer from {} to {operation} was not DynamoDB's ({}); is AWS_ENDPOINT_URL right?",
            target.endpoint,
            innermost(err)
        )),
        SdkError::ConstructionFailure(_) => Trouble::invalid(format!(
            "AWS request {operation} could not be built: {}; check AWS_REGION and AWS_ENDPOINT_URL",
            innermost(err)
        )),
        _ => Trouble::failing(format!(
            "AWS request {operation} on table {} failed: {}",
            target.table,
            innermost(err)
        )),
    }
}

/// A service error, by DynamoDB's error code. Pure, for tests.
pub fn service_error(code: &str, message: &str, operation: &str, target: &Target) -> Trouble {
    let Target { table, region, .. } = target;
    match code {
        "ResourceNotFoundException" => Trouble::invalid(format!(
            "DynamoDB table {table} does not exist in {region}; check --table (or {TABLE_VAR}) \
             and AWS_REGION, or create it with `credwatch table create --table {table}`"
        )),
        "AccessDeniedException" => Trouble::failing(access_denied(message, operation, target)),
        "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "ExpiredTokenException"
        | "MissingAuthenticationTokenException"
        | "IncompleteSignature"
        | "InvalidClientTokenId" => Trouble::invalid(format!(
            "AWS did not accept the credentials ({code}: {}); refresh them (e.g. `aws sso login`) \
             or check AWS_PROFILE and AWS_ACCESS_KEY_ID",
            printable::echo(message)
        )),
        "ThrottlingException"
        | "ProvisionedThroughputExceededException"
        | "RequestLimitExceeded" => Trouble::failing(format!(
            "AWS is throttling DynamoDB requests on table {table} ({code}); try again in a minute"
        )),
        _ => Trouble::failing(format!(
            "DynamoDB refused {operation} on table {table}: {code}{}",
            if message.is_empty() {
                String::new()
            } else {
                format!(": {}", printable::cap(&printable::escape(message), 200))
            }
        )),
    }
}

/// "AWS denied dynamodb:Query on arn:...:table/T to arn:...:assumed-role/R/s", from IAM's
/// message "User: P is not authorized to perform: A on resource: R because ...".
fn access_denied(message: &str, operation: &str, target: &Target) -> String {
    let after = |marker: &str| {
        message.find(marker).map(|at| {
            message[at + marker.len()..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches([',', '.'])
                .to_string()
        })
    };
    let action = after("perform: ").unwrap_or_else(|| format!("dynamodb:{operation}"));
    let resource = after("on resource: ").unwrap_or_else(|| format!("table {}", target.table));
    let principal =
        after("User: ").map_or(String::new(), |p| format!(" to {}", printable::echo(&p)));
    format!(
        "AWS denied {} on {}{principal}; allow that action on that resource in the IAM policy \
         of the role or user credwatch runs as",
        printable::echo(&action),
        printable::echo(&resource)
    )
}

/// Text on one line (whitespace runs become one space), escaped, cut to a readable length.
pub fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    printable::cap(&printable::escape(&joined), MAX_MESSAGE_CHARS).into_owned()
}

/// A store error (already in credwatch's words, but possibly carrying an SDK chain) as one line:
/// SDK debug output (`DispatchFailure { source: ConnectorError { ...`) is cut off.
pub fn store_error_line(text: &str) -> String {
    let cut = ["DispatchFailure", "ConnectorError", " { ", "Error {"]
        .iter()
        .filter_map(|marker| text.find(marker))
        .min()
        .map_or(text, |at| text[..at].trim_end_matches([':', ' ', '(']));
    one_line(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            table: "credwatch-prod".into(),
            region: "eu-west-1".into(),
            endpoint: "https://dynamodb.eu-west-1.amazonaws.com".into(),
        }
    }

    #[test]
    fn service_errors_by_code() {
        let missing = service_error(
            "ResourceNotFoundException",
            "Requested resource not found",
            "DescribeTable",
            &target(),
        );
        assert_eq!(missing.code, EXIT_INVALID);
        for part in [
            "credwatch-prod",
            "eu-west-1",
            "credwatch table create --table credwatch-prod",
        ] {
            assert!(
                missing.message.contains(part),
                "{part}: {}",
                missing.message
            );
        }
        let expired = service_error(
            "ExpiredTokenException",
            "The security token included in the request is expired",
            "Query",
            &target(),
        );
        assert_eq!(expired.code, EXIT_INVALID);
        assert!(
            expired.message.contains("aws sso login"),
            "{}",
            expired.message
        );
        let throttled = service_error("ThrottlingException", "", "Query", &target());
        assert_eq!(throttled.code, EXIT_FAILING);
        let other = service_error(
            "ValidationException",
            "bad\nthing \u{1b}[31m",
            "Query",
            &target(),
        );
        assert_eq!(other.code, EXIT_FAILING);
        assert!(
            !other.message.contains('\n') && !other.message.contains('\u{1b}'),
            "{}",
            other.message
        );
    }

    #[test]
    fn access_denied_names_action_resource_and_principal() {
        let message = "User: arn:aws:sts::123456789012:assumed-role/ops/jane is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/credwatch-prod because no identity-based policy allows the dynamodb:Query action";
        let denied = service_error("AccessDeniedException", message, "Query", &target());
        assert_eq!(denied.code, EXIT_FAILING);
        assert_eq!(
            denied.message,
            "AWS denied dynamodb:Query on arn:aws:dynamodb:eu-west-1:123456789012:table/credwatch-prod \
             to arn:aws:sts::123456789012:assumed-role/ops/jane; allow that action on that resource in \
             the IAM policy of the role or user credwatch runs as"
        );
        let terse = service_error("AccessDeniedException", "Access denied", "Scan", &target());
        assert!(
            terse
                .message
                .contains("dynamodb:Scan on table credwatch-prod"),
            "{}",
            terse.message
        );
    }

    #[test]
    fn store_errors_lose_sdk_debug_output() {
        let text = "DynamoDB Query on table t (pk=INVENTORY) failed: dispatch failure: io error: \
                    DispatchFailure { source: ConnectorError { kind: Io, source: hyper_util::client::legacy::Error(Connect, ConnectError(\"tcp connect error\", 127.0.0.1:9, Os { code: 111 })) } }";
        let line = store_error_line(text);
        assert_eq!(
            line,
            "DynamoDB Query on table t (pk=INVENTORY) failed: dispatch failure: io error"
        );
        assert_eq!(store_error_line("plain\nmessage"), "plain message");
    }
}
