//! The silence store contract, run against both adapters (the in-memory store, and the DynamoDB
//! store on a fresh table in moto), then what only DynamoDB has: the raw item and its TTL, the
//! conditional writes seen from the table, unreadable items, the listing bound.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use credwatch::domain::silence::{Expired, MatchField, Matcher, Silence, SilenceId};
use credwatch::store::dynamo::{DynamoStore, StoredItem, create_table, decode_item};
use credwatch::store::{ExpireOutcome, Silences, StoreError};
use credwatch_tests::aws::{sdk_config, unique_name};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap()
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes)
}

/// Silence `n` (its id ends in two letters from `n`) of team crm-ops over minutes
/// `[start, end)`, created at minute 0.
fn silence(n: u8, start: i64, end: i64) -> Silence {
    let id = format!(
        "sil-aaaaaaaa{}{}",
        char::from(b'a' + n / 26),
        char::from(b'a' + n % 26)
    );
    Silence::new(
        id.parse().unwrap(),
        vec![
            Matcher::new(MatchField::Team, "crm-ops").unwrap(),
            Matcher::new(MatchField::Check, "auth").unwrap(),
        ],
        at(start),
        at(end),
        "SFMC maintenance, ticket CHG-1042".into(),
        "dana@example.com".into(),
        at(0),
    )
    .unwrap()
}

mod contract {
    use super::*;

    pub async fn silences_are_put_once_and_listed_by_start(store: &impl Silences) {
        assert!(store.silences().await.unwrap().silences.is_empty());
        let (late, early, pending) = (silence(0, 30, 90), silence(1, 0, 60), silence(2, 600, 700));
        for s in [&late, &early, &pending] {
            store.put_silence(s).await.unwrap();
        }
        let again = Silence {
            reason: "another reason".into(),
            ..late.clone()
        };
        let err = store.put_silence(&again).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
        assert!(
            err.to_string().contains("sil-aaaaaaaaaa already exists"),
            "{err}"
        );
        let listing = store.silences().await.unwrap();
        assert_eq!(listing.silences, vec![early, late, pending]);
        assert!(listing.unreadable.is_empty());
    }

    pub async fn expiring_ends_a_silence_once(store: &impl Silences) {
        let (s, ran_out, pending) = (silence(0, 0, 120), silence(1, 0, 10), silence(2, 500, 600));
        for one in [&s, &ran_out, &pending] {
            store.put_silence(one).await.unwrap();
        }
        let outcome = store
            .expire_silence(&s.id, at(30), Some("lee"))
            .await
            .unwrap();
        let expected = Silence {
            expired: Some(Expired {
                at: at(30),
                by: Some("lee".into()),
            }),
            ..s.clone()
        };
        assert_eq!(outcome, ExpireOutcome::Expired(expected.clone()));
        // Ended: a second expire (another operator, a retry) writes nothing and says so.
        assert_eq!(
            store
                .expire_silence(&s.id, at(31), Some("kim"))
                .await
                .unwrap(),
            ExpireOutcome::AlreadyEnded(expected.clone())
        );
        // Ran out by itself (at its end exactly, too): nothing to end.
        for minute in [10, 11] {
            assert_eq!(
                store
                    .expire_silence(&ran_out.id, at(minute), None)
                    .await
                    .unwrap(),
                ExpireOutcome::AlreadyEnded(ran_out.clone()),
                "minute {minute}"
            );
        }
        // Pending: ended before it starts, with no name given.
        let ExpireOutcome::Expired(ended) = store
            .expire_silence(&pending.id, at(40), None)
            .await
            .unwrap()
        else {
            panic!("a pending silence can be expired");
        };
        assert_eq!(
            ended.expired,
            Some(Expired {
                at: at(40),
                by: None
            })
        );
        let unknown: SilenceId = "sil-zzzzzzzzzz".parse().unwrap();
        assert_eq!(
            store.expire_silence(&unknown, at(30), None).await.unwrap(),
            ExpireOutcome::NotFound
        );
        let listing = store.silences().await.unwrap();
        assert_eq!(listing.silences, vec![expected, ran_out, ended]);
    }
}

macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::contract::$name(&credwatch::store::memory::MemoryStore::new()).await;
                }
            )+
        }

        mod dynamo {
            $(
                #[tokio::test]
                async fn $name() {
                    super::contract::$name(&super::Dynamo::new().await.store).await;
                }
            )+
        }
    };
}

contract_tests!(
    silences_are_put_once_and_listed_by_start,
    expiring_ends_a_silence_once,
);

struct Dynamo {
    client: Client,
    table: String,
    store: DynamoStore,
}

impl Dynamo {
    async fn new() -> Dynamo {
        let client = Client::new(&sdk_config().await);
        let table = unique_name("credwatch-silences");
        create_table(&client, &table).await.expect("create table");
        let store = DynamoStore::new(client.clone(), table.clone());
        Dynamo {
            client,
            table,
            store,
        }
    }

    async fn raw(&self, sk: &str) -> HashMap<String, AttributeValue> {
        self.client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S("SILENCE".into()))
            .key("sk", AttributeValue::S(sk.into()))
            .consistent_read(true)
            .send()
            .await
            .expect("get item")
            .item
            .expect("the item exists")
    }

    async fn put_raw(&self, item: HashMap<String, AttributeValue>) {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .expect("put item");
    }
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item[name]
        .as_n()
        .expect("a number")
        .parse()
        .expect("an integer")
}

#[tokio::test]
async fn the_item_holds_the_documented_attributes_and_its_ttl_follows_the_end() {
    let dynamo = Dynamo::new().await;
    let s = silence(0, 0, 120);
    dynamo.store.put_silence(&s).await.unwrap();
    let item = dynamo.raw(s.id.as_str()).await;
    let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "created_at",
            "created_by",
            "ends_at",
            "expires_at",
            "id",
            "matchers",
            "pk",
            "reason",
            "sk",
            "starts_at"
        ]
    );
    assert_eq!(item["ends_at"].as_s().unwrap(), "2026-11-30T15:00:00.000Z");
    let day = 86_400;
    assert_eq!(number(&item, "expires_at"), at(120).timestamp() + 400 * day);
    let matcher = item["matchers"].as_l().unwrap()[0].as_m().unwrap();
    assert_eq!(matcher["field"].as_s().unwrap(), "team");
    assert_eq!(matcher["value"].as_s().unwrap(), "crm-ops");
    // The stream decoder knows the item too.
    assert_eq!(
        decode_item(&item),
        Ok(Some(StoredItem::Silence(Box::new(s.clone()))))
    );

    dynamo
        .store
        .expire_silence(&s.id, at(30), Some("lee"))
        .await
        .unwrap();
    let item = dynamo.raw(s.id.as_str()).await;
    assert_eq!(
        item["expired_at"].as_s().unwrap(),
        "2026-11-30T13:30:00.000Z"
    );
    assert_eq!(item["expired_by"].as_s().unwrap(), "lee");
    assert_eq!(number(&item, "expires_at"), at(30).timestamp() + 400 * day);
}

#[tokio::test]
async fn a_conflicting_put_leaves_the_stored_silence_as_it_was() {
    let dynamo = Dynamo::new().await;
    let s = silence(0, 0, 120);
    dynamo.store.put_silence(&s).await.unwrap();
    let other = Silence {
        reason: "overwrite attempt".into(),
        ..silence(0, 0, 60)
    };
    let err = dynamo.store.put_silence(&other).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(err.to_string().contains(&dynamo.table), "{err}");
    let item = dynamo.raw(s.id.as_str()).await;
    assert_eq!(
        item["reason"].as_s().unwrap(),
        "SFMC maintenance, ticket CHG-1042"
    );
    // An invalid silence is refused before any write: it could not be read back.
    let invalid = Silence {
        id: "sil-bbbbbbbbbb".parse().unwrap(),
        matchers: vec![],
        ..s
    };
    let err = dynamo.store.put_silence(&invalid).await.unwrap_err();
    assert!(matches!(err, StoreError::Permanent { .. }), "{err:?}");
    assert!(err.to_string().contains("holds no matcher"), "{err}");
    assert_eq!(dynamo.store.silences().await.unwrap().silences.len(), 1);
}

#[tokio::test]
async fn unreadable_silences_are_listed_apart_and_never_hide_the_others() {
    let dynamo = Dynamo::new().await;
    let good = silence(0, 0, 120);
    dynamo.store.put_silence(&good).await.unwrap();
    let mut bad = dynamo.raw(good.id.as_str()).await;
    bad.insert("sk".into(), AttributeValue::S("sil-cccccccccc".into()));
    bad.insert("id".into(), AttributeValue::S("sil-cccccccccc".into()));
    bad.insert(
        "matchers".into(),
        AttributeValue::L(vec![AttributeValue::M(HashMap::from([
            ("field".to_string(), AttributeValue::S("class".into())),
            (
                "value".to_string(),
                AttributeValue::S("zz-hidden-value".into()),
            ),
        ]))]),
    );
    dynamo.put_raw(bad).await;
    let listing = dynamo.store.silences().await.unwrap();
    assert_eq!(listing.silences, vec![good]);
    assert_eq!(listing.unreadable.len(), 1);
    let unreadable = &listing.unreadable[0];
    assert_eq!(unreadable.key, "pk=SILENCE sk=sil-cccccccccc");
    assert_eq!(unreadable.field, "matchers");
    assert!(
        !unreadable.to_string().contains("zz-hidden-value"),
        "{unreadable}"
    );
    // Expiring it reads it back: corrupt, named, never a value.
    let err = dynamo
        .store
        .expire_silence(&"sil-cccccccccc".parse().unwrap(), at(10), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(!err.to_string().contains("zz-hidden-value"), "{err}");
}

#[tokio::test]
async fn past_the_bound_listing_silences_is_an_error_naming_it() {
    let dynamo = Dynamo::new().await;
    let store = DynamoStore::new(dynamo.client.clone(), dynamo.table.clone()).with_max_silences(2);
    for n in 0..2 {
        store.put_silence(&silence(n, 0, 60)).await.unwrap();
    }
    assert_eq!(store.silences().await.unwrap().silences.len(), 2);
    store.put_silence(&silence(2, 0, 60)).await.unwrap();
    let err = store.silences().await.unwrap_err();
    assert!(matches!(err, StoreError::Permanent { .. }), "{err:?}");
    assert!(err.to_string().contains("more than 2 silences"), "{err}");
    assert!(err.to_string().contains(&dynamo.table), "{err}");
}
