//! Notification records and audit entries on DynamoDB (moto): the conditional record, the
//! revision-guarded delivery update, the sweep's Query on the sparse index (no Scan), TTLs, and
//! corrupt items listed apart without hiding the others. Also `get_incident`, which
//! `credwatch incident show` reads through.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, Incident, IncidentChange, IncidentClass, IncidentId};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::inventory::{Integration, Severity};
use credwatch::notify::delivery::{
    AUDIT_RETENTION_DAYS, AuditDecision, AuditEntry, Delivery, DeliveryError, DeliveryState,
    NotificationRecord, SlackPost, SlackPostState,
};
use credwatch::notify::error::PublishErrorKind;
use credwatch::notify::notification::{Event, Notification};
use credwatch::secrets::SecretSource;
use credwatch::store::dynamo::{DynamoStore, create_table};
use credwatch::store::{Incidents, Notifications, StoreError};
use credwatch_tests::aws::{sdk_config, unique_name};

type Item = HashMap<String, AttributeValue>;

/// The variable the integration's secret is read from: its name must never reach the table.
const SECRET_VAR: &str = "SOME_VAR_NTF_4711";

fn t0() -> DateTime<Utc> {
    "2026-06-01T00:00:00Z".parse().expect("a time")
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes)
}

fn integration() -> Integration {
    Integration {
        id: "crm-sync".into(),
        name: "CRM contact sync".into(),
        owner: "crm-ops".into(),
        severity: Severity::Critical,
        auth_url: "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/"
            .parse()
            .expect("a URL"),
        client_id: "0m0het6mqknzv0uebqlvoo41".into(),
        client_secret: SecretSource::Env(SECRET_VAR.into()),
        account_id: Some(7281698),
        expected_scopes: vec!["data_extensions_read".into()],
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: vec!["Welcome journey".into()],
        records_per_hour: Some(7500),
        runbook: Some("https://wiki.example.com/sfmc/crm-sync".into()),
        probe_every: std::time::Duration::from_secs(900),
        recheck_every: std::time::Duration::from_secs(120),
        expiry_warn_days: vec![30, 7],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}

fn incident(seq: u32, minutes: i64) -> Incident {
    Incident {
        id: IncidentId::new("crm-sync", CheckKind::Auth, seq),
        integration: "crm-sync".into(),
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        severity: Severity::Critical,
        team: "crm-ops".into(),
        open: true,
        opened_at: at(minutes),
        updated_at: at(minutes),
        resolved_at: None,
        threshold_days: None,
        message: "SFMC says: Client authentication failed.".into(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

/// The `opened` notification of incident `seq`, recorded at `minutes`, first due then.
fn opened(seq: u32, minutes: i64) -> NotificationRecord {
    let incident = incident(seq, minutes);
    let change = IncidentChange::Opened(incident.clone());
    NotificationRecord {
        notification: Notification::new(
            Event::Opened,
            &incident,
            &change,
            Some(&integration()),
            None,
            at(minutes),
        ),
        created_at: at(minutes),
        delivery: pending(minutes, 0, 0),
        slack: None,
    }
}

/// The `resolved` notification of incident `seq`, resolved at `minutes`.
fn resolved(seq: u32, opened_at: i64, minutes: i64) -> NotificationRecord {
    let incident = incident(seq, opened_at);
    let change = IncidentChange::Resolved {
        id: incident.id.clone(),
        class: incident.class,
        message: "Working again.".into(),
        at: at(minutes),
    };
    NotificationRecord {
        notification: Notification::new(
            Event::Resolved,
            &incident,
            &change,
            Some(&integration()),
            None,
            at(minutes),
        ),
        created_at: at(minutes),
        delivery: pending(minutes, 0, 0),
        slack: None,
    }
}

fn pending(minutes: i64, attempts: u32, revision: u64) -> Delivery {
    Delivery {
        state: DeliveryState::Pending,
        attempts,
        next_attempt_at: Some(at(minutes)),
        message_id: None,
        finished_at: None,
        last_error: None,
        shrink: 0,
        revision,
        decisions: Vec::new(),
    }
}

fn sent(minutes: i64, revision: u64) -> Delivery {
    Delivery {
        state: DeliveryState::Sent,
        attempts: 1,
        next_attempt_at: None,
        message_id: Some("6f1b7c2e-9a1d-5b7e-8f33-2c1d4e5f6a7b".into()),
        finished_at: Some(at(minutes)),
        last_error: None,
        shrink: 0,
        revision,
        decisions: Vec::new(),
    }
}

fn failed(minutes: i64, revision: u64) -> Delivery {
    Delivery {
        state: DeliveryState::Failed,
        attempts: 12,
        message_id: None,
        last_error: Some(DeliveryError {
            kind: PublishErrorKind::Configuration,
            detail: "SNS NotFound: Topic does not exist".into(),
        }),
        ..sent(minutes, revision)
    }
}

/// A DynamoDB store on a fresh table in moto, with a raw client to look at its items.
struct Dynamo {
    client: Client,
    table: String,
    store: DynamoStore,
}

impl Dynamo {
    async fn new() -> Dynamo {
        let client = Client::new(&sdk_config().await);
        let table = unique_name("credwatch-ntf");
        create_table(&client, &table).await.expect("create table");
        let store = DynamoStore::new(client.clone(), table.clone());
        Dynamo {
            client,
            table,
            store,
        }
    }

    /// Every item of partition `pk`.
    async fn partition(&self, pk: &str) -> Vec<Item> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
            .send()
            .await
            .expect("query")
            .items
            .unwrap_or_default()
    }

    /// The sort keys of the pending notifications in the index, in index order.
    async fn pending_in_index(&self) -> Vec<String> {
        self.client
            .query()
            .table_name(&self.table)
            .index_name("open-incidents")
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", s("PENDING"))
            .send()
            .await
            .expect("query the index")
            .items
            .unwrap_or_default()
            .iter()
            .map(|item| text(item, "sk"))
            .collect()
    }

    async fn raw(&self, record: &NotificationRecord) -> Item {
        let pk = format!("NTF#{}", record.incident_id());
        self.partition(&pk)
            .await
            .into_iter()
            .find(|item| text(item, "sk") == record.id().as_str())
            .unwrap_or_else(|| panic!("no item for {}", record.id()))
    }

    async fn delete_raw(&self, record: &NotificationRecord) {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(&format!("NTF#{}", record.incident_id())))
            .key("sk", s(record.id().as_str()))
            .send()
            .await
            .expect("delete item");
    }

    async fn put_raw(&self, item: Item) {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .expect("put item");
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

fn text(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn ttl(item: &Item) -> Option<i64> {
    item.get("expires_at")
        .and_then(|v| v.as_n().ok())
        .map(|n| n.parse().expect("a number"))
}

fn ids(records: &[NotificationRecord]) -> Vec<&str> {
    records.iter().map(|r| r.id().as_str()).collect()
}

#[tokio::test]
async fn a_notification_is_recorded_once_and_reads_back_whole() {
    let dynamo = Dynamo::new().await;
    let record = opened(1, 5);
    assert!(
        dynamo
            .store
            .record_notification(&record)
            .await
            .expect("recorded")
    );
    // A replayed stream batch records it again: nothing written, still one item.
    let mut replay = record.clone();
    replay.delivery = pending(9, 0, 0);
    assert!(
        !dynamo
            .store
            .record_notification(&replay)
            .await
            .expect("no error")
    );
    let items = dynamo.partition("NTF#crm-sync:auth:1").await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        text(&items[0], "next_attempt_at"),
        "2026-06-01T00:05:00.000Z"
    );

    let incident = incident(1, 5).id;
    let back = dynamo
        .store
        .notifications_of(&incident)
        .await
        .expect("read");
    assert_eq!(back, vec![record.clone()]);

    // The document copies the integration's name and impact fields, never its secret source.
    let raw = format!("{:?}", items[0]);
    assert!(raw.contains("CRM contact sync"), "{raw}");
    for forbidden in [SECRET_VAR, "client_secret", "0m0het6mqknzv0uebqlvoo41"] {
        assert!(!raw.contains(forbidden), "{forbidden} in {raw}");
    }
}

#[tokio::test]
async fn a_stale_revision_writes_nothing() {
    let dynamo = Dynamo::new().await;
    let record = opened(1, 5);
    dynamo
        .store
        .record_notification(&record)
        .await
        .expect("recorded");
    let claim = pending(7, 1, 1);
    assert!(
        dynamo
            .store
            .update_delivery(record.id(), 0, &claim)
            .await
            .expect("updated")
    );
    let before = dynamo.raw(&record).await;
    // Another writer, still holding revision 0, is refused and changes nothing.
    let stale = sent(8, 1);
    assert!(
        !dynamo
            .store
            .update_delivery(record.id(), 0, &stale)
            .await
            .expect("no error")
    );
    assert_eq!(dynamo.raw(&record).await, before);
    // A notification that is not on record is not created by an update.
    let absent = opened(2, 5);
    assert!(
        !dynamo
            .store
            .update_delivery(absent.id(), 0, &claim)
            .await
            .expect("no error")
    );
    assert!(dynamo.partition("NTF#crm-sync:auth:2").await.is_empty());
    // An update that does not move the revision by one is the caller's bug: refused.
    let err = dynamo
        .store
        .update_delivery(record.id(), 1, &sent(8, 7))
        .await
        .expect_err("refused");
    assert!(matches!(err, StoreError::Permanent { .. }), "{err}");
    // An inconsistent delivery (sent without SNS's message id) is refused too.
    let mut no_id = sent(8, 2);
    no_id.message_id = None;
    let err = dynamo
        .store
        .update_delivery(record.id(), 1, &no_id)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("message_id"), "{err}");
    assert_eq!(dynamo.raw(&record).await, before);
}

/// slack-notify records what Slack answered on the notification, apart from its delivery: the
/// fan-out's later updates keep it, an absent notification is not created, and a secret-like
/// error is stored scrubbed and bounded.
#[tokio::test]
async fn slacks_answer_is_kept_apart_from_the_delivery() {
    let dynamo = Dynamo::new().await;
    let record = opened(1, 5);
    dynamo
        .store
        .record_notification(&record)
        .await
        .expect("recorded");
    let refused = SlackPost {
        state: SlackPostState::Refused,
        at: at(6),
        attempts: 2,
        status: Some(404),
        error: Some(format!(
            "channel_not_found via https://hooks.slack.com/services/T0A1/B0A2/abcdEFGH1234 {}",
            "x".repeat(400)
        )),
    };
    assert!(
        dynamo
            .store
            .record_slack_post(record.id(), &refused)
            .await
            .expect("recorded")
    );
    // The fan-out's next update (revision-guarded, delivery fields only) leaves it alone.
    assert!(
        dynamo
            .store
            .update_delivery(record.id(), 0, &sent(7, 1))
            .await
            .expect("updated")
    );
    let back = dynamo
        .store
        .notifications_of(&incident(1, 5).id)
        .await
        .expect("read");
    let post = back[0].slack.clone().expect("Slack's answer on record");
    assert_eq!(back[0].delivery.state, DeliveryState::Sent);
    assert_eq!(
        (post.state, post.at, post.attempts, post.status),
        (SlackPostState::Refused, at(6), 2, Some(404))
    );
    let error = post.error.expect("the error");
    assert!(error.starts_with("channel_not_found"), "{error}");
    assert_eq!(error.chars().count(), SlackPost::MAX_ERROR);
    let raw = format!("{:?}", dynamo.raw(&record).await);
    assert!(!raw.contains("abcdEFGH1234"), "{raw}");
    assert!(!raw.contains("/services/T0A1"), "{raw}");
    // A later answer replaces it.
    let accepted = SlackPost {
        state: SlackPostState::Accepted,
        at: at(9),
        attempts: 3,
        status: Some(200),
        error: None,
    };
    assert!(
        dynamo
            .store
            .record_slack_post(record.id(), &accepted)
            .await
            .expect("recorded")
    );
    let back = dynamo
        .store
        .notifications_of(&incident(1, 5).id)
        .await
        .expect("read");
    assert_eq!(back[0].slack, Some(accepted.clone()));
    // A notification that is not on record is not created.
    let absent = opened(2, 5);
    assert!(
        !dynamo
            .store
            .record_slack_post(absent.id(), &accepted)
            .await
            .expect("no error")
    );
    assert!(dynamo.partition("NTF#crm-sync:auth:2").await.is_empty());
}

#[tokio::test]
async fn the_sweep_reads_only_due_pending_ones_oldest_first_and_finished_ones_leave_the_index() {
    let dynamo = Dynamo::new().await;
    // Due at minutes 30, 10, 20 (recorded out of order), 40 (the sweep's now), 50 (later).
    let records = [
        opened(1, 30),
        opened(2, 10),
        opened(3, 20),
        opened(4, 40),
        opened(5, 50),
    ];
    for record in &records {
        assert!(
            dynamo
                .store
                .record_notification(record)
                .await
                .expect("recorded")
        );
    }
    let due = dynamo
        .store
        .due_notifications(at(40), 10)
        .await
        .expect("due");
    assert!(due.unreadable.is_empty());
    assert_eq!(
        ids(&due.due),
        vec![
            "crm-sync:auth:2/opened",
            "crm-sync:auth:3/opened",
            "crm-sync:auth:1/opened",
            "crm-sync:auth:4/opened",
        ],
        "due ones only (at or before now), oldest due first"
    );
    assert_eq!(due.due[0], records[1], "read whole from the index");
    let two = dynamo
        .store
        .due_notifications(at(40), 2)
        .await
        .expect("due");
    assert_eq!(
        ids(&two.due),
        vec!["crm-sync:auth:2/opened", "crm-sync:auth:3/opened"]
    );
    assert!(
        dynamo
            .store
            .due_notifications(at(40), 0)
            .await
            .expect("due")
            .due
            .is_empty()
    );
    assert!(
        dynamo
            .store
            .due_notifications(at(9), 10)
            .await
            .expect("due")
            .due
            .is_empty()
    );

    // A retry later moves the next attempt; sent and failed ones leave the index for good.
    let retry = Delivery {
        last_error: Some(DeliveryError {
            kind: PublishErrorKind::Retryable,
            detail: "SNS Throttled".into(),
        }),
        ..pending(45, 1, 1)
    };
    assert!(
        dynamo
            .store
            .update_delivery(records[1].id(), 0, &retry)
            .await
            .expect("updated")
    );
    assert!(
        dynamo
            .store
            .update_delivery(records[2].id(), 0, &sent(41, 1))
            .await
            .expect("updated")
    );
    assert!(
        dynamo
            .store
            .update_delivery(records[0].id(), 0, &failed(42, 1))
            .await
            .expect("updated")
    );
    assert_eq!(
        dynamo.pending_in_index().await,
        vec![
            "crm-sync:auth:4/opened",
            "crm-sync:auth:2/opened",
            "crm-sync:auth:5/opened",
        ],
        "the index holds pending ones only, by next attempt"
    );
    let due = dynamo
        .store
        .due_notifications(at(45), 10)
        .await
        .expect("due");
    assert_eq!(
        ids(&due.due),
        vec!["crm-sync:auth:4/opened", "crm-sync:auth:2/opened"]
    );
    assert_eq!(due.due[1].delivery, retry);

    // TTL: finished ones are kept AUDIT_RETENTION_DAYS after they finished; pending ones never expire.
    let days = AUDIT_RETENTION_DAYS * 86_400;
    let sent_item = dynamo.raw(&records[2]).await;
    assert_eq!(ttl(&sent_item), Some(at(41).timestamp() + days));
    assert_eq!(
        text(&sent_item, "message_id"),
        "6f1b7c2e-9a1d-5b7e-8f33-2c1d4e5f6a7b"
    );
    assert!(!sent_item.contains_key("gsi1pk") && !sent_item.contains_key("next_attempt_at"));
    let failed_item = dynamo.raw(&records[0]).await;
    assert_eq!(ttl(&failed_item), Some(at(42).timestamp() + days));
    assert_eq!(text(&failed_item, "error_kind"), "configuration");
    assert_eq!(ttl(&dynamo.raw(&records[1]).await), None);
    assert_eq!(ttl(&dynamo.raw(&records[4]).await), None);
}

#[tokio::test]
async fn notifications_of_an_incident_are_oldest_first() {
    let dynamo = Dynamo::new().await;
    // By key text `opened` sorts before `resolved`; here the resolve was created first, so
    // oldest first puts it first: the order is by creation time, not by key.
    let first = resolved(1, 0, 5);
    let mut second = opened(1, 0);
    second.created_at = at(9);
    for record in [&second, &first] {
        dynamo
            .store
            .record_notification(record)
            .await
            .expect("recorded");
    }
    dynamo
        .store
        .record_notification(&opened(2, 1))
        .await
        .expect("recorded");
    let of = dynamo
        .store
        .notifications_of(&incident(1, 0).id)
        .await
        .expect("read");
    assert_eq!(
        ids(&of),
        vec!["crm-sync:auth:1/resolved", "crm-sync:auth:1/opened"]
    );
    assert!(
        dynamo
            .store
            .notifications_of(&incident(9, 0).id)
            .await
            .expect("read")
            .is_empty()
    );
}

#[tokio::test]
async fn corrupt_notification_items_are_listed_apart_and_never_hide_the_others() {
    let dynamo = Dynamo::new().await;
    let good = [opened(1, 10), opened(2, 30)];
    for record in &good {
        dynamo
            .store
            .record_notification(record)
            .await
            .expect("recorded");
    }
    // Poisoned items, each a due pending notification of its own incident (3..=6), due
    // earlier than the good ones, plus one good notification of incident 3.
    let huge = format!("\"{}\"", "h".repeat(70_000));
    let moved_sk = "crm-sync:auth:6/changed/x@2026-06-01T00:00:00.000Z";
    let poisons: Vec<(u32, &str, AttributeValue, &str, &str)> = vec![
        (3, "attempts", s("x"), "attempts", "is not a number (N)"),
        (
            4,
            "state",
            s("lost"),
            "state",
            "is not a valid delivery state",
        ),
        (
            5,
            "notification",
            s(&huge),
            "notification",
            "is longer than 65536 bytes",
        ),
        (
            6,
            "sk",
            s(moved_sk),
            "notification",
            "holds a notification id that is not the item's sort key (sk)",
        ),
    ];
    for (seq, attribute, value, _, _) in &poisons {
        let record = opened(*seq, 1);
        dynamo
            .store
            .record_notification(&record)
            .await
            .expect("recorded");
        let mut item = dynamo.raw(&record).await;
        item.insert(attribute.to_string(), value.clone());
        if *attribute == "sk" {
            dynamo.delete_raw(&record).await;
        }
        dynamo.put_raw(item).await;
    }
    let fine = resolved(3, 0, 2);
    dynamo
        .store
        .record_notification(&fine)
        .await
        .expect("recorded");
    let due = dynamo
        .store
        .due_notifications(at(40), 3)
        .await
        .expect("due");
    assert_eq!(
        ids(&due.due),
        vec![
            "crm-sync:auth:3/resolved",
            "crm-sync:auth:1/opened",
            "crm-sync:auth:2/opened"
        ],
        "corrupt items do not count towards the limit"
    );
    let mut found: Vec<(String, String, String)> = due
        .unreadable
        .iter()
        .map(|u| (u.key.clone(), u.field.clone(), u.problem.clone()))
        .collect();
    found.sort();
    let mut expected: Vec<(String, String, String)> = poisons
        .iter()
        .map(|(seq, attribute, _, field, problem)| {
            let sk = if *attribute == "sk" {
                moved_sk.to_string()
            } else {
                format!("crm-sync:auth:{seq}/opened")
            };
            (
                format!("pk=NTF#crm-sync:auth:{seq} sk={sk}"),
                field.to_string(),
                problem.to_string(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    assert!(
        due.unreadable
            .iter()
            .all(|u| u.integration.as_deref() == Some("crm-sync"))
    );
    assert!(
        !format!("{:?}", due.unreadable).contains("hhhh"),
        "never the value"
    );

    // Listing one incident's notifications names them too.
    let listing = dynamo
        .store
        .notification_listing(&incident(3, 0).id)
        .await
        .expect("read");
    assert_eq!(ids(&listing.records), vec!["crm-sync:auth:3/resolved"]);
    assert_eq!(listing.unreadable.len(), 1);
    assert_eq!(listing.unreadable[0].field, "attempts");
    assert_eq!(
        dynamo
            .store
            .notifications_of(&incident(3, 0).id)
            .await
            .expect("read"),
        vec![fine]
    );
}

#[tokio::test]
async fn audit_entries_are_kept_once_with_their_ttl() {
    let dynamo = Dynamo::new().await;
    let entry = AuditEntry {
        decision: AuditDecision::Ignored,
        incident_id: Some(incident(1, 0).id),
        source_id: "c81e728d9d4c2f636f067f89cc14862c".into(),
        reason: "message text only".into(),
        at: at(3),
    };
    dynamo.store.record_audit(&entry).await.expect("kept");
    // The same stream record replayed a day later writes the same item.
    let replay = AuditEntry {
        at: at(3 + 24 * 60),
        ..entry.clone()
    };
    dynamo.store.record_audit(&replay).await.expect("kept");
    let items = dynamo
        .partition("AUDIT#c81e728d9d4c2f636f067f89cc14862c")
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(text(&items[0], "sk"), "ignored");
    assert_eq!(text(&items[0], "incident_id"), "crm-sync:auth:1");
    assert_eq!(
        ttl(&items[0]),
        Some(at(3 + 24 * 60).timestamp() + AUDIT_RETENTION_DAYS * 86_400)
    );
    let corrupt = AuditEntry {
        decision: AuditDecision::Corrupt,
        incident_id: None,
        source_id: "e4da3b7fbbce2345d7772b0674a318d5".into(),
        reason: "item pk=INC#x sk=auth#000001: attribute message is missing".into(),
        at: at(4),
    };
    dynamo.store.record_audit(&corrupt).await.expect("kept");
    let items = dynamo
        .partition("AUDIT#e4da3b7fbbce2345d7772b0674a318d5")
        .await;
    assert_eq!(items.len(), 1);
    assert!(!items[0].contains_key("incident_id"));
    let err = dynamo
        .store
        .record_audit(&AuditEntry {
            source_id: String::new(),
            ..entry
        })
        .await
        .expect_err("refused");
    assert!(matches!(err, StoreError::Permanent { .. }), "{err}");
}

#[tokio::test]
async fn one_incident_is_read_by_its_id() {
    let dynamo = Dynamo::new().await;
    let open = incident(1, 0);
    assert!(dynamo.store.open_incident(&open).await.expect("opened"));
    assert_eq!(
        dynamo.store.get_incident(&open.id).await.expect("read"),
        Some(open.clone())
    );
    assert_eq!(
        dynamo
            .store
            .get_incident(&incident(2, 0).id)
            .await
            .expect("read"),
        None
    );
    // An incident item that cannot be read is said, by key and attribute.
    let mut item: Item = dynamo.partition("INC#crm-sync").await.remove(0);
    item.insert("message".into(), AttributeValue::N("4711".into()));
    dynamo.put_raw(item).await;
    let err = dynamo
        .store
        .get_incident(&open.id)
        .await
        .expect_err("corrupt");
    match err {
        StoreError::Corrupt { item, .. } => {
            assert_eq!(item.key, "pk=INC#crm-sync sk=auth#000001");
            assert_eq!(item.field, "message");
        }
        other => panic!("not corrupt: {other}"),
    }
}

#[tokio::test]
async fn stream_images_of_notifications_and_audit_entries_decode_by_their_key() {
    use credwatch::store::dynamo::image::image_of_item;
    use credwatch::store::dynamo::{StoredItem, decode_image, incident_of_image};

    let dynamo = Dynamo::new().await;
    let record = opened(1, 5);
    dynamo
        .store
        .record_notification(&record)
        .await
        .expect("recorded");
    let image = image_of_item(dynamo.raw(&record).await);
    assert_eq!(
        decode_image(&image),
        Ok(Some(StoredItem::Notification(Box::new(record))))
    );
    // Not an incident: a fan-out reading it as one is told so by its key, never misled.
    let err = incident_of_image(&image).expect_err("not an incident");
    assert_eq!(err.field, "pk");

    let entry = AuditEntry {
        decision: AuditDecision::Corrupt,
        incident_id: None,
        source_id: "a87ff679a2f3e71d9181a67b7542122c".into(),
        reason: "item pk=INC#x sk=auth#000001: attribute message is missing".into(),
        at: at(4),
    };
    dynamo.store.record_audit(&entry).await.expect("kept");
    let item = dynamo
        .partition("AUDIT#a87ff679a2f3e71d9181a67b7542122c")
        .await
        .remove(0);
    assert_eq!(
        decode_image(&image_of_item(item)),
        Ok(Some(StoredItem::Audit(entry)))
    );
}

/// A pending notification whose revision is already the largest the store keeps (a
/// hand-edited item) can never be claimed, sent or given up: every write needs revision + 1.
/// The sweep must name it as unreadable, not fail on it every minute while it stays due.
#[tokio::test]
async fn a_pending_notification_at_the_largest_revision_is_named_not_retried_forever() {
    use credwatch::jobs::fanout::sweep;
    use credwatch::notify::memory::MemoryPublisher;
    use credwatch::store::invariants::MAX_VERSION;

    let dynamo = Dynamo::new().await;
    let stuck = NotificationRecord {
        delivery: pending(10, 3, MAX_VERSION),
        ..opened(1, 10)
    };
    let healthy = opened(2, 10);
    for record in [&stuck, &healthy] {
        assert!(
            dynamo
                .store
                .record_notification(record)
                .await
                .expect("recorded")
        );
    }
    let publisher = MemoryPublisher::new();
    // Past a day: the stuck one would be given up if it could be written at all.
    let summary = sweep(&dynamo.store, &publisher, at(25 * 60), 10, None)
        .await
        .expect("the sweep lists");
    assert!(
        summary.deliveries.errors.is_empty(),
        "{:?}",
        summary.deliveries.errors
    );
    assert_eq!(summary.unreadable.len(), 1, "{:?}", summary.unreadable);
    let item = &summary.unreadable[0];
    assert_eq!(item.field, "revision", "{item:?}");
    assert!(item.key.contains(stuck.id().as_str()), "{item:?}");
    // The healthy one, as old, is given up once and never published.
    assert_eq!(summary.deliveries.failed, 1);
    assert!(publisher.sent().is_empty());
}
