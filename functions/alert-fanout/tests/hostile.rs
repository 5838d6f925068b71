//! Items written by hand into the table (moto), read by the deployed fan-out: a team with bad
//! alerting attributes, an unreadable silence, a group window that lies, a notification with a
//! garbage `decisions` document, an incident with a bad `ack`. The stream path and the sweep
//! go on: nothing panics, the unreadable notification is named (key and attribute) and skipped,
//! and every readable notification is delivered.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, Incident, IncidentClass, IncidentId};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::severity::Severity;
use credwatch::notify::sns::SnsPublisher;
use credwatch::store::dynamo::keys::{GSI_PK, PENDING_GSI_PK};
use credwatch::store::dynamo::{DynamoStore, create_table};
use credwatch::store::{Incidents, Notifications, Teams};
use credwatch_alert_fanout::{App, SWEEP_LIMIT, handle_at};
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::sns::create_topic;
use credwatch_tests::streams::StreamReader;
use serde_json::{Value, json};

type Item = std::collections::HashMap<String, AttributeValue>;

fn scheduled() -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-30T12:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/credwatch-sweep"],
        "detail": {}
    })
}

fn team(id: &str) -> credwatch::inventory::Team {
    let mut team = credwatch::inventory::Team {
        id: id.to_string(),
        name: id.to_string(),
        timezone: None,
        business_hours: None,
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        notify: credwatch::inventory::Notify::default(),
        maintenance: Vec::new(),
    };
    team.notify.group_wait = std::time::Duration::ZERO;
    team
}

fn incident(integration: &str, team: &str, now: DateTime<Utc>) -> Incident {
    Incident {
        id: format!("{integration}:auth:1").parse().expect("an id"),
        integration: integration.to_string(),
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        severity: Severity::High,
        team: team.to_string(),
        open: true,
        opened_at: now,
        updated_at: now,
        resolved_at: None,
        threshold_days: None,
        message: "SFMC says: Client authentication failed.".to_string(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

async fn scan(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<Item> {
    client
        .scan()
        .table_name(table)
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default()
}

fn sk(item: &Item) -> &str {
    item.get("sk").and_then(|v| v.as_s().ok()).map_or("", |s| s)
}

async fn put(client: &aws_sdk_dynamodb::Client, table: &str, item: Item) {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put");
}

#[tokio::test(flavor = "multi_thread")]
async fn hand_written_items_are_named_and_skipped_and_the_rest_delivered() {
    let config = sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let sns = aws_sdk_sns::Client::new(&config);
    let table = unique_name("fanout-hostile");
    create_table(&client, &table).await.expect("the table");
    let writer = DynamoStore::new(client.clone(), table.clone());
    let now: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().expect("a time");
    for id in ["ops", "odd"] {
        writer.put_team(&team(id)).await.expect("a team");
    }
    // Team grp groups (group_wait 1m); its window lies: 2000 members, `joined` says 3, and the
    // leader is not the first member.
    let mut grouping = team("grp");
    grouping.notify.group_wait = std::time::Duration::from_secs(60);
    writer.put_team(&grouping).await.expect("a team");
    put(
        &client,
        &table,
        Item::from([
            (
                "pk".into(),
                AttributeValue::S("GROUP#team#grp#client_auth_failed".into()),
            ),
            ("sk".into(), AttributeValue::S("window".into())),
            (
                "members".into(),
                AttributeValue::L(
                    (0..2000)
                        .map(|i| AttributeValue::S(format!("x{i}:auth:1")))
                        .collect(),
                ),
            ),
            ("joined".into(), AttributeValue::N("3".into())),
            ("leader".into(), AttributeValue::S("crm-z:auth:1".into())),
            (
                "window_start".into(),
                AttributeValue::S("2026-11-30T11:59:30.000Z".into()),
            ),
            (
                "window_end".into(),
                AttributeValue::S("2026-11-30T12:00:30.000Z".into()),
            ),
        ]),
    )
    .await;
    // A silence, then everything hand-edited.
    let silence = credwatch::domain::silence::Silence::new(
        "sil-aaaaaaaaaa".parse().expect("an id"),
        vec![
            credwatch::domain::silence::Matcher::new(
                credwatch::domain::silence::MatchField::Team,
                "ops",
            )
            .expect("a matcher"),
        ],
        now - TimeDelta::hours(1),
        now + TimeDelta::hours(1),
        "deploy".into(),
        "ana".into(),
        now - TimeDelta::hours(1),
    )
    .expect("a silence");
    credwatch::store::Silences::put_silence(&writer, &silence)
        .await
        .expect("the silence");
    for item in scan(&client, &table).await {
        let mut item = item;
        if sk(&item) == "TEAM#odd" {
            let mut notify = item["notify"].as_m().expect("a map").clone();
            notify.insert("remind_after".into(), AttributeValue::S("1m".into()));
            notify.insert("group_wait".into(), AttributeValue::N("-5".into()));
            item.insert("notify".into(), AttributeValue::M(notify));
            item.insert(
                "escalate_to".into(),
                AttributeValue::S("Odd\u{1b}[2J".into()),
            );
            put(&client, &table, item).await;
        } else if sk(&item).starts_with("SILENCE#") || item.contains_key("matchers") {
            item.insert("ends_at".into(), AttributeValue::S("not a time".into()));
            put(&client, &table, item).await;
        }
    }
    // Three incidents: ops (silenced? its silence is unreadable now: sent), odd (its team
    // unreadable: default policy) and one whose publish fails, to be swept.
    let mut stream = StreamReader::open(&config, &table).await;
    let topic = create_topic(&sns, &unique_name("hostile")).await;
    let app = App {
        store: DynamoStore::new(client.clone(), table.clone()),
        publisher: SnsPublisher::new(sns.clone(), topic.clone()),
        sweep_limit: SWEEP_LIMIT,
    };
    let gone = App {
        store: DynamoStore::new(client.clone(), table.clone()),
        publisher: SnsPublisher::new(sns.clone(), format!("{topic}-gone")),
        sweep_limit: SWEEP_LIMIT,
    };
    for (integration, owner) in [("crm-a", "ops"), ("crm-b", "odd"), ("crm-e", "grp")] {
        assert!(
            writer
                .open_incident(&incident(integration, owner, now))
                .await
                .expect("opened")
        );
    }
    let batch = stream.next_event().await;
    let answer = handle_at(&app, &batch, now).await.expect("handled");
    assert_eq!(answer, json!({"batchItemFailures": []}));
    // Each told: crm-a (its silence unreadable), crm-b (its team unreadable: the defaults),
    // crm-e (its group window unreadable: on its own).
    for integration in ["crm-a", "crm-b", "crm-e"] {
        let id: IncidentId = format!("{integration}:auth:1").parse().expect("an id");
        let states: Vec<_> = writer
            .notifications_of(&id)
            .await
            .expect("listed")
            .iter()
            .map(|r| r.delivery.state)
            .collect();
        assert_eq!(
            states,
            [credwatch::notify::delivery::DeliveryState::Sent],
            "{integration}"
        );
    }
    for (integration, owner) in [("crm-c", "ops"), ("crm-d", "ops")] {
        assert!(
            writer
                .open_incident(&incident(integration, owner, now))
                .await
                .expect("opened")
        );
    }
    let batch = stream.next_event().await;
    handle_at(&gone, &batch, now).await.expect("handled");
    // crm-d's pending notification: a garbage decisions document. crm-c's stays readable.
    let d: IncidentId = "crm-d:auth:1".parse().expect("an id");
    let pending = writer.notifications_of(&d).await.expect("listed");
    assert_eq!(pending.len(), 1, "{pending:?}");
    for item in scan(&client, &table).await {
        if sk(&item) == pending[0].id().as_str() {
            let mut item = item;
            item.insert(
                "decisions".into(),
                AttributeValue::S(json!([{"kind": 7, "at": "x", "reason": ["a"]}]).to_string()),
            );
            put(&client, &table, item).await;
        }
    }
    let later = now + TimeDelta::minutes(5);
    let swept = handle_at(&app, &scheduled(), later).await.expect("swept");
    assert_eq!(swept["deliveries"]["sent"], 1, "crm-c: {swept}");
    let unreadable = swept["unreadable"].to_string();
    assert!(unreadable.contains("crm-d:auth:1"), "{swept}");
    assert!(unreadable.contains("decisions"), "{swept}");
    let c: IncidentId = "crm-c:auth:1".parse().expect("an id");
    let states: Vec<_> = writer
        .notifications_of(&c)
        .await
        .expect("listed")
        .iter()
        .map(|r| r.delivery.state)
        .collect();
    assert_eq!(states, [credwatch::notify::delivery::DeliveryState::Sent]);
    // Never lost: the unreadable one is still pending in the table, for an operator to repair.
    let raw = scan(&client, &table).await;
    let kept = raw
        .iter()
        .find(|i| sk(i) == pending[0].id().as_str())
        .expect("kept");
    assert_eq!(
        kept[GSI_PK].as_s().ok().map(String::as_str),
        Some(PENDING_GSI_PK)
    );
}
