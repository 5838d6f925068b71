//! The token endpoint's answer (`POST /v2/token`): the grant, and where its token may go.

use serde_json::Value;
use url::Url;

use super::answer::{Body, HttpAnswer, Step, complete_json};
use super::failure::{Failure, malformed};
use super::intermediary::{cap, who_answered};
use super::verdict::classify_failure;
use crate::secrets::Secret;

/// What a successful token answer gives us. The access token is a [`Secret`]: it is used once,
/// for tokenContext, and never stored or printed.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The bearer token for the REST call (SFMC documents a 20-minute life, research §1.2).
    pub access_token: Secret,
    /// Seconds the token is valid for, as SFMC said (`expires_in`; 1079 in
    /// `fixtures/sfmc/token-success.json`).
    pub expires_in: Option<u64>,
    /// `None` when SFMC's answer had no `scope` field.
    pub scopes: Option<Vec<String>>,
    /// Where the REST call goes: `https://<subdomain>.rest.marketingcloudapis.com/` under
    /// [`EndpointPolicy::SfmcOnly`], always ending in `/`.
    pub rest_instance_url: Url,
}

/// Where we will send an access token. Outside tests and simulators, only to SFMC's own REST
/// hosts over HTTPS, whatever the token answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointPolicy {
    /// Only `https://<subdomain>.rest.marketingcloudapis.com/` (research §1.2).
    SfmcOnly,
    /// Any http(s) URL: simulators and tests (`CREDWATCH_ALLOW_ANY_ENDPOINT=1`).
    AnyEndpoint,
}

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

/// Reads `rest_instance_url`. SFMC documents it as `https://<host>/`; one SFMC doc example
/// shows a bare host, which is read as `https://<host>/`. A missing trailing slash is added.
pub(super) fn parse_rest_url(text: &str, policy: EndpointPolicy) -> Result<Url, String> {
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
