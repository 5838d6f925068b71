//! The group-window store contract (`store::Groups`), run against both adapters (in memory, and
//! DynamoDB on a fresh table in moto): who opens a window, the place of each joiner, joining
//! again keeps one's place (a retried stream record), a closed window is replaced by the next
//! joiner, a member of a closed window keeps its old place, and a corrupt window is an error
//! naming its attribute.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use credwatch::domain::incident::IncidentId;
use credwatch::rules::grouping::{GroupKey, Slot};
use credwatch::store::dynamo::{DynamoStore, create_table};
use credwatch::store::{Groups, StoreError};
use credwatch_tests::aws::{sdk_config, unique_name};

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 14, 0, 0).unwrap() + TimeDelta::seconds(seconds)
}

fn id(integration: &str) -> IncidentId {
    format!("{integration}:auth:1").parse().unwrap()
}

const WAIT: TimeDelta = TimeDelta::minutes(1);

async fn contract(store: &impl Groups) {
    let key = GroupKey("team#crm-ops#client_auth_failed".to_string());
    let join = |who: &'static str, t: i64| {
        let key = key.clone();
        async move { store.join_group(&key, &id(who), at(t), WAIT).await.unwrap() }
    };
    let first = join("a", 0).await;
    assert_eq!(
        first,
        Slot {
            window_start: at(0),
            window_end: at(60),
            position: 1,
            leader: id("a"),
        }
    );
    assert_eq!(join("b", 10).await.position, 2);
    assert_eq!(join("c", 20).await.position, 3);
    // Joining again (a retried record) keeps one's place, leader included.
    assert_eq!(join("a", 30).await, first);
    assert_eq!(join("b", 40).await.position, 2);
    assert_eq!(join("d", 59).await.position, 4);
    // Closed: the next newcomer opens a new window and leads it...
    let next = join("e", 60).await;
    assert_eq!(
        (next.window_start, next.position, next.leader),
        (at(60), 1, id("e"))
    );
    assert_eq!(join("f", 61).await.position, 2);
    // ...and another key is another window.
    let other = store
        .join_group(
            &GroupKey("team#emea#client_auth_failed".into()),
            &id("b"),
            at(61),
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!((other.position, other.leader), (1, id("b")));
}

#[tokio::test]
async fn memory_windows_follow_the_contract() {
    contract(&credwatch::store::memory::MemoryStore::new()).await;
}

#[tokio::test]
async fn dynamodb_windows_follow_the_contract_and_a_corrupt_one_is_named() {
    let client = Client::new(&sdk_config().await);
    let table = unique_name("credwatch-groups");
    create_table(&client, &table).await.expect("create table");
    let store = DynamoStore::new(client.clone(), table.clone());
    contract(&store).await;

    // A window written by hand whose count disagrees with its members.
    let key = GroupKey("team#web#not_probed".to_string());
    store.join_group(&key, &id("a"), at(0), WAIT).await.unwrap();
    client
        .update_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(format!("GROUP#{}", key.0)))
        .key("sk", AttributeValue::S("window".into()))
        .update_expression("SET joined = :n")
        .expression_attribute_values(":n", AttributeValue::N("987654".into()))
        .send()
        .await
        .unwrap();
    let error = store
        .join_group(&key, &id("b"), at(1), WAIT)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("joined"), "{message}");
    assert!(!message.contains("987654"), "never the value: {message}");
}
