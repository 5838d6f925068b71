//! SFMC's own error bodies: the OAuth form of the token endpoint and the Marketing Cloud form of
//! the REST API, recognised strictly, and the class each one's words, codes and status give.

use serde_json::Value;
use url::Url;

use super::answer::Step;
use super::failure::Failure;
use crate::domain::outcome::OutcomeClass;
use crate::secrets::Secret;
use crate::sfmc::sanitize::sanitize;

/// OAuth errors that say the request itself was wrong, not the credential: credwatch always
/// sends `grant_type=client_credentials` as JSON and never a `scope`, so SFMC answering one of
/// these means the request was changed on the way or sent to the wrong place (RFC 6749 §5.2).
const REQUEST_ERRORS: [&str; 4] = [
    "unsupported_grant_type",
    "invalid_request",
    "invalid_scope",
    "unsupported_response_type",
];

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
pub(super) fn is_sfmc_documentation(url: &str) -> bool {
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
pub(super) fn sfmc_oauth_error(json: &Value) -> Option<(&str, &str)> {
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
pub(super) fn sfmc_rest_error(json: &Value) -> Option<(&str, Option<i64>)> {
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
pub(super) fn classify_error_body(
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
pub(super) fn sfmc_status_class(status: u16, step: Step) -> OutcomeClass {
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
