//! The ingest function's own variables, besides [`credwatch_lambda::Config`]'s.

use credwatch::jobs::ingest::{DEFAULT_EVENTS_PER_MINUTE, IngestConfig};

/// Events one integration may report per minute over HTTPS (a positive whole number; default
/// [`DEFAULT_EVENTS_PER_MINUTE`]).
pub const EVENTS_PER_MINUTE_VAR: &str = credwatch::config::INGEST_EVENTS_PER_MINUTE_VAR;

/// The smallest allowance accepted: one full batch
/// ([`MAX_EVENTS_PER_REQUEST`](credwatch::passive::MAX_EVENTS_PER_REQUEST) events).
pub const MIN_EVENTS_PER_MINUTE: u32 = credwatch::passive::MAX_EVENTS_PER_REQUEST as u32;
/// The stack's own log groups' prefix, never read (set by the template).
pub const OWN_LOG_GROUP_PREFIX_VAR: &str = credwatch::config::OWN_LOG_GROUP_PREFIX_VAR;
/// Set by Lambda: this function's name (its own log group is refused too).
pub const FUNCTION_NAME_VAR: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// Reads the ingest configuration through `lookup` (a variable's value by name; `None`: unset).
///
/// # Errors
/// The variable and what is wrong with it (its value cut to 40 characters: these hold numbers
/// and names, never secrets).
pub fn ingest_config(lookup: impl Fn(&str) -> Option<String>) -> Result<IngestConfig, String> {
    let set = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
    let events_per_minute = match set(EVENTS_PER_MINUTE_VAR) {
        None => DEFAULT_EVENTS_PER_MINUTE,
        Some(text) => match text.trim().parse::<u32>() {
            // Below one full batch, a batch of 500 events could never be accepted (429 for ever).
            Ok(n) if n >= MIN_EVENTS_PER_MINUTE => n,
            _ => {
                let shown: String = text.chars().take(40).collect();
                return Err(format!(
                    "{EVENTS_PER_MINUTE_VAR}={shown:?}: must be a whole number of events per minute, \
                     at least {MIN_EVENTS_PER_MINUTE} (one full batch)"
                ));
            }
        },
    };
    Ok(IngestConfig {
        events_per_minute,
        own_log_group_prefix: set(OWN_LOG_GROUP_PREFIX_VAR),
        function_name: set(FUNCTION_NAME_VAR),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<IngestConfig, String> {
        ingest_config(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_and_values() {
        let config = read(&[]).unwrap();
        assert_eq!(config, IngestConfig::default());
        let config = read(&[
            (EVENTS_PER_MINUTE_VAR, "1200"),
            (OWN_LOG_GROUP_PREFIX_VAR, "/aws/lambda/cw-"),
            (FUNCTION_NAME_VAR, "cw-ingest"),
        ])
        .unwrap();
        assert_eq!(config.events_per_minute, 1200);
        assert_eq!(
            read(&[(EVENTS_PER_MINUTE_VAR, "500")])
                .unwrap()
                .events_per_minute,
            500
        );
        assert_eq!(
            config.own_log_group_prefix.as_deref(),
            Some("/aws/lambda/cw-")
        );
        assert_eq!(config.function_name.as_deref(), Some("cw-ingest"));
        assert_eq!(
            read(&[(EVENTS_PER_MINUTE_VAR, " ")])
                .unwrap()
                .events_per_minute,
            6000
        );
    }

    #[test]
    fn a_bad_allowance_names_the_variable() {
        for value in ["0", "-1", "many", "1.5", "120", "499"] {
            let error = read(&[(EVENTS_PER_MINUTE_VAR, value)]).unwrap_err();
            assert!(error.starts_with(EVENTS_PER_MINUTE_VAR), "{error}");
        }
    }
}
