//! Passive incidents: the "what broke" sentence says the integration itself reported it.

use super::render;
use crate::domain::incident::{CheckKind, IncidentClass};
use crate::domain::passive::PassivePattern;
use crate::notify::notification::Event;
use crate::notify::render::email::email;
use crate::notify::render::facts::facts;
use crate::notify::render::sms::{MAX_SMS_CHARS, sms};
use crate::notify::render::subject::{is_valid_subject, subject};
use crate::notify::render::trim::Trim;

fn what_broke(class: IncidentClass, event: Event) -> String {
    let n = render(event, CheckKind::Passive, class);
    facts(&n, &Trim::FULL)
        .lines
        .into_iter()
        .find(|l| l.label == "What broke")
        .map(|l| l.text)
        .expect("every message has a what-broke line")
}

#[test]
fn every_passive_class_says_the_integration_reported_it() {
    for pattern in PassivePattern::ALL {
        let class = pattern.class();
        for event in [Event::Opened, Event::Resolved, Event::Changed] {
            let text = what_broke(class, event);
            assert!(
                text.starts_with("Loyalty points feed (integration loyalty-feed)"),
                "{class}: {text}"
            );
            if pattern == PassivePattern::IntegrationSilent {
                assert!(text.contains("stopped reporting"), "{text}");
                assert!(!text.contains("itself reported"), "{text}");
            } else {
                assert!(text.contains("itself reported"), "{class}: {text}");
            }
            let n = render(event, CheckKind::Passive, class);
            let body = email(&n, &Trim::FULL);
            assert!(body.contains(&text), "{body}");
            assert!(is_valid_subject(&subject(&n)), "{}", subject(&n));
            assert!(sms(&n).len() <= MAX_SMS_CHARS);
        }
    }
}

#[test]
fn passive_sentences_name_the_evidence_per_class() {
    for (class, words) in [
        (
            IncidentClass::ReportedAuthFailure,
            "credential or access error",
        ),
        (IncidentClass::TokenRefreshRace, "refused with 401"),
        (IncidentClass::ScopeDrift, "SFMC code 20002"),
        (IncidentClass::TokenRequestRate, "one every 20 minutes"),
        (IncidentClass::TokenRequestsBlocked, "code 50200"),
        (
            IncidentClass::IntegrationSilent,
            "the path its reports take",
        ),
        (
            IncidentClass::IdentityMismatch,
            "another client id or account id",
        ),
    ] {
        let text = what_broke(class, Event::Opened);
        assert!(text.contains(words), "{class}: {text}");
    }
}
