//! The SNS publisher against moto_server: a topic, SQS queues subscribed with filter policies
//! on `team` (and `severity`), rendered notifications published through `SnsPublisher`, and
//! each queue receiving exactly its team's messages with the subject, attributes and the `sqs`
//! body of `MessageStructure=json`. Publishing to a missing topic is a configuration failure.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use credwatch::domain::incident::{CheckKind, Incident, IncidentChange, IncidentClass, IncidentId};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::severity::Severity;
use credwatch::notify::Publisher;
use credwatch::notify::error::PublishErrorKind;
use credwatch::notify::notification::Notification;
use credwatch::notify::publish::{SNS_MAX_BYTES, build};
use credwatch::notify::sns::SnsPublisher;
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::sns::{attribute, drain, subscribed_queue};

fn incident(integration: &str, team: &str, severity: Severity) -> Incident {
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 13, 5, 0).unwrap();
    Incident {
        id: IncidentId::new(integration, CheckKind::Auth, 1),
        integration: integration.to_string(),
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        severity,
        team: team.to_string(),
        open: true,
        opened_at: at,
        updated_at: at,
        resolved_at: None,
        threshold_days: None,
        message: "SFMC answered 401: Client authentication failed.".to_string(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

fn notification(integration: &str, team: &str, severity: Severity) -> Notification {
    let incident = incident(integration, team, severity);
    let change = IncidentChange::Opened(incident.clone());
    let now = incident.opened_at + chrono::TimeDelta::minutes(20);
    Notification::for_change(&incident, &change, None, None, now).remove(0)
}

/// A queue subscribed to the topic with `policy`.
async fn subscribe(
    sns: &aws_sdk_sns::Client,
    sqs: &aws_sdk_sqs::Client,
    topic: &str,
    policy: serde_json::Value,
) -> String {
    subscribed_queue(sqs, sns, topic, Some(&policy.to_string())).await
}

#[tokio::test]
async fn each_team_receives_exactly_its_messages_with_subject_attributes_and_body() {
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = sns
        .create_topic()
        .name(unique_name("credwatch-alerts"))
        .send()
        .await
        .expect("create topic")
        .topic_arn
        .expect("topic arn");
    let crm = subscribe(&sns, &sqs, &topic, serde_json::json!({"team": ["crm-ops"]})).await;
    let growth_urgent = subscribe(
        &sns,
        &sqs,
        &topic,
        serde_json::json!({"team": ["growth"], "severity": [{"anything-but": ["low", "medium"]}]}),
    )
    .await;
    let platform = subscribe(
        &sns,
        &sqs,
        &topic,
        serde_json::json!({"team": ["platform"], "severity": ["critical", "high"]}),
    )
    .await;

    let publisher = SnsPublisher::new(sns.clone(), topic.clone());
    let sent = [
        notification("crm-sync", "crm-ops", Severity::High),
        notification("crm-nightly", "crm-ops", Severity::Low),
        notification("growth-feed", "growth", Severity::Critical),
        notification("growth-quiet", "growth", Severity::Low),
        notification("other", "nobody", Severity::Critical),
    ];
    let mut ids = BTreeMap::new();
    for n in &sent {
        let request = build(n, SNS_MAX_BYTES);
        let id = publisher.publish(&request).await.expect("publish");
        assert!(!id.0.is_empty());
        ids.insert(n.id.to_string(), request);
    }

    let received = |envelopes: &[serde_json::Value]| -> Vec<String> {
        let mut got: Vec<String> = envelopes
            .iter()
            .map(|e| attribute(e, "notification_id").to_string())
            .collect();
        got.sort();
        got
    };
    let crm_got = drain(&sqs, &crm).await;
    assert_eq!(
        received(&crm_got),
        vec!["crm-nightly:auth:1/opened", "crm-sync:auth:1/opened"]
    );
    let growth_got = drain(&sqs, &growth_urgent).await;
    assert_eq!(received(&growth_got), vec!["growth-feed:auth:1/opened"]);
    assert!(drain(&sqs, &platform).await.is_empty());

    for envelope in crm_got.iter().chain(&growth_got) {
        let id = attribute(envelope, "notification_id");
        let request = &ids[id];
        assert_eq!(envelope["Subject"], request.subject.as_str());
        for (name, value) in &request.attributes {
            assert_eq!(attribute(envelope, name), value, "{id} {name}");
            assert_eq!(envelope["MessageAttributes"][name]["Type"], "String");
        }
        // MessageStructure=json: the queue gets the `sqs` body, the versioned document.
        let doc: serde_json::Value =
            serde_json::from_str(envelope["Message"].as_str().expect("a string body"))
                .expect("the sqs body is the JSON document");
        assert_eq!(doc["schema"], "credwatch.notification.v1");
        assert_eq!(doc["notification_id"], id);
        assert_eq!(doc["team"], attribute(envelope, "team"));
    }
    assert!(
        crm_got
            .iter()
            .any(|e| e["Subject"] == "[HIGH] crm-sync: secret rejected by SFMC")
    );
}

#[tokio::test]
async fn publishing_to_a_missing_topic_is_a_configuration_failure() {
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let topic = format!(
        "arn:aws:sns:us-east-1:123456789012:{}",
        unique_name("credwatch-missing")
    );
    let publisher = SnsPublisher::new(sns, topic.clone());
    let n = notification("crm-sync", "crm-ops", Severity::High);
    let request = build(&n, SNS_MAX_BYTES);
    let err = publisher
        .publish(&request)
        .await
        .expect_err("no such topic");
    assert_eq!(err.kind, PublishErrorKind::Configuration, "{err}");
    let text = err.to_string();
    assert!(text.contains(&topic), "{text}");
    assert!(text.contains("crm-sync:auth:1/opened"), "{text}");
    assert!(
        !text.contains("Client authentication failed"),
        "the body leaked: {text}"
    );
}
