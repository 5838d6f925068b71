//! Golden tests of every output, a subject property test, and the leak test.

use proptest::prelude::*;

use super::attributes::{NAMES, attributes};
use super::chatbot::chatbot_value;
use super::document::document_value;
use super::email::email;
use super::sms::{MAX_SMS_CHARS, sms};
use super::subject::{is_valid_subject, subject};
use super::trim::Trim;
use crate::domain::incident::{CheckKind, IncidentClass, IncidentFacts};
use crate::domain::outcome::OutcomeClass;
use crate::domain::severity::Severity;
use crate::notify::fixtures::{self, auth, changed, opened, resolved};
use crate::notify::notification::{Event, Expiry, Notification};

fn render(event: Event, check: CheckKind, class: IncidentClass) -> Notification {
    let incident = fixtures::incident(check, class);
    let integration = fixtures::integration();
    let expiry = (check == CheckKind::Expiry).then(|| Expiry {
        expires_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        days_left: 7,
    });
    match event {
        Event::Resolved => {
            let (after, change) = resolved(&incident);
            Notification::new(
                event,
                &after,
                &change,
                Some(&integration),
                expiry,
                fixtures::now(),
            )
        }
        Event::Changed => {
            let previous = IncidentFacts {
                class: IncidentClass::Outcome(OutcomeClass::MissingScopes),
                severity: Severity::Medium,
                threshold_days: incident.threshold_days.map(|_| 14),
            };
            let change = changed(&incident, previous);
            Notification::new(
                event,
                &incident,
                &change,
                Some(&integration),
                expiry,
                fixtures::now(),
            )
        }
        _ => Notification::new(
            event,
            &incident,
            &opened(&incident),
            Some(&integration),
            expiry,
            fixtures::now(),
        ),
    }
}

const OPENED_EMAIL: &str = "\
Loyalty points feed: secret rejected by SFMC

What broke: Loyalty points feed (integration loyalty-feed): secret rejected by SFMC.
Since: 2026-11-30 13:05 UTC (2 h 40 min ago)
SFMC said: HTTP 401: Client authentication failed. (invalid_client)
Depends on it: Welcome journey enrollment; Nightly preference sync
Estimated impact so far: about 20,000 records (an estimate: 7,500 records/hour x 2 h 40 min)

What to do:
- The secret is wrong, expired, rotated or revoked, or the package is disabled. Rotate or copy the active secret from Setup > Apps > Installed Packages and update every consumer.
- Taking it? credwatch ack loyalty-feed:auth:3 --by YOUR_NAME stops reminders and escalation.
- Runbook: https://wiki.example.com/sfmc/loyalty
- Where in SFMC: Setup > Apps > Installed Packages

Team: crm-ops
Severity: high
Check: auth
Class: client_auth_failed
Incident: loyalty-feed:auth:3
Notification: loyalty-feed:auth:3/opened

Sent by credwatch. Receivers may drop a repeated Notification id.
";

const RESOLVED_EMAIL: &str = "\
Resolved: Loyalty points feed: secret rejected by SFMC

What broke: Loyalty points feed (integration loyalty-feed): secret rejected by SFMC.
Lasted: 2 h 40 min (from 2026-11-30 13:05 UTC to 2026-11-30 15:45 UTC)
What ended it: A token was issued again and every expected scope is granted.
Depends on it: Welcome journey enrollment; Nightly preference sync
Estimated total impact: about 20,000 records (an estimate: 7,500 records/hour x 2 h 40 min)
Re-processing: data that should have flowed between 2026-11-30 13:05 UTC and 2026-11-30 15:45 UTC may be missing and may need re-processing.

What to do:
- Nothing is failing now. Check whether data missed while it lasted needs re-processing.
- Runbook: https://wiki.example.com/sfmc/loyalty
- Where in SFMC: Setup > Apps > Installed Packages

Team: crm-ops
Severity: high
Check: auth
Class: client_auth_failed
Incident: loyalty-feed:auth:3
Notification: loyalty-feed:auth:3/resolved

Sent by credwatch. Receivers may drop a repeated Notification id.
";

#[test]
fn golden_emails_of_an_opened_and_a_resolved_auth_incident() {
    let secret = IncidentClass::Outcome(OutcomeClass::ClientAuthFailed);
    assert_eq!(
        email(&render(Event::Opened, CheckKind::Auth, secret), &Trim::FULL),
        OPENED_EMAIL
    );
    assert_eq!(
        email(
            &render(Event::Resolved, CheckKind::Auth, secret),
            &Trim::FULL
        ),
        RESOLVED_EMAIL
    );
}

#[test]
fn golden_subjects_and_sms_for_every_event_and_check() {
    let secret = IncidentClass::Outcome(OutcomeClass::ClientAuthFailed);
    let blocked = IncidentClass::Outcome(OutcomeClass::IntermediaryBlocked);
    for (event, check, class, expected) in [
        (
            Event::Opened,
            CheckKind::Auth,
            secret,
            "[HIGH] Loyalty points feed: secret rejected by SFMC",
        ),
        (
            Event::Changed,
            CheckKind::Auth,
            secret,
            "[HIGH] Loyalty points feed: secret rejected by SFMC",
        ),
        (
            Event::Resolved,
            CheckKind::Auth,
            secret,
            "[RESOLVED] Loyalty points feed: secret rejected by SFMC",
        ),
        (
            Event::Reminder,
            CheckKind::Auth,
            secret,
            "[HIGH] Still open: Loyalty points feed: secret rejected by SFMC",
        ),
        (
            Event::Escalated,
            CheckKind::Auth,
            secret,
            "[HIGH] Escalated: Loyalty points feed: secret rejected by SFMC",
        ),
        (
            Event::Acknowledged,
            CheckKind::Auth,
            secret,
            "[ACKNOWLEDGED] Loyalty points feed: secret rejected by SFMC",
        ),
        (
            Event::Digest,
            CheckKind::Auth,
            secret,
            "[HIGH] Loyalty points feed: secret rejected by SFMC",
        ),
        (
            Event::Drill,
            CheckKind::Auth,
            secret,
            "[DRILL] Loyalty points feed: test message, nothing is wrong",
        ),
        (
            Event::Opened,
            CheckKind::Expiry,
            IncidentClass::SecretExpiring,
            "[HIGH] Loyalty points feed: client secret expires in 7 days",
        ),
        (
            Event::Opened,
            CheckKind::Expiry,
            IncidentClass::SecretExpired,
            "[HIGH] Loyalty points feed: client secret expired",
        ),
        (
            Event::Opened,
            CheckKind::Expiry,
            IncidentClass::ExpiryUnknown,
            "[HIGH] Loyalty points feed: secret expiry date unknown",
        ),
        (
            Event::Opened,
            CheckKind::Monitor,
            blocked,
            "[HIGH] Loyalty points feed: blocked before reaching SFMC",
        ),
        (
            Event::Opened,
            CheckKind::Monitor,
            IncidentClass::NotProbed,
            "[HIGH] Loyalty points feed: credwatch has stopped checking it",
        ),
    ] {
        let n = render(event, check, class);
        assert_eq!(subject(&n), expected, "{event} {check:?} {class}");
        let text = sms(&n);
        assert!(text.len() <= MAX_SMS_CHARS, "{text}");
        assert!(text.starts_with(expected), "{text}");
    }
}

#[test]
fn every_event_and_class_renders_every_output() {
    let classes: Vec<(CheckKind, IncidentClass)> = OutcomeClass::ALL
        .into_iter()
        .map(|c| {
            let check = if c.kind() == crate::domain::outcome::Kind::Monitor {
                CheckKind::Monitor
            } else {
                CheckKind::Auth
            };
            (check, IncidentClass::Outcome(c))
        })
        .chain([
            (CheckKind::Expiry, IncidentClass::SecretExpiring),
            (CheckKind::Expiry, IncidentClass::SecretExpired),
            (CheckKind::Expiry, IncidentClass::ExpiryUnknown),
            (CheckKind::Monitor, IncidentClass::NotProbed),
            (CheckKind::Monitor, IncidentClass::CorruptItem),
        ])
        .collect();
    for event in Event::ALL {
        for (check, class) in &classes {
            let n = render(event, *check, *class);
            let text = email(&n, &Trim::FULL);
            assert!(text.contains("loyalty-feed:"), "{event} {class}");
            assert!(text.contains(n.id.as_str()));
            assert!(is_valid_subject(&subject(&n)), "{}", subject(&n));
            assert!(sms(&n).len() <= MAX_SMS_CHARS);
            let chat = chatbot_value(&n, &Trim::FULL);
            assert_eq!(chat["metadata"]["threadId"], n.incident_id.as_str());
            let doc = document_value(&n, &Trim::FULL, false);
            assert_eq!(doc["event"], event.as_str());
            let routed_to = attributes(&n)["team"].clone();
            if *check == CheckKind::Monitor {
                assert_eq!(routed_to, "platform", "{event} {class}");
            } else {
                assert_eq!(routed_to, "crm-ops", "{event} {class}");
            }
            if *check == CheckKind::Monitor && event != Event::Drill {
                assert!(text.contains("credwatch itself cannot check"), "{text}");
                assert!(!text.contains("Estimated"), "{text}");
            }
        }
    }
}

#[test]
fn expiry_notices_say_the_date_days_left_and_where_to_rotate() {
    let n = render(
        Event::Opened,
        CheckKind::Expiry,
        IncidentClass::SecretExpiring,
    );
    let text = email(&n, &Trim::FULL);
    assert!(
        text.contains("expires on 2026-12-07 (7 days left)"),
        "{text}"
    );
    assert!(text.contains("Setup > Apps > Installed Packages"), "{text}");
    let n = render(
        Event::Changed,
        CheckKind::Expiry,
        IncidentClass::SecretExpiring,
    );
    let text = email(&n, &Trim::FULL);
    assert!(
        text.contains("expiry threshold was 14 days or less, now 7 days or less"),
        "{text}"
    );
}

#[test]
fn changes_say_what_it_was_and_what_it_is() {
    let n = render(
        Event::Changed,
        CheckKind::Auth,
        IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
    );
    let text = email(&n, &Trim::FULL);
    assert!(
        text.contains("Changed: was API permissions missing (missing_scopes), now secret rejected by SFMC (client_auth_failed); severity was medium, now high"),
        "{text}"
    );
}

#[test]
fn the_chatbot_body_follows_the_custom_notification_schema() {
    let n = render(
        Event::Opened,
        CheckKind::Auth,
        IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
    );
    let chat = chatbot_value(&n, &Trim::FULL);
    assert_eq!(chat["version"], "1.0");
    assert_eq!(chat["source"], "custom");
    assert_eq!(chat["content"]["textType"], "client-markdown");
    assert_eq!(
        chat["content"]["title"],
        ":red_circle: Loyalty points feed: secret rejected by SFMC"
    );
    assert!(
        chat["content"]["description"]
            .as_str()
            .unwrap()
            .contains("*SFMC said:* HTTP 401")
    );
    assert_eq!(chat["content"]["nextSteps"].as_array().unwrap().len(), 4);
    assert_eq!(chat["metadata"]["threadId"], "loyalty-feed:auth:3");
    assert_eq!(chat["metadata"]["eventType"], "opened");
    assert_eq!(
        chat["metadata"]["additionalContext"]["notification_id"],
        "loyalty-feed:auth:3/opened"
    );
    // A name cannot form a Slack link or mention.
    let mut n = n;
    n.integration.name = "<!channel> <https://evil.example|click>".to_string();
    let title = chatbot_value(&n, &Trim::FULL)["content"]["title"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!title.contains('<') && !title.contains('>'), "{title}");
}

#[test]
fn the_document_carries_the_routing_fields() {
    let n = render(
        Event::Opened,
        CheckKind::Auth,
        IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
    );
    let doc = document_value(&n, &Trim::FULL, false);
    assert_eq!(doc["schema"], "credwatch.notification.v1");
    for (field, value) in [
        ("team", "crm-ops"),
        ("severity", "high"),
        ("event", "opened"),
        ("check", "auth"),
        ("class", "client_auth_failed"),
        ("incident_id", "loyalty-feed:auth:3"),
        ("notification_id", "loyalty-feed:auth:3/opened"),
    ] {
        assert_eq!(doc[field], value, "{field}");
    }
    assert_eq!(doc["integration"]["id"], "loyalty-feed");
    assert_eq!(doc["estimated_impact_records"], 20_000);
    assert_eq!(doc["http_status"], 401);
}

#[test]
fn attributes_are_the_eight_of_the_contract_and_never_empty() {
    let mut n = render(
        Event::Opened,
        CheckKind::Auth,
        IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
    );
    let attrs = attributes(&n);
    assert_eq!(attrs.len(), 8);
    assert!(attrs.len() <= 10);
    for name in NAMES {
        assert!(!attrs[name].is_empty(), "{name}");
    }
    assert_eq!(attrs["team"], "crm-ops");
    assert_eq!(attrs["notification_id"], "loyalty-feed:auth:3/opened");
    n.team = "  ".to_string();
    assert_eq!(attributes(&n)["team"], "unknown");
}

#[test]
fn no_secret_token_or_webhook_reaches_any_body() {
    let mut incident = auth();
    incident.message = format!(
        "SFMC said Bearer {t} access_token={t} for {s} via https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        t = "eyJhbGciOiJIUzI1NiJ9xyz0123456789abcdef",
        s = "sk0123456789abcdefghijklmnop"
    );
    let mut integration = fixtures::integration();
    integration.client_secret = crate::secrets::SecretSource::AwsSecret {
        id: "arn:aws:secretsmanager:us-east-1:1:secret:credwatch/loyalty-SECRETARN".to_string(),
        key: Some("client_secret".to_string()),
    };
    for (label, source) in [
        (
            "env",
            crate::secrets::SecretSource::Env(fixtures::SECRET_ENV.to_string()),
        ),
        ("aws", integration.client_secret.clone()),
    ] {
        integration.client_secret = source;
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
            "{} {} {:?}",
            request.subject, request.message, request.attributes
        );
        for forbidden in [
            fixtures::SECRET_ENV,
            "SECRETARN",
            "eyJhbGciOiJIUzI1NiJ9xyz0123456789abcdef",
            "sk0123456789abcdefghijklmnop",
            "hooks.slack.com",
            "0m0het6mqknzv0uebqlvoo41",
        ] {
            assert!(
                !everything.contains(forbidden),
                "{label}: {forbidden} in {everything}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_subject_is_valid_whatever_the_name_holds(
        name in prop_oneof![
            any::<String>(),
            "\\PC{0,300}",
            "[\u{200e}\u{202e}\u{2066}\u{1b}\n\r\t 😀🇫🇷ع]{0,50}",
            Just("😀".repeat(3_000)),
            Just("x".repeat(10_240)),
            Just(String::new()),
            Just("\u{202e}\u{200f}\n\t".to_string()),
        ],
        event in proptest::sample::select(Event::ALL.to_vec()),
    ) {
        let mut n = render(event, CheckKind::Auth, IncidentClass::Outcome(OutcomeClass::ClientAuthFailed));
        n.integration.name = name;
        let s = subject(&n);
        prop_assert!(is_valid_subject(&s), "{:?}", s);
        prop_assert!(s.starts_with('['));
        prop_assert!(sms(&n).len() <= MAX_SMS_CHARS);
        prop_assert!(sms(&n).chars().all(|c| (' '..='~').contains(&c)));
    }
}

#[test]
fn golden_emails_of_a_change_an_expiry_notice_and_a_monitor_incident() {
    for (event, check, class, golden) in [
        (
            Event::Changed,
            CheckKind::Auth,
            IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
            include_str!("golden/changed-auth.txt"),
        ),
        (
            Event::Opened,
            CheckKind::Expiry,
            IncidentClass::SecretExpiring,
            include_str!("golden/opened-expiry.txt"),
        ),
        (
            Event::Opened,
            CheckKind::Monitor,
            IncidentClass::Outcome(OutcomeClass::IntermediaryBlocked),
            include_str!("golden/opened-monitor.txt"),
        ),
    ] {
        let n = render(event, check, class);
        assert_eq!(email(&n, &Trim::FULL), golden, "{event} {check:?} {class}");
    }
}

/// "SFMC said" labels SFMC's own words only; credwatch's conclusions (a gateway's page, a
/// missing scope) say whose they are; the status is not repeated; "Where in SFMC" names the
/// page that fixes the class, and nothing when the fix is not an SFMC setting.
#[test]
fn sfmc_said_only_for_sfmcs_words_and_where_in_sfmc_by_class() {
    let body = |class: OutcomeClass, message: &str, status: Option<u16>| {
        let mut n = render(
            Event::Opened,
            CheckKind::Auth,
            IncidentClass::Outcome(class),
        );
        n.message = message.to_string();
        n.http_status = status;
        email(&n, &Trim::FULL)
    };
    let said = body(
        OutcomeClass::ClientAuthFailed,
        "SFMC said: Client authentication failed. (invalid_client)",
        Some(401),
    );
    assert!(
        said.contains("\nSFMC said: HTTP 401: Client authentication failed. (invalid_client)\n"),
        "{said}"
    );
    assert!(
        said.contains("- Where in SFMC: Setup > Apps > Installed Packages\n"),
        "{said}"
    );

    let gateway = body(
        OutcomeClass::SfmcUnavailable,
        "HTTP 502 to https://x.auth.marketingcloudapis.com/v2/token, not in SFMC's API format",
        Some(502),
    );
    assert!(
        gateway.contains("\nWhat credwatch saw: HTTP 502 to https://"),
        "{gateway}"
    );
    assert!(!gateway.contains("SFMC said"), "{gateway}");
    assert!(
        !gateway.contains("Where in SFMC"),
        "not an SFMC setting: {gateway}"
    );

    let scopes = body(
        OutcomeClass::MissingScopes,
        "The token lacks expected scope(s): journeys_read",
        Some(200),
    );
    assert!(
        scopes.contains("\nWhat credwatch saw: HTTP 200: The token lacks"),
        "{scopes}"
    );

    let allowlist = body(
        OutcomeClass::IpNotAllowlisted,
        "SFMC said: The client's IP address is unauthorized for this account. (invalid_grant)",
        Some(400),
    );
    assert!(
        allowlist.contains("- Where in SFMC: Setup > Security > Login IP Allowlist\n"),
        "{allowlist}"
    );
    for class in [
        OutcomeClass::Throttled,
        OutcomeClass::Network,
        OutcomeClass::SecretUnavailable,
    ] {
        assert!(!body(class, "x", None).contains("Where in SFMC"), "{class}");
    }
}

/// An expiring secret's subject and body title give the same number: the days left, not the
/// threshold crossed (a 14-day warning sent 12 days before says 12 everywhere).
#[test]
fn an_expiry_notice_says_the_same_days_in_subject_and_title() {
    let mut n = render(
        Event::Opened,
        CheckKind::Expiry,
        IncidentClass::SecretExpiring,
    );
    n.threshold_days = Some(14);
    n.expiry = Some(Expiry {
        expires_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 12).unwrap(),
        days_left: 12,
    });
    let body = email(&n, &Trim::FULL);
    assert!(
        subject(&n).ends_with("Loyalty points feed: client secret expires in 12 days"),
        "{}",
        subject(&n)
    );
    assert!(
        body.starts_with("Loyalty points feed: client secret expires in 12 days\n"),
        "{body}"
    );
    assert!(
        body.contains("expires on 2026-12-12 (12 days left)"),
        "{body}"
    );
    assert!(!body.contains("14 days"), "{body}");
}

#[test]
fn a_credential_notice_names_every_integration_and_its_owner_for_every_recipient() {
    use crate::notify::annotations::{CredentialFacts, Member};
    let mut n = render(
        Event::Opened,
        CheckKind::Auth,
        IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
    );
    // The copy the other owner receives: its own team is on the member, the notice's
    // integration belongs to crm-ops.
    n.team = "platform".to_string();
    n.credential = Some(CredentialFacts {
        auth_host: "mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com".to_string(),
        client_id: "0m0het6mqknzv0uebqlvoo41".to_string(),
        owner: "crm-ops".to_string(),
    });
    n.members = vec![Member {
        incident_id: "loyalty-rewards:auth:1".parse().unwrap(),
        integration: "loyalty-rewards".to_string(),
        name: "Loyalty rewards sync".to_string(),
        team: "platform".to_string(),
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        opened_at: fixtures::now(),
        resolved_at: None,
    }];
    let text = email(&n, &Trim::FULL);
    assert!(
        text.contains(
            "client id 0m0het6mqknzv0uebqlvoo41 on \
             mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com, used by 2 integrations \
             (loyalty-feed of team crm-ops and the others named below)"
        ),
        "{text}"
    );
    assert!(
        text.contains("Loyalty rewards sync (loyalty-rewards, team platform, client_auth_failed)"),
        "{text}"
    );
    // A notice recorded before the owner was kept still reads.
    n.credential.as_mut().unwrap().owner.clear();
    let text = email(&n, &Trim::FULL);
    assert!(text.contains("used by 2 integrations: one fix"), "{text}");
}

mod passive;
