//! Every class a reported call can get, with the exact bodies of `fixtures/sfmc/` given as
//! reported fields (what an integration reads out of SFMC's answer).

use super::*;
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::SfmcCall;
use credwatch_sim::fixtures;

/// The reported fields of one SFMC answer: its status and its body's fields, as a reporter
/// copies them (`error` -> `oauth_error`, `errorcode` -> `sfmc_errorcode`, `error_description`
/// or `message` -> `message`).
fn reported(kind: &str, status: u16, fixture: &str) -> Value {
    let body: Value = serde_json::from_str(fixture).unwrap();
    let mut event =
        json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": kind, "status": status});
    if let Some(error) = body.get("error") {
        event["oauth_error"] = error.clone();
        event["message"] = body["error_description"].clone();
    }
    if let Some(code) = body.get("errorcode") {
        event["sfmc_errorcode"] = code.clone();
        event["message"] = body["message"].clone();
    }
    event
}

fn class_of(value: Value) -> Option<OutcomeClass> {
    accepted(value).class
}

#[test]
fn the_fixtures_as_reported_fields() {
    use OutcomeClass::*;
    let cases = [
        ("token", 200, fixtures::TOKEN_SUCCESS, Ok),
        (
            "token",
            401,
            fixtures::TOKEN_CLIENT_AUTH_FAILED,
            ClientAuthFailed,
        ),
        (
            "token",
            401,
            fixtures::TOKEN_INVALID_CLIENT_ID,
            InvalidClientId,
        ),
        ("token", 401, fixtures::TOKEN_LEGACY_PACKAGE, LegacyPackage),
        (
            "token",
            400,
            fixtures::TOKEN_IP_NOT_ALLOWLISTED,
            IpNotAllowlisted,
        ),
        (
            "token",
            400,
            fixtures::TOKEN_UNSUPPORTED_GRANT,
            RequestRejected,
        ),
        ("token", 429, fixtures::TOKEN_BLOCKED, Throttled),
        ("token", 500, fixtures::SERVER_ERROR, SfmcUnavailable),
        ("rest", 200, fixtures::TOKEN_CONTEXT, Ok),
        ("rest", 401, fixtures::REST_NOT_AUTHORIZED, RestUnauthorized),
        (
            "rest",
            403,
            fixtures::REST_INSUFFICIENT_PRIVILEGES,
            RestUnauthorized,
        ),
        ("rest", 429, fixtures::REST_RATE_LIMITED, Throttled),
        ("rest", 429, fixtures::TOKEN_BLOCKED, Throttled),
        ("rest", 500, fixtures::SERVER_ERROR, SfmcUnavailable),
        ("soap", 500, fixtures::SERVER_ERROR, SfmcUnavailable),
    ];
    for (kind, status, fixture, class) in cases {
        assert_eq!(
            class_of(reported(kind, status, fixture)),
            Some(class),
            "{kind} {status} {fixture}"
        );
    }
}

#[test]
fn statuses_and_codes_without_a_body() {
    use OutcomeClass::*;
    let ev = |extra: Value| {
        let mut e = json!({"observed_at": "2026-12-01T02:59:00Z"});
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    };
    for (extra, class) in [
        (
            json!({"call_kind": "token", "status": 401}),
            Some(AuthRejected),
        ),
        (
            json!({"call_kind": "rest", "status": 401}),
            Some(RestUnauthorized),
        ),
        (
            json!({"call_kind": "rest", "status": 403, "sfmc_errorcode": 20002}),
            Some(RestUnauthorized),
        ),
        (
            json!({"call_kind": "rest", "status": 403, "sfmc_errorcode": 40002}),
            Some(ServiceNotFound),
        ),
        (
            json!({"call_kind": "rest", "status": 503, "sfmc_errorcode": 50300}),
            Some(SfmcUnavailable),
        ),
        (
            json!({"call_kind": "token", "status": 429, "sfmc_errorcode": 50200}),
            Some(Throttled),
        ),
        (
            json!({"call_kind": "token", "status": 429, "sfmc_errorcode": 50100}),
            Some(Throttled),
        ),
        (
            json!({"call_kind": "token", "status": 429}),
            Some(Throttled),
        ),
        (
            json!({"call_kind": "token", "status": 502}),
            Some(SfmcUnavailable),
        ),
        (
            json!({"call_kind": "rest", "status": 503}),
            Some(SfmcUnavailable),
        ),
        (
            json!({"call_kind": "rest", "status": 596}),
            Some(ServiceNotFound),
        ),
        (
            json!({"call_kind": "rest", "status": 302}),
            Some(IntermediaryBlocked),
        ),
        (
            json!({"call_kind": "token", "status": 407}),
            Some(IntermediaryBlocked),
        ),
        (json!({"call_kind": "rest", "status": 204}), Some(Ok)),
        (json!({"call_kind": "other", "status": 201}), Some(Ok)),
        (
            json!({"call_kind": "token", "status": 401, "oauth_error": "invalid_client"}),
            Some(AuthRejected),
        ),
        (
            json!({"call_kind": "token", "status": 400, "oauth_error": "invalid_grant",
                "message": "The client's IP address is unauthorized for this account."}),
            Some(IpNotAllowlisted),
        ),
        (
            json!({"call_kind": "token", "status": 503, "oauth_error": "temporarily_unavailable"}),
            Some(SfmcUnavailable),
        ),
        // A message alone is the reporter's words: the status decides.
        (
            json!({"call_kind": "rest", "status": 401, "message": "Unauthorized"}),
            Some(RestUnauthorized),
        ),
        (json!({"call_kind": "token"}), None),
        (json!({"call_kind": "rest", "message": "something"}), None),
        (
            json!({"call_kind": "token", "status": 401, "network_error": "timeout"}),
            Some(Network),
        ),
    ] {
        assert_eq!(class_of(ev(extra.clone())), class, "{extra}");
    }
}

#[test]
fn a_token_call_reads_its_oauth_error_first_and_a_rest_call_its_errorcode() {
    let both = |kind: &str| {
        json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": kind, "status": 401,
            "oauth_error": "invalid_client", "sfmc_errorcode": 0,
            "message": "Client authentication failed."})
    };
    // The token endpoint answers in OAuth form, the REST API in Marketing Cloud form.
    assert_eq!(
        class_of(both("token")),
        Some(OutcomeClass::ClientAuthFailed)
    );
    assert_eq!(class_of(both("rest")), Some(OutcomeClass::RestUnauthorized));
}

#[test]
fn soap_faults() {
    use OutcomeClass::*;
    for (fault, status, class) in [
        ("Token Expired", 500, RestUnauthorized),
        ("Login Failed", 500, RestUnauthorized),
        ("API Permission Failed", 500, RestUnauthorized),
        (
            "Server was unable to process request.",
            500,
            SfmcUnavailable,
        ),
        ("token expired", 200, Ok),
    ] {
        let event = json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": "soap",
            "status": status, "soap_fault": fault});
        assert_eq!(class_of(event), Some(class), "{fault}");
    }
}

#[test]
fn a_hand_built_call_classifies_like_a_normalised_one() {
    let call: SfmcCall = accepted(reported("token", 401, fixtures::TOKEN_CLIENT_AUTH_FAILED));
    assert_eq!(classify_reported(&call), call.class);
}

/// A page passed on as the message (a proxy's or a firewall's 401/403) is what the probe calls
/// such a page, never SFMC refusing the credential.
#[test]
fn a_page_reported_as_the_message_is_not_sfmcs_answer() {
    for (kind, status) in [("token", 401), ("token", 403), ("rest", 401)] {
        let class = class_of(json!({
            "observed_at": "2026-12-01T02:59:00Z",
            "call_kind": kind,
            "status": status,
            "message": "<html><head><title>401 Authorization Required</title></head><body><center>nginx</center></body></html>",
        }));
        assert_eq!(
            class,
            Some(OutcomeClass::IntermediaryBlocked),
            "{kind} {status}"
        );
    }
    // SFMC's own words still decide.
    let class = class_of(json!({
        "observed_at": "2026-12-01T02:59:00Z",
        "call_kind": "token",
        "status": 401,
        "oauth_error": "invalid_client",
        "message": "Client authentication failed.",
    }));
    assert_eq!(class, Some(OutcomeClass::ClientAuthFailed));
}

#[test]
fn markup_that_is_not_a_page_is_no_intermediary() {
    // SFMC's own SOAP envelope passed on as the message starts with '<' but is no web page:
    // the status decides, as for any answer without SFMC's fields.
    let envelope = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode></soap:Fault></soap:Body></soap:Envelope>"#;
    for (kind, status) in [("soap", 500), ("soap", 401), ("rest", 401)] {
        let bare = class_of(json!({
            "observed_at": "2026-12-01T02:59:00Z", "call_kind": kind, "status": status,
        }));
        let with_envelope = class_of(json!({
            "observed_at": "2026-12-01T02:59:00Z", "call_kind": kind, "status": status,
            "message": envelope,
        }));
        assert_ne!(
            bare,
            Some(OutcomeClass::IntermediaryBlocked),
            "{kind} {status}"
        );
        assert_eq!(with_envelope, bare, "{kind} {status}");
    }
}
