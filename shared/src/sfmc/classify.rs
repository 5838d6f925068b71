//! Classification of SFMC answers into outcome classes: pure functions over status and body.
//!
//! SFMC's statuses for several failures are undocumented, so the body decides first (OAuth
//! `{error, error_description}` or Marketing Cloud `{message, errorcode}`), and the status only
//! when the body says nothing we recognise.

use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::outcome::OutcomeClass;
use crate::secret::Secret;
use crate::sfmc::sanitize::sanitize;

/// An HTTP answer as the client read it.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub enum Body {
    Complete(Vec<u8>),
    /// The body was longer than the client's cap and was not read further.
    TooLarge {
        limit: usize,
    },
}

/// Why an attempt did not succeed, in the terms of the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub class: OutcomeClass,
    pub http_status: Option<u16>,
    pub message: String,
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

/// Reads the token endpoint's answer. `secrets` are redacted from any text we keep.
pub fn classify_token_answer(
    answer: &HttpAnswer,
    policy: EndpointPolicy,
    secrets: &[&Secret],
) -> Result<TokenGrant, Failure> {
    let status = answer.status;
    let body = match &answer.body {
        Body::Complete(bytes) => bytes,
        Body::TooLarge { limit } => {
            let class = class_for_status(status).unwrap_or(OutcomeClass::MalformedResponse);
            return Err(with_retry_after(
                Failure::new(
                    class,
                    Some(status),
                    format!(
                        "SFMC's token answer (HTTP {status}) was larger than {limit} bytes; not read further"
                    ),
                ),
                answer,
            ));
        }
    };
    let json: Option<Value> = serde_json::from_slice(body).ok();

    if let Some(failure) = json
        .as_ref()
        .and_then(|j| classify_error_body(j, status, secrets, Step::Token))
    {
        return Err(with_retry_after(failure, answer));
    }
    if !(200..300).contains(&status) {
        let class = class_for_status(status).unwrap_or(OutcomeClass::AuthRejected);
        let text = body_excerpt(body, secrets);
        return Err(with_retry_after(
            Failure::new(
                class,
                Some(status),
                format!("SFMC's token endpoint answered HTTP {status}{text}"),
            ),
            answer,
        ));
    }
    let Some(json) = json else {
        return Err(malformed(status, "SFMC's token answer was not JSON"));
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
    let body = match &answer.body {
        Body::Complete(bytes) => bytes,
        Body::TooLarge { limit } => {
            let class = rest_class_for_status(status).unwrap_or(OutcomeClass::MalformedResponse);
            return Err(with_retry_after(
                Failure::new(
                    class,
                    Some(status),
                    format!(
                        "SFMC's tokenContext answer (HTTP {status}) was larger than {limit} bytes; not read further"
                    ),
                ),
                answer,
            ));
        }
    };
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(failure) = json
        .as_ref()
        .and_then(|j| classify_error_body(j, status, secrets, Step::Rest))
    {
        return Err(with_retry_after(failure, answer));
    }
    if !(200..300).contains(&status) {
        let class = rest_class_for_status(status).unwrap_or(OutcomeClass::RestUnauthorized);
        let text = body_excerpt(body, secrets);
        return Err(with_retry_after(
            Failure::new(
                class,
                Some(status),
                format!("SFMC's REST API answered HTTP {status} to tokenContext{text}"),
            ),
            answer,
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

/// Recognises the two SFMC error shapes. `None` when the body is not an error body.
fn classify_error_body(
    json: &Value,
    status: u16,
    secrets: &[&Secret],
    step: Step,
) -> Option<Failure> {
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_string);
    if let Some(error) = text("error") {
        let description = text("error_description").unwrap_or_default();
        let said = sanitize(&format!("{description} ({error})"), secrets);
        let lower = description.to_ascii_lowercase();
        let class = if lower.contains("not eligible to use the /v2/token") {
            OutcomeClass::LegacyPackage
        } else if lower.contains("ip address is unauthorized") {
            OutcomeClass::IpNotAllowlisted
        } else if error == "invalid_client" && lower.contains("invalid client id") {
            OutcomeClass::InvalidClientId
        } else if error == "invalid_client" && lower.contains("client authentication failed") {
            OutcomeClass::ClientAuthFailed
        } else {
            // An OAuth error we have no specific class for: the status tells transient from not.
            match step {
                Step::Token => class_for_status(status).unwrap_or(OutcomeClass::AuthRejected),
                Step::Rest => {
                    rest_class_for_status(status).unwrap_or(OutcomeClass::RestUnauthorized)
                }
            }
        };
        return Some(Failure::new(
            class,
            Some(status),
            format!("SFMC said: {said}"),
        ));
    }
    let errorcode = json.get("errorcode").and_then(Value::as_i64);
    let message = text("message");
    if errorcode.is_none() && message.is_none() {
        return None;
    }
    if (200..300).contains(&status) && json.get("access_token").is_some() {
        return None;
    }
    let said = match (&message, errorcode) {
        (Some(m), Some(code)) => sanitize(&format!("{m} (errorcode {code})"), secrets),
        (Some(m), None) => sanitize(m, secrets),
        (None, Some(code)) => format!("errorcode {code}"),
        (None, None) => String::new(),
    };
    let class = match errorcode {
        Some(50100) | Some(50200) => OutcomeClass::Throttled,
        Some(50300) => OutcomeClass::SfmcUnavailable,
        _ => match step {
            Step::Token => class_for_status(status).unwrap_or(if (200..300).contains(&status) {
                OutcomeClass::MalformedResponse
            } else {
                OutcomeClass::AuthRejected
            }),
            Step::Rest => {
                rest_class_for_status(status).unwrap_or(if (200..300).contains(&status) {
                    OutcomeClass::MalformedResponse
                } else {
                    OutcomeClass::RestUnauthorized
                })
            }
        },
    };
    Some(Failure::new(
        class,
        Some(status),
        format!("SFMC said: {said}"),
    ))
}

/// Status-only classes that hold on both endpoints: throttling and server faults.
fn class_for_status(status: u16) -> Option<OutcomeClass> {
    match status {
        429 => Some(OutcomeClass::Throttled),
        500..=599 => Some(OutcomeClass::SfmcUnavailable),
        _ => None,
    }
}

fn rest_class_for_status(status: u16) -> Option<OutcomeClass> {
    match status {
        401 | 403 => Some(OutcomeClass::RestUnauthorized),
        other => class_for_status(other),
    }
}

fn with_retry_after(mut failure: Failure, answer: &HttpAnswer) -> Failure {
    if failure.class == OutcomeClass::Throttled {
        failure.retry_after = answer.retry_after;
    }
    failure
}

fn malformed(status: u16, why: impl Into<String>) -> Failure {
    Failure::new(OutcomeClass::MalformedResponse, Some(status), why)
}

fn body_excerpt(body: &[u8], secrets: &[&Secret]) -> String {
    let text = String::from_utf8_lossy(body);
    let clean = sanitize(&text, secrets);
    if clean.is_empty() {
        String::new()
    } else {
        let short: String = clean.chars().take(120).collect();
        format!(": {short}")
    }
}

fn parse_rest_url(text: &str, policy: EndpointPolicy) -> Result<Url, String> {
    let mut url = Url::parse(text)
        .map_err(|_| "SFMC's token answer had no usable rest_instance_url".to_string())?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    let allowed = match policy {
        EndpointPolicy::AnyEndpoint => matches!(url.scheme(), "http" | "https"),
        EndpointPolicy::SfmcOnly => {
            url.scheme() == "https"
                && url
                    .host_str()
                    .is_some_and(|h| h.ends_with(".rest.marketingcloudapis.com"))
        }
    };
    if allowed {
        Ok(url)
    } else {
        Err(format!(
            "SFMC's token answer named a REST host outside marketingcloudapis.com ({}); the token was not sent there",
            url.host_str().unwrap_or("none")
        ))
    }
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

/// Parses `Retry-After` (seconds or an HTTP date) relative to `now`.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwatch_sim::fixtures;

    fn answer(status: u16, body: &str) -> HttpAnswer {
        HttpAnswer {
            status,
            retry_after: None,
            body: Body::Complete(body.as_bytes().to_vec()),
        }
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

    #[test]
    fn token_fixtures_classify_with_their_documented_status() {
        use OutcomeClass::*;
        let cases = [
            (200, fixtures::TOKEN_SUCCESS, Ok),
            (401, fixtures::TOKEN_INVALID_CLIENT_ID, InvalidClientId),
            (401, fixtures::TOKEN_CLIENT_AUTH_FAILED, ClientAuthFailed),
            (401, fixtures::TOKEN_LEGACY_PACKAGE, LegacyPackage),
            (400, fixtures::TOKEN_IP_NOT_ALLOWLISTED, IpNotAllowlisted),
            (400, fixtures::TOKEN_UNSUPPORTED_GRANT, AuthRejected),
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
        // Unknown bodies fall back to the status.
        assert_eq!(
            token_class(404, r#"{"message":"Not Found","errorcode":404}"#),
            AuthRejected
        );
        assert_eq!(
            token_class(502, "<html>Bad gateway</html>"),
            SfmcUnavailable
        );
        assert_eq!(token_class(403, ""), AuthRejected);
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
    }

    #[test]
    fn malformed_success_bodies() {
        use OutcomeClass::*;
        assert_eq!(token_class(200, r#"{"access_token": "#), MalformedResponse);
        assert_eq!(token_class(200, "<html>hello</html>"), MalformedResponse);
        assert_eq!(
            token_class(200, r#"{"token_type":"Bearer"}"#),
            MalformedResponse
        );
        let too_large = HttpAnswer {
            status: 200,
            retry_after: None,
            body: Body::TooLarge { limit: 10 },
        };
        let failure = classify_token_answer(&too_large, EndpointPolicy::SfmcOnly, &[]).unwrap_err();
        assert_eq!(failure.class, MalformedResponse);
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
        let foreign = fixtures::TOKEN_SUCCESS.replace(
            "https://mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com/",
            "http://127.0.0.1:9/",
        );
        let failure = classify_token_answer(&answer(200, &foreign), EndpointPolicy::SfmcOnly, &[])
            .unwrap_err();
        assert_eq!(failure.class, OutcomeClass::MalformedResponse);
        assert!(
            classify_token_answer(&answer(200, &foreign), EndpointPolicy::AnyEndpoint, &[]).is_ok()
        );
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
        assert_eq!(rest_class(403, ""), RestUnauthorized);
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
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 10:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
