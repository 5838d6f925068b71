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
use crate::secrets::SecretSource;
use crate::sfmc::scopes::is_known_scope;

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

/// Longest piece of a written `auth_url` echoed back in a problem, in characters.
const MAX_ECHO_CHARS: usize = 120;

fn parse_auth_url(at: &mut At, value: &Value, options: &LoadOptions) -> Option<Url> {
    let raw = at.bounded_text("auth_url", value, URL_MAX)?;
    // Echoed capped, and not at all if it may hold a password (`user:pw@host`).
    let capped = Value::String(raw.chars().take(MAX_ECHO_CHARS).collect());
    let shown = Some(&capped).filter(|_| !raw.contains('@'));
    // Whatever the options: `user@host` can make an address read as SFMC's while pointing
    // elsewhere (`https://<tenant>.auth.marketingcloudapis.com%2F@evil.example/`).
    if let Ok(url) = Url::parse(raw.trim())
        && let Some(why) = userinfo_refusal(&url)
    {
        at.error("auth_url", None, why);
        return None;
    }
    // Whatever the options, an address that is (or tries to be) SFMC's must be the
    // Authentication Base URI: the secret is sent there.
    match check_sfmc_auth_url(raw) {
        Some(Ok(url)) => return Some(url),
        Some(Err(why)) => {
            at.error("auth_url", shown, why);
            return None;
        }
        None => {}
    }
    let parsed = match Url::parse(raw.trim()) {
        Ok(url) => url,
        Err(err) => {
            at.error(
                "auth_url",
                shown,
                format!(
                    "is not a valid URL ({err}); copy the Authentication Base URI from the installed \
                     package, e.g. https://<28 characters>{SFMC_DOMAIN}/"
                ),
            );
            return None;
        }
    };
    if options.allow_any_endpoint {
        any_endpoint(at, shown, parsed)
    } else {
        at.error(
            "auth_url",
            shown,
            format!(
                "must be an SFMC Authentication Base URI like https://<28 characters>{SFMC_DOMAIN}/ \
                 (set {ALLOW_ANY_ENDPOINT_VAR}=1 to allow other endpoints)"
            ),
        );
        None
    }
}

/// The fix for every SFMC address that is not the Authentication Base URI, with the tenant's
/// subdomain filled in when it could be recovered.
fn auth_url_fix(subdomain: Option<&str>) -> String {
    format!(
        "use the Authentication Base URI from Setup > Apps > Installed Packages > API Integration, \
         https://{}{SFMC_DOMAIN}/",
        subdomain.unwrap_or("<subdomain>")
    )
}

const SFMC_API_DOMAIN: &str = "marketingcloudapis.com";
const AUTH_DOMAIN: &str = "auth.marketingcloudapis.com";
const REST_DOMAIN: &str = "rest.marketingcloudapis.com";
const SOAP_DOMAIN: &str = "soap.marketingcloudapis.com";

/// Judges an `auth_url` that is SFMC's or tries to be: `Some(Ok)` for the Authentication Base
/// URI (written in any case, with or without the trailing slash: returned as
/// `https://<subdomain>.auth.marketingcloudapis.com/`), `Some(Err)` with the exact fix for a
/// near miss (REST or SOAP Base URI, retired ExactTarget host, `/v2/token` appended, http, a
/// missing scheme or subdomain, a typo in the domain), and `None` for an address that has
/// nothing to do with SFMC (a simulator, a proxy).
fn check_sfmc_auth_url(raw: &str) -> Option<Result<Url, String>> {
    let raw = raw.trim();
    let (url, scheme_missing) = match Url::parse(raw) {
        Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => (url, false),
        _ => (Url::parse(&format!("https://{raw}")).ok()?, true),
    };
    let host = url.host_str()?.to_ascii_lowercase();
    if let Some(why) = lookalike_refusal(&host) {
        return Some(Err(format!("{why}; {}", auth_url_fix(None))));
    }
    let (first, rest) = host.split_once('.').unwrap_or((host.as_str(), ""));
    let subdomain = Some(first).filter(|label| is_sfmc_subdomain(label));
    let fix = auth_url_fix(subdomain);
    let problem = if ["exacttarget.com", "exacttargetapis.com"]
        .iter()
        .any(|retired| host == *retired || host.ends_with(&format!(".{retired}")))
    {
        "is a retired ExactTarget address (legacy packages)".to_string()
    } else if [AUTH_DOMAIN, REST_DOMAIN, SOAP_DOMAIN, SFMC_API_DOMAIN].contains(&host.as_str()) {
        "has no tenant subdomain".to_string()
    } else if rest == AUTH_DOMAIN {
        if subdomain.is_none() {
            let label: String = first.chars().take(40).collect();
            return Some(Err(format!(
                "has a subdomain ({label}) that is not the 28 letters, digits and dashes of an SFMC \
                 tenant; copy it again: {}",
                auth_url_fix(None)
            )));
        }
        return Some(auth_host_rest(&url, scheme_missing, subdomain, &fix));
    } else if rest == REST_DOMAIN {
        "is the REST Base URI, not the Authentication Base URI".to_string()
    } else if rest == SOAP_DOMAIN {
        "is the SOAP Base URI, not the Authentication Base URI".to_string()
    } else if near_sfmc_domain(&host, rest) {
        "looks like a mistyped SFMC address".to_string()
    } else if host.ends_with(&format!(".{SFMC_API_DOMAIN}")) {
        "is an SFMC address but not the Authentication Base URI".to_string()
    } else if names_sfmc(&host) {
        "looks like a mistyped SFMC address".to_string()
    } else {
        return None;
    };
    Some(Err(format!("{problem}; {fix}")))
}

/// The host is `<subdomain>.auth.marketingcloudapis.com`: everything else must be exactly the
/// base URI.
fn auth_host_rest(
    url: &Url,
    scheme_missing: bool,
    subdomain: Option<&str>,
    fix: &str,
) -> Result<Url, String> {
    let path = url.path().to_ascii_lowercase();
    let problem = if scheme_missing {
        "is missing https://"
    } else if url.scheme() != "https" {
        "must start with https://"
    } else if path.trim_end_matches('/').ends_with("/v2/token") {
        "ends with /v2/token, which credwatch adds itself"
    } else if path != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || url.port().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        "has more than the Authentication Base URI (nothing may follow the domain)"
    } else {
        let canonical = format!("https://{}{SFMC_DOMAIN}/", subdomain.unwrap_or_default());
        return Url::parse(&canonical).map_err(|_| format!("is not a valid URL; {fix}"));
    };
    Err(format!("{problem}; {fix}"))
}

/// Whether `url` is exactly an SFMC Authentication Base URI,
/// `https://<28 of [a-z0-9-]>.auth.marketingcloudapis.com/` (the form Setup > Installed Packages
/// shows, and the form validation normalises every accepted `auth_url` to). The one rule both
/// inventory validation and the probe's check of stored rows use.
pub fn is_sfmc_auth_url(url: &str) -> bool {
    url.strip_prefix("https://")
        .and_then(|rest| rest.strip_suffix('/'))
        .and_then(|host| host.strip_suffix(SFMC_DOMAIN))
        .is_some_and(is_sfmc_subdomain)
}

/// Why an `auth_url` carrying userinfo (`user@` or `user:password@` before the host) is refused,
/// whatever the endpoint options, at validation and at probe time: the part before `@` can
/// spell an SFMC address while the request goes to the host after it. `None` without userinfo.
/// The message never repeats the userinfo (it may be a password).
pub fn userinfo_refusal(url: &Url) -> Option<String> {
    (!url.username().is_empty() || url.password().is_some()).then(|| {
        let host = url.host_str().unwrap_or_default();
        format!(
            "contains a user name or password before `@`, so the request would go to {} whatever \
             comes before it; an auth_url never carries credentials: {}",
            crate::text::printable::echo(host),
            auth_url_fix(None)
        )
    })
}

/// Why a host written with international characters (an IDN: a label encoded `xn--...`) is
/// refused as SFMC's: SFMC's addresses are plain ASCII, so an IDN host is never an SFMC host,
/// and one that decodes to something resembling SFMC's or ExactTarget's domain
/// (`marketіngcloudapis` with a Cyrillic `і`) is a look-alike. `None` for a host without IDN
/// labels, or an IDN host that resembles no SFMC address (left to the endpoint policy).
pub fn lookalike_refusal(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    if !host.split('.').any(|label| label.starts_with("xn--")) {
        return None;
    }
    let (unicode, _) = idna::domain_to_unicode(&host);
    // Each non-ASCII character stands for the ASCII one it imitates: one edit away.
    let skeleton: String = unicode
        .chars()
        .map(|c| if c.is_ascii() { c } else { '?' })
        .collect();
    let (_, rest) = skeleton.split_once('.').unwrap_or((skeleton.as_str(), ""));
    let resembles = host.ends_with(&format!(".{SFMC_API_DOMAIN}"))
        || near_sfmc_domain(&skeleton, rest)
        || names_sfmc(&skeleton)
        || skeleton.contains("marketingcloud")
        || skeleton.contains("exacttarget");
    resembles.then(|| {
        format!(
            "is written with international characters ({}, shown as {}) that imitate an SFMC \
             address; SFMC's addresses are plain ASCII",
            crate::text::printable::echo(&host),
            crate::text::printable::echo(&unicode)
        )
    })
}

/// 28 of `[a-z0-9-]`, the form of an SFMC tenant subdomain (e.g. `mc563885gzs27c5t9-63k636ttgm`),
/// and not an IDN label (`xn--`): SFMC's names are plain ASCII.
fn is_sfmc_subdomain(label: &str) -> bool {
    !label.starts_with("xn--")
        && label.len() == 28
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A host (or all of it after the subdomain) a few typing mistakes away from an SFMC domain:
/// `.res.`, `auht.`, `marketingcloudapi.com`, `auth.marketingcloudapis.co`, a trailing dot.
fn near_sfmc_domain(host: &str, rest: &str) -> bool {
    let near = |text: &str| {
        [AUTH_DOMAIN, REST_DOMAIN, SOAP_DOMAIN]
            .iter()
            .any(|domain| strsim::levenshtein(text, domain) <= 3)
    };
    near(host) || near(rest)
}

/// A host with a label that is (nearly) SFMC's or ExactTarget's domain name, wherever it sits
/// (`x.auth.marketingcloudapis.com.example.net`), but not a name that merely starts like it
/// (`marketingcloud-proxy.corp.example`).
fn names_sfmc(host: &str) -> bool {
    host.split('.').any(|label| {
        ["marketingcloudapis", "exacttargetapis", "exacttarget"]
            .iter()
            .any(|name| strsim::levenshtein(label, name) <= 2)
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
