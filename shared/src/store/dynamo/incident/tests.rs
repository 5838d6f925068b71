//! The incident item's encoder and decoder, without a table.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::*;
use crate::domain::incident::{ACK_BY_MAX_CHARS, ACK_NOTE_MAX_CHARS};
use crate::store::model::UnreadableItem;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a valid time")
        .with_timezone(&Utc)
}

/// Every optional field set.
fn incident(open: bool) -> Incident {
    Incident {
        id: "crm-sync:auth:3".parse().expect("an incident id"),
        integration: "crm-sync".into(),
        check: CheckKind::Auth,
        class: IncidentClass::parse("client_auth_failed").expect("a class"),
        severity: Severity::Critical,
        team: "crm-ops".into(),
        open,
        opened_at: at("2026-06-01T12:00:00.000Z"),
        updated_at: at("2026-06-01T12:05:00.000Z"),
        resolved_at: (!open).then(|| at("2026-06-01T13:00:00.000Z")),
        threshold_days: Some(7),
        message: "SFMC says: Client authentication failed.".into(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

fn unreadable(item: &Item) -> UnreadableItem {
    decode_incident(item).expect_err("the item is corrupt")
}

#[test]
fn incidents_round_trip_open_and_resolved() {
    for open in [true, false] {
        let item = incident_item(&incident(open)).expect("a well-formed id");
        assert_eq!(decode_incident(&item), Ok(incident(open)));
        assert_eq!(
            item.contains_key(GSI_PK),
            open,
            "index keys only while open"
        );
        assert_eq!(
            item.contains_key(TTL_ATTRIBUTE),
            !open,
            "TTL only once resolved"
        );
    }
    let minimal = Incident {
        resolved_at: None,
        threshold_days: None,
        http_status: None,
        ..incident(true)
    };
    let item = incident_item(&minimal).expect("a well-formed id");
    assert_eq!(decode_incident(&item), Ok(minimal));
}

#[test]
fn a_corrupt_incident_names_key_and_attribute_never_the_value() {
    let good = incident_item(&incident(true)).expect("a well-formed id");
    let cases: Vec<(&str, Option<AttributeValue>, &str)> = vec![
        ("message", None, "is missing"),
        ("message", Some(n(4711)), "is not a string (S)"),
        (
            "opened_at",
            Some(s("+20327-01-01T00:00:00.000Z")),
            "is not a valid RFC 3339 timestamp",
        ),
        ("open", Some(s("yes-4711")), "is not a boolean (BOOL)"),
        (
            "severity",
            Some(s("apocalyptic-4711")),
            "is not a valid severity",
        ),
        ("http_status", Some(n(4_711_000)), "is out of range"),
        (
            "message",
            Some(s("x".repeat(300_000))),
            "is longer than 16384 characters",
        ),
        (
            "class",
            Some(s("c".repeat(300_000))),
            "is not a valid incident class",
        ),
        (
            "class",
            Some(s("client_auth_failed_4711")),
            "is not a valid incident class",
        ),
        (
            "id",
            Some(s("crm-sync:auth:03")),
            "is not a valid incident id",
        ),
        (
            "id",
            Some(s("crm-sync:auth:4")),
            "is not the incident id of the item's key",
        ),
        (
            "id",
            Some(s("someone-else:auth:3")),
            "is not the incident id of the item's key",
        ),
    ];
    for (attribute, value, problem) in cases {
        let mut item = good.clone();
        match &value {
            Some(value) => item.insert(attribute.to_string(), value.clone()),
            None => item.remove(attribute),
        };
        let found = unreadable(&item);
        assert_eq!(found.key, "pk=INC#crm-sync sk=auth#000003", "{attribute}");
        assert_eq!(found.integration.as_deref(), Some("crm-sync"));
        assert_eq!(found.field, attribute);
        assert!(found.problem.contains(problem), "{attribute}: {found:?}");
        let shown = format!("{found:?} {found}");
        assert!(
            !shown.contains("4711") && !shown.contains("xxxx") && !shown.contains("20327"),
            "{attribute}: the value leaked: {shown}"
        );
    }
}

#[test]
fn texts_at_their_bound_still_read() {
    let long = Incident {
        message: "é".repeat(MESSAGE_MAX_CHARS),
        team: "t".repeat(NAME_MAX),
        ..incident(true)
    };
    let item = incident_item(&long).expect("a well-formed id");
    assert_eq!(decode_incident(&item), Ok(long));
}

#[test]
fn resolving_removes_the_index_keys_and_sets_the_ttl() {
    let write = IncidentChange::Resolved {
        id: "a:auth:1".parse().expect("an incident id"),
        class: IncidentClass::NotProbed,
        message: "fixed".into(),
        at: at("2026-06-01T01:00:00.000Z"),
    };
    let fields = incident_change_fields(&write).expect("Resolve changes fields");
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get(GSI_PK), Some(None));
    assert_eq!(get(GSI_SK), Some(None));
    assert_eq!(
        get(TTL_ATTRIBUTE),
        Some(Some(n(1_780_275_600 + 400 * 86_400)))
    );
    assert_eq!(get(OPEN), Some(Some(boolean(false))));
    assert_eq!(
        incident_change_fields(&IncidentChange::Opened(incident(true))),
        None
    );
}

#[test]
fn reassigning_writes_the_team_and_the_time_only() {
    let fields = reassign_fields("loyalty", at("2026-06-01T02:00:00.000Z"));
    assert_eq!(
        fields,
        vec![
            (TEAM, Some(s("loyalty"))),
            (UPDATED_AT, Some(s("2026-06-01T02:00:00.000Z"))),
        ]
    );
}

#[test]
fn an_incident_whose_integration_or_check_is_not_its_ids_is_unreadable() {
    // The key and id agree (crm-sync:auth:3); a hand-edited integration or check would route
    // the incident's notifications to another integration or check.
    let good = incident_item(&incident(true)).expect("a well-formed id");
    let cases = [
        (
            "integration",
            s("payroll-4711"),
            "is not the integration of the incident id",
        ),
        (
            "integration",
            s("crm-sync "),
            "is not the integration of the incident id",
        ),
        (
            "integration",
            s(""),
            "is not the integration of the incident id",
        ),
        ("check", s("expiry"), "is not the check of the incident id"),
        ("check", s("monitor"), "is not the check of the incident id"),
    ];
    for (attribute, value, problem) in cases {
        let mut item = good.clone();
        item.insert(attribute.to_string(), value);
        let found = unreadable(&item);
        assert_eq!(found.key, "pk=INC#crm-sync sk=auth#000003", "{attribute}");
        assert_eq!(found.field, attribute);
        assert!(found.problem.contains(problem), "{attribute}: {found:?}");
        let shown = format!("{found:?} {found}");
        assert!(
            !shown.contains("4711"),
            "{attribute}: the value leaked: {shown}"
        );
    }
}

fn acknowledged() -> Incident {
    Incident {
        class_since: Some(at("2026-06-01T12:03:00.000Z")),
        ack: Some(
            Acknowledgement::new(
                "dana@example.com",
                Some("rotating the secret"),
                at("2026-06-01T12:04:00.000Z"),
            )
            .expect("a valid ack"),
        ),
        ..incident(true)
    }
}

#[test]
fn class_since_and_the_ack_round_trip() {
    let item = incident_item(&acknowledged()).expect("a well-formed id");
    assert_eq!(item[CLASS_SINCE], s("2026-06-01T12:03:00.000Z"));
    assert_eq!(
        item[ACK],
        map(vec![
            (BY, Some(s("dana@example.com"))),
            (AT, Some(s("2026-06-01T12:04:00.000Z"))),
            (NOTE, Some(s("rotating the secret"))),
        ])
    );
    assert_eq!(decode_incident(&item), Ok(acknowledged()));
    // Without a note, the map has no `note`; without either, the item has neither attribute.
    let mut plain = acknowledged();
    plain.ack.as_mut().expect("an ack").note = None;
    let item = incident_item(&plain).expect("a well-formed id");
    assert!(!item[ACK].as_m().expect("a map").contains_key(NOTE));
    assert_eq!(decode_incident(&item), Ok(plain));
    let item = incident_item(&incident(true)).expect("a well-formed id");
    assert!(!item.contains_key(ACK) && !item.contains_key(CLASS_SINCE));
    // At the bounds.
    let mut long = acknowledged();
    let ack = long.ack.as_mut().expect("an ack");
    ack.by = "é".repeat(ACK_BY_MAX_CHARS);
    ack.note = Some("ü".repeat(ACK_NOTE_MAX_CHARS));
    let item = incident_item(&long).expect("a well-formed id");
    assert_eq!(decode_incident(&item), Ok(long));
}

#[test]
fn a_corrupt_ack_names_its_attribute_never_the_value() {
    let good = incident_item(&acknowledged()).expect("a well-formed id");
    let ack_with = |name: &str, value: Option<AttributeValue>| {
        let mut inner = good[ACK].as_m().expect("a map").clone();
        match value {
            Some(value) => inner.insert(name.to_string(), value),
            None => inner.remove(name),
        };
        AttributeValue::M(inner)
    };
    let cases: Vec<(&str, AttributeValue, &str, &str)> = vec![
        ("ack", s("dana-4711"), "ack", "is not a map (M)"),
        ("ack", ack_with(BY, None), "ack.by", "is missing"),
        (
            "ack",
            ack_with(BY, Some(n(4711))),
            "ack.by",
            "is not a string (S)",
        ),
        ("ack", ack_with(BY, Some(s("  "))), "ack.by", "is empty"),
        (
            "ack",
            ack_with(BY, Some(s("x".repeat(300_000)))),
            "ack.by",
            "is longer than 100 characters",
        ),
        (
            "ack",
            ack_with(BY, Some(s("dana\u{1b}4711"))),
            "ack.by",
            "holds an unprintable character",
        ),
        (
            "ack",
            ack_with(NOTE, Some(s("x".repeat(300_000)))),
            "ack.note",
            "is longer than 500 characters",
        ),
        (
            "ack",
            ack_with(NOTE, Some(s("line\n4711"))),
            "ack.note",
            "holds an unprintable character",
        ),
        (
            "ack",
            ack_with(AT, Some(s("+20327-01-01T00:00:00.000Z"))),
            "ack.at",
            "is not a valid RFC 3339 timestamp",
        ),
        ("ack", ack_with(AT, None), "ack.at", "is missing"),
        (
            "class_since",
            s("yesterday-4711"),
            "class_since",
            "is not a valid RFC 3339 timestamp",
        ),
    ];
    for (attribute, value, field, problem) in cases {
        let mut item = good.clone();
        item.insert(attribute.to_string(), value);
        let found = unreadable(&item);
        assert_eq!(found.key, "pk=INC#crm-sync sk=auth#000003", "{field}");
        assert_eq!(found.field, field);
        assert!(found.problem.contains(problem), "{field}: {found:?}");
        let shown = format!("{found:?} {found}");
        assert!(
            !shown.contains("4711") && !shown.contains("xxxx") && !shown.contains("20327"),
            "{field}: the value leaked: {shown}"
        );
    }
}

#[test]
fn a_change_of_class_sets_class_since_and_never_touches_the_ack() {
    let change = |previous: &str, now: &str, threshold_days| IncidentChange::Changed {
        id: "crm-sync:auth:3".parse().expect("an incident id"),
        previous: crate::domain::incident::IncidentFacts {
            class: IncidentClass::parse(previous).expect("a class"),
            severity: Severity::Critical,
            threshold_days: None,
        },
        class: IncidentClass::parse(now).expect("a class"),
        severity: Severity::High,
        threshold_days,
        message: "m".into(),
        http_status: None,
        at: at("2026-06-01T12:30:00.000Z"),
    };
    let names = |write: &IncidentChange| -> Vec<&str> {
        incident_change_fields(write)
            .expect("a change writes fields")
            .iter()
            .map(|(name, _)| *name)
            .collect()
    };
    let new_class = change("client_auth_failed", "missing_scopes", None);
    let fields = incident_change_fields(&new_class).expect("fields");
    assert!(fields.contains(&(CLASS_SINCE, Some(s("2026-06-01T12:30:00.000Z")))));
    // A new severity, message or threshold in the same class restarts nothing.
    for same in [
        change("client_auth_failed", "client_auth_failed", None),
        change("secret_expiring", "secret_expiring", Some(7)),
    ] {
        assert!(!names(&same).contains(&CLASS_SINCE), "{same:?}");
    }
    // No change, resolve included, writes or removes the ack.
    let resolve = IncidentChange::Resolved {
        id: "crm-sync:auth:3".parse().expect("an incident id"),
        class: IncidentClass::NotProbed,
        message: "fixed".into(),
        at: at("2026-06-01T13:00:00.000Z"),
    };
    for write in [new_class, resolve] {
        assert!(!names(&write).contains(&ACK), "{write:?}");
    }
}
