//! One entry of `integrations:`.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde_yaml_ng::{Mapping, Value};
use url::Url;

use super::bounds::{self, NAME_MAX, SECRET_REF_MAX, URL_MAX};
use super::parse::{
    CADENCE_KEYS, Cadence, entry_id, entry_location, require, warn_no_integrations,
};
use super::report::{At, Report, index, join};
use super::{ALLOW_ANY_ENDPOINT_VAR, Defaults, Integration, LoadOptions, Severity};
use crate::scopes::is_known_scope;
use crate::secret::SecretSource;

/// The keys of an integration besides the [`CADENCE_KEYS`] overrides.
const INTEGRATION_KEYS: [&str; 14] = [
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
];

const SECRET_KEYS: [&str; 4] = ["env", "file", "aws_secret", "key"];

const SFMC_DOMAIN: &str = ".auth.marketingcloudapis.com";

/// Why a secret written into the inventory is refused. The value itself is never repeated.
const INLINE_SECRET: &str = "looks like the secret itself; never put a client secret in the \
     inventory (it is configuration, kept in git and shown in reviews). Store it elsewhere and \
     say where: { env: VARIABLE }, { file: path } or { aws_secret: name-or-arn }. If this file \
     was committed or shared, rotate the secret";

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
    for (i, item) in items.iter().enumerate() {
        if let Some(integration) = parse_integration(i, item, context, &mut ids, report) {
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

fn parse_auth_url(at: &mut At, value: &Value, options: &LoadOptions) -> Option<Url> {
    let raw = at.bounded_text("auth_url", value, URL_MAX)?;
    let parsed = match Url::parse(raw) {
        Ok(url) => url,
        Err(err) => {
            at.error(
                "auth_url",
                Some(value),
                format!(
                    "is not a valid URL ({err}); copy the Authentication Base URI from the installed \
                     package, e.g. https://<28 characters>{SFMC_DOMAIN}/"
                ),
            );
            return None;
        }
    };
    // A URL with a password in it is not echoed.
    let shown = Some(value).filter(|_| parsed.password().is_none());
    if options.allow_any_endpoint {
        any_endpoint(at, shown, parsed)
    } else {
        sfmc_endpoint(at, shown, raw, parsed)
    }
}

/// The normal case: exactly `https://<28 characters>.auth.marketingcloudapis.com/`.
fn sfmc_endpoint(at: &mut At, shown: Option<&Value>, raw: &str, parsed: Url) -> Option<Url> {
    let exact = raw
        .strip_prefix("https://")
        .and_then(|rest| rest.strip_suffix('/'))
        .is_some_and(is_sfmc_auth_host);
    if exact {
        return Some(parsed);
    }
    // A near miss (no trailing slash, the full /v2/token URL, http, capitals): say the fix.
    let message = match parsed.host_str().filter(|host| is_sfmc_auth_host(host)) {
        Some(host) if raw == format!("https://{host}") => {
            format!("is missing the trailing slash; write it as https://{host}/")
        }
        Some(host) => format!(
            "must be exactly the Authentication Base URI, with nothing after the domain; \
             did you mean https://{host}/ ?"
        ),
        None => format!(
            "must be an SFMC Authentication Base URI like https://<28 characters>{SFMC_DOMAIN}/ \
             (set {ALLOW_ANY_ENDPOINT_VAR}=1 to allow other endpoints)"
        ),
    };
    at.error("auth_url", shown, message);
    None
}

/// `<28 of [a-z0-9-]>.auth.marketingcloudapis.com`
fn is_sfmc_auth_host(host: &str) -> bool {
    host.strip_suffix(SFMC_DOMAIN).is_some_and(|subdomain| {
        subdomain.len() == 28
            && subdomain
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// With CREDWATCH_ALLOW_ANY_ENDPOINT=1 (a simulator, a proxy): any http(s) base URL.
fn any_endpoint(at: &mut At, shown: Option<&Value>, mut url: Url) -> Option<Url> {
    let problem = if !matches!(url.scheme(), "http" | "https") {
        Some("must start with https:// or http://")
    } else if url.query().is_some() || url.fragment().is_some() {
        Some("must be a base URL, without ?query or #fragment")
    } else if url.password().is_some() {
        Some("must not contain a password")
    } else {
        None
    };
    if let Some(problem) = problem {
        at.error("auth_url", shown, problem);
        return None;
    }
    // Paths are joined onto the base (`v2/token`), which needs the trailing slash.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Some(url)
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

/// `{ env: NAME }`, `{ file: PATH }` or `{ aws_secret: ID, key: FIELD }`. Nothing read here is
/// ever echoed: `At` drops values under `client_secret`.
fn parse_client_secret(at: &mut At, value: &Value) -> Option<SecretSource> {
    let map = match value {
        Value::Mapping(map) => map,
        Value::Sequence(_) => {
            at.wrong_type(
                "client_secret",
                value,
                "a mapping like { env: CRM_SYNC_SECRET }",
            );
            return None;
        }
        _ => {
            at.error("client_secret", None, INLINE_SECRET);
            return None;
        }
    };
    let mut sources = Vec::new();
    let (mut env, mut file, mut aws_secret, mut key) = (None, None, None, None);
    for (name, value) in map {
        // `client_secret: {s3cr3t}` is YAML for a mapping whose only key is the secret.
        if value.is_null()
            && !name
                .as_str()
                .is_some_and(|name| SECRET_KEYS.contains(&name))
        {
            at.error("client_secret", None, INLINE_SECRET);
            continue;
        }
        let Some(name) = at.key("client_secret", name) else {
            continue;
        };
        let field = join("client_secret", name);
        if SECRET_KEYS.contains(&name) && name != "key" {
            sources.push(name);
        }
        match name {
            "env" => env = parse_env_name(at, &field, value),
            "file" => {
                file = at
                    .bounded_text(&field, value, SECRET_REF_MAX)
                    .map(PathBuf::from)
            }
            "aws_secret" => {
                aws_secret = at
                    .bounded_text(&field, value, SECRET_REF_MAX)
                    .map(str::to_string)
            }
            // Some(None): given but invalid (already reported).
            "key" => {
                key = Some(
                    at.bounded_text(&field, value, SECRET_REF_MAX)
                        .map(str::to_string),
                )
            }
            _ => at.unknown_key("client_secret", name, &SECRET_KEYS),
        }
    }
    check_one_source(at, map, &sources, key.is_some())?;
    match sources[0] {
        "env" => env.map(SecretSource::Env),
        "file" => file.map(SecretSource::File),
        _ => Some(SecretSource::AwsSecret {
            id: aws_secret?,
            key: match key {
                Some(key) => Some(key?),
                None => None,
            },
        }),
    }
}

/// Exactly one of env, file and aws_secret; `key` only with aws_secret.
fn check_one_source(at: &mut At, map: &Mapping, sources: &[&str], has_key: bool) -> Option<()> {
    match sources {
        [] => {
            // Any key other than `key` is unknown and was reported already: don't pile on.
            if !map.keys().any(|k| k.as_str() != Some("key")) {
                at.error(
                    "client_secret",
                    None,
                    "needs one of env, file or aws_secret, e.g. client_secret: { env: CRM_SYNC_SECRET }",
                );
            }
            return None;
        }
        [_] => {}
        [..] => {
            at.error(
                "client_secret",
                None,
                format!(
                    "give only one of env, file or aws_secret (found {})",
                    sources.join(" and ")
                ),
            );
            return None;
        }
    }
    if has_key && sources != ["aws_secret"] {
        at.error(
            "client_secret.key",
            None,
            "is only used with aws_secret (it names the JSON field that holds the secret); remove it",
        );
        return None;
    }
    Some(())
}

fn parse_env_name(at: &mut At, field: &str, value: &Value) -> Option<String> {
    let name = at.bounded_text(field, value, SECRET_REF_MAX)?;
    let valid = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        at.error(
            field,
            None,
            "must be the name of an environment variable (letters, digits and _, not starting \
             with a digit), e.g. CRM_SYNC_SECRET",
        );
        return None;
    }
    Some(name.to_string())
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
