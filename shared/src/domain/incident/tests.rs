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
    assert!(UnknownCheck.to_string().contains("auth, expiry or monitor"));
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
