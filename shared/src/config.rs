//! The environment credwatch reads: the name of every `CREDWATCH_*` variable and the defaults of
//! what they configure, in one place, so the CLI, the Lambda functions and the tests agree.
//!
//! # Architecture
//!
//! Names and defaults live here, or beside what they configure and re-exported here (the
//! concurrency defaults in [`crate::probe`], the log filter in [`crate::telemetry::logging`],
//! `CREDWATCH_ALLOW_ANY_ENDPOINT` with the inventory rule it relaxes). Parsing lives with each
//! reader: the Lambda functions' typed `Config` in the `credwatch-lambda` crate, the CLI's in its
//! `clap` arguments. Standard AWS variables (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...) are the SDK's.

use std::time::Duration;

pub use crate::inventory::ALLOW_ANY_ENDPOINT_VAR;
pub use crate::probe::{DEFAULT_CONCURRENCY, DEFAULT_PER_HOST};
pub use crate::telemetry::logging::{
    DEFAULT_CLI_LOG_FILTER, DEFAULT_LAMBDA_LOG_FILTER, LOG_VAR, RUST_LOG_VAR,
};

/// The credwatch DynamoDB table's name. Required by both functions and by the CLI's table
/// commands (`--table`).
pub const TABLE_VAR: &str = "CREDWATCH_TABLE";

/// The Secrets Manager name prefix (e.g. `sfmc/`, the template's `SecretNamePrefix`) under which
/// the probe function may read client secrets; required by the probe function, optional for the
/// CLI (`--secret-prefix`).
pub const SECRET_PREFIX_VAR: &str = "CREDWATCH_SECRET_PREFIX";

/// Set to exactly [`FLAG_ON`], lets the probe function read `env` and `file` secret sources too
/// (tests and benchmarks of the binary); the template never sets it.
pub const ALLOW_LOCAL_SECRETS_VAR: &str = "CREDWATCH_ALLOW_LOCAL_SECRETS";

/// Probes the probe function runs at once overall: a positive whole number, default
/// [`DEFAULT_CONCURRENCY`].
pub const PROBE_CONCURRENCY_VAR: &str = "CREDWATCH_PROBE_CONCURRENCY";

/// Probes the probe function runs at once against one SFMC auth host: a positive whole number,
/// default [`DEFAULT_PER_HOST`].
pub const PROBE_PER_HOST_VAR: &str = "CREDWATCH_PROBE_PER_HOST";

/// How long the probe function waits for one SFMC request: a duration as the inventory writes
/// them (`10s`, `1m`), default [`DEFAULT_FUNCTION_REQUEST_TIMEOUT`].
pub const REQUEST_TIMEOUT_VAR: &str = "CREDWATCH_REQUEST_TIMEOUT";

/// The alerts SNS topic's ARN (the template's `AlertTopicArn`): where the fan-out publishes,
/// and the topic `credwatch status` reads subscriptions of (`--topic`).
pub const TOPIC_ARN_VAR: &str = "CREDWATCH_TOPIC_ARN";

/// The Secrets Manager name prefix (the template's `SlackSecretPrefix`, default
/// `credwatch/slack/`) under which slack-notify may read teams' Slack webhook URLs; required by
/// slack-notify.
pub const SLACK_SECRET_PREFIX_VAR: &str = "CREDWATCH_SLACK_SECRET_PREFIX";

/// Events one integration may report per minute to the ingest endpoint (a positive whole
/// number; default [`crate::jobs::ingest::DEFAULT_EVENTS_PER_MINUTE`]); read by the ingest function.
pub const INGEST_EVENTS_PER_MINUTE_VAR: &str = "CREDWATCH_INGEST_EVENTS_PER_MINUTE";

/// The prefix of the stack's own log groups (`/aws/lambda/{stack}-`), which the ingest function
/// never reads; set by the template.
pub const OWN_LOG_GROUP_PREFIX_VAR: &str = "CREDWATCH_OWN_LOG_GROUP_PREFIX";

/// Every `CREDWATCH_*` variable credwatch's programs read (the test suites' own aside), so a
/// deployment template or a script can be checked against them.
pub const ALL_VARS: [&str; 12] = [
    TABLE_VAR,
    TOPIC_ARN_VAR,
    SECRET_PREFIX_VAR,
    SLACK_SECRET_PREFIX_VAR,
    ALLOW_LOCAL_SECRETS_VAR,
    ALLOW_ANY_ENDPOINT_VAR,
    PROBE_CONCURRENCY_VAR,
    PROBE_PER_HOST_VAR,
    REQUEST_TIMEOUT_VAR,
    LOG_VAR,
    INGEST_EVENTS_PER_MINUTE_VAR,
    OWN_LOG_GROUP_PREFIX_VAR,
];

/// The one value that turns a flag variable ([`ALLOW_ANY_ENDPOINT_VAR`],
/// [`ALLOW_LOCAL_SECRETS_VAR`]) on; any other value, or none, leaves it off.
pub const FLAG_ON: &str = "1";

/// The probe function's SFMC request timeout when [`REQUEST_TIMEOUT_VAR`] is unset: shorter than
/// the CLI's, so one hanging tenant costs a scheduled run less of its Lambda time.
pub const DEFAULT_FUNCTION_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The CLI's `check --timeout` default, as the user would type it (clap shows it in `--help`).
pub const DEFAULT_CHECK_TIMEOUT: &str = "15s";

/// The longest a connection to SFMC may take to open, whatever the request timeout: a shorter
/// request timeout shortens it too.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether a flag variable's value (`None`: unset) turns it on: exactly [`FLAG_ON`].
pub fn flag_on(value: Option<&str>) -> bool {
    value == Some(FLAG_ON)
}

/// The connect timeout that goes with `request_timeout`: the shorter of it and
/// [`MAX_CONNECT_TIMEOUT`].
pub fn connect_timeout_for(request_timeout: Duration) -> Duration {
    request_timeout.min(MAX_CONNECT_TIMEOUT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::duration::parse_duration;

    #[test]
    fn flags_are_on_only_at_exactly_one() {
        for (value, on) in [
            (None, false),
            (Some("1"), true),
            (Some("0"), false),
            (Some("true"), false),
            (Some(" 1"), false),
            (Some(""), false),
        ] {
            assert_eq!(flag_on(value), on, "{value:?}");
        }
    }

    #[test]
    fn the_connect_timeout_is_the_request_timeout_capped_at_five_seconds() {
        for (request, connect) in [(1, 1), (5, 5), (10, 5), (15, 5)] {
            assert_eq!(
                connect_timeout_for(Duration::from_secs(request)),
                Duration::from_secs(connect),
                "{request} s"
            );
        }
    }

    #[test]
    fn the_check_timeout_default_is_the_sfmc_clients_default() {
        assert_eq!(
            parse_duration(DEFAULT_CHECK_TIMEOUT),
            Ok(crate::sfmc::ClientSettings::default().request_timeout)
        );
    }

    #[test]
    fn every_variable_is_listed_once_under_the_credwatch_prefix() {
        let mut names = ALL_VARS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL_VARS.len(), "{ALL_VARS:?}");
        for name in ALL_VARS {
            assert!(name.starts_with("CREDWATCH_"), "{name}");
        }
    }
}
