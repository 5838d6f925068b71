//! Table-driven tests of the inventory contract (DESIGN.md, "Inventory file").

use std::path::Path;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, Weekday};

use super::*;
use crate::secrets::SecretSource;

mod alerting;
mod ingest;

/// The example from DESIGN.md, verbatim.
const DESIGN_EXAMPLE: &str = r#"version: 1
defaults:                       # all optional
  probe_every: 15m
  recheck_every: 2m             # cadence while a check is failing
  expiry_warn_days: [30, 14, 7, 3, 1]
  secret_lifetime_days: 180
teams:
  - id: crm-ops
    name: CRM Operations
    timezone: America/New_York
    business_hours: { days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00" }
    escalate_after: 30m         # unacknowledged firing incident -> escalated
integrations:
  - id: crm-contact-sync        # [a-z0-9][a-z0-9-]{0,63}, unique
    name: CRM contact sync
    owner: crm-ops              # a team id
    severity: critical          # critical | high | medium | low
    auth_url: https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/   # "Authentication Base URI" from Installed Packages
    client_id: 0m0het6mqknzv0uebqlvoo41
    client_secret: { env: CRM_SYNC_SECRET }   # or { file: path } or { aws_secret: arn-or-name, key: client_secret }
    account_id: 7281698         # MID of the business unit, optional (sent as a JSON number)
    expected_scopes: [data_extensions_read, data_extensions_write]
    secret_rotated_at: 2026-06-01   # or secret_expires_at: 2026-11-28 (explicit wins)
    depends_on: ["Welcome journey enrollment", "Nightly preference sync"]
    records_per_hour: 7500      # optional, for impact estimates
    runbook: https://wiki.example.com/sfmc/crm-sync
    probe_every: 15m            # optional override
"#;

const AUTH_URL: &str = "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/";
const STRICT: LoadOptions = LoadOptions {
    allow_any_endpoint: false,
};
const ANY_ENDPOINT: LoadOptions = LoadOptions {
    allow_any_endpoint: true,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn parse(yaml: &str) -> Result<Loaded, InvalidInventory> {
    parse_inventory_on(yaml, &STRICT, today())
}

fn problems(yaml: &str) -> Vec<Problem> {
    match parse(yaml) {
        Ok(loaded) => panic!("expected problems, got a valid inventory: {loaded:#?}\n{yaml}"),
        Err(invalid) => invalid.problems,
    }
}

fn warnings(yaml: &str) -> Vec<Problem> {
    match parse(yaml) {
        Ok(loaded) => loaded.warnings,
        Err(invalid) => panic!("expected a valid inventory: {invalid}\n{yaml}"),
    }
}

/// A valid one-team, one-integration inventory with some integration keys replaced
/// (`Some(value)`, written in place or appended) or removed (`None`).
fn with_integration(changes: &[(&str, Option<&str>)]) -> String {
    let mut fields: Vec<(String, String)> = [
        ("id", "crm-contact-sync"),
        ("name", "CRM contact sync"),
        ("owner", "crm-ops"),
        ("severity", "critical"),
        ("auth_url", AUTH_URL),
        ("client_id", "0m0het6mqknzv0uebqlvoo41"),
        ("client_secret", "{ env: CRM_SYNC_SECRET }"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (key, change) in changes {
        let position = fields.iter().position(|(k, _)| k == key);
        match (position, change) {
            (Some(i), Some(value)) => fields[i].1 = value.to_string(),
            (Some(i), None) => {
                fields.remove(i);
            }
            (None, Some(value)) => fields.push((key.to_string(), value.to_string())),
            (None, None) => panic!("nothing to remove: {key}"),
        }
    }
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!(
        "version: 1\nteams:\n  - id: crm-ops\n    name: CRM Operations\nintegrations:\n  - {}\n",
        body.join("\n    ")
    )
}

/// A valid inventory plus a `defaults:` section.
fn with_defaults(defaults: &str) -> String {
    format!("defaults:\n  {defaults}\n{}", with_integration(&[]))
}

/// A valid inventory whose team has these extra lines (replacing none).
fn with_team(lines: &str) -> String {
    with_integration(&[]).replace(
        "    name: CRM Operations\n",
        &format!("    name: CRM Operations\n    {lines}\n"),
    )
}

#[test]
fn the_design_example_parses_with_every_field() {
    let loaded = parse(DESIGN_EXAMPLE).unwrap();
    assert_eq!(loaded.warnings, vec![]);
    let inventory = loaded.inventory;
    assert_eq!(inventory.version, 1);
    assert_eq!(inventory.defaults, Defaults::default());

    let team = inventory.team("crm-ops").unwrap();
    assert_eq!(
        team,
        &Team {
            id: "crm-ops".into(),
            name: "CRM Operations".into(),
            timezone: Some("America/New_York".into()),
            business_hours: Some(BusinessHours {
                days: vec![
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri
                ],
                start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            }),
            escalate_after: Some(Duration::from_secs(30 * 60)),
            escalate_to: None,
            after_hours_to: None,
            notify: Notify::default(),
            maintenance: Vec::new(),
        }
    );

    assert_eq!(inventory.integrations.len(), 1);
    let integration = inventory.integration("crm-contact-sync").unwrap();
    assert_eq!(
        integration,
        &Integration {
            id: "crm-contact-sync".into(),
            name: "CRM contact sync".into(),
            owner: "crm-ops".into(),
            severity: Severity::Critical,
            auth_url: url::Url::parse(AUTH_URL).unwrap(),
            client_id: "0m0het6mqknzv0uebqlvoo41".into(),
            client_secret: SecretSource::Env("CRM_SYNC_SECRET".into()),
            account_id: Some(7281698),
            expected_scopes: vec![
                "data_extensions_read".into(),
                "data_extensions_write".into()
            ],
            secret_rotated_at: Some(date(2026, 6, 1)),
            secret_expires_at: None,
            depends_on: vec![
                "Welcome journey enrollment".into(),
                "Nightly preference sync".into()
            ],
            records_per_hour: Some(7500),
            runbook: Some("https://wiki.example.com/sfmc/crm-sync".into()),
            probe_every: Duration::from_secs(15 * 60),
            recheck_every: Duration::from_secs(2 * 60),
            expiry_warn_days: vec![30, 14, 7, 3, 1],
            secret_lifetime_days: 180,
            maintenance: Vec::new(),
            ingest: Default::default(),
        }
    );
    assert_eq!(integration.auth_url.as_str(), AUTH_URL);
}

#[test]
fn defaults_fill_integrations_and_overrides_win() {
    let yaml = format!(
        "defaults:\n  probe_every: 30m\n  expiry_warn_days: [7, 60, 14]\n  secret_lifetime_days: 90\n{}",
        with_integration(&[
            ("recheck_every", Some("5m")),
            ("expiry_warn_days", Some("[1, 3]"))
        ])
    );
    let inventory = parse(&yaml).unwrap().inventory;
    assert_eq!(
        inventory.defaults.expiry_warn_days,
        vec![60, 14, 7],
        "sorted, largest first"
    );
    assert_eq!(inventory.defaults.recheck_every, Duration::from_secs(120));
    let integration = &inventory.integrations[0];
    assert_eq!(integration.probe_every, Duration::from_secs(30 * 60));
    assert_eq!(integration.recheck_every, Duration::from_secs(5 * 60));
    assert_eq!(integration.expiry_warn_days, vec![3, 1]);
    assert_eq!(integration.secret_lifetime_days, 90);
}

#[test]
fn a_minimal_inventory_gets_every_default() {
    let inventory = parse(&with_integration(&[])).unwrap().inventory;
    let integration = &inventory.integrations[0];
    let defaults = Defaults::default();
    assert_eq!(integration.probe_every, defaults.probe_every);
    assert_eq!(integration.recheck_every, defaults.recheck_every);
    assert_eq!(integration.expiry_warn_days, defaults.expiry_warn_days);
    assert_eq!(
        integration.secret_lifetime_days,
        defaults.secret_lifetime_days
    );
    assert_eq!(integration.account_id, None);
    assert!(integration.expected_scopes.is_empty() && integration.depends_on.is_empty());
    assert_eq!(inventory.teams[0].timezone, None);
}

#[test]
fn secret_sources() {
    for (written, expected) in [
        (
            "{ env: CRM_SYNC_SECRET }",
            SecretSource::Env("CRM_SYNC_SECRET".into()),
        ),
        (
            "{ file: /run/secrets/crm }",
            SecretSource::File("/run/secrets/crm".into()),
        ),
        (
            "{ aws_secret: prod/sfmc/crm }",
            SecretSource::AwsSecret {
                id: "prod/sfmc/crm".into(),
                key: None,
            },
        ),
        (
            "{ aws_secret: prod/sfmc/crm, key: client_secret }",
            SecretSource::AwsSecret {
                id: "prod/sfmc/crm".into(),
                key: Some("client_secret".into()),
            },
        ),
    ] {
        let yaml = with_integration(&[("client_secret", Some(written))]);
        let inventory = parse(&yaml).unwrap().inventory;
        assert_eq!(
            inventory.integrations[0].client_secret, expected,
            "{written}"
        );
    }
}

/// (what is wrong, the file, location, field, a key part of the message)
type Case = (
    &'static str,
    String,
    &'static str,
    &'static str,
    &'static str,
);

fn check_single_problems(cases: Vec<Case>) {
    for (name, yaml, location, field, message) in cases {
        let found = problems(&yaml);
        assert_eq!(
            found.len(),
            1,
            "{name}: expected one problem, got {found:#?}\n{yaml}"
        );
        let problem = &found[0];
        assert_eq!(
            (problem.location.as_str(), problem.field.as_str()),
            (location, field),
            "{name}: {problem}"
        );
        assert!(problem.message.contains(message), "{name}: {problem}");
    }
}

const INT: &str = "integrations[0] (crm-contact-sync)";

#[test]
fn top_level_rules() {
    let valid = with_integration(&[]);
    check_single_problems(vec![
        (
            "empty file",
            String::new(),
            "inventory",
            "",
            "the file is empty",
        ),
        (
            "not a mapping",
            "- a\n- b\n".into(),
            "inventory",
            "",
            "expected a mapping",
        ),
        (
            "version missing",
            valid.replace("version: 1\n", ""),
            "inventory",
            "version",
            "is missing; start the file with `version: 1`",
        ),
        (
            "version 2",
            valid.replace("version: 1", "version: 2"),
            "inventory",
            "version",
            "version 1 only",
        ),
        (
            "version as text",
            valid.replace("version: 1", "version: one"),
            "inventory",
            "version",
            "expected the number 1, found text",
        ),
        (
            "unknown top-level key",
            format!("{valid}owners: []\n"),
            "inventory",
            "owners",
            "unknown key \"owners\"",
        ),
        (
            "key that is not text",
            format!("{valid}1: x\n"),
            "inventory",
            "",
            "a key must be a name (text), found a number",
        ),
        (
            "integrations missing",
            "version: 1\n".into(),
            "inventory",
            "integrations",
            "is missing",
        ),
        (
            "integrations not a list",
            "version: 1\nintegrations: { id: x }\n".into(),
            "inventory",
            "integrations",
            "expected a list, found a mapping",
        ),
        (
            "teams not a list",
            valid.replace(
                "teams:\n  - id: crm-ops\n    name: CRM Operations\n",
                "teams: crm-ops\n",
            ),
            "inventory",
            "teams",
            "expected a list, found text",
        ),
        (
            "defaults not a mapping",
            format!("defaults: [15m]\n{valid}"),
            "defaults",
            "",
            "expected a mapping",
        ),
    ]);
}

#[test]
fn a_yaml_syntax_error_is_one_problem_with_its_position() {
    let found = problems("version: 1\nintegrations:\n  - id: [unclosed\n");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        (found[0].location.as_str(), found[0].field.as_str()),
        ("inventory", "")
    );
    assert!(found[0].message.contains("not valid YAML"), "{}", found[0]);
    assert!(found[0].message.contains("line 4"), "{}", found[0]);

    let found = problems("version: 1\nversion: 1\nintegrations: []\n");
    assert!(found[0].message.contains("duplicate entry"), "{}", found[0]);
    assert!(found[0].message.contains("line "), "{}", found[0]);
}

#[test]
fn defaults_rules() {
    check_single_problems(vec![
        (
            "probe_every too fast",
            with_defaults("probe_every: 30s"),
            "defaults",
            "probe_every",
            "from 1m to 7d (SFMC asks",
        ),
        (
            "probe_every no unit",
            with_defaults("probe_every: 15"),
            "defaults",
            "probe_every",
            "has no unit",
        ),
        (
            "probe_every not a duration",
            with_defaults("probe_every: often"),
            "defaults",
            "probe_every",
            "e.g. 15m",
        ),
        (
            "recheck_every too fast",
            with_defaults("recheck_every: 10s"),
            "defaults",
            "recheck_every",
            "from 30s to 1d",
        ),
        (
            "expiry_warn_days empty",
            with_defaults("expiry_warn_days: []"),
            "defaults",
            "expiry_warn_days",
            "at least one",
        ),
        (
            "expiry_warn_days not a list",
            with_defaults("expiry_warn_days: 30"),
            "defaults",
            "expiry_warn_days",
            "expected a list, found a number",
        ),
        (
            "expiry_warn_days zero",
            with_defaults("expiry_warn_days: [30, 0]"),
            "defaults",
            "expiry_warn_days[1]",
            "from 1 to 365",
        ),
        (
            "expiry_warn_days too far",
            with_defaults("expiry_warn_days: [400]"),
            "defaults",
            "expiry_warn_days[0]",
            "from 1 to 365",
        ),
        (
            "expiry_warn_days negative",
            with_defaults("expiry_warn_days: [-7]"),
            "defaults",
            "expiry_warn_days[0]",
            "must not be negative",
        ),
        (
            "expiry_warn_days twice",
            with_defaults("expiry_warn_days: [7, 3, 7]"),
            "defaults",
            "expiry_warn_days[2]",
            "listed twice",
        ),
        (
            "secret_lifetime_days zero",
            with_defaults("secret_lifetime_days: 0"),
            "defaults",
            "secret_lifetime_days",
            "from 1 to 3650",
        ),
        (
            "secret_lifetime_days too long",
            with_defaults("secret_lifetime_days: 3651"),
            "defaults",
            "secret_lifetime_days",
            "from 1 to 3650",
        ),
        (
            "secret_lifetime_days as text",
            with_defaults("secret_lifetime_days: 180 days"),
            "defaults",
            "secret_lifetime_days",
            "expected a whole number, found text",
        ),
        (
            "unknown defaults key",
            with_defaults("timeout: 5s"),
            "defaults",
            "timeout",
            "unknown key",
        ),
    ]);
}

#[test]
fn team_rules() {
    let second_team = with_integration(&[]).replace(
        "    name: CRM Operations\n",
        "    name: CRM Operations\n  - id: crm-ops\n    name: Again\n",
    );
    check_single_problems(vec![
        (
            "bad id",
            with_integration(&[]).replace(
                "    name: CRM Operations\n",
                "    name: CRM Operations\n  - id: Web Ops\n    name: Web\n",
            ),
            "teams[1]",
            "id",
            "lowercase letters, digits and dashes, starting with a letter or digit, e.g. crm-ops",
        ),
        (
            "duplicate id",
            second_team,
            "teams[1] (crm-ops)",
            "id",
            "already the id of teams[0]",
        ),
        (
            "name missing",
            with_integration(&[]).replace("    name: CRM Operations\n", ""),
            "teams[0] (crm-ops)",
            "name",
            "is missing",
        ),
        (
            "bad timezone",
            with_team("timezone: Eastern"),
            "teams[0] (crm-ops)",
            "timezone",
            "IANA",
        ),
        (
            "no days",
            with_team(r#"business_hours: { days: [], start: "08:00", end: "18:00" }"#),
            "teams[0] (crm-ops)",
            "business_hours.days",
            "at least one day",
        ),
        (
            "day twice",
            with_team(r#"business_hours: { days: [mon, tue, mon], start: "08:00", end: "18:00" }"#),
            "teams[0] (crm-ops)",
            "business_hours.days[2]",
            "listed twice",
        ),
        (
            "not a day",
            with_team(r#"business_hours: { days: [monday], start: "08:00", end: "18:00" }"#),
            "teams[0] (crm-ops)",
            "business_hours.days[0]",
            "mon, tue, wed",
        ),
        (
            "one-digit hour",
            with_team(r#"business_hours: { days: [mon], start: "8:00", end: "18:00" }"#),
            "teams[0] (crm-ops)",
            "business_hours.start",
            "HH:MM",
        ),
        (
            "hour 25",
            with_team(r#"business_hours: { days: [mon], start: "08:00", end: "25:00" }"#),
            "teams[0] (crm-ops)",
            "business_hours.end",
            "24-hour",
        ),
        (
            "time as a number",
            with_team(r#"business_hours: { days: [mon], start: 800, end: "18:00" }"#),
            "teams[0] (crm-ops)",
            "business_hours.start",
            "in quotes",
        ),
        (
            "end before start",
            with_team(r#"business_hours: { days: [mon], start: "18:00", end: "08:00" }"#),
            "teams[0] (crm-ops)",
            "business_hours.end",
            "later than start (18:00)",
        ),
        (
            "end missing",
            with_team(r#"business_hours: { days: [mon], start: "08:00" }"#),
            "teams[0] (crm-ops)",
            "business_hours.end",
            "is missing",
        ),
        (
            "unknown business_hours key",
            with_team(r#"business_hours: { days: [mon], start: "08:00", end: "18:00", tz: UTC }"#),
            "teams[0] (crm-ops)",
            "business_hours.tz",
            "unknown key",
        ),
        (
            "bad escalate_after",
            with_team("escalate_after: soon"),
            "teams[0] (crm-ops)",
            "escalate_after",
            "e.g. 15m",
        ),
        (
            "unknown team key",
            with_team("email: a@b.c"),
            "teams[0] (crm-ops)",
            "email",
            "unknown key \"email\"",
        ),
    ]);
}

#[test]
fn integration_identity_rules() {
    // The same entry twice.
    let one = with_integration(&[]);
    let two = format!("{one}{}", one.split_once("integrations:\n").unwrap().1);
    check_single_problems(vec![
        (
            "entry not a mapping",
            "version: 1\nintegrations:\n  - crm-sync\n".into(),
            "integrations[0]",
            "",
            "expected a mapping",
        ),
        (
            "id missing",
            with_integration(&[("id", None)]),
            "integrations[0]",
            "id",
            "is missing",
        ),
        (
            "id with capitals",
            with_integration(&[("id", Some("CRM_Sync"))]),
            "integrations[0]",
            "id",
            "lowercase",
        ),
        (
            "id too long",
            with_integration(&[("id", Some(&"a".repeat(65)))]),
            "integrations[0]",
            "id",
            "1 to 64",
        ),
        (
            "id starting with a dash",
            with_integration(&[("id", Some("-x"))]),
            "integrations[0]",
            "id",
            "starting with",
        ),
        (
            "duplicate id",
            two,
            "integrations[1] (crm-contact-sync)",
            "id",
            "already the id of integrations[0]",
        ),
        (
            "name missing",
            with_integration(&[("name", None)]),
            INT,
            "name",
            "is missing",
        ),
        (
            "name blank",
            with_integration(&[("name", Some("''"))]),
            INT,
            "name",
            "is blank",
        ),
        (
            "owner missing",
            with_integration(&[("owner", None)]),
            INT,
            "owner",
            "declared teams: crm-ops",
        ),
        (
            "owner unknown",
            with_integration(&[("owner", Some("web-ops"))]),
            INT,
            "owner",
            "declared teams: crm-ops",
        ),
        (
            "severity missing",
            with_integration(&[("severity", None)]),
            INT,
            "severity",
            "critical, high, medium, low",
        ),
        (
            "severity unknown",
            with_integration(&[("severity", Some("urgent"))]),
            INT,
            "severity",
            "critical, high, medium, low",
        ),
        (
            "unknown key",
            with_integration(&[("team", Some("crm-ops"))]),
            INT,
            "team",
            "unknown key \"team\"",
        ),
    ]);
}

#[test]
fn owner_with_no_teams_says_to_declare_one() {
    let yaml =
        with_integration(&[]).replace("teams:\n  - id: crm-ops\n    name: CRM Operations\n", "");
    let found = problems(&yaml);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].message.contains("no teams are declared"),
        "{}",
        found[0]
    );
}

#[test]
fn auth_url_rules() {
    check_single_problems(vec![
        (
            "missing",
            with_integration(&[("auth_url", None)]),
            INT,
            "auth_url",
            "Authentication Base URI",
        ),
        (
            "not a URL",
            with_integration(&[("auth_url", Some("mc563885"))]),
            INT,
            "auth_url",
            "is not a valid URL",
        ),
        (
            "short subdomain",
            with_integration(&[(
                "auth_url",
                Some("https://mc123.auth.marketingcloudapis.com/"),
            )]),
            INT,
            "auth_url",
            "has a subdomain (mc123) that is not the 28 letters",
        ),
        (
            "a simulator without the opt-in",
            with_integration(&[("auth_url", Some("http://127.0.0.1:8080/"))]),
            INT,
            "auth_url",
            "CREDWATCH_ALLOW_ANY_ENDPOINT=1",
        ),
    ]);

    // The exact text marketing-ops people see.
    let found = problems(&with_integration(&[("auth_url", Some("http://x"))]));
    assert_eq!(
        found[0].to_string(),
        "integrations[0] (crm-contact-sync): auth_url = \"http://x\": must be an SFMC Authentication \
         Base URI like https://<28 characters>.auth.marketingcloudapis.com/ (set \
         CREDWATCH_ALLOW_ANY_ENDPOINT=1 to allow other endpoints)"
    );
}

/// Every way of writing the Authentication Base URI that is only a matter of form is accepted
/// and normalised: a missing trailing slash, capitals, surrounding spaces, the default port.
#[test]
fn harmless_forms_of_the_auth_url_are_accepted_and_normalised() {
    let base = AUTH_URL.trim_end_matches('/');
    for written in [
        AUTH_URL.to_string(),
        base.to_string(),
        AUTH_URL.to_uppercase().replace("HTTPS://", "https://"),
        AUTH_URL.to_uppercase(),
        base.to_uppercase(),
        format!("\"  {AUTH_URL}  \""),
        AUTH_URL.replace(".com/", ".com:443/"),
    ] {
        for options in [STRICT, ANY_ENDPOINT] {
            let yaml = with_integration(&[("auth_url", Some(&written))]);
            let loaded = parse_inventory_on(&yaml, &options, today())
                .unwrap_or_else(|invalid| panic!("{written}: {invalid}"));
            assert_eq!(
                loaded.inventory.integrations[0].auth_url.as_str(),
                AUTH_URL,
                "{written}"
            );
            assert_eq!(loaded.warnings, vec![], "{written}");
        }
    }
}

/// Each SFMC address that is not the Authentication Base URI gets the exact fix, with the
/// tenant's subdomain when it can be recovered, in one capped line, whatever the options, and
/// never a suggestion to turn the host check off.
#[test]
fn near_miss_auth_urls_get_the_exact_fix() {
    const SUB: &str = "mc563885gzs27c5t9-63k636ttgm";
    let fix = format!(
        "use the Authentication Base URI from Setup > Apps > Installed Packages > API Integration, \
         https://{SUB}.auth.marketingcloudapis.com/"
    );
    let fix_unknown = "use the Authentication Base URI from Setup > Apps > Installed Packages > \
                       API Integration, https://<subdomain>.auth.marketingcloudapis.com/";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("https://{SUB}.rest.marketingcloudapis.com/"),
            "is the REST Base URI, not the Authentication Base URI",
            &fix,
        ),
        (
            format!("https://{SUB}.rest.marketingcloudapis.com"),
            "is the REST Base URI, not the Authentication Base URI",
            &fix,
        ),
        (
            format!("https://{SUB}.soap.marketingcloudapis.com/Service.asmx"),
            "is the SOAP Base URI, not the Authentication Base URI",
            &fix,
        ),
        (
            format!("https://{SUB}.REST.marketingcloudapis.com/"),
            "is the REST Base URI, not the Authentication Base URI",
            &fix,
        ),
        (format!("{AUTH_URL}v2/token"), "ends with /v2/token", &fix),
        (format!("{AUTH_URL}V2/Token/"), "ends with /v2/token", &fix),
        (
            format!("{AUTH_URL}v1/requestToken"),
            "has more than the Authentication Base URI",
            &fix,
        ),
        (
            format!("{AUTH_URL}?x=1"),
            "has more than the Authentication Base URI",
            &fix,
        ),
        (
            AUTH_URL.replace("https", "http"),
            "must start with https://",
            &fix,
        ),
        (
            AUTH_URL.replace("https://", ""),
            "is missing https://",
            &fix,
        ),
        (
            format!("https://{SUB}.res.marketingcloudapis.com/"),
            "looks like a mistyped SFMC address",
            &fix,
        ),
        (
            format!("https://{SUB}.auth.marketingcloudapi.com/"),
            "looks like a mistyped SFMC address",
            &fix,
        ),
        (
            format!("https://{SUB}.auth.marketingcloudapis.co/"),
            "looks like a mistyped SFMC address",
            &fix,
        ),
        (
            format!("https://{SUB}.auth.marketingcloudapis.com.evil.example/"),
            "looks like a mistyped SFMC address",
            &fix,
        ),
        (
            format!("https://{SUB}.auht.marketingcloudapis.com/"),
            "looks like a mistyped SFMC address",
            &fix,
        ),
        (
            format!("https://{SUB}.content.marketingcloudapis.com/"),
            "is an SFMC address but not the Authentication Base URI",
            &fix,
        ),
        (
            format!("https://{SUB}-auth.marketingcloudapis.com/"),
            "is an SFMC address but not the Authentication Base URI",
            fix_unknown,
        ),
        (
            "https://auth.exacttargetapis.com/v1/requestToken".into(),
            "is a retired ExactTarget address",
            fix_unknown,
        ),
        (
            "https://auth-s7.exacttargetapis.com/".into(),
            "is a retired ExactTarget address",
            fix_unknown,
        ),
        (
            "https://webservice.s7.exacttarget.com/Service.asmx".into(),
            "is a retired ExactTarget address",
            fix_unknown,
        ),
        (
            "https://auth.marketingcloudapis.com/".into(),
            "has no tenant subdomain",
            fix_unknown,
        ),
    ];
    for (written, problem, fix) in cases {
        for options in [STRICT, ANY_ENDPOINT] {
            let yaml = with_integration(&[("auth_url", Some(&written))]);
            let invalid = parse_inventory_on(&yaml, &options, today()).expect_err(&written);
            assert_eq!(invalid.problems.len(), 1, "{written}: {invalid}");
            let found = &invalid.problems[0];
            assert_eq!(found.field, "auth_url");
            assert!(
                found.message.starts_with(problem) && found.message.ends_with(&format!("; {fix}")),
                "{written}: {}",
                found.message
            );
            let line = found.to_string();
            assert!(
                !line.contains('\n') && !line.contains("ALLOW_ANY"),
                "{line}"
            );
        }
    }
}

#[test]
fn a_long_auth_url_is_echoed_capped() {
    let written = format!("https://{}.example.com/", "a".repeat(5000));
    let found = problems(&with_integration(&[("auth_url", Some(&written))]));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].to_string().chars().count() < 400, "{}", found[0]);
}

#[test]
fn allow_any_endpoint_accepts_a_local_simulator_and_adds_the_slash() {
    for (written, expected) in [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
        (
            "https://proxy.example.com/sfmc",
            "https://proxy.example.com/sfmc/",
        ),
        (AUTH_URL, AUTH_URL),
        // Named like SFMC without being an SFMC address: a proxy, not a typo.
        (
            "https://marketingcloud-proxy.corp.example/",
            "https://marketingcloud-proxy.corp.example/",
        ),
    ] {
        let yaml = with_integration(&[("auth_url", Some(written))]);
        let loaded = parse_inventory_on(&yaml, &ANY_ENDPOINT, today()).unwrap();
        assert_eq!(loaded.inventory.integrations[0].auth_url.as_str(), expected);
        assert_eq!(loaded.warnings, vec![]);
    }
    for (written, message) in [
        ("ftp://127.0.0.1/", "https:// or http://"),
        ("http://127.0.0.1:8080/?x=1", "without ?query"),
        ("http://user:pw@127.0.0.1:8080/", "password"),
    ] {
        let yaml = with_integration(&[("auth_url", Some(written))]);
        let invalid = parse_inventory_on(&yaml, &ANY_ENDPOINT, today()).unwrap_err();
        assert_eq!(invalid.problems.len(), 1, "{invalid}");
        assert!(invalid.problems[0].message.contains(message), "{invalid}");
    }
    let yaml = with_integration(&[("auth_url", Some("http://user:pw@127.0.0.1:8080/"))]);
    for options in [ANY_ENDPOINT, STRICT] {
        let invalid = parse_inventory_on(&yaml, &options, today()).unwrap_err();
        let shown = format!("{invalid} {invalid:?}");
        assert!(!shown.contains("pw@"), "the password is echoed: {shown}");
    }
}

#[test]
fn client_rules() {
    check_single_problems(vec![
        (
            "client_id missing",
            with_integration(&[("client_id", None)]),
            INT,
            "client_id",
            "Client Id",
        ),
        (
            "client_id with a space",
            with_integration(&[("client_id", Some("'abc def'"))]),
            INT,
            "client_id",
            "spaces",
        ),
        (
            "client_id as a number",
            with_integration(&[("client_id", Some("12345"))]),
            INT,
            "client_id",
            "expected text, found a number; put it in quotes",
        ),
        (
            "client_secret missing",
            with_integration(&[("client_secret", None)]),
            INT,
            "client_secret",
            "{ env: CRM_SYNC_SECRET }",
        ),
        (
            "client_secret as the secret",
            with_integration(&[("client_secret", Some("Zx9TopSecret"))]),
            INT,
            "client_secret",
            "never put a client secret in the inventory",
        ),
        (
            "client_secret as a numeric secret in braces",
            with_integration(&[("client_secret", Some("{123456789}"))]),
            INT,
            "client_secret",
            "never put a client secret in the inventory",
        ),
        (
            "client_secret as the secret in braces",
            with_integration(&[("client_secret", Some("{Zx9TopSecret}"))]),
            INT,
            "client_secret",
            "never put a client secret in the inventory",
        ),
        (
            "client_secret empty",
            with_integration(&[("client_secret", Some("{}"))]),
            INT,
            "client_secret",
            "needs one of env, file or aws_secret",
        ),
        (
            "client_secret with two sources",
            with_integration(&[("client_secret", Some("{ env: A, file: /b }"))]),
            INT,
            "client_secret",
            "only one of env, file or aws_secret (found env and file)",
        ),
        (
            "client_secret env not a name",
            with_integration(&[("client_secret", Some("{ env: 1-SECRET }"))]),
            INT,
            "client_secret.env",
            "environment variable",
        ),
        (
            "client_secret file blank",
            with_integration(&[("client_secret", Some("{ file: '' }"))]),
            INT,
            "client_secret.file",
            "blank",
        ),
        (
            "client_secret aws_secret blank",
            with_integration(&[("client_secret", Some("{ aws_secret: ' ' }"))]),
            INT,
            "client_secret.aws_secret",
            "blank",
        ),
        (
            "client_secret key without aws_secret",
            with_integration(&[("client_secret", Some("{ env: A, key: client_secret }"))]),
            INT,
            "client_secret.key",
            "only used with aws_secret",
        ),
        (
            "client_secret unknown key",
            with_integration(&[("client_secret", Some("{ vault: x }"))]),
            INT,
            "client_secret.vault",
            "unknown key \"vault\"",
        ),
        (
            "client_secret a list",
            with_integration(&[("client_secret", Some("[CRM_SYNC_SECRET]"))]),
            INT,
            "client_secret",
            "expected a mapping",
        ),
    ]);
}

#[test]
fn a_secret_written_into_the_inventory_is_never_echoed() {
    const SECRET: &str = "Zx9TopSecretValue42";
    for written in [
        SECRET.to_string(),
        format!("'{SECRET}'"),
        format!("{{{SECRET}}}"),
        format!("{{ env: '{SECRET}!' }}"),
        format!("{{ env: A, value: {SECRET} }}"),
        format!("{{ aws_secret: x, key: [{SECRET}] }}"),
        format!("[{SECRET}]"),
        // A secret of digits is a number to YAML, and `{...}` makes it a key.
        "{ 98765432101234567 }".to_string(),
        "{ 98765432101234567: x }".to_string(),
    ] {
        let yaml = with_integration(&[("client_secret", Some(&written))]);
        let invalid = parse(&yaml).unwrap_err();
        assert!(!invalid.problems.is_empty(), "{written}");
        for problem in invalid.problems.iter().chain(&invalid.warnings) {
            assert_eq!(problem.value, None, "{written}: {problem}");
        }
        let shown = format!(
            "{invalid}\n{invalid:?}\n{}",
            serde_json::to_string(&invalid.problems).unwrap()
        );
        assert!(!shown.contains(SECRET), "{written} leaked into:\n{shown}");
        assert!(
            !shown.contains("98765432101234567"),
            "{written} leaked into:\n{shown}"
        );
    }
}

#[test]
fn other_integration_rules() {
    check_single_problems(vec![
        (
            "account_id quoted",
            with_integration(&[("account_id", Some("\"7281698\""))]),
            INT,
            "account_id",
            "must be a number (the MID of the business unit), e.g. 7281698, without quotes",
        ),
        (
            "account_id zero",
            with_integration(&[("account_id", Some("0"))]),
            INT,
            "account_id",
            "must be a number (the MID",
        ),
        (
            "account_id negative",
            with_integration(&[("account_id", Some("-5"))]),
            INT,
            "account_id",
            "must be a number (the MID",
        ),
        (
            "expected_scopes not a list",
            with_integration(&[("expected_scopes", Some("email_read"))]),
            INT,
            "expected_scopes",
            "expected a list, found text",
        ),
        (
            "scope twice",
            with_integration(&[(
                "expected_scopes",
                Some("[email_read, email_send, email_read]"),
            )]),
            INT,
            "expected_scopes[2]",
            "listed twice",
        ),
        (
            "scope blank",
            with_integration(&[("expected_scopes", Some("[email_read, '']"))]),
            INT,
            "expected_scopes[1]",
            "blank",
        ),
        (
            "rotated in the future",
            with_integration(&[("secret_rotated_at", Some("2026-11-29"))]),
            INT,
            "secret_rotated_at",
            "in the future (today is 2026-11-28)",
        ),
        (
            "rotated not a date",
            with_integration(&[("secret_rotated_at", Some("June 1"))]),
            INT,
            "secret_rotated_at",
            "YYYY-MM-DD",
        ),
        (
            "expires not a real day",
            with_integration(&[("secret_expires_at", Some("2026-02-30"))]),
            INT,
            "secret_expires_at",
            "YYYY-MM-DD",
        ),
        (
            "expires as a number",
            with_integration(&[("secret_expires_at", Some("20261128"))]),
            INT,
            "secret_expires_at",
            "YYYY-MM-DD",
        ),
        (
            "depends_on not a list",
            with_integration(&[("depends_on", Some("Welcome journey"))]),
            INT,
            "depends_on",
            "expected a list",
        ),
        (
            "depends_on blank item",
            with_integration(&[("depends_on", Some("[a, '']"))]),
            INT,
            "depends_on[1]",
            "blank",
        ),
        (
            "records_per_hour negative",
            with_integration(&[("records_per_hour", Some("-1"))]),
            INT,
            "records_per_hour",
            "must not be negative",
        ),
        (
            "records_per_hour fraction",
            with_integration(&[("records_per_hour", Some("1.5"))]),
            INT,
            "records_per_hour",
            "whole number",
        ),
        (
            "runbook not a URL",
            with_integration(&[("runbook", Some("wiki/crm"))]),
            INT,
            "runbook",
            "web address",
        ),
        (
            "runbook ftp",
            with_integration(&[("runbook", Some("ftp://wiki/crm"))]),
            INT,
            "runbook",
            "web address",
        ),
        (
            "probe_every override too fast",
            with_integration(&[("probe_every", Some("10s"))]),
            INT,
            "probe_every",
            "from 1m to 7d",
        ),
        (
            "recheck_every override too fast",
            with_integration(&[("recheck_every", Some("5s"))]),
            INT,
            "recheck_every",
            "from 30s to 1d",
        ),
        (
            "expiry_warn_days override",
            with_integration(&[("expiry_warn_days", Some("[0]"))]),
            INT,
            "expiry_warn_days[0]",
            "from 1 to 365",
        ),
        (
            "secret_lifetime_days override",
            with_integration(&[("secret_lifetime_days", Some("-1"))]),
            INT,
            "secret_lifetime_days",
            "must not be negative",
        ),
    ]);
}

#[test]
fn zero_records_per_hour_and_past_or_today_rotation_are_fine() {
    let yaml = with_integration(&[
        ("records_per_hour", Some("0")),
        ("secret_rotated_at", Some("2026-11-28")),
    ]);
    let integration = &parse(&yaml).unwrap().inventory.integrations[0];
    assert_eq!(integration.records_per_hour, Some(0));
    assert_eq!(integration.secret_rotated_at, Some(today()));
}

#[test]
fn warnings_do_not_refuse_the_inventory() {
    let cases: Vec<(&str, String, &str, &str, &str)> = vec![
        (
            "unknown scope",
            with_integration(&[("expected_scopes", Some("[email_read, data_extension_read]"))]),
            INT,
            "expected_scopes[1]",
            "not an SFMC scope credwatch knows",
        ),
        (
            "probing every 2m",
            with_defaults("probe_every: 2m"),
            "defaults",
            "probe_every",
            "shorter than 5m",
        ),
        (
            "override probing every 1m",
            with_integration(&[("probe_every", Some("1m"))]),
            INT,
            "probe_every",
            "20 minutes",
        ),
        (
            "both secret dates",
            with_integration(&[
                ("secret_rotated_at", Some("2026-06-01")),
                ("secret_expires_at", Some("2026-11-28")),
            ]),
            INT,
            "secret_rotated_at",
            "secret_expires_at wins",
        ),
        (
            "no integrations",
            "version: 1\nintegrations: []\n".into(),
            "inventory",
            "integrations",
            "no integrations",
        ),
        (
            "integrations: with nothing under it",
            "version: 1\nintegrations:\n".into(),
            "inventory",
            "integrations",
            "no integrations",
        ),
    ];
    for (name, yaml, location, field, message) in cases {
        let found = warnings(&yaml);
        assert_eq!(found.len(), 1, "{name}: {found:#?}");
        assert_eq!(
            (found[0].location.as_str(), found[0].field.as_str()),
            (location, field),
            "{name}"
        );
        assert!(found[0].message.contains(message), "{name}: {}", found[0]);
    }
}

#[test]
fn an_unknown_scope_is_kept() {
    let yaml = with_integration(&[("expected_scopes", Some("[brand_new_scope_read]"))]);
    let loaded = parse(&yaml).unwrap();
    assert_eq!(
        loaded.inventory.integrations[0].expected_scopes,
        vec!["brand_new_scope_read"]
    );
    assert_eq!(
        loaded.warnings[0].value.as_deref(),
        Some("brand_new_scope_read")
    );
}

#[test]
fn warnings_travel_with_problems() {
    let yaml = with_integration(&[
        ("expected_scopes", Some("[no_such_scope]")),
        ("severity", Some("urgent")),
    ]);
    let invalid = parse(&yaml).unwrap_err();
    assert_eq!(invalid.problems.len(), 1);
    assert_eq!(invalid.warnings.len(), 1);
}

#[test]
fn every_problem_is_reported_at_once_in_file_order() {
    let yaml = format!(
        r#"version: 1
defaults:
  probe_every: 10s
  expiry_warn_days: [30, 30]
teams:
  - id: crm-ops
    name: CRM Operations
    timezone: New York
integrations:
  - id: crm-contact-sync
    owner: marketing
    severity: critical
    auth_url: http://x
    client_id: abc
    client_secret: hunter2
    account_id: "7281698"
  - id: Nightly_Sync
    name: Nightly sync
    owner: crm-ops
    severity: High
    auth_url: {AUTH_URL}
    client_id: def
    client_secret: {{ env: NIGHTLY }}
    runbook: see wiki
extra: true
"#
    );
    let found = problems(&yaml);
    let got: Vec<(&str, &str)> = found
        .iter()
        .map(|p| (p.location.as_str(), p.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("defaults", "probe_every"),
            ("defaults", "expiry_warn_days[1]"),
            ("teams[0] (crm-ops)", "timezone"),
            (INT, "owner"),
            (INT, "auth_url"),
            (INT, "client_secret"),
            (INT, "account_id"),
            (INT, "name"),
            ("integrations[1]", "id"),
            ("integrations[1]", "severity"),
            ("integrations[1]", "runbook"),
            ("inventory", "extra"),
        ],
        "{found:#?}"
    );
    let invalid = parse(&yaml).unwrap_err();
    let text = invalid.to_string();
    assert!(
        text.starts_with("12 problems in the inventory\n  defaults: probe_every = \"10s\": "),
        "{text}"
    );
    assert_eq!(text.lines().count(), 13, "{text}");
    assert!(!text.contains("hunter2"));
}

#[test]
fn problems_read_well() {
    let problem = |field: &str, value: Option<&str>| Problem {
        location: "teams[0] (crm-ops)".into(),
        field: field.into(),
        value: value.map(str::to_string),
        message: "is wrong".into(),
    };
    assert_eq!(
        problem("timezone", Some("New York")).to_string(),
        "teams[0] (crm-ops): timezone = \"New York\": is wrong"
    );
    assert_eq!(
        problem("name", None).to_string(),
        "teams[0] (crm-ops): name: is wrong"
    );
    assert_eq!(
        problem("", None).to_string(),
        "teams[0] (crm-ops): is wrong"
    );
    let one = InvalidInventory {
        problems: vec![problem("name", None)],
        warnings: vec![],
        more_problems: 0,
    };
    assert_eq!(
        one.to_string(),
        "1 problem in the inventory\n  teams[0] (crm-ops): name: is wrong"
    );
}

#[test]
fn values_are_shown_as_written() {
    let found = problems(&with_defaults("expiry_warn_days: {a: 1}"));
    assert_eq!(found[0].value.as_deref(), Some(r#"{"a":1}"#));
    let found = problems(&with_integration(&[("account_id", Some("[1, 2]"))]));
    assert_eq!(found[0].value.as_deref(), Some("[1,2]"));
}

#[test]
fn merge_keys_share_settings() {
    let yaml = with_integration(&[])
        .replace("integrations:\n  - ", "integrations:\n  - &base\n    ")
        + "  - <<: *base\n    id: second\n";
    let inventory = parse(&yaml).unwrap().inventory;
    assert_eq!(inventory.integrations[1].id, "second");
    assert_eq!(inventory.integrations[1].owner, "crm-ops");
}

#[test]
fn load_inventory_reads_a_file_and_names_a_missing_one() {
    let dir = std::env::temp_dir().join(format!("credwatch-inventory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inventory.yaml");
    std::fs::write(&path, with_integration(&[])).unwrap();
    let loaded = load_inventory(&path, &STRICT).unwrap();
    assert_eq!(loaded.inventory.integrations[0].id, "crm-contact-sync");

    let missing = dir.join("nope.yaml");
    let invalid = load_inventory(&missing, &STRICT).unwrap_err();
    assert_eq!(invalid.problems.len(), 1);
    let problem = &invalid.problems[0];
    assert_eq!(
        (problem.location.as_str(), problem.field.as_str()),
        ("inventory", "")
    );
    assert!(
        problem.message.contains(&missing.display().to_string()),
        "{problem}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(load_inventory(Path::new("/"), &STRICT).is_err());
}

#[test]
fn time_zone_names() {
    for name in [
        "UTC",
        "America/New_York",
        "Europe/London",
        "America/Argentina/Buenos_Aires",
        "Etc/GMT+5",
    ] {
        assert!(is_valid_timezone(name), "{name}");
    }
    for name in [
        "",
        "utc",
        "Eastern",
        "New York",
        "America/",
        "/London",
        "America/New York",
        "america/new_york",
    ] {
        assert!(!is_valid_timezone(name), "{name}");
    }
}

#[test]
fn a_utf8_byte_order_mark_is_accepted() {
    let with_bom = format!("\u{feff}{}", with_integration(&[]));
    let loaded = parse(&with_bom).expect("a BOM is not part of the document");
    assert_eq!(loaded.inventory.integrations[0].id, "crm-contact-sync");
    assert_eq!(
        parse(&format!("\u{feff}{DESIGN_EXAMPLE}"))
            .expect("valid")
            .inventory
            .teams[0]
            .id,
        "crm-ops"
    );
}

/// Every printed text refuses control and text-direction characters, naming the field and the
/// character, and the echoed value is escaped when shown.
#[test]
fn control_and_bidi_characters_are_refused_in_every_printed_text() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            with_integration(&[("name", Some("\"CRM \\u001b[2Jsync\""))]),
            "name",
            "U+001B",
        ),
        (
            with_integration(&[("name", Some("\"Pay\\u202Eroll sync\""))]),
            "name",
            "U+202E",
        ),
        (
            with_integration(&[("name", Some("\"line\\nbreak\""))]),
            "name",
            "U+000A",
        ),
        (
            with_integration(&[("depends_on", Some("[\"ok\", \"Welcome\\u2066 journey\"]"))]),
            "depends_on[1]",
            "U+2066",
        ),
        (
            with_integration(&[("depends_on", Some("[\"a\\u200Fb\"]"))]),
            "depends_on[0]",
            "U+200F",
        ),
        (
            with_integration(&[("depends_on", Some("[\"a\\u061Cb\"]"))]),
            "depends_on[0]",
            "U+061C",
        ),
        (
            with_integration(&[("client_id", Some("\"abc\\u0007def\""))]),
            "client_id",
            "U+0007",
        ),
        (
            with_integration(&[]).replace("name: CRM Operations", "name: \"CRM\\u202DOps\""),
            "name",
            "U+202D",
        ),
        (
            with_integration(&[("runbook", Some("\"https://wiki.example.com/\\u202Ex\""))]),
            "runbook",
            "U+202E",
        ),
    ];
    for (yaml, field, code) in cases {
        let found = problems(&yaml);
        assert_eq!(found.len(), 1, "{found:#?}\n{yaml}");
        let problem = &found[0];
        assert_eq!(problem.field, field, "{problem}");
        assert!(problem.message.contains(code), "{problem}");
        let shown = problem.to_string();
        assert!(
            !shown.chars().any(crate::text::printable::is_unprintable),
            "printed as is: {shown:?}"
        );
    }
}

#[test]
fn echoed_values_and_unknown_keys_are_capped_and_escaped() {
    let long = "x".repeat(300);
    let found = problems(&with_integration(&[("severity", Some(&long))]));
    let value = found[0].value.as_deref().expect("value echoed");
    assert_eq!(
        value.chars().count(),
        crate::text::printable::MAX_ECHOED_CHARS + 1
    );
    assert!(found[0].to_string().chars().count() < 300, "{}", found[0]);

    let key = format!("\"bad\\u001b[31m{}\"", "k".repeat(200));
    let found = problems(&with_integration(&[(&key, Some("1"))]));
    let shown = found[0].to_string();
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    assert!(shown.contains("\\u{1b}"), "{shown}");
    assert!(
        !shown.contains(&"k".repeat(100)),
        "the key is capped: {shown}"
    );
}

#[test]
fn every_value_is_bounded_and_named_with_its_value_capped() {
    let long = |n: usize| "x".repeat(n);
    let many = |n: usize, item: &str| {
        format!(
            "[{}]",
            (0..n)
                .map(|i| format!("\"{item}{i}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let cases: Vec<Case> = vec![
        (
            "year-20327 probe_every",
            with_integration(&[("probe_every", Some("6000000d"))]),
            INT,
            "probe_every",
            "from 1m to 7d (a credential that breaks would go unnoticed",
        ),
        (
            "recheck_every over a day",
            with_integration(&[("recheck_every", Some("2d"))]),
            INT,
            "recheck_every",
            "from 30s to 1d",
        ),
        (
            "default probe_every too long",
            with_defaults("probe_every: 8d"),
            "defaults",
            "probe_every",
            "from 1m to 7d",
        ),
        (
            "escalate_after over 30 days",
            with_team("escalate_after: 31d"),
            "teams[0] (crm-ops)",
            "escalate_after",
            "from 1s to 30d",
        ),
        (
            "too many warn days",
            with_integration(&[("expiry_warn_days", Some(&many(21, "").replace('"', "")))]),
            INT,
            "expiry_warn_days",
            "at most 20",
        ),
        (
            "records_per_hour over a billion",
            with_integration(&[("records_per_hour", Some("1000000001"))]),
            INT,
            "records_per_hour",
            "at most 1000000000",
        ),
        (
            "long name",
            with_integration(&[("name", Some(&long(201)))]),
            INT,
            "name",
            "at most 200 characters",
        ),
        (
            "long depends_on entry",
            with_integration(&[("depends_on", Some(&format!("[{}]", long(201))))]),
            INT,
            "depends_on[0]",
            "at most 200 characters",
        ),
        (
            "too many depends_on",
            with_integration(&[("depends_on", Some(&many(51, "journey ")))]),
            INT,
            "depends_on",
            "at most 50",
        ),
        (
            "too many scopes",
            with_integration(&[("expected_scopes", Some(&many(101, "scope_")))]),
            INT,
            "expected_scopes",
            "at most 100",
        ),
        (
            "long client_id",
            with_integration(&[("client_id", Some(&long(257)))]),
            INT,
            "client_id",
            "at most 256 characters",
        ),
        (
            "long runbook",
            with_integration(&[(
                "runbook",
                Some(&format!("https://wiki.example.com/{}", long(2048))),
            )]),
            INT,
            "runbook",
            "at most 2048 characters",
        ),
        (
            "long secret id",
            with_integration(&[(
                "client_secret",
                Some(&format!("{{ aws_secret: {} }}", long(2049))),
            )]),
            INT,
            "client_secret.aws_secret",
            "at most 2048 characters",
        ),
    ];
    check_single_problems(cases);

    // The offending value is quoted, capped.
    let found = problems(&with_integration(&[("name", Some(&long(5000)))]));
    let shown = found[0].value.as_deref().unwrap();
    assert!(
        shown.chars().count() <= crate::text::printable::MAX_ECHOED_CHARS + 1,
        "{shown}"
    );
    assert!(shown.ends_with('…'), "{shown}");
    let found = problems(&with_integration(&[(&long(3000), Some("1"))]));
    assert!(found[0].to_string().len() < 600, "{}", found[0]);
}

#[test]
fn the_largest_accepted_values_pass() {
    let yaml = with_integration(&[
        ("probe_every", Some("7d")),
        ("recheck_every", Some("1d")),
        ("records_per_hour", Some("1000000000")),
        ("name", Some(&"n".repeat(200))),
    ]);
    let loaded = parse(&yaml).unwrap();
    assert_eq!(
        loaded.inventory.integrations[0].probe_every,
        Duration::from_secs(7 * 86_400)
    );
}

#[test]
fn hostile_files_are_refused_before_parsing() {
    // 200 KB of `[`: refused by the byte scan, with a message saying why.
    let brackets = format!("version: 1\nintegrations: {}", "[".repeat(200_000));
    let found = problems(&brackets);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("more than 32 levels deep"),
        "{}",
        found[0]
    );
    assert!(found[0].message.contains("line 2"), "{}", found[0]);

    let mappings = format!("version: 1\nintegrations: {}", "{a: ".repeat(100));
    assert!(problems(&mappings)[0].message.contains("levels deep"));

    let mut indented = String::from("version: 1\nintegrations:\n");
    for depth in 1..40 {
        indented.push_str(&format!("{}k{depth}:\n", " ".repeat(depth)));
    }
    assert!(problems(&indented)[0].message.contains("levels deep"));

    let dashes = format!("version: 1\nintegrations:\n  {}x\n", "- ".repeat(40));
    assert!(problems(&dashes)[0].message.contains("levels deep"));

    let huge = format!(
        "version: 1\n# {}\nintegrations: []\n",
        "x".repeat(1024 * 1024)
    );
    let found = problems(&huge);
    assert!(
        found[0].message.contains("at most 1048576 bytes"),
        "{}",
        found[0]
    );

    // Brackets inside quotes and comments do not count.
    let quoted = with_integration(&[(
        "depends_on",
        Some(&format!("[\"{}\"]  # {}", "[".repeat(100), "{".repeat(100))),
    )]);
    parse(&quoted).unwrap();

    // A billion-laughs alias bomb: serde_yaml_ng refuses the repetition.
    let mut bomb =
        String::from("version: 1\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 9].join(", ");
        bomb.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    bomb.push_str("integrations: *a9\n");
    let found = problems(&bomb);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("not valid YAML"), "{}", found[0]);
    assert!(
        found[0].message.contains("repetition limit"),
        "{}",
        found[0]
    );
}

#[test]
fn aliases_expanding_past_the_value_budget_are_refused() {
    // 100 values anchored once, referenced 100,000 times: 10 million values once expanded,
    // within serde_yaml_ng's own repetition limit, in a 600 KB file.
    let anchor = (0..100)
        .map(|i| format!("v{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let refs = vec!["*big"; 100_000].join(", ");
    let yaml = format!("version: 1\nbig: &big [{anchor}]\nintegrations: [{refs}]\n");
    assert!(yaml.len() < 1024 * 1024);
    let found = problems(&yaml);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("more than 250000 values"),
        "{}",
        found[0]
    );

    // Merge keys sharing settings, the intended use of aliases, are fine.
    let shared = with_integration(&[("severity", None), ("<<", Some("*common"))]).replace(
        "teams:\n",
        "defaults: {}\nx: &common { severity: high }\nteams:\n",
    );
    let found = problems(&shared);
    assert_eq!(
        found.len(),
        1,
        "only the unknown top-level key `x`: {found:?}"
    );
    assert_eq!(found[0].field, "x", "{found:?}");
}

/// The two alias bombs of the hostile-input review: few values, each a copy of one large anchor.
#[test]
fn aliases_expanding_past_the_text_budget_are_refused() {
    // A 1 MiB file: a 700,000-character anchor, then 67,996 lines `- *s` (about 47 GB expanded).
    let mut list = format!("version: 1\ns: &s {}\nintegrations:\n", "A".repeat(700_000));
    while list.len() + "- *s\n".len() <= 1024 * 1024 {
        list.push_str("- *s\n");
    }
    // A 300 KB file: one 100 KB anchor, 8,000 `name: *s` (804 MB expanded before the fix).
    let mut names = format!("version: 1\ns: &s {}\nintegrations:\n", "A".repeat(100_000));
    for i in 0..8_000 {
        names.push_str(&format!("- id: i{i}\n  name: *s\n"));
    }
    for yaml in [&list, &names] {
        assert!(yaml.len() <= 1024 * 1024);
        let found = problems(yaml);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].location, "inventory");
        assert!(
            found[0].message.contains("more than 8388608 bytes (8 MiB)")
                && found[0].message.contains("aliases"),
            "{}",
            found[0]
        );
    }

    // Just under the budget: the same shape is parsed (and then judged on its content).
    let small = format!(
        "version: 1\ns: &s {}\nx: [*s, *s, *s]\nintegrations: []\n",
        "A".repeat(1_000_000)
    );
    let found = problems(&small);
    assert!(
        found.iter().all(|p| !p.message.contains("8 MiB")),
        "{found:?}"
    );
    assert!(found.iter().any(|p| p.field == "x"), "{found:?}");
}

#[test]
fn an_oversized_file_is_not_read_whole() {
    let dir = std::env::temp_dir().join(format!("credwatch-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inventory.yaml");
    std::fs::write(&path, vec![b'#'; 2 * 1024 * 1024]).unwrap();
    let err = load_inventory(&path, &STRICT).unwrap_err();
    assert!(
        err.problems[0]
            .message
            .contains("larger than 1048576 bytes"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Userinfo in `auth_url` (`<tenant>.auth.marketingcloudapis.com%2F@evil.example` reads as SFMC
/// and points at evil.example) is refused whatever the options, without echoing it; so is a host
/// that imitates SFMC's with international characters, and an IDN label is never a tenant.
#[test]
fn userinfo_and_lookalike_auth_urls_are_refused_with_any_options() {
    let tenant = "mc563885gzs27c5t9-63k636ttgm";
    let cases = [
        (
            format!("https://{tenant}.auth.marketingcloudapis.com%2F@evil.example/"),
            "user name or password before `@`, so the request would go to evil.example",
        ),
        (
            "https://someone@evil.example/".to_string(),
            "user name or password",
        ),
        (
            "http://user:pw@127.0.0.1:8080/".to_string(),
            "user name or password",
        ),
        (
            format!("https://{tenant}.auth.market\u{456}ngcloudapis.com/"),
            "international characters",
        ),
        (
            format!("https://{tenant}.auth.xn--marketngcloudapis-hpo.com/"),
            "international characters",
        ),
        (
            "https://\u{435}xacttarget.com/".to_string(),
            "international characters",
        ),
        (
            format!("https://xn--{}.auth.marketingcloudapis.com/", &tenant[4..]),
            "international characters",
        ),
    ];
    for (written, message) in &cases {
        for options in [STRICT, ANY_ENDPOINT] {
            let yaml = with_integration(&[("auth_url", Some(written))]);
            let invalid = parse_inventory_on(&yaml, &options, today()).unwrap_err();
            assert_eq!(invalid.problems.len(), 1, "{written}: {invalid}");
            let problem = &invalid.problems[0];
            assert_eq!(problem.field, "auth_url");
            assert!(problem.message.contains(message), "{written}: {problem}");
            assert!(
                problem.message.contains("Authentication Base URI"),
                "{problem}"
            );
            assert!(
                !problem.message.contains(ALLOW_ANY_ENDPOINT_VAR),
                "never suggests turning the check off: {problem}"
            );
            let shown = format!("{invalid} {invalid:?}");
            assert!(!shown.contains("pw@"), "{shown}");
        }
    }
    // An IDN host that imitates nothing SFMC is left to the endpoint policy.
    let yaml = with_integration(&[("auth_url", Some("https://b\u{fc}cher.example/"))]);
    assert!(parse_inventory_on(&yaml, &ANY_ENDPOINT, today()).is_ok());
    assert!(!is_sfmc_auth_url(&format!(
        "https://xn--{}.auth.marketingcloudapis.com/",
        &tenant[4..]
    )));
}

/// A file with more problems than are kept (1,000) counts the rest: the total is right, the
/// memory is bounded, and the message lists the first 100 then says how many more.
#[test]
fn problems_past_the_kept_ones_are_counted_not_kept() {
    let yaml = format!("version: 1\nintegrations:\n{}", "- 1\n".repeat(3_000));
    let invalid = parse(&yaml).unwrap_err();
    assert_eq!(invalid.problems.len(), MAX_PROBLEMS_KEPT);
    assert_eq!(invalid.problem_count(), 3_000);
    assert_eq!(invalid.problems[999].location, "integrations[999]");
    let text = invalid.to_string();
    assert!(text.starts_with("3000 problems in the inventory"), "{text}");
    assert_eq!(
        text.lines().count(),
        1 + MAX_PROBLEMS_DISPLAYED + 1,
        "{text}"
    );
    assert!(text.ends_with("... and 2900 more"), "{text}");
}
