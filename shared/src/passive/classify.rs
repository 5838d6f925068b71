//! The class of a reported call, by the probe's own classifier (`sfmc::classify`) applied to
//! SFMC's answer rebuilt from the reported fields.

use serde_json::{Value, json};

use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{CallKind, SfmcCall};
use crate::sfmc::classify::{
    EndpointPolicy, HttpAnswer, classify_context_answer, classify_token_answer,
};

/// SFMC's documentation link, as its OAuth error bodies carry it in `error_uri` (every token
/// fixture of `fixtures/sfmc/`).
const OAUTH_ERROR_URI: &str = "https://developer.salesforce.com/docs";

/// SFMC's documentation link, as its Marketing Cloud error bodies carry it in `documentation`
/// (every REST fixture of `fixtures/sfmc/`).
const MC_DOCUMENTATION: &str =
    "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm";

/// The class of a reported call, computed with the probe's own classifier:
/// - `network` for a call that got no answer (`network_error`), `None` without a status;
/// - `ok` for a 2xx;
/// - otherwise what the probe concludes from SFMC's body rebuilt from the reported fields: a
///   token call (`call_kind` token) through the token-answer classifier, every other call
///   through the tokenContext classifier (the REST one). An `oauth_error` rebuilds SFMC's OAuth
///   body (`{error, error_description, error_uri}`: `message` as the description, SFMC's link as
///   the reporter says SFMC answered), an `sfmc_errorcode` its
///   Marketing Cloud body (`{message, errorcode, documentation}`); with neither, the body is
///   empty and the status decides as for a bare answer (a `message` alone is the reporter's
///   words, not evidence of who answered).
/// - SOAP faults (`sfmc-api-research.md` §4.2, §6): `Token Expired` and `Login Failed` are
///   SFMC refusing the token (the REST 401 `errorcode` 0 "Not Authorized"), `API Permission
///   Failed` a permission SFMC withholds (the REST 403 `errorcode` 20002 "Insufficient
///   Privileges"), both `rest_unauthorized`; other faults go by status (SOAP throttling and
///   faults come as HTTP 500: `sfmc_unavailable`).
pub fn classify_reported(call: &SfmcCall) -> Option<OutcomeClass> {
    if call.network_error.is_some() {
        return Some(OutcomeClass::Network);
    }
    let status = call.status?;
    if (200..300).contains(&status) {
        return Some(OutcomeClass::Ok);
    }
    let message = call.message.clone().unwrap_or_default();
    let (status, body) = match soap_equivalent(call) {
        Some(rebuilt) => rebuilt,
        None => (status, rebuilt_body(call, &message)),
    };
    let bytes = match &body {
        Some(body) => body.to_string().into_bytes(),
        // The reporter passed on a page instead of SFMC's words (a proxy's or a firewall's
        // `<html>... 401 Authorization Required`): classified as the probe would that page.
        None if looks_like_markup(&message) => message.clone().into_bytes(),
        None => Vec::new(),
    };
    let answer = HttpAnswer::new(status, bytes);
    let class = match call.call_kind {
        CallKind::Token => match classify_token_answer(&answer, EndpointPolicy::AnyEndpoint, &[]) {
            Ok(_) => OutcomeClass::Ok,
            Err(failure) => failure.class,
        },
        CallKind::Rest | CallKind::Soap | CallKind::Other => {
            match classify_context_answer(&answer, &[]) {
                Ok(_) => OutcomeClass::Ok,
                Err(failure) => failure.class,
            }
        }
    };
    Some(class)
}

/// Whether reported text is an HTML or XML page rather than an API's words.
fn looks_like_markup(message: &str) -> bool {
    let lower = message.trim_start().to_ascii_lowercase();
    lower.starts_with('<')
        && [
            "<html",
            "<!doctype",
            "<head",
            "<body",
            "<title",
            "<center",
            "<h1",
        ]
        .iter()
        .any(|tag| lower.contains(tag))
}

/// SFMC's body as the reported fields describe it; `None` for no body. A token call's OAuth
/// error wins over an errorcode (the token endpoint answers in OAuth form), other calls' errorcode
/// wins (the REST API answers in Marketing Cloud form).
fn rebuilt_body(call: &SfmcCall, message: &str) -> Option<Value> {
    let oauth = call.oauth_error.as_ref().map(
        |error| json!({"error": error, "error_description": message, "error_uri": OAUTH_ERROR_URI}),
    );
    let mc = call.sfmc_errorcode.map(
        |code| json!({"message": message, "errorcode": code, "documentation": MC_DOCUMENTATION}),
    );
    match call.call_kind {
        CallKind::Token => oauth.or(mc),
        _ => mc.or(oauth),
    }
}

/// The REST answer a known SOAP fault stands for (see [`classify_reported`]).
fn soap_equivalent(call: &SfmcCall) -> Option<(u16, Option<Value>)> {
    let fault = call.soap_fault.as_deref()?.trim().to_ascii_lowercase();
    let (status, code, words) = if fault.contains("token expired") || fault.contains("login failed")
    {
        (401, 0, "Not Authorized")
    } else if fault.contains("api permission failed") {
        (
            403,
            20002,
            "Insufficient privileges to complete this action.",
        )
    } else {
        return None;
    };
    Some((
        status,
        Some(json!({"message": words, "errorcode": code, "documentation": MC_DOCUMENTATION})),
    ))
}
