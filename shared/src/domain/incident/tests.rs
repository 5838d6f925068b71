//! Incident ids, classes and changes: the text forms are exactly today's, and reading them
//! back is strict and says what is wrong.

use super::*;

#[test]
fn incident_ids_write_todays_text_and_read_it_back() {
    let cases = [
        (
            "crm-contact-sync",
            CheckKind::Auth,
            3,
            "crm-contact-sync:auth:3",
        ),
        ("crm", CheckKind::Expiry, 1, "crm:expiry:1"),
        // The one incident of an unreadable item.
        ("alpha", CheckKind::Monitor, 0, "alpha:monitor:0"),
        ("a", CheckKind::Auth, u32::MAX, "a:auth:4294967295"),
        // Integration ids are not re-validated here: the last two `:` split.
        ("odd:id", CheckKind::Monitor, 7, "odd:id:monitor:7"),
    ];
    for (integration, check, seq, text) in cases {
        let id = IncidentId::new(integration, check, seq);
        assert_eq!(id.to_string(), text);
        assert_eq!(id.as_str(), text);
        assert_eq!(id, text);
        assert_eq!(id, text.to_string());
        assert!(id == *text, "{text}");
        assert_eq!(
            (id.integration(), id.check(), id.seq()),
            (integration, check, seq)
        );
        let parsed: IncidentId = text.parse().unwrap();
        assert_eq!(parsed, id, "{text}");
        assert_eq!(
            (parsed.integration(), parsed.check(), parsed.seq()),
            (integration, check, seq),
            "{text}"
        );
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{text}\""));
        let back: IncidentId = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(back, id);
    }
    assert_ne!(IncidentId::new("a", CheckKind::Auth, 1), "a:auth:2");
}

#[test]
fn malformed_incident_ids_say_which_part_is_wrong() {
    use IncidentIdError::*;
    let cases = [
        ("", NotThreeParts),
        ("crm", NotThreeParts),
        ("crm:3", NotThreeParts),
        (":auth:3", EmptyIntegration),
        ("crm:Auth:3", UnknownCheck),
        ("crm:alerts:3", UnknownCheck),
        ("crm::3", UnknownCheck),
        ("crm:auth:", BadSeq),
        ("crm:auth:x", BadSeq),
        ("crm:auth:-1", BadSeq),
        ("crm:auth:+1", BadSeq),
        ("crm:auth:01", BadSeq),
        ("crm:auth:00", BadSeq),
        ("crm:auth: 1", BadSeq),
        ("crm:auth:1.0", BadSeq),
        ("crm:auth:4294967296", BadSeq),
        ("crm:auth:٣", BadSeq),
    ];
    for (text, expected) in cases {
        assert_eq!(
            text.parse::<IncidentId>(),
            Err(expected.clone()),
            "{text:?}"
        );
    }
    // Every message names the part and the expected form.
    assert!(NotThreeParts.to_string().contains("integration:check:seq"));
    assert!(EmptyIntegration.to_string().contains("integration part"));
    assert!(
        UnknownCheck
            .to_string()
            .contains("auth, expiry, monitor or passive")
    );
    assert!(BadSeq.to_string().contains("sequence part"));
    let err = serde_json::from_str::<IncidentId>("\"crm:auth\"").unwrap_err();
    assert!(err.to_string().contains("integration:check:seq"), "{err}");
    // The smallest and largest sequences read.
    assert_eq!("c:auth:0".parse::<IncidentId>().map(|id| id.seq()), Ok(0));
    assert_eq!(
        "c:auth:4294967295".parse::<IncidentId>().map(|id| id.seq()),
        Ok(u32::MAX)
    );
}

#[test]
fn check_kinds_round_trip() {
    let cases = [
        (CheckKind::Auth, "auth"),
        (CheckKind::Expiry, "expiry"),
        (CheckKind::Monitor, "monitor"),
    ];
    for (check, text) in cases {
        assert_eq!(check.as_str(), text);
        assert_eq!(CheckKind::parse(text), Some(check));
        assert_eq!(
            serde_json::to_string(&check).unwrap(),
            format!("\"{text}\"")
        );
    }
    assert_eq!(CheckKind::parse("Auth"), None);
    assert_eq!(CheckKind::parse(""), None);
}

#[test]
fn incident_classes_are_todays_strings() {
    let extra = [
        (IncidentClass::SecretExpiring, "secret_expiring"),
        (IncidentClass::SecretExpired, "secret_expired"),
        (IncidentClass::ExpiryUnknown, "expiry_unknown"),
        (IncidentClass::NotProbed, "not_probed"),
        (IncidentClass::CorruptItem, "corrupt_item"),
        (IncidentClass::SlackWebhookRefused, "slack_webhook_refused"),
    ];
    let outcomes = OutcomeClass::ALL.map(|c| (IncidentClass::Outcome(c), c.as_str()));
    for (class, text) in extra.into_iter().chain(outcomes) {
        assert_eq!(class.as_str(), text);
        assert_eq!(class.to_string(), text);
        assert_eq!(IncidentClass::parse(text), Some(class), "{text}");
        assert!(class == text && class == *text, "{text}");
        assert_eq!(
            serde_json::to_string(&class).unwrap(),
            format!("\"{text}\"")
        );
        let back: IncidentClass = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(back, class);
    }
    assert_eq!(
        IncidentClass::from(OutcomeClass::Throttled),
        IncidentClass::Outcome(OutcomeClass::Throttled)
    );
    assert_ne!(IncidentClass::NotProbed, "corrupt_item");
    for bad in ["", "Secret_expiring", "expired", "unknown", "ok "] {
        assert_eq!(IncidentClass::parse(bad), None, "{bad:?}");
        assert!(serde_json::from_str::<IncidentClass>(&format!("\"{bad}\"")).is_err());
    }
}

fn at() -> DateTime<Utc> {
    "2026-11-28T10:00:00Z".parse().unwrap()
}

#[test]
fn platform_incidents_are_the_platform_teams_at_high_severity() {
    let id = IncidentId::new("crm", CheckKind::Monitor, 0);
    let incident = Incident::for_platform(
        id.clone(),
        "crm",
        IncidentClass::CorruptItem,
        "cannot read".into(),
        at(),
    );
    assert_eq!(
        incident,
        Incident {
            id,
            integration: "crm".into(),
            check: CheckKind::Monitor,
            class: IncidentClass::CorruptItem,
            severity: Severity::High,
            team: PLATFORM_TEAM.into(),
            open: true,
            opened_at: at(),
            updated_at: at(),
            resolved_at: None,
            threshold_days: None,
            message: "cannot read".into(),
            http_status: None,
            class_since: None,
            ack: None,
        }
    );
}

#[test]
fn a_change_names_its_incident_and_class() {
    let id = IncidentId::new("crm", CheckKind::Expiry, 2);
    let opened = IncidentChange::Opened(Incident {
        class: IncidentClass::SecretExpiring,
        check: CheckKind::Expiry,
        ..Incident::for_platform(
            id.clone(),
            "crm",
            IncidentClass::NotProbed,
            "m".into(),
            at(),
        )
    });
    let changed = IncidentChange::Changed {
        id: id.clone(),
        previous: IncidentFacts {
            class: IncidentClass::SecretExpiring,
            severity: Severity::Low,
            threshold_days: Some(30),
        },
        class: IncidentClass::SecretExpired,
        severity: Severity::Critical,
        threshold_days: Some(0),
        message: "m".into(),
        http_status: None,
        at: at(),
    };
    let resolved = IncidentChange::Resolved {
        id: id.clone(),
        class: IncidentClass::ExpiryUnknown,
        message: "m".into(),
        at: at(),
    };
    let cases = [
        (opened, IncidentClass::SecretExpiring),
        (changed, IncidentClass::SecretExpired),
        (resolved, IncidentClass::ExpiryUnknown),
    ];
    for (change, class) in cases {
        assert_eq!(change.id(), &id, "{change:?}");
        assert_eq!(change.class(), class, "{change:?}");
    }
}

#[test]
fn ids_and_classes_differ_from_other_text_in_every_comparison() {
    let id = IncidentId::new("crm", CheckKind::Auth, 1);
    for other in [
        "crm:auth:2",
        "crm:expiry:1",
        "crm2:auth:1",
        "",
        "crm:auth:1 ",
    ] {
        assert!(id != *other, "str {other:?}");
        assert!(id != other, "&str {other:?}");
        let owned: String = other.into();
        assert!(id != owned, "String {other:?}");
    }
    let class = IncidentClass::NotProbed;
    for other in ["corrupt_item", "not_probed ", ""] {
        assert!(class != *other, "str {other:?}");
        assert!(class != other, "&str {other:?}");
    }
}

fn minutes(m: i64) -> DateTime<Utc> {
    at() + chrono::TimeDelta::minutes(m)
}

fn open_incident() -> Incident {
    Incident::for_platform(
        IncidentId::new("crm", CheckKind::Monitor, 0),
        "crm",
        IncidentClass::NotProbed,
        "m".into(),
        at(),
    )
}

#[test]
fn acknowledgements_are_trimmed_and_held_to_their_bounds() {
    let ack = Acknowledgement::new("  Dana Smith ", Some("  rotating now "), at()).unwrap();
    assert_eq!(ack.by, "Dana Smith");
    assert_eq!(ack.note.as_deref(), Some("rotating now"));
    assert_eq!(ack.at, at());
    assert_eq!(
        Acknowledgement::new("dana", Some("   "), at())
            .unwrap()
            .note,
        None
    );
    // At the bounds (counted in characters, not bytes).
    let by = "é".repeat(ACK_BY_MAX_CHARS);
    let note = "ü".repeat(ACK_NOTE_MAX_CHARS);
    let long = Acknowledgement::new(&by, Some(&note), at()).unwrap();
    assert_eq!((long.by, long.note), (by, Some(note)));

    let cases: Vec<(String, Option<String>, AckError, &str)> = vec![
        ("".into(), None, AckError::EmptyBy, "(--by) is empty"),
        (" \t ".into(), None, AckError::EmptyBy, "(--by) is empty"),
        (
            "x".repeat(ACK_BY_MAX_CHARS + 1),
            None,
            AckError::ByTooLong {
                chars: 101,
                max: 100,
            },
            "(--by) is 101 characters long; at most 100",
        ),
        (
            "dana".into(),
            Some("n".repeat(ACK_NOTE_MAX_CHARS + 1)),
            AckError::NoteTooLong {
                chars: 501,
                max: 500,
            },
            "(--note) is 501 characters long; at most 500",
        ),
        (
            "dana\u{1b}[31m".into(),
            None,
            AckError::ByUnprintable {
                code_point: "U+001B".into(),
            },
            "(--by) holds the unprintable character U+001B",
        ),
        (
            "dana".into(),
            Some("line one\nline two".into()),
            AckError::NoteUnprintable {
                code_point: "U+000A".into(),
            },
            "(--note) holds the unprintable character U+000A",
        ),
        (
            "dana".into(),
            Some("evil \u{202e} text".into()),
            AckError::NoteUnprintable {
                code_point: "U+202E".into(),
            },
            "U+202E",
        ),
    ];
    for (by, note, error, words) in cases {
        let err = Acknowledgement::new(&by, note.as_deref(), at()).unwrap_err();
        assert_eq!(err, error, "{by:?} {note:?}");
        assert!(err.to_string().contains(words), "{err}");
    }
}

#[test]
fn an_ack_counts_while_open_and_since_the_class_last_changed() {
    let ack = |m| Some(Acknowledgement::new("dana", None, minutes(m)).unwrap());
    let incident = open_incident();
    assert_eq!(incident.schedule_since(), at());
    assert!(!incident.is_acknowledged(), "no ack");
    let cases = [
        ("acked after opening", None, ack(5), true, true),
        ("acked the instant it opened", None, ack(0), true, true),
        (
            "acked before the class changed",
            Some(10),
            ack(5),
            true,
            false,
        ),
        (
            "acked the instant the class changed",
            Some(10),
            ack(10),
            true,
            true,
        ),
        (
            "acked after the class changed",
            Some(10),
            ack(15),
            true,
            true,
        ),
        ("resolved", None, ack(5), false, false),
        ("no ack", Some(10), None, true, false),
    ];
    for (name, class_since, ack, open, expected) in cases {
        let incident = Incident {
            class_since: class_since.map(minutes),
            ack,
            open,
            ..open_incident()
        };
        assert_eq!(
            incident.schedule_since(),
            class_since.map_or(at(), minutes),
            "{name}"
        );
        assert_eq!(incident.is_acknowledged(), expected, "{name}");
    }
}

#[test]
fn an_acknowledgement_serializes_with_its_fields() {
    let ack = Acknowledgement::new("dana", Some("on it"), at()).unwrap();
    let json = serde_json::to_value(&ack).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"by": "dana", "at": "2026-11-28T10:00:00Z", "note": "on it"})
    );
    assert_eq!(
        serde_json::from_value::<Acknowledgement>(json).unwrap(),
        ack
    );
}
