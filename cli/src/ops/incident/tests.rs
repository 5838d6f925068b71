//! Unit tests of `incident show`'s report and text, without a table.

use chrono::TimeDelta;
use credwatch::domain::incident::{CheckKind, IncidentChange};
use credwatch::inventory::Severity;
use credwatch::notify::delivery::{Delivery, DeliveryError, NotificationRecord};
use credwatch::notify::error::PublishErrorKind;
use credwatch::notify::notification::{Event, Notification};

use super::*;
use crate::render::assert_laid_out;

fn t0() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().expect("a time")
}

fn incident(resolved: bool) -> Incident {
    Incident {
        id: "crm-contact-sync:auth:3".parse().expect("an id"),
        integration: "crm-contact-sync".into(),
        check: CheckKind::Auth,
        class: IncidentClass::parse("client_auth_failed").expect("a class"),
        severity: Severity::Critical,
        team: "crm-ops".into(),
        open: !resolved,
        opened_at: t0(),
        updated_at: t0(),
        resolved_at: resolved.then(|| t0() + TimeDelta::minutes(95)),
        threshold_days: None,
        message: "SFMC says: Client authentication failed.\u{1b}[31m".into(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

fn record(event: Event, minutes: i64, delivery: Delivery) -> NotificationRecord {
    let incident = incident(event == Event::Resolved);
    let change = match event {
        Event::Resolved => IncidentChange::Resolved {
            id: incident.id.clone(),
            class: incident.class,
            message: "Working again.".into(),
            at: t0() + TimeDelta::minutes(95),
        },
        _ => IncidentChange::Opened(incident.clone()),
    };
    let at = t0() + TimeDelta::minutes(minutes);
    NotificationRecord {
        notification: Notification::new(event, &incident, &change, None, None, at),
        created_at: at,
        delivery,
        slack: None,
    }
}

fn sent_at(minutes: i64) -> Delivery {
    Delivery {
        state: DeliveryState::Sent,
        attempts: 2,
        next_attempt_at: None,
        message_id: Some("6f1b7c2e-9a1d-5b7e-8f33-2c1d4e5f6a7b".into()),
        finished_at: Some(t0() + TimeDelta::minutes(minutes)),
        last_error: Some(DeliveryError {
            kind: PublishErrorKind::Retryable,
            detail: "SNS Throttled: Rate exceeded".into(),
        }),
        shrink: 0,
        revision: 3,
        decisions: Vec::new(),
    }
}

fn pending_at(minutes: i64) -> Delivery {
    Delivery {
        state: DeliveryState::Pending,
        attempts: 0,
        next_attempt_at: Some(t0() + TimeDelta::minutes(minutes)),
        message_id: None,
        finished_at: None,
        last_error: None,
        shrink: 0,
        revision: 0,
        decisions: Vec::new(),
    }
}

fn report() -> IncidentReport {
    incident_report(
        Some(incident(true)),
        NotificationListing {
            // Given newest first: the report puts them oldest first.
            records: vec![
                record(Event::Resolved, 95, pending_at(96)),
                NotificationRecord {
                    slack: Some(credwatch::notify::delivery::SlackPost {
                        state: credwatch::notify::delivery::SlackPostState::Refused,
                        at: t0() + TimeDelta::minutes(2),
                        attempts: 1,
                        status: Some(404),
                        error: Some("channel_not_found".into()),
                    }),
                    ..record(Event::Opened, 0, sent_at(1))
                },
            ],
            unreadable: vec![UnreadableItem {
                key: "pk=NTF#crm-contact-sync:auth:3 sk=crm-contact-sync:auth:3/reminder/1".into(),
                integration: Some("crm-contact-sync".into()),
                field: "attempts".into(),
                problem: "is not a number (N)".into(),
            }],
        },
        None,
    )
}

#[test]
fn the_report_lists_notifications_oldest_first_and_serializes_stably() {
    let report = report();
    let events: Vec<&str> = report.notifications.iter().map(|n| n.event).collect();
    assert_eq!(events, ["opened", "resolved"]);
    let json = serde_json::to_value(&report).expect("serializes");
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&json),
        ["incident", "notifications", "reported_calls", "unreadable"]
    );
    assert_eq!(
        keys(&json["notifications"][0]),
        [
            "attempts",
            "created_at",
            "decisions",
            "event",
            "finished_at",
            "id",
            "last_error",
            "message_id",
            "next_attempt_at",
            "severity",
            "slack",
            "state",
            "team",
        ]
    );
    assert_eq!(json["notifications"][0]["slack"]["state"], "refused");
    assert_eq!(
        json["notifications"][0]["slack"]["error"],
        "channel_not_found"
    );
    assert_eq!(json["notifications"][1]["slack"], serde_json::Value::Null);
    assert_eq!(json["incident"]["id"], "crm-contact-sync:auth:3");
    assert_eq!(json["incident"]["http_status"], 401);
    assert_eq!(json["notifications"][0]["state"], "sent");
    assert_eq!(json["notifications"][0]["last_error"]["kind"], "retryable");
    assert_eq!(
        json["notifications"][1]["next_attempt_at"],
        "2026-06-01T13:36:00Z"
    );
    assert_eq!(json["unreadable"][0]["field"], "attempts");
    // An unreadable incident item is listed first.
    let corrupt = UnreadableItem {
        key: "pk=INC#crm-contact-sync sk=auth#000003".into(),
        integration: Some("crm-contact-sync".into()),
        field: "message".into(),
        problem: "is missing".into(),
    };
    let without = incident_report(None, NotificationListing::default(), Some(corrupt.clone()));
    assert!(without.incident.is_none());
    assert_eq!(without.unreadable, vec![corrupt]);
}

#[test]
fn the_timeline_runs_from_opened_to_resolved() {
    let entries = timeline(&report(), t0() + TimeDelta::minutes(100));
    let what: Vec<&str> = entries.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(
        what,
        [
            "opened",
            "notification opened",
            "notification resolved",
            "resolved"
        ]
    );
    assert_eq!(entries[3].details, "after 95 min");
    assert!(
        entries[1]
            .details
            .contains("last error (retryable): SNS Throttled")
    );
    assert!(
        entries[1].details.contains(
            "Slack refused 2026-06-01 12:02:00 UTC (attempt 1, HTTP 404: channel_not_found)"
        ),
        "{}",
        entries[1].details
    );
    assert!(
        entries[2]
            .details
            .contains("next attempt overdue since 2026-06-01 13:36:00 UTC (4 min ago)")
    );
}

#[test]
fn the_text_fits_every_width_never_breaks_ids_and_escapes_what_it_shows() {
    let report = report();
    let id: IncidentId = "crm-contact-sync:auth:3".parse().expect("an id");
    for width in [200u16, 120, 80, 50, 40] {
        let text = incident_text(&id, &report, t0() + TimeDelta::minutes(100), width, false);
        assert_laid_out(
            &text,
            width,
            &["notification opened".into(), "notification resolved".into()],
        );
        // The SNS message id (36 characters) is never broken, down to the narrowest layout.
        assert!(
            text.contains("6f1b7c2e-9a1d-5b7e-8f33-2c1d4e5f6a7b"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "escaped:\n{text}");
        assert!(text.contains("\\u{1b}"), "{text}");
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("2 notifications: 1 sent, 1 pending, 0 failed."),
            "{text}"
        );
        assert!(flat.contains("Cannot read pk=NTF#"), "{text}");
    }
    let wide = incident_text(&id, &report, t0() + TimeDelta::minutes(100), 200, false);
    for line in [
        "Incident crm-contact-sync:auth:3 (resolved)",
        "Integration: crm-contact-sync   Team: crm-ops   Check: auth",
        "Class: client_auth_failed   Severity: critical",
        "Opened: 2026-06-01 12:00:00 UTC   Resolved: 2026-06-01 13:35:00 UTC (after 95 min)",
        "SFMC's HTTP status: 401",
    ] {
        assert!(wide.contains(line), "{line} in\n{wide}");
    }
    assert!(
        wide.contains("What to do: nothing is failing now;"),
        "a resolved incident asks for no rotation: {wide}"
    );
    assert!(!wide.contains("Rotate"), "{wide}");
}

#[test]
fn the_acknowledgement_is_shown_in_effect_lapsed_or_on_record() {
    let ack = credwatch::domain::incident::Acknowledgement::new(
        "Dana",
        Some("rotating the secret"),
        t0() + TimeDelta::minutes(10),
    )
    .expect("a valid ack");
    let text = |incident: Incident| {
        let id = incident.id.clone();
        let report = incident_report(Some(incident), NotificationListing::default(), None);
        incident_text(&id, &report, t0() + TimeDelta::hours(2), 400, false)
    };
    let acked = Incident {
        ack: Some(ack.clone()),
        ..incident(false)
    };
    let shown = text(acked.clone());
    assert!(
        shown.contains(
            "Acknowledged by Dana at 2026-06-01 12:10:00 UTC: rotating the secret (reminders \
             and escalation paused until the class changes or it resolves)"
        ),
        "{shown}"
    );
    assert!(shown.contains("acknowledged"), "a timeline entry: {shown}");
    assert!(shown.contains("by Dana: rotating the secret"), "{shown}");

    let lapsed = Incident {
        class_since: Some(t0() + TimeDelta::minutes(20)),
        ..acked.clone()
    };
    let shown = text(lapsed);
    assert!(
        shown.contains("Class: client_auth_failed (since 2026-06-01 12:20:00 UTC)"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "Acknowledgement lapsed (by Dana at 2026-06-01 12:10:00 UTC: rotating the secret): \
             the class changed at 2026-06-01 12:20:00 UTC"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("(lapsed: the class changed since)"),
        "{shown}"
    );

    let resolved = Incident {
        ack: Some(ack),
        ..incident(true)
    };
    let shown = text(resolved);
    assert!(
        shown.contains("Acknowledged by Dana at 2026-06-01 12:10:00 UTC: rotating the secret\n"),
        "{shown}"
    );
    assert!(!shown.contains("paused"), "{shown}");

    let plain = text(incident(false));
    assert!(!plain.contains("cknowledge"), "{plain}");
}

#[test]
fn an_id_with_a_control_or_direction_character_is_refused_escaped() {
    for typed in [
        "crm\u{1b}[31m:auth:1",
        "crm\u{202e}:auth:1",
        "crm:auth:1\u{7}",
    ] {
        let trouble = parse_incident_id(typed).expect_err("refused");
        assert_eq!(trouble.code, crate::exit::EXIT_INVALID, "{typed:?}");
        assert!(
            printable::first_unprintable(&trouble.message).is_none(),
            "{:?}",
            trouble.message
        );
        assert!(
            trouble.message.contains("unprintable character U+"),
            "{}",
            trouble.message
        );
    }
    assert!(parse_incident_id("crm-contact-sync:auth:3").is_ok());
}

mod passive {
    use credwatch::domain::outcome::OutcomeClass;
    use credwatch::domain::passive::{CallKind, EventSource, SfmcCall};

    use super::super::reported::{EVIDENCE_BEFORE, ReportedCallRow, evidence_window};
    use super::*;

    fn passive_incident(resolved: bool) -> Incident {
        Incident {
            id: "crm-contact-sync:passive:1".parse().expect("an id"),
            check: CheckKind::Passive,
            class: IncidentClass::ReportedAuthFailure,
            message: "The integration reported 12 token requests refused: invalid_client.".into(),
            ..incident(resolved)
        }
    }

    fn call(minutes: i64) -> SfmcCall {
        let at = t0() + TimeDelta::minutes(minutes);
        SfmcCall {
            event_id: format!("e{minutes}"),
            integration_id: "crm-contact-sync".into(),
            source: EventSource::Https,
            received_at: at,
            class: Some(OutcomeClass::ClientAuthFailed),
            observed_at: at,
            call_kind: CallKind::Token,
            count: 12,
            window_secs: Some(60),
            host: None,
            method: None,
            path_template: None,
            status: Some(401),
            sfmc_errorcode: None,
            oauth_error: Some("invalid_client".into()),
            soap_fault: None,
            message: Some("Client authentication failed.\u{1b}[2J".into()),
            retry_after_secs: None,
            resend_count: None,
            token_age_secs: None,
            network_error: None,
            account_id: None,
            client_id: None,
            reporter: Some("orders-sync-lambda".into()),
            trace_id: None,
        }
    }

    #[test]
    fn the_window_runs_from_an_hour_before_opening_to_the_resolve_or_now() {
        let now = t0() + TimeDelta::hours(5);
        let (from, to) = evidence_window(&passive_incident(false), now);
        assert_eq!(from, t0() - EVIDENCE_BEFORE);
        assert_eq!(to, now + TimeDelta::minutes(5));
        let (from, to) = evidence_window(&passive_incident(true), now);
        assert_eq!(from, t0() - TimeDelta::hours(1));
        assert_eq!(to, t0() + TimeDelta::minutes(95 + 5));
    }

    #[test]
    fn a_row_holds_what_sfmc_answered_and_the_code_falls_back() {
        let row = ReportedCallRow::of(&call(3));
        assert_eq!(row.call_kind, "token");
        assert_eq!(row.status, Some(401));
        assert_eq!(row.code.as_deref(), Some("invalid_client"));
        assert_eq!(row.class, Some("client_auth_failed"));
        assert_eq!(row.count, 12);
        assert_eq!(row.reporter.as_deref(), Some("orders-sync-lambda"));
        let coded = ReportedCallRow::of(&SfmcCall {
            sfmc_errorcode: Some(20002),
            ..call(3)
        });
        assert_eq!(coded.code.as_deref(), Some("20002"), "SFMC's code first");
        let soap = ReportedCallRow::of(&SfmcCall {
            oauth_error: None,
            soap_fault: Some("Token Expired".into()),
            ..call(3)
        });
        assert_eq!(soap.code.as_deref(), Some("Token Expired"));
        let json = serde_json::to_value(&row).unwrap();
        for key in [
            "observed_at",
            "call_kind",
            "status",
            "code",
            "class",
            "count",
            "reporter",
            "message",
        ] {
            assert!(json.get(key).is_some(), "{key}: {json}");
        }
    }

    #[test]
    fn a_passive_incident_shows_its_reported_calls_at_every_width() {
        let mut report = incident_report(
            Some(passive_incident(false)),
            NotificationListing::default(),
            None,
        );
        report.reported_calls = vec![ReportedCallRow::of(&call(2)), ReportedCallRow::of(&call(1))];
        let id = report.incident.as_ref().unwrap().id.clone();
        let now = t0() + TimeDelta::minutes(10);
        let whole: Vec<String> = ["client_auth_failed", "invalid_client"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for width in [40u16, 60, 80, 120, 200] {
            let text = incident_text(&id, &report, now, width, false);
            assert_laid_out(&text, width, &whole);
            assert!(!text.contains('\u{1b}'), "escaped: {text}");
        }
        let text = incident_text(&id, &report, now, 200, false);
        assert!(
            text.contains("Reported calls behind it (2 failed calls"),
            "{text}"
        );
        assert!(text.contains("orders-sync-lambda"), "{text}");
        assert!(text.contains("SFMC's HTTP status: 401"), "{text}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["reported_calls"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            json["reported_calls"][0]["observed_at"],
            "2026-06-01T12:02:00Z"
        );

        report.reported_calls.clear();
        let none = incident_text(&id, &report, now, 120, false);
        assert!(none.contains("Reported calls: none kept"), "{none}");
        // Another check's incident has no such section.
        let auth = incident_report(Some(incident(false)), NotificationListing::default(), None);
        let text = incident_text(&auth.incident.as_ref().unwrap().id, &auth, now, 120, false);
        assert!(!text.contains("Reported calls"), "{text}");
        assert_eq!(
            serde_json::to_value(&auth).unwrap()["reported_calls"],
            serde_json::json!([])
        );
    }
}
