//! Stream images: the JSON a Lambda DynamoDB stream event carries, decoded by the adapter's
//! decoders.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::*;
use crate::domain::incident::{CheckKind, IncidentClass};
use crate::inventory::Severity;
use crate::store::dynamo::history::history_item;
use crate::store::dynamo::incident::incident_item;
use crate::store::dynamo::keys::{incident_key, key_item};
use crate::store::dynamo::team::team_item;
use crate::store::dynamo::value::s;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a valid time")
        .with_timezone(&Utc)
}

fn incident() -> Incident {
    Incident {
        id: "crm:auth:3".parse().expect("an incident id"),
        integration: "crm".into(),
        check: CheckKind::Auth,
        class: IncidentClass::parse("client_auth_failed").expect("a class"),
        severity: Severity::High,
        team: "crm-ops".into(),
        open: false,
        opened_at: at("2026-06-01T12:00:00.000Z"),
        updated_at: at("2026-06-01T13:00:00.000Z"),
        resolved_at: Some(at("2026-06-01T13:00:00.000Z")),
        threshold_days: None,
        message: "Client authentication failed.".into(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

/// `item` as a Lambda stream record's `NewImage` JSON, and read back from that JSON.
fn through_json(item: Item) -> (serde_json::Value, serde_dynamo::Item) {
    let json = serde_json::to_value(image_of_item(item)).expect("an image serializes");
    let image = serde_json::from_value(json.clone()).expect("an image deserializes");
    (json, image)
}

#[test]
fn an_incident_survives_the_stream_json_unchanged() {
    let item = incident_item(&incident()).expect("a well-formed id");
    let (json, image) = through_json(item);
    // DynamoDB's JSON, as Lambda delivers it.
    assert_eq!(json["pk"], serde_json::json!({"S": "INC#crm"}));
    assert_eq!(json["sk"], serde_json::json!({"S": "auth#000003"}));
    assert_eq!(json["http_status"], serde_json::json!({"N": "401"}));
    assert_eq!(json["open"], serde_json::json!({"BOOL": false}));
    assert_eq!(incident_of_image(&image), Ok(incident()));
    assert_eq!(
        decode_image(&image),
        Ok(Some(StoredItem::Incident(incident())))
    );
}

#[test]
fn a_hand_written_image_decodes_like_the_table_item() {
    let image: serde_dynamo::Item = serde_json::from_str(
        r#"{
            "pk": {"S": "INC#crm"}, "sk": {"S": "auth#000003"},
            "id": {"S": "crm:auth:3"}, "integration": {"S": "crm"}, "check": {"S": "auth"},
            "class": {"S": "client_auth_failed"}, "severity": {"S": "high"},
            "team": {"S": "crm-ops"}, "open": {"BOOL": false},
            "opened_at": {"S": "2026-06-01T12:00:00.000Z"},
            "updated_at": {"S": "2026-06-01T13:00:00.000Z"},
            "resolved_at": {"S": "2026-06-01T13:00:00.000Z"},
            "message": {"S": "Client authentication failed."},
            "http_status": {"N": "401"}, "expires_at": {"N": "1815066000"}
        }"#,
    )
    .expect("DynamoDB JSON");
    assert_eq!(incident_of_image(&image), Ok(incident()));
}

#[test]
fn a_corrupt_image_is_unreadable_naming_key_and_field() {
    let good = incident_item(&incident()).expect("a well-formed id");
    let mut missing = good.clone();
    missing.remove("team");
    let mut ill_typed = good.clone();
    ill_typed.insert("opened_at".into(), AttributeValue::N("4711".into()));
    let mut huge = good.clone();
    huge.insert("message".into(), s("h".repeat(350_000)));
    for (item, field, problem) in [
        (missing, "team", "is missing"),
        (ill_typed, "opened_at", "is not a string (S)"),
        (huge, "message", "is longer than 16384 characters"),
    ] {
        let (_, image) = through_json(item);
        let err = incident_of_image(&image).expect_err("a corrupt image");
        assert_eq!(err.key, "pk=INC#crm sk=auth#000003");
        assert_eq!(err.integration.as_deref(), Some("crm"));
        assert_eq!(err.field, field);
        assert!(err.problem.contains(problem), "{err:?}");
        let shown = format!("{err:?} {err}");
        assert!(
            !shown.contains("4711") && !shown.contains("hhhh"),
            "{shown}"
        );
        assert_eq!(decode_image(&image), Err(err));
    }
}

#[test]
fn other_items_are_told_apart_by_their_key() {
    let team = crate::inventory::Team {
        id: "crm-ops".parse().expect("an incident id"),
        name: "CRM Operations".into(),
        timezone: None,
        business_hours: None,
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        notify: crate::inventory::Notify {
            email: vec!["crm-ops@example.com".into()],
            min_severity: crate::inventory::Severity::High,
            ..Default::default()
        },
        maintenance: Vec::new(),
    };
    let (_, image) = through_json(team_item(&team));
    assert_eq!(decode_image(&image), Ok(Some(StoredItem::Team(team))));
    let err = incident_of_image(&image).expect_err("a team is not an incident");
    assert_eq!(
        (err.key.as_str(), err.field.as_str()),
        ("pk=INVENTORY sk=TEAM#crm-ops", "pk")
    );

    let entry = HistoryEntry {
        integration: "crm".into(),
        probed_at: at("2026-06-01T12:00:00.000Z"),
        class: crate::domain::outcome::OutcomeClass::Ok,
        http_status: Some(200),
        latency_ms: 120,
        attempts: 1,
        confirmed: false,
        business_unit: Some(7_281_698),
        missing_scopes: Vec::new(),
        message: "ok".into(),
    };
    let (_, image) = through_json(history_item(&entry, 90));
    assert_eq!(decode_image(&image), Ok(Some(StoredItem::History(entry))));

    let (_, image) = through_json(key_item(&("SOMEONE".into(), "ELSE".into())));
    assert_eq!(decode_image(&image), Ok(None), "not credwatch's item");

    // Keys only (a TTL deletion's `Keys`): unreadable, naming the first missing attribute.
    let (_, image) = through_json(key_item(&incident_key("crm:auth:3").expect("an id")));
    let err = decode_image(&image).expect_err("keys only");
    assert_eq!(err.field, "id");
}

/// A stream image of the incident `crm:auth:3` with attribute `name` replaced by `value`
/// (DynamoDB JSON), read as Lambda would deliver it.
fn image_with(name: &str, value: serde_json::Value) -> serde_dynamo::Item {
    let item = incident_item(&incident()).expect("a well-formed id");
    let (mut json, _) = through_json(item);
    json[name] = value;
    serde_json::from_value(json).expect("DynamoDB JSON")
}

#[test]
fn hostile_images_are_unreadable_naming_the_field_never_the_value() {
    use serde_json::json;
    let deep = (0..100).fold(
        json!({"S": "deep-4711"}),
        |inner, _| json!({"M": {"x": inner}}),
    );
    let cases = [
        ("class", json!({"NULL": true}), "is missing"),
        ("class", json!({"BOOL": true}), "is not a string (S)"),
        (
            "class",
            json!({"L": [{"S": "client_auth_failed"}]}),
            "is not a string (S)",
        ),
        (
            "class",
            json!({"M": {"S": {"S": "client_auth_failed"}}}),
            "is not a string (S)",
        ),
        (
            "class",
            json!({"SS": ["client_auth_failed"]}),
            "is not a string (S)",
        ),
        (
            "class",
            json!({"S": "Client_Auth_Failed"}),
            "is not a valid incident class",
        ),
        (
            "class",
            json!({"S": "client_auth_failed "}),
            "is not a valid incident class",
        ),
        (
            "class",
            json!({"S": "client_auth_failed\u{0}"}),
            "is not a valid incident class",
        ),
        (
            "id",
            json!({"S": "crm:auth:003"}),
            "is not a valid incident id",
        ),
        (
            "id",
            json!({"S": "crm:auth:99999999999999999999"}),
            "is not a valid incident id",
        ),
        (
            "id",
            json!({"S": "crm:auth:3\n"}),
            "is not a valid incident id",
        ),
        (
            "id",
            json!({"S": "crm\u{202e}:auth:3"}),
            "is not the incident id of the item's key",
        ),
        ("id", deep.clone(), "is not a string (S)"),
        ("open", json!({"S": "true"}), "is not a boolean (BOOL)"),
        ("open", json!({"N": "1"}), "is not a boolean (BOOL)"),
        ("http_status", json!({"N": "1e3"}), "is out of range"),
        ("http_status", json!({"N": "-401"}), "is out of range"),
        ("http_status", json!({"S": "401"}), "is not a number (N)"),
        (
            "threshold_days",
            json!({"N": "99999999999999999999999999999"}),
            "is out of range",
        ),
        (
            "team",
            json!({"S": "t".repeat(400 * 1024)}),
            "is longer than",
        ),
        ("message", deep, "is not a string (S)"),
        (
            "integration",
            json!({"S": "payroll"}),
            "is not the integration of the incident id",
        ),
        (
            "check",
            json!({"S": "expiry"}),
            "is not the check of the incident id",
        ),
    ];
    for (name, value, problem) in cases {
        let image = image_with(name, value);
        let err = incident_of_image(&image).expect_err("a hostile image");
        assert_eq!(err.key, "pk=INC#crm sk=auth#000003", "{name}");
        assert_eq!(err.field, name, "{err:?}");
        assert!(err.problem.contains(problem), "{name}: {err:?}");
        let shown = format!("{err:?} {err}");
        assert!(
            !shown.contains("4711") && !shown.contains("tttt") && !shown.contains("payroll"),
            "{name}: the value leaked: {shown}"
        );
        assert_eq!(decode_image(&image), Err(err), "{name}");
    }
}

#[test]
fn hostile_keys_in_images_are_skipped_or_unreadable_never_misfiled() {
    use serde_json::json;
    // A key that is not text: not credwatch's item (nothing to route).
    for pk in [json!({"NULL": true}), json!({"N": "1"})] {
        let image = image_with("pk", pk.clone());
        assert_eq!(decode_image(&image), Ok(None), "{pk}");
        let err = incident_of_image(&image).expect_err("not an incident key");
        assert_eq!(err.field, "pk", "{pk}");
    }
    // Incident keys that do not stand for the item's id: another integration, another check,
    // another (unpadded or huge) sequence, an empty integration.
    for (pk, sk) in [
        ("INC#payroll", "auth#000003"),
        ("INC#crm", "expiry#000003"),
        ("INC#crm", "auth#3"),
        ("INC#crm", "auth#0000003"),
        ("INC#crm", "auth#+00003"),
        ("INC#", "auth#000003"),
        ("INC#crm:auth:3", "auth#000003"),
    ] {
        let mut image = image_with("pk", json!({"S": pk}));
        image = {
            let mut json = serde_json::to_value(&image).expect("an image serializes");
            json["sk"] = json!({"S": sk});
            serde_json::from_value(json).expect("DynamoDB JSON")
        };
        let err = incident_of_image(&image).expect_err("a key that is not the id's");
        assert_eq!(err.field, "id", "{pk} {sk}: {err:?}");
        assert!(
            err.problem
                .contains("is not the incident id of the item's key"),
            "{pk} {sk}: {err:?}"
        );
    }
}

#[test]
fn an_acknowledged_incident_survives_the_stream_json_and_a_bad_ack_is_unreadable() {
    let acked = Incident {
        open: true,
        resolved_at: None,
        class_since: Some(at("2026-06-01T12:20:00.000Z")),
        ack: Some(
            crate::domain::incident::Acknowledgement::new(
                "dana@example.com",
                Some("rotating the secret"),
                at("2026-06-01T12:30:00.000Z"),
            )
            .expect("a valid ack"),
        ),
        ..incident()
    };
    let item = incident_item(&acked).expect("a well-formed id");
    let (json, image) = through_json(item.clone());
    assert_eq!(
        json["ack"],
        serde_json::json!({"M": {
            "by": {"S": "dana@example.com"},
            "at": {"S": "2026-06-01T12:30:00.000Z"},
            "note": {"S": "rotating the secret"}
        }})
    );
    assert_eq!(
        json["class_since"],
        serde_json::json!({"S": "2026-06-01T12:20:00.000Z"})
    );
    assert_eq!(incident_of_image(&image), Ok(acked.clone()));
    assert!(
        incident_of_image(&image)
            .expect("decodes")
            .is_acknowledged()
    );

    let mut bad = item;
    let mut ack = bad["ack"].as_m().expect("a map").clone();
    ack.insert("note".into(), s("n".repeat(5_000)));
    bad.insert("ack".into(), AttributeValue::M(ack));
    let (_, image) = through_json(bad);
    let err = incident_of_image(&image).expect_err("a corrupt image");
    assert_eq!(err.key, "pk=INC#crm sk=auth#000003");
    assert_eq!(err.field, "ack.note");
    assert!(err.problem.contains("longer than 500"), "{err:?}");
    assert!(!format!("{err:?}").contains("nnnn"));
    assert_eq!(decode_image(&image), Err(err));
}
