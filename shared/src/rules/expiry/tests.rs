use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::secrets::SecretSource;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn integration(expires: Option<&str>, rotated: Option<&str>) -> Integration {
    Integration {
        id: "crm-sync".into(),
        name: "CRM sync".into(),
        owner: "crm-ops".into(),
        severity: Severity::Critical,
        auth_url: "https://example.invalid/".parse().unwrap(),
        client_id: "abc".into(),
        client_secret: SecretSource::Env("S".into()),
        account_id: None,
        expected_scopes: vec![],
        secret_rotated_at: rotated.map(date),
        secret_expires_at: expires.map(date),
        depends_on: vec![],
        records_per_hour: None,
        runbook: None,
        probe_every: Duration::from_secs(900),
        recheck_every: Duration::from_secs(120),
        expiry_warn_days: vec![30, 14, 7, 3, 1],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}

/// Runs `evaluate` once a day from `from` to `to` (inclusive) and returns every change with
/// its day, as "day: open 30" / "step 7" / "resolve".
fn run_days(
    track: &mut ExpiryTrack,
    seq: &mut u32,
    integration: &Integration,
    rotation_seen: Option<DateTime<Utc>>,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<String> {
    let mut log = Vec::new();
    let mut day = from;
    while day <= to {
        let (next, changes) = evaluate(track, integration, rotation_seen, noon(day), seq);
        for change in changes {
            log.push(format!("{day}: {}", describe(&change)));
        }
        *track = next;
        day = day.succ_opt().unwrap();
    }
    log
}

/// The threshold key an expiry incident is at, from its class and days.
fn key(class: IncidentClass, threshold_days: Option<u32>) -> String {
    match (class, threshold_days) {
        (IncidentClass::SecretExpired, _) => "expired".into(),
        (IncidentClass::ExpiryUnknown, _) => "unknown".into(),
        (_, Some(days)) => days.to_string(),
        (other, None) => format!("{other} without days"),
    }
}

fn describe(change: &IncidentChange) -> String {
    match change {
        IncidentChange::Opened(incident) => format!(
            "open {} {} {}",
            incident.id,
            key(incident.class, incident.threshold_days),
            incident.severity.as_str()
        ),
        IncidentChange::Changed {
            id,
            class,
            threshold_days,
            severity,
            ..
        } => format!(
            "step {id} {} {}",
            key(*class, *threshold_days),
            severity.as_str()
        ),
        IncidentChange::Resolved { id, .. } => format!("resolve {id}"),
    }
}

/// Noon UTC of `day`: when the tables' scans run.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

#[test]
fn expiry_date_precedence() {
    assert_eq!(expiry_date(&integration(None, None), None), None);
    assert_eq!(
        expiry_date(&integration(None, Some("2026-06-01")), None),
        Some(date("2026-11-28"))
    );
    assert_eq!(
        expiry_date(&integration(Some("2026-12-01"), Some("2026-06-01")), None),
        Some(date("2026-12-01")),
        "an explicit date wins over secret_rotated_at"
    );
    let rotated_later = "2026-11-20T09:15:42Z".parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        expiry_date(&integration(Some("2026-12-01"), None), Some(rotated_later)),
        Some(date("2027-05-19")),
        "a rotation seen after the secret was generated restarts the countdown"
    );
    let rotated_long_ago = "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        expiry_date(
            &integration(Some("2026-12-01"), None),
            Some(rotated_long_ago)
        ),
        Some(date("2026-12-01"))
    );
    assert_eq!(
        expiry_date(&integration(None, None), Some(rotated_later)),
        Some(date("2027-05-19"))
    );
}

#[test]
fn most_urgent_crossed_threshold() {
    let warn = [30, 14, 7, 3, 1];
    let cases = [
        (100, None),
        (31, None),
        (30, Some(Threshold::Days(30))),
        (20, Some(Threshold::Days(30))),
        (14, Some(Threshold::Days(14))),
        (10, Some(Threshold::Days(14))),
        (5, Some(Threshold::Days(7))),
        (2, Some(Threshold::Days(3))),
        (1, Some(Threshold::Days(1))),
        (0, Some(Threshold::Days(1))),
        (-1, Some(Threshold::Expired)),
        (-400, Some(Threshold::Expired)),
    ];
    for (days, expected) in cases {
        assert_eq!(
            most_urgent_crossed(days, &warn),
            expected,
            "{days} days left"
        );
    }
    assert_eq!(most_urgent_crossed(5, &[]), None);
}

#[test]
fn severity_rises_up_to_the_integrations_own() {
    use Severity::*;
    let critical = [
        (30, Low),
        (14, Medium),
        (7, High),
        (3, Critical),
        (1, Critical),
    ];
    for (days, expected) in critical {
        assert_eq!(
            severity(Threshold::Days(days), Critical),
            expected,
            "{days}"
        );
    }
    assert_eq!(severity(Threshold::Expired, Critical), Critical);
    assert_eq!(severity(Threshold::Expired, Medium), Medium);
    assert_eq!(severity(Threshold::Days(3), High), High);
    assert_eq!(severity(Threshold::Days(30), High), Low);
    assert_eq!(severity(Threshold::Unknown, Critical), Low);
}

#[test]
fn countdown_opens_once_and_steps_through_each_threshold() {
    let it = integration(Some("2026-12-31"), None);
    let (mut track, mut seq) = (ExpiryTrack::default(), 4);
    let log = run_days(
        &mut track,
        &mut seq,
        &it,
        None,
        date("2026-11-01"),
        date("2027-01-05"),
    );
    assert_eq!(
        log,
        [
            "2026-12-01: open crm-sync:expiry:5 30 low",
            "2026-12-17: step crm-sync:expiry:5 14 medium",
            "2026-12-24: step crm-sync:expiry:5 7 high",
            "2026-12-28: step crm-sync:expiry:5 3 critical",
            "2026-12-30: step crm-sync:expiry:5 1 critical",
            "2027-01-01: step crm-sync:expiry:5 expired critical",
        ]
    );
    assert_eq!(seq, 5);
    assert_eq!(track.threshold, Some(Threshold::Expired));
    // A second scan the same day changes nothing.
    let (again, changes) = evaluate(&track, &it, None, noon(date("2027-01-05")), &mut seq);
    assert!(changes.is_empty());
    assert_eq!(again, track);
}

#[test]
fn a_first_scan_inside_several_thresholds_notifies_only_the_most_urgent() {
    let it = integration(Some("2026-12-10"), None);
    let (mut track, mut seq) = (ExpiryTrack::default(), 0);
    let log = run_days(
        &mut track,
        &mut seq,
        &it,
        None,
        date("2026-12-08"),
        date("2026-12-08"),
    );
    assert_eq!(log, ["2026-12-08: open crm-sync:expiry:1 3 critical"]);
    // Missed days: from 3 straight to expired.
    let log = run_days(
        &mut track,
        &mut seq,
        &it,
        None,
        date("2026-12-20"),
        date("2026-12-20"),
    );
    assert_eq!(log, ["2026-12-20: step crm-sync:expiry:1 expired critical"]);
}

#[test]
fn a_rotation_resolves_and_restarts_the_countdown() {
    let it = integration(Some("2026-12-31"), None);
    let (mut track, mut seq) = (ExpiryTrack::default(), 0);
    run_days(
        &mut track,
        &mut seq,
        &it,
        None,
        date("2026-12-20"),
        date("2026-12-20"),
    );
    assert_eq!(track.threshold, Some(Threshold::Days(14)));
    // Rotated on 2026-12-22 (seen in Secrets Manager): new expiry 2027-06-20.
    let rotated = "2026-12-22T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let log = run_days(
        &mut track,
        &mut seq,
        &it,
        Some(rotated),
        date("2026-12-22"),
        date("2027-06-21"),
    );
    assert_eq!(
        log,
        [
            "2026-12-22: resolve crm-sync:expiry:1",
            "2027-05-21: open crm-sync:expiry:2 30 low",
            "2027-06-06: step crm-sync:expiry:2 14 medium",
            "2027-06-13: step crm-sync:expiry:2 7 high",
            "2027-06-17: step crm-sync:expiry:2 3 critical",
            "2027-06-19: step crm-sync:expiry:2 1 critical",
            "2027-06-21: step crm-sync:expiry:2 expired critical",
        ]
    );
}

#[test]
fn a_corrected_date_still_close_resolves_and_opens_the_new_version() {
    let (mut track, mut seq) = (ExpiryTrack::default(), 0);
    run_days(
        &mut track,
        &mut seq,
        &integration(Some("2026-12-31"), None),
        None,
        date("2026-12-25"),
        date("2026-12-25"),
    );
    let corrected = integration(Some("2026-12-27"), None);
    let log = run_days(
        &mut track,
        &mut seq,
        &corrected,
        None,
        date("2026-12-26"),
        date("2026-12-26"),
    );
    assert_eq!(
        log,
        [
            "2026-12-26: resolve crm-sync:expiry:1",
            "2026-12-26: open crm-sync:expiry:2 1 critical"
        ]
    );
}

#[test]
fn each_version_and_threshold_notifies_at_most_once_ever() {
    let a = integration(Some("2026-12-31"), None);
    let b = integration(Some("2026-12-30"), None);
    let (mut track, mut seq) = (ExpiryTrack::default(), 0);
    run_days(
        &mut track,
        &mut seq,
        &a,
        None,
        date("2026-12-25"),
        date("2026-12-25"),
    );
    run_days(
        &mut track,
        &mut seq,
        &b,
        None,
        date("2026-12-25"),
        date("2026-12-25"),
    );
    // Flipping back to A the same day: A's 7-day warning was already sent.
    let log = run_days(
        &mut track,
        &mut seq,
        &a,
        None,
        date("2026-12-25"),
        date("2026-12-25"),
    );
    assert_eq!(log, ["2026-12-25: resolve crm-sync:expiry:2"]);
    assert_eq!(track.open_incident, None);
    // ...but its next threshold still notifies.
    let log = run_days(
        &mut track,
        &mut seq,
        &a,
        None,
        date("2026-12-28"),
        date("2026-12-28"),
    );
    assert_eq!(log, ["2026-12-28: open crm-sync:expiry:3 3 critical"]);
}

#[test]
fn an_unknown_date_opens_one_low_incident_that_says_how_to_fix_it() {
    let unknown = integration(None, None);
    let (mut track, mut seq) = (ExpiryTrack::default(), 0);
    let (next, changes) = evaluate(&track, &unknown, None, noon(date("2026-11-28")), &mut seq);
    let [IncidentChange::Opened(incident)] = changes.as_slice() else {
        panic!("{changes:?}")
    };
    let message = &incident.message;
    assert_eq!(
        (incident.class, incident.threshold_days, incident.severity),
        (IncidentClass::ExpiryUnknown, None, Severity::Low)
    );
    assert!(
        message.contains("Client Secret Expires") && message.contains("secret_expires_at"),
        "{message}"
    );
    track = next;
    let log = run_days(
        &mut track,
        &mut seq,
        &unknown,
        None,
        date("2026-11-29"),
        date("2027-02-01"),
    );
    assert!(log.is_empty(), "{log:?}");
    // Once the date is known, the unknown incident resolves; far-off dates open nothing.
    let known = integration(Some("2027-06-01"), None);
    let log = run_days(
        &mut track,
        &mut seq,
        &known,
        None,
        date("2027-02-02"),
        date("2027-02-02"),
    );
    assert_eq!(log, ["2027-02-02: resolve crm-sync:expiry:1"]);
}

#[test]
fn severity_boundaries_sit_exactly_at_3_7_and_14_days() {
    use Severity::*;
    let cases = [
        (0, Critical),
        (2, Critical),
        (3, Critical),
        (4, High),
        (7, High),
        (8, Medium),
        (14, Medium),
        (15, Low),
        (90, Low),
    ];
    for (days, expected) in cases {
        assert_eq!(
            severity(Threshold::Days(days), Critical),
            expected,
            "{days}"
        );
    }
    // Never more urgent than the integration itself.
    for days in [0, 4, 8, 15] {
        assert_eq!(severity(Threshold::Days(days), Low), Low, "{days}");
    }
}

#[test]
fn days_until_counts_whole_days() {
    let cases = [
        ("2026-11-28", "2026-11-28", 0),
        ("2026-11-29", "2026-11-28", 1),
        ("2026-11-27", "2026-11-28", -1),
        ("2027-11-28", "2026-11-28", 365),
    ];
    for (expiry, today, days) in cases {
        assert_eq!(
            days_until(date(expiry), date(today)),
            days,
            "{expiry} from {today}"
        );
    }
}

#[test]
fn messages_say_when_in_plain_words() {
    let it = integration(Some("2026-12-31"), None);
    let cases = [
        (
            "2026-12-31",
            "CRM sync's client secret expires today (2026-12-31).",
        ),
        (
            "2026-12-30",
            "CRM sync's client secret expires tomorrow (2026-12-31).",
        ),
        (
            "2026-12-28",
            "CRM sync's client secret expires in 3 days (2026-12-31).",
        ),
        (
            "2027-01-01",
            "CRM sync's client secret expired on 2026-12-31; calls with it fail.",
        ),
    ];
    for (day, start) in cases {
        let (_, changes) = evaluate(&ExpiryTrack::default(), &it, None, noon(date(day)), &mut 0);
        let [IncidentChange::Opened(incident)] = changes.as_slice() else {
            panic!("{day}: {changes:?}")
        };
        assert!(
            incident.message.starts_with(start) && incident.message.contains("Rotate it in Setup"),
            "{day}: {}",
            incident.message
        );
        assert_eq!(
            (incident.team.as_str(), incident.check, incident.opened_at),
            ("crm-ops", CheckKind::Expiry, noon(date(day))),
            "{day}"
        );
    }
}

#[test]
fn why_an_open_incident_resolves_is_said_in_its_message() {
    let today = date("2026-12-20");
    let open = |version: &str| ExpiryTrack {
        open_incident: Some(IncidentId::new("crm-sync", CheckKind::Expiry, 1)),
        version: Some(version.into()),
        threshold: Some(Threshold::Days(14)),
        notified: vec![format!("{version}#14")],
    };
    let cases = [
        // A new date: the countdown restarts (and the new version opens its own if close).
        (
            open("2026-12-31"),
            Some("2027-06-01"),
            "CRM sync has a new client secret expiry date, 2027-06-01: the countdown restarts",
        ),
        // The same version, now outside every window (the warning days were shortened).
        (
            open("2026-12-31"),
            Some("2026-12-31"),
            "CRM sync's client secret expires on 2026-12-31, outside the warning window",
        ),
        // The date is no longer known.
        (
            open("2026-12-31"),
            None,
            "CRM sync's client secret expiry date is no longer known",
        ),
    ];
    for (track, expires, message) in cases {
        let mut it = integration(expires, None);
        if expires == Some("2026-12-31") {
            it.expiry_warn_days = vec![3];
        }
        let mut seq = 1;
        let (next, changes) = evaluate(&track, &it, None, noon(today), &mut seq);
        let Some(IncidentChange::Resolved {
            id,
            class,
            message: said,
            at,
        }) = changes.first()
        else {
            panic!("{expires:?}: {changes:?}")
        };
        assert_eq!(id.as_str(), "crm-sync:expiry:1");
        assert_eq!(*class, IncidentClass::SecretExpiring, "the class it had");
        assert_eq!(said, message, "{expires:?}");
        assert_eq!(*at, noon(today));
        if expires == Some("2026-12-31") {
            assert_eq!(changes.len(), 1, "{changes:?}");
            assert_eq!(
                (next.open_incident, next.version, next.threshold),
                (None, None, None)
            );
        }
    }
}

#[test]
fn a_step_says_what_the_incident_was() {
    let it = integration(Some("2026-12-31"), None);
    let track = ExpiryTrack {
        open_incident: Some(IncidentId::new("crm-sync", CheckKind::Expiry, 1)),
        version: Some("2026-12-31".into()),
        threshold: Some(Threshold::Days(14)),
        notified: vec!["2026-12-31#30".into(), "2026-12-31#14".into()],
    };
    let (next, changes) = evaluate(&track, &it, None, noon(date("2026-12-29")), &mut 1);
    let [
        IncidentChange::Changed {
            id,
            previous,
            class,
            severity,
            threshold_days,
            http_status,
            at,
            ..
        },
    ] = changes.as_slice()
    else {
        panic!("{changes:?}")
    };
    assert_eq!(id.as_str(), "crm-sync:expiry:1");
    assert_eq!(
        *previous,
        IncidentFacts {
            class: IncidentClass::SecretExpiring,
            severity: Severity::Medium,
            threshold_days: Some(14),
        }
    );
    assert_eq!(
        (*class, *severity, *threshold_days, *http_status, *at),
        (
            IncidentClass::SecretExpiring,
            Severity::Critical,
            Some(3),
            None,
            noon(date("2026-12-29"))
        )
    );
    assert_eq!(next.threshold, Some(Threshold::Days(3)));
    assert_eq!(
        next.notified.last().map(String::as_str),
        Some("2026-12-31#3")
    );
}

#[test]
fn notifications_kept_are_capped_oldest_first() {
    let it = integration(Some("2026-12-31"), None);
    let old: Vec<String> = (0..MAX_NOTIFIED).map(|i| format!("old-{i}#30")).collect();
    let track = ExpiryTrack {
        notified: old.clone(),
        ..ExpiryTrack::default()
    };
    let (next, changes) = evaluate(&track, &it, None, noon(date("2026-12-20")), &mut 0);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(next.notified.len(), MAX_NOTIFIED);
    assert_eq!(next.notified[0], "old-1#30", "the oldest is dropped");
    assert_eq!(next.notified[MAX_NOTIFIED - 1], "2026-12-31#14");
    // Under the cap nothing is dropped.
    let short = ExpiryTrack {
        notified: old[..3].to_vec(),
        ..ExpiryTrack::default()
    };
    let (next, _) = evaluate(&short, &it, None, noon(date("2026-12-20")), &mut 0);
    assert_eq!(next.notified.len(), 4);
    assert_eq!(next.notified[0], "old-0#30");
}

#[test]
fn a_version_already_notified_at_a_threshold_stays_quiet_even_with_nothing_open() {
    // The incident was resolved by hand (or by retiring); the same version and threshold do not
    // notify again, but a more urgent threshold of that version still does.
    let it = integration(Some("2026-12-31"), None);
    let track = ExpiryTrack {
        notified: vec!["2026-12-31#14".into()],
        ..ExpiryTrack::default()
    };
    let (_, changes) = evaluate(&track, &it, None, noon(date("2026-12-20")), &mut 0);
    assert!(changes.is_empty(), "{changes:?}");
    // Another version at the same threshold is not covered by that key.
    let moved = integration(Some("2027-01-01"), None);
    let (_, changes) = evaluate(&track, &moved, None, noon(date("2026-12-20")), &mut 0);
    assert_eq!(changes.len(), 1, "{changes:?}");
}

#[test]
fn an_oversized_notification_list_is_cut_back_to_the_cap() {
    // Written by hand or by an older version: far more keys than the cap.
    let it = integration(Some("2026-12-31"), None);
    let track = ExpiryTrack {
        notified: (0..3 * MAX_NOTIFIED)
            .map(|i| format!("old-{i}#30"))
            .collect(),
        ..ExpiryTrack::default()
    };
    let (next, changes) = evaluate(&track, &it, None, noon(date("2026-12-20")), &mut 0);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(next.notified.len(), MAX_NOTIFIED);
    assert_eq!(
        next.notified[0],
        format!("old-{}#30", 2 * MAX_NOTIFIED + 1),
        "the newest keys are kept"
    );
    assert_eq!(next.notified[MAX_NOTIFIED - 1], "2026-12-31#14");
}
