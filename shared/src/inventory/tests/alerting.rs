//! The alert-operations keys: `notify.remind_after|remind_max|group_wait|group_min`, team
//! `escalate_to|after_hours_to|maintenance` and integration `maintenance`.

use std::time::Duration;

use chrono::{NaiveTime, Weekday};

use super::{Case, INT, check_single_problems, parse, problems, warnings, with_integration};
use crate::inventory::{
    DEFAULT_GROUP_MIN, DEFAULT_GROUP_WAIT, MaintenanceWindow, Notify, Severity,
};

const CRM: &str = "teams[0] (crm-ops)";

/// Team `crm-ops` with `lines` (each indented 4 spaces, ending in a newline), then team
/// `platform`, and one integration owned by `crm-ops`.
fn teams(lines: &str) -> String {
    with_integration(&[]).replace(
        "    name: CRM Operations\n",
        &format!("    name: CRM Operations\n{lines}  - id: platform\n    name: Platform\n"),
    )
}

fn team_line(line: &str) -> String {
    teams(&format!("    {line}\n"))
}

fn window(body: &str) -> String {
    team_line(&format!("maintenance: [{{{body}}}]"))
}

fn hours(n: u64) -> Duration {
    Duration::from_secs(n * 3600)
}

#[test]
fn every_alerting_key_is_read() {
    let yaml = teams(
        "    timezone: America/New_York\n    business_hours: { days: [mon, tue, wed, thu, fri], start: \"08:00\", end: \"18:00\" }\n    escalate_after: 30m\n    escalate_to: platform\n    after_hours_to: platform\n    notify:\n      email: [crm-ops@example.com]\n      remind_after: [1h, 4h, 1d]\n      remind_max: 6\n      group_wait: 2m\n      group_min: 3\n    maintenance:\n      - { days: [sun], start: \"02:00\", duration: 3h, timezone: Europe/Berlin }\n      - { start: \"23:30\", duration: 7d }\n",
    )
    .replace(
        "    client_secret: { env: CRM_SYNC_SECRET }\n",
        "    client_secret: { env: CRM_SYNC_SECRET }\n    maintenance: [{ days: [sat, sun], start: \"22:00\", duration: 4h }]\n",
    );
    let loaded = parse(&yaml).unwrap_or_else(|invalid| panic!("{invalid}\n{yaml}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let team = loaded.inventory.team("crm-ops").expect("crm-ops");
    assert_eq!(team.escalate_to.as_deref(), Some("platform"));
    assert_eq!(team.after_hours_to.as_deref(), Some("platform"));
    assert_eq!(
        team.notify,
        Notify {
            email: vec!["crm-ops@example.com".into()],
            min_severity: Severity::Low,
            remind_after: vec![hours(1), hours(4), hours(24)],
            remind_max: Some(6),
            group_wait: Duration::from_secs(120),
            group_min: 3,
            slack_webhook: None,
        }
    );
    let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("a time");
    assert_eq!(
        team.maintenance,
        vec![
            MaintenanceWindow {
                days: vec![Weekday::Sun],
                start: at(2, 0),
                duration: hours(3),
                timezone: Some("Europe/Berlin".into()),
            },
            MaintenanceWindow {
                days: Vec::new(),
                start: at(23, 30),
                duration: hours(7 * 24),
                timezone: None,
            },
        ]
    );
    let integration = &loaded.inventory.integrations[0];
    assert_eq!(
        integration.maintenance,
        vec![MaintenanceWindow {
            days: vec![Weekday::Sat, Weekday::Sun],
            start: at(22, 0),
            duration: hours(4),
            timezone: None,
        }]
    );
}

#[test]
fn absent_alerting_keys_take_their_defaults() {
    let loaded = parse(&teams("    notify: { email: [crm-ops@example.com] }\n")).expect("valid");
    let team = &loaded.inventory.teams[0];
    assert_eq!(team.notify.remind_after, Vec::<Duration>::new());
    assert_eq!(team.notify.remind_max, None);
    assert_eq!(team.notify.group_wait, Duration::from_secs(60));
    assert_eq!(team.notify.group_min, 2);
    assert_eq!(
        (DEFAULT_GROUP_WAIT, DEFAULT_GROUP_MIN),
        (Duration::from_secs(60), 2)
    );
    assert_eq!(
        (team.escalate_to.clone(), team.after_hours_to.clone()),
        (None, None)
    );
    assert!(team.maintenance.is_empty());
    assert!(loaded.inventory.integrations[0].maintenance.is_empty());
    // Written but empty: the same defaults.
    let empty = parse(&teams(
        "    notify: { remind_after: [], remind_max: , group_wait: , group_min: }\n    maintenance: []\n",
    ))
    .expect("valid");
    assert_eq!(empty.inventory.teams[0].notify, Notify::default());
    assert!(empty.inventory.teams[0].maintenance.is_empty());
}

#[test]
fn values_at_their_bounds_are_accepted() {
    let ten = ["1m", "30d", "1m", "1m", "1m", "1m", "1m", "1m", "1m", "30d"].join(", ");
    let cases = [
        (format!("notify: {{ remind_after: [{ten}] }}"), "10 intervals from 1m to 30d"),
        ("notify: { remind_max: 1 }".to_string(), "remind_max 1"),
        ("notify: { remind_max: 1000 }".to_string(), "remind_max 1000"),
        ("notify: { group_wait: 0s }".to_string(), "group_wait 0s"),
        ("notify: { group_wait: 0m }".to_string(), "group_wait 0m"),
        ("notify: { group_wait: 1h }".to_string(), "group_wait 1h"),
        ("notify: { group_wait: 3600s }".to_string(), "group_wait 3600s"),
        ("notify: { group_min: 2 }".to_string(), "group_min 2"),
        ("notify: { group_min: 1000 }".to_string(), "group_min 1000"),
        (
            "maintenance: [{ start: \"00:00\", duration: 1m }]".to_string(),
            "a one-minute window",
        ),
        (
            "maintenance: [{ days: [mon, tue, wed, thu, fri, sat, sun], start: \"23:59\", duration: 7d }]".to_string(),
            "a seven-day window on every day",
        ),
        (
            format!(
                "maintenance: [{}]",
                ["{ start: \"02:00\", duration: 1h }"; 20].join(", ")
            ),
            "20 windows",
        ),
    ];
    for (line, name) in cases {
        let yaml = team_line(&line);
        if let Err(invalid) = parse(&yaml) {
            panic!("{name}: {invalid}");
        }
    }
    let loaded = parse(&team_line("notify: { group_wait: 0s }")).expect("valid");
    assert_eq!(loaded.inventory.teams[0].notify.group_wait, Duration::ZERO);
}

#[test]
fn notify_alerting_rules() {
    let eleven = ["1h"; 11].join(", ");
    let cases: Vec<Case> = vec![
        (
            "interval too short",
            team_line("notify: { remind_after: [59s] }"),
            CRM,
            "notify.remind_after[0]",
            "must be from 1m to 30d",
        ),
        (
            "interval too long",
            team_line("notify: { remind_after: [1h, 31d] }"),
            CRM,
            "notify.remind_after[1]",
            "must be from 1m to 30d",
        ),
        (
            "interval not a duration",
            team_line("notify: { remind_after: [1h, soon] }"),
            CRM,
            "notify.remind_after[1]",
            "unknown unit",
        ),
        (
            "interval without unit",
            team_line("notify: { remind_after: [60] }"),
            CRM,
            "notify.remind_after[0]",
            "has no unit",
        ),
        (
            "too many intervals",
            team_line(&format!("notify: {{ remind_after: [{eleven}] }}")),
            CRM,
            "notify.remind_after",
            "at most 10",
        ),
        (
            "intervals not a list",
            team_line("notify: { remind_after: 1h }"),
            CRM,
            "notify.remind_after",
            "expected a list",
        ),
        (
            "remind_max zero",
            team_line("notify: { remind_max: 0 }"),
            CRM,
            "notify.remind_max",
            "from 1 to 1000",
        ),
        (
            "remind_max too many",
            team_line("notify: { remind_max: 1001 }"),
            CRM,
            "notify.remind_max",
            "from 1 to 1000",
        ),
        (
            "remind_max negative",
            team_line("notify: { remind_max: -1 }"),
            CRM,
            "notify.remind_max",
            "must not be negative",
        ),
        (
            "remind_max text",
            team_line("notify: { remind_max: five }"),
            CRM,
            "notify.remind_max",
            "expected a whole number",
        ),
        (
            "group_wait too long",
            team_line("notify: { group_wait: 61m }"),
            CRM,
            "notify.group_wait",
            "from 0s (no grouping) to 1h",
        ),
        (
            "group_wait without unit",
            team_line("notify: { group_wait: 60 }"),
            CRM,
            "notify.group_wait",
            "has no unit",
        ),
        (
            "group_wait negative",
            team_line("notify: { group_wait: -1m }"),
            CRM,
            "notify.group_wait",
            "not a duration",
        ),
        (
            "group_wait a list",
            team_line("notify: { group_wait: [1m] }"),
            CRM,
            "notify.group_wait",
            "expected a duration",
        ),
        (
            "group_min one",
            team_line("notify: { group_min: 1 }"),
            CRM,
            "notify.group_min",
            "from 2 to 1000",
        ),
        (
            "group_min too many",
            team_line("notify: { group_min: 1001 }"),
            CRM,
            "notify.group_min",
            "from 2 to 1000",
        ),
        (
            "group_min fraction",
            team_line("notify: { group_min: 2.5 }"),
            CRM,
            "notify.group_min",
            "whole number",
        ),
        (
            "unknown notify key",
            team_line("notify: { remind_afer: [1h] }"),
            CRM,
            "notify.remind_afer",
            "allowed here: email, min_severity, remind_after, remind_max, group_wait, group_min, slack_webhook",
        ),
        (
            "slack webhook given inline",
            team_line("notify: { slack_webhook: \"https://hooks.slack.com/services/T1/B1/abc\" }"),
            CRM,
            "notify.slack_webhook",
            "not be the URL",
        ),
    ];
    check_single_problems(cases);
}

#[test]
fn team_reference_rules() {
    let cases: Vec<Case> = vec![
        (
            "escalate_to unknown team",
            teams("    escalate_after: 30m\n    escalate_to: nobody\n"),
            CRM,
            "escalate_to",
            "is not the id of a team under `teams:` (declared teams: crm-ops, platform)",
        ),
        (
            "escalate_to itself",
            teams("    escalate_after: 30m\n    escalate_to: crm-ops\n"),
            CRM,
            "escalate_to",
            "names this team itself",
        ),
        (
            "escalate_to without escalate_after",
            team_line("escalate_to: platform"),
            CRM,
            "escalate_to",
            "escalate_to needs escalate_after: how long an unacknowledged incident waits before it goes to the other team",
        ),
        (
            "escalate_to a number",
            teams("    escalate_after: 30m\n    escalate_to: 7\n"),
            CRM,
            "escalate_to",
            "expected text",
        ),
        (
            "escalate_to blank",
            teams("    escalate_after: 30m\n    escalate_to: \" \"\n"),
            CRM,
            "escalate_to",
            "is blank",
        ),
        (
            "after_hours_to unknown team",
            teams(
                "    business_hours: { days: [mon], start: \"08:00\", end: \"18:00\" }\n    after_hours_to: nobody\n",
            ),
            CRM,
            "after_hours_to",
            "is not the id of a team",
        ),
        (
            "after_hours_to itself",
            teams(
                "    business_hours: { days: [mon], start: \"08:00\", end: \"18:00\" }\n    after_hours_to: crm-ops\n",
            ),
            CRM,
            "after_hours_to",
            "names this team itself",
        ),
        (
            "after_hours_to a list",
            teams(
                "    business_hours: { days: [mon], start: \"08:00\", end: \"18:00\" }\n    after_hours_to: [platform]\n",
            ),
            CRM,
            "after_hours_to",
            "expected text",
        ),
        (
            "unknown team key",
            team_line("escalate_too: platform"),
            CRM,
            "escalate_too",
            "allowed here: id, name, timezone, business_hours, escalate_after, escalate_to, after_hours_to, notify, maintenance",
        ),
    ];
    check_single_problems(cases);
    // An invalid escalate_after is one problem, not also "escalate_to needs escalate_after".
    let found = problems(&teams(
        "    escalate_after: soon\n    escalate_to: platform\n",
    ));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].field, "escalate_after");
    // A team declared later in the file can be named.
    let later = teams("").replace(
        "  - id: platform\n    name: Platform\n",
        "  - id: platform\n    name: Platform\n    escalate_after: 1h\n    escalate_to: crm-ops\n",
    );
    let loaded = parse(&later).expect("valid");
    assert_eq!(
        loaded.inventory.teams[1].escalate_to.as_deref(),
        Some("crm-ops")
    );
}

#[test]
fn after_hours_to_without_business_hours_is_a_warning() {
    let found = warnings(&team_line("after_hours_to: platform"));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        (found[0].location.as_str(), found[0].field.as_str()),
        (CRM, "after_hours_to")
    );
    assert!(
        found[0].message.contains("never after hours"),
        "{}",
        found[0]
    );
    let with_hours = teams(
        "    business_hours: { days: [mon], start: \"08:00\", end: \"18:00\" }\n    after_hours_to: platform\n",
    );
    assert!(warnings(&with_hours).is_empty());
}

#[test]
fn maintenance_rules() {
    let twenty_one = ["{ start: \"02:00\", duration: 1h }"; 21].join(", ");
    let cases: Vec<Case> = vec![
        (
            "not a list",
            team_line("maintenance: { start: \"02:00\", duration: 1h }"),
            CRM,
            "maintenance",
            "expected a list",
        ),
        (
            "too many windows",
            team_line(&format!("maintenance: [{twenty_one}]")),
            CRM,
            "maintenance",
            "at most 20",
        ),
        (
            "window not a mapping",
            team_line("maintenance: [sundays]"),
            CRM,
            "maintenance[0]",
            "expected a mapping",
        ),
        (
            "start missing",
            window("duration: 1h"),
            CRM,
            "maintenance[0].start",
            "is missing",
        ),
        (
            "duration missing",
            window("start: \"02:00\""),
            CRM,
            "maintenance[0].duration",
            "is missing",
        ),
        (
            "start not HH:MM",
            window("start: 2am, duration: 1h"),
            CRM,
            "maintenance[0].start",
            "HH:MM",
        ),
        (
            "start out of range",
            window("start: \"24:00\", duration: 1h"),
            CRM,
            "maintenance[0].start",
            "HH:MM",
        ),
        (
            "start a number",
            window("start: 200, duration: 1h"),
            CRM,
            "maintenance[0].start",
            "HH:MM",
        ),
        (
            "duration too short",
            window("start: \"02:00\", duration: 59s"),
            CRM,
            "maintenance[0].duration",
            "must be from 1m to 7d",
        ),
        (
            "duration too long",
            window("start: \"02:00\", duration: 8d"),
            CRM,
            "maintenance[0].duration",
            "use a silence",
        ),
        (
            "duration without unit",
            window("start: \"02:00\", duration: 3"),
            CRM,
            "maintenance[0].duration",
            "has no unit",
        ),
        (
            "day twice",
            window("days: [sun, sun], start: \"02:00\", duration: 1h"),
            CRM,
            "maintenance[0].days[1]",
            "listed twice",
        ),
        (
            "not a day",
            window("days: [sunday], start: \"02:00\", duration: 1h"),
            CRM,
            "maintenance[0].days[0]",
            "is not a day",
        ),
        (
            "days not a list",
            window("days: sun, start: \"02:00\", duration: 1h"),
            CRM,
            "maintenance[0].days",
            "expected a list",
        ),
        (
            "more than a week of days",
            window(
                "days: [mon, tue, wed, thu, fri, sat, sun, mon], start: \"02:00\", duration: 1h",
            ),
            CRM,
            "maintenance[0].days",
            "a week has 7",
        ),
        (
            "unknown time zone",
            window("start: \"02:00\", duration: 1h, timezone: Mars/Olympus"),
            CRM,
            "maintenance[0].timezone",
            "IANA name",
        ),
        (
            "unknown window key",
            window("start: \"02:00\", duration: 1h, end: \"04:00\""),
            CRM,
            "maintenance[0].end",
            "allowed here: days, start, duration, timezone",
        ),
        (
            "second window wrong",
            team_line(
                "maintenance: [{ start: \"02:00\", duration: 1h }, { start: \"02:00\", duration: 0s }]",
            ),
            CRM,
            "maintenance[1].duration",
            "is zero",
        ),
        (
            "integration window",
            with_integration(&[("maintenance", Some("[{ start: \"02:00\", duration: 8d }]"))]),
            INT,
            "maintenance[0].duration",
            "must be from 1m to 7d",
        ),
        (
            "integration window unknown key",
            with_integration(&[(
                "maintenance",
                Some("[{ start: \"02:00\", duration: 1h, tz: UTC }]"),
            )]),
            INT,
            "maintenance[0].tz",
            "unknown key",
        ),
    ];
    check_single_problems(cases);
    // Every problem of one window is reported at once.
    let found = problems(&window(
        "days: [funday], start: noon, duration: 1y, colour: red",
    ));
    let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "maintenance[0].days[0]",
            "maintenance[0].start",
            "maintenance[0].duration",
            "maintenance[0].colour"
        ]
    );
}
