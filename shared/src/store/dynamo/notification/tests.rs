//! The notification item's encoder and decoder, without a table.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::*;
use crate::domain::incident::{CheckKind, Incident, IncidentChange, IncidentClass, IncidentFacts};
use crate::domain::severity::Severity;
use crate::notify::notification::{Event, Expiry};
use crate::store::dynamo::value::timestamp;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a valid time")
        .with_timezone(&Utc)
}

fn incident() -> Incident {
    Incident {
        id: "crm-sync:expiry:3".parse().expect("an incident id"),
        integration: "crm-sync".into(),
        check: CheckKind::Expiry,
        class: IncidentClass::SecretExpiring,
        severity: Severity::High,
        team: "crm-ops".into(),
        open: true,
        opened_at: at("2026-06-01T12:00:00.000Z"),
        updated_at: at("2026-06-01T12:05:00.000Z"),
        resolved_at: None,
        threshold_days: Some(7),
        message: "The client secret expires in 7 days.".into(),
        http_status: Some(200),
        class_since: None,
        ack: None,
    }
}

/// A `changed` notification: every optional part of the document set.
fn notification() -> Notification {
    let incident = incident();
    let change = IncidentChange::Changed {
        id: incident.id.clone(),
        previous: IncidentFacts {
            class: IncidentClass::SecretExpiring,
            severity: Severity::Medium,
            threshold_days: Some(30),
        },
        class: IncidentClass::SecretExpiring,
        message: incident.message.clone(),
        http_status: Some(200),
        severity: Severity::High,
        threshold_days: Some(7),
        at: at("2026-06-01T12:05:00.000Z"),
    };
    let expiry = Expiry {
        expires_on: chrono::NaiveDate::from_ymd_opt(2026, 6, 8).expect("a day"),
        days_left: 7,
    };
    Notification::new(
        Event::Changed,
        &incident,
        &change,
        None,
        Some(expiry),
        at("2026-06-01T12:05:01.000Z"),
    )
}

fn pending() -> Delivery {
    Delivery {
        state: DeliveryState::Pending,
        attempts: 0,
        next_attempt_at: Some(at("2026-06-01T12:05:01.000Z")),
        message_id: None,
        finished_at: None,
        last_error: None,
        shrink: 0,
        revision: 0,
        decisions: Vec::new(),
    }
}

fn sent() -> Delivery {
    Delivery {
        state: DeliveryState::Sent,
        attempts: 2,
        next_attempt_at: None,
        message_id: Some("6f1b7c2e-9a1d-5b7e-8f33-2c1d4e5f6a7b".into()),
        finished_at: Some(at("2026-06-01T12:07:00.000Z")),
        last_error: Some(DeliveryError {
            kind: PublishErrorKind::Retryable,
            detail: "SNS Throttled: Rate exceeded".into(),
        }),
        shrink: 1,
        revision: 3,
        decisions: Vec::new(),
    }
}

fn failed() -> Delivery {
    Delivery {
        state: DeliveryState::Failed,
        message_id: None,
        last_error: Some(DeliveryError {
            kind: PublishErrorKind::Configuration,
            detail: "SNS NotFound: Topic does not exist".into(),
        }),
        ..sent()
    }
}

fn record(delivery: Delivery) -> NotificationRecord {
    NotificationRecord {
        notification: notification(),
        created_at: at("2026-06-01T12:05:01.000Z"),
        delivery,
        slack: None,
    }
}

fn item(delivery: Delivery) -> Item {
    notification_item(&record(delivery)).expect("a consistent record")
}

#[test]
fn notifications_round_trip_pending_sent_and_failed() {
    for delivery in [pending(), sent(), failed()] {
        let finished = delivery.state != DeliveryState::Pending;
        let item = item(delivery.clone());
        assert_eq!(decode_notification(&item), Ok(record(delivery.clone())));
        assert_eq!(
            item.contains_key(GSI_PK),
            !finished,
            "index keys only while pending"
        );
        assert_eq!(
            item.contains_key(TTL_ATTRIBUTE),
            finished,
            "TTL only once finished"
        );
        if let Some(done) = delivery.finished_at {
            let ttl = done.timestamp() + AUDIT_RETENTION_DAYS * 86_400;
            assert_eq!(item.get(TTL_ATTRIBUTE), Some(&n(ttl)));
        }
    }
    let item = item(pending());
    assert_eq!(
        item.get(PK),
        Some(&s("NTF#crm-sync:expiry:3")),
        "the incident's partition"
    );
    assert_eq!(
        item.get(SK),
        Some(&s(notification().id.as_str())),
        "the whole notification id"
    );
    assert_eq!(item.get(GSI_PK), Some(&s("PENDING")));
    assert_eq!(
        item.get(GSI_SK),
        Some(&s(format!(
            "2026-06-01T12:05:01.000Z#{}",
            notification().id
        )))
    );
}

#[test]
fn slacks_answer_round_trips_and_a_corrupt_one_names_its_field() {
    use crate::notify::delivery::{SlackPost, SlackPostState};
    use crate::store::dynamo::attributes::SLACK_POST;
    let post = SlackPost {
        state: SlackPostState::Accepted,
        at: at("2026-06-01T12:06:00.000Z"),
        attempts: 1,
        status: Some(200),
        error: None,
    };
    let with_post = NotificationRecord {
        slack: Some(post.clone()),
        ..record(sent())
    };
    let item = notification_item(&with_post).expect("a consistent record");
    assert_eq!(decode_notification(&item), Ok(with_post.clone()));
    let cases: [(&str, AttributeValue, &str); 5] = [
        ("state", s("posted"), "slack_post.state"),
        ("http_status", n(700), "slack_post.http_status"),
        (
            "error",
            s("e".repeat(SlackPost::MAX_ERROR + 1)),
            "slack_post.error",
        ),
        ("attempts", s("1"), "slack_post.attempts"),
        ("at", s("yesterday"), "slack_post.at"),
    ];
    for (name, value, field) in cases {
        let mut item = item.clone();
        match item.get_mut(SLACK_POST) {
            Some(AttributeValue::M(fields)) => {
                fields.insert(name.to_string(), value);
            }
            other => panic!("slack_post is a map: {other:?}"),
        }
        let err = decode_notification(&item).expect_err("corrupt");
        assert_eq!(err.field, field, "{err}");
    }
    let mut item = item;
    item.insert(SLACK_POST.to_string(), s("accepted"));
    assert_eq!(
        decode_notification(&item).expect_err("corrupt").field,
        SLACK_POST
    );
}

#[test]
fn the_error_detail_is_cut_to_its_bound_on_write() {
    let mut delivery = failed();
    let detail = "é".repeat(DeliveryError::MAX_LEN + 40);
    delivery.last_error = Some(DeliveryError {
        kind: PublishErrorKind::Payload,
        detail,
    });
    let decoded = decode_notification(&item(delivery)).expect("decodes");
    let kept = decoded.delivery.last_error.expect("an error").detail;
    assert_eq!(kept.chars().count(), DeliveryError::MAX_LEN);
}

#[test]
fn inconsistent_records_are_refused_on_write() {
    let cases: Vec<(Delivery, &str)> = vec![
        (
            Delivery {
                next_attempt_at: None,
                ..pending()
            },
            "next_attempt_at",
        ),
        (
            Delivery {
                message_id: Some("m".into()),
                ..pending()
            },
            "message_id",
        ),
        (
            Delivery {
                finished_at: Some(at("2026-06-01T12:00:00Z")),
                ..pending()
            },
            "finished_at",
        ),
        (
            Delivery {
                message_id: None,
                ..sent()
            },
            "message_id",
        ),
        (
            Delivery {
                next_attempt_at: Some(at("2026-06-01T12:00:00Z")),
                ..sent()
            },
            "next_attempt_at",
        ),
        (
            Delivery {
                attempts: 0,
                ..sent()
            },
            "attempts",
        ),
        (
            Delivery {
                finished_at: None,
                ..failed()
            },
            "finished_at",
        ),
        (
            Delivery {
                revision: MAX_VERSION + 1,
                ..pending()
            },
            "revision",
        ),
        (
            Delivery {
                message_id: Some("m".repeat(MESSAGE_ID_MAX_CHARS + 1)),
                ..sent()
            },
            "message_id",
        ),
    ];
    for (delivery, field) in cases {
        let error = notification_item(&record(delivery.clone())).expect_err("inconsistent");
        assert!(error.contains(field), "{error} names {field}");
    }
    // Given up before any attempt (a pending item recorded with none, too old): writable, or
    // it would stay due and fail the sweep every minute.
    notification_item(&record(Delivery {
        attempts: 0,
        ..failed()
    }))
    .expect("failed without an attempt is consistent");
    // An id that does not name the record's incident would be written under the wrong key.
    let mut other = record(pending());
    other.notification.incident_id = "crm-sync:auth:1".parse().expect("an incident id");
    assert!(notification_item(&other).is_err());
    // A document over the bound is refused, never written.
    let mut big = record(pending());
    big.notification.message = "x".repeat(NOTIFICATION_JSON_MAX_BYTES);
    assert!(
        notification_item(&big)
            .expect_err("too big")
            .contains("bytes as JSON")
    );
}

#[test]
fn a_corrupt_notification_names_key_and_attribute_never_the_value() {
    let good = item(pending());
    let document = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value = serde_json::to_value(notification()).expect("serializes");
        edit(&mut value);
        Some(s(value.to_string()))
    };
    let cases: Vec<(&str, Option<AttributeValue>, &str, &str)> = vec![
        (
            "attempts",
            Some(s("x-4711")),
            "attempts",
            "is not a number (N)",
        ),
        ("attempts", Some(n(-1)), "attempts", "is out of range"),
        (
            "state",
            Some(s("lost-4711")),
            "state",
            "is not a valid delivery state",
        ),
        ("state", None, "state", "is missing"),
        (
            "revision",
            Some(n(MAX_VERSION + 1)),
            "revision",
            "is outside 0..=9007199254740991",
        ),
        (
            "created_at",
            Some(s("yesterday-4711")),
            "created_at",
            "is not a valid RFC 3339 timestamp",
        ),
        (
            "next_attempt_at",
            None,
            "next_attempt_at",
            "is missing (required while pending)",
        ),
        (
            "message_id",
            Some(s("m-4711")),
            "message_id",
            "must be present exactly when the notification is sent",
        ),
        (
            "error_kind",
            Some(s("retryable")),
            "error_detail",
            "is missing (error_kind is set)",
        ),
        (
            "gsi1pk",
            None,
            "gsi1pk",
            "is not PENDING on a pending notification (the sweep would never retry it)",
        ),
        (
            "gsi1sk",
            Some(s("2000-01-01T00:00:00.000Z#x-4711")),
            "gsi1sk",
            "is not {next_attempt_at}#{id} of this pending notification",
        ),
        (
            "notification",
            Some(s("{not json 4711")),
            "notification",
            "is not a valid notification document (JSON syntax error at line 1, column 2)",
        ),
        (
            "notification",
            Some(n(4711)),
            "notification",
            "is not a string (S)",
        ),
        (
            "notification",
            Some(s("x".repeat(NOTIFICATION_JSON_MAX_BYTES + 1))),
            "notification",
            "is longer than 65536 bytes",
        ),
        (
            "notification",
            document(&|v| v["event"] = "exploded-4711".into()),
            "notification",
            "",
        ),
        (
            "notification",
            document(&|v| v["severity"] = "apocalyptic-4711".into()),
            "notification",
            "",
        ),
        (
            "notification",
            document(&|v| v["class"] = "bogus_class_4711".into()),
            "notification",
            "",
        ),
        (
            "notification",
            document(&|v| v["incident_id"] = "crm-sync:expiry:03".into()),
            "notification",
            "",
        ),
        (
            "notification",
            document(&|v| v["id"] = "crm-sync:expiry:3/opened".into()),
            "notification",
            "holds a notification id that is not the item's sort key (sk)",
        ),
        (
            "notification",
            document(&|v| v["check"] = "monitor-4711".into()),
            "notification",
            "",
        ),
        (
            "sk",
            Some(s("crm-sync:expiry:3/opened")),
            "notification",
            "holds a notification id that is not the item's sort key (sk)",
        ),
        (
            "pk",
            Some(s("NTF#crm-sync:expiry:4")),
            "notification",
            "holds an incident id that is not the one of the item's key (pk) and notification id",
        ),
    ];
    for (name, value, field, problem) in cases {
        let mut item = good.clone();
        match value {
            Some(value) => item.insert(name.to_string(), value),
            None => item.remove(name),
        };
        let bad = decode_notification(&item).expect_err("the item is corrupt");
        assert_eq!(bad.field, field, "{name}: {bad}");
        if problem.is_empty() {
            assert!(
                bad.problem
                    .starts_with("is not a valid notification document (field type or value error"),
                "{name}: {bad}"
            );
        } else {
            assert_eq!(bad.problem, problem, "{name}");
        }
        assert!(!bad.to_string().contains("4711"), "never the value: {bad}");
        assert_eq!(bad.integration.as_deref(), Some("crm-sync"));
    }
    // A finished item still in the index would be swept again.
    let mut finished = item(sent());
    finished.insert(GSI_PK.to_string(), s("PENDING"));
    let bad = decode_notification(&finished).expect_err("corrupt");
    assert_eq!(bad.field, "gsi1pk");
}

#[test]
fn the_stored_document_reads_back_exactly_and_strictly() {
    let original = notification();
    let text = serde_json::to_string(&original).expect("serializes");
    let back: Notification = serde_json::from_str(&text).expect("reads back");
    assert_eq!(back, original);
    assert!(original.previous.is_some() && original.expiry.is_some());
    // The document's times are the ones written, to the millisecond.
    assert_eq!(timestamp(back.at), "2026-06-01T12:05:01.000Z");
}

#[test]
fn bounds_are_inclusive() {
    // A document of exactly NOTIFICATION_JSON_MAX_BYTES is kept and reads back.
    let mut at_bound = record(pending());
    at_bound.notification.message = String::new();
    let base = serde_json::to_string(&at_bound.notification)
        .expect("serializes")
        .len();
    at_bound.notification.message = "x".repeat(NOTIFICATION_JSON_MAX_BYTES - base);
    let kept = notification_item(&at_bound).expect("exactly at the bound is kept");
    // Read back as any document is: its message scrubbed again, so cut to the text bound.
    let back = decode_notification(&kept).expect("exactly at the bound reads back");
    assert_eq!(
        back.notification.message,
        crate::notify::scrub::scrub(&at_bound.notification.message)
    );
    assert_eq!(back.delivery, at_bound.delivery);
    // One byte more is refused.
    at_bound.notification.message.push('x');
    assert!(notification_item(&at_bound).is_err());
    // The largest revision and the longest message id are kept.
    let largest = Delivery {
        revision: MAX_VERSION,
        message_id: Some("m".repeat(MESSAGE_ID_MAX_CHARS)),
        ..sent()
    };
    assert_eq!(check_delivery(&largest), Ok(()));
    assert_eq!(
        decode_notification(&item(largest.clone())),
        Ok(record(largest))
    );
}

/// A document edited by hand in the table is trusted no more than an inventory file: every
/// free text a message shows is scrubbed again on the way out of the table.
#[test]
fn a_hand_edited_document_is_scrubbed_again_when_read() {
    use crate::notify::annotations::{AckFacts, HeldNote, HoldKind, Member};
    let webhook = "https://hooks.slack.com/services/T0A1/B0A2/abcdEFGH1234";
    let token = "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1";
    let pasted = format!("see {webhook} and {token}");
    let mut edited = record(pending());
    let n = &mut edited.notification;
    n.message = format!("SFMC said: {pasted}\u{1b}[2J");
    n.integration.name = pasted.clone();
    n.integration.depends_on = vec![pasted.clone()];
    n.integration.runbook = Some(webhook.to_string());
    n.ack = Some(AckFacts {
        by: pasted.clone(),
        at: n.at,
        note: Some(pasted.clone()),
    });
    n.held = Some(HeldNote {
        kind: HoldKind::Silenced,
        since: n.at,
        reason: pasted.clone(),
    });
    n.members = vec![Member {
        incident_id: n.incident_id.clone(),
        integration: "crm-sync".into(),
        name: pasted.clone(),
        team: "crm-ops".into(),
        class: n.class,
        opened_at: n.opened_at,
        resolved_at: None,
    }];
    edited.delivery.decisions = vec![crate::notify::delivery::Decision::new(
        crate::notify::delivery::DecisionKind::Defer,
        edited.notification.at,
        Some(edited.notification.at),
        pasted.clone(),
    )];
    let stored = notification_item(&edited).expect("a consistent record");
    let back = decode_notification(&stored).expect("readable");
    let text = format!(
        "{} {}",
        serde_json::to_string(&back.notification).expect("serializes"),
        serde_json::to_string(&back.delivery.decisions).expect("serializes")
    );
    for secret in ["abcdEFGH1234", token, "\\u001b"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(
        back.notification.integration.name,
        "see [redacted webhook URL] and [redacted]"
    );
    // What was clean reads back exactly.
    assert_eq!(decode_notification(&item(pending())), Ok(record(pending())));
}
