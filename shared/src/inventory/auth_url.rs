//! `auth_url`: the address the secret is sent to. An SFMC address must be the Authentication
//! Base URI (`https://<subdomain>.auth.marketingcloudapis.com/`, research §1.1); near misses get
//! the exact fix; other addresses only with `CREDWATCH_ALLOW_ANY_ENDPOINT=1`.

use serde_yaml_ng::Value;
use url::Url;

use super::bounds::URL_MAX;
use super::options::{ALLOW_ANY_ENDPOINT_VAR, LoadOptions};
use super::report::At;

/// The domain of SFMC's Authentication Base URIs, after the tenant's subdomain.
const SFMC_DOMAIN: &str = ".auth.marketingcloudapis.com";

/// Longest piece of a written `auth_url` echoed back in a problem, in characters.
const MAX_ECHO_CHARS: usize = 120;

pub(super) fn parse_auth_url(at: &mut At, value: &Value, options: &LoadOptions) -> Option<Url> {
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
/// `https://<28 of [a-z0-9-]>.auth.marketingcloudapis.com/` (the form Setup > Apps > Installed Packages
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
