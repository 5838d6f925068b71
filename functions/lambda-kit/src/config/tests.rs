use std::collections::HashMap;

use super::*;

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.get(name).cloned()
}

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_lookup(lookup(vars))
}

const TABLE: (&str, &str) = ("CREDWATCH_TABLE", "credwatch");
const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:credwatch-alerts";

#[test]
fn only_the_table_is_required_and_everything_else_has_its_default() {
    let config = config(&[TABLE]).expect("the table is enough");
    assert_eq!(
        config,
        Config {
            table: "credwatch".into(),
            topic_arn: None,
            secret_prefix: None,
            slack_secret_prefix: None,
            allow_local_secrets: false,
            allow_any_endpoint: false,
            concurrency: Concurrency {
                global: 32,
                per_host: 8,
            },
            request_timeout: Duration::from_secs(10),
            log_filter: "info".into(),
        }
    );
}

#[test]
fn every_variable_is_read() {
    let config = config(&[
        TABLE,
        ("CREDWATCH_TOPIC_ARN", TOPIC),
        ("CREDWATCH_SECRET_PREFIX", "sfmc/"),
        ("CREDWATCH_SLACK_SECRET_PREFIX", "credwatch/slack/"),
        ("CREDWATCH_ALLOW_LOCAL_SECRETS", "1"),
        ("CREDWATCH_ALLOW_ANY_ENDPOINT", "1"),
        ("CREDWATCH_PROBE_CONCURRENCY", "4"),
        ("CREDWATCH_PROBE_PER_HOST", "2"),
        ("CREDWATCH_REQUEST_TIMEOUT", "3s"),
        ("CREDWATCH_LOG", "debug"),
    ])
    .expect("all valid");
    assert_eq!(
        config,
        Config {
            table: "credwatch".into(),
            topic_arn: Some(TOPIC.into()),
            secret_prefix: Some("sfmc/".into()),
            slack_secret_prefix: Some("credwatch/slack/".into()),
            allow_local_secrets: true,
            allow_any_endpoint: true,
            concurrency: Concurrency {
                global: 4,
                per_host: 2,
            },
            request_timeout: Duration::from_secs(3),
            log_filter: "debug".into(),
        }
    );
}

#[test]
fn flags_are_on_only_at_exactly_one_and_empty_names_are_unset() {
    for (value, on) in [("1", true), ("0", false), ("true", false), ("yes", false)] {
        let config = config(&[
            TABLE,
            ("CREDWATCH_ALLOW_LOCAL_SECRETS", value),
            ("CREDWATCH_ALLOW_ANY_ENDPOINT", value),
        ])
        .expect("flags never fail");
        assert_eq!(config.allow_local_secrets, on, "{value}");
        assert_eq!(config.allow_any_endpoint, on, "{value}");
    }
    let empty_prefix = config(&[TABLE, ("CREDWATCH_SECRET_PREFIX", "")]).expect("valid");
    assert_eq!(empty_prefix.secret_prefix, None);
}

#[test]
fn each_bad_value_is_an_error_naming_its_variable_and_the_problem() {
    let cases: [(&[(&str, &str)], &str); 9] = [
        (
            &[],
            "CREDWATCH_TABLE is not set; it names the credwatch DynamoDB table",
        ),
        (
            &[("CREDWATCH_TABLE", "")],
            "CREDWATCH_TABLE is not set; it names the credwatch DynamoDB table",
        ),
        (
            &[TABLE, ("CREDWATCH_PROBE_CONCURRENCY", "0")],
            "CREDWATCH_PROBE_CONCURRENCY=\"0\": must be a positive whole number",
        ),
        (
            &[TABLE, ("CREDWATCH_PROBE_CONCURRENCY", "-3")],
            "CREDWATCH_PROBE_CONCURRENCY=\"-3\": must be a positive whole number",
        ),
        (
            &[TABLE, ("CREDWATCH_PROBE_CONCURRENCY", "")],
            "CREDWATCH_PROBE_CONCURRENCY=\"\": must be a positive whole number",
        ),
        (
            &[TABLE, ("CREDWATCH_PROBE_PER_HOST", "eight")],
            "CREDWATCH_PROBE_PER_HOST=\"eight\": must be a positive whole number",
        ),
        (
            &[TABLE, ("CREDWATCH_PROBE_PER_HOST", "2.5")],
            "CREDWATCH_PROBE_PER_HOST=\"2.5\": must be a positive whole number",
        ),
        (
            &[TABLE, ("CREDWATCH_REQUEST_TIMEOUT", "soon")],
            "CREDWATCH_REQUEST_TIMEOUT=\"soon\": ",
        ),
        (
            &[TABLE, ("CREDWATCH_REQUEST_TIMEOUT", "10")],
            "CREDWATCH_REQUEST_TIMEOUT=\"10\": ",
        ),
    ];
    for (vars, expected) in cases {
        let err = config(vars).expect_err("invalid");
        let message = err.to_string();
        assert!(message.starts_with(expected), "{vars:?}: {message}");
        // `main` prints the error with Debug: the same sentence, quoted.
        assert_eq!(format!("{err:?}"), format!("{message:?}"));
    }
}

#[test]
fn a_long_value_is_echoed_cut_short() {
    let long = "9".repeat(500);
    let err = config(&[TABLE, ("CREDWATCH_PROBE_CONCURRENCY", &long)]).expect_err("overflow");
    let message = err.to_string();
    assert!(!message.contains(&long), "{message}");
    assert!(
        message.contains(&format!("{}…", "9".repeat(80))),
        "{message}"
    );
    assert!(
        message.ends_with("must be a positive whole number"),
        "{message}"
    );
}

#[test]
fn the_probe_needs_a_secret_prefix_and_reads_local_sources_only_when_allowed() {
    let without = config(&[TABLE]).expect("valid");
    assert_eq!(
        without.secret_policy().expect_err("no prefix").to_string(),
        "CREDWATCH_SECRET_PREFIX is not set; it names the Secrets Manager prefix (e.g. sfmc/) \
         under which the probe may read client secrets"
    );
    let deployed = config(&[TABLE, ("CREDWATCH_SECRET_PREFIX", "sfmc/")]).expect("valid");
    assert_eq!(
        deployed.secret_policy(),
        Ok(SecretPolicy {
            prefix: Some("sfmc/".into()),
            local_sources: false,
        })
    );
    let local = config(&[
        TABLE,
        ("CREDWATCH_SECRET_PREFIX", "sfmc/"),
        ("CREDWATCH_ALLOW_LOCAL_SECRETS", "1"),
    ])
    .expect("valid");
    assert_eq!(
        local.secret_policy(),
        Ok(SecretPolicy {
            prefix: Some("sfmc/".into()),
            local_sources: true,
        })
    );
}

#[test]
fn slack_notify_needs_its_own_prefix() {
    for unset in [
        config(&[TABLE, ("CREDWATCH_SECRET_PREFIX", "sfmc/")]),
        config(&[TABLE, ("CREDWATCH_SLACK_SECRET_PREFIX", "")]),
    ] {
        assert_eq!(
            unset
                .expect("valid")
                .slack_secret_prefix()
                .expect_err("no prefix")
                .to_string(),
            "CREDWATCH_SLACK_SECRET_PREFIX is not set; it names the Secrets Manager prefix (e.g. \
             credwatch/slack/) under which slack-notify may read teams' Slack webhook URLs"
        );
    }
    let set =
        config(&[TABLE, ("CREDWATCH_SLACK_SECRET_PREFIX", "credwatch/slack/")]).expect("valid");
    assert_eq!(set.slack_secret_prefix(), Ok("credwatch/slack/"));
}

#[test]
fn the_fan_out_needs_the_topic() {
    for unset in [
        config(&[TABLE]),
        config(&[TABLE, ("CREDWATCH_TOPIC_ARN", "")]),
    ] {
        assert_eq!(
            unset
                .expect("valid")
                .topic_arn()
                .expect_err("no topic")
                .to_string(),
            "CREDWATCH_TOPIC_ARN is not set; it names the alerts SNS topic (the template's \
             AlertTopicArn) the fan-out publishes to"
        );
    }
    let set = config(&[TABLE, ("CREDWATCH_TOPIC_ARN", TOPIC)]).expect("valid");
    assert_eq!(set.topic_arn(), Ok(TOPIC));
}

#[test]
fn client_settings_follow_the_timeout_and_the_endpoint_flag() {
    let cases = [
        (&[TABLE][..], 10, 5, EndpointPolicy::SfmcOnly),
        (
            &[TABLE, ("CREDWATCH_REQUEST_TIMEOUT", "2s")][..],
            2,
            2,
            EndpointPolicy::SfmcOnly,
        ),
        (
            &[TABLE, ("CREDWATCH_ALLOW_ANY_ENDPOINT", "1")][..],
            10,
            5,
            EndpointPolicy::AnyEndpoint,
        ),
    ];
    for (vars, request, connect, policy) in cases {
        let settings = config(vars).expect("valid").client_settings();
        assert_eq!(
            settings.request_timeout,
            Duration::from_secs(request),
            "{vars:?}"
        );
        assert_eq!(
            settings.connect_timeout,
            Duration::from_secs(connect),
            "{vars:?}"
        );
        assert_eq!(settings.endpoint_policy, policy, "{vars:?}");
        assert_eq!(
            settings.max_body_bytes,
            ClientSettings::default().max_body_bytes
        );
    }
}

#[test]
fn a_value_that_is_not_utf8_is_an_error_naming_its_variable_not_unset() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    // Each would otherwise read as unset: the default concurrency or timeout, no prefix.
    for var in [
        "CREDWATCH_TABLE",
        "CREDWATCH_PROBE_CONCURRENCY",
        "CREDWATCH_PROBE_PER_HOST",
        "CREDWATCH_REQUEST_TIMEOUT",
        "CREDWATCH_SECRET_PREFIX",
        "CREDWATCH_ALLOW_ANY_ENDPOINT",
        "CREDWATCH_LOG",
    ] {
        let lookup = |name: &str| match name {
            name if name == var => Some(OsString::from_vec(b"8\xff\xfe".to_vec())),
            "CREDWATCH_TABLE" => Some(OsString::from("credwatch")),
            _ => None,
        };
        let err = Config::from_os_lookup(lookup).expect_err("not UTF-8");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{var}=\"8\u{fffd}\u{fffd}\": is not UTF-8 text")),
            "{var}: {message}"
        );
    }
    // UTF-8 values read exactly as through `from_lookup`.
    let utf8 = |name: &str| lookup(&[TABLE, ("CREDWATCH_PROBE_CONCURRENCY", "7")])(name);
    assert_eq!(
        Config::from_os_lookup(|name| utf8(name).map(OsString::from)),
        Config::from_lookup(utf8)
    );
}

#[test]
fn a_long_duration_is_echoed_cut_short_in_the_problem_too() {
    let long = "9".repeat(500);
    for value in [long.clone(), format!("{long}x"), format!("{long}d")] {
        let err = config(&[TABLE, ("CREDWATCH_REQUEST_TIMEOUT", &value)]).expect_err("invalid");
        let message = err.to_string();
        assert!(
            message.starts_with("CREDWATCH_REQUEST_TIMEOUT="),
            "{message}"
        );
        assert!(
            !message.contains(&"9".repeat(81)),
            "echoed in full: {message}"
        );
    }
}
