//! `credwatch incident show` and the notification counts of `status --format json`, against
//! moto_server, on records written through the DynamoDB store as the alert fan-out writes them.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, IncidentChange, IncidentClass};
use credwatch::inventory::Severity;
use credwatch::notify::delivery::{Delivery, DeliveryError, DeliveryState, NotificationRecord};
use credwatch::notify::error::PublishErrorKind;
use credwatch::notify::notification::{Event, Notification};
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::{Incident, Incidents as _, Notifications as _};
use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::cli::run;
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory_yaml};
use serde_json::Value;

fn credwatch(args: &[&str]) -> tokio::process::Command {
    credwatch_tests::cli::command(env!("CARGO_BIN_EXE_credwatch").as_ref(), args)
}

fn t0() -> DateTime<Utc> {
    // Recent, so relative times stay small; whole seconds, so JSON times are predictable.
    let now = Utc::now() - TimeDelta::hours(3);
    DateTime::from_timestamp(now.timestamp(), 0).expect("a time")
}

fn incident(start: DateTime<Utc>) -> Incident {
    Incident {
        id: "loyalty-feed:auth:1".parse().expect("an id"),
        integration: "loyalty-feed".into(),
        check: CheckKind::Auth,
        class: IncidentClass::parse("client_auth_failed").expect("a class"),
        severity: Severity::High,
        team: "marketing-ops".into(),
        open: true,
        opened_at: start,
        updated_at: start,
        resolved_at: None,
        threshold_days: None,
        message: "SFMC says: Client authentication failed.".into(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

fn delivery(state: DeliveryState, at: DateTime<Utc>, revision: u64) -> Delivery {
    let finished = state != DeliveryState::Pending;
    Delivery {
        state,
        attempts: u32::from(finished) * 3,
        next_attempt_at: (!finished).then_some(at),
        message_id: (state == DeliveryState::Sent)
            .then(|| "6f1b7c2e-9a1d-5b7e-8f33-2c1d4e5f6a7b".to_string()),
        finished_at: finished.then_some(at),
        last_error: (state != DeliveryState::Pending).then(|| DeliveryError {
            kind: PublishErrorKind::Retryable,
            detail: "SNS Throttled: Rate exceeded".into(),
        }),
        shrink: 0,
        revision,
        decisions: Vec::new(),
    }
}

fn record(
    incident: &Incident,
    event: Event,
    change: &IncidentChange,
    at: DateTime<Utc>,
) -> NotificationRecord {
    NotificationRecord {
        notification: Notification::new(event, incident, change, None, None, at),
        created_at: at,
        delivery: delivery(DeliveryState::Pending, at, 0),
        slack: None,
    }
}

/// A table with the inventory applied (`crm-sync`, `loyalty-feed`), and its store.
async fn deployment(label: &str) -> (String, DynamoStore, Simulator, Scratch) {
    let sim = Simulator::start().await.expect("the simulator starts");
    let scratch = Scratch::new(label);
    let table = unique_name(label);
    let healthy = ClientConfig::healthy("Ops4Secret8Value2Here6", SYNC_SCOPES, 7281698);
    let specs = vec![
        Spec::on(&sim, "crm-sync", &healthy),
        Spec::on(&sim, "loyalty-feed", &healthy),
    ];
    let path = scratch.path().join("inventory.yaml");
    std::fs::write(&path, inventory_yaml(scratch.path(), &specs)).expect("write");
    let file = path.display().to_string();
    let (code, _, stderr) = run(credwatch(&["table", "create", "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(credwatch(&["inventory", "apply", &file, "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let store = DynamoStore::new(client, table.clone());
    (table, store, sim, scratch)
}

#[tokio::test(flavor = "multi_thread")]
async fn incident_show_tells_the_incident_and_its_notifications_and_status_counts_them() {
    let (table, store, _sim, _scratch) = deployment("cli-incident").await;
    let start = t0();
    let open = incident(start);
    assert!(store.open_incident(&open).await.expect("opened"));
    // Opened: published on the third attempt.
    let opened = record(
        &open,
        Event::Opened,
        &IncidentChange::Opened(open.clone()),
        start,
    );
    assert!(store.record_notification(&opened).await.expect("recorded"));
    let sent = delivery(DeliveryState::Sent, start + TimeDelta::minutes(2), 1);
    assert!(
        store
            .update_delivery(opened.id(), 0, &sent)
            .await
            .expect("updated")
    );
    // A change of class, still pending (due in the future).
    let changed_at = start + TimeDelta::minutes(30);
    let change = IncidentChange::Changed {
        id: open.id.clone(),
        previous: credwatch::domain::incident::IncidentFacts {
            class: open.class,
            severity: open.severity,
            threshold_days: None,
        },
        class: IncidentClass::parse("missing_scopes").expect("a class"),
        message: "The token lacks data_extensions_read.".into(),
        http_status: Some(200),
        severity: Severity::High,
        threshold_days: None,
        at: changed_at,
    };
    let mut changed = record(&open, Event::Changed, &change, changed_at);
    changed.delivery.next_attempt_at = Some(Utc::now() + TimeDelta::hours(1));
    assert!(store.record_notification(&changed).await.expect("recorded"));

    let (code, stdout, stderr) = run(credwatch(&[
        "status", "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<Value> = serde_json::from_str(&stdout).expect("JSON");
    let loyalty = rows
        .iter()
        .find(|r| r["integration"] == "loyalty-feed")
        .expect("a row");
    assert_eq!(
        loyalty["open_incidents"][0]["notifications"],
        serde_json::json!({"sent": 1, "pending": 1, "failed": 0, "held": 0, "superseded": 0}),
        "{stdout}"
    );

    // Resolved, and its notification given up (failed).
    assert!(
        store
            .resolve_incident(
                open.id.as_str(),
                "Working again.",
                start + TimeDelta::minutes(95)
            )
            .await
            .expect("resolved")
    );
    let mut resolved_incident = open.clone();
    resolved_incident.open = false;
    resolved_incident.resolved_at = Some(start + TimeDelta::minutes(95));
    let resolve = IncidentChange::Resolved {
        id: open.id.clone(),
        class: open.class,
        message: "Working again.".into(),
        at: start + TimeDelta::minutes(95),
    };
    let resolved = record(
        &resolved_incident,
        Event::Resolved,
        &resolve,
        start + TimeDelta::minutes(95),
    );
    assert!(
        store
            .record_notification(&resolved)
            .await
            .expect("recorded")
    );
    let failed = delivery(DeliveryState::Failed, start + TimeDelta::minutes(100), 1);
    assert!(
        store
            .update_delivery(resolved.id(), 0, &failed)
            .await
            .expect("updated")
    );

    let (code, stdout, stderr) = run(credwatch(&[
        "incident",
        "show",
        "loyalty-feed:auth:1",
        "--table",
        &table,
        "--format",
        "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let incident = &report["incident"];
    assert_eq!(incident["id"], "loyalty-feed:auth:1");
    assert_eq!(incident["team"], "marketing-ops");
    assert_eq!(incident["class"], "client_auth_failed");
    assert_eq!(incident["severity"], "high");
    assert_eq!(incident["open"], false);
    assert_eq!(incident["http_status"], 401);
    assert_eq!(incident["message"], "Working again.");
    assert!(incident["resolved_at"].is_string());
    let notifications = report["notifications"].as_array().expect("a list");
    let summary: Vec<(&str, &str, u64)> = notifications
        .iter()
        .map(|n| {
            (
                n["event"].as_str().expect("event"),
                n["state"].as_str().expect("state"),
                n["attempts"].as_u64().expect("attempts"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("opened", "sent", 3),
            ("changed", "pending", 0),
            ("resolved", "failed", 3)
        ],
        "oldest first"
    );
    assert_eq!(
        notifications[0]["message_id"],
        "6f1b7c2e-9a1d-5b7e-8f33-2c1d4e5f6a7b"
    );
    assert_eq!(notifications[0]["id"], "loyalty-feed:auth:1/opened");
    assert_eq!(notifications[2]["last_error"]["kind"], "retryable");
    assert!(notifications[1]["next_attempt_at"].is_string());
    assert!(notifications[2]["finished_at"].is_string());
    assert_eq!(report["unreadable"], serde_json::json!([]));

    let mut wide = credwatch(&["incident", "show", "loyalty-feed:auth:1", "--table", &table]);
    wide.env("COLUMNS", "200");
    let (code, text, stderr) = run(wide).await;
    assert_eq!(code, 0, "{stderr}");
    for part in [
        "Incident loyalty-feed:auth:1 (resolved)",
        "Team: marketing-ops",
        "Class: client_auth_failed   Severity: high",
        "SFMC's HTTP status: 401",
        "notification opened",
        "notification changed",
        "notification resolved",
        "6f1b7c2e-9a1d-5b7e-8f33-2c1d4e5f6a7b",
        "last error (retryable): SNS Throttled: Rate exceeded",
        "after 95 min",
        "3 notifications: 1 sent, 1 pending, 1 failed.",
    ] {
        assert!(text.contains(part), "{part} in:\n{text}");
    }
    let opened_line = text
        .find("┆ opened ")
        .unwrap_or_else(|| panic!("no opened row:\n{text}"));
    let resolved_line = text.find("┆ resolved ").expect("a resolved row");
    assert!(opened_line < resolved_line, "oldest first:\n{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_or_unknown_id_is_exit_2_and_an_unreadable_item_is_named() {
    let (table, store, _sim, _scratch) = deployment("cli-incident-bad").await;
    for bad in [
        "loyalty-feed",
        "loyalty-feed:auth:01",
        "loyalty-feed:bogus:1",
        ":auth:1",
    ] {
        let (code, stdout, stderr) =
            run(credwatch(&["incident", "show", bad, "--table", &table])).await;
        assert_eq!(code, 2, "{bad}: {stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains("is not an incident id") && stderr.contains("integration:check:seq"),
            "{stderr}"
        );
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert_eq!(
            stderr.matches("integration:check:seq").count(),
            1,
            "the form is explained once: {stderr}"
        );
    }
    // The id an email shows as "Notification:" points at its incident.
    let (code, _, stderr) = run(credwatch(&[
        "incident",
        "show",
        "loyalty-feed:auth:3/opened",
        "--table",
        &table,
    ]))
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("that is a notification id: its incident is loyalty-feed:auth:3"),
        "{stderr}"
    );
    let (code, _, stderr) = run(credwatch(&[
        "incident",
        "show",
        "loyalty-feed:auth:7",
        "--table",
        &table,
    ]))
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("holds no incident loyalty-feed:auth:7"),
        "{stderr}"
    );

    // One notification item poisoned by hand: named on stderr and in the JSON, the rest shown.
    let start = t0();
    let open = incident(start);
    assert!(store.open_incident(&open).await.expect("opened"));
    let opened = record(
        &open,
        Event::Opened,
        &IncidentChange::Opened(open.clone()),
        start,
    );
    assert!(store.record_notification(&opened).await.expect("recorded"));
    let mut drill = record(
        &open,
        Event::Drill,
        &IncidentChange::Opened(open.clone()),
        start + TimeDelta::minutes(1),
    );
    drill.notification.id = credwatch::notify::notification::NotificationId::new(
        &open.id,
        Event::Drill,
        &IncidentChange::Opened(open.clone()),
        1,
    );
    assert!(store.record_notification(&drill).await.expect("recorded"));
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    client
        .update_item()
        .table_name(&table)
        .key("pk", AttributeValue::S("NTF#loyalty-feed:auth:1".into()))
        .key("sk", AttributeValue::S(drill.id().to_string()))
        .update_expression("SET attempts = :v")
        .expression_attribute_values(":v", AttributeValue::S("many-4711".into()))
        .send()
        .await
        .expect("poison");
    let (code, stdout, stderr) = run(credwatch(&[
        "incident",
        "show",
        "loyalty-feed:auth:1",
        "--table",
        &table,
        "--format",
        "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["notifications"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["unreadable"][0]["field"], "attempts");
    assert_eq!(report["unreadable"][0]["problem"], "is not a number (N)");
    assert!(
        stderr.contains("cannot be read") && stderr.contains(drill.id().as_str()),
        "{stderr}"
    );
    assert!(!stdout.contains("4711") && !stderr.contains("4711"));
}
