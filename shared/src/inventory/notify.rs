//! A team's `notify:` block: where its alerts go (see README, "Routing alerts").

use serde_yaml_ng::Value;

use std::time::Duration;

use super::bounds::{
    EMAIL_MAX, EMAILS_MAX, GROUP_MIN_MAX, GROUP_WAIT_MAX, REMIND_AFTER, REMIND_AFTER_COUNT_MAX,
    REMIND_MAX_MAX, SECRET_NAME_MAX,
};
use super::model::{Notify, Severity};
use super::report::{At, index};

const NOTIFY_KEYS: [&str; 7] = [
    "email",
    "min_severity",
    "remind_after",
    "remind_max",
    "group_wait",
    "group_min",
    "slack_webhook",
];

/// Why a webhook URL written into the inventory is refused. The value itself is never repeated.
const INLINE_WEBHOOK: &str = "must say where the Slack webhook URL is kept, not be the URL: \
     write { aws_secret: credwatch/slack/TEAM } and store the URL as that Secrets Manager \
     secret (anyone who has the URL can post to the channel). If this file was committed or \
     shared, regenerate the webhook in Slack";

/// The `notify` mapping of a team; `None` (with problems reported) if any part is invalid.
pub(super) fn parse_notify(at: &mut At, value: &Value) -> Option<Notify> {
    let map = at.mapping("notify", value)?;
    let mut notify = Notify::default();
    let mut valid = true;
    for (key, value) in map {
        let Some(key) = at.key("notify", key) else {
            valid = false;
            continue;
        };
        if value.is_null() && NOTIFY_KEYS.contains(&key) {
            continue;
        }
        match key {
            "email" => match parse_emails(at, value) {
                Some(email) => notify.email = email,
                None => valid = false,
            },
            "min_severity" => match at.text("notify.min_severity", value) {
                Some(text) => match Severity::parse(text) {
                    Some(severity) => notify.min_severity = severity,
                    None => {
                        at.error(
                            "notify.min_severity",
                            Some(value),
                            "is not a severity; use critical, high, medium or low (the least severe alert the team receives)",
                        );
                        valid = false;
                    }
                },
                None => valid = false,
            },
            "remind_after" => match parse_remind_after(at, value) {
                Some(intervals) => notify.remind_after = intervals,
                None => valid = false,
            },
            "remind_max" => match at.whole_number("notify.remind_max", value) {
                Some(n @ 1..=REMIND_MAX_MAX) => {
                    notify.remind_max = Some(u32::try_from(n).expect("at most 1000"));
                }
                Some(_) => {
                    at.error(
                        "notify.remind_max",
                        Some(value),
                        format!(
                            "must be a number of reminders from 1 to {REMIND_MAX_MAX} (leave it out for the default cap, 1000)"
                        ),
                    );
                    valid = false;
                }
                None => valid = false,
            },
            "group_wait" => match parse_group_wait(at, value) {
                Some(wait) => notify.group_wait = wait,
                None => valid = false,
            },
            "group_min" => match at.whole_number("notify.group_min", value) {
                Some(n @ 2..=GROUP_MIN_MAX) => {
                    notify.group_min = u32::try_from(n).expect("at most 1000");
                }
                Some(_) => {
                    at.error(
                        "notify.group_min",
                        Some(value),
                        format!(
                            "must be a number of incidents from 2 to {GROUP_MIN_MAX} (2: the second incident of a class within group_wait starts a digest)"
                        ),
                    );
                    valid = false;
                }
                None => valid = false,
            },
            "slack_webhook" => match parse_slack_webhook(at, value) {
                Some(name) => notify.slack_webhook = Some(name),
                None => valid = false,
            },
            other => {
                at.unknown_key("notify", other, &NOTIFY_KEYS);
                valid = false;
            }
        }
    }
    valid.then_some(notify)
}

/// `slack_webhook: { aws_secret: NAME }`: the secret's name. Nothing under `slack_webhook` is
/// ever echoed (it may be the URL itself, pasted by mistake): not a value, not a key.
fn parse_slack_webhook(at: &mut At, value: &Value) -> Option<String> {
    const FIELD: &str = "notify.slack_webhook";
    let Value::Mapping(map) = value else {
        at.error(FIELD, None, INLINE_WEBHOOK);
        return None;
    };
    let mut name = None;
    let mut valid = true;
    for (key, value) in map {
        match key.as_str() {
            Some("aws_secret") => match value.as_str() {
                Some(text) if is_secret_name(text) => name = Some(text.to_string()),
                _ => {
                    at.error(
                        &format!("{FIELD}.aws_secret"),
                        None,
                        format!(
                            "must be the name of a Secrets Manager secret (1 to {SECRET_NAME_MAX} letters, digits and /_+=.@-, not an ARN), e.g. credwatch/slack/crm-ops"
                        ),
                    );
                    valid = false;
                }
            },
            Some("env" | "file") => {
                at.error(
                    FIELD,
                    None,
                    "is read by the deployed slack-notify function, which reads Secrets Manager only: write { aws_secret: NAME }",
                );
                valid = false;
            }
            // Possibly the URL itself (`slack_webhook: {https://hooks...}`): not echoed.
            _ => {
                at.error(FIELD, None, INLINE_WEBHOOK);
                valid = false;
            }
        }
    }
    if name.is_none() && valid {
        at.error(
            FIELD,
            None,
            "needs aws_secret, e.g. { aws_secret: credwatch/slack/crm-ops }",
        );
    }
    name.filter(|_| valid)
}

/// Whether `text` is a Secrets Manager secret name: 1 to [`SECRET_NAME_MAX`] ASCII letters,
/// digits and `/_+=.@-` (Secrets Manager's own rule for names; an ARN has `:` and is refused).
pub fn is_secret_name(text: &str) -> bool {
    (1..=SECRET_NAME_MAX).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b))
}

/// `remind_after`: at most [`REMIND_AFTER_COUNT_MAX`] intervals, each within [`REMIND_AFTER`].
fn parse_remind_after(at: &mut At, value: &Value) -> Option<Vec<Duration>> {
    let items = at.list("notify.remind_after", value)?;
    if items.len() > REMIND_AFTER_COUNT_MAX {
        at.error(
            "notify.remind_after",
            None,
            format!(
                "lists {} intervals; at most {REMIND_AFTER_COUNT_MAX} (the last one repeats)",
                items.len()
            ),
        );
        return None;
    }
    let mut intervals = Vec::new();
    let mut valid = true;
    for (i, item) in items.iter().enumerate() {
        match at.duration_in(
            &index("notify.remind_after", i),
            item,
            REMIND_AFTER,
            " (reminders more often than every minute are noise)",
            "",
        ) {
            Some(interval) => intervals.push(interval),
            None => valid = false,
        }
    }
    valid.then_some(intervals)
}

/// `group_wait`: 0 (`0s`, `0m`...: no grouping) to [`GROUP_WAIT_MAX`]. Durations elsewhere are
/// never zero, so zero is read here.
fn parse_group_wait(at: &mut At, value: &Value) -> Option<Duration> {
    const FIELD: &str = "notify.group_wait";
    let zero = value.as_str().is_some_and(|text| {
        let text = text.trim();
        matches!(text.strip_prefix('0'), Some("s" | "m" | "h" | "d"))
    });
    if zero {
        return Some(Duration::ZERO);
    }
    let wait = at.duration(FIELD, value)?;
    if wait > GROUP_WAIT_MAX {
        at.error(
            FIELD,
            Some(value),
            "must be from 0s (no grouping) to 1h; a longer wait holds back the alerts of an outage too long",
        );
        return None;
    }
    Some(wait)
}

/// The addresses, checked and deduplicated case-insensitively (a repeat is a warning: SNS keeps
/// one subscription per address).
fn parse_emails(at: &mut At, value: &Value) -> Option<Vec<String>> {
    let items = at.list("notify.email", value)?;
    if items.len() > EMAILS_MAX {
        at.error(
            "notify.email",
            None,
            format!(
                "lists {} addresses; at most {EMAILS_MAX} (use a distribution list for more)",
                items.len()
            ),
        );
        return None;
    }
    let mut emails: Vec<String> = Vec::new();
    let mut valid = true;
    for (i, item) in items.iter().enumerate() {
        let field = index("notify.email", i);
        let Some(text) = at.bounded_text(&field, item, EMAIL_MAX) else {
            valid = false;
            continue;
        };
        if !is_email_address(text) {
            at.error(
                &field,
                Some(item),
                "is not an email address; write one plain address such as crm-ops@example.com (no name, no angle brackets)",
            );
            valid = false;
        } else if emails.iter().any(|e| e.eq_ignore_ascii_case(text)) {
            at.warn(
                &field,
                Some(item),
                "is listed twice (addresses are compared ignoring case); the repeat is ignored",
            );
        } else {
            emails.push(text.to_string());
        }
    }
    valid.then_some(emails)
}

/// Whether `text` is one plain email address SNS can deliver to: `local@domain` by RFC 5322's
/// syntax (the `email_address` crate), with no display name, at most [`EMAIL_MAX`] characters,
/// and a domain with at least one dot (`ops@localhost` reaches nobody from AWS).
pub fn is_email_address(text: &str) -> bool {
    let plain = !text
        .chars()
        .any(|c| c.is_whitespace() || c == '<' || c == '>')
        && super::bounds::within(text, EMAIL_MAX);
    plain
        && email_address::EmailAddress::is_valid(text)
        && text
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::is_email_address;
    use crate::inventory::{InvalidInventory, LoadOptions, Loaded, Notify, Severity};

    /// An inventory with a `platform` team and team `crm-ops` whose lines are `team_lines`.
    fn load(team_lines: &str) -> Result<Loaded, InvalidInventory> {
        let yaml = format!(
            "version: 1\nteams:\n  - id: platform\n    name: Platform\n  - id: crm-ops\n    name: CRM Ops\n{team_lines}integrations:\n  - id: a\n    name: A\n    owner: crm-ops\n    severity: high\n    auth_url: http://127.0.0.1:1/\n    client_id: c\n    client_secret: {{ env: S }}\n"
        );
        crate::inventory::parse_inventory_on(
            &yaml,
            &LoadOptions {
                allow_any_endpoint: true,
            },
            chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("a date"),
        )
    }

    fn problems(team_lines: &str) -> Vec<String> {
        match load(team_lines) {
            Ok(_) => panic!("expected problems for\n{team_lines}"),
            Err(invalid) => invalid.problems.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn notify_is_read_with_defaults_and_repeats_dropped_ignoring_case() {
        let loaded = load(
            "    notify:\n      email: [crm-ops@example.com, CRM-Ops@Example.com, oncall@example.org]\n      min_severity: high\n",
        )
        .expect("valid");
        let team = loaded.inventory.team("crm-ops").expect("crm-ops");
        assert_eq!(
            team.notify,
            Notify {
                email: vec!["crm-ops@example.com".into(), "oncall@example.org".into()],
                min_severity: Severity::High,
                ..Notify::default()
            }
        );
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].to_string().contains("listed twice"));
        let absent = load("").expect("valid");
        assert_eq!(absent.inventory.teams[1].notify, Notify::default());
        assert_eq!(Notify::default().min_severity, Severity::Low);
        let only_severity = load("    notify: { min_severity: critical }\n").expect("valid");
        assert_eq!(
            only_severity.inventory.teams[1].notify.min_severity,
            Severity::Critical
        );
    }

    #[test]
    fn every_notify_problem_is_reported_at_once_naming_team_and_field() {
        let found = problems(
            "    notify:\n      email: [not-an-address, ok@example.com, 7]\n      min_severity: urgent\n      slack_webhook: { env: X }\n      remind_after: 1h\n      emial: [x@example.com]\n",
        );
        let expect = [
            "teams[1] (crm-ops): notify.email[0]",
            "teams[1] (crm-ops): notify.email[2]",
            "teams[1] (crm-ops): notify.min_severity",
            "teams[1] (crm-ops): notify.slack_webhook",
            "teams[1] (crm-ops): notify.remind_after",
            "teams[1] (crm-ops): notify.emial",
        ];
        assert_eq!(found.len(), expect.len(), "{found:#?}");
        for (problem, start) in found.iter().zip(expect) {
            assert!(problem.starts_with(start), "{problem} should start {start}");
        }
        assert!(found[3].contains("Secrets Manager only"), "{}", found[3]);
        assert!(
            found[2].contains("critical, high, medium or low"),
            "{}",
            found[2]
        );
        let wrong_shape = problems("    notify: [x@example.com]\n");
        assert!(wrong_shape[0].contains("notify"), "{wrong_shape:?}");
        assert!(found[4].contains("expected a list"), "{}", found[4]);
    }

    #[test]
    fn a_slack_webhook_is_a_secret_name_and_the_url_is_never_echoed() {
        let loaded =
            load("    notify:\n      slack_webhook: { aws_secret: credwatch/slack/crm-ops }\n")
                .expect("valid");
        assert_eq!(
            loaded.inventory.teams[1].notify.slack_webhook.as_deref(),
            Some("credwatch/slack/crm-ops")
        );
        assert_eq!(
            load("").expect("valid").inventory.teams[1]
                .notify
                .slack_webhook,
            None
        );
        let url = "https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/abcdEFGHijklMNOPqrstUVWX";
        // Every way of pasting the URL itself, or a wrong reference, is refused naming the
        // field, without repeating what was written.
        let cases = [
            (format!("slack_webhook: {url}"), "Slack webhook URL is kept"),
            (format!("slack_webhook: {{ {url} }}"), "Slack webhook URL is kept"),
            (format!("slack_webhook: {{ url: {url} }}"), "Slack webhook URL is kept"),
            (format!("slack_webhook: [{url}]"), "Slack webhook URL is kept"),
            (format!("slack_webhook: {{ aws_secret: \"{url}\" }}"), "not an ARN"),
            (
                "slack_webhook: { aws_secret: \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:x\" }"
                    .to_string(),
                "not an ARN",
            ),
            ("slack_webhook: { aws_secret: \"\" }".to_string(), "not an ARN"),
            (format!("slack_webhook: {{ aws_secret: {} }}", "a".repeat(513)), "1 to 512"),
            ("slack_webhook: { file: /etc/hook }".to_string(), "Secrets Manager only"),
            ("slack_webhook: {}".to_string(), "needs aws_secret"),
        ];
        for (line, says) in cases {
            let found = problems(&format!("    notify:\n      {line}\n"));
            assert_eq!(found.len(), 1, "{line}: {found:?}");
            assert!(
                found[0].starts_with("teams[1] (crm-ops): notify.slack_webhook"),
                "{line}: {}",
                found[0]
            );
            assert!(found[0].contains(says), "{line}: {}", found[0]);
            assert!(
                !found[0].contains("hooks.slack.com/services"),
                "{}",
                found[0]
            );
            assert!(!found[0].contains("abcdEFGH"), "{}", found[0]);
        }
    }

    #[test]
    fn secret_names_follow_secrets_managers_rule() {
        for good in [
            "a",
            "credwatch/slack/crm-ops",
            "x_+=.@-/9",
            &"n".repeat(512),
        ] {
            assert!(super::is_secret_name(good), "{good}");
        }
        for bad in ["", "a b", "arn:aws:x", "caf\u{e9}", "a\n", &"n".repeat(513)] {
            assert!(!super::is_secret_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn addresses_are_bounded_in_count_and_length() {
        let many: Vec<String> = (0..=crate::inventory::bounds::EMAILS_MAX)
            .map(|i| format!("a{i}@example.com"))
            .collect();
        let found = problems(&format!("    notify: {{ email: [{}] }}\n", many.join(", ")));
        assert!(found[0].contains("at most 50"), "{found:?}");
        let fifty = &many[..crate::inventory::bounds::EMAILS_MAX];
        assert!(
            load(&format!(
                "    notify: {{ email: [{}] }}\n",
                fifty.join(", ")
            ))
            .is_ok()
        );
        let long = format!("{}@example.com", "a".repeat(250));
        let found = problems(&format!("    notify: {{ email: [{long}] }}\n"));
        assert!(found[0].contains("too long"), "{found:?}");
    }

    #[test]
    fn an_address_of_two_teams_is_refused() {
        let yaml_team = "    notify: { email: [shared@example.com] }\n  - id: web\n    name: Web\n    notify: { email: [Shared@example.com] }\n";
        let found = problems(yaml_team);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("teams[2] (web): notify.email[0]")
                && found[0].contains("already listed by team crm-ops"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn a_missing_platform_team_is_a_warning() {
        let yaml = "version: 1\nteams:\n  - { id: crm-ops, name: CRM, notify: { email: [crm@example.com] } }\nintegrations:\n  - { id: a, name: A, owner: crm-ops, severity: high, auth_url: \"http://127.0.0.1:1/\", client_id: c, client_secret: { env: S } }\n";
        let options = LoadOptions {
            allow_any_endpoint: true,
        };
        let loaded = crate::inventory::parse_inventory(yaml, &options).expect("valid");
        let shown: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(shown[0].contains("no team has id platform"), "{shown:?}");
        assert!(load("").expect("valid").warnings.is_empty());
        let unrouted = yaml.replace(", notify: { email: [crm@example.com] }", "");
        let quiet = crate::inventory::parse_inventory(&unrouted, &options).expect("valid");
        assert!(quiet.warnings.is_empty(), "no routing, no warning");
    }

    #[test]
    fn plain_addresses_pass_and_near_misses_do_not() {
        for good in [
            "crm-ops@example.com",
            "First.Last+alerts@sub.example.co.uk",
            "ops_team@example.io",
        ] {
            assert!(is_email_address(good), "{good}");
        }
        for bad in [
            "",
            "crm-ops",
            "crm-ops@",
            "@example.com",
            "ops@localhost",
            "ops@example.",
            "CRM Ops <crm-ops@example.com>",
            "crm ops@example.com",
            "a@b@example.com",
            "ops@example.com\n",
        ] {
            assert!(!is_email_address(bad), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(!is_email_address(&long), "over 254 characters");
    }
}
