//! The field-case suite: answers integrators have really met in front of SFMC (proxies, CDNs,
//! firewalls, captive portals, SFMC's own rarer answers), each replayed by the simulator over
//! real HTTP and probed through the real inventory parser, secret source and SFMC client.
//!
//! Every case asserts class, kind, and what the message tells the person reading it.

use std::time::{Duration, Instant, SystemTime};

use credwatch::domain::outcome::{Kind, OutcomeClass, ProbeOutcome};
use credwatch::probe::{Concurrency, Prober, RetryPolicy, probe_all};
use credwatch::secrets::LocalSecrets;
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch_sim::{ClientConfig, INVALID_REQUEST_BODY, RestBehaviour, Simulator, TokenBehaviour};
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory};

/// The tenant subdomain of SFMC's documentation examples.
const SUBDOMAIN: &str = "mc563885gzs27c5t9-63k636ttgm";

fn rest_host() -> String {
    format!("{SUBDOMAIN}.rest.marketingcloudapis.com")
}

fn healthy() -> ClientConfig {
    ClientConfig::healthy("correct-secret-1234567890", SYNC_SCOPES, 7281698)
}

fn with_token(behaviour: TokenBehaviour) -> ClientConfig {
    ClientConfig {
        token: behaviour,
        ..healthy()
    }
}

fn with_rest(behaviour: RestBehaviour) -> ClientConfig {
    ClientConfig {
        rest: behaviour,
        ..healthy()
    }
}

fn raw(status: u16, headers: &[(&str, &str)], body: &str) -> (u16, Vec<(String, String)>, String) {
    let headers = headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    (status, headers, body.to_string())
}

fn token_raw(status: u16, headers: &[(&str, &str)], body: &str) -> ClientConfig {
    let (status, headers, body) = raw(status, headers, body);
    with_token(TokenBehaviour::Raw {
        status,
        headers,
        body,
    })
}

fn rest_raw(status: u16, headers: &[(&str, &str)], body: &str) -> ClientConfig {
    let (status, headers, body) = raw(status, headers, body);
    with_rest(RestBehaviour::Raw {
        status,
        headers,
        body,
    })
}

/// A prober whose waits are short (SFMC's asks are capped at `max_retry_after`) and that
/// resolves the SFMC REST host of the examples to the simulator.
fn prober(sim: &Simulator, max_retry_after: Duration) -> Prober {
    let client = SfmcClient::new(ClientSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        endpoint_policy: EndpointPolicy::AnyEndpoint,
        resolve: vec![(rest_host(), sim.addr())],
        ..ClientSettings::default()
    })
    .expect("an HTTP client builds");
    Prober::new(
        client,
        RetryPolicy {
            transient_backoff: Duration::from_millis(20),
            max_retry_after,
        },
    )
}

async fn probe_with(
    sim: &Simulator,
    config: ClientConfig,
    max_retry_after: Duration,
) -> ProbeOutcome {
    sim.reset_counts();
    let scratch = Scratch::new("field");
    let inventory = inventory(scratch.path(), &[Spec::on(sim, "it", &config)]);
    probe_all(
        &prober(sim, max_retry_after),
        &LocalSecrets,
        &inventory.integrations,
        Concurrency::default(),
        &|_| {},
    )
    .await
    .remove(0)
}

async fn probe(sim: &Simulator, config: ClientConfig) -> ProbeOutcome {
    probe_with(sim, config, Duration::from_millis(50)).await
}

/// Asserts a confirmed `intermediary_blocked` whose message names `needles`.
fn assert_blocked(outcome: &ProbeOutcome, status: u16, needles: &[&str]) {
    assert_eq!(
        outcome.class,
        OutcomeClass::IntermediaryBlocked,
        "{outcome:#?}"
    );
    assert_eq!(outcome.kind, Kind::Monitor);
    assert_eq!(outcome.http_status, Some(status));
    assert_eq!(outcome.attempts, 2);
    assert!(
        outcome.confirmed,
        "a standing answer is confirmed like a credential failure"
    );
    for needle in needles {
        assert!(
            outcome.message.contains(needle),
            "{needle:?} not in {}",
            outcome.message
        );
    }
    assert!(
        outcome
            .message
            .contains("proxy, firewall, CDN or captive portal"),
        "{}",
        outcome.message
    );
    assert!(
        !outcome.message.contains('<'),
        "no markup: {}",
        outcome.message
    );
}

/// Block pages as Zscaler, Akamai, Cloudflare, F5 BIG-IP ASM and Squid send them.
const BLOCK_PAGES: [(&str, &str, &str); 5] = [
    (
        "Zscaler/6.2",
        "Website blocked",
        "<html><head><title>Website blocked</title></head><body><p>Your organization has selected Zscaler to protect you from internet threats.</p><p>Not allowed to browse Uncategorized category</p></body></html>",
    ),
    (
        "AkamaiGHost",
        "Access Denied",
        "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\nYou don't have permission to access \"http&#58;&#47;&#47;x&#47;v2&#47;token\" on this server.<P>\nReference&#32;&#35;18&#46;1d2c3b17\n</BODY>\n</HTML>\n",
    ),
    (
        "cloudflare",
        "Attention Required! | Cloudflare",
        "<!DOCTYPE html>\n<!--[if lt IE 7]> <html class=\"no-js ie6 oldie\" lang=\"en-US\"> <![endif]-->\n<head>\n<title>Attention Required! | Cloudflare</title>\n</head><body><h1>Sorry, you have been blocked</h1><span>Cloudflare Ray ID: 8a1b2c3d4e5f6789</span></body></html>",
    ),
    (
        "BigIP",
        "Request Rejected",
        "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 1234567890123456789<br><br><a href='javascript:history.back();'>[Go Back]</a></body></html>",
    ),
    (
        "squid/5.7",
        "ERROR: The requested URL could not be retrieved",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\n<html><head>\n<meta type=\"copyright\" content=\"Copyright (C) 1996-2022 The Squid Software Foundation and contributors\">\n<title>ERROR: The requested URL could not be retrieved</title>\n</head><body id=\"ERR_ACCESS_DENIED\"><h1>Access Denied.</h1></body></html>",
    ),
];

#[tokio::test]
async fn block_pages_at_either_endpoint_are_intermediary_blocked_naming_who_answered() {
    let sim = Simulator::start().await.expect("simulator starts");
    for (server, title, page) in BLOCK_PAGES {
        let headers = [
            ("Server", server),
            ("Content-Type", "text/html; charset=utf-8"),
        ];
        let server_named = format!("server \"{server}\"");
        let title_named = format!("page \"{title}\"");

        let token = probe(&sim, token_raw(403, &headers, page)).await;
        assert_blocked(
            &token,
            403,
            &["The token request", "HTTP 403", &server_named, &title_named],
        );
        assert_eq!(sim.counts("it-client").token, 2, "{server}");
        assert_eq!(sim.counts("it-client").token_context, 0, "{server}");

        let rest = probe(&sim, rest_raw(403, &headers, page)).await;
        assert_blocked(
            &rest,
            403,
            &[
                "The tokenContext call",
                "HTTP 403",
                &server_named,
                &title_named,
            ],
        );
    }
}

#[tokio::test]
async fn captive_portal_and_proxy_redirects_are_intermediary_blocked() {
    let sim = Simulator::start().await.expect("simulator starts");
    for status in [301, 302, 303, 307, 308] {
        let location = [(
            "Location",
            "http://portal.guest-wifi.example/login?redirect=https%3A%2F%2Fx%2Fv2%2Ftoken",
        )];
        let token = probe(&sim, token_raw(status, &location, "")).await;
        assert_blocked(
            &token,
            status,
            &[&format!("HTTP {status} to portal.guest-wifi.example")],
        );
        assert!(!token.message.contains("redirect="), "{}", token.message);
        let rest = probe(&sim, rest_raw(status, &location, "<html>Moved</html>")).await;
        assert_blocked(
            &rest,
            status,
            &["tokenContext", "portal.guest-wifi.example"],
        );
    }
    let nowhere = probe(&sim, token_raw(302, &[], "")).await;
    assert_blocked(&nowhere, 302, &["with no Location"]);
}

#[tokio::test]
async fn a_block_page_over_64_kib_is_still_intermediary_blocked() {
    let sim = Simulator::start().await.expect("simulator starts");
    let page = format!(
        "<html><head><title>Access Denied</title></head><body>{}</body></html>",
        "<p>padding</p>".repeat(200 * 1024 / 14)
    );
    assert!(page.len() > 190 * 1024);
    let headers = [("Server", "AkamaiGHost"), ("Content-Type", "text/html")];
    for config in [
        token_raw(403, &headers, &page),
        rest_raw(403, &headers, &page),
    ] {
        let outcome = probe(&sim, config).await;
        assert_blocked(
            &outcome,
            403,
            &[
                "server \"AkamaiGHost\"",
                "page \"Access Denied\"",
                "over 64 KiB",
            ],
        );
    }
}

#[tokio::test]
async fn other_answers_that_are_not_sfmcs_never_judge_the_credential() {
    let sim = Simulator::start().await.expect("simulator starts");
    // Plain text, a JSON that is not SFMC's, an empty 403, a proxy asking for its own login.
    let cases = [
        token_raw(
            403,
            &[("Content-Type", "text/plain")],
            "Forbidden by policy",
        ),
        token_raw(
            403,
            &[("Content-Type", "application/json")],
            r#"{"fault":{"faultstring":"Blocked"}}"#,
        ),
        token_raw(403, &[], ""),
        token_raw(407, &[("Proxy-Authenticate", "Basic realm=\"corp\"")], ""),
        rest_raw(
            404,
            &[("Content-Type", "text/html")],
            "<html><title>404 Not Found</title></html>",
        ),
    ];
    for config in cases {
        let label = format!("{}/{}", config.token, config.rest);
        let outcome = probe(&sim, config).await;
        assert_eq!(
            outcome.class,
            OutcomeClass::IntermediaryBlocked,
            "{label}: {outcome:#?}"
        );
        assert!(outcome.confirmed, "{label}");
    }
    // An empty 401 is SFMC's own refusal (SFMC's KB documents a bare 401; proxies use 407).
    let bare = probe(&sim, token_raw(401, &[], "")).await;
    assert_eq!(bare.class, OutcomeClass::AuthRejected, "{bare:#?}");
    assert_eq!(bare.kind, Kind::Credential);
}

/// Bare answers SFMC documents (an empty 401, a 596) made by a proxy, and a proxy's 407 dressed
/// in SFMC's words (second security review of issue 8): the headers or the status show who
/// answered, so none may judge the credential or its permissions.
#[tokio::test]
async fn bare_answers_a_proxy_made_never_judge_the_credential() {
    let sim = Simulator::start().await.expect("simulator starts");
    let sfmc_words = r#"{"error":"invalid_client","error_description":"Client authentication failed.","error_uri":"https://developer.salesforce.com/docs"}"#;
    let cases = [
        token_raw(401, &[("Server", "cloudflare")], ""),
        token_raw(
            401,
            &[
                ("Via", "1.1 squid"),
                ("WWW-Authenticate", "Basic realm=\"corp proxy\""),
            ],
            "",
        ),
        rest_raw(401, &[("Via", "1.1 corp-proxy")], ""),
        token_raw(
            596,
            &[("Server", "cloudflare"), ("Content-Type", "text/html")],
            "<html><title>Attention Required! | Cloudflare</title></html>",
        ),
        token_raw(407, &[("Content-Type", "application/json")], sfmc_words),
    ];
    for config in cases {
        let label = format!("{}/{}", config.token, config.rest);
        let outcome = probe(&sim, config).await;
        assert_eq!(
            outcome.class,
            OutcomeClass::IntermediaryBlocked,
            "{label}: {outcome:#?}"
        );
        assert!(
            !outcome.message.contains("SFMC answered"),
            "{label}: {}",
            outcome.message
        );
    }
    // SFMC's own bare 596 keeps its routing verdict.
    let routing = probe(&sim, rest_raw(596, &[], "")).await;
    assert_eq!(routing.class, OutcomeClass::ServiceNotFound, "{routing:#?}");
}

/// Gateways' own JSON refusals (security review of issue 8): API Gateway, Kong, an Envoy
/// `access_denied`, Cloudflare Access, and a WAF answering in OAuth's words. None is SFMC's, so
/// none may judge the credential or its permissions. `(status, Server, body, words quoted)`.
const GATEWAY_JSON: [(u16, &str, &str, &str); 6] = [
    (
        403,
        "",
        r#"{"message":"Forbidden"}"#,
        "saying \"Forbidden\"",
    ),
    (
        401,
        "kong/3.4.2",
        r#"{"message":"Unauthorized"}"#,
        "saying \"Unauthorized\"",
    ),
    (
        401,
        "kong/3.4.2",
        r#"{"message":"No API key found in request"}"#,
        "saying \"No API key found in request\"",
    ),
    (
        403,
        "envoy",
        r#"{"error":"access_denied"}"#,
        "saying \"access_denied\"",
    ),
    (
        401,
        "cloudflare",
        r#"{"error":"unauthorized","error_description":"Cloudflare Access: sign in to continue","error_uri":"https://developers.cloudflare.com/cloudflare-one/identity/"}"#,
        "Cloudflare Access: sign in to continue",
    ),
    // A decision (documented in classify.rs): client_credentials has no grant to be invalid, so
    // an invalid_grant without SFMC's IP-allowlist words or SFMC's error_uri is not SFMC's.
    (
        400,
        "awselb/2.0",
        r#"{"error":"invalid_grant","error_description":"blocked by WAF"}"#,
        "saying \"blocked by WAF\"",
    ),
];

#[tokio::test]
async fn gateway_json_at_either_endpoint_is_intermediary_blocked_naming_who_answered() {
    let sim = Simulator::start().await.expect("simulator starts");
    for (status, server, body, words) in GATEWAY_JSON {
        let mut headers = vec![("Content-Type", "application/json")];
        if !server.is_empty() {
            headers.push(("Server", server));
        }
        let server_named = format!("server \"{server}\"");
        let mut needles = vec![format!("HTTP {status}"), words.to_string()];
        if !server.is_empty() {
            needles.push(server_named);
        }
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        let token = probe(&sim, token_raw(status, &headers, body)).await;
        assert_blocked(&token, status, &needles);
        assert!(
            token.message.contains("The token request"),
            "{}",
            token.message
        );
        assert!(!token.message.contains("SFMC said"), "{}", token.message);
        let rest = probe(&sim, rest_raw(status, &headers, body)).await;
        assert_blocked(&rest, status, &needles);
        assert!(
            rest.message.contains("The tokenContext call"),
            "{}",
            rest.message
        );
        assert!(!rest.message.contains("SFMC said"), "{}", rest.message);
    }
}

/// Size never changes the verdict: `{"message":"Forbidden"}` padded with 1 MiB of spaces (over
/// the client's 64 KiB cap) is judged as the small one is, and so is SFMC's own body padded.
#[tokio::test]
async fn a_json_body_padded_past_the_size_cap_keeps_its_verdict() {
    let sim = Simulator::start().await.expect("simulator starts");
    let headers = [
        ("Content-Type", "application/json"),
        ("Server", "awselb/2.0"),
    ];
    let padding = " ".repeat(1024 * 1024);
    let forbidden = r#"{"message":"Forbidden"}"#;
    let padded = format!("{forbidden}{padding}");
    for config in [
        token_raw(403, &headers, forbidden),
        token_raw(403, &headers, &padded),
        rest_raw(403, &headers, forbidden),
        rest_raw(403, &headers, &padded),
    ] {
        let outcome = probe(&sim, config).await;
        assert_blocked(&outcome, 403, &["server \"awselb/2.0\""]);
    }
    let sfmc = credwatch_sim::fixtures::REST_INSUFFICIENT_PRIVILEGES;
    for body in [sfmc.to_string(), format!("{sfmc}{padding}")] {
        let outcome = probe(&sim, rest_raw(403, &headers, &body)).await;
        assert_eq!(
            outcome.class,
            OutcomeClass::RestUnauthorized,
            "{outcome:#?}"
        );
        assert!(
            outcome.message.contains("Insufficient privileges"),
            "{}",
            outcome.message
        );
    }
}

#[tokio::test]
async fn a_gateways_5xx_json_stays_transient_and_says_who_answered() {
    let sim = Simulator::start().await.expect("simulator starts");
    let headers = [
        ("Server", "kong/3.4.2"),
        ("Content-Type", "application/json"),
    ];
    let body = r#"{"message":"An invalid response was received from the upstream server"}"#;
    for config in [
        token_raw(502, &headers, body),
        rest_raw(503, &headers, body),
    ] {
        let outcome = probe(&sim, config).await;
        assert_eq!(outcome.class, OutcomeClass::SfmcUnavailable, "{outcome:#?}");
        assert_eq!(outcome.kind, Kind::Transient);
        assert!(
            outcome.message.contains("not in SFMC's API format")
                && outcome.message.contains("server \"kong/3.4.2\"")
                && outcome.message.contains("invalid response was received")
                && !outcome.message.contains("SFMC said"),
            "{}",
            outcome.message
        );
    }
}

/// Absurd waits (a 20-digit `Retry-After`, a date in the year 9999, a huge body `retryAfter`)
/// are reported as one day at most; the probe itself still waits only its own short cap.
#[tokio::test]
async fn absurd_waits_are_reported_as_at_most_one_day() {
    let sim = Simulator::start().await.expect("simulator starts");
    let rate_limited = r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":1e300}"#;
    for config in [
        token_raw(503, &[("Retry-After", "99999999999999999999")], ""),
        token_raw(503, &[("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")], ""),
        rest_raw(429, &[], rate_limited),
    ] {
        let outcome = probe(&sim, config).await;
        assert_eq!(outcome.retry_after_secs, Some(86_400), "{outcome:#?}");
        assert_eq!(outcome.attempts, 2, "retried after the probe's own cap");
    }
}

#[tokio::test]
async fn a_gateways_5xx_page_stays_transient_and_says_who_answered() {
    let sim = Simulator::start().await.expect("simulator starts");
    let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>";
    let headers = [("Server", "cloudflare"), ("Content-Type", "text/html")];
    for config in [
        token_raw(502, &headers, page),
        rest_raw(504, &headers, page),
    ] {
        let outcome = probe(&sim, config).await;
        assert_eq!(outcome.class, OutcomeClass::SfmcUnavailable, "{outcome:#?}");
        assert_eq!(outcome.kind, Kind::Transient);
        assert!(!outcome.confirmed);
        assert!(
            outcome.message.contains("not in SFMC's API format")
                && outcome.message.contains("server \"cloudflare\"")
                && outcome.message.contains("page \"502 Bad Gateway\""),
            "{}",
            outcome.message
        );
    }
}

#[tokio::test]
async fn service_unavailable_with_retry_after_waits_as_asked_before_retrying() {
    let sim = Simulator::start().await.expect("simulator starts");
    let body = r#"{"message":"Service Unavailable","errorcode":50300,"documentation":"https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"}"#;
    let started = Instant::now();
    let outcome = probe_with(
        &sim,
        token_raw(
            503,
            &[("Retry-After", "3"), ("Content-Type", "application/json")],
            body,
        ),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(outcome.class, OutcomeClass::SfmcUnavailable, "{outcome:#?}");
    assert_eq!(outcome.retry_after_secs, Some(3));
    assert_eq!(outcome.attempts, 2);
    assert_eq!(sim.counts("it-client").token, 2);
    assert!(
        outcome.message.contains("errorcode 50300"),
        "{}",
        outcome.message
    );
    // A lower bound only: the second attempt came at least (about) the 3 s SFMC asked for.
    assert!(
        started.elapsed() >= Duration::from_millis(2900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_is_read_from_every_status_and_from_the_body() {
    let sim = Simulator::start().await.expect("simulator starts");
    // 429 whose wait is only in the body's retryAfter (a number, or a numeric string).
    for (body, wait) in [
        (
            r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":2}"#,
            2,
        ),
        (
            r#"{"message":"Rate limit exceeded","errorcode":50100,"retryAfter":"4"}"#,
            4,
        ),
    ] {
        for config in [token_raw(429, &[], body), rest_raw(429, &[], body)] {
            let outcome = probe(&sim, config).await;
            assert_eq!(outcome.class, OutcomeClass::Throttled, "{outcome:#?}");
            assert_eq!(outcome.retry_after_secs, Some(wait), "{body}");
        }
    }
    // Retry-After as an HTTP date, on a 502; an hour ahead, so no clock skew matters.
    let in_an_hour = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
    let outcome = probe(
        &sim,
        token_raw(
            502,
            &[("Retry-After", &in_an_hour)],
            "<html>Bad gateway</html>",
        ),
    )
    .await;
    assert_eq!(outcome.class, OutcomeClass::SfmcUnavailable);
    let asked = outcome.retry_after_secs.expect("the date was read");
    assert!((3000..=3600).contains(&asked), "{asked}");
    // On a definitive answer too (a 401 with Retry-After), and on a 500.
    let said_no = probe(
        &sim,
        token_raw(
            401,
            &[("Retry-After", "1")],
            credwatch_sim::fixtures::TOKEN_CLIENT_AUTH_FAILED,
        ),
    )
    .await;
    assert_eq!(said_no.class, OutcomeClass::ClientAuthFailed);
    assert_eq!(said_no.retry_after_secs, Some(1));
    let server = probe(
        &sim,
        token_raw(
            500,
            &[("Retry-After", "2")],
            credwatch_sim::fixtures::SERVER_ERROR,
        ),
    )
    .await;
    assert_eq!(server.retry_after_secs, Some(2));
    // A date in the past means now; garbage is ignored, not a failure.
    let past = probe(
        &sim,
        token_raw(503, &[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")], ""),
    )
    .await;
    assert_eq!(
        (past.class, past.retry_after_secs),
        (OutcomeClass::SfmcUnavailable, Some(0))
    );
    let garbage = probe(&sim, token_raw(503, &[("Retry-After", "soon-ish")], "")).await;
    assert_eq!(
        (garbage.class, garbage.retry_after_secs),
        (OutcomeClass::SfmcUnavailable, None)
    );
}

#[tokio::test]
async fn service_not_found_and_other_routing_answers_on_token_context() {
    let sim = Simulator::start().await.expect("simulator starts");
    let cases = [
        rest_raw(596, &[], ""),
        rest_raw(
            596,
            &[("Content-Type", "application/json")],
            r#"{"message":"Service Not Found","errorcode":0}"#,
        ),
        rest_raw(
            404,
            &[("Content-Type", "application/json")],
            r#"{"documentation":"https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm","errorcode":404,"message":"Not Found"}"#,
        ),
        rest_raw(
            403,
            &[("Content-Type", "application/json")],
            r#"{"message":"Authorization token invalid on this endpoint. Use the stack-level endpoint that matches your token.","errorcode":40002}"#,
        ),
    ];
    for config in cases {
        let label = config.rest.to_string();
        let outcome = probe(&sim, config).await;
        assert_eq!(
            outcome.class,
            OutcomeClass::ServiceNotFound,
            "{label}: {outcome:#?}"
        );
        assert_eq!(outcome.kind, Kind::Permission);
        assert!(outcome.confirmed, "{label}");
        assert!(!outcome.class.what_to_do().contains("status.salesforce.com"));
        assert!(outcome.class.what_to_do().contains("REST Base URI"));
    }
    let outcome = probe(&sim, rest_raw(596, &[], "")).await;
    assert!(
        outcome.message.contains("596 (Service Not Found)"),
        "{}",
        outcome.message
    );
}

#[tokio::test]
async fn requests_sfmc_says_credwatch_got_wrong_go_to_the_platform_team() {
    let sim = Simulator::start().await.expect("simulator starts");
    let unsupported = probe(&sim, with_token(TokenBehaviour::UnsupportedGrant)).await;
    let invalid = probe(
        &sim,
        token_raw(
            400,
            &[("Content-Type", "application/json")],
            INVALID_REQUEST_BODY,
        ),
    )
    .await;
    for (outcome, words) in [
        (&unsupported, "(unsupported_grant_type)"),
        (
            &invalid,
            "The request body is not valid JSON. (invalid_request)",
        ),
    ] {
        assert_eq!(outcome.class, OutcomeClass::RequestRejected, "{outcome:#?}");
        assert_eq!(outcome.kind, Kind::Monitor);
        assert!(outcome.confirmed);
        assert!(
            outcome.message.starts_with("SFMC said: "),
            "{}",
            outcome.message
        );
        assert!(outcome.message.contains(words), "{}", outcome.message);
    }
}

/// SFMC's docs show `rest_instance_url` as a bare host once. It is read as `https://host/`:
/// the simulator (resolved for that host) speaks plain HTTP, so the token only reaching it
/// over TLS and failing proves the scheme; the same host written with `http://` reaches it.
#[tokio::test]
async fn a_bare_rest_instance_url_is_read_as_https() {
    let sim = Simulator::start().await.expect("simulator starts");
    let host = rest_host();
    for written in [host.clone(), format!("{host}/")] {
        let outcome = probe(
            &sim,
            with_token(TokenBehaviour::RestInstanceUrl {
                url: written.clone(),
            }),
        )
        .await;
        assert_eq!(
            outcome.class,
            OutcomeClass::Network,
            "{written}: {outcome:#?}"
        );
        assert!(outcome.message.contains(&host), "{}", outcome.message);
        assert_eq!(
            sim.counts("it-client").token_context,
            0,
            "no plain-HTTP request reached it"
        );
        assert_eq!(
            outcome.token_expires_in,
            Some(1079),
            "the token answer itself was good"
        );
    }
    // The control: with an explicit http:// (allowed here: the auth URL is a simulator), the
    // same host reaches the simulator and the probe is ok.
    let explicit = probe(
        &sim,
        with_token(TokenBehaviour::RestInstanceUrl {
            url: format!("http://{host}:{}/", sim.addr().port()),
        }),
    )
    .await;
    assert_eq!(explicit.class, OutcomeClass::Ok, "{explicit:#?}");
}
