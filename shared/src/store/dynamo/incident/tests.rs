//! The incident item's encoder and decoder, without a table.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::*;
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
