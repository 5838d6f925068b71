//! The dead-man's switch and retiring.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::domain::state::{ExpiryTrack, Health, Track};

#[test]
fn the_dead_mans_switch() {
    let now = "2026-11-28T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let every = Duration::from_secs(900);
    assert!(
        stale_reason(
            "X",
            every,
            Some(now - TimeDelta::minutes(44)),
            now - TimeDelta::days(9),
            now
        )
        .is_none()
    );
    let stale = stale_reason(
        "X",
        every,
        Some(now - TimeDelta::minutes(46)),
        now - TimeDelta::days(9),
        now,
    )
    .unwrap();
    assert!(
        stale.contains("has not checked X since 2026-11-28 11:14 UTC"),
        "{stale}"
    );
    assert!(stale_reason("X", every, None, now - TimeDelta::hours(23), now).is_none());
    let never = stale_reason("X", every, None, now - TimeDelta::hours(25), now).unwrap();
    assert!(never.contains("never checked X"), "{never}");
}

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn integration() -> Integration {
    Integration {
        id: "crm".into(),
        name: "CRM sync".into(),
        owner: "crm-ops".into(),
        severity: crate::domain::severity::Severity::Critical,
        auth_url: "https://example.invalid/".parse().unwrap(),
        client_id: "abc".into(),
        client_secret: crate::secrets::SecretSource::Env("S".into()),
        account_id: None,
        expected_scopes: vec![],
        secret_rotated_at: None,
        secret_expires_at: None,
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

#[test]
fn stale_exactly_at_the_limits_is_not_yet_stale() {
    let now = t("2026-11-28T12:00:00Z");
    let every = Duration::from_secs(900);
    let added = now - TimeDelta::days(9);
    // (last probe, added, stale?)
    let cases = [
        (Some(now - TimeDelta::minutes(45)), added, false),
        (
            Some(now - TimeDelta::minutes(45) - TimeDelta::seconds(1)),
            added,
            true,
        ),
        (Some(now), added, false),
        // A last probe in the future (clock skew) is not stale.
        (Some(now + TimeDelta::hours(5)), added, false),
        (None, now - TimeDelta::days(1), false),
        (None, now - TimeDelta::days(1) - TimeDelta::seconds(1), true),
        (None, now, false),
    ];
    for (last, added, stale) in cases {
        assert_eq!(
            stale_reason("X", every, last, added, now).is_some(),
            stale,
            "last {last:?}, added {added}"
        );
    }
    // The limit is three intervals, whatever the interval.
    let hourly = Duration::from_secs(3600);
    assert!(stale_reason("X", hourly, Some(now - TimeDelta::hours(3)), added, now).is_none());
    assert!(
        stale_reason(
            "X",
            hourly,
            Some(now - TimeDelta::hours(3) - TimeDelta::seconds(1)),
            added,
            now
        )
        .is_some()
    );
    // An interval too long to represent never goes stale.
    assert!(stale_reason("X", Duration::MAX, Some(added), added, now).is_none());
    let message = stale_reason("X", hourly, Some(t("2026-11-28T08:00:00Z")), added, now).unwrap();
    assert!(message.contains("it should every 1h"), "{message}");
}

#[test]
fn the_switch_opens_once_resolves_once_and_numbers_from_the_sequence() {
    let now = t("2026-11-28T12:00:00Z");
    let it = integration();
    let added = now - TimeDelta::days(9);
    let stale_probe = Some(now - TimeDelta::hours(2));
    let fresh_probe = Some(now - TimeDelta::minutes(1));
    let open_id = IncidentId::new("crm", CheckKind::Monitor, 4);
    // (last probe, open incident before) -> (change, open incident after, sequence after)
    let cases = [
        (
            stale_probe,
            None,
            Some("opened crm:monitor:5"),
            Some("crm:monitor:5"),
            5,
        ),
        (
            stale_probe,
            Some(open_id.clone()),
            None,
            Some("crm:monitor:4"),
            4,
        ),
        (
            fresh_probe,
            Some(open_id.clone()),
            Some("resolved crm:monitor:4"),
            None,
            4,
        ),
        (fresh_probe, None, None, None, 4),
    ];
    for (last_probe_at, open, change, open_after, seq_after) in cases {
        let mut state = CheckState {
            last_probe_at,
            stale_incident: open.clone(),
            ..CheckState::default()
        };
        let mut seq = 4;
        let got = check_stale(&it, &mut state, added, now, &mut seq);
        let context = format!("last {last_probe_at:?}, open {open:?}");
        let described = got.as_ref().map(|c| match c {
            IncidentChange::Opened(incident) => format!("opened {}", incident.id),
            IncidentChange::Changed { id, .. } => format!("changed {id}"),
            IncidentChange::Resolved { id, .. } => format!("resolved {id}"),
        });
        assert_eq!(described.as_deref(), change, "{context}");
        assert_eq!(
            state.stale_incident.as_ref().map(IncidentId::as_str),
            open_after,
            "{context}"
        );
        assert_eq!(seq, seq_after, "{context}");
        match got {
            Some(IncidentChange::Opened(incident)) => {
                assert_eq!(
                    (incident.class, incident.check, incident.team.as_str()),
                    (IncidentClass::NotProbed, CheckKind::Monitor, "platform")
                );
                assert_eq!(incident.integration, "crm");
                assert!(incident.message.contains("has not checked CRM sync"));
                assert_eq!(incident.opened_at, now);
            }
            Some(IncidentChange::Resolved {
                class, message, at, ..
            }) => {
                assert_eq!(class, IncidentClass::NotProbed);
                assert_eq!(message, "credwatch is checking CRM sync again");
                assert_eq!(at, now);
            }
            _ => {}
        }
    }
    // The sequence saturates rather than wrapping to an id already used.
    let mut state = CheckState {
        last_probe_at: stale_probe,
        ..CheckState::default()
    };
    let mut seq = u32::MAX;
    let opened = check_stale(&it, &mut state, added, now, &mut seq).unwrap();
    assert_eq!(opened.id().seq(), u32::MAX);
}

#[test]
fn retiring_resolves_every_open_incident_with_its_class_and_forgets_the_tracks() {
    let now = t("2026-11-28T12:00:00Z");
    let it = integration();
    let id = |check, seq| IncidentId::new("crm", check, seq);
    let full = CheckState {
        auth: Track {
            health: Health::Firing,
            class: Some(OutcomeClass::ClientAuthFailed),
            consecutive_failures: 3,
            open_incident: Some(id(CheckKind::Auth, 1)),
            ..Track::default()
        },
        monitor: Track {
            health: Health::Recovering,
            class: Some(OutcomeClass::IntermediaryBlocked),
            open_incident: Some(id(CheckKind::Monitor, 2)),
            ..Track::default()
        },
        expiry: ExpiryTrack {
            open_incident: Some(id(CheckKind::Expiry, 3)),
            version: Some("2026-12-01".into()),
            threshold: Some(Threshold::Expired),
            notified: vec!["2026-12-01#expired".into()],
        },
        stale_incident: Some(id(CheckKind::Monitor, 4)),
        incident_seq: 4,
        last_probe_at: Some(now),
        ..CheckState::default()
    };
    let mut state = full.clone();
    let changes = retire_state(&it, &mut state, now);
    let got: Vec<(String, IncidentClass)> = changes
        .iter()
        .map(|c| (c.id().to_string(), c.class()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "crm:auth:1".to_string(),
                IncidentClass::Outcome(OutcomeClass::ClientAuthFailed)
            ),
            (
                "crm:monitor:2".to_string(),
                IncidentClass::Outcome(OutcomeClass::IntermediaryBlocked)
            ),
            ("crm:expiry:3".to_string(), IncidentClass::SecretExpired),
            ("crm:monitor:4".to_string(), IncidentClass::NotProbed),
        ]
    );
    for change in &changes {
        let IncidentChange::Resolved { message, at, .. } = change else {
            panic!("{change:?}")
        };
        assert_eq!(
            message,
            "CRM sync is no longer in the inventory, so credwatch no longer watches it"
        );
        assert_eq!(*at, now);
    }
    assert_eq!(
        state,
        CheckState {
            incident_seq: 4,
            last_probe_at: Some(now),
            ..CheckState::default()
        },
        "tracks forgotten, numbering and history kept"
    );

    // A hand-edited state with incidents but no class or threshold still resolves them.
    let mut bare = CheckState {
        auth: Track {
            open_incident: Some(id(CheckKind::Auth, 1)),
            ..Track::default()
        },
        monitor: Track {
            open_incident: Some(id(CheckKind::Monitor, 2)),
            ..Track::default()
        },
        expiry: ExpiryTrack {
            open_incident: Some(id(CheckKind::Expiry, 3)),
            ..ExpiryTrack::default()
        },
        ..CheckState::default()
    };
    let classes: Vec<IncidentClass> = retire_state(&it, &mut bare, now)
        .iter()
        .map(IncidentChange::class)
        .collect();
    assert_eq!(
        classes,
        [
            IncidentClass::Outcome(OutcomeClass::AuthRejected),
            IncidentClass::Outcome(OutcomeClass::SecretUnavailable),
            IncidentClass::SecretExpiring,
        ]
    );
    // Nothing open: nothing to resolve.
    let mut quiet = CheckState::default();
    assert!(retire_state(&it, &mut quiet, now).is_empty());
}
