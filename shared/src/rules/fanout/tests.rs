//! Stream images to incident changes, every pair of images.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::domain::incident::{Acknowledgement, CheckKind, IncidentClass, IncidentId};
use crate::domain::outcome::OutcomeClass;
use crate::domain::severity::Severity;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

fn open() -> Incident {
    Incident {
        id: IncidentId::new("crm", CheckKind::Auth, 3),
        integration: "crm".to_string(),
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        severity: Severity::High,
        team: "crm-ops".to_string(),
        open: true,
        opened_at: at(0),
        updated_at: at(0),
        resolved_at: None,
        threshold_days: None,
        message: "SFMC answered 401 invalid_client.".to_string(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

fn changed() -> Incident {
    Incident {
        class: IncidentClass::Outcome(OutcomeClass::MissingScopes),
        severity: Severity::Medium,
        threshold_days: Some(7),
        message: "A scope is missing.".to_string(),
        http_status: Some(200),
        updated_at: at(10),
        ..open()
    }
}

fn resolved() -> Incident {
    Incident {
        open: false,
        resolved_at: Some(at(30)),
        updated_at: at(31),
        message: "A token was issued again.".to_string(),
        class: IncidentClass::Outcome(OutcomeClass::Ok),
        ..open()
    }
}

/// A name, the old and new images, and the change expected.
type Case = (
    &'static str,
    Option<Incident>,
    Option<Incident>,
    Option<IncidentChange>,
);

#[test]
fn every_pair_of_images_gives_its_change() {
    let opened = Some(IncidentChange::Opened(open()));
    let cases: Vec<Case> = vec![
        ("absent -> open", None, Some(open()), opened.clone()),
        (
            "resolved -> open (reported again)",
            Some(resolved()),
            Some(open()),
            opened,
        ),
        (
            "open -> open",
            Some(open()),
            Some(changed()),
            Some(IncidentChange::Changed {
                id: open().id,
                previous: IncidentFacts {
                    class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
                    severity: Severity::High,
                    threshold_days: None,
                },
                class: IncidentClass::Outcome(OutcomeClass::MissingScopes),
                severity: Severity::Medium,
                threshold_days: Some(7),
                message: "A scope is missing.".to_string(),
                http_status: Some(200),
                at: at(10),
            }),
        ),
        (
            "open -> resolved",
            Some(open()),
            Some(resolved()),
            Some(IncidentChange::Resolved {
                id: open().id,
                class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
                message: "A token was issued again.".to_string(),
                at: at(30),
            }),
        ),
        ("open -> removed", Some(open()), None, None),
        ("resolved -> removed (TTL)", Some(resolved()), None, None),
        (
            "resolved -> resolved",
            Some(resolved()),
            Some(resolved()),
            None,
        ),
        ("absent -> resolved", None, Some(resolved()), None),
        ("nothing", None, None, None),
    ];
    for (name, old, new, expected) in cases {
        assert_eq!(
            change_between(old.as_ref(), new.as_ref()),
            expected,
            "{name}"
        );
    }
}

#[test]
fn a_resolve_without_its_time_is_dated_by_the_last_update() {
    let mut new = resolved();
    new.resolved_at = None;
    let Some(IncidentChange::Resolved { at: when, .. }) = change_between(Some(&open()), Some(&new))
    else {
        panic!("a resolve")
    };
    assert_eq!(when, at(31));
}

#[test]
fn a_change_of_message_only_is_a_change_events_for_drops() {
    let mut new = open();
    new.message = "SFMC answered 401 again.".to_string();
    new.updated_at = at(5);
    let change = change_between(Some(&open()), Some(&new)).expect("a change");
    assert!(matches!(change, IncidentChange::Changed { .. }));
    assert!(crate::notify::notification::events_for(&change).is_empty());
}

fn ack(by: &str, minutes: i64, note: Option<&str>) -> Acknowledgement {
    Acknowledgement::new(by, note, at(minutes)).expect("a valid ack")
}

fn with_ack(incident: Incident, ack: Option<Acknowledgement>) -> Incident {
    Incident { ack, ..incident }
}

/// A name, the old and new images, and the ack change expected.
type AckCase = (
    &'static str,
    Option<Incident>,
    Option<Incident>,
    Option<AckChange>,
);

#[test]
fn every_pair_of_images_gives_its_ack_change() {
    let dana = ack("dana@example.com", 5, Some("rotating the secret"));
    let lee = ack("lee", 7, None);
    let acked = |a: &Acknowledgement| with_ack(open(), Some(a.clone()));
    let cases: Vec<AckCase> = vec![
        (
            "open -> open acknowledged",
            Some(open()),
            Some(acked(&dana)),
            Some(AckChange::Acknowledged(dana.clone())),
        ),
        (
            "taken over by someone else",
            Some(acked(&dana)),
            Some(acked(&lee)),
            Some(AckChange::Acknowledged(lee.clone())),
        ),
        (
            "the same person again, later",
            Some(acked(&dana)),
            Some(acked(&ack("dana@example.com", 9, None))),
            Some(AckChange::Acknowledged(ack("dana@example.com", 9, None))),
        ),
        (
            "someone else at the same instant",
            Some(acked(&dana)),
            Some(acked(&ack("lee", 5, None))),
            Some(AckChange::Acknowledged(ack("lee", 5, None))),
        ),
        (
            "the same ack with another note is the same ack",
            Some(acked(&dana)),
            Some(acked(&ack("dana@example.com", 5, Some("other words")))),
            None,
        ),
        (
            "a probe's class change keeps the ack attribute",
            Some(acked(&dana)),
            Some(Incident {
                class_since: Some(at(10)),
                ..with_ack(changed(), Some(dana.clone()))
            }),
            None,
        ),
        (
            "unack of an open incident",
            Some(acked(&dana)),
            Some(open()),
            Some(AckChange::Unacknowledged { was: dana.clone() }),
        ),
        (
            "unack of an incident that was not acknowledged",
            Some(open()),
            Some(open()),
            None,
        ),
        (
            "a resolve keeps the ack: not an unack",
            Some(acked(&dana)),
            Some(with_ack(resolved(), Some(dana.clone()))),
            None,
        ),
        (
            "a resolve that drops the ack is not an unack",
            Some(acked(&dana)),
            Some(resolved()),
            None,
        ),
        (
            "resolved and acknowledged -> reopened (reported again) without it",
            Some(with_ack(resolved(), Some(dana.clone()))),
            Some(open()),
            None,
        ),
        (
            "an incident opened with an ack",
            None,
            Some(acked(&dana)),
            Some(AckChange::Acknowledged(dana.clone())),
        ),
        ("deleted while acknowledged", Some(acked(&dana)), None, None),
        (
            "a resolved incident's item written again",
            Some(with_ack(resolved(), Some(dana.clone()))),
            Some(with_ack(resolved(), Some(lee.clone()))),
            None,
        ),
        ("nothing", None, None, None),
    ];
    for (name, old, new, expected) in cases {
        assert_eq!(ack_change(old.as_ref(), new.as_ref()), expected, "{name}");
    }
}
