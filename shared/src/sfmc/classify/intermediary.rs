//! Answers that are not SFMC's API speaking: redirects, proxy challenges, gateway and firewall
//! pages, and the bare statuses that SFMC documents. The evidence of a proxy (`Via`, a known
//! intermediary `Server`) and the words that name who answered, sanitized and capped.

use serde_json::Value;
use url::Url;

use super::answer::{AnswerHeaders, Body, HttpAnswer, Step, complete_json};
use super::failure::Failure;
use crate::domain::outcome::OutcomeClass;
use crate::secrets::Secret;
use crate::sfmc::sanitize::sanitize;

/// A non-2xx answer whose body is not an SFMC error body (HTML, text, other JSON, empty, or
/// too large to read).
pub(super) fn classify_non_sfmc_body(
    answer: &HttpAnswer,
    secrets: &[&Secret],
    step: Step,
) -> Failure {
    let status = answer.status;
    let empty = matches!(&answer.body, Body::Complete(bytes) if bytes.trim_ascii().is_empty());
    let request = step.request();
    // A bare answer only counts as SFMC's when nothing says a proxy made it: SFMC's KB documents
    // a bare 401 and its error table a 596, but an HTML page or a `Via` / known intermediary
    // `Server` header means something else answered in SFMC's place.
    let proxied = proxy_evidence(&answer.headers);
    match status {
        // SFMC's own status (its error table lists 596 "Service Not Found" among
        // authentication errors); no proxy invents it, but one may serve its page with it.
        596 if !proxied && !looks_like_html(answer) => Failure::new(
            OutcomeClass::ServiceNotFound,
            Some(status),
            format!("SFMC answered HTTP 596 (Service Not Found) to {request}"),
        ),
        596 => intermediary(answer, secrets, step),
        // A gateway or load balancer that could not reach SFMC is still an outage: transient,
        // but the message says the answer was not SFMC's API speaking.
        500..=599 => {
            let detail = if empty {
                " with an empty body".to_string()
            } else {
                format!(
                    ", not in SFMC's API format ({})",
                    who_answered(answer, secrets)
                )
            };
            Failure::new(
                OutcomeClass::SfmcUnavailable,
                Some(status),
                format!("HTTP {status} to {request}{detail}"),
            )
        }
        // SFMC's KB documents a bare "401 Unauthorized" (inactive package user) and proxies
        // ask for their own credentials with 407, not 401: a bare 401 is SFMC refusing.
        401 if empty && !proxied => Failure::new(
            match step {
                Step::Token => OutcomeClass::AuthRejected,
                Step::Rest => OutcomeClass::RestUnauthorized,
            },
            Some(status),
            format!("SFMC answered HTTP 401 (Unauthorized) to {request}, with no details"),
        ),
        429 if empty => Failure::new(
            OutcomeClass::Throttled,
            Some(status),
            format!("SFMC answered HTTP 429 (Too Many Requests) to {request}"),
        ),
        _ => intermediary(answer, secrets, step),
    }
}

/// `Server` values of proxies, CDNs, gateways and firewalls (lower case, matched as a prefix of
/// the header's product name): an answer carrying one was made by that product, not by SFMC.
pub(super) const INTERMEDIARY_SERVERS: [&str; 18] = [
    "cloudflare",
    "akamai",
    "zscaler",
    "squid",
    "kong",
    "big-ip",
    "bigip",
    "f5",
    "fortigate",
    "fortiweb",
    "barracuda",
    "bluecoat",
    "imperva",
    "incapsula",
    "netskope",
    "varnish",
    "cloudfront",
    "awselb",
];

/// Whether the headers show that an intermediary made the answer: a `Via` header (RFC 9110
/// §7.6.3: every proxy adds one) or a `Server` naming a proxy, CDN, gateway or firewall.
pub(super) fn proxy_evidence(headers: &AnswerHeaders) -> bool {
    let server = headers
        .server
        .as_deref()
        .map(|s| s.trim().to_ascii_lowercase())
        .unwrap_or_default();
    headers.via.is_some()
        || INTERMEDIARY_SERVERS
            .iter()
            .any(|product| server.starts_with(product))
}

/// `intermediary_blocked`: something that is not SFMC's API answered. The message names it.
pub(super) fn intermediary(answer: &HttpAnswer, secrets: &[&Secret], step: Step) -> Failure {
    let status = answer.status;
    let request = capitalise(step.request());
    let message = if (300..400).contains(&status) {
        format!(
            "{request} was redirected (HTTP {status}{}), which SFMC's API never does: a proxy, \
             firewall, CDN or captive portal is in the way (credwatch does not follow redirects)",
            redirect_target(answer, secrets)
        )
    } else {
        format!(
            "{request} got an answer that is not SFMC's (HTTP {status}, {}): a proxy, firewall, \
             CDN or captive portal is in the way",
            who_answered(answer, secrets)
        )
    };
    Failure::new(OutcomeClass::IntermediaryBlocked, Some(status), message)
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// ` to host` of a redirect's `Location` (the host only: a path or query may carry anything).
pub(super) fn redirect_target(answer: &HttpAnswer, secrets: &[&Secret]) -> String {
    let Some(location) = answer.headers.location.as_deref() else {
        return " with no Location".to_string();
    };
    match Url::parse(location.trim()) {
        // Parsing lower-cases (and percent-decodes) the host, so a secret written into it no
        // longer matches as sent: compare without case before showing anything of it.
        Ok(url)
            if url
                .host_str()
                .is_some_and(|host| carries_secret(host, secrets)) =>
        {
            " to [redacted]".to_string()
        }
        Ok(url) => match clean(url.host_str(), secrets, 80) {
            Some(host) => format!(" to {host}"),
            None => " to a non-web address".to_string(),
        },
        // A relative Location stays on the host we asked.
        Err(_) => " to another path on the same host".to_string(),
    }
}

/// Whether `text` holds one of `secrets` in any letter case (secrets shorter than 4 characters
/// are not searched for, as in [`sanitize`]).
pub(super) fn carries_secret(text: &str, secrets: &[&Secret]) -> bool {
    let text = text.to_lowercase();
    secrets.iter().any(|secret| {
        let value = secret.expose();
        value.chars().count() >= 4 && text.contains(&value.to_lowercase())
    })
}

/// `server "Zscaler", page "Website blocked"`: who answered as far as the headers and body
/// say, each part sanitized and capped.
pub(super) fn who_answered(answer: &HttpAnswer, secrets: &[&Secret]) -> String {
    let mut parts = Vec::new();
    let headers = &answer.headers;
    if let Some(server) = clean(headers.server.as_deref(), secrets, 60) {
        parts.push(format!("server \"{server}\""));
    } else if let Some(via) = clean(headers.via.as_deref(), secrets, 60) {
        parts.push(format!("via \"{via}\""));
    }
    let bytes = answer.body.bytes();
    if let Some(title) = clean(html_title(bytes).as_deref(), secrets, 80) {
        parts.push(format!("page \"{title}\""));
    } else if bytes.trim_ascii().is_empty() {
        parts.push("empty body".to_string());
    } else {
        let media = headers
            .content_type
            .as_deref()
            .and_then(|ct| ct.split(';').next())
            .map(str::trim)
            .filter(|ct| !ct.is_empty());
        let json = complete_json(answer);
        let kind = match clean(media, secrets, 40) {
            Some(media) => format!("a body of type {media}"),
            None if looks_like_html(answer) => "an HTML page".to_string(),
            None if json.is_some() => "a JSON body".to_string(),
            None => "a body of unknown type".to_string(),
        };
        // What a gateway's JSON says ("Forbidden", "No API key found in request") tells which
        // gateway rule refused; it is quoted as the gateway's words, never as SFMC's.
        let words = json.as_ref().and_then(|json| {
            ["message", "error_description", "error"]
                .iter()
                .find_map(|key| json.get(key).and_then(Value::as_str))
        });
        match clean(words, secrets, 80) {
            Some(words) => parts.push(format!("{kind} saying \"{words}\"")),
            None => parts.push(kind),
        }
    }
    if let Body::TooLarge { limit, .. } = answer.body {
        parts.push(format!("over {} KiB", limit / 1024));
    }
    parts.join(", ")
}

/// Sanitized (secrets and token-like words out, control characters out) and cut to `max`
/// characters; `None` when nothing is left.
pub(super) fn clean(text: Option<&str>, secrets: &[&Secret], max: usize) -> Option<String> {
    let clean = sanitize(text?, secrets);
    let clean = clean.replace('"', "'");
    (!clean.is_empty()).then(|| cap(&clean, max))
}

pub(super) fn cap(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    } else {
        text.to_string()
    }
}

pub(super) fn looks_like_html(answer: &HttpAnswer) -> bool {
    let typed = answer
        .headers
        .content_type
        .as_deref()
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("html"));
    let bytes = answer.body.bytes();
    let start = bytes.trim_ascii_start();
    typed || start.starts_with(b"<")
}

/// The text of the first `<title>` in an HTML page (entities for `& < > " '` decoded,
/// whitespace collapsed), looked for in the first 64 KiB only.
pub(super) fn html_title(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let raw = &text[start..end];
    let decoded = raw
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let collapsed = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    (!collapsed.is_empty()).then_some(collapsed)
}
