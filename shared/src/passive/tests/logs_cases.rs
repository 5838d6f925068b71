//! Real log shapes, one test each.

use super::*;
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{CallKind, SfmcCall};

const LOG_ID: &str = "37916553493427184961937513624389762519537812372385169408";

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 2, 59, 30).unwrap()
}

fn logs_binding() -> Binding {
    Binding {
        source: EventSource::Logs,
        ..binding()
    }
}

fn parsed(line: &str) -> Option<Result<SfmcCall, EventError>> {
    parse_log_line(line, LOG_ID, at(), &logs_binding())
}

fn read(line: &str) -> SfmcCall {
    match parsed(line) {
        Some(Ok(call)) => call,
        other => panic!("{line}\n-> {other:?}"),
    }
}

fn summary(call: &SfmcCall) -> (CallKind, Option<u16>, Option<OutcomeClass>) {
    (call.call_kind, call.status, call.class)
}

#[test]
fn a_json_event_line() {
    let event = r#"{"schema":"credwatch.sfmc_call.v1","call_kind":"token","status":401,"oauth_error":"invalid_client","message":"Client authentication failed."}"#;
    for line in [
        event.to_string(),
        format!("2026-12-01T02:59:30.120Z\tc0ffee-1\tINFO\t{event}"),
    ] {
        let call = read(&line);
        assert_eq!(
            summary(&call),
            (
                CallKind::Token,
                Some(401),
                Some(OutcomeClass::ClientAuthFailed)
            )
        );
        assert_eq!(call.event_id, LOG_ID, "a redelivered line counts once");
        assert_eq!(call.observed_at, at());
        assert_eq!(call.source, EventSource::Logs);
    }
    // A wrapped event (a logger's `message` object) and its own observed_at and event_id.
    let wrapped = r#"{"level":"INFO","message":{"schema":"credwatch.sfmc_call.v1","event_id":"e-1","observed_at":"2026-12-01T02:58:00Z","call_kind":"rest","status":200}}"#;
    let call = read(wrapped);
    assert_eq!(
        (call.event_id.as_str(), call.class),
        ("e-1", Some(OutcomeClass::Ok))
    );
    assert_eq!(
        call.observed_at,
        Utc.with_ymd_and_hms(2026, 12, 1, 2, 58, 0).unwrap()
    );
}

#[test]
fn a_json_event_line_that_is_refused() {
    let line = r#"{"schema":"credwatch.sfmc_call.v1","call_kind":"token","status":401,"client_secret":"hunter2hunter2"}"#;
    let error = parsed(line).unwrap().unwrap_err();
    assert_eq!(error.field, "client_secret");
    assert!(!format!("{error:?}").contains("hunter2"));
    let other_version = r#"{"schema":"credwatch.sfmc_call.v2","call_kind":"rest","status":200}"#;
    assert_eq!(parsed(other_version).unwrap().unwrap_err().field, "schema");
}

#[test]
fn powertools_structured_logs() {
    let oauth = r#"{"level":"ERROR","location":"handler:42","message":"SFMC token request failed","timestamp":"2026-12-01 02:59:30,120+0000","service":"orders-sync","statusCode":401,"error":"invalid_client","error_description":"Client authentication failed. Make sure that the client ID and client secret are valid and that the package is installed and enabled.","xray_trace_id":"1-5759e988-bd862e3fe1be46a994272793"}"#;
    let call = read(oauth);
    assert_eq!(
        summary(&call),
        (
            CallKind::Token,
            Some(401),
            Some(OutcomeClass::ClientAuthFailed)
        )
    );
    assert_eq!(call.oauth_error.as_deref(), Some("invalid_client"));
    assert!(
        call.message
            .unwrap()
            .starts_with("Client authentication failed.")
    );
    let nested = r#"{"level":"ERROR","message":"SFMC call failed","status":403,"url":"https://mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com/asset/v1/content/assets/123456?$page=1","response":{"message":"Insufficient privileges to complete this action.","errorcode":20002,"documentation":"https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"}}"#;
    let call = read(nested);
    assert_eq!(
        summary(&call),
        (
            CallKind::Rest,
            Some(403),
            Some(OutcomeClass::RestUnauthorized)
        )
    );
    assert_eq!(call.sfmc_errorcode, Some(20002));
    assert_eq!(
        call.path_template.as_deref(),
        Some("/asset/v1/content/assets/{id}")
    );
    assert_eq!(
        call.host.as_deref(),
        Some("mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com")
    );
    // The body logged as a JSON string inside the structured log.
    let quoted = r#"{"level":"WARN","msg":"sfmc","status_code":"429","body":"{\"message\":\"Your requests are temporarily blocked.\",\"errorcode\":50200}","host":"mc1.auth.marketingcloudapis.com"}"#;
    let call = read(quoted);
    assert_eq!(
        summary(&call),
        (CallKind::Token, Some(429), Some(OutcomeClass::Throttled))
    );
    assert_eq!(call.sfmc_errorcode, Some(50200));
}

#[test]
fn fuelsdk_python_app_keys() {
    for line in [
        "[ERROR]\t2026-12-01T02:59:30.120Z\treq-1\tUnable to validate App Keys(ClientID/ClientSecret) provided, requestToken response:{'error': 'invalid_client', 'error_description': 'Invalid client ID. Use the client ID in Marketing Cloud Installed Packages.', 'error_uri': 'https://developer.salesforce.com/docs'}",
        "Exception: Unable to validate App Keys(ClientID/ClientSecret) provided: {'error': 'invalid_client', 'error_description': 'Invalid client ID. Use the client ID in Marketing Cloud Installed Packages.', 'error_uri': 'https://developer.salesforce.com/docs'}",
    ] {
        let call = read(line);
        assert_eq!(
            summary(&call),
            (
                CallKind::Token,
                Some(401),
                Some(OutcomeClass::InvalidClientId)
            ),
            "{line}"
        );
        assert_eq!(
            call.message.as_deref(),
            Some("Invalid client ID. Use the client ID in Marketing Cloud Installed Packages.")
        );
    }
    // Python's repr switches to double quotes around an apostrophe.
    let ip = r#"Unable to validate App Keys(ClientID/ClientSecret) provided: {'error': 'invalid_grant', 'error_description': "The client's IP address is unauthorized for this account. Allowlist the client's IP address in Marketing Cloud Administration.", 'error_uri': 'https://developer.salesforce.com/docs'}"#;
    assert_eq!(
        summary(&read(ip)),
        (
            CallKind::Token,
            Some(400),
            Some(OutcomeClass::IpNotAllowlisted)
        )
    );
}

#[test]
fn sfmc_sdk_node_rest_errors() {
    let rest = "2026-12-01T02:59:30.120Z\treq-2\tERROR\tRestError: Not Authorized\n    at RestError (/var/task/node_modules/sfmc-sdk/lib/util.js:50:9) {\n  code: 0,\n  endpoint: 'https://mc1.rest.marketingcloudapis.com/data/v1/customobjectdata/key/ABC/rowset'\n}";
    let call = read(rest);
    assert_eq!(
        summary(&call),
        (
            CallKind::Rest,
            Some(401),
            Some(OutcomeClass::RestUnauthorized)
        )
    );
    assert_eq!(call.message.as_deref(), Some("Not Authorized"));
    let token = "Unhandled Promise Rejection \tRestError: Client authentication failed. Make sure that the client ID and client secret are valid and that the package is installed and enabled.\n    at Auth._requestToken (/var/task/node_modules/sfmc-sdk/lib/auth.js:230:19) {\n  code: 'invalid_client',\n  endpoint: 'https://mc1.auth.marketingcloudapis.com/v2/token'\n}";
    let call = read(token);
    assert_eq!(
        summary(&call),
        (
            CallKind::Token,
            Some(401),
            Some(OutcomeClass::ClientAuthFailed)
        )
    );
    assert_eq!(call.path_template.as_deref(), Some("/v2/token"));
}

#[test]
fn python_requests_http_error() {
    let line = "[ERROR] HTTPError: 401 Client Error: Unauthorized for url: https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/v2/token";
    let call = read(line);
    assert_eq!(
        summary(&call),
        (CallKind::Token, Some(401), Some(OutcomeClass::AuthRejected))
    );
    assert_eq!(call.path_template.as_deref(), Some("/v2/token"));
    let line = "requests.exceptions.HTTPError: 503 Server Error: Service Unavailable for url: https://mc1.rest.marketingcloudapis.com/platform/v1/tokenContext";
    assert_eq!(
        summary(&read(line)),
        (
            CallKind::Rest,
            Some(503),
            Some(OutcomeClass::SfmcUnavailable)
        )
    );
}

#[test]
fn soap_faults() {
    let line = r#"SOAP call failed: <?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode xmlns:q0="http://exacttarget.com">q0:Security</faultcode><faultstring>Token Expired</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
    let call = read(line);
    assert_eq!(
        summary(&call),
        (
            CallKind::Soap,
            Some(500),
            Some(OutcomeClass::RestUnauthorized)
        )
    );
    assert_eq!(call.soap_fault.as_deref(), Some("Token Expired"));
    let permission = "POST https://mc1.soap.marketingcloudapis.com/Service.asmx status 500 <faultstring>API Permission Failed</faultstring>";
    let call = read(permission);
    assert_eq!(
        summary(&call),
        (
            CallKind::Soap,
            Some(500),
            Some(OutcomeClass::RestUnauthorized)
        )
    );
}

#[test]
fn java_and_mule_lines() {
    let java = r#"2026-12-01 02:59:30,123 ERROR [http-nio-8080-exec-1] c.e.sfmc.SfmcClient - HTTP POST https://mc1.auth.marketingcloudapis.com/v2/token failed with status 401: {"error":"invalid_client","error_description":"Client authentication failed. Make sure that the client ID and client secret are valid and that the package is installed and enabled.","error_uri":"https://developer.salesforce.com/docs"}"#;
    assert_eq!(
        summary(&read(java)),
        (
            CallKind::Token,
            Some(401),
            Some(OutcomeClass::ClientAuthFailed)
        )
    );
    let mule = r#"ERROR 2026-12-01 02:59:30,123 [[MuleRuntime].uber.03: [sfmc-sync].sync.CPU_LITE @5b3a] org.mule.runtime.core.internal.exception.OnErrorPropagateHandler: HTTP GET on resource 'https://mc1.rest.marketingcloudapis.com/platform/v1/tokenContext' failed: too many requests (429). {"message":"Rate limit exceeded","errorcode":50100,"retryAfter":5}"#;
    let call = read(mule);
    assert_eq!(
        summary(&call),
        (CallKind::Rest, Some(429), Some(OutcomeClass::Throttled))
    );
    assert_eq!(call.sfmc_errorcode, Some(50100));
}

#[test]
fn network_errors_to_sfmc() {
    let line = "Error: connect ETIMEDOUT 13.110.1.1:443 while calling https://mc1.rest.marketingcloudapis.com/hub/v1/dataevents";
    let call = read(line);
    assert_eq!(call.network_error.map(|e| e.as_str()), Some("timeout"));
    assert_eq!(call.class, Some(OutcomeClass::Network));
}

#[test]
fn other_lines_are_not_calls() {
    for line in [
        "START RequestId: 8f5b3c7e-1c0a-4f57-9c43-d7b5f1e2a1b0 Version: $LATEST",
        "END RequestId: 8f5b3c7e-1c0a-4f57-9c43-d7b5f1e2a1b0",
        "REPORT RequestId: 8f5b3c7e-1c0a-4f57-9c43-d7b5f1e2a1b0\tDuration: 102.35 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB",
        "INIT_START Runtime Version: python:3.12.v40",
        "2026-12-01T02:59:30.120Z\treq-3\tINFO\tprocessed 200 orders, status 200",
        r#"{"level":"ERROR","error":"timeout","message":"database query failed","statusCode":500}"#,
        r#"{"level":"INFO","message":"order 123 synced","status":200}"#,
        "Slack API: Rate limit exceeded (429)",
        "",
        "{",
    ] {
        assert!(parsed(line).is_none(), "{line}");
    }
}

#[test]
fn secrets_in_a_line_never_survive() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    let line = format!(
        "401 Client Error: Unauthorized for url: https://mc1.auth.marketingcloudapis.com/v2/token?client_secret=hunter2 \
         headers={{'Authorization': 'Bearer xyz'}} token={jwt} client_secret=pa55word posted to \
         https://hooks.slack.com/services/T0A1/B0A2/abcdEFGH1234 Bearer xyz"
    );
    let call = read(&line);
    let shown = serde_json::to_string(&call).unwrap();
    for secret in ["hunter2", "xyz", "eyJhbGci", "pa55word", "abcdEFGH1234"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert_eq!(call.path_template.as_deref(), Some("/v2/token"));
    assert_eq!(call.status, Some(401));
}

#[test]
fn long_lines_are_read_only_as_far_as_the_cap() {
    let padding = "x ".repeat(MAX_LOG_LINE_BYTES);
    let late = format!(
        "{padding} 401 Client Error: Unauthorized for url: https://mc1.auth.marketingcloudapis.com/v2/token"
    );
    assert!(parsed(&late).is_none());
    let early = format!(
        "401 Client Error: Unauthorized for url: https://mc1.auth.marketingcloudapis.com/v2/token {padding}"
    );
    let call = read(&early);
    // A line without SFMC's own words keeps none of its text.
    assert_eq!(call.message, None);
    assert_eq!(call.status, Some(401));
}

/// Secrets hidden from word-by-word redaction by escapes, spaces or glue (the hostile review):
/// none of them survives in what is kept.
#[test]
fn escaped_and_spaced_secrets_never_survive() {
    const SECRET: &str = "Xy7kQ2mN8pR4sT6vW1zA3bC5";
    let lines = [
        format!(
            r#"{{"level":"error","msg":"token request failed","statusCode":401,"url":"https://mc123.auth.marketingcloudapis.com/v2/token","request":{{"body":"{{\"client_id\":\"abc\",\"client_secret\":\"{SECRET}\"}}"}}}}"#
        ),
        format!(
            r#"{{"statusCode":401,"error":"invalid_client","error_description":"Client authentication failed. body={{\"client_id\": \"abc\", \"client_secret\": \"{SECRET}\"}}","url":"https://mc1.auth.marketingcloudapis.com/v2/token"}}"#
        ),
    ];
    for line in &lines {
        let call = read(line);
        let kept = serde_json::to_string(&call).unwrap();
        assert!(!kept.contains(SECRET), "{kept}");
    }
    for message in [
        format!("grant_type%3Dclient_credentials%26client_id%3Dabc%26client_secret%3D{SECRET}"),
        "\"client_secret\" : \"hunter2pass\"".to_string(),
        "password = hunter2".to_string(),
        "{\"headers\":\"{\\\"Authorization\\\":\\\"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc123def\\\"}\"}"
            .to_string(),
        format!("{{\"Authorization\":\"Bearer {SECRET}\"}}"),
    ] {
        let kept = credwatch_redact(&message);
        for secret in [SECRET, "hunter2", "eyJhbGciOiJIUzI1NiJ9"] {
            assert!(!kept.contains(secret), "{secret} in {kept} (from {message})");
        }
    }
}

fn credwatch_redact(text: &str) -> String {
    crate::passive::redact_message(text, MAX_MESSAGE_CHARS)
}

#[test]
fn an_old_line_is_refused_with_its_reason() {
    let old = Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap();
    let line =
        "401 Client Error: Unauthorized for url: https://mc1.auth.marketingcloudapis.com/v2/token";
    let error = parse_log_line(line, LOG_ID, old, &logs_binding())
        .unwrap()
        .unwrap_err();
    assert_eq!(error.field, "observed_at");
}

#[test]
fn an_event_with_too_many_values_is_refused_whole() {
    // Keys are what is searched; each object below holds one.
    let many: Vec<Value> = (0..100_001).map(|i| json!({"k": i})).collect();
    let error = refused(event(json!({"reporter": many})));
    assert_eq!(error.field, "(event)");
    assert!(error.problem.contains("more than 100000 values"), "{error}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn no_line_panics(line in "\\PC{0,300}", id in "\\PC{0,80}") {
            let _ = parse_log_line(&line, &id, at(), &logs_binding());
        }

        #[test]
        fn no_line_shape_panics(
            parts in prop::collection::vec(prop::sample::select(vec![
                "{", "}", "'", "\"", ":", "=", " ", "error", "error_description", "errorcode",
                "message", "status", "401", "<faultstring>", "</", "RestError: ", "code: ",
                "https://", "mc1.auth.marketingcloudapis.com", "/v2/token", "\n", "é", "invalid_client",
                "Client Error", "http", "50200", "schema", "credwatch.sfmc_call.v1",
            ]), 0..40)
        ) {
            let line: String = parts.concat();
            let _ = parse_log_line(&line, LOG_ID, at(), &logs_binding());
        }

        #[test]
        fn secrets_in_sfmc_lines_never_survive(
            secret in "[A-Z]{6,12}Q",
            before in "[0-9 .,:]{0,30}",
            shape in 0usize..5,
        ) {
            let leak = match shape {
                0 => format!("client_secret={secret}"),
                1 => format!("Bearer {secret}"),
                2 => format!("{{'password': '{secret}'}}"),
                3 => format!("Authorization: Basic {secret}"),
                _ => format!("https://hooks.slack.com/services/T0/B0/{secret}"),
            };
            let line = format!(
                "{before} 401 Client Error: Unauthorized for url: \
                 https://mc1.auth.marketingcloudapis.com/v2/token {leak} {before}"
            );
            if let Some(Ok(call)) = parse_log_line(&line, LOG_ID, at(), &logs_binding()) {
                let shown = serde_json::to_string(&call).unwrap();
                prop_assert!(!shown.contains(&secret), "{} -> {}", line, shown);
            } else {
                prop_assert!(false, "{} was not read as a call", line);
            }
        }
    }
}

/// A structured log's own fields decide over words in its text: its status key (number or
/// string, at any depth, in arrays, in JSON quoted inside a string) wins over a status the
/// message mentions, and other numbers are no status.
#[test]
fn a_structured_logs_fields_decide_over_its_text() {
    let tail = r#""error":"invalid_client","error_description":"Client authentication failed.""#;
    for (fields, status) in [
        (r#""responseStatus":403,"upstream_ms":250"#, 403),
        (r#""responseStatus":"403","version":"300""#, 403),
        (r#""res":{"responseStatus":403}"#, 403),
        (r#""errors":[{"responseStatus":403}]"#, 403),
        (r#""body":"{\"responseStatus\":403}""#, 403),
        // No status field: the text's.
        (r#""upstream_ms":250"#, 200),
    ] {
        let line = format!(r#"{{"note":"SFMC status 200 expected",{fields},{tail}}}"#);
        assert_eq!(read(&line).status, Some(status), "{line}");
    }
}

/// At most MAX_JSON_VALUES (2,000) values of one structured log are looked at: a status
/// beyond them is not read (its text still is).
#[test]
fn a_structured_log_is_read_up_to_two_thousand_values() {
    // Keys are visited from the last in order: the fillers, then `responseStatus`.
    let line = |fillers: usize| {
        let fill: String = (0..fillers).map(|i| format!(r#","z{i:05}":1"#)).collect();
        format!(
            r#"{{"note":"SFMC status 200 expected","responseStatus":403,"error":"invalid_client"{fill}}}"#
        )
    };
    assert_eq!(read(&line(1_999)).status, Some(403), "the 2,000th value");
    assert_eq!(read(&line(2_000)).status, Some(200), "the 2,001st value");
}

/// A line that gives SFMC's errorcode without a status gets the status SFMC documents for it.
#[test]
fn an_errorcode_without_a_status_gets_sfmcs() {
    for (code, status) in [
        (0, 401),
        (40004, 401),
        (20002, 403),
        (40001, 403),
        (50200, 429),
        (50300, 503),
    ] {
        let line = format!(
            r#"{{"level":"ERROR","response":{{"errorcode":{code},"message":"SFMC said no."}}}}"#
        );
        assert_eq!(read(&line).status, Some(status), "{code}");
    }
}

/// Words well inside the 256 KiB a line is read to are found.
#[test]
fn words_within_the_cap_are_read() {
    let padding = "x ".repeat(50_000);
    let line = format!(
        "{padding} 401 Client Error: Unauthorized for url: https://mc1.auth.marketingcloudapis.com/v2/token"
    );
    assert_eq!(read(&line).status, Some(401));
}

/// SFMC's field names in any case (a logger that capitalises keys): read from the JSON, where
/// the text's own search (exact names, XML tags) misses them.
#[test]
fn sfmc_fields_in_any_case() {
    let call = read(
        r#"{"Level":"Error","Error":"invalid_client","Error_Description":"Client authentication failed.","StatusCode":401}"#,
    );
    assert_eq!(call.oauth_error.as_deref(), Some("invalid_client"));
    assert_eq!(
        call.message.as_deref(),
        Some("Client authentication failed.")
    );
    assert_eq!(call.class, Some(OutcomeClass::ClientAuthFailed));
    let call = read(r#"{"Level":"Error","FaultString":"Token Expired","StatusCode":500}"#);
    assert_eq!(call.soap_fault.as_deref(), Some("Token Expired"));
    assert_eq!(
        summary(&call),
        (
            CallKind::Soap,
            Some(500),
            Some(OutcomeClass::RestUnauthorized)
        )
    );
}

/// SFMC's words nested in a structured log: its `errorcode` and its `message` (not the
/// logger's own `message`) are the evidence.
#[test]
fn sfmcs_nested_error_and_its_own_message() {
    let call = read(
        r#"{"message":"SFMC call failed","response":{"errorcode":20002,"message":"Insufficient privileges to complete this action."}}"#,
    );
    assert_eq!(call.sfmc_errorcode, Some(20002));
    assert_eq!(
        call.message.as_deref(),
        Some("Insufficient privileges to complete this action.")
    );
    assert_eq!(call.status, Some(403));
}

/// Every OAuth error code is SFMC's answer, whatever its words; the status is OAuth's 400.
#[test]
fn any_oauth_error_code_is_read() {
    let call = read(
        r#"{"error":"invalid_scope","error_description":"The scope is not allowed.","url":"https://mc1.auth.marketingcloudapis.com/v2/token"}"#,
    );
    assert_eq!(call.oauth_error.as_deref(), Some("invalid_scope"));
    assert_eq!((call.call_kind, call.status), (CallKind::Token, Some(400)));
}

/// A brace that opens no JSON object before the structured part is skipped.
#[test]
fn the_json_after_a_stray_brace() {
    let call = read(
        r#"2026-12-01T02:59:30Z ERROR job {orders} failed {"Error":"invalid_scope","Error_Description":"The scope is not allowed.","StatusCode":400}"#,
    );
    assert_eq!(call.oauth_error.as_deref(), Some("invalid_scope"));
}

/// At most 8 JSON bodies quoted inside one structured log's strings are read.
#[test]
fn at_most_eight_quoted_bodies_are_read() {
    // Keys are visited from the last: b9 (or b8) first, b1 last.
    let line = |bodies: usize| {
        let quoted: String = (2..=bodies)
            .map(|i| format!(r#","b{i}":"{{\"n\":{i}}}""#))
            .collect();
        format!(
            r#"{{"note":"SFMC status 200 expected","error":"invalid_client","b1":"{{\"responseStatus\":403}}"{quoted}}}"#
        )
    };
    assert_eq!(read(&line(8)).status, Some(403), "the 8th body");
    assert_eq!(read(&line(9)).status, Some(200), "a 9th body");
}

/// SFMC's own words count without an SFMC host; words other APIs use too need one.
#[test]
fn sfmc_only_words_need_no_host() {
    let call = read("orders-sync: Your requests are temporarily blocked.");
    assert_eq!(call.sfmc_errorcode, Some(50200));
    assert_eq!(call.status, Some(429));
    assert!(parsed("orders-sync: Rate limit exceeded").is_none());
    assert!(parsed("calling requestToken for the nightly job").is_none());
}

/// A status and a connection word in one line: an answer came, so it is no network error.
#[test]
fn an_answered_call_is_no_network_error() {
    let call = read(
        r#"{"statusCode":504,"url":"https://mc1.rest.marketingcloudapis.com/data/v1/customobjectdata","message":"upstream ETIMEDOUT"}"#,
    );
    assert_eq!((call.status, call.network_error), (Some(504), None));
    assert_eq!(call.class, Some(OutcomeClass::SfmcUnavailable));
}

/// The token path on a host that does not say `auth` is still a token call; a line with an
/// SFMC host but no status and no fault keeps no status.
#[test]
fn kinds_and_statuses_a_line_does_not_say() {
    let call =
        read("401 Client Error: Unauthorized for url: https://mc1.marketingcloudapis.com/v2/token");
    assert_eq!((call.call_kind, call.status), (CallKind::Token, Some(401)));
    let call = read("GET https://mc1.rest.marketingcloudapis.com/asset/v1/content/assets failed");
    assert_eq!(
        (call.call_kind, call.status, call.class),
        (CallKind::Rest, None, None)
    );
}
