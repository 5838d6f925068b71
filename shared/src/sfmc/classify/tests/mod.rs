//! Unit tests of SFMC answer classification; [`decisions`] pins each decision by a table.

mod decisions;

use super::*;
use std::time::{Duration, SystemTime};

use super::intermediary::*;
use crate::domain::outcome::OutcomeClass;
use crate::secrets::Secret;
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
        let token =
            classify_token_answer(answer, EndpointPolicy::SfmcOnly, &[]).expect_err("a failure");
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
    let failure =
        classify_token_answer(&answer(200, &foreign), EndpointPolicy::SfmcOnly, &[]).unwrap_err();
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
        let failure = classify_token_answer(&answer(200, &body), EndpointPolicy::AnyEndpoint, &[])
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
    let failure = classify_token_answer(&answer(401, body), EndpointPolicy::SfmcOnly, &[&secret])
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
    let failure = classify_token_answer(&echo, EndpointPolicy::SfmcOnly, &[&secret]).unwrap_err();
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
