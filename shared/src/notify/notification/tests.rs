use super::*;
use crate::domain::outcome::OutcomeClass;
use crate::notify::fixtures::{self, auth, changed, opened, resolved};

fn facts(class: IncidentClass, severity: Severity, threshold_days: Option<u32>) -> IncidentFacts {
    IncidentFacts {
        class,
        severity,
        threshold_days,
    }
}

#[test]
fn events_parse_back() {
    for event in Event::ALL {
        assert_eq!(Event::parse(event.as_str()), Some(event));
        assert_eq!(event.to_string(), event.as_str());
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            format!("\"{}\"", event.as_str())
        );
    }
    assert_eq!(Event::parse("Opened"), None);
    assert_eq!(Event::parse(""), None);
}

#[test]
fn only_changes_of_class_severity_or_threshold_are_worth_a_message() {
    let secret = IncidentClass::Outcome(OutcomeClass::ClientAuthFailed);
    let scopes = IncidentClass::Outcome(OutcomeClass::MissingScopes);
    let incident = auth();
    let mut expiry = fixtures::incident(CheckKind::Expiry, IncidentClass::SecretExpiring);
    expiry.threshold_days = Some(7);
    for (name, change, events) in [
        ("opened", opened(&incident), vec![Event::Opened]),
        ("resolved", resolved(&incident).1, vec![Event::Resolved]),
        (
            "class",
            changed(&incident, facts(scopes, Severity::High, None)),
            vec![Event::Changed],
        ),
        (
            "severity",
            changed(&incident, facts(secret, Severity::Low, None)),
            vec![Event::Changed],
        ),
        (
            "threshold",
            changed(
                &expiry,
                facts(IncidentClass::SecretExpiring, Severity::High, Some(14)),
            ),
            vec![Event::Changed],
        ),
        (
            "message and time only",
            changed(&incident, facts(secret, Severity::High, None)),
            vec![],
        ),
        (
            "expiry message only",
            changed(
                &expiry,
                facts(IncidentClass::SecretExpiring, Severity::High, Some(7)),
            ),
            vec![],
        ),
    ] {
        assert_eq!(events_for(&change), events, "{name}");
    }
}

#[test]
fn ids_follow_the_grammar() {
    let incident = auth();
    let scopes = IncidentClass::Outcome(OutcomeClass::MissingScopes);
    let secret = IncidentClass::Outcome(OutcomeClass::ClientAuthFailed);
    let mut expiry = fixtures::incident(CheckKind::Expiry, IncidentClass::SecretExpiring);
    let c = |change: &IncidentChange, event| NotificationId::new(change.id(), event, change, 2);
    assert_eq!(
        c(&opened(&incident), Event::Opened).as_str(),
        "loyalty-feed:auth:3/opened"
    );
    assert_eq!(
        c(&opened(&incident), Event::Opened).to_string(),
        "loyalty-feed:auth:3/opened"
    );
    assert_eq!(
        c(&resolved(&incident).1, Event::Resolved).as_str(),
        "loyalty-feed:auth:3/resolved"
    );
    assert_eq!(
        c(
            &changed(&incident, facts(scopes, Severity::High, None)),
            Event::Changed
        )
        .as_str(),
        "loyalty-feed:auth:3/changed/client_auth_failed@2026-11-30T13:35:00.000Z"
    );
    assert_eq!(
        c(
            &changed(&incident, facts(secret, Severity::Low, None)),
            Event::Changed
        )
        .as_str(),
        "loyalty-feed:auth:3/changed/severity-high@2026-11-30T13:35:00.000Z"
    );
    let step = changed(
        &expiry,
        facts(IncidentClass::SecretExpiring, Severity::High, Some(14)),
    );
    assert_eq!(
        c(&step, Event::Changed).as_str(),
        "loyalty-feed:expiry:3/changed/expiry-7d@2026-11-30T13:35:00.000Z"
    );
    expiry.threshold_days = Some(0);
    let step = changed(
        &expiry,
        facts(IncidentClass::SecretExpiring, Severity::High, Some(1)),
    );
    assert_eq!(
        c(&step, Event::Changed).as_str(),
        "loyalty-feed:expiry:3/changed/expired@2026-11-30T13:35:00.000Z"
    );
    let o = opened(&incident);
    assert_eq!(
        c(&o, Event::Reminder).as_str(),
        "loyalty-feed:auth:3/reminder/2"
    );
    assert_eq!(
        c(&o, Event::Escalated).as_str(),
        "loyalty-feed:auth:3/escalated/2"
    );
    assert_eq!(
        c(&o, Event::Digest).as_str(),
        "loyalty-feed:auth:3/digest/2026-11-30"
    );
    assert_eq!(
        c(&o, Event::Acknowledged).as_str(),
        "loyalty-feed:auth:3/acknowledged@2026-11-30T13:05:00.000Z"
    );
    assert_eq!(
        c(&o, Event::Drill).as_str(),
        "loyalty-feed:auth:3/drill@2026-11-30T13:05:00.000Z"
    );
}

#[test]
fn the_same_change_gives_the_same_id_and_different_changes_never_do() {
    let incident = auth();
    let scopes = IncidentClass::Outcome(OutcomeClass::MissingScopes);
    let secret = IncidentClass::Outcome(OutcomeClass::ClientAuthFailed);
    let first = changed(&incident, facts(scopes, Severity::High, None));
    assert_eq!(
        NotificationId::new(&incident.id, Event::Changed, &first, 1),
        NotificationId::new(&incident.id, Event::Changed, &first.clone(), 1)
    );
    // The class comes back later: a different change, a different id.
    let mut later = first.clone();
    if let IncidentChange::Changed { at, .. } = &mut later {
        *at += chrono::TimeDelta::hours(1);
    }
    let mut ids = std::collections::BTreeSet::new();
    for change in [
        opened(&incident),
        resolved(&incident).1,
        first,
        later,
        changed(&incident, facts(secret, Severity::Low, None)),
    ] {
        for event in events_for(&change) {
            assert!(ids.insert(NotificationId::new(&incident.id, event, &change, 1)));
        }
    }
    assert_eq!(ids.len(), 5);
    // Another incident of the same integration never shares an id.
    let other = fixtures::incident(CheckKind::Expiry, IncidentClass::SecretExpiring);
    assert!(!ids.contains(&NotificationId::new(
        &other.id,
        Event::Opened,
        &opened(&other),
        1
    )));
}

#[test]
fn a_notification_copies_what_it_shows_and_never_the_secret_source() {
    let incident = auth();
    let integration = fixtures::integration();
    let n = Notification::for_change(
        &incident,
        &opened(&incident),
        Some(&integration),
        None,
        fixtures::now(),
    );
    assert_eq!(n.len(), 1);
    let n = &n[0];
    assert_eq!(n.event, Event::Opened);
    assert_eq!(n.team, "crm-ops");
    assert_eq!(n.integration.name, "Loyalty points feed");
    assert_eq!(n.integration.records_per_hour, Some(7_500));
    assert_eq!(n.duration(), chrono::TimeDelta::minutes(160));
    let json = serde_json::to_string(n).unwrap();
    assert!(!json.contains(fixtures::SECRET_ENV), "{json}");
}

#[test]
fn without_the_inventory_entry_the_integration_is_named_by_its_id() {
    let incident = auth();
    let n = Notification::new(
        Event::Opened,
        &incident,
        &opened(&incident),
        None,
        None,
        fixtures::now(),
    );
    assert_eq!(n.integration.name, "loyalty-feed");
    assert!(n.integration.depends_on.is_empty());
}

#[test]
fn raw_words_are_sanitized_on_the_way_in() {
    let mut incident = auth();
    incident.message =
        "SFMC said: Bearer eyJhbGciOiJIUzI1NiJ9abc123def456 and token 0a1b2c3d4e5f6a7b8c9d0e1f2a3b\u{1b}[31m"
            .to_string();
    let n = Notification::new(
        Event::Opened,
        &incident,
        &opened(&incident),
        None,
        None,
        fixtures::now(),
    );
    assert!(
        !n.message.contains("eyJhbGciOiJIUzI1NiJ9abc123def456"),
        "{}",
        n.message
    );
    assert!(
        !n.message.contains("0a1b2c3d4e5f6a7b8c9d0e1f2a3b"),
        "{}",
        n.message
    );
    assert!(!n.message.contains('\u{1b}'));
    assert!(n.message.contains("[redacted]"));
}

#[test]
fn a_resolve_lasts_until_it_resolved() {
    let incident = auth();
    let (after, change) = resolved(&incident);
    let n = Notification::new(
        Event::Resolved,
        &after,
        &change,
        None,
        None,
        fixtures::now() + chrono::TimeDelta::hours(5),
    );
    assert_eq!(n.resolved_at, Some(fixtures::now()));
    assert_eq!(n.duration(), chrono::TimeDelta::minutes(160));
    assert!(n.message.starts_with("A token was issued again"));
}

#[test]
fn inventory_words_holding_a_token_or_webhook_never_reach_the_publish() {
    let incident = auth();
    let mut integration = fixtures::integration();
    let token = "eyJhbGciOiJIUzI1NiJ9abc123def456";
    let hook = "abcdEFGH1234";
    integration.name = format!("Loyalty feed Bearer {token}");
    integration.depends_on = vec![format!(
        "alerts to https://hooks.slack.com/services/T0A1/B0A2/{hook}"
    )];
    integration.runbook = Some(format!("https://hooks.slack.com/services/T0A1/B0A2/{hook}"));
    let n = Notification::new(
        Event::Opened,
        &incident,
        &opened(&incident),
        Some(&integration),
        None,
        fixtures::now(),
    );
    let request = crate::notify::publish::build(&n, crate::notify::publish::SNS_MAX_BYTES);
    let everything = format!(
        "{} {} {:?} {}",
        request.subject,
        request.message,
        request.attributes,
        serde_json::to_string(&n).expect("a notification serializes")
    );
    for secret in [token, hook] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }
}
