//! The ingest endpoint over real HTTP: requests through the function URL stand-in
//! (`credwatch_tests::function_url`) to the handler in-process over the in-memory store.
//! Auth, batch limits, bad fields, the flood limit; the token in no answer.

mod common;

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use credwatch::domain::passive::IngestToken;
use credwatch::inventory::{IngestBinding, Integration};
use credwatch::jobs::ingest::IngestConfig;
use credwatch::secrets::ingest_token::ingest_token_hash as token_hash;
use credwatch::store::memory::MemoryStore;
use credwatch::store::{IngestTokens, Integrations};
use credwatch_ingest::{App, handle};
use credwatch_tests::function_url::{FunctionUrl, Invoke};
use serde_json::{Value, json};

const TOKEN: &str = "cwi_http-test-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123";
const RETIRED_TOKEN: &str = "cwi_http-test-token-of-a-retired-integration-0123";

fn integration(id: &str) -> Integration {
    common::integration(id, &format!("{id} integration"), IngestBinding::default())
}

async fn endpoint(events_per_minute: u32) -> FunctionUrl {
    let store = MemoryStore::new();
    let now = Utc::now();
    for (id, token) in [("orders-sync", TOKEN), ("old-feed", RETIRED_TOKEN)] {
        store
            .put_integration(&integration(id), now - TimeDelta::days(1), now)
            .await
            .unwrap();
        store
            .put_ingest_token(&IngestToken {
                hash: token_hash(token),
                integration: id.to_string(),
                created_at: now,
            })
            .await
            .unwrap();
    }
    store.retire_integration("old-feed", now).await.unwrap();
    let app = Arc::new(App {
        store,
        config: IngestConfig {
            events_per_minute,
            ..IngestConfig::default()
        },
    });
    let invoke: Invoke = Arc::new(move |event| {
        let app = Arc::clone(&app);
        Box::pin(async move {
            handle(&app, &event, Some("123456789012"), Utc::now())
                .await
                .map_err(|e| json!(e.to_string()))
        })
    });
    FunctionUrl::start(invoke).await
}

fn event() -> Value {
    json!({
        "observed_at": Utc::now().to_rfc3339(),
        "call_kind": "rest",
        "status": 200,
    })
}

async fn post(
    url: &FunctionUrl,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let mut request = client
        .post(format!("{}v1/events", url.url()))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the stand-in answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    assert!(!text.contains(TOKEN) && !text.contains(RETIRED_TOKEN));
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn events(n: usize) -> Vec<u8> {
    json!({"events": (0..n).map(|_| event()).collect::<Vec<_>>()})
        .to_string()
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_without_telling_whether_the_integration_exists() {
    let url = endpoint(6000).await;
    let mut bodies = Vec::new();
    for token in [None, Some("cwi_wrong"), Some(RETIRED_TOKEN)] {
        let (status, headers, body) = post(&url, token, events(1)).await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(headers["www-authenticate"], "Bearer");
        bodies.push(body);
    }
    bodies.dedup();
    assert_eq!(bodies.len(), 1);
    let (status, _, body) = post(&url, Some(TOKEN), events(1)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["integration"], "orders-sync");
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_limits_and_bad_fields() {
    let url = endpoint(6000).await;
    let (status, _, body) = post(&url, Some(TOKEN), events(500)).await;
    assert_eq!(
        (status, body["accepted"].as_u64()),
        (202, Some(500)),
        "{body}"
    );
    assert_eq!(post(&url, Some(TOKEN), events(501)).await.0, 413);
    let mut large = events(1);
    large.resize(1_048_577, b' ');
    assert_eq!(post(&url, Some(TOKEN), large).await.0, 413);

    let mut secret = event();
    secret["secret"] = json!("s3cr3t");
    let mut foreign = event();
    foreign["integration_id"] = json!("someone-else");
    let mut bad_status = event();
    bad_status["status"] = json!("two hundred");
    let body = json!({"events": [event(), secret.clone(), foreign.clone(), bad_status.clone()]});
    let (status, _, answer) = post(&url, Some(TOKEN), body.to_string().into_bytes()).await;
    assert_eq!(status, 202, "{answer}");
    let rejected: Vec<(u64, String)> = answer["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejected.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        [1, 2, 3],
        "{answer}"
    );
    assert!(rejected[0].1.contains("secret"), "{rejected:?}");
    assert!(rejected[1].1.contains("integration_id"), "{rejected:?}");
    assert!(rejected[2].1.contains("status"), "{rejected:?}");
    assert!(!answer.to_string().contains("s3cr3t"));

    let none = json!({"events": [secret, foreign, bad_status]});
    let (status, _, answer) = post(&url, Some(TOKEN), none.to_string().into_bytes()).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["rejected"].as_array().map(Vec::len), Some(3));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_is_told_when_to_come_back() {
    let url = endpoint(5).await;
    assert_eq!(post(&url, Some(TOKEN), events(5)).await.0, 202);
    let (status, headers, _) = post(&url, Some(TOKEN), events(1)).await;
    // The allowance renews at the next minute: unless this minute just ended, 429.
    if status == 429 {
        let wait: u32 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
    } else {
        assert_eq!(status, 202);
    }
}
