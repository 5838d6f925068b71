//! The ingest handler in-process over the in-memory store, fed real event JSON: a Lambda
//! function URL request (payload 2.0, body plain and base64), a CloudWatch Logs subscription
//! (gzip + base64 `awslogs.data`), an EventBridge `credwatch.sfmc_call.v1` event and the
//! schedule's `Scheduled Event`. The token appears in no answer.

mod common;

use std::io::Write;

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use credwatch::domain::passive::IngestToken;
use credwatch::inventory::{IngestBinding, Integration};
use credwatch::jobs::ingest::IngestConfig;
use credwatch::secrets::ingest_token::ingest_token_hash as token_hash;
use credwatch::store::memory::MemoryStore;
use credwatch::store::{IngestTokens, Integrations, PassiveRecords};
use credwatch_ingest::{App, InvocationError, handle};
use serde_json::{Value, json};

const TOKEN: &str = "cwi_handler-test-token-abcdefghijklmnopqrstuvwxyz012";
const ACCOUNT: &str = "123456789012";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 14, 7, 20).unwrap()
}

async fn app() -> App<MemoryStore> {
    let store = MemoryStore::new();
    let integration = integration();
    store
        .put_integration(&integration, now() - TimeDelta::days(1), now())
        .await
        .unwrap();
    store
        .put_ingest_token(&IngestToken {
            hash: token_hash(TOKEN),
            integration: integration.id.clone(),
            created_at: now() - TimeDelta::days(1),
        })
        .await
        .unwrap();
    App {
        store,
        config: IngestConfig {
            own_log_group_prefix: Some("/aws/lambda/credwatch-".to_string()),
            function_name: Some("credwatch-ingest".to_string()),
            ..IngestConfig::default()
        },
    }
}

/// An integration bound to a log group and an event source.
fn integration() -> Integration {
    common::integration(
        "orders-sync",
        "Orders sync",
        IngestBinding {
            log_groups: vec!["/aws/lambda/orders-sync".to_string()],
            event_sources: vec!["com.acme.orders-sync".to_string()],
        },
    )
}

fn event(status: u16) -> Value {
    json!({
        "observed_at": (now() - TimeDelta::seconds(2)).to_rfc3339(),
        "host": "mc123.auth.marketingcloudapis.com",
        "status": status,
    })
}

/// A function URL request as Lambda delivers it (payload format 2.0).
fn url_request(
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: &str,
    base64: bool,
) -> Value {
    let mut headers =
        json!({"content-type": "application/json", "host": "abc.lambda-url.us-east-1.on.aws"});
    if let Some(authorization) = authorization {
        headers["authorization"] = json!(authorization);
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc",
            "domainName": "abc.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "curl/8"},
            "requestId": "r-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "30/Nov/2026:14:07:20 +0000",
            "timeEpoch": 1_796_047_640_000_i64
        },
        "body": if base64 { base64::engine::general_purpose::STANDARD.encode(body) } else { body.to_string() },
        "isBase64Encoded": base64
    })
}

fn status_of(answer: &Value) -> i64 {
    answer["statusCode"]
        .as_i64()
        .expect("a function URL response")
}

fn body_of(answer: &Value) -> Value {
    serde_json::from_str(answer["body"].as_str().expect("a body")).expect("a JSON body")
}

#[tokio::test]
async fn function_url_requests_get_their_status_and_headers() {
    let app = app().await;
    let bearer = format!("Bearer {TOKEN}");
    let body = json!({"events": [event(200), event(401)]}).to_string();
    for base64 in [false, true] {
        let answer = handle(
            &app,
            &url_request("POST", "/v1/events", Some(&bearer), &body, base64),
            Some(ACCOUNT),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(status_of(&answer), 202, "{answer}");
        assert_eq!(answer["headers"]["content-type"], "application/json");
        assert_eq!(body_of(&answer)["accepted"], 2);
        assert!(!answer.to_string().contains(TOKEN));
    }
    let cases = [
        (url_request("POST", "/v1/events", None, &body, false), 401),
        (
            url_request("POST", "/v1/events", Some("Bearer cwi_nope"), &body, false),
            401,
        ),
        (
            url_request("GET", "/v1/events", Some(&bearer), "", false),
            405,
        ),
        (url_request("POST", "/", Some(&bearer), &body, false), 404),
        (
            url_request("POST", "/v1/events", Some(&bearer), "{not json", false),
            400,
        ),
    ];
    for (request, status) in cases {
        let answer = handle(&app, &request, Some(ACCOUNT), now()).await.unwrap();
        assert_eq!(status_of(&answer), status, "{answer}");
        if status == 401 {
            assert_eq!(answer["headers"]["www-authenticate"], "Bearer");
        }
        assert!(!answer.to_string().contains(TOKEN));
    }
}

/// `awslogs.data` as CloudWatch Logs sends it: the JSON document gzipped, then base64.
fn logs_event(log_group: &str, message_type: &str, lines: &[&str]) -> Value {
    let data = json!({
        "messageType": message_type,
        "owner": ACCOUNT,
        "logGroup": log_group,
        "logStream": "2026/11/30/[$LATEST]abc",
        "subscriptionFilters": ["credwatch"],
        "logEvents": lines.iter().enumerate().map(|(i, line)| json!({
            "id": format!("3720{i}"),
            "timestamp": now().timestamp_millis() - 1000,
            "message": line,
        })).collect::<Vec<_>>(),
    });
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(data.to_string().as_bytes()).unwrap();
    let bytes = gzip.finish().unwrap();
    json!({"awslogs": {"data": base64::engine::general_purpose::STANDARD.encode(bytes)}})
}

#[tokio::test]
async fn log_subscriptions_are_read_for_the_bound_group_only() {
    let app = app().await;
    let line = json!({"schema": "credwatch.sfmc_call.v1", "observed_at": now().to_rfc3339(), "call_kind": "rest", "status": 200}).to_string();
    let lines = [line.as_str(), "START RequestId: 1 Version: $LATEST"];
    let cases = [
        ("/aws/lambda/orders-sync", "DATA_MESSAGE", 1, 0),
        ("/aws/lambda/orders-sync", "CONTROL_MESSAGE", 0, 0),
        ("/aws/lambda/unknown", "DATA_MESSAGE", 0, 1),
        ("/aws/lambda/credwatch-probe", "DATA_MESSAGE", 0, 0),
        ("/aws/lambda/credwatch-ingest", "DATA_MESSAGE", 0, 0),
    ];
    for (group, kind, accepted, unmapped) in cases {
        let answer = handle(&app, &logs_event(group, kind, &lines), Some(ACCOUNT), now())
            .await
            .unwrap();
        assert_eq!(answer["accepted"], accepted, "{group} {kind}: {answer}");
        assert_eq!(
            answer["unmapped_log_groups"], unmapped,
            "{group} {kind}: {answer}"
        );
    }
    let bad = json!({"awslogs": {"data": "not base64 gzip"}});
    assert!(matches!(
        handle(&app, &bad, Some(ACCOUNT), now()).await,
        Err(InvocationError::BadEvent(_))
    ));
}

fn bus_event(detail_type: &str, source: &str, account: &str, detail: Value) -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": now().to_rfc3339(),
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    })
}

#[tokio::test]
async fn eventbridge_events_and_the_schedule() {
    let app = app().await;
    let ok = handle(
        &app,
        &bus_event(
            "credwatch.sfmc_call.v1",
            "com.acme.orders-sync",
            ACCOUNT,
            event(200),
        ),
        Some(ACCOUNT),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        (ok["accepted"].as_u64(), ok["refused"].as_u64()),
        (Some(1), Some(0)),
        "{ok}"
    );
    let foreign = handle(
        &app,
        &bus_event(
            "credwatch.sfmc_call.v1",
            "com.acme.orders-sync",
            "210987654321",
            event(200),
        ),
        Some(ACCOUNT),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        (foreign["accepted"].as_u64(), foreign["refused"].as_u64()),
        (Some(0), Some(1))
    );
    let minutes = app
        .store
        .minutes(
            "orders-sync",
            now() - TimeDelta::hours(1),
            now() + TimeDelta::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(
        minutes.iter().flat_map(|m| m.counts.values()).sum::<u64>(),
        1
    );

    let sweep = handle(
        &app,
        &bus_event("Scheduled Event", "aws.events", ACCOUNT, json!({})),
        Some(ACCOUNT),
        now() + TimeDelta::minutes(5),
    )
    .await
    .unwrap();
    assert_eq!(sweep["evaluated"], 1, "{sweep}");
    assert!(sweep["source"].is_null());

    assert!(matches!(
        handle(&app, &json!({"Records": []}), Some(ACCOUNT), now()).await,
        Err(InvocationError::BadEvent(_))
    ));
}
