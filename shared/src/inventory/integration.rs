//! One entry of `integrations:`.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_yaml_ng::Value;
use url::Url;

use super::auth_url::parse_auth_url;
use super::bounds::{self, NAME_MAX, URL_MAX};
use super::cadence::{CADENCE_KEYS, Cadence};
use super::entry::{entry_id, entry_location, require};
use super::ingest::{Bindings, parse_ingest};
use super::maintenance::parse_maintenance;
use super::model::{Defaults, Integration, Severity};
use super::options::LoadOptions;
use super::report::{At, Report, index};
use super::secret_ref::parse_client_secret;
use crate::sfmc::scopes::is_known_scope;

/// The keys of an integration besides the [`CADENCE_KEYS`] overrides.
const INTEGRATION_KEYS: [&str; 16] = [
    "id",
    "name",
    "owner",
    "severity",
    "auth_url",
    "client_id",
    "client_secret",
    "account_id",
    "expected_scopes",
    "secret_rotated_at",
    "secret_expires_at",
    "depends_on",
    "records_per_hour",
    "runbook",
    "maintenance",
    "ingest",
];

/// What every integration is checked against.
pub(super) struct Context<'a> {
    pub options: &'a LoadOptions,
    pub today: NaiveDate,
    pub defaults: &'a Defaults,
    /// Every team id declared under `teams`; `None` if `teams` is unreadable (already
    /// reported), so owners are not checked against it.
    pub team_ids: Option<&'a [String]>,
}

pub(super) fn parse_integrations(
    value: &Value,
    context: &Context,
    report: &mut Report,
) -> Option<Vec<Integration>> {
    let mut at = At::new("inventory", report);
    let items = match value {
        Value::Null => &[][..],
        other => at.list("integrations", other)?,
    };
    if items.is_empty() {
        warn_no_integrations(&mut at);
    }
    let mut ids = HashMap::new();
    let mut integrations = Vec::new();
    let mut bindings = Bindings::default();
    for (i, item) in items.iter().enumerate() {
        if let Some(integration) = parse_integration(i, item, context, &mut ids, report) {
            bindings.claim(
                &mut At::new(entry_location("integrations", i, item), report),
                &integration,
            );
            integrations.push(integration);
        }
    }
    Some(integrations)
}

fn parse_integration(
    i: usize,
    item: &Value,
    context: &Context,
    ids: &mut HashMap<String, usize>,
    report: &mut Report,
) -> Option<Integration> {
    let mut at = At::new(entry_location("integrations", i, item), report);
    let map = at.mapping("", item)?;
    let mut given = Vec::new();
    let (mut id, mut name, mut owner, mut severity) = (None, None, None, None);
    let (mut auth_url, mut client_id, mut client_secret, mut account_id) = (None, None, None, None);
    let (mut secret_rotated_at, mut secret_expires_at) = (None, None);
    let (mut expected_scopes, mut depends_on) = (Vec::new(), Vec::new());
    let (mut records_per_hour, mut runbook) = (None, None);
    let mut cadence = Cadence::default();
    // Absent means none; given but invalid means no integration (its problems are reported).
    let mut maintenance = Some(Vec::new());
    let mut ingest = Some(Default::default());
    for (key, value) in map {
        let Some(key) = at.key("", key) else { continue };
        let known = INTEGRATION_KEYS.contains(&key) || CADENCE_KEYS.contains(&key);
        if value.is_null() && known {
            continue;
        }
        given.push(key);
        match key {
            "id" => id = entry_id(&mut at, value, "integrations", i, ids),
            "name" => name = at.bounded_text("name", value, NAME_MAX).map(str::to_string),
            "owner" => owner = parse_owner(&mut at, value, context.team_ids),
            "severity" => severity = parse_severity(&mut at, value),
            "auth_url" => auth_url = parse_auth_url(&mut at, value, context.options),
            "client_id" => client_id = parse_client_id(&mut at, value),
            "client_secret" => client_secret = parse_client_secret(&mut at, value),
            "account_id" => account_id = parse_account_id(&mut at, value),
            "expected_scopes" => expected_scopes = parse_scopes(&mut at, value),
            "secret_rotated_at" => {
                secret_rotated_at = parse_date(&mut at, "secret_rotated_at", value);
                if secret_rotated_at.is_some_and(|date| date > context.today) {
                    at.error(
                        "secret_rotated_at",
                        Some(value),
                        format!(
                            "is in the future (today is {}); it is the day the client secret was \
                             last generated",
                            context.today
                        ),
                    );
                }
            }
            "secret_expires_at" => {
                secret_expires_at = parse_date(&mut at, "secret_expires_at", value);
            }
            "depends_on" => depends_on = parse_text_list(&mut at, "depends_on", value),
            "records_per_hour" => {
                records_per_hour = at.whole_number("records_per_hour", value).filter(|&n| {
                    let fits = n <= bounds::RECORDS_PER_HOUR_MAX;
                    if !fits {
                        at.error(
                            "records_per_hour",
                            Some(value),
                            format!("must be at most {}", bounds::RECORDS_PER_HOUR_MAX),
                        );
                    }
                    fits
                })
            }
            "runbook" => runbook = parse_runbook(&mut at, value),
            "maintenance" => maintenance = parse_maintenance(&mut at, value),
            "ingest" => ingest = parse_ingest(&mut at, value),
            _ if !cadence.read(&mut at, key, value) => {
                at.unknown_key(
                    "",
                    key,
                    &[&INTEGRATION_KEYS[..], &CADENCE_KEYS[..]].concat(),
                );
            }
            _ => {}
        }
    }
    if given.contains(&"secret_rotated_at") && given.contains(&"secret_expires_at") {
        at.warn(
            "secret_rotated_at",
            map.get("secret_rotated_at"),
            "both secret_rotated_at and secret_expires_at are set; secret_expires_at wins and \
             secret_rotated_at is not used for expiry reminders",
        );
    }
    report_missing(&mut at, &given, context.team_ids);

    let cadence = cadence.resolve(context.defaults);
    Some(Integration {
        id: id?,
        name: name?,
        owner: owner?,
        severity: severity?,
        auth_url: auth_url?,
        client_id: client_id?,
        client_secret: client_secret?,
        account_id,
        expected_scopes,
        secret_rotated_at,
        secret_expires_at,
        depends_on,
        records_per_hour,
        runbook,
        probe_every: cadence.probe_every,
        recheck_every: cadence.recheck_every,
        expiry_warn_days: cadence.expiry_warn_days,
        secret_lifetime_days: cadence.secret_lifetime_days,
        maintenance: maintenance?,
        ingest: ingest?,
    })
}

fn report_missing(at: &mut At, given: &[&str], team_ids: Option<&[String]>) {
    let owner = match team_ids {
        Some(team_ids) => format!(
            "is missing; name the team that owns this integration ({})",
            declared_teams(team_ids)
        ),
        None => "is missing; name the team that owns this integration".to_string(),
    };
    let required = [
        (
            "id",
            "is missing; give the integration a short unique id such as crm-contact-sync",
        ),
        (
            "name",
            "is missing; give the integration a name people will recognise in alerts",
        ),
        ("owner", owner.as_str()),
        (
            "severity",
            "is missing; use one of critical, high, medium, low",
        ),
        (
            "auth_url",
            "is missing; copy the Authentication Base URI from the installed package in \
             Setup > Apps > Installed Packages",
        ),
        (
            "client_id",
            "is missing; copy the Client Id from the installed package's API integration",
        ),
        (
            "client_secret",
            "is missing; say where the secret is stored, e.g. client_secret: { env: CRM_SYNC_SECRET }",
        ),
    ];
    for (key, message) in required {
        require(at, given, key, message);
    }
}

fn declared_teams(team_ids: &[String]) -> String {
    if team_ids.is_empty() {
        "no teams are declared yet: add the team under `teams:` first".to_string()
    } else {
        format!("declared teams: {}", team_ids.join(", "))
    }
}

fn parse_owner(at: &mut At, value: &Value, team_ids: Option<&[String]>) -> Option<String> {
    let owner = at.text("owner", value)?;
    let Some(team_ids) = team_ids else {
        return Some(owner.to_string());
    };
    if !team_ids.iter().any(|id| id == owner) {
        at.error(
            "owner",
            Some(value),
            format!(
                "is not the id of a team under `teams:` ({})",
                declared_teams(team_ids)
            ),
        );
        return None;
    }
    Some(owner.to_string())
}

fn parse_severity(at: &mut At, value: &Value) -> Option<Severity> {
    let severity = Severity::parse(at.text("severity", value)?);
    if severity.is_none() {
        at.error(
            "severity",
            Some(value),
            "must be one of critical, high, medium, low (in lowercase)",
        );
    }
    severity
}

fn parse_client_id(at: &mut At, value: &Value) -> Option<String> {
    let client_id = at.bounded_text("client_id", value, bounds::CLIENT_ID_MAX)?;
    if client_id.chars().any(char::is_whitespace) {
        at.error(
            "client_id",
            Some(value),
            "must not contain spaces; copy the Client Id from the installed package again",
        );
        return None;
    }
    Some(client_id.to_string())
}

fn parse_account_id(at: &mut At, value: &Value) -> Option<u64> {
    let mid = value.as_u64().filter(|&mid| mid > 0);
    if mid.is_none() {
        let unquote = if value.as_str().is_some_and(|s| s.parse::<u64>().is_ok()) {
            ", without quotes"
        } else {
            ""
        };
        at.error(
            "account_id",
            Some(value),
            format!("must be a number (the MID of the business unit), e.g. 7281698{unquote}"),
        );
    }
    mid
}

fn parse_scopes(at: &mut At, value: &Value) -> Vec<String> {
    let Some(items) = at.list("expected_scopes", value) else {
        return Vec::new();
    };
    if !count_within(at, "expected_scopes", items, bounds::SCOPES_MAX) {
        return Vec::new();
    }
    let mut scopes: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = index("expected_scopes", i);
        let Some(scope) = at.bounded_text(&field, item, bounds::SCOPE_MAX) else {
            continue;
        };
        if scopes.iter().any(|seen| seen == scope) {
            at.error(&field, Some(item), "is listed twice; list each scope once");
            continue;
        }
        if !is_known_scope(scope) {
            // Salesforce keeps adding scopes, so this may be a new one rather than a typo.
            at.warn(
                &field,
                Some(item),
                "is not an SFMC scope credwatch knows; check the spelling against the installed \
                 package's permissions (it is kept, in case it is new)",
            );
        }
        scopes.push(scope.to_string());
    }
    scopes
}

/// Whether a list has at most `max` entries; reports it when not.
fn count_within(at: &mut At, field: &str, items: &[Value], max: usize) -> bool {
    if items.len() <= max {
        return true;
    }
    at.error(
        field,
        None,
        format!("lists {} entries; at most {max}", items.len()),
    );
    false
}

/// A list of at most [`bounds::DEPENDS_ON_MAX`] non-blank texts of at most
/// [`NAME_MAX`] characters; invalid items are reported and left out.
fn parse_text_list(at: &mut At, field: &str, value: &Value) -> Vec<String> {
    let Some(items) = at.list(field, value) else {
        return Vec::new();
    };
    if !count_within(at, field, items, bounds::DEPENDS_ON_MAX) {
        return Vec::new();
    }
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            at.bounded_text(&index(field, i), item, NAME_MAX)
                .map(str::to_string)
        })
        .collect()
}

/// `YYYY-MM-DD` (YAML dates reach us as text).
fn parse_date(at: &mut At, field: &str, value: &Value) -> Option<NaiveDate> {
    let date = value
        .as_str()
        .filter(|text| text.len() == 10)
        .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
    if date.is_none() {
        at.error(
            field,
            Some(value),
            "must be a date written YYYY-MM-DD, e.g. 2026-06-01",
        );
    }
    date
}

fn parse_runbook(at: &mut At, value: &Value) -> Option<String> {
    let runbook = at.bounded_text("runbook", value, URL_MAX)?;
    match Url::parse(runbook) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(runbook.to_string()),
        _ => {
            at.error(
                "runbook",
                Some(value),
                "must be a web address starting with https:// (or http://)",
            );
            None
        }
    }
}

fn warn_no_integrations(at: &mut At) {
    at.warn(
        "integrations",
        None,
        "there are no integrations, so there is nothing to watch",
    );
}
