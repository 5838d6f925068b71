//! The fan-out in process: MemoryStore and MemoryPublisher, stream batches as the function
//! decodes them, and sweeps at chosen times.

use chrono::{TimeDelta, TimeZone};

use super::*;
use crate::domain::incident::{CheckKind, IncidentClass, IncidentId};
use crate::domain::outcome::OutcomeClass;
use crate::domain::severity::Severity;
use crate::inventory::Integration;
use crate::notify::delivery::DeliveryState;
use crate::notify::error::PublishErrorKind;
use crate::notify::memory::MemoryPublisher;
use crate::rules::delivery::MAX_SHRINKS;
use crate::secrets::SecretSource;
use crate::store::memory::MemoryStore;
use crate::store::{Incidents, Integrations};
use crate::telemetry::emf;

/// The name of the variable holding the secret, and an access token: neither may be sent.
const SECRET_ENV: &str = "LOYALTY_SECRET_sk_live_4f3e2d1c";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0dG9rZW4.abcdefghijklmnop";

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

fn integration(id: &str) -> Integration {
    Integration {
        id: id.to_string(),
        name: format!("{id} feed"),
        owner: "crm-ops".to_string(),
        severity: Severity::High,
        auth_url: url::Url::parse(
            "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/",
        )
        .unwrap(),
        // Each its own installed package: one credential's incidents are grouped (tested apart).
        client_id: format!("client-{id}"),
        client_secret: SecretSource::Env(SECRET_ENV.to_string()),
        account_id: Some(7281698),
        expected_scopes: vec!["data_extensions_read".to_string()],
        secret_rotated_at: None,
        secret_expires_at: Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()),
        depends_on: vec!["Welcome journey enrollment".to_string()],
        records_per_hour: Some(7_500),
        runbook: Some("https://wiki.example.com/sfmc/loyalty".to_string()),
        probe_every: std::time::Duration::from_secs(900),
        recheck_every: std::time::Duration::from_secs(120),
        expiry_warn_days: vec![30, 14, 7, 3, 1],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}

fn incident(integration: &str, seq: u32) -> Incident {
    Incident {
        id: IncidentId::new(integration, CheckKind::Auth, seq),
        integration: integration.to_string(),
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        severity: Severity::High,
        team: "crm-ops".to_string(),
        open: true,
        opened_at: at(0),
        updated_at: at(0),
        resolved_at: None,
        threshold_days: None,
        message: format!("SFMC answered 401 invalid_client (Bearer {TOKEN})."),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

fn resolved(incident: &Incident, minutes: i64) -> Incident {
    Incident {
        open: false,
        resolved_at: Some(at(minutes)),
        updated_at: at(minutes),
        message: "A token was issued again.".to_string(),
        ..incident.clone()
    }
}

/// The stream record of a write of `incident`'s item from `old` to `new`; `n` makes its ids.
fn record(n: u32, old: Option<&Incident>, new: Option<&Incident>) -> StreamChange {
    let id = new.or(old).map(|i| i.id.clone()).expect("an image");
    StreamChange {
        source_id: format!("event-{n}"),
        sequence_number: format!("{}", 1000 + n),
        key: format!("pk=INC#{} sk=auth#{:06}", id.integration(), id.seq()),
        content: StreamContent::Incident {
            old: old.cloned(),
            new: new.cloned(),
        },
    }
}

/// The integrations `ids` of team crm-ops, which works around the clock and groups nothing
/// (business hours and grouping are tested apart).
async fn store_with(ids: &[&str]) -> MemoryStore {
    let store = MemoryStore::new();
    quiet_team(&store).await;
    for id in ids {
        store
            .put_integration(&integration(id), at(-100), at(-100))
            .await
            .unwrap();
    }
    store
}

/// Team crm-ops, around the clock, grouping nothing.
async fn quiet_team(store: &MemoryStore) {
    let mut team = crate::inventory::Team {
        id: "crm-ops".to_string(),
        name: "CRM operations".to_string(),
        timezone: None,
        business_hours: None,
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        maintenance: Vec::new(),
        notify: crate::inventory::Notify::default(),
    };
    team.notify.group_wait = std::time::Duration::ZERO;
    crate::store::Teams::put_team(store, &team).await.unwrap();
}

fn events(publisher: &MemoryPublisher) -> Vec<String> {
    publisher
        .sent()
        .iter()
        .map(|r| r.attributes["notification_id"].clone())
        .collect()
}

#[tokio::test]
async fn opened_changed_and_resolved_each_publish_once_with_their_attributes() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    let open = incident("crm", 3);
    let mut scopes = open.clone();
    scopes.class = IncidentClass::Outcome(OutcomeClass::MissingScopes);
    scopes.severity = Severity::Critical;
    scopes.updated_at = at(10);
    let over = resolved(&scopes, 160);
    let batch = vec![
        record(1, None, Some(&open)),
        record(2, Some(&open), Some(&scopes)),
        record(3, Some(&scopes), Some(&over)),
    ];
    let summary = handle_records(&store, &publisher, batch, at(161)).await;
    assert_eq!(summary.deliveries.sent, 3, "{summary:?}");
    assert!(summary.retry.is_empty());
    let sent = publisher.sent();
    assert_eq!(
        events(&publisher),
        [
            "crm:auth:3/opened",
            "crm:auth:3/changed/missing_scopes@2026-11-30T13:10:00.000Z",
            "crm:auth:3/resolved",
        ]
    );
    let attributes = &sent[0].attributes;
    for (name, value) in [
        ("team", "crm-ops"),
        ("severity", "high"),
        ("event", "opened"),
        ("check", "auth"),
        ("class", "client_auth_failed"),
        ("integration", "crm"),
        ("incident_id", "crm:auth:3"),
        ("notification_id", "crm:auth:3/opened"),
    ] {
        assert_eq!(attributes[name], value, "{name}");
    }
    assert_eq!(sent[1].attributes["event"], "changed");
    assert_eq!(sent[1].attributes["severity"], "critical");
    assert_eq!(sent[2].attributes["event"], "resolved");
    assert!(
        sent[0].subject.starts_with("[HIGH] crm feed"),
        "{}",
        sent[0].subject
    );
    assert!(
        sent[2].subject.starts_with("[RESOLVED]"),
        "{}",
        sent[2].subject
    );
    // Each is on record as sent, with SNS's message id and one attempt.
    let records = store.notifications_of(&open.id).await.unwrap();
    assert_eq!(records.len(), 3);
    for record in &records {
        assert_eq!(
            record.delivery.state,
            DeliveryState::Sent,
            "{}",
            record.id()
        );
        assert_eq!(record.delivery.attempts, 1);
        assert!(
            record
                .delivery
                .message_id
                .as_deref()
                .unwrap()
                .starts_with("memory-")
        );
        assert_eq!(record.delivery.finished_at, Some(at(161)));
    }
    let metrics = emf::lines("credwatch-alert-fanout", &summary.metrics(), at(161));
    let totals: serde_json::Value = serde_json::from_str(&metrics[0]).unwrap();
    assert_eq!(totals["NotificationsSent"], 3);
    assert_eq!(totals["NotificationsFailed"], 0);
}

#[tokio::test]
async fn the_same_batch_twice_publishes_once() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    let open = incident("crm", 1);
    let batch = vec![
        record(1, None, Some(&open)),
        record(2, Some(&open), Some(&resolved(&open, 30))),
    ];
    let first = handle_records(&store, &publisher, batch.clone(), at(31)).await;
    let again = handle_records(&store, &publisher, batch, at(45)).await;
    assert_eq!(first.deliveries.sent, 2);
    assert_eq!(again.deliveries.sent, 0);
    assert_eq!(again.replayed, 2);
    assert_eq!(publisher.sent().len(), 2);
}

#[tokio::test]
async fn a_failed_publish_stays_pending_and_the_sweep_delivers_it_once_its_backoff_passed() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    publisher.fail_next(PublishErrorKind::Retryable);
    let open = incident("crm", 1);
    let summary = handle_records(
        &store,
        &publisher,
        vec![record(1, None, Some(&open))],
        at(0),
    )
    .await;
    // Not a batch failure: the notification is on record.
    assert!(summary.retry.is_empty());
    assert_eq!(summary.deliveries.retried, 1);
    assert_eq!(summary.deliveries.retryable_errors, 1);
    let pending = &store.notifications_of(&open.id).await.unwrap()[0];
    assert_eq!(pending.delivery.state, DeliveryState::Pending);
    assert_eq!(pending.delivery.attempts, 1);
    let due = pending.delivery.next_attempt_at.unwrap();
    assert!(due > at(0) && due <= at(1), "{due}");
    assert!(pending.delivery.last_error.is_some());

    let early = sweep(
        &store,
        &publisher,
        at(0) + TimeDelta::seconds(30),
        100,
        None,
    )
    .await
    .unwrap();
    assert_eq!(early.due, 0);
    assert!(publisher.sent().is_empty());

    let swept = sweep(&store, &publisher, at(1), 100, None).await.unwrap();
    assert_eq!(swept.due, 1);
    assert_eq!(swept.deliveries.sent, 1);
    let again = sweep(&store, &publisher, at(5), 100, None).await.unwrap();
    assert_eq!(again.due, 0);
    assert_eq!(events(&publisher), ["crm:auth:1/opened"]);
    let sent = &store.notifications_of(&open.id).await.unwrap()[0];
    assert_eq!(sent.delivery.state, DeliveryState::Sent);
    assert_eq!(sent.delivery.attempts, 2);
    let metrics = emf::lines("f", &swept.metrics(), at(1));
    let totals: serde_json::Value = serde_json::from_str(&metrics[0]).unwrap();
    assert_eq!(totals["Heartbeat"], 1);
    assert_eq!(totals["NotificationsSent"], 1);
}

#[tokio::test]
async fn a_configuration_failure_is_counted_apart_and_retried() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    publisher.fail_next(PublishErrorKind::Configuration);
    publisher.fail_next(PublishErrorKind::Configuration);
    let open = incident("crm", 1);
    let summary = handle_records(
        &store,
        &publisher,
        vec![record(1, None, Some(&open))],
        at(0),
    )
    .await;
    assert_eq!(summary.deliveries.configuration_errors, 1);
    assert_eq!(summary.deliveries.retried, 1);
    let lines = emf::lines("f", &summary.metrics(), at(0));
    let totals: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(totals["NotificationConfigurationErrors"], 1);
    assert_eq!(totals["NotificationsRetried"], 1);
    let second = sweep(&store, &publisher, at(1), 100, None).await.unwrap();
    assert_eq!(second.deliveries.configuration_errors, 1);
    // The topic is fixed: the next attempt (2 minutes later at most) delivers it.
    let third = sweep(&store, &publisher, at(3), 100, None).await.unwrap();
    assert_eq!(third.deliveries.sent, 1);
    assert_eq!(publisher.sent().len(), 1);
}

#[tokio::test]
async fn a_payload_failure_is_resent_shortened_at_once() {
    let store = MemoryStore::new();
    let mut big = integration("crm");
    // About 190 KB of dependants: fits SNS's 256 KiB whole, not the 128 KiB of one halving.
    big.depends_on = (0..2_000)
        .map(|i| format!("Journey {i:04} of the loyalty programme, weekly re-engagement"))
        .collect();
    store
        .put_integration(&big, at(-100), at(-100))
        .await
        .unwrap();
    let publisher = MemoryPublisher::new();
    publisher.fail_next(PublishErrorKind::Payload);
    let open = incident("crm", 1);
    let summary = handle_records(
        &store,
        &publisher,
        vec![record(1, None, Some(&open))],
        at(0),
    )
    .await;
    assert_eq!(summary.deliveries.payload_errors, 1);
    assert_eq!(summary.deliveries.sent, 1);
    let sent = publisher.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].shortened);
    assert!(sent[0].size() <= 131_072, "{}", sent[0].size());
    let record = &store.notifications_of(&open.id).await.unwrap()[0];
    assert_eq!(record.delivery.shrink, 1);
    assert_eq!(record.delivery.attempts, 2);
    assert_eq!(record.delivery.state, DeliveryState::Sent);
}

#[tokio::test]
async fn a_message_sns_always_refuses_is_given_up() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    for _ in 0..=MAX_SHRINKS {
        publisher.fail_next(PublishErrorKind::Payload);
    }
    let open = incident("crm", 1);
    let summary = handle_records(
        &store,
        &publisher,
        vec![record(1, None, Some(&open))],
        at(0),
    )
    .await;
    assert_eq!(summary.deliveries.failed, 1, "{summary:?}");
    assert_eq!(summary.deliveries.payload_errors as u32, MAX_SHRINKS + 1);
    let record = &store.notifications_of(&open.id).await.unwrap()[0];
    assert_eq!(record.delivery.state, DeliveryState::Failed);
}

#[tokio::test]
async fn a_day_of_failures_ends_failed_and_counted() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    for _ in 0..100 {
        publisher.fail_next(PublishErrorKind::Retryable);
    }
    let open = incident("crm", 1);
    handle_records(
        &store,
        &publisher,
        vec![record(1, None, Some(&open))],
        at(0),
    )
    .await;
    let mut failed = 0;
    let mut sweeps = 0;
    // One sweep a minute, for a day and a bit.
    for minute in 1..=(25 * 60) {
        let summary = sweep(&store, &publisher, at(minute), 100, None)
            .await
            .unwrap();
        failed += summary.deliveries.failed;
        if summary.due > 0 {
            sweeps += 1;
        }
        if summary.deliveries.failed > 0 {
            let lines = emf::lines("f", &summary.metrics(), at(minute));
            let totals: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
            assert_eq!(totals["NotificationsFailed"], 1);
        }
    }
    assert_eq!(failed, 1);
    assert!((24..=40).contains(&sweeps), "{sweeps}");
    let record = &store.notifications_of(&open.id).await.unwrap()[0];
    assert_eq!(record.delivery.state, DeliveryState::Failed);
    let finished = record.delivery.finished_at.unwrap();
    assert!(
        finished >= at(24 * 60) && finished <= at(25 * 60),
        "{finished}"
    );
    assert!(publisher.sent().is_empty());
}

#[tokio::test]
async fn a_corrupt_image_is_skipped_and_audited_and_the_others_delivered() {
    let store = store_with(&["crm", "erp"]).await;
    let publisher = MemoryPublisher::new();
    let crm = incident("crm", 1);
    let erp = incident("erp", 1);
    let corrupt = StreamChange {
        source_id: "event-bad".to_string(),
        sequence_number: "1500".to_string(),
        key: "pk=INC#bad sk=auth#000001".to_string(),
        content: StreamContent::Unreadable(UnreadableItem {
            key: "pk=INC#bad sk=auth#000001".to_string(),
            integration: Some("bad".to_string()),
            field: "message".to_string(),
            problem: "is not a string (S)".to_string(),
        }),
    };
    let batch = vec![
        record(1, None, Some(&crm)),
        corrupt.clone(),
        record(2, None, Some(&erp)),
    ];
    let summary = handle_records(&store, &publisher, batch, at(0)).await;
    assert_eq!(summary.corrupt, 1);
    assert!(summary.retry.is_empty());
    assert_eq!(
        events(&publisher),
        ["crm:auth:1/opened", "erp:auth:1/opened"]
    );
    let audit = store.audit_entries();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].decision, AuditDecision::Corrupt);
    assert_eq!(audit[0].source_id, "event-bad");
    assert!(
        audit[0].reason.contains("pk=INC#bad sk=auth#000001"),
        "{}",
        audit[0].reason
    );
    assert!(audit[0].reason.contains("message"), "{}", audit[0].reason);
    let lines = emf::lines("f", &summary.metrics(), at(0));
    let totals: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(totals["CorruptRecords"], 1);
    // Replayed, the same entry.
    handle_records(&store, &publisher, vec![corrupt], at(5)).await;
    assert_eq!(store.audit_entries().len(), 1);
}

#[tokio::test]
async fn a_retryable_store_error_retries_that_record_only() {
    let store = store_with(&["crm", "erp"]).await;
    let publisher = MemoryPublisher::new();
    let crm = incident("crm", 1);
    let erp = incident("erp", 1);
    store.fail_next_record(StoreError::retryable("DynamoDB throttled the write"));
    let batch = vec![
        record(1, None, Some(&crm)),
        record(2, None, Some(&erp)),
        // A later write of the failed record's item waits for it, keeping the order.
        record(3, Some(&crm), Some(&resolved(&crm, 5))),
    ];
    let summary = handle_records(&store, &publisher, batch.clone(), at(6)).await;
    assert_eq!(summary.retry, ["1001", "1003"]);
    assert_eq!(events(&publisher), ["erp:auth:1/opened"]);
    assert_eq!(summary.deliveries.errors.len(), 1);
    assert!(
        summary.deliveries.errors[0].contains("throttled"),
        "{:?}",
        summary.deliveries.errors
    );
    // Lambda delivers the batch again from the failed record: now all is delivered once.
    let again = handle_records(&store, &publisher, batch, at(7)).await;
    assert!(again.retry.is_empty());
    assert_eq!(
        events(&publisher),
        [
            "erp:auth:1/opened",
            "crm:auth:1/opened",
            "crm:auth:1/resolved"
        ]
    );
}

#[tokio::test]
async fn a_permanent_store_error_is_retried_too_never_dropped() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    store.fail_next_record(StoreError::permanent("AccessDeniedException"));
    let crm = incident("crm", 1);
    let summary =
        handle_records(&store, &publisher, vec![record(1, None, Some(&crm))], at(0)).await;
    assert_eq!(summary.retry, ["1001"]);
    assert!(publisher.sent().is_empty());
}

#[tokio::test]
async fn other_items_removals_and_message_only_changes_send_nothing() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    let open = incident("crm", 1);
    let mut reworded = open.clone();
    reworded.message = "SFMC answered 401 again.".to_string();
    reworded.updated_at = at(4);
    let over = resolved(&open, 5);
    let other = StreamChange {
        source_id: "event-hist".to_string(),
        sequence_number: "1900".to_string(),
        key: "pk=HIST#crm sk=2026-11-30T13:00:00.000Z".to_string(),
        content: StreamContent::Other,
    };
    let batch = vec![
        other,
        record(1, Some(&open), Some(&reworded)),
        record(2, Some(&over), None),
        record(3, None, Some(&over)),
    ];
    let summary = handle_records(&store, &publisher, batch, at(10)).await;
    assert!(publisher.sent().is_empty());
    assert_eq!(summary.records, 4);
    assert_eq!(summary.ignored, 3);
    assert_eq!(summary.unchanged, 1);
    let audit = store.audit_entries();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].decision, AuditDecision::Ignored);
    assert_eq!(audit[0].incident_id.as_ref(), Some(&open.id));
    assert_eq!(audit[0].source_id, "event-1");
    let lines = emf::lines("f", &summary.metrics(), at(10));
    let totals: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(totals["StreamRecordsIgnored"], 4);
}

#[tokio::test]
async fn an_unknown_or_unreadable_integration_is_named_by_id_and_still_notified() {
    let store = MemoryStore::new();
    quiet_team(&store).await;
    store.insert_unreadable(crate::store::UnreadableIntegration {
        id: "bad".to_string(),
        field: "auth.health".to_string(),
        problem: "is not a valid health".to_string(),
    });
    let publisher = MemoryPublisher::new();
    let batch = vec![
        record(1, None, Some(&incident("gone", 1))),
        record(2, None, Some(&incident("bad", 1))),
    ];
    let summary = handle_records(&store, &publisher, batch, at(0)).await;
    assert_eq!(summary.deliveries.sent, 2);
    let sent = publisher.sent();
    assert_eq!(sent[0].attributes["integration"], "gone");
    assert!(sent[0].subject.contains("gone"), "{}", sent[0].subject);
    assert!(sent[1].subject.contains("bad"), "{}", sent[1].subject);
}

#[tokio::test]
async fn expiry_notices_carry_the_expiry_date() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    let mut expiring = incident("crm", 2);
    expiring.id = IncidentId::new("crm", CheckKind::Expiry, 2);
    expiring.check = CheckKind::Expiry;
    expiring.class = IncidentClass::SecretExpiring;
    expiring.threshold_days = Some(7);
    expiring.message = "The client secret expires on 2026-12-07.".to_string();
    expiring.http_status = None;
    handle_records(
        &store,
        &publisher,
        vec![record(1, None, Some(&expiring))],
        at(0),
    )
    .await;
    let record = &store.notifications_of(&expiring.id).await.unwrap()[0];
    let expiry = record
        .notification
        .expiry
        .expect("the expiry from the integration");
    assert_eq!(expiry.expires_on.to_string(), "2026-12-07");
    assert_eq!(expiry.days_left, 7);
    assert!(publisher.sent()[0].message.contains("2026-12-07"));
}

#[tokio::test]
async fn no_secret_or_token_in_any_request_or_audit_entry() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    let open = incident("crm", 1);
    let mut reworded = open.clone();
    reworded.message = format!("access_token={TOKEN}");
    let batch = vec![
        record(1, None, Some(&open)),
        record(2, Some(&open), Some(&reworded)),
    ];
    handle_records(&store, &publisher, batch, at(0)).await;
    let everything = format!(
        "{:?} {:?} {:?}",
        publisher.sent(),
        store.audit_entries(),
        store.notification_records()
    );
    assert!(!publisher.sent().is_empty());
    for forbidden in [
        SECRET_ENV,
        TOKEN,
        "c2VjcmV0dG9rZW4",
        "0m0het6mqknzv0uebqlvoo41",
    ] {
        assert!(
            !everything.contains(forbidden),
            "{forbidden} leaked: {everything}"
        );
    }
}

#[tokio::test]
async fn the_sweep_reports_unreadable_items_and_keeps_going() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    publisher.fail_next(PublishErrorKind::Retryable);
    let open = incident("crm", 1);
    handle_records(
        &store,
        &publisher,
        vec![record(1, None, Some(&open))],
        at(0),
    )
    .await;
    store.insert_unreadable_notification(UnreadableItem {
        key: "pk=NTF#crm:auth:9 sk=crm:auth:9/opened".to_string(),
        integration: Some("crm".to_string()),
        field: "delivery.attempts".to_string(),
        problem: "is not a number (N)".to_string(),
    });
    let summary = sweep(&store, &publisher, at(2), 100, None).await.unwrap();
    assert_eq!(summary.unreadable.len(), 1);
    assert_eq!(summary.deliveries.sent, 1);
    let lines = emf::lines("f", &summary.metrics(), at(2));
    let totals: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(totals["CorruptItems"], 1);
}

#[tokio::test]
async fn a_sweep_past_its_deadline_leaves_the_rest_due() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    publisher.fail_next(PublishErrorKind::Retryable);
    handle_records(
        &store,
        &publisher,
        vec![record(1, None, Some(&incident("crm", 1)))],
        at(0),
    )
    .await;
    let summary = sweep(
        &store,
        &publisher,
        at(2),
        100,
        Some(tokio::time::Instant::now()),
    )
    .await
    .unwrap();
    assert_eq!((summary.due, summary.deferred), (1, 1));
    assert!(publisher.sent().is_empty());
    let later = sweep(&store, &publisher, at(3), 100, None).await.unwrap();
    assert_eq!(later.deliveries.sent, 1);
}

#[tokio::test]
async fn the_memory_stores_change_feed_runs_through_the_same_fan_out() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    let open = incident("crm", 1);
    assert!(store.open_incident(&open).await.unwrap());
    assert!(
        store
            .resolve_incident(open.id.as_str(), "A token was issued again.", at(30))
            .await
            .unwrap()
    );
    let changes = store.take_incident_changes();
    assert_eq!(changes.len(), 2);
    assert!(store.take_incident_changes().is_empty());
    let records = changes
        .into_iter()
        .enumerate()
        .map(|(n, (old, new))| StreamChange {
            source_id: format!("memory-{n}"),
            sequence_number: n.to_string(),
            key: open.id.to_string(),
            content: StreamContent::Incident { old, new },
        })
        .collect();
    let summary = handle_records(&store, &publisher, records, at(31)).await;
    assert_eq!(summary.deliveries.sent, 2);
    assert_eq!(
        events(&publisher),
        ["crm:auth:1/opened", "crm:auth:1/resolved"]
    );
}

#[tokio::test]
async fn state_commits_and_prunes_feed_their_images_too() {
    use crate::domain::state::{CheckState, StateCommit};
    use crate::store::ProbeResults;
    let store = store_with(&["crm"]).await;
    let open = incident("crm", 1);
    let opening = StateCommit {
        integration: "crm".to_string(),
        expected_version: 0,
        state: CheckState::default(),
        incidents: vec![IncidentChange::Opened(open.clone())],
    };
    store.commit(&opening).await.unwrap();
    let change = IncidentChange::Changed {
        id: open.id.clone(),
        previous: crate::rules::fanout::facts(&open),
        class: IncidentClass::Outcome(OutcomeClass::MissingScopes),
        severity: Severity::High,
        threshold_days: None,
        message: "A scope is missing.".to_string(),
        http_status: Some(200),
        at: at(10),
    };
    let changing = StateCommit {
        expected_version: 1,
        incidents: vec![change],
        ..opening
    };
    store.commit(&changing).await.unwrap();
    store.prune_integration("crm").await.unwrap();
    let changes = store.take_incident_changes();
    let shapes: Vec<(bool, bool)> = changes
        .iter()
        .map(|(old, new)| (old.is_some(), new.is_some()))
        .collect();
    assert_eq!(shapes, [(false, true), (true, true), (true, false)]);
    let (old, new) = &changes[1];
    assert_eq!(old.as_ref(), Some(&open));
    let new = new.as_ref().unwrap();
    assert_eq!(
        new.class,
        IncidentClass::Outcome(OutcomeClass::MissingScopes)
    );
    assert_eq!(new.updated_at, at(10));
    let publisher = MemoryPublisher::new();
    let records = changes
        .into_iter()
        .enumerate()
        .map(|(n, (old, new))| StreamChange {
            source_id: format!("memory-{n}"),
            sequence_number: n.to_string(),
            key: open.id.to_string(),
            content: StreamContent::Incident { old, new },
        })
        .collect();
    let summary = handle_records(&store, &publisher, records, at(11)).await;
    assert_eq!(summary.ignored, 1);
    assert_eq!(
        events(&publisher),
        [
            "crm:auth:1/opened",
            "crm:auth:1/changed/missing_scopes@2026-11-30T13:10:00.000Z"
        ]
    );
}

/// A standalone incident (an unreadable item's report, sequence 0) opens again under the same
/// id after its resolve: each life is told, once, and a replay of either still publishes nothing.
#[tokio::test]
async fn a_standalone_incident_that_opens_again_is_told_again() {
    let store = store_with(&["crm"]).await;
    let publisher = MemoryPublisher::new();
    let feed = |store: &MemoryStore| -> Vec<StreamChange> {
        store
            .take_incident_changes()
            .into_iter()
            .enumerate()
            .map(|(n, (old, new))| StreamChange {
                source_id: format!("memory-{n}"),
                sequence_number: n.to_string(),
                key: "INC#crm".to_string(),
                content: StreamContent::Incident { old, new },
            })
            .collect()
    };
    let mut first = incident("crm", crate::domain::incident::STANDALONE_SEQ);
    first.check = CheckKind::Monitor;
    first.id = IncidentId::new("crm", CheckKind::Monitor, 0);
    assert!(store.open_incident(&first).await.unwrap());
    assert!(
        store
            .resolve_incident(first.id.as_str(), "The item reads again.", at(10))
            .await
            .unwrap()
    );
    let mut second = first.clone();
    second.opened_at = at(60);
    second.updated_at = at(60);
    assert!(store.open_incident(&second).await.unwrap(), "reopened");
    let records = feed(&store);
    assert_eq!(records.len(), 3);
    handle_records(&store, &publisher, records.clone(), at(61)).await;
    assert_eq!(
        events(&publisher),
        [
            "crm:monitor:0/opened@2026-11-30T13:00:00.000Z",
            "crm:monitor:0/resolved@2026-11-30T13:00:00.000Z",
            "crm:monitor:0/opened@2026-11-30T14:00:00.000Z",
        ]
    );
    let replay = handle_records(&store, &publisher, records, at(62)).await;
    assert_eq!(replay.deliveries.sent, 0);
    assert_eq!(publisher.sent().len(), 3);
}

/// A reminder's decision on record says why it was owed, as the preview does: `incident
/// show` lists it.
#[tokio::test]
async fn a_follow_ups_decision_on_record_says_why_it_is_owed() {
    let store = store_with(&["loyalty"]).await;
    let publisher = MemoryPublisher::new();
    let open = incident("loyalty", 1);
    assert!(store.open_incident(&open).await.unwrap());
    handle_records(
        &store,
        &publisher,
        vec![record(1, None, Some(&open))],
        at(0),
    )
    .await;
    let swept = sweep(&store, &publisher, at(60), 100, None).await.unwrap();
    assert_eq!(swept.deliveries.sent, 1, "{swept:?}");
    let records = store.notifications_of(&open.id).await.unwrap();
    let reminder = records
        .iter()
        .find(|r| r.event() == Event::Reminder)
        .expect("the reminder is on record");
    let decision = reminder.last_decision().expect("its decision");
    assert_eq!(decision.kind, crate::notify::delivery::DecisionKind::Send);
    assert_eq!(decision.reason, "reminder 1 (due 2026-11-30 14:00 UTC)");
}

/// Incidents told in an openings digest are resolved in ONE resolve digest, also after the
/// digest went out (their openings then end superseded, and the group is named only by their
/// earlier decision): a regression test, they used to be resolved one by one. The notice is
/// about its first member and names the others besides it (it used to count itself among
/// "more like" it).
#[tokio::test]
async fn the_members_of_a_digest_resolve_in_one_digest() {
    let store = store_with(&["a", "b", "c"]).await;
    let mut team = crate::inventory::Team {
        id: "crm-ops".to_string(),
        name: "CRM operations".to_string(),
        timezone: None,
        business_hours: None,
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        maintenance: Vec::new(),
        notify: crate::inventory::Notify::default(),
    };
    team.notify.group_wait = std::time::Duration::from_secs(60);
    crate::store::Teams::put_team(&store, &team).await.unwrap();
    let publisher = MemoryPublisher::new();
    let opened: Vec<Incident> = ["a", "b", "c"].iter().map(|i| incident(i, 1)).collect();
    let batch = opened
        .iter()
        .enumerate()
        .map(|(n, i)| record(n as u32, None, Some(i)))
        .collect();
    handle_records(&store, &publisher, batch, at(0)).await;
    sweep(&store, &publisher, at(1), 100, None).await.unwrap();
    assert_eq!(
        events(&publisher),
        [
            "a:auth:1/opened",
            "a:auth:1/digest/opened@2026-11-30T13:00:00.000Z"
        ]
    );
    let batch = opened[1..]
        .iter()
        .enumerate()
        .map(|(n, i)| record(10 + n as u32, Some(i), Some(&resolved(i, 10))))
        .collect();
    handle_records(&store, &publisher, batch, at(10)).await;
    sweep(&store, &publisher, at(11), 100, None).await.unwrap();
    assert_eq!(
        events(&publisher)[2..],
        ["b:auth:1/digest/resolved@2026-11-30T13:10:00.000Z"]
    );
    let digest = &store.notifications_of(&opened[1].id).await.unwrap();
    let notice = digest
        .iter()
        .find(|r| r.id().as_str().contains("/digest/resolved@"))
        .expect("the resolve digest is on record");
    let named: Vec<&str> = notice
        .notification
        .members
        .iter()
        .map(|m| m.integration.as_str())
        .collect();
    // The notice is about b; c is named besides it, and it tells when they resolved.
    assert_eq!(named, ["c"]);
    assert_eq!(notice.notification.resolved_at, Some(at(10)));
    let text = &publisher.sent()[2].message;
    assert!(text.contains("1 more like b feed"), "{text}");
}
