//! The fan-out publishing through the real SNS adapter against moto_server, with an SQS queue
//! subscribed to the topic: a publish to a topic that does not exist yet leaves the
//! notification pending (a configuration failure, counted), and the sweep delivers it exactly
//! once after the topic exists. The store is the in-memory one here (the DynamoDB adapter of
//! notifications is tested with it against moto on its own).

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::notify::delivery::DeliveryState;
use credwatch::notify::sns::SnsPublisher;
use credwatch::store::Notifications;
use credwatch::store::memory::MemoryStore;
use credwatch_alert_fanout::{App, SWEEP_LIMIT, handle_at};
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::sns::{create_topic, drain, subscribed_queue};
use serde_json::{Value, json};

fn event(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("a fixture")).expect("JSON")
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T13:06:00Z")
        .expect("a time")
        .to_utc()
}

#[tokio::test]
async fn a_topic_created_late_receives_the_pending_notification_once() {
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let name = unique_name("credwatch-fanout");
    let topic = format!("arn:aws:sns:us-east-1:123456789012:{name}");
    let app = App {
        store: MemoryStore::new(),
        publisher: SnsPublisher::new(sns.clone(), topic.clone()),
        sweep_limit: SWEEP_LIMIT,
    };

    // The topic does not exist: the notification is recorded, stays pending, and the batch
    // is not failed (the record is safe; the sweep retries).
    let answer = handle_at(&app, &event("stream-opened.json"), t0())
        .await
        .expect("handled");
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    let id = "loyalty-feed:auth:3".parse().expect("an incident id");
    let pending = app.store.notifications_of(&id).await.expect("listed");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].delivery.state, DeliveryState::Pending);
    let error = pending[0]
        .delivery
        .last_error
        .as_ref()
        .expect("the error kept");
    assert_eq!(error.kind.as_str(), "configuration", "{error:?}");
    assert!(error.detail.contains(&topic), "{error:?}");

    // Someone creates the topic and subscribes a queue.
    assert_eq!(create_topic(&sns, &name).await, topic);
    let policy = json!({"team": ["crm-ops"]}).to_string();
    let url = subscribed_queue(&sqs, &sns, &topic, Some(&policy)).await;

    // The next sweeps after the backoff: delivered once, then nothing more; a replayed batch
    // publishes nothing either.
    let sweep = event("scheduled.json");
    let swept = handle_at(&app, &sweep, t0() + TimeDelta::minutes(2))
        .await
        .expect("swept");
    assert_eq!(swept["deliveries"]["sent"], 1, "{swept}");
    handle_at(&app, &sweep, t0() + TimeDelta::minutes(5))
        .await
        .expect("swept");
    handle_at(
        &app,
        &event("stream-opened.json"),
        t0() + TimeDelta::minutes(6),
    )
    .await
    .expect("handled");
    let received = drain(&sqs, &url).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let envelope = &received[0];
    assert_eq!(
        envelope["MessageAttributes"]["notification_id"]["Value"],
        "loyalty-feed:auth:3/opened"
    );
    assert_eq!(envelope["MessageAttributes"]["event"]["Value"], "opened");
    let sent = &app.store.notifications_of(&id).await.expect("listed")[0];
    assert_eq!(sent.delivery.state, DeliveryState::Sent);
    assert_eq!(sent.delivery.attempts, 2);
    assert_eq!(
        sent.delivery.message_id.as_deref(),
        envelope["MessageId"].as_str()
    );
}
