//! One table per decision of SFMC classification, so that a changed operator or a deleted branch
//! fails a test (measured with cargo-mutants). Each row is an input and the exact answer it must
//! get; the SFMC shapes come from the fixtures and research §1.3, §4 (see the module docs).

use serde_json::{Value, json};
use url::Url;

use super::*;
use crate::sfmc::classify::answer::{Body, Step};
use crate::sfmc::classify::retry_after::body_retry_after;
use crate::sfmc::classify::sfmc_error::{
    is_sfmc_documentation, sfmc_oauth_error, sfmc_rest_error, sfmc_status_class,
};
use crate::sfmc::classify::token::parse_rest_url;

/// What [`sfmc_rest_error`] finds: SFMC's message and errorcode.
type RestError<'a> = Option<(&'a str, Option<i64>)>;

/// An answer with `Server` and `Via` as given and an empty body.
fn bare(status: u16, server: Option<&str>, via: Option<&str>) -> HttpAnswer {
    HttpAnswer {
        headers: AnswerHeaders {
            server: server.map(str::to_string),
            via: via.map(str::to_string),
            ..AnswerHeaders::default()
        },
        ..answer(status, "")
    }
}

#[test]
fn sfmc_documentation_links_are_https_on_developer_salesforce_com_only() {
    let cases = [
        ("https://developer.salesforce.com/docs", true),
        (" https://developer.salesforce.com/docs/marketing ", true),
        ("https://developer.salesforce.com", true),
        ("http://developer.salesforce.com/docs", false),
        ("https://developer.salesforce.com.evil.example/docs", false),
        ("https://evil.example/docs", false),
        ("developer.salesforce.com/docs", false),
        ("", false),
    ];
    for (link, expected) in cases {
        assert_eq!(is_sfmc_documentation(link), expected, "{link:?}");
    }
}

#[test]
fn sfmcs_oauth_error_form_is_recognised_exactly() {
    let doc = "https://developer.salesforce.com/docs";
    let ip = "IP address is unauthorized for this user";
    let cases: Vec<(Value, Option<(&str, &str)>)> = vec![
        (
            json!({"error": "invalid_client", "error_description": "Client authentication failed."}),
            Some(("invalid_client", "Client authentication failed.")),
        ),
        (
            json!({"error": "invalid_client", "error_description": "d", "error_uri": doc}),
            Some(("invalid_client", "d")),
        ),
        // Another link, or a link that is not text, is not SFMC's answer.
        (
            json!({"error": "invalid_client", "error_description": "d", "error_uri": "https://evil.example/"}),
            None,
        ),
        (
            json!({"error": "invalid_client", "error_description": "d", "error_uri": 7}),
            None,
        ),
        // A code SFMC does not use counts only with SFMC's link.
        (
            json!({"error": "access_denied", "error_description": "d"}),
            None,
        ),
        (
            json!({"error": "access_denied", "error_description": "d", "error_uri": doc}),
            Some(("access_denied", "d")),
        ),
        // SFMC's only invalid_grant is the IP allowlist refusal (issue 8's WAF decision).
        (
            json!({"error": "invalid_grant", "error_description": ip}),
            Some(("invalid_grant", ip)),
        ),
        (
            json!({"error": "invalid_grant", "error_description": "blocked by WAF"}),
            None,
        ),
        (
            json!({"error": "invalid_grant", "error_description": "blocked by WAF", "error_uri": doc}),
            Some(("invalid_grant", "blocked by WAF")),
        ),
        (
            json!({"error": "server_error", "error_description": "x"}),
            Some(("server_error", "x")),
        ),
        (json!({"error": "invalid_client"}), None),
        (json!({"error_description": "d"}), None),
        (json!({"error": 1, "error_description": "d"}), None),
    ];
    for (body, expected) in cases {
        assert_eq!(sfmc_oauth_error(&body), expected, "{body}");
    }
}

#[test]
fn sfmcs_rest_error_form_is_recognised_exactly() {
    let doc = "https://developer.salesforce.com/docs/marketing/x";
    let cases: Vec<(Value, RestError)> = vec![
        (
            json!({"message": "Not Authorized", "errorcode": 1, "documentation": doc}),
            Some(("Not Authorized", Some(1))),
        ),
        (
            json!({"message": "m", "errorcode": 10007}),
            Some(("m", Some(10007))),
        ),
        // SFMC's 10007 answer has an empty documentation link.
        (
            json!({"message": "m", "errorcode": 10007, "documentation": ""}),
            Some(("m", Some(10007))),
        ),
        (
            json!({"message": "m", "errorcode": 10007, "documentation": "https://evil.example/"}),
            None,
        ),
        (
            json!({"message": "m", "errorcode": 10007, "documentation": 3}),
            None,
        ),
        // Without errorcode, SFMC's link is the evidence; an empty link is none.
        (
            json!({"message": "m", "documentation": doc}),
            Some(("m", None)),
        ),
        (json!({"message": "m", "documentation": ""}), None),
        (json!({"message": "m", "documentation": "  "}), None),
        (json!({"message": "Forbidden"}), None),
        (json!({"message": "m", "errorcode": "10007"}), None),
        (json!({"errorcode": 10007}), None),
    ];
    for (body, expected) in cases {
        assert_eq!(sfmc_rest_error(&body), expected, "{body}");
    }
}

#[test]
fn an_sfmc_error_without_a_specific_class_takes_its_status_class() {
    use OutcomeClass::*;
    let cases = [
        (429, Throttled, Throttled),
        (404, ServiceNotFound, ServiceNotFound),
        (405, ServiceNotFound, ServiceNotFound),
        (410, ServiceNotFound, ServiceNotFound),
        (596, ServiceNotFound, ServiceNotFound),
        (500, SfmcUnavailable, SfmcUnavailable),
        (503, SfmcUnavailable, SfmcUnavailable),
        (599, SfmcUnavailable, SfmcUnavailable),
        (400, AuthRejected, RestUnauthorized),
        (401, AuthRejected, RestUnauthorized),
        (403, AuthRejected, RestUnauthorized),
        (200, AuthRejected, RestUnauthorized),
    ];
    for (status, token, rest) in cases {
        assert_eq!(sfmc_status_class(status, Step::Token), token, "{status}");
        assert_eq!(sfmc_status_class(status, Step::Rest), rest, "{status}");
    }
}

#[test]
fn sfmcs_oauth_words_and_codes_decide_the_class() {
    use OutcomeClass::*;
    let oauth = |error: &str, description: &str| {
        json!({"error": error, "error_description": description}).to_string()
    };
    let cases = [
        (
            400,
            oauth(
                "invalid_client",
                "Invalid client ID. Use the client ID in Marketing Cloud Installed Packages.",
            ),
            InvalidClientId,
        ),
        (
            401,
            oauth("invalid_client", "Client authentication failed."),
            ClientAuthFailed,
        ),
        // invalid_client with other words: the status decides.
        (401, oauth("invalid_client", "Something else"), AuthRejected),
        (
            404,
            oauth("invalid_client", "Something else"),
            ServiceNotFound,
        ),
        // The words alone, under another code, are not these classes.
        (
            400,
            oauth("unauthorized_client", "Invalid client ID"),
            AuthRejected,
        ),
        (
            400,
            oauth("unauthorized_client", "Client authentication failed"),
            AuthRejected,
        ),
        (
            400,
            oauth(
                "unauthorized_client",
                "Package is not eligible to use the /v2/token endpoint",
            ),
            LegacyPackage,
        ),
        (
            400,
            oauth("invalid_grant", "IP address is unauthorized for this user"),
            IpNotAllowlisted,
        ),
        (400, oauth("invalid_request", "x"), RequestRejected),
        (400, oauth("unsupported_grant_type", "x"), RequestRejected),
        (400, oauth("invalid_scope", "x"), RequestRejected),
        (500, oauth("server_error", "x"), SfmcUnavailable),
        (400, oauth("temporarily_unavailable", "x"), SfmcUnavailable),
    ];
    for (status, body, class) in cases {
        assert_eq!(token_class(status, &body), class, "{status} {body}");
    }
}

#[test]
fn sfmcs_rest_codes_decide_the_class_before_the_status() {
    use OutcomeClass::*;
    let rest = |code: i64| json!({"message": "m", "errorcode": code}).to_string();
    let cases = [
        // SFMC's "Handle Errors in REST API" table, on a status that would say otherwise.
        (400, rest(50100), Throttled),
        (400, rest(50200), Throttled),
        (400, rest(50300), SfmcUnavailable),
        (401, rest(40002), ServiceNotFound),
        (401, rest(40003), ServiceNotFound),
        // Any other code: the status decides; on a 2xx it is a malformed answer.
        (200, rest(10001), MalformedResponse),
        (401, rest(10001), RestUnauthorized),
        (403, rest(10001), RestUnauthorized),
        (404, rest(10001), ServiceNotFound),
        (429, rest(10001), Throttled),
        (503, rest(10001), SfmcUnavailable),
    ];
    for (status, body, class) in cases {
        assert_eq!(rest_class(status, &body), class, "{status} {body}");
    }
    // A 2xx token answer carrying an access_token is a grant whatever else it says.
    let grant = json!({
        "access_token": "tok",
        "rest_instance_url": "https://abc.rest.marketingcloudapis.com/",
        "message": "m",
        "errorcode": 1,
    });
    assert_eq!(token_class(200, &grant.to_string()), Ok);
    assert_eq!(token_class(400, &grant.to_string()), AuthRejected);
}

#[test]
fn bare_statuses_are_sfmcs_only_without_proxy_evidence() {
    use OutcomeClass::*;
    let page = "<html><title>Down</title></html>";
    let cases = [
        (bare(596, None, None), ServiceNotFound, ServiceNotFound),
        (
            bare(596, None, Some("1.1 proxy")),
            IntermediaryBlocked,
            IntermediaryBlocked,
        ),
        (
            bare(596, Some("cloudflare"), None),
            IntermediaryBlocked,
            IntermediaryBlocked,
        ),
        (answer(596, page), IntermediaryBlocked, IntermediaryBlocked),
        (bare(500, None, None), SfmcUnavailable, SfmcUnavailable),
        (
            bare(503, Some("cloudflare"), None),
            SfmcUnavailable,
            SfmcUnavailable,
        ),
        (answer(502, page), SfmcUnavailable, SfmcUnavailable),
        (bare(401, None, None), AuthRejected, RestUnauthorized),
        (
            bare(401, None, Some("1.1 proxy")),
            IntermediaryBlocked,
            IntermediaryBlocked,
        ),
        (
            bare(401, Some("Zscaler"), None),
            IntermediaryBlocked,
            IntermediaryBlocked,
        ),
        (
            answer(401, "denied"),
            IntermediaryBlocked,
            IntermediaryBlocked,
        ),
        (bare(429, None, None), Throttled, Throttled),
        (answer(429, page), IntermediaryBlocked, IntermediaryBlocked),
        (
            bare(403, None, None),
            IntermediaryBlocked,
            IntermediaryBlocked,
        ),
        (
            bare(407, None, None),
            IntermediaryBlocked,
            IntermediaryBlocked,
        ),
        (
            bare(302, None, None),
            IntermediaryBlocked,
            IntermediaryBlocked,
        ),
    ];
    for (answer, token, rest) in cases {
        let status = answer.status;
        assert_eq!(token_failure(&answer).class, token, "{status} {answer:?}");
        assert_eq!(rest_failure(&answer).class, rest, "{status} {answer:?}");
    }
}

#[test]
fn messages_name_the_request_they_answer() {
    let cases = [
        (
            bare(596, None, None),
            "SFMC answered HTTP 596 (Service Not Found) to the token request",
            "SFMC answered HTTP 596 (Service Not Found) to the tokenContext call",
        ),
        (
            bare(401, None, None),
            "SFMC answered HTTP 401 (Unauthorized) to the token request, with no details",
            "SFMC answered HTTP 401 (Unauthorized) to the tokenContext call, with no details",
        ),
        (
            bare(429, None, None),
            "SFMC answered HTTP 429 (Too Many Requests) to the token request",
            "SFMC answered HTTP 429 (Too Many Requests) to the tokenContext call",
        ),
        (
            bare(503, None, None),
            "HTTP 503 to the token request with an empty body",
            "HTTP 503 to the tokenContext call with an empty body",
        ),
        (
            bare(403, Some("Zscaler"), None),
            "The token request got an answer that is not SFMC's (HTTP 403, server \"Zscaler\", \
             empty body): a proxy, firewall, CDN or captive portal is in the way",
            "The tokenContext call got an answer that is not SFMC's (HTTP 403, server \
             \"Zscaler\", empty body): a proxy, firewall, CDN or captive portal is in the way",
        ),
    ];
    for (answer, token, rest) in cases {
        assert_eq!(token_failure(&answer).message, token);
        assert_eq!(rest_failure(&answer).message, rest);
    }
}

#[test]
fn proxy_evidence_is_a_via_header_or_an_intermediary_server() {
    let headers = |server: Option<&str>, via: Option<&str>| AnswerHeaders {
        server: server.map(str::to_string),
        via: via.map(str::to_string),
        ..AnswerHeaders::default()
    };
    let cases = [
        (headers(None, None), false),
        (headers(Some("Apache"), None), false),
        (headers(Some("nginx"), None), false),
        (headers(Some("Apache"), Some("1.1 corp-proxy")), true),
        (headers(None, Some("1.1 corp-proxy")), true),
        (headers(Some("cloudflare"), None), true),
        (headers(Some("AkamaiGHost"), None), true),
        (headers(Some("  squid/5.7"), None), true),
        (headers(Some("awselb/2.0"), None), true),
        (headers(Some("my-cloudflare"), None), false),
    ];
    for (headers, expected) in cases {
        assert_eq!(proxy_evidence(&headers), expected, "{headers:?}");
    }
}

#[test]
fn small_text_helpers() {
    assert_eq!(capitalise("the token request"), "The token request");
    assert_eq!(capitalise("über"), "Über");
    assert_eq!(capitalise(""), "");

    for (text, max, expected) in [
        ("abcd", 3, "abc…"),
        ("abc", 3, "abc"),
        ("ab", 3, "ab"),
        ("ééé", 2, "éé…"),
    ] {
        assert_eq!(cap(text, max), expected, "{text} {max}");
    }

    assert_eq!(clean(None, &[], 10), None);
    assert_eq!(clean(Some(""), &[], 10), None);
    assert_eq!(
        clean(Some("say \"hi\""), &[], 80),
        Some("say 'hi'".to_string())
    );
    assert_eq!(clean(Some("abcdefgh"), &[], 3), Some("abc…".to_string()));
    let secret = Secret::new("hunter22secret");
    assert_eq!(
        clean(Some("hunter22secret"), &[&secret], 80),
        Some("[redacted]".to_string())
    );
}

#[test]
fn secrets_are_found_in_any_case_from_four_characters() {
    let four = Secret::new("AbCd");
    let three = Secret::new("xyz");
    let cases: [(&str, &[&Secret], bool); 7] = [
        ("portal.abcd.example", &[&four], true),
        ("portal.ABCD.example", &[&four], true),
        ("portal.abc.example", &[&four], false),
        ("portal.xyz.example", &[&three], false),
        ("portal.example", &[&three], false),
        ("portal.abcd.example", &[&three, &four], true),
        ("portal.abcd.example", &[], false),
    ];
    for (text, secrets, expected) in cases {
        assert_eq!(carries_secret(text, secrets), expected, "{text}");
    }
}

#[test]
fn redirect_targets_show_the_host_only() {
    let secret = Secret::new("S3cretValue");
    let redirect = |location: Option<&str>| HttpAnswer {
        headers: AnswerHeaders {
            location: location.map(str::to_string),
            ..AnswerHeaders::default()
        },
        ..answer(302, "")
    };
    let cases = [
        (None, " with no Location"),
        (
            Some("https://Portal.Example.com/login?token=abc"),
            " to portal.example.com",
        ),
        (Some("/login"), " to another path on the same host"),
        (Some("https://s3cretvalue.example.com/"), " to [redacted]"),
        (Some("mailto:someone@example.com"), " to a non-web address"),
    ];
    for (location, expected) in cases {
        assert_eq!(
            redirect_target(&redirect(location), &[&secret]),
            expected,
            "{location:?}"
        );
    }
}

#[test]
fn who_answered_names_server_page_and_body_kind() {
    let with = |server: Option<&str>, via: Option<&str>, content_type: Option<&str>, body: &str| {
        HttpAnswer {
            headers: AnswerHeaders {
                server: server.map(str::to_string),
                via: via.map(str::to_string),
                content_type: content_type.map(str::to_string),
                location: None,
            },
            ..answer(403, body)
        }
    };
    let cases = [
        (
            with(
                Some("Zscaler"),
                None,
                None,
                "<html><title>Website blocked</title></html>",
            ),
            "server \"Zscaler\", page \"Website blocked\"",
        ),
        (
            with(Some("Zscaler"), Some("1.1 proxy"), None, ""),
            "server \"Zscaler\", empty body",
        ),
        (
            with(None, Some("1.1 proxy"), None, "  "),
            "via \"1.1 proxy\", empty body",
        ),
        (
            with(
                None,
                None,
                Some("application/json; charset=utf-8"),
                r#"{"message":"Forbidden"}"#,
            ),
            "a body of type application/json saying \"Forbidden\"",
        ),
        (
            with(None, None, Some("; charset=utf-8"), r#"{"error":"denied"}"#),
            "a JSON body saying \"denied\"",
        ),
        (with(None, None, None, r#"{"other":1}"#), "a JSON body"),
        (
            with(None, None, None, "<html><body>no</body></html>"),
            "an HTML page",
        ),
        (with(None, None, None, "blocked"), "a body of unknown type"),
        (
            with(None, None, Some("text/plain"), "blocked"),
            "a body of type text/plain",
        ),
    ];
    for (answer, expected) in cases {
        assert_eq!(who_answered(&answer, &[]), expected, "{answer:?}");
    }
    let large = HttpAnswer {
        body: Body::TooLarge {
            limit: 64 * 1024,
            prefix: b"blocked".to_vec(),
        },
        ..answer(403, "")
    };
    assert_eq!(
        who_answered(&large, &[]),
        "a body of unknown type, over 64 KiB"
    );
}

#[test]
fn html_is_told_by_its_type_or_its_first_character() {
    let typed = |content_type: &str, body: &str| HttpAnswer {
        headers: AnswerHeaders {
            content_type: Some(content_type.to_string()),
            ..AnswerHeaders::default()
        },
        ..answer(403, body)
    };
    let cases = [
        (typed("text/HTML; charset=utf-8", "blocked"), true),
        (typed("application/json", "{}"), false),
        (answer(403, "  \n<html>"), true),
        (answer(403, "{}"), false),
        (answer(403, ""), false),
    ];
    for (answer, expected) in cases {
        assert_eq!(looks_like_html(&answer), expected, "{answer:?}");
    }
}

#[test]
fn html_titles_are_read_within_the_first_64_kib() {
    let padded = |pad: usize, title: &str| {
        format!("<html>{}<title>{title}</title></html>", " ".repeat(pad)).into_bytes()
    };
    assert_eq!(html_title(b"<title>Hi</title>"), Some("Hi".to_string()));
    assert_eq!(
        html_title(b"<html><head><TITLE lang=en>Hi there</TITLE>"),
        Some("Hi there".to_string())
    );
    assert_eq!(html_title(&padded(5_000, "Far")), Some("Far".to_string()));
    assert_eq!(html_title(&padded(70_000, "Too far")), None);
    assert_eq!(html_title(b"<title>  </title>"), None);
    assert_eq!(html_title(b"<title>Hi"), None);
    assert_eq!(html_title(b"no title"), None);
}

#[test]
fn the_wait_in_an_sfmc_body_is_whole_seconds_rounded_up() {
    let secs = |s: u64| Some(Duration::from_secs(s));
    let cases: Vec<(Value, Option<Duration>)> = vec![
        (json!({"retryAfter": 3}), secs(3)),
        (json!({"retryAfter": 0}), secs(0)),
        (json!({"retryAfter": 2.1}), secs(3)),
        (json!({"retryAfter": "4"}), secs(4)),
        (json!({"retryAfter": " 5 "}), secs(5)),
        (json!({"retryAfter": -1}), None),
        (json!({"retryAfter": "-1"}), None),
        (json!({"retryAfter": "inf"}), None),
        (json!({"retryAfter": "soon"}), None),
        (json!({"retryAfter": true}), None),
        (json!({"retryAfter": null}), None),
        (json!({}), None),
    ];
    for (body, expected) in cases {
        assert_eq!(body_retry_after(&body), expected, "{body}");
    }
    assert_eq!(MAX_RETRY_AFTER, Duration::from_secs(86_400));
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    assert_eq!(parse_retry_after("", now), None);
    assert_eq!(parse_retry_after("12", now), secs(12));
    assert_eq!(parse_retry_after("1 2", now), None);
}

#[test]
fn a_token_goes_only_to_an_https_sfmc_rest_host() {
    use EndpointPolicy::*;
    let sfmc = "https://abc.rest.marketingcloudapis.com/";
    let cases = [
        (sfmc, SfmcOnly, Some(sfmc)),
        (
            "https://abc.rest.marketingcloudapis.com",
            SfmcOnly,
            Some(sfmc),
        ),
        ("  abc.rest.marketingcloudapis.com  ", SfmcOnly, Some(sfmc)),
        (
            "https://abc.rest.marketingcloudapis.com/base",
            SfmcOnly,
            Some("https://abc.rest.marketingcloudapis.com/base/"),
        ),
        ("http://abc.rest.marketingcloudapis.com/", SfmcOnly, None),
        ("https://evil.example/", SfmcOnly, None),
        ("https://a.b.rest.marketingcloudapis.com/", SfmcOnly, None),
        ("https://abc.auth.marketingcloudapis.com/", SfmcOnly, None),
        ("", SfmcOnly, None),
        ("https://", SfmcOnly, None),
        (
            "http://127.0.0.1:9000",
            AnyEndpoint,
            Some("http://127.0.0.1:9000/"),
        ),
        (
            "https://evil.example/",
            AnyEndpoint,
            Some("https://evil.example/"),
        ),
        ("ftp://evil.example/", AnyEndpoint, None),
        ("", AnyEndpoint, None),
    ];
    for (text, policy, expected) in cases {
        let got = parse_rest_url(text, policy).ok().map(|url| url.to_string());
        assert_eq!(got.as_deref(), expected, "{text:?} {policy:?}");
    }
    let refusal = parse_rest_url("http://abc.rest.marketingcloudapis.com/", SfmcOnly);
    assert_eq!(
        refusal.unwrap_err(),
        "SFMC's token answer named a REST URL that is not \
         https://<subdomain>.rest.marketingcloudapis.com/ \
         (http://abc.rest.marketingcloudapis.com); the token was not sent there"
    );
}

#[test]
fn sfmc_rest_hosts_are_one_label_under_rest_marketingcloudapis_com() {
    let cases = [
        ("https://abc.rest.marketingcloudapis.com/", true),
        ("http://abc.rest.marketingcloudapis.com/", true),
        ("https://a.b.rest.marketingcloudapis.com/", false),
        ("https://rest.marketingcloudapis.com/", false),
        (
            "https://abc.rest.marketingcloudapis.com.evil.example/",
            false,
        ),
        ("https://abc.auth.marketingcloudapis.com/", false),
    ];
    for (url, expected) in cases {
        let url = Url::parse(url).expect("the table holds valid URLs");
        assert_eq!(is_sfmc_rest_host(&url), expected, "{url}");
    }
}

#[test]
fn a_token_answer_needs_a_non_empty_access_token() {
    let rest = "https://abc.rest.marketingcloudapis.com/";
    let grant = |token: Value| {
        json!({"access_token": token, "rest_instance_url": rest, "expires_in": 1079}).to_string()
    };
    assert_eq!(token_class(200, &grant(json!("tok"))), OutcomeClass::Ok);
    for token in [json!(""), json!(null), json!(7)] {
        let failure = token_failure(&answer(200, &grant(token.clone())));
        assert_eq!(failure.class, OutcomeClass::MalformedResponse, "{token}");
        assert_eq!(failure.message, "SFMC's token answer had no access_token");
    }
}

#[test]
fn account_ids_are_numbers_or_numeric_strings() {
    let cases: Vec<(Value, Option<u64>)> = vec![
        (json!(123), Some(123)),
        (json!("456"), Some(456)),
        (json!(" 789 "), Some(789)),
        (json!("x"), None),
        (json!(-1), None),
        (json!(true), None),
        (json!(null), None),
    ];
    for (value, expected) in cases {
        assert_eq!(
            crate::sfmc::classify::context::as_id(&value),
            expected,
            "{value}"
        );
    }
}

#[test]
fn redirects_and_proxy_challenges_only_are_intermediary_whatever_the_body() {
    use OutcomeClass::*;
    let sfmc_words =
        json!({"error": "invalid_client", "error_description": "Client authentication failed."})
            .to_string();
    let cases = [
        (301, IntermediaryBlocked),
        (302, IntermediaryBlocked),
        (399, IntermediaryBlocked),
        (407, IntermediaryBlocked),
        (400, ClientAuthFailed),
        (401, ClientAuthFailed),
        (406, ClientAuthFailed),
        (408, ClientAuthFailed),
    ];
    for (status, class) in cases {
        assert_eq!(token_class(status, &sfmc_words), class, "{status}");
    }
}
