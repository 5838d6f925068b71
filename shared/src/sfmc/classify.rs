//! Classification of SFMC answers into outcome classes: pure functions over status, headers and
//! body.
//!
//! Only SFMC's own answers can make a credential, access or permission verdict. The order is:
//! 1. a redirect (3xx) is never SFMC's API answering (it does not redirect API calls), nor is a
//!    proxy's own challenge (407), so both are `intermediary_blocked` whatever the body says;
//! 2. an SFMC error body decides by its words and codes, then by its status. Only SFMC's own
//!    shapes count, strictly: OAuth `{error, error_description, error_uri}` with an RFC 6749
//!    code SFMC uses and SFMC's `error_uri` if any, or Marketing Cloud `{message, errorcode,
//!    documentation}` with a numeric `errorcode` (or SFMC's documentation link). A gateway's
//!    `{"message":"Forbidden"}` or `{"error":"access_denied"}` is not SFMC's answer;
//! 3. otherwise the status decides, knowing the body is not SFMC's: 596 ("Service Not Found" in
//!    SFMC's error table) is `service_not_found`, other 5xx stay transient (`sfmc_unavailable`,
//!    naming what answered), an empty 401 is SFMC's refusal and an empty 429 its throttling, and
//!    any other 4xx (HTML, text, other JSON or empty) is `intermediary_blocked`. A bare 401 or
//!    596 is SFMC's only when no `Via` or intermediary `Server` header (and, for 596, no HTML
//!    page) shows that a proxy made it.
//!
//! A body's size never changes its verdict: a body over the client's cap is read as far as the
//! cap, and one JSON value padded with whitespace is still that value.
//!
//! SFMC's statuses for several failures are undocumented, which is why the body goes first.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use url::Url;

use crate::domain::outcome::OutcomeClass;
use crate::secrets::Secret;
use crate::sfmc::sanitize::sanitize;

/// An HTTP answer as the client read it.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    /// `Retry-After` (seconds or an HTTP date), as a wait from when the answer arrived; `None`
    /// when absent or unreadable.
    pub retry_after: Option<Duration>,
    /// The headers that tell who answered.
    pub headers: AnswerHeaders,
    pub body: Body,
}

impl HttpAnswer {
    /// An answer with a complete body and no headers of interest.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpAnswer {
            status,
            retry_after: None,
            headers: AnswerHeaders::default(),
            body: Body::Complete(body.into()),
        }
    }
}

/// The response headers classification looks at, as text (lossy UTF-8, each capped at
/// [`MAX_HEADER_CHARS`] by the client). Never shown unsanitized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerHeaders {
    /// `Server`, e.g. `cloudflare`, `AkamaiGHost`, `squid/5.7`.
    pub server: Option<String>,
    /// `Via`, which proxies add (used when there is no `Server`).
    pub via: Option<String>,
    /// `Content-Type`, e.g. `text/html; charset=utf-8`.
    pub content_type: Option<String>,
    /// `Location` of a redirect.
    pub location: Option<String>,
}

/// Longest header value kept, in characters.
pub const MAX_HEADER_CHARS: usize = 256;

#[derive(Debug, Clone)]
pub enum Body {
    Complete(Vec<u8>),
    /// The body was longer than the client's cap; only its first `limit` bytes were read.
    TooLarge {
        limit: usize,
        prefix: Vec<u8>,
    },
}

impl Body {
    /// The bytes read: all of them, or the prefix of a body that was too large.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Body::Complete(bytes) => bytes,
            Body::TooLarge { prefix, .. } => prefix,
        }
    }
}

/// Why an attempt did not succeed, in the terms of the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub class: OutcomeClass,
    pub http_status: Option<u16>,
    pub message: String,
    /// The wait asked for (`Retry-After`, else the body's `retryAfter`), at most
    /// [`MAX_RETRY_AFTER`].
    pub retry_after: Option<Duration>,
}

impl Failure {
    fn new(class: OutcomeClass, status: Option<u16>, message: impl Into<String>) -> Self {
        Failure {
            class,
            http_status: status,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// What a successful token answer gives us. The access token is a [`Secret`]: it is used once,
/// for tokenContext, and never stored or printed.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub access_token: Secret,
    pub expires_in: Option<u64>,
    /// `None` when SFMC's answer had no `scope` field.
    pub scopes: Option<Vec<String>>,
    pub rest_instance_url: Url,
}

/// `organization.id` / `enterprise.id` from tokenContext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenContext {
    pub organization_id: u64,
    pub enterprise_id: Option<u64>,
}

/// Where we will send an access token. Outside tests and simulators, only to SFMC's own REST
/// hosts over HTTPS, whatever the token answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointPolicy {
    SfmcOnly,
    AnyEndpoint,
}

/// OAuth errors that say the request itself was wrong, not the credential: credwatch always
/// sends `grant_type=client_credentials` as JSON and never a `scope`, so SFMC answering one of
/// these means the request was changed on the way or sent to the wrong place (RFC 6749 §5.2).
const REQUEST_ERRORS: [&str; 4] = [
    "unsupported_grant_type",
    "invalid_request",
    "invalid_scope",
    "unsupported_response_type",
];

/// Reads the token endpoint's answer. `secrets` are redacted from any text we keep.
pub fn classify_token_answer(
    answer: &HttpAnswer,
    policy: EndpointPolicy,
    secrets: &[&Secret],
) -> Result<TokenGrant, Failure> {
    let status = answer.status;
    let json = complete_json(answer);
    if let Some(failure) = classify_failure(answer, json.as_ref(), secrets, Step::Token) {
        return Err(failure);
    }
    if let Body::TooLarge { limit, .. } = answer.body {
        return Err(malformed(
            status,
            format!(
                "SFMC's token answer (HTTP {status}) was larger than {limit} bytes; not read further"
            ),
        ));
    }
    let Some(json) = json else {
        return Err(malformed(
            status,
            format!(
                "The token answer was not JSON ({}); usually a maintenance or portal page",
                who_answered(answer, secrets)
            ),
        ));
    };
    let Some(token) = json
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return Err(malformed(status, "SFMC's token answer had no access_token"));
    };
    let access_token = Secret::new(token);
    let rest_url = json
        .get("rest_instance_url")
        .and_then(Value::as_str)
        .unwrap_or("");
    let rest_instance_url = match parse_rest_url(rest_url, policy) {
        Ok(url) => url,
        Err(why) => return Err(malformed(status, why)),
    };
    let scopes = json
        .get("scope")
        .and_then(Value::as_str)
        .map(|s| s.split_whitespace().map(str::to_string).collect());
    Ok(TokenGrant {
        access_token,
        expires_in: json.get("expires_in").and_then(Value::as_u64),
        scopes,
        rest_instance_url,
    })
}

/// Reads the tokenContext answer.
pub fn classify_context_answer(
    answer: &HttpAnswer,
    secrets: &[&Secret],
) -> Result<TokenContext, Failure> {
    let status = answer.status;
    let json = complete_json(answer);
    if let Some(failure) = classify_failure(answer, json.as_ref(), secrets, Step::Rest) {
        return Err(failure);
    }
    if let Body::TooLarge { limit, .. } = answer.body {
        return Err(malformed(
            status,
            format!(
                "SFMC's tokenContext answer (HTTP {status}) was larger than {limit} bytes; not read further"
            ),
        ));
    }
    let id_at = |pointer: &str| {
        json.as_ref()
            .and_then(|j| j.pointer(pointer))
            .and_then(as_id)
    };
    let organization_id = id_at("/organization/id");
    match organization_id {
        Some(organization_id) => Ok(TokenContext {
            organization_id,
            enterprise_id: id_at("/enterprise/id"),
        }),
        None => Err(malformed(
            status,
            "SFMC's tokenContext answer had no organization.id",
        )),
    }
}

/// A MID as SFMC documents it (a number), or as a numeric string, which some proxies produce.
fn as_id(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

#[derive(Clone, Copy, PartialEq)]
enum Step {
    Token,
    Rest,
}

impl Step {
    /// The request, in the words of a message.
    fn request(self) -> &'static str {
        match self {
            Step::Token => "the token request",
            Step::Rest => "the tokenContext call",
        }
    }
}

/// The body as JSON, when it parses. A body too large to read completely counts as JSON when
/// the part read is one JSON value followed only by whitespace, so padding never changes what
/// the body is (and so never the verdict); callers still refuse a too-large success body.
fn complete_json(answer: &HttpAnswer) -> Option<Value> {
    match &answer.body {
        Body::Complete(bytes) => serde_json::from_slice(bytes).ok(),
        Body::TooLarge { prefix, .. } => {
            let mut values = serde_json::Deserializer::from_slice(prefix).into_iter::<Value>();
            let value = values.next()?.ok()?;
            prefix[values.byte_offset()..]
                .trim_ascii()
                .is_empty()
                .then_some(value)
        }
    }
}

/// The failure an answer shows, or `None` for a 2xx that is not an SFMC error body (then the
/// caller reads it as a success). Carries the wait SFMC asked for, whatever the class.
fn classify_failure(
    answer: &HttpAnswer,
    json: Option<&Value>,
    secrets: &[&Secret],
    step: Step,
) -> Option<Failure> {
    let status = answer.status;
    // A redirect or a proxy's own challenge (407) is never SFMC's API, whatever the body says.
    let failure = if (300..400).contains(&status) || status == 407 {
        Some(intermediary(answer, secrets, step))
    } else if let Some(failure) = json.and_then(|j| classify_error_body(j, status, secrets, step)) {
        Some(failure)
    } else if (200..300).contains(&status) {
        None
    } else {
        Some(classify_non_sfmc_body(answer, secrets, step))
    }?;
    Some(with_retry_after(failure, answer, json))
}

/// The error codes of RFC 6749 §5.2 that SFMC's token endpoint answers with, and the two it
/// documents for its own trouble (`server_error`, `temporarily_unavailable`, RFC 6749 §4.1.2.1).
/// Other codes (`access_denied`, ...) are SFMC's only with SFMC's `error_uri`.
const SFMC_OAUTH_ERRORS: [&str; 8] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
];

/// SFMC's words for its one `invalid_grant` to a `client_credentials` request (the Login IP
/// Allowlist refusal; research §1.3).
const SFMC_IP_NOT_ALLOWLISTED: &str = "ip address is unauthorized";

/// Whether `url` is on SFMC's documentation site (`https://developer.salesforce.com/...`), the
/// link SFMC puts in `error_uri` (OAuth form) and `documentation` (Marketing Cloud form).
fn is_sfmc_documentation(url: &str) -> bool {
    Url::parse(url.trim()).is_ok_and(|url| {
        url.scheme() == "https" && url.host_str() == Some("developer.salesforce.com")
    })
}

/// SFMC's OAuth error form, strictly: `{"error": <code>, "error_description": <text>,
/// "error_uri": "https://developer.salesforce.com/docs"}` (every token fixture; research §1.3).
/// `error_uri` may be missing, but when present it must be SFMC's link. The code must be one
/// SFMC uses ([`SFMC_OAUTH_ERRORS`]), or any code when `error_uri` is SFMC's link. A decision
/// (the WAF case of issue 8): `client_credentials` has no grant that could be invalid (RFC 6749
/// §4.4), so SFMC's only `invalid_grant` is its IP-allowlist refusal; an `invalid_grant` with
/// other words and without SFMC's `error_uri` (e.g. `"blocked by WAF"`) is not SFMC's.
/// Returns `(error, error_description)`.
fn sfmc_oauth_error(json: &Value) -> Option<(&str, &str)> {
    let error = json.get("error")?.as_str()?;
    let description = json.get("error_description")?.as_str()?;
    let sfmc_link = match json.get("error_uri") {
        None => false,
        Some(uri) => {
            if !uri.as_str().is_some_and(is_sfmc_documentation) {
                return None;
            }
            true
        }
    };
    let known = SFMC_OAUTH_ERRORS.contains(&error)
        && (error != "invalid_grant"
            || description
                .to_ascii_lowercase()
                .contains(SFMC_IP_NOT_ALLOWLISTED));
    (known || sfmc_link).then_some((error, description))
}

/// SFMC's Marketing Cloud error form, strictly: `{"message": <text>, "errorcode": <integer>,
/// "documentation": <link>}` (every REST fixture; research §1.3, §4). `documentation` may be
/// missing or empty (SFMC's errorcode 10007 answer has `""`), but a non-empty one must be SFMC's
/// link. Without `errorcode`, SFMC's `documentation` link is the evidence instead (research §3.4
/// saw a bare `{"message": ...}` 403 from SFMC, possibly shortened by the tool). A string
/// `errorcode` is not SFMC's: no source shows one. Returns `(message, errorcode)`.
fn sfmc_rest_error(json: &Value) -> Option<(&str, Option<i64>)> {
    let message = json.get("message")?.as_str()?;
    let errorcode = match json.get("errorcode") {
        None => None,
        Some(code) => Some(code.as_i64()?),
    };
    let sfmc_link = match json.get("documentation") {
        None => false,
        Some(link) => {
            let link = link.as_str()?;
            if !link.trim().is_empty() && !is_sfmc_documentation(link) {
                return None;
            }
            !link.trim().is_empty()
        }
    };
    (errorcode.is_some() || sfmc_link).then_some((message, errorcode))
}

/// Recognises SFMC's two error shapes ([`sfmc_oauth_error`], [`sfmc_rest_error`]). `None` when
/// the body is not one of them: then it is not SFMC's words, whatever fields it has.
fn classify_error_body(
    json: &Value,
    status: u16,
    secrets: &[&Secret],
    step: Step,
) -> Option<Failure> {
    if let Some((error, description)) = sfmc_oauth_error(json) {
        let said = sanitize(&format!("{description} ({error})"), secrets);
        let lower = description.to_ascii_lowercase();
        let class = if lower.contains("not eligible to use the /v2/token") {
            OutcomeClass::LegacyPackage
        } else if lower.contains(SFMC_IP_NOT_ALLOWLISTED) {
            OutcomeClass::IpNotAllowlisted
        } else if error == "invalid_client" && lower.contains("invalid client id") {
            OutcomeClass::InvalidClientId
        } else if error == "invalid_client" && lower.contains("client authentication failed") {
            OutcomeClass::ClientAuthFailed
        } else if REQUEST_ERRORS.contains(&error) {
            OutcomeClass::RequestRejected
        } else if matches!(error, "server_error" | "temporarily_unavailable") {
            // RFC 6749 §5.2 / §4.1.2.1: SFMC saying it is having trouble.
            OutcomeClass::SfmcUnavailable
        } else {
            // An OAuth error we have no specific class for: the status tells the kind.
            sfmc_status_class(status, step)
        };
        return Some(Failure::new(
            class,
            Some(status),
            format!("SFMC said: {said}"),
        ));
    }
    let (message, errorcode) = sfmc_rest_error(json)?;
    if (200..300).contains(&status) && json.get("access_token").is_some() {
        return None;
    }
    let said = match errorcode {
        Some(code) => sanitize(&format!("{message} (errorcode {code})"), secrets),
        None => sanitize(message, secrets),
    };
    // Custom codes from SFMC's "Handle Errors in REST API" table.
    let class = match errorcode {
        Some(50100) | Some(50200) => OutcomeClass::Throttled,
        Some(50300) => OutcomeClass::SfmcUnavailable,
        // "Authorization token invalid on this endpoint" / "on URL": the wrong stack's host.
        Some(40002) | Some(40003) => OutcomeClass::ServiceNotFound,
        _ if (200..300).contains(&status) => OutcomeClass::MalformedResponse,
        _ => sfmc_status_class(status, step),
    };
    Some(Failure::new(
        class,
        Some(status),
        format!("SFMC said: {said}"),
    ))
}

/// The class of an SFMC error body that names no specific failure, from its status.
fn sfmc_status_class(status: u16, step: Step) -> OutcomeClass {
    match status {
        429 => OutcomeClass::Throttled,
        // Routing answers: SFMC has nothing at that URL for this caller.
        404 | 405 | 410 | 596 => OutcomeClass::ServiceNotFound,
        500..=599 => OutcomeClass::SfmcUnavailable,
        _ => match step {
            Step::Token => OutcomeClass::AuthRejected,
            Step::Rest => OutcomeClass::RestUnauthorized,
        },
    }
}

/// A non-2xx answer whose body is not an SFMC error body (HTML, text, other JSON, empty, or
/// too large to read).
fn classify_non_sfmc_body(answer: &HttpAnswer, secrets: &[&Secret], step: Step) -> Failure {
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
const INTERMEDIARY_SERVERS: [&str; 18] = [
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
fn proxy_evidence(headers: &AnswerHeaders) -> bool {
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
fn intermediary(answer: &HttpAnswer, secrets: &[&Secret], step: Step) -> Failure {
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

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// ` to host` of a redirect's `Location` (the host only: a path or query may carry anything).
fn redirect_target(answer: &HttpAnswer, secrets: &[&Secret]) -> String {
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
fn carries_secret(text: &str, secrets: &[&Secret]) -> bool {
    let text = text.to_lowercase();
    secrets.iter().any(|secret| {
        let value = secret.expose();
        value.chars().count() >= 4 && text.contains(&value.to_lowercase())
    })
}

/// `server "Zscaler", page "Website blocked"`: who answered as far as the headers and body
/// say, each part sanitized and capped.
fn who_answered(answer: &HttpAnswer, secrets: &[&Secret]) -> String {
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
fn clean(text: Option<&str>, secrets: &[&Secret], max: usize) -> Option<String> {
    let clean = sanitize(text?, secrets);
    let clean = clean.replace('"', "'");
    (!clean.is_empty()).then(|| cap(&clean, max))
}

fn cap(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    } else {
        text.to_string()
    }
}

fn looks_like_html(answer: &HttpAnswer) -> bool {
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
fn html_title(bytes: &[u8]) -> Option<String> {
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

/// Attaches the wait SFMC asked for: the `Retry-After` header, or else the `retryAfter` field
/// of SFMC's rate-limit body (a number of seconds, or a numeric string).
/// Capped at [`MAX_RETRY_AFTER`].
fn with_retry_after(mut failure: Failure, answer: &HttpAnswer, json: Option<&Value>) -> Failure {
    failure.retry_after = answer
        .retry_after
        .or_else(|| json.and_then(body_retry_after))
        .map(|wait| wait.min(MAX_RETRY_AFTER));
    failure
}

/// The longest wait an answer can ask for, as far as credwatch records it: one day. The probe
/// waits far less (its own cap, `RetryPolicy::max_retry_after`); this bound keeps what is
/// reported (`retry_after_secs` in JSON output and history) sane when a header says
/// `99999999999999999999` or a date in the year 9999. A wait of a day or more means "not soon"
/// either way.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// `retryAfter` of an SFMC error body, in seconds; anything else is ignored.
fn body_retry_after(json: &Value) -> Option<Duration> {
    let value = json.get("retryAfter")?;
    let secs = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs(secs.ceil() as u64))
}

fn malformed(status: u16, why: impl Into<String>) -> Failure {
    Failure::new(OutcomeClass::MalformedResponse, Some(status), why)
}

/// Reads `rest_instance_url`. SFMC documents it as `https://<host>/`; one SFMC doc example
/// shows a bare host, which is read as `https://<host>/`. A missing trailing slash is added.
fn parse_rest_url(text: &str, policy: EndpointPolicy) -> Result<Url, String> {
    let text = text.trim();
    let full = if text.contains("://") || text.starts_with('/') {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let mut url = Url::parse(&full)
        .ok()
        .filter(|url| url.host_str().is_some_and(|h| !h.is_empty()))
        .ok_or_else(|| "SFMC's token answer had no usable rest_instance_url".to_string())?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    let allowed = match policy {
        EndpointPolicy::AnyEndpoint => matches!(url.scheme(), "http" | "https"),
        EndpointPolicy::SfmcOnly => url.scheme() == "https" && is_sfmc_rest_host(&url),
    };
    if allowed {
        Ok(url)
    } else {
        Err(format!(
            "SFMC's token answer named a REST URL that is not https://<subdomain>.rest.marketingcloudapis.com/ ({}://{}); the token was not sent there",
            cap(url.scheme(), 10),
            cap(url.host_str().unwrap_or("none"), 80)
        ))
    }
}

/// `<subdomain>.rest.marketingcloudapis.com` (hosts are lower case once parsed).
pub fn is_sfmc_rest_host(url: &Url) -> bool {
    url.host_str()
        .and_then(|h| h.strip_suffix(".rest.marketingcloudapis.com"))
        .is_some_and(|sub| !sub.is_empty() && !sub.contains('.'))
}

/// Expected scopes that the token lacks, and granted scopes nobody asked for (a security note,
/// not a failure). Both sorted. Without expectations there is nothing to compare.
pub fn scope_diff(expected: &[String], granted: &[String]) -> (Vec<String>, Vec<String>) {
    if expected.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mut missing: Vec<String> = expected
        .iter()
        .filter(|s| !granted.contains(s))
        .cloned()
        .collect();
    let mut unexpected: Vec<String> = granted
        .iter()
        .filter(|s| !expected.contains(s))
        .cloned()
        .collect();
    missing.sort();
    missing.dedup();
    unexpected.sort();
    unexpected.dedup();
    (missing, unexpected)
}

/// Parses `Retry-After` relative to `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3, all
/// three date formats), capped at [`MAX_RETRY_AFTER`]. A date in the past is a wait of zero;
/// anything unreadable is `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturates: a 30-digit wait is "very long", not unreadable.
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwatch_sim::fixtures;

    fn answer(status: u16, body: &str) -> HttpAnswer {
        HttpAnswer::new(status, body.as_bytes())
    }

    /// An answer with `Server`, `Content-Type` and `Location` as given.
    fn with_headers(
        status: u16,
        body: &str,
        server: Option<&str>,
        content_type: Option<&str>,
        location: Option<&str>,
    ) -> HttpAnswer {
        HttpAnswer {
            headers: AnswerHeaders {
                server: server.map(str::to_string),
                via: None,
                content_type: content_type.map(str::to_string),
                location: location.map(str::to_string),
            },
            ..answer(status, body)
        }
    }

    fn token_failure(answer: &HttpAnswer) -> Failure {
        classify_token_answer(answer, EndpointPolicy::SfmcOnly, &[]).unwrap_err()
    }

    fn rest_failure(answer: &HttpAnswer) -> Failure {
        classify_context_answer(answer, &[]).unwrap_err()
    }

    fn token_class(status: u16, body: &str) -> OutcomeClass {
        match classify_token_answer(&answer(status, body), EndpointPolicy::SfmcOnly, &[]) {
            Ok(_) => OutcomeClass::Ok,
            Err(f) => f.class,
        }
    }

    fn rest_class(status: u16, body: &str) -> OutcomeClass {
        match classify_context_answer(&answer(status, body), &[]) {
            Ok(_) => OutcomeClass::Ok,
            Err(f) => f.class,
        }
    }

    /// Block pages as proxies, firewalls and CDNs send them (shortened; the shape is real).
    const BLOCK_PAGES: [(&str, &str); 5] = [
        (
            "Zscaler",
            "<html><head><title>Website blocked</title></head><body>Not allowed to browse this category</body></html>",
        ),
        (
            "AkamaiGHost",
            "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>You don't have permission to access this server.<P>Reference&#32;#18.1</BODY></HTML>",
        ),
        (
            "cloudflare",
            "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>Sorry, you have been blocked</body></html>",
        ),
        (
            "BigIP",
            "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Your support ID is: 1234567890</body></html>",
        ),
        (
            "squid/5.7",
            "<!DOCTYPE html><html><head><title>ERROR: The requested URL could not be retrieved</title></head><body>Access Denied.</body></html>",
        ),
    ];

    #[test]
    fn token_fixtures_classify_with_their_documented_status() {
        use OutcomeClass::*;
        let cases = [
            (200, fixtures::TOKEN_SUCCESS, Ok),
            (401, fixtures::TOKEN_INVALID_CLIENT_ID, InvalidClientId),
            (401, fixtures::TOKEN_CLIENT_AUTH_FAILED, ClientAuthFailed),
            (401, fixtures::TOKEN_LEGACY_PACKAGE, LegacyPackage),
            (400, fixtures::TOKEN_IP_NOT_ALLOWLISTED, IpNotAllowlisted),
            (400, fixtures::TOKEN_UNSUPPORTED_GRANT, RequestRejected),
            (429, fixtures::TOKEN_BLOCKED, Throttled),
            (429, fixtures::REST_RATE_LIMITED, Throttled),
            (500, fixtures::SERVER_ERROR, SfmcUnavailable),
        ];
        for (status, body, class) in cases {
            assert_eq!(token_class(status, body), class, "{status} {body}");
        }
    }

    #[test]
    fn body_decides_before_status() {
        use OutcomeClass::*;
        // Undocumented statuses for documented bodies still classify by the body.
        assert_eq!(
            token_class(400, fixtures::TOKEN_CLIENT_AUTH_FAILED),
            ClientAuthFailed
        );
        assert_eq!(
            token_class(403, fixtures::TOKEN_IP_NOT_ALLOWLISTED),
            IpNotAllowlisted
        );
        assert_eq!(
            token_class(400, fixtures::TOKEN_LEGACY_PACKAGE),
            LegacyPackage
        );
        assert_eq!(token_class(503, fixtures::TOKEN_BLOCKED), Throttled);
        assert_eq!(
            token_class(200, fixtures::TOKEN_INVALID_CLIENT_ID),
            InvalidClientId
        );
        assert_eq!(token_class(429, ""), Throttled);
        assert_eq!(
            token_class(
                503,
                r#"{"message":"Service Unavailable","errorcode":50300}"#
            ),
            SfmcUnavailable
        );
        assert_eq!(
            token_class(
                500,
                r#"{"error":"server_error","error_description":"oops"}"#
            ),
            SfmcUnavailable
        );
        assert_eq!(
            token_class(
                400,
                r#"{"error":"temporarily_unavailable","error_description":"try later"}"#
            ),
            SfmcUnavailable
        );
        // An SFMC OAuth error with no class of its own keeps the credential verdict.
        assert_eq!(
            token_class(
                400,
                r#"{"error":"unauthorized_client","error_description":"nope"}"#
            ),
            AuthRejected
        );
    }

    #[test]
    fn requests_credwatch_got_wrong_are_request_rejected_with_sfmcs_words() {
        for (status, error) in [
            (400, "unsupported_grant_type"),
            (400, "invalid_request"),
            (400, "invalid_scope"),
            (401, "invalid_request"),
            (400, "unsupported_response_type"),
        ] {
            let body = format!(
                r#"{{"error":"{error}","error_description":"The request was wrong.","error_uri":"https://developer.salesforce.com/docs"}}"#
            );
            let failure = token_failure(&answer(status, &body));
            assert_eq!(failure.class, OutcomeClass::RequestRejected, "{error}");
            assert_eq!(failure.class.kind(), crate::domain::outcome::Kind::Monitor);
            assert_eq!(
                failure.message,
                format!("SFMC said: The request was wrong. ({error})")
            );
        }
        let failure = token_failure(&answer(400, fixtures::TOKEN_UNSUPPORTED_GRANT));
        assert!(
            failure.message.contains("client_credentials"),
            "{failure:?}"
        );
    }

    #[test]
    fn block_pages_on_any_4xx_are_intermediary_blocked_naming_who_answered() {
        for (server, page) in BLOCK_PAGES {
            for status in [400, 401, 403, 404, 407, 418, 429, 451] {
                let a = with_headers(status, page, Some(server), Some("text/html"), None);
                for failure in [token_failure(&a), rest_failure(&a)] {
                    assert_eq!(
                        failure.class,
                        OutcomeClass::IntermediaryBlocked,
                        "{server} {status}"
                    );
                    assert_eq!(failure.http_status, Some(status));
                    assert!(
                        failure.message.contains(&format!("HTTP {status}"))
                            && failure.message.contains(&format!("server \"{server}\"")),
                        "{}",
                        failure.message
                    );
                    assert!(failure.message.contains("page \""), "{}", failure.message);
                    assert!(!failure.message.contains('<'), "{}", failure.message);
                }
            }
        }
        let zscaler = with_headers(403, BLOCK_PAGES[0].1, None, Some("text/html"), None);
        assert_eq!(
            token_failure(&zscaler).message,
            "The token request got an answer that is not SFMC's (HTTP 403, page \"Website blocked\"): \
             a proxy, firewall, CDN or captive portal is in the way"
        );
    }

    #[test]
    fn other_non_sfmc_bodies_on_4xx_are_intermediary_blocked() {
        use OutcomeClass::*;
        // Plain text, JSON that is not SFMC's shape, a JSON array: not SFMC's.
        assert_eq!(token_class(418, "I'm a teapot"), IntermediaryBlocked);
        assert_eq!(
            token_class(403, r#"{"fault":"blocked"}"#),
            IntermediaryBlocked
        );
        assert_eq!(rest_class(403, "[1,2]"), IntermediaryBlocked);
        // Empty: SFMC's only on 401 (its KB's bare 401) and 429.
        assert_eq!(token_class(401, ""), AuthRejected);
        assert_eq!(rest_class(401, " \n"), RestUnauthorized);
        assert_eq!(token_class(403, ""), IntermediaryBlocked);
        assert_eq!(rest_class(403, ""), IntermediaryBlocked);
        assert_eq!(token_class(407, ""), IntermediaryBlocked);
        assert_eq!(token_class(400, ""), IntermediaryBlocked);
        let text = token_failure(&with_headers(
            403,
            "blocked",
            None,
            Some("text/plain; charset=utf-8"),
            None,
        ));
        assert!(
            text.message.contains("a body of type text/plain"),
            "{}",
            text.message
        );
        let empty = token_failure(&answer(403, ""));
        assert!(
            empty.message.contains("HTTP 403, empty body"),
            "{}",
            empty.message
        );
    }

    /// Gateways' own JSON answers, as API Gateway, Kong, Cloudflare Access and a WAF send them
    /// (security review of issue 8): `(status, Server, body)`.
    const GATEWAY_JSON: [(u16, Option<&str>, &str); 7] = [
        (403, None, r#"{"message":"Forbidden"}"#),
        (401, Some("kong/3.4.2"), r#"{"message":"Unauthorized"}"#),
        (
            401,
            Some("kong/3.4.2"),
            r#"{"message":"No API key found in request"}"#,
        ),
        (403, Some("envoy"), r#"{"error":"access_denied"}"#),
        (
            401,
            Some("cloudflare"),
            r#"{"error":"unauthorized","error_description":"Cloudflare Access: sign in required","error_uri":"https://developers.cloudflare.com/cloudflare-one/"}"#,
        ),
        (
            400,
            Some("AWSALB"),
            r#"{"error":"invalid_grant","error_description":"blocked by WAF"}"#,
        ),
        (
            403,
            Some("gw"),
            r#"{"message":"Forbidden","errorcode":"403"}"#,
        ),
    ];

    #[test]
    fn gateway_json_is_never_taken_for_sfmcs_answer() {
        for (status, server, body) in GATEWAY_JSON {
            let a = with_headers(status, body, server, Some("application/json"), None);
            for failure in [token_failure(&a), rest_failure(&a)] {
                assert_eq!(
                    failure.class,
                    OutcomeClass::IntermediaryBlocked,
                    "{status} {body}"
                );
                assert_eq!(failure.class.kind(), crate::domain::outcome::Kind::Monitor);
                assert!(
                    !failure.message.contains("SFMC said"),
                    "{}",
                    failure.message
                );
                assert!(
                    failure.message.contains(&format!("HTTP {status}"))
                        && failure.message.contains("not SFMC's"),
                    "{}",
                    failure.message
                );
                if let Some(server) = server {
                    assert!(
                        failure.message.contains(&format!("server \"{server}\"")),
                        "{}",
                        failure.message
                    );
                }
            }
        }
        let kong = token_failure(&with_headers(
            401,
            r#"{"message":"No API key found in request"}"#,
            Some("kong/3.4.2"),
            None,
            None,
        ));
        assert_eq!(
            kong.message,
            "The token request got an answer that is not SFMC's (HTTP 401, server \"kong/3.4.2\", \
             a JSON body saying \"No API key found in request\"): a proxy, firewall, CDN or captive \
             portal is in the way"
        );
        // Other statuses of the same kind: any 3xx/4xx.
        for status in [400, 401, 403, 404, 405, 407, 409, 429, 451] {
            assert_eq!(
                token_class(status, r#"{"message":"Forbidden"}"#),
                OutcomeClass::IntermediaryBlocked,
                "{status}"
            );
        }
    }

    #[test]
    fn gateway_json_on_5xx_stays_transient_naming_who_answered() {
        for (body, server) in [
            (r#"{"message":"Internal server error"}"#, "awselb/2.0"),
            (
                r#"{"message":"An invalid response was received from the upstream server"}"#,
                "kong/3.4.2",
            ),
            (r#"{"error":"access_denied"}"#, "envoy"),
        ] {
            let a = with_headers(503, body, Some(server), Some("application/json"), None);
            for failure in [token_failure(&a), rest_failure(&a)] {
                assert_eq!(failure.class, OutcomeClass::SfmcUnavailable, "{body}");
                assert!(
                    !failure.message.contains("SFMC said"),
                    "{}",
                    failure.message
                );
                assert!(
                    failure.message.contains("not in SFMC's API format")
                        && failure.message.contains(&format!("server \"{server}\"")),
                    "{}",
                    failure.message
                );
            }
        }
    }

    #[test]
    fn sfmcs_shapes_are_recognised_strictly_but_keep_their_verdicts() {
        use OutcomeClass::*;
        // SFMC's own bodies (research §1.3, §3.4, §4) and the evidence each may carry.
        for (status, body, class) in [
            (
                403,
                r#"{"message":"Insufficient privileges to complete this action.","documentation":"https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"}"#,
                RestUnauthorized,
            ),
            (
                401,
                r#"{"message":"Unauthorized","errorcode":1}"#,
                RestUnauthorized,
            ),
            (
                401,
                r#"{"message":"Not eligible","errorcode":10007,"documentation":""}"#,
                RestUnauthorized,
            ),
            (
                401,
                r#"{"error":"access_denied","error_description":"x","error_uri":"https://developer.salesforce.com/docs"}"#,
                RestUnauthorized,
            ),
        ] {
            assert_eq!(rest_class(status, body), class, "{body}");
        }
        // SFMC's invalid_grant (IP allowlist) keeps its verdict without error_uri too.
        assert_eq!(
            token_class(
                400,
                r#"{"error":"invalid_grant","error_description":"The client's IP address is unauthorized for this account."}"#
            ),
            IpNotAllowlisted
        );
        // Another invalid_grant is SFMC's only with SFMC's error_uri.
        assert_eq!(
            token_class(
                400,
                r#"{"error":"invalid_grant","error_description":"blocked","error_uri":"https://developer.salesforce.com/docs"}"#
            ),
            AuthRejected
        );
        // Each required part missing or foreign makes the body someone else's.
        for body in [
            r#"{"error":"invalid_client"}"#,
            r#"{"error":"invalid_client","error_description":7}"#,
            r#"{"error":"invalid_client","error_description":"x","error_uri":"https://evil.example/docs"}"#,
            r#"{"error":"invalid_client","error_description":"x","error_uri":"http://developer.salesforce.com/docs"}"#,
            r#"{"error":"invalid_client","error_description":"x","error_uri":"https://developer.salesforce.com.evil.example/"}"#,
            r#"{"error":"invalid_client","error_description":"x","error_uri":null}"#,
            r#"{"error":42,"error_description":"x"}"#,
            r#"{"errorcode":0}"#,
            r#"{"message":"Not Authorized","errorcode":0.5}"#,
            r#"{"message":"Not Authorized","errorcode":null}"#,
            r#"{"message":"Not Authorized","errorcode":0,"documentation":"https://gateway.example/docs"}"#,
            r#"{"message":["Not Authorized"],"errorcode":0}"#,
            r#"{"message":"Not Authorized","documentation":""}"#,
        ] {
            assert_eq!(token_class(401, body), IntermediaryBlocked, "{body}");
            assert_eq!(rest_class(401, body), IntermediaryBlocked, "{body}");
        }
    }

    #[test]
    fn size_never_changes_the_verdict_of_a_json_body() {
        use OutcomeClass::*;
        let padded = |body: &str, pad: usize| {
            let full = format!("{body}{}", " ".repeat(pad));
            HttpAnswer {
                body: Body::TooLarge {
                    limit: 64 * 1024,
                    prefix: full.as_bytes()[..64 * 1024].to_vec(),
                },
                ..answer(403, "")
            }
        };
        for (body, class) in [
            (r#"{"message":"Forbidden"}"#, IntermediaryBlocked),
            (fixtures::REST_INSUFFICIENT_PRIVILEGES, RestUnauthorized),
        ] {
            let small = rest_failure(&answer(403, body));
            let big = rest_failure(&padded(body, 1024 * 1024));
            assert_eq!(small.class, class, "{body}");
            assert_eq!(big.class, class, "{body}");
        }
        let small = token_failure(&answer(403, r#"{"message":"Forbidden"}"#));
        let big = token_failure(&padded(r#"{"message":"Forbidden"}"#, 1024 * 1024));
        assert_eq!(small.class, IntermediaryBlocked);
        assert_eq!(big.class, IntermediaryBlocked);
        assert!(big.message.contains("over 64 KiB"), "{}", big.message);
        // Not whitespace after the value: not one JSON value, so not SFMC's either.
        let mut junk = padded(r#"{"message":"Forbidden"}"#, 1024 * 1024);
        if let Body::TooLarge { prefix, .. } = &mut junk.body {
            prefix.extend_from_slice(b"x");
        }
        assert_eq!(token_failure(&junk).class, IntermediaryBlocked);
    }

    #[test]
    fn reported_waits_are_at_most_one_day() {
        let huge = HttpAnswer {
            retry_after: Some(Duration::from_secs(u64::MAX)),
            ..answer(429, fixtures::TOKEN_BLOCKED)
        };
        assert_eq!(token_failure(&huge).retry_after, Some(MAX_RETRY_AFTER));
        for body in [
            r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":1e300}"#,
            r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":"99999999999999999999"}"#,
            r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":86401}"#,
        ] {
            assert_eq!(
                rest_failure(&answer(429, body)).retry_after,
                Some(MAX_RETRY_AFTER),
                "{body}"
            );
        }
    }

    #[test]
    fn every_redirect_is_intermediary_blocked_with_its_target_host() {
        for status in [300, 301, 302, 303, 307, 308] {
            let portal = with_headers(
                status,
                "",
                None,
                None,
                Some("http://captive.example.net/login?orig=https%3A%2F%2Fx&token=abc"),
            );
            for failure in [token_failure(&portal), rest_failure(&portal)] {
                assert_eq!(failure.class, OutcomeClass::IntermediaryBlocked, "{status}");
                assert!(
                    failure
                        .message
                        .contains(&format!("HTTP {status} to captive.example.net")),
                    "{}",
                    failure.message
                );
                assert!(!failure.message.contains("orig="), "{}", failure.message);
            }
            let nowhere = token_failure(&answer(status, ""));
            assert!(
                nowhere.message.contains("with no Location"),
                "{}",
                nowhere.message
            );
            let relative = token_failure(&with_headers(status, "", None, None, Some("/login")));
            assert!(
                relative.message.contains("same host"),
                "{}",
                relative.message
            );
            // Even with an SFMC-looking body, SFMC's API does not redirect.
            assert_eq!(
                token_class(status, fixtures::TOKEN_CLIENT_AUTH_FAILED),
                OutcomeClass::IntermediaryBlocked
            );
        }
    }

    #[test]
    fn size_never_changes_the_verdict_of_a_block_page() {
        let page = format!(
            "<html><head><title>Access Denied</title></head><body>{}</body></html>",
            "x".repeat(200 * 1024)
        );
        let prefix = page.as_bytes()[..64 * 1024].to_vec();
        let big = |status| HttpAnswer {
            status,
            retry_after: None,
            headers: AnswerHeaders {
                server: Some("AkamaiGHost".into()),
                content_type: Some("text/html".into()),
                ..AnswerHeaders::default()
            },
            body: Body::TooLarge {
                limit: 64 * 1024,
                prefix: prefix.clone(),
            },
        };
        for failure in [token_failure(&big(403)), rest_failure(&big(403))] {
            assert_eq!(failure.class, OutcomeClass::IntermediaryBlocked);
            assert!(
                failure.message.contains("page \"Access Denied\""),
                "{}",
                failure.message
            );
            assert!(
                failure.message.contains("over 64 KiB"),
                "{}",
                failure.message
            );
        }
        // A 5xx page of any size is still an outage; a 2xx that big is not a token answer.
        assert_eq!(
            token_failure(&big(502)).class,
            OutcomeClass::SfmcUnavailable
        );
        assert_eq!(
            token_failure(&big(200)).class,
            OutcomeClass::MalformedResponse
        );
        assert_eq!(
            rest_failure(&big(200)).class,
            OutcomeClass::MalformedResponse
        );
    }

    #[test]
    fn server_errors_stay_transient_and_name_what_answered() {
        let page = with_headers(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
            Some("cloudflare"),
            Some("text/html"),
            None,
        );
        for failure in [token_failure(&page), rest_failure(&page)] {
            assert_eq!(failure.class, OutcomeClass::SfmcUnavailable);
            assert!(
                failure.message.contains("not in SFMC's API format")
                    && failure.message.contains("server \"cloudflare\"")
                    && failure.message.contains("page \"502 Bad Gateway\""),
                "{}",
                failure.message
            );
        }
        assert_eq!(token_class(504, ""), OutcomeClass::SfmcUnavailable);
        assert_eq!(
            rest_class(500, fixtures::SERVER_ERROR),
            OutcomeClass::SfmcUnavailable
        );
    }

    #[test]
    fn routing_answers_are_service_not_found_on_both_endpoints() {
        use OutcomeClass::*;
        let not_found = r#"{"documentation":"https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm","errorcode":404,"message":"Not Found"}"#;
        for (status, body) in [
            (596, ""),
            (596, "Service Not Found"),
            (596, r#"{"message":"Service Not Found","errorcode":0}"#),
            (404, not_found),
            (405, r#"{"message":"Method Not Allowed","errorcode":0}"#),
            (410, r#"{"message":"Gone","errorcode":0}"#),
            (
                403,
                r#"{"message":"Authorization token invalid on this endpoint. Use the stack-level endpoint that matches your token.","errorcode":40002}"#,
            ),
            (
                403,
                r#"{"message":"Authorization token invalid on URL","errorcode":40003}"#,
            ),
        ] {
            assert_eq!(rest_class(status, body), ServiceNotFound, "{status} {body}");
            assert_eq!(
                token_class(status, body),
                ServiceNotFound,
                "{status} {body}"
            );
        }
        assert_eq!(
            ServiceNotFound.kind(),
            crate::domain::outcome::Kind::Permission
        );
        let failure = rest_failure(&answer(596, ""));
        assert_eq!(
            failure.message,
            "SFMC answered HTTP 596 (Service Not Found) to the tokenContext call"
        );
        // A 404 page that is not SFMC's is the network's, not a routing verdict.
        assert_eq!(
            rest_class(404, "<html><title>Not Found</title></html>"),
            IntermediaryBlocked
        );
    }

    /// A redirect's host is shown, unless it carries a secret in any case (URL parsing folds
    /// the host to lower case, past the redaction of the text as written).
    #[test]
    fn a_secret_in_a_redirect_host_is_never_shown_in_any_case() {
        let secret = Secret::new("Sx9aQ7mZ!kL3pR2tW8yB4nV6c");
        let mut answer = answer(302, "");
        answer.headers.location = Some(format!("https://{}.evil.example/x", secret.expose()));
        let failure = classify_token_answer(&answer, EndpointPolicy::SfmcOnly, &[&secret])
            .expect_err("a redirect");
        assert_eq!(failure.class, OutcomeClass::IntermediaryBlocked);
        let lower = failure.message.to_lowercase();
        assert!(!lower.contains("sx9aq7mz"), "{}", failure.message);
        assert!(
            failure.message.contains("to [redacted]"),
            "{}",
            failure.message
        );
        answer.headers.location = Some("https://portal.example/login".into());
        let failure = classify_token_answer(&answer, EndpointPolicy::SfmcOnly, &[&secret])
            .expect_err("a redirect");
        assert!(
            failure.message.contains("to portal.example"),
            "{}",
            failure.message
        );
    }

    /// Bare answers SFMC documents (an empty 401, a 596) are SFMC's only when nothing shows a
    /// proxy made them; a 407 is a proxy's own challenge whatever its body says.
    #[test]
    fn bare_answers_with_proxy_evidence_are_intermediary_blocked() {
        use OutcomeClass::*;
        let with = |status: u16, body: &str, server: Option<&str>, via: Option<&str>| {
            let mut answer = answer(status, body);
            answer.headers.server = server.map(str::to_string);
            answer.headers.via = via.map(str::to_string);
            answer
        };
        let sfmc_refusal = r#"{"error":"invalid_client","error_description":"Client authentication failed.","error_uri":"https://developer.salesforce.com/docs"}"#;
        let cases = [
            (with(401, "", Some("cloudflare"), None), IntermediaryBlocked),
            (with(401, "", None, Some("1.1 squid")), IntermediaryBlocked),
            (with(401, "", Some("Kong/3.4.0"), None), IntermediaryBlocked),
            (with(401, "", None, None), AuthRejected),
            (with(401, "", Some("Apache"), None), AuthRejected),
            (
                with(
                    596,
                    "<html><title>Attention Required! | Cloudflare</title></html>",
                    Some("cloudflare"),
                    None,
                ),
                IntermediaryBlocked,
            ),
            (
                with(596, "<html><title>x</title></html>", None, None),
                IntermediaryBlocked,
            ),
            (
                with(596, "", None, Some("1.1 corp-proxy")),
                IntermediaryBlocked,
            ),
            (with(596, "", None, None), ServiceNotFound),
            (with(407, sfmc_refusal, None, None), IntermediaryBlocked),
            (with(407, "", None, None), IntermediaryBlocked),
        ];
        for (answer, expected) in &cases {
            let token = classify_token_answer(answer, EndpointPolicy::SfmcOnly, &[])
                .expect_err("a failure");
            assert_eq!(
                token.class, *expected,
                "token {}: {:?}",
                answer.status, answer.headers
            );
            let rest_expected = match expected {
                AuthRejected => RestUnauthorized,
                other => *other,
            };
            assert_eq!(
                rest_failure(answer).class,
                rest_expected,
                "tokenContext {}: {:?}",
                answer.status,
                answer.headers
            );
            if *expected == IntermediaryBlocked {
                assert!(
                    !token.message.contains("SFMC answered"),
                    "{}",
                    token.message
                );
            }
        }
    }

    #[test]
    fn retry_after_is_kept_for_every_status_and_read_from_the_body_when_the_header_is_missing() {
        let header = |status, body: &str| HttpAnswer {
            retry_after: Some(Duration::from_secs(3)),
            ..answer(status, body)
        };
        let unavailable = r#"{"message":"Service Unavailable","errorcode":50300}"#;
        for (status, body) in [
            (503, unavailable),
            (429, fixtures::TOKEN_BLOCKED),
            (502, "<html>Bad gateway</html>"),
            (500, fixtures::SERVER_ERROR),
            (401, fixtures::TOKEN_CLIENT_AUTH_FAILED),
            (403, "<html>blocked</html>"),
            (302, ""),
        ] {
            let a = header(status, body);
            assert_eq!(
                token_failure(&a).retry_after,
                Some(Duration::from_secs(3)),
                "{status}"
            );
            assert_eq!(
                rest_failure(&a).retry_after,
                Some(Duration::from_secs(3)),
                "{status}"
            );
        }
        // The header wins over the body.
        assert_eq!(
            token_failure(&header(429, fixtures::REST_RATE_LIMITED)).retry_after,
            Some(Duration::from_secs(3))
        );
        // The body's retryAfter: a number or a numeric string, in seconds.
        for (body, wait) in [
            (fixtures::REST_RATE_LIMITED, Some(5)),
            (
                r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":"7"}"#,
                Some(7),
            ),
            (
                r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":2.5}"#,
                Some(3),
            ),
            (
                r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":"soon"}"#,
                None,
            ),
            (
                r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":-4}"#,
                None,
            ),
            (
                r#"{"message":"Rate limit exceeded","errorcode":50100}"#,
                None,
            ),
        ] {
            let failure = token_failure(&answer(429, body));
            assert_eq!(failure.class, OutcomeClass::Throttled);
            assert_eq!(failure.retry_after, wait.map(Duration::from_secs), "{body}");
        }
    }

    #[test]
    fn malformed_success_bodies() {
        use OutcomeClass::*;
        assert_eq!(token_class(200, r#"{"access_token": "#), MalformedResponse);
        assert_eq!(token_class(200, "<html>hello</html>"), MalformedResponse);
        let portal = token_failure(&with_headers(
            200,
            "<html><title>Guest Wi-Fi login</title></html>",
            Some("portal"),
            Some("text/html"),
            None,
        ));
        assert_eq!(
            portal.message,
            "The token answer was not JSON (server \"portal\", page \"Guest Wi-Fi login\"); usually a maintenance or portal page"
        );
        assert_eq!(
            token_class(200, r#"{"token_type":"Bearer"}"#),
            MalformedResponse
        );
        let too_large = HttpAnswer {
            body: Body::TooLarge {
                limit: 10,
                prefix: b"{\"access_t".to_vec(),
            },
            ..answer(200, "")
        };
        let failure = token_failure(&too_large);
        assert_eq!(failure.class, MalformedResponse);
        assert!(failure.message.contains("larger than 10 bytes"));
    }

    #[test]
    fn token_grant_fields_and_rest_host_policy() {
        let grant = classify_token_answer(
            &answer(200, fixtures::TOKEN_SUCCESS),
            EndpointPolicy::SfmcOnly,
            &[],
        )
        .unwrap();
        assert_eq!(grant.expires_in, Some(1079));
        let scopes = grant.scopes.unwrap();
        assert!(scopes.contains(&"data_extensions_read".to_string()));
        assert_eq!(scopes.len(), 11);
        // A token answer pointing the REST call at a foreign host never gets the token.
        let sfmc_rest = "https://mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com/";
        let foreign = fixtures::TOKEN_SUCCESS.replace(sfmc_rest, "http://127.0.0.1:9/");
        let failure = classify_token_answer(&answer(200, &foreign), EndpointPolicy::SfmcOnly, &[])
            .unwrap_err();
        assert_eq!(failure.class, OutcomeClass::MalformedResponse);
        assert!(
            classify_token_answer(&answer(200, &foreign), EndpointPolicy::AnyEndpoint, &[]).is_ok()
        );
        // SFMC's REST domain over http, or a look-alike domain, is refused too.
        for url in [
            "http://mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com/",
            "https://mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com.evil.example/",
            "https://evil.example/x.rest.marketingcloudapis.com/",
        ] {
            let body = fixtures::TOKEN_SUCCESS.replace(sfmc_rest, url);
            assert!(
                classify_token_answer(&answer(200, &body), EndpointPolicy::SfmcOnly, &[]).is_err(),
                "{url}"
            );
        }
    }

    #[test]
    fn a_bare_rest_host_is_read_as_https() {
        let sfmc_rest = "https://mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com/";
        for written in [
            "mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com",
            "mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com/",
            " MC563885GZS27C5T9-63K636TTGM.rest.marketingcloudapis.com ",
            "https://mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com",
        ] {
            let body = fixtures::TOKEN_SUCCESS.replace(sfmc_rest, written);
            let grant = classify_token_answer(&answer(200, &body), EndpointPolicy::SfmcOnly, &[])
                .unwrap_or_else(|f| panic!("{written}: {f:?}"));
            assert_eq!(grant.rest_instance_url.as_str(), sfmc_rest, "{written}");
        }
        for written in ["", "   ", "https://", "/platform/"] {
            let body = fixtures::TOKEN_SUCCESS.replace(sfmc_rest, written);
            let failure =
                classify_token_answer(&answer(200, &body), EndpointPolicy::AnyEndpoint, &[])
                    .unwrap_err();
            assert_eq!(
                failure.class,
                OutcomeClass::MalformedResponse,
                "{written:?}"
            );
        }
    }

    #[test]
    fn rest_fixtures_classify() {
        use OutcomeClass::*;
        assert_eq!(rest_class(200, fixtures::TOKEN_CONTEXT), Ok);
        assert_eq!(
            rest_class(401, fixtures::REST_NOT_AUTHORIZED),
            RestUnauthorized
        );
        assert_eq!(
            rest_class(403, fixtures::REST_INSUFFICIENT_PRIVILEGES),
            RestUnauthorized
        );
        assert_eq!(rest_class(429, fixtures::REST_RATE_LIMITED), Throttled);
        assert_eq!(rest_class(500, fixtures::SERVER_ERROR), SfmcUnavailable);
        assert_eq!(rest_class(200, "{}"), MalformedResponse);
        assert_eq!(rest_class(200, "not json"), MalformedResponse);
        let ctx = classify_context_answer(&answer(200, fixtures::TOKEN_CONTEXT), &[]).unwrap();
        assert_eq!(ctx.organization_id, 7281698);
        let quoted =
            classify_context_answer(&answer(200, r#"{"organization":{"id":"42"}}"#), &[]).unwrap();
        assert_eq!(quoted.organization_id, 42);
    }

    #[test]
    fn messages_keep_sfmc_words_without_secrets() {
        let secret = Secret::new("topsecretvalue99");
        let body = r#"{"error":"invalid_client","error_description":"Client authentication failed for topsecretvalue99"}"#;
        let failure =
            classify_token_answer(&answer(401, body), EndpointPolicy::SfmcOnly, &[&secret])
                .unwrap_err();
        assert_eq!(failure.class, OutcomeClass::ClientAuthFailed);
        assert!(failure.message.contains("Client authentication failed"));
        assert!(!failure.message.contains("topsecretvalue99"));
        // What answered is cleaned the same way: a block page echoing the secret, a Server
        // header carrying control characters, a title far too long.
        let page = format!(
            "<html><title>Blocked topsecretvalue99 {}</title></html>",
            "very long title ".repeat(40)
        );
        let echo = with_headers(
            403,
            &page,
            Some("evil\u{1b}[31m topsecretvalue99"),
            None,
            None,
        );
        let failure =
            classify_token_answer(&echo, EndpointPolicy::SfmcOnly, &[&secret]).unwrap_err();
        assert!(
            !failure.message.contains("topsecretvalue99"),
            "{}",
            failure.message
        );
        assert!(!failure.message.contains('\u{1b}'), "{}", failure.message);
        assert!(failure.message.chars().count() < 400, "{}", failure.message);
    }

    #[test]
    fn html_titles_are_found_decoded_and_collapsed() {
        assert_eq!(
            html_title(b"<HTML><HEAD><TITLE lang=en>\n  Access &amp; Denied\n</TITLE>").as_deref(),
            Some("Access & Denied")
        );
        assert_eq!(html_title(b"<html><title></title></html>"), None);
        assert_eq!(html_title(b"<html><title>never closed"), None);
        assert_eq!(html_title(b"no html at all"), None);
    }

    #[test]
    fn scope_diff_reports_both_sides() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (missing, unexpected) = scope_diff(&s(&["a", "b", "c"]), &s(&["b", "d", "a"]));
        assert_eq!(missing, s(&["c"]));
        assert_eq!(unexpected, s(&["d"]));
        assert_eq!(scope_diff(&[], &s(&["x"])), (vec![], vec![]));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_860_000); // 2026-11-28T10:00:00Z
        assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 10:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        // RFC 850 and asctime, which RFC 9110 says recipients must accept.
        assert_eq!(
            parse_retry_after("Saturday, 28-Nov-26 10:00:09 GMT", now),
            Some(Duration::from_secs(9))
        );
        assert_eq!(
            parse_retry_after("Sat Nov 28 10:00:04 2026", now),
            Some(Duration::from_secs(4))
        );
        // A date in the past means now.
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 10:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for garbage in [
            "soon",
            "",
            "-5",
            "1.5",
            "5s",
            "Sat, 99 Nov 2026 10:00:07 GMT",
        ] {
            assert_eq!(parse_retry_after(garbage, now), None, "{garbage:?}");
        }
        // Absurd waits are reported as one day (MAX_RETRY_AFTER), never as u64::MAX seconds.
        for absurd in [
            "99999999999999999999",
            "99999999999999999999999",
            "18446744073709551615",
            "86401",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(
                parse_retry_after(absurd, now),
                Some(MAX_RETRY_AFTER),
                "{absurd}"
            );
        }
        assert_eq!(MAX_RETRY_AFTER, Duration::from_secs(86_400));
        assert_eq!(
            parse_retry_after("86400", now),
            Some(Duration::from_secs(86_400))
        );
    }
}
