//! The ingest use case over the in-memory store: statuses, token handling, the flood limit, log
//! groups and event sources, and the metrics catalogue.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};

use super::eventbridge::{BusEvent, handle_bus_event};
use super::https::{HttpRequest, bearer_token, handle_request, seconds_to_next_minute};
use super::logs::{LogBatch, LogLine, handle_logs, is_own_log_group};
use super::sweep::sweep;
use super::{IngestConfig, IngestSummary};
use crate::domain::passive::{EventSource, IngestToken};
use crate::inventory::Integration;
use crate::notify::fixtures;
use crate::secrets::ingest_token::ingest_token_hash as token_hash;
use crate::store::memory::MemoryStore;
use crate::store::{Incidents, IngestTokens, Integrations, PassiveRecords};
use crate::telemetry::metrics::{self, catalogued, declared};

const TOKEN: &str = "cwi_test-token-0123456789abcdefghijklmnopqrstuv";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 14, 7, 20).unwrap()
}

fn integration() -> Integration {
    let mut integration = fixtures::integration();
    integration.ingest.log_groups = vec!["/aws/lambda/loyalty-feed".to_string()];
    integration.ingest.event_sources = vec!["com.acme.loyalty".to_string()];
    integration
}

async fn store_with_token() -> MemoryStore {
    let store = MemoryStore::new();
    store
        .put_integration(&integration(), now() - TimeDelta::days(1), now())
        .await
        .unwrap();
    store
        .put_ingest_token(&IngestToken {
            hash: token_hash(TOKEN),
            integration: "loyalty-feed".to_string(),
            created_at: now() - TimeDelta::days(1),
        })
        .await
        .unwrap();
    store
}

fn post(body: &Value) -> HttpRequest {
    HttpRequest {
        method: "POST".to_string(),
        path: "/v1/events".to_string(),
        authorization: Some(format!("Bearer {TOKEN}")),
        body: serde_json::to_vec(body).unwrap(),
    }
}

fn event(status: u16) -> Value {
    json!({
        "observed_at": (now() - TimeDelta::seconds(5)).to_rfc3339(),
        "call_kind": "token",
        "status": status,
        "oauth_error": if status == 401 { Some("invalid_client") } else { None },
        "message": if status == 401 { Some("Client authentication failed.") } else { None },
    })
}

#[test]
fn only_a_bearer_authorization_gives_a_token() {
    let cases = [
        ("Bearer abc", Some("abc")),
        ("bearer abc", Some("abc")),
        ("BEARER  abc ", Some("abc")),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Bearer a b", None),
        ("abc", None),
        ("", None),
    ];
    for (header, token) in cases {
        assert_eq!(bearer_token(header), token, "{header:?}");
    }
}

#[test]
fn retry_after_is_the_seconds_to_the_next_minute() {
    let at = |s| Utc.with_ymd_and_hms(2026, 11, 30, 14, 7, s).unwrap();
    assert_eq!(seconds_to_next_minute(at(0)), 60);
    assert_eq!(seconds_to_next_minute(at(20)), 40);
    assert_eq!(seconds_to_next_minute(at(59)), 1);
}

#[test]
fn the_stacks_own_log_groups_are_never_read() {
    let config = IngestConfig {
        own_log_group_prefix: Some("/aws/lambda/credwatch-".to_string()),
        function_name: Some("cw-ingest".to_string()),
        ..IngestConfig::default()
    };
    let cases = [
        ("/aws/lambda/credwatch-probe", true),
        ("/aws/lambda/credwatch-ingest", true),
        ("/aws/lambda/cw-ingest", true),
        ("/aws/lambda/cw-ingest-other", false),
        ("/aws/lambda/loyalty-feed", false),
        ("/aws/lambda/credwatch", false),
    ];
    for (group, own) in cases {
        assert_eq!(is_own_log_group(&config, group), own, "{group}");
    }
    let empty = IngestConfig {
        own_log_group_prefix: Some(String::new()),
        ..IngestConfig::default()
    };
    assert!(!is_own_log_group(&empty, "/aws/lambda/loyalty-feed"));
}

#[test]
fn the_metrics_are_the_catalogued_ones() {
    let https = IngestSummary {
        source: Some(EventSource::Https),
        http_status: Some(202),
        ..IngestSummary::default()
    };
    let mut sets = https.metrics();
    sets.extend(IngestSummary::default().metrics());
    assert_eq!(declared(&sets), catalogued(metrics::INGEST));
}

#[tokio::test]
async fn other_paths_and_methods_are_404_and_405() {
    let store = store_with_token().await;
    let config = IngestConfig::default();
    let mut request = post(&json!({"events": [event(200)]}));
    request.path = "/v1/other".to_string();
    assert_eq!(
        handle_request(&store, &config, &request, now())
            .await
            .0
            .status,
        404
    );
    // The function URL ends in `/`: `{IngestUrl}/v1/events` must work as well as
    // `{IngestUrl}v1/events`.
    for path in ["/v1/events", "//v1/events", "/v1/events/"] {
        let mut request = post(&json!({"events": [event(200)]}));
        request.path = path.to_string();
        let (response, _) = handle_request(&store, &config, &request, now()).await;
        assert_eq!(response.status, 202, "{path}: {}", response.body);
    }
    let mut request = post(&json!({"events": [event(200)]}));
    request.method = "GET".to_string();
    let (response, _) = handle_request(&store, &config, &request, now()).await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("Allow"), Some("POST"));
}

#[tokio::test]
async fn without_a_valid_token_the_answer_is_401_and_tells_nothing_more() {
    let store = store_with_token().await;
    let config = IngestConfig::default();
    let body = json!({"events": [event(200)]});
    let mut answers = Vec::new();
    for authorization in [None, Some("Bearer cwi_wrong"), Some(TOKEN)] {
        let mut request = post(&body);
        request.authorization = authorization.map(str::to_string);
        let (response, summary) = handle_request(&store, &config, &request, now()).await;
        assert_eq!(response.status, 401, "{authorization:?}");
        assert_eq!(response.header("WWW-Authenticate"), Some("Bearer"));
        assert_eq!(summary.http_status, Some(401));
        assert!(!response.body.to_string().contains("loyalty"));
        answers.push(response.body);
    }
    // Revoked, then a token of a retired integration: the same answer.
    store.revoke_ingest_tokens("loyalty-feed").await.unwrap();
    let (revoked, _) = handle_request(&store, &config, &post(&body), now()).await;
    assert_eq!(revoked.status, 401);
    answers.push(revoked.body);
    let store = store_with_token().await;
    store
        .retire_integration("loyalty-feed", now())
        .await
        .unwrap();
    let (retired, _) = handle_request(&store, &config, &post(&body), now()).await;
    assert_eq!(retired.status, 401);
    answers.push(retired.body);
    answers.dedup();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(
        store
            .minutes(
                "loyalty-feed",
                now() - TimeDelta::hours(1),
                now() + TimeDelta::hours(1)
            )
            .await
            .unwrap(),
        Vec::new()
    );
}

#[tokio::test]
async fn accepted_events_are_recorded_and_refused_ones_named() {
    let store = store_with_token().await;
    let config = IngestConfig::default();
    let mut secret = event(200);
    secret["client_secret"] = json!("s3cr3t-value-never-echoed");
    let mut foreign = event(200);
    foreign["integration_id"] = json!("someone-else");
    let mut bad_status = event(200);
    bad_status["status"] = json!(9000);
    let body = json!({"events": [event(200), secret, foreign, bad_status]});
    let (response, summary) = handle_request(&store, &config, &post(&body), now()).await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert_eq!(response.body["integration"], "loyalty-feed");
    assert_eq!(response.body["accepted"], 1);
    let rejected = response.body["rejected"].as_array().unwrap();
    let indexes: Vec<u64> = rejected
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [1, 2, 3]);
    assert!(
        rejected
            .iter()
            .all(|e| !e["field"].as_str().unwrap().is_empty())
    );
    assert!(!response.body.to_string().contains("s3cr3t"));
    assert_eq!((summary.accepted, summary.refused), (1, 3));
    let minutes = store
        .minutes(
            "loyalty-feed",
            now() - TimeDelta::hours(1),
            now() + TimeDelta::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(
        minutes.iter().flat_map(|m| m.counts.values()).sum::<u64>(),
        1
    );

    // None accepted: 400 naming each.
    let body = json!({"events": [bad_status_only()]});
    let (response, _) = handle_request(&store, &config, &post(&body), now()).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.body["rejected"][0]["index"], 0);
    assert_eq!(response.body["rejected"][0]["field"], "status");
}

fn bad_status_only() -> Value {
    let mut bad = event(200);
    bad["status"] = json!(9000);
    bad
}

#[tokio::test]
async fn batches_over_the_limits_are_413() {
    let store = store_with_token().await;
    let config = IngestConfig::default();
    let events: Vec<Value> = (0..500).map(|_| event(200)).collect();
    let (ok, _) = handle_request(&store, &config, &post(&json!({"events": events})), now()).await;
    assert_eq!(ok.status, 202, "{}", ok.body);
    assert_eq!(ok.body["accepted"], 500);
    let events: Vec<Value> = (0..501).map(|_| event(200)).collect();
    let (many, _) = handle_request(&store, &config, &post(&json!({"events": events})), now()).await;
    assert_eq!(many.status, 413);
    let mut large = post(&json!({"events": []}));
    large.body = vec![b' '; crate::passive::MAX_BODY_BYTES + 1];
    let (large, _) = handle_request(&store, &config, &large, now()).await;
    assert_eq!(large.status, 413);
}

#[tokio::test]
async fn a_flood_is_429_with_retry_after_until_the_next_minute() {
    let store = store_with_token().await;
    let config = IngestConfig {
        events_per_minute: 3,
        ..IngestConfig::default()
    };
    let two = json!({"events": [event(200), event(200)]});
    assert_eq!(
        handle_request(&store, &config, &post(&two), now())
            .await
            .0
            .status,
        202
    );
    let (flood, summary) = handle_request(&store, &config, &post(&two), now()).await;
    assert_eq!(flood.status, 429);
    assert_eq!(flood.header("Retry-After"), Some("40"));
    assert_eq!(summary.refused, 2);
    let next = now() + TimeDelta::seconds(40);
    assert_eq!(
        handle_request(&store, &config, &post(&two), next)
            .await
            .0
            .status,
        202
    );
}

#[tokio::test]
async fn a_burst_of_invalid_client_opens_a_reported_auth_failure_and_asks_for_a_probe() {
    let store = store_with_token().await;
    let config = IngestConfig::default();
    let events: Vec<Value> = (0..20).map(|_| event(401)).collect();
    let (response, summary) =
        handle_request(&store, &config, &post(&json!({"events": events})), now()).await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert_eq!(summary.opened, 1, "{summary:?}");
    let incidents = store.incidents_of("loyalty-feed").await.unwrap();
    let incident = incidents
        .iter()
        .find(|i| i.id.as_str() == "loyalty-feed:passive:1")
        .expect("the reported_auth_failure incident");
    assert!(incident.open);
    assert_eq!(incident.team, "crm-ops");
    assert_eq!(summary.probes_requested, 1);
    let record = store
        .get_integration("loyalty-feed")
        .await
        .unwrap()
        .unwrap();
    assert!(record.state.next_probe_at.is_none_or(|at| at <= now()));
}

#[tokio::test]
async fn log_lines_count_for_the_bound_integration_only() {
    let store = store_with_token().await;
    let config = IngestConfig {
        own_log_group_prefix: Some("/aws/lambda/credwatch-".to_string()),
        ..IngestConfig::default()
    };
    let line = |message: Value| LogLine {
        id: "3720".to_string(),
        timestamp: now() - TimeDelta::seconds(3),
        message: message.to_string(),
    };
    let mut batch = LogBatch {
        log_group: "/aws/lambda/loyalty-feed".to_string(),
        lines: vec![
            line(
                json!({"schema": "credwatch.sfmc_call.v1", "observed_at": now().to_rfc3339(), "call_kind": "rest", "status": 200}),
            ),
            LogLine {
                id: "3721".to_string(),
                timestamp: now(),
                message: "START RequestId: 1".to_string(),
            },
        ],
    };
    let summary = handle_logs(&store, &config, &batch, now()).await.unwrap();
    assert_eq!(
        (summary.accepted, summary.unmapped_log_groups),
        (1, 0),
        "{summary:?}"
    );

    batch.log_group = "/aws/lambda/nobody".to_string();
    let summary = handle_logs(&store, &config, &batch, now()).await.unwrap();
    assert_eq!((summary.accepted, summary.unmapped_log_groups), (0, 1));

    batch.log_group = "/aws/lambda/credwatch-probe".to_string();
    let summary = handle_logs(&store, &config, &batch, now()).await.unwrap();
    assert_eq!((summary.accepted, summary.refused), (0, 2));
}

#[tokio::test]
async fn bus_events_need_the_schema_a_bound_source_and_this_account() {
    let store = store_with_token().await;
    let bus = |detail_type: &str, source: &str, account: &str| BusEvent {
        id: "e-1".to_string(),
        detail_type: detail_type.to_string(),
        source: source.to_string(),
        account: account.to_string(),
        detail: event(200),
    };
    let cases = [
        (
            bus("credwatch.sfmc_call.v1", "com.acme.loyalty", "123456789012"),
            1,
        ),
        (bus("other", "com.acme.loyalty", "123456789012"), 0),
        (
            bus("credwatch.sfmc_call.v1", "com.acme.other", "123456789012"),
            0,
        ),
        (
            bus("credwatch.sfmc_call.v1", "com.acme.loyalty", "210987654321"),
            0,
        ),
    ];
    for (event, accepted) in cases {
        let summary = handle_bus_event(&store, Some("123456789012"), &event, now())
            .await
            .unwrap();
        assert_eq!(summary.accepted, accepted, "{event:?}");
        assert_eq!(summary.refused, 1 - accepted, "{event:?}");
    }
}

#[tokio::test]
async fn the_sweep_evaluates_every_reporting_integration() {
    let store = store_with_token().await;
    let config = IngestConfig::default();
    let body = json!({"events": [event(200)]});
    assert_eq!(
        handle_request(&store, &config, &post(&body), now())
            .await
            .0
            .status,
        202
    );
    let summary = sweep(&store, now() + TimeDelta::minutes(5)).await.unwrap();
    assert_eq!(summary.evaluated, 1, "{summary:?}");
    assert!(summary.errors.is_empty());
    assert!(store.passive_state("loyalty-feed").await.unwrap().is_some());
}
