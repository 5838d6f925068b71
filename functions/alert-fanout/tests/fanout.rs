//! The alert-fanout handler in process, driven by real event JSON (`tests/events/`): a
//! DynamoDB stream batch of the table (images as the store's encoder writes them), the sweep's
//! EventBridge schedule, and events it must refuse. The store and publisher are the in-memory
//! ones; the DynamoDB and SNS adapters are tested against moto elsewhere.

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::jobs::fanout::StreamContent;
use credwatch::notify::delivery::{AuditDecision, DeliveryState};
use credwatch::notify::error::PublishErrorKind;
use credwatch::notify::memory::MemoryPublisher;
use credwatch::store::memory::MemoryStore;
use credwatch::store::{Notifications, StoreError};
use credwatch_alert_fanout::event::{Request, parse_request, stream_change_of_images};
use credwatch_alert_fanout::{App, InvocationError, SWEEP_LIMIT, handle_at};
use serde_json::{Value, json};

fn event(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("a fixture")).expect("JSON")
}

/// 2026-11-30 13:06 UTC, a minute after the incident of the fixtures opened.
fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T13:06:00Z")
        .expect("a time")
        .to_utc()
}

fn app() -> App<MemoryStore, MemoryPublisher> {
    App {
        store: MemoryStore::new(),
        publisher: MemoryPublisher::new(),
        sweep_limit: SWEEP_LIMIT,
    }
}

fn no_failures() -> Value {
    json!({ "batchItemFailures": [] })
}

fn ids(app: &App<MemoryStore, MemoryPublisher>) -> Vec<String> {
    app.publisher
        .sent()
        .iter()
        .map(|r| r.attributes["notification_id"].clone())
        .collect()
}

#[tokio::test]
async fn an_opened_incident_publishes_once_and_other_items_are_ignored() {
    let app = app();
    let answer = handle_at(&app, &event("stream-opened.json"), t0())
        .await
        .unwrap();
    assert_eq!(answer, no_failures());
    let sent = app.publisher.sent();
    assert_eq!(sent.len(), 1);
    let attributes = &sent[0].attributes;
    assert_eq!(attributes["event"], "opened");
    assert_eq!(attributes["team"], "crm-ops");
    assert_eq!(attributes["severity"], "high");
    assert_eq!(attributes["check"], "auth");
    assert_eq!(attributes["class"], "client_auth_failed");
    assert_eq!(attributes["integration"], "loyalty-feed");
    assert_eq!(attributes["incident_id"], "loyalty-feed:auth:3");
    assert_eq!(attributes["notification_id"], "loyalty-feed:auth:3/opened");
    assert!(
        sent[0].subject.starts_with("[HIGH] loyalty-feed"),
        "{}",
        sent[0].subject
    );
    // The same batch again (Lambda retried it): nothing more.
    let again = handle_at(&app, &event("stream-opened.json"), t0())
        .await
        .unwrap();
    assert_eq!(again, no_failures());
    assert_eq!(app.publisher.sent().len(), 1);
}

#[tokio::test]
async fn a_resolve_publishes_resolved_and_the_ttl_deletion_nothing() {
    let app = app();
    handle_at(&app, &event("stream-opened.json"), t0())
        .await
        .unwrap();
    let later = t0() + TimeDelta::hours(3);
    assert_eq!(
        handle_at(&app, &event("stream-resolved.json"), later)
            .await
            .unwrap(),
        no_failures()
    );
    assert_eq!(
        handle_at(&app, &event("stream-ttl-remove.json"), later)
            .await
            .unwrap(),
        no_failures()
    );
    assert_eq!(
        ids(&app),
        ["loyalty-feed:auth:3/opened", "loyalty-feed:auth:3/resolved"]
    );
    let resolved = &app.publisher.sent()[1];
    assert!(
        resolved.subject.starts_with("[RESOLVED]"),
        "{}",
        resolved.subject
    );
    // It says how long it lasted: 13:05 to 15:45.
    assert!(
        resolved.message.contains("2 h 40 min"),
        "{}",
        resolved.message
    );
}

#[tokio::test]
async fn a_corrupt_image_is_audited_and_skipped_and_the_rest_delivered() {
    let app = app();
    let answer = handle_at(&app, &event("stream-corrupt.json"), t0())
        .await
        .unwrap();
    assert_eq!(answer, no_failures());
    assert_eq!(ids(&app), ["erp-orders:auth:1/opened"]);
    let audit = app.store.audit_entries();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].decision, AuditDecision::Corrupt);
    assert_eq!(audit[0].source_id, "e4da3b7fbbce2345d7772b0674a318d5");
    let reason = &audit[0].reason;
    assert!(
        reason.contains("pk=INC#loyalty-feed sk=auth#000003"),
        "{reason}"
    );
    assert!(reason.contains("message"), "{reason}");
    assert!(!reason.contains("4711"), "the value leaked: {reason}");
}

#[tokio::test]
async fn a_record_that_is_not_a_stream_record_is_audited_and_the_others_delivered() {
    let app = app();
    let mut batch = event("stream-corrupt.json");
    batch["Records"][0] = json!({"eventID": "broken-1", "dynamodb": {"SequenceNumber": "9"}});
    let answer = handle_at(&app, &batch, t0()).await.unwrap();
    assert_eq!(answer, no_failures());
    assert_eq!(ids(&app), ["erp-orders:auth:1/opened"]);
    let audit = app.store.audit_entries();
    assert_eq!(audit[0].source_id, "broken-1");
    assert!(
        audit[0].reason.contains("is not a DynamoDB stream record"),
        "{}",
        audit[0].reason
    );
}

#[tokio::test]
async fn a_store_failure_answers_that_record_as_a_batch_item_failure() {
    let app = app();
    app.store
        .fail_next_record(StoreError::retryable("ThrottlingException: slow down"));
    let answer = handle_at(&app, &event("stream-corrupt.json"), t0())
        .await
        .unwrap();
    // The first record is corrupt (audited, not retried); the second could not be recorded.
    assert_eq!(
        answer,
        json!({ "batchItemFailures": [{ "itemIdentifier": "4400000000000000000002" }] })
    );
    assert!(app.publisher.sent().is_empty());
    let retried = handle_at(&app, &event("stream-corrupt.json"), t0())
        .await
        .unwrap();
    assert_eq!(retried, no_failures());
    assert_eq!(ids(&app), ["erp-orders:auth:1/opened"]);
}

#[tokio::test]
async fn the_schedule_runs_the_sweep_which_delivers_a_failed_publish_once() {
    let app = app();
    app.publisher.fail_next(PublishErrorKind::Retryable);
    let answer = handle_at(&app, &event("stream-opened.json"), t0())
        .await
        .unwrap();
    // A failed publish is not a batch failure: the notification is on record.
    assert_eq!(answer, no_failures());
    assert!(app.publisher.sent().is_empty());
    let early = handle_at(&app, &event("scheduled.json"), t0())
        .await
        .unwrap();
    assert_eq!(early["due"], 0);
    let swept = handle_at(&app, &event("scheduled.json"), t0() + TimeDelta::minutes(1))
        .await
        .unwrap();
    assert_eq!(swept["due"], 1);
    assert_eq!(swept["deliveries"]["sent"], 1);
    handle_at(&app, &event("scheduled.json"), t0() + TimeDelta::minutes(2))
        .await
        .unwrap();
    assert_eq!(ids(&app), ["loyalty-feed:auth:3/opened"]);
    let records = app
        .store
        .notifications_of(&"loyalty-feed:auth:3".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(records[0].delivery.state, DeliveryState::Sent);
    assert_eq!(records[0].delivery.attempts, 2);
}

#[tokio::test]
async fn other_events_are_refused_naming_what_was_received() {
    let app = app();
    let huge_key = "k".repeat(10_000);
    let cases = [
        (
            json!({"source": "aws.s3", "detail-type": "Object Created"}),
            "aws.s3",
        ),
        (
            json!({"source": "aws.events", "detail-type": "Object Created"}),
            "Object Created",
        ),
        (json!({"Records": {"not": "a list"}}), "must be a list"),
        (json!([1, 2]), "not an object but a list"),
        (json!({ huge_key.clone(): 1 }), "kkkk"),
        (json!({}), "expected a DynamoDB stream event"),
    ];
    for (payload, says) in cases {
        let error = handle_at(&app, &payload, t0()).await.unwrap_err();
        assert!(matches!(error, InvocationError::BadEvent(_)), "{error:?}");
        assert!(!error.is_retryable());
        let text = error.to_string();
        assert!(text.contains(says), "{text}");
        assert!(text.len() < 600, "unbounded: {} bytes", text.len());
    }
    assert!(app.publisher.sent().is_empty());
}

#[test]
fn items_that_are_not_incidents_are_other_whatever_they_hold() {
    let image = |pk: &str, sk: &str| -> serde_dynamo::Item {
        serde_json::from_value(json!({"pk": {"S": pk}, "sk": {"S": sk}, "x": {"N": "1"}}))
            .expect("an item")
    };
    for (pk, sk) in [
        ("INVENTORY", "INT#loyalty-feed"),
        ("INVENTORY", "TEAM#crm-ops"),
        ("HIST#loyalty-feed", "2026-11-30T13:05:00.000Z"),
        ("NTF#loyalty-feed:auth:3", "loyalty-feed:auth:3/opened"),
        ("AUDIT#2026-11-30", "e4da3b7f"),
        ("something-else", "x"),
    ] {
        let item = image(pk, sk);
        let change = stream_change_of_images("id", "1", &item, &item, &item);
        assert_eq!(change.content, StreamContent::Other, "{pk} {sk}");
    }
    let empty = serde_dynamo::Item::from(std::collections::HashMap::<
        String,
        serde_dynamo::AttributeValue,
    >::new());
    let keys = image("INC#loyalty-feed", "auth#000003");
    let removed = stream_change_of_images("id", "1", &keys, &empty, &empty);
    assert_eq!(
        removed.content,
        StreamContent::Incident {
            old: None,
            new: None
        }
    );
    assert_eq!(removed.key, "pk=INC#loyalty-feed sk=auth#000003");
    let broken_old = stream_change_of_images("id", "1", &keys, &keys, &empty);
    let StreamContent::Unreadable(item) = broken_old.content else {
        panic!("an incident image without its attributes is unreadable")
    };
    assert!(item.problem.ends_with("(in the old image)"), "{item:?}");
}

#[test]
fn every_fixture_is_a_request() {
    for name in [
        "stream-opened.json",
        "stream-resolved.json",
        "stream-ttl-remove.json",
        "stream-corrupt.json",
    ] {
        let Ok(Request::Stream(records)) = parse_request(&event(name)) else {
            panic!("{name} is a stream batch")
        };
        assert!(!records.is_empty(), "{name}");
    }
    assert_eq!(parse_request(&event("scheduled.json")), Ok(Request::Sweep));
}

/// The resolve fixture with its old image (or its keys) made another incident's: one record
/// whose images disagree about which incident it is must not become a change of either.
fn mismatched(old_sk: &str, old_id: &str, keys_sk: &str) -> Value {
    let mut batch = event("stream-resolved.json");
    let change = &mut batch["Records"][0]["dynamodb"];
    change["OldImage"]["sk"] = json!({ "S": old_sk });
    change["OldImage"]["id"] = json!({ "S": old_id });
    change["Keys"]["sk"] = json!({ "S": keys_sk });
    batch
}

#[tokio::test]
async fn images_of_different_incidents_in_one_record_are_corrupt_and_publish_nothing() {
    for (case, batch) in [
        (
            "old image of another incident",
            mismatched("auth#000002", "loyalty-feed:auth:2", "auth#000003"),
        ),
        (
            "keys of another incident",
            mismatched("auth#000003", "loyalty-feed:auth:3", "auth#000009"),
        ),
    ] {
        let app = app();
        let answer = handle_at(&app, &batch, t0()).await.unwrap();
        assert_eq!(answer, no_failures(), "{case}");
        assert!(app.publisher.sent().is_empty(), "{case}: {:?}", ids(&app));
        let audit = app.store.audit_entries();
        assert_eq!(audit.len(), 1, "{case}: {audit:?}");
        assert_eq!(audit[0].decision, AuditDecision::Corrupt, "{case}");
        assert!(
            audit[0].reason.contains("sk=auth#"),
            "{case}: {}",
            audit[0].reason
        );
    }
}
