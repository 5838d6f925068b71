//! The pure parts of `credwatch silence`: times, the silence asked for, what is listed and how.

use chrono::TimeZone;

use super::*;
use credwatch::domain::silence::Expired;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap()
}

fn args() -> AddArgs {
    AddArgs {
        table: "t".into(),
        integration: vec![],
        team: vec!["crm-ops".into()],
        class: vec![],
        check: vec!["auth".into()],
        for_: Some(Duration::from_secs(2 * 3600)),
        until: None,
        reason: "SFMC maintenance".into(),
        by: "dana".into(),
        format: Format::Table,
    }
}

fn id() -> SilenceId {
    "sil-abcdefgh23".parse().unwrap()
}

#[test]
fn the_silence_asked_for_starts_now_and_ends_by_for_or_until() {
    let s = new_silence(&args(), id(), now()).unwrap();
    assert_eq!(s.starts_at, now());
    assert_eq!(s.ends_at, now() + TimeDelta::hours(2));
    assert_eq!(
        s.matchers
            .iter()
            .map(Matcher::to_string)
            .collect::<Vec<_>>(),
        ["team=crm-ops", "check=auth"]
    );
    let until = now() + TimeDelta::days(3);
    let by_until = AddArgs {
        for_: None,
        until: Some(until),
        ..args()
    };
    assert_eq!(new_silence(&by_until, id(), now()).unwrap().ends_at, until);
}

#[test]
fn what_cannot_be_a_silence_says_why() {
    let cases = [
        (
            AddArgs {
                team: vec![],
                check: vec![],
                ..args()
            },
            "needs at least one matcher",
        ),
        (
            AddArgs {
                class: vec!["auth_broken".into()],
                ..args()
            },
            "--class \"auth_broken\" is not valid here",
        ),
        (
            AddArgs {
                for_: None,
                until: Some(now() - TimeDelta::minutes(1)),
                ..args()
            },
            "is not after now",
        ),
        (
            AddArgs {
                for_: Some(Duration::from_secs(91 * 86_400)),
                ..args()
            },
            "at most 90 days",
        ),
        (
            AddArgs {
                for_: Some(Duration::from_secs(u64::MAX)),
                ..args()
            },
            "far too long",
        ),
        (
            AddArgs {
                reason: " ".into(),
                ..args()
            },
            "--reason is empty",
        ),
    ];
    for (args, expected) in cases {
        let err = new_silence(&args, id(), now()).unwrap_err();
        assert!(err.contains(expected), "{err} / {expected}");
    }
}

fn silence(start: i64, end: i64) -> Silence {
    Silence::new(
        id(),
        vec![Matcher::new(MatchField::Team, "crm-ops").unwrap()],
        now() + TimeDelta::minutes(start),
        now() + TimeDelta::minutes(end),
        "planned".into(),
        "dana".into(),
        now() - TimeDelta::days(1),
    )
    .unwrap()
}

#[test]
fn list_shows_pending_and_active_and_with_all_the_ended() {
    let mut early = silence(-60, 30);
    early.expired = Some(Expired {
        at: now() - TimeDelta::minutes(5),
        by: Some("lee".into()),
    });
    let silences = [
        silence(-120, -60),
        silence(-10, 50),
        silence(60, 120),
        early,
    ];
    let states = |all| {
        listed(&silences, all, now())
            .iter()
            .map(|r| r.state)
            .collect::<Vec<_>>()
    };
    assert_eq!(states(false), ["active", "pending"]);
    assert_eq!(states(true), ["expired", "active", "pending", "expired"]);
    let rows = listed(&silences, true, now());
    let json = serde_json::to_value(&rows[3]).unwrap();
    assert_eq!(json["expired_by"], "lee");
    assert_eq!(json["matchers"][0]["field"], "team");
    assert_eq!(json["state"], "expired");
    let text = list_text(&rows, true, 1, 200, false);
    assert!(
        !text.contains("\\n"),
        "matchers are one a line, not escaped: {text}"
    );
    for expected in [
        "ID",
        "State",
        "Matchers",
        "team=crm-ops",
        "(ended early by lee)",
        "4 silences: 1 active, 1 pending, 2 ended.",
        "1 silence item could not be read",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    // Narrow: still every silence, in fewer columns.
    let narrow = list_text(&rows, true, 0, 40, false);
    assert_eq!(narrow.matches("sil-abcdefgh23").count(), 4, "{narrow}");
    assert!(list_text(&[], false, 0, 80, false).contains("No pending or active silences"));
    assert!(list_text(&[], true, 0, 80, false).contains("No silences."));
}

#[test]
fn an_ended_silence_says_how_it_ended() {
    let ran_out = silence(-120, -60);
    assert_eq!(
        already_ended(&ran_out),
        "silence sil-abcdefgh23 already ended at 2026-11-30 12:00 UTC (ran out); nothing changed"
    );
    let mut expired = silence(-10, 50);
    expired.expired = Some(Expired {
        at: now(),
        by: Some("lee".into()),
    });
    assert!(already_ended(&expired).contains("at 2026-11-30 13:00 UTC (expired by lee)"));
}

#[test]
fn added_text_names_everything_kept() {
    let text = added_text(&silence(0, 150), now(), 400);
    for expected in [
        "Added silence sil-abcdefgh23 (active).",
        "Matches:  team=crm-ops (all must match)",
        "From:     2026-11-30 13:00 UTC",
        "Until:    2026-11-30 15:30 UTC (2 h 30 min)",
        "Reason:   planned",
        "By:       dana",
        "credwatch silence expire sil-abcdefgh23",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    assert_eq!(span(TimeDelta::days(3) + TimeDelta::hours(4)), "3 days 4 h");
    assert_eq!(span(TimeDelta::minutes(45)), "45 min");
}

#[test]
fn a_token_or_webhook_url_pasted_into_a_silence_is_kept_redacted() {
    let mut pasted = args();
    pasted.reason = "deploy, see https://hooks.slack.com/services/T0A1/B0A2/abcdEFGH1234 and \
        Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1"
        .to_string();
    pasted.by = "ana Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1".to_string();
    let s = new_silence(&pasted, id(), now()).unwrap();
    assert!(
        s.reason.starts_with("deploy, see [redacted webhook URL]"),
        "{}",
        s.reason
    );
    assert_eq!(s.created_by, "ana [redacted]");
    for secret in ["abcdEFGH1234", "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1"] {
        assert!(!s.reason.contains(secret) && !s.created_by.contains(secret));
    }
}
