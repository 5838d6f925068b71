//! [`Config`]: every `CREDWATCH_*` variable a credwatch function reads, parsed once, with its
//! default; names and defaults come from [`credwatch::config`].

use std::fmt;
use std::time::Duration;

use credwatch::config::{
    ALL_VARS, ALLOW_ANY_ENDPOINT_VAR, ALLOW_LOCAL_SECRETS_VAR, DEFAULT_CONCURRENCY,
    DEFAULT_FUNCTION_REQUEST_TIMEOUT, DEFAULT_LAMBDA_LOG_FILTER, DEFAULT_PER_HOST,
    PROBE_CONCURRENCY_VAR, PROBE_PER_HOST_VAR, REQUEST_TIMEOUT_VAR, SECRET_PREFIX_VAR,
    SLACK_SECRET_PREFIX_VAR, TABLE_VAR, TOPIC_ARN_VAR, connect_timeout_for, flag_on,
};
use credwatch::probe::Concurrency;
use credwatch::secrets::SecretPolicy;
use credwatch::sfmc::{ClientSettings, EndpointPolicy};
use credwatch::telemetry::logging::log_filter;
use credwatch::text::duration::parse_duration;
use credwatch::text::printable::{MAX_ECHOED_CHARS, cap};

/// What [`SECRET_PREFIX_VAR`] is for, in the error when the probe function starts without it.
const SECRET_PREFIX_PURPOSE: &str = "the Secrets Manager prefix (e.g. sfmc/) under which the \
                                     probe may read client secrets";

/// A credwatch function's configuration, from its environment. Every field names its variable;
/// the defaults are [`credwatch::config`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The DynamoDB table (`CREDWATCH_TABLE`, required, non-empty).
    pub table: String,
    /// The alerts SNS topic's ARN (`CREDWATCH_TOPIC_ARN`); `None` when unset or empty. The
    /// alert fan-out requires it ([`Config::topic_arn`]); the other functions publish nothing.
    pub topic_arn: Option<String>,
    /// The Secrets Manager prefix the probe may read under (`CREDWATCH_SECRET_PREFIX`, e.g.
    /// `sfmc/`); `None` when unset or empty. The probe function requires it
    /// ([`Config::secret_policy`]); the expiry scan reads no secrets.
    pub secret_prefix: Option<String>,
    /// The Secrets Manager prefix slack-notify may read webhook URLs under
    /// (`CREDWATCH_SLACK_SECRET_PREFIX`, e.g. `credwatch/slack/`); `None` when unset or empty.
    /// slack-notify requires it ([`Config::slack_secret_prefix`]).
    pub slack_secret_prefix: Option<String>,
    /// Whether `env` and `file` secret sources may be read too (`CREDWATCH_ALLOW_LOCAL_SECRETS`
    /// exactly `1`; tests and benchmarks only, the template never sets it).
    pub allow_local_secrets: bool,
    /// Whether an `auth_url` that is not SFMC's may be probed (`CREDWATCH_ALLOW_ANY_ENDPOINT`
    /// exactly `1`; a simulator or proxy).
    pub allow_any_endpoint: bool,
    /// Probes in flight overall (`CREDWATCH_PROBE_CONCURRENCY`, default
    /// [`credwatch::config::DEFAULT_CONCURRENCY`]) and per auth host
    /// (`CREDWATCH_PROBE_PER_HOST`, default [`credwatch::config::DEFAULT_PER_HOST`]); positive
    /// whole numbers.
    pub concurrency: Concurrency,
    /// How long one SFMC request may take (`CREDWATCH_REQUEST_TIMEOUT`, a duration such as
    /// `10s`; default [`credwatch::config::DEFAULT_FUNCTION_REQUEST_TIMEOUT`]).
    pub request_timeout: Duration,
    /// The log filter (`CREDWATCH_LOG`, else `RUST_LOG`, else
    /// [`credwatch::config::DEFAULT_LAMBDA_LOG_FILTER`]); see
    /// [`credwatch::telemetry::logging::log_filter`].
    pub log_filter: String,
}

/// A variable a function needs is missing or does not hold what it should. The message names
/// the variable and what is wrong; a value is echoed only cut to a few dozen characters (these
/// variables hold names and numbers, never secrets).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{var} is not set; it names {purpose}")]
    Missing {
        /// The variable, e.g. `CREDWATCH_TABLE`.
        var: &'static str,
        /// What it names, for the person deploying.
        purpose: &'static str,
    },
    /// A variable is set to something it cannot hold.
    #[error("{var}={value:?}: {problem}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Its value, cut to [`MAX_ECHOED_CHARS`] characters.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
}

// `main` returning this error prints it with `Debug`: the sentence, quoted, as operators saw it
// when `main` returned plain strings.
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl Config {
    /// Reads the configuration from this process's environment.
    ///
    /// # Errors
    /// The first [`ConfigError`] met, in the order of [`Config`]'s fields.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_os_lookup(|name| std::env::var_os(name))
    }

    /// Reads the configuration through `lookup`, which gives a variable's raw value by name
    /// (`None`: unset), as the operating system holds it.
    ///
    /// # Errors
    /// As [`Config::from_env`]; a `CREDWATCH_*` variable that is set but not UTF-8 is
    /// [`ConfigError::Invalid`] naming it (not "unset", which would quietly use a default).
    pub fn from_os_lookup(
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Config, ConfigError> {
        for var in ALL_VARS {
            if let Some(raw) = lookup(var).filter(|raw| raw.to_str().is_none()) {
                return Err(invalid(var, &raw.to_string_lossy(), "is not UTF-8 text"));
            }
        }
        Config::from_lookup(|name| lookup(name).and_then(|raw| raw.into_string().ok()))
    }

    /// Reads the configuration through `lookup`, which gives a variable's value by name
    /// (`None`: unset).
    ///
    /// # Errors
    /// As [`Config::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let non_empty = |var: &str| lookup(var).filter(|value| !value.is_empty());
        let table = non_empty(TABLE_VAR).ok_or(ConfigError::Missing {
            var: TABLE_VAR,
            purpose: "the credwatch DynamoDB table",
        })?;
        Ok(Config {
            table,
            topic_arn: non_empty(TOPIC_ARN_VAR),
            secret_prefix: non_empty(SECRET_PREFIX_VAR),
            slack_secret_prefix: non_empty(SLACK_SECRET_PREFIX_VAR),
            allow_local_secrets: flag_on(lookup(ALLOW_LOCAL_SECRETS_VAR).as_deref()),
            allow_any_endpoint: flag_on(lookup(ALLOW_ANY_ENDPOINT_VAR).as_deref()),
            request_timeout: optional_duration(
                &lookup,
                REQUEST_TIMEOUT_VAR,
                DEFAULT_FUNCTION_REQUEST_TIMEOUT,
            )?,
            concurrency: Concurrency {
                global: optional_count(&lookup, PROBE_CONCURRENCY_VAR, DEFAULT_CONCURRENCY)?,
                per_host: optional_count(&lookup, PROBE_PER_HOST_VAR, DEFAULT_PER_HOST)?,
            },
            log_filter: log_filter(&lookup, DEFAULT_LAMBDA_LOG_FILTER),
        })
    }

    /// The deployed secret policy: Secrets Manager only, only under the prefix (the template
    /// sets it from `SecretNamePrefix`); with `allow_local_secrets`, env and file sources too.
    /// Without a prefix the probe refuses to start: a loud init error (and the heartbeat alarm)
    /// beats probing with secrets it may not read.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] for `CREDWATCH_SECRET_PREFIX`.
    pub fn secret_policy(&self) -> Result<SecretPolicy, ConfigError> {
        let prefix = self.secret_prefix.clone().ok_or(ConfigError::Missing {
            var: SECRET_PREFIX_VAR,
            purpose: SECRET_PREFIX_PURPOSE,
        })?;
        let mut policy = SecretPolicy::deployed(prefix);
        policy.local_sources = self.allow_local_secrets;
        Ok(policy)
    }

    /// The prefix slack-notify reads webhook secrets under. Without it slack-notify refuses to
    /// start: it would otherwise have no bound on which secrets a team may name.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] for `CREDWATCH_SLACK_SECRET_PREFIX`.
    pub fn slack_secret_prefix(&self) -> Result<&str, ConfigError> {
        self.slack_secret_prefix
            .as_deref()
            .ok_or(ConfigError::Missing {
                var: SLACK_SECRET_PREFIX_VAR,
                purpose: "the Secrets Manager prefix (e.g. credwatch/slack/) under which \
                          slack-notify may read teams' Slack webhook URLs",
            })
    }

    /// The alerts topic the fan-out publishes to. Without it the fan-out refuses to start: a
    /// loud init error beats taking notifications off the stream with nowhere to send them.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] for `CREDWATCH_TOPIC_ARN`.
    pub fn topic_arn(&self) -> Result<&str, ConfigError> {
        self.topic_arn.as_deref().ok_or(ConfigError::Missing {
            var: TOPIC_ARN_VAR,
            purpose: "the alerts SNS topic (the template's AlertTopicArn) the fan-out publishes to",
        })
    }

    /// The SFMC client's settings: the request timeout, the connect timeout that goes with it
    /// ([`credwatch::config::connect_timeout_for`]) and the endpoint policy; the rest default.
    pub fn client_settings(&self) -> ClientSettings {
        ClientSettings {
            request_timeout: self.request_timeout,
            connect_timeout: connect_timeout_for(self.request_timeout),
            endpoint_policy: if self.allow_any_endpoint {
                EndpointPolicy::AnyEndpoint
            } else {
                EndpointPolicy::SfmcOnly
            },
            ..ClientSettings::default()
        }
    }
}

fn invalid(var: &'static str, value: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var,
        value: cap(value, MAX_ECHOED_CHARS).into_owned(),
        problem: problem.into(),
    }
}

/// `var` as a duration (`10s`, `2m`), or `default` when unset.
fn optional_duration(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match lookup(var) {
        Some(text) => parse_duration(&text).map_err(|why| invalid(var, &text, why)),
        None => Ok(default),
    }
}

/// `var` as a positive whole number, or `default` when unset.
fn optional_count(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: usize,
) -> Result<usize, ConfigError> {
    match lookup(var) {
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(invalid(var, &text, "must be a positive whole number")),
        },
        None => Ok(default),
    }
}

#[cfg(test)]
mod tests;
