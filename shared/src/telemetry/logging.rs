//! Logging set-up, one for the `credwatch` CLI and every Lambda function: the filter comes from
//! [`LOG_VAR`] (`CREDWATCH_LOG`), else `RUST_LOG`, else a default per program; the output is
//! JSON lines for CloudWatch Logs ([`LogOutput::Lambda`]) or text for a terminal
//! ([`LogOutput::Terminal`]), always on stderr, so stdout stays for results (the CLI's JSON,
//! the functions' CloudWatch EMF metrics).
//!
//! Secrets never reach a log: they are [`crate::secrets::Secret`]s, which cannot be formatted.

use tracing_subscriber::EnvFilter;

/// The environment variable holding the log filter, in `tracing` `EnvFilter` syntax (e.g.
/// `debug`, `credwatch=trace`). When it is unset or does not parse, `RUST_LOG` is read, then
/// the program's default.
pub const LOG_VAR: &str = "CREDWATCH_LOG";

/// The standard fallback filter variable of the Rust ecosystem, read when [`LOG_VAR`] gives no
/// usable filter.
pub const RUST_LOG_VAR: &str = "RUST_LOG";

/// The Lambda functions' filter when neither variable gives one: everything at `info`.
pub const DEFAULT_LAMBDA_LOG_FILTER: &str = "info";

/// The CLI's filter when neither variable gives one: only credwatch's own crates (`credwatch`,
/// `credwatch_cli`, `credwatch_sim`), at `warn`. The AWS SDK's and the HTTP stack's warnings
/// (e.g. a profile file it could not parse) appear only when asked for, because the operator
/// commands already say in one line what went wrong.
pub const DEFAULT_CLI_LOG_FILTER: &str = "off,credwatch=warn,credwatch_cli=warn,credwatch_sim=warn";

/// Where log lines go and how they look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOutput {
    /// A Lambda function: one JSON object per line on stderr (CloudWatch Logs), no colours,
    /// no span context.
    Lambda,
    /// The CLI: human-readable lines on stderr with their target, coloured when `ansi`.
    Terminal {
        /// Whether to colour the output (a terminal, and no `NO_COLOR`).
        ansi: bool,
    },
}

/// The filter to log with: the first of [`LOG_VAR`] and [`RUST_LOG_VAR`] that `lookup` finds
/// set and that parses as a filter, else `default`. `lookup` reads a variable by name
/// (`std::env::var(name).ok()` in the programs; a map in tests).
pub fn log_filter(lookup: impl Fn(&str) -> Option<String>, default: &str) -> String {
    [LOG_VAR, RUST_LOG_VAR]
        .into_iter()
        .filter_map(&lookup)
        .find(|text| EnvFilter::try_new(text).is_ok())
        .unwrap_or_else(|| default.to_string())
}

/// Installs the process's one log subscriber, writing to `output` what `filter` (from
/// [`log_filter`]) lets through. Call once, first thing in `main`.
///
/// # Panics
/// If a global subscriber is already installed (a second call): a programming error.
pub fn init(output: LogOutput, filter: &str) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = EnvFilter::new(filter);
    let never = tracing_subscriber::filter::filter_fn(is_loggable);
    match output {
        LogOutput::Lambda => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(false)
            .with_ansi(false)
            .with_writer(std::io::stderr)
            .finish()
            .with(never)
            .init(),
        LogOutput::Terminal { ansi } => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .with_target(true)
            .finish()
            .with(never)
            .init(),
    }
}

/// Whether an event may be logged at all, whatever the filter: never `lambda_runtime`'s TRACE
/// lines, which print every raw invocation event ("raw JSON event received from Lambda"): a
/// function URL event carries the reporter's `Authorization: Bearer` ingest token.
fn is_loggable(meta: &tracing::Metadata<'_>) -> bool {
    !(meta.target().starts_with("lambda_runtime") && *meta.level() == tracing::Level::TRACE)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn the_filter_comes_from_credwatch_log_then_rust_log_then_the_default() {
        let cases: [(&[(&str, &str)], &str); 7] = [
            (&[], "info"),
            (&[("CREDWATCH_LOG", "debug")], "debug"),
            (&[("RUST_LOG", "trace")], "trace"),
            (
                &[("CREDWATCH_LOG", "debug"), ("RUST_LOG", "trace")],
                "debug",
            ),
            // A filter that does not parse is skipped, not half-applied.
            (
                &[("CREDWATCH_LOG", "credwatch=loud"), ("RUST_LOG", "warn")],
                "warn",
            ),
            (&[("CREDWATCH_LOG", "credwatch=loud")], "info"),
            // Set but empty is a filter (it parses): kept as tracing-subscriber reads it.
            (&[("CREDWATCH_LOG", ""), ("RUST_LOG", "warn")], ""),
        ];
        for (vars, expected) in cases {
            assert_eq!(
                log_filter(lookup(vars), DEFAULT_LAMBDA_LOG_FILTER),
                expected,
                "{vars:?}"
            );
        }
        assert_eq!(
            log_filter(lookup(&[]), DEFAULT_CLI_LOG_FILTER),
            DEFAULT_CLI_LOG_FILTER
        );
    }

    #[test]
    fn both_defaults_are_valid_filters() {
        for default in [DEFAULT_LAMBDA_LOG_FILTER, DEFAULT_CLI_LOG_FILTER] {
            assert!(EnvFilter::try_new(default).is_ok(), "{default}");
        }
    }
}
