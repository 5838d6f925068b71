//! Silences: matchers, ids, bounds, states.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap()
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes)
}

fn id() -> SilenceId {
    "sil-abcdefgh23".parse().unwrap()
}

fn m(field: MatchField, value: &str) -> Matcher {
    Matcher::new(field, value).unwrap()
}

fn silence(matchers: Vec<Matcher>, start: i64, end: i64) -> Result<Silence, SilenceError> {
    Silence::new(
        id(),
        matchers,
        at(start),
        at(end),
        "SFMC maintenance window".into(),
        "dana".into(),
        at(0),
    )
}

fn labels() -> Labels<'static> {
    Labels {
        integration: "crm-sync",
        team: "crm-ops",
        class: "client_auth_failed",
        check: "auth",
    }
}

#[test]
fn fields_round_trip_their_names() {
    for field in MatchField::ALL {
        assert_eq!(MatchField::parse(field.as_str()), Some(field));
        assert_eq!(field.to_string(), field.as_str());
    }
    assert_eq!(
        MatchField::ALL.map(MatchField::as_str),
        ["integration", "team", "class", "check"]
    );
    for bad in ["", "Team", "severity", " team"] {
        assert_eq!(MatchField::parse(bad), None, "{bad}");
    }
}

#[test]
fn matcher_values_must_fit_their_field() {
    let ok = [
        (MatchField::Integration, "crm-sync"),
        (MatchField::Team, "crm-ops"),
        (MatchField::Class, "client_auth_failed"),
        (MatchField::Class, "secret_expiring"),
        (MatchField::Check, "expiry"),
    ];
    for (field, value) in ok {
        assert_eq!(m(field, value).to_string(), format!("{field}={value}"));
    }
    let bad = [
        (MatchField::Team, "", MatcherProblem::Empty),
        (
            MatchField::Team,
            "CRM Ops",
            MatcherProblem::NotValidForField,
        ),
        (
            MatchField::Integration,
            "crm_sync",
            MatcherProblem::NotValidForField,
        ),
        (
            MatchField::Class,
            "auth_failed",
            MatcherProblem::NotValidForField,
        ),
        (MatchField::Check, "Auth", MatcherProblem::NotValidForField),
    ];
    for (field, value, problem) in bad {
        let err = Matcher::new(field, value).unwrap_err();
        assert!(
            matches!(&err, SilenceError::InvalidMatcher { field: f, problem: p, .. } if *f == field && *p == problem),
            "{err:?}"
        );
        assert!(err.to_string().starts_with(&format!("--{field} ")), "{err}");
    }
    let long = "a".repeat(MATCHER_VALUE_MAX_CHARS + 1);
    let err = Matcher::new(MatchField::Team, long.clone()).unwrap_err();
    assert!(matches!(
        err,
        SilenceError::InvalidMatcher {
            problem: MatcherProblem::TooLong,
            ..
        }
    ));
    // The value is echoed cut short, never whole.
    assert!(!err.to_string().contains(&long), "{err}");
    let err = Matcher::new(MatchField::Team, "ops\u{1b}[2J").unwrap_err();
    assert!(err.to_string().contains("\\u{1b}"), "{err}");
}

#[test]
fn ids_are_sil_and_ten_base32_characters() {
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..200 {
        let id = SilenceId::from_rng(&mut rng);
        assert_eq!(id.as_str().len(), 14);
        assert_eq!(id.as_str().parse::<SilenceId>(), Ok(id.clone()));
        let json = serde_json::to_value(&id).unwrap();
        assert_eq!(json, serde_json::json!(id.as_str()));
        assert_eq!(serde_json::from_value::<SilenceId>(json).unwrap(), id);
    }
    assert_ne!(SilenceId::generate(), SilenceId::generate());
    for bad in [
        "",
        "sil-",
        "sil-abcdefgh2",
        "sil-abcdefgh234",
        "SIL-abcdefgh23",
        "sil-ABCDEFGH23",
        "sil-abcdefgh18",
        " sil-abcdefgh23",
        "sil-abcdefgh23 ",
        "sil_abcdefgh23",
        "sil-abcdéfgh2",
    ] {
        let err = bad.parse::<SilenceId>().unwrap_err();
        assert!(err.to_string().contains("is not a silence id"), "{err}");
        assert!(serde_json::from_value::<SilenceId>(serde_json::json!(bad)).is_err());
    }
}

#[test]
fn a_valid_silence_is_made_and_cut_to_milliseconds() {
    let start = t0() + TimeDelta::nanoseconds(1_234_567);
    let s = Silence::new(
        id(),
        vec![
            m(MatchField::Team, "crm-ops"),
            m(MatchField::Team, "crm-ops"),
        ],
        start,
        at(60),
        "r".into(),
        "b".into(),
        start,
    )
    .unwrap();
    assert_eq!(
        s.matchers,
        vec![m(MatchField::Team, "crm-ops")],
        "repeats dropped"
    );
    assert_eq!(s.starts_at, t0() + TimeDelta::milliseconds(1));
    assert_eq!(s.created_at, s.starts_at);
    assert_eq!(s.expired, None);
}

#[test]
fn bounds_are_refused_with_what_to_do() {
    let team = || m(MatchField::Team, "crm-ops");
    let cases: Vec<(Result<Silence, SilenceError>, &str)> = vec![
        (silence(vec![], 0, 60), "at least one matcher"),
        (
            silence(
                (0..=MATCHERS_MAX)
                    .map(|i| m(MatchField::Integration, &format!("i{i}")))
                    .collect(),
                0,
                60,
            ),
            "at most 10 matchers",
        ),
        (
            silence(vec![team(), m(MatchField::Team, "web-ops")], 0, 60),
            "--team is given twice, \"crm-ops\" and \"web-ops\"",
        ),
        (silence(vec![team()], -120, 0), "is not after now"),
        (silence(vec![team()], -120, -60), "is not after now"),
        (silence(vec![team()], 120, 60), "before it starts"),
        (
            silence(vec![team()], 0, MAX_SILENCE_DAYS * 1440 + 1),
            "at most 90 days",
        ),
    ];
    for (result, expected) in cases {
        let err = result.unwrap_err();
        assert!(err.to_string().contains(expected), "{err} / {expected}");
    }
    assert!(
        silence(vec![team()], 0, MAX_SILENCE_DAYS * 1440).is_ok(),
        "90 days exactly"
    );
    assert!(silence(vec![team()], 0, 1).is_ok());
    let text = |reason: &str, by: &str| {
        Silence::new(
            id(),
            vec![team()],
            at(0),
            at(60),
            reason.into(),
            by.into(),
            at(0),
        )
    };
    let bad = [
        (text("", "dana"), "--reason is empty"),
        (text("   ", "dana"), "--reason is empty"),
        (
            text(&"r".repeat(REASON_MAX_CHARS + 1), "dana"),
            "--reason is 501 characters",
        ),
        (
            text("line\nbreak", "dana"),
            "--reason holds the control character U+000A",
        ),
        (text("ok", ""), "--by is empty"),
        (
            text("ok", &"b".repeat(CREATED_BY_MAX_CHARS + 1)),
            "--by is 101 characters",
        ),
        (
            text("ok", "\u{202e}dana"),
            "--by holds the control character U+202E",
        ),
    ];
    for (result, expected) in bad {
        let err = result.unwrap_err();
        assert!(err.to_string().starts_with(expected), "{err} / {expected}");
    }
    assert!(
        text(
            &"r".repeat(REASON_MAX_CHARS),
            &"b".repeat(CREATED_BY_MAX_CHARS)
        )
        .is_ok()
    );
}

#[test]
fn rules_never_carry_a_value() {
    let secretish = "zz-value-that-must-not-leak";
    let errors = [
        Matcher::new(MatchField::Class, secretish).unwrap_err(),
        silence(
            vec![
                m(MatchField::Team, "a-team"),
                m(MatchField::Team, secretish),
            ],
            0,
            60,
        )
        .unwrap_err(),
    ];
    for err in errors {
        assert!(
            err.to_string().contains(secretish),
            "the message echoes for the user"
        );
        assert!(!err.rule().contains(secretish), "{}", err.rule());
    }
}

#[test]
fn all_matchers_must_match() {
    let s = silence(
        vec![m(MatchField::Team, "crm-ops"), m(MatchField::Check, "auth")],
        0,
        60,
    )
    .unwrap();
    assert!(s.matches(&labels()));
    for other in [
        Labels {
            team: "web-ops",
            ..labels()
        },
        Labels {
            check: "expiry",
            ..labels()
        },
    ] {
        assert!(!s.matches(&other), "{other:?}");
    }
    let each = [
        (
            MatchField::Integration,
            "crm-sync",
            Labels {
                integration: "other",
                ..labels()
            },
        ),
        (
            MatchField::Class,
            "client_auth_failed",
            Labels {
                class: "not_probed",
                ..labels()
            },
        ),
    ];
    for (field, value, other) in each {
        let s = silence(vec![m(field, value)], 0, 60).unwrap();
        assert!(s.matches(&labels()));
        assert!(!s.matches(&other));
    }
}

#[test]
fn states_follow_the_half_open_range_and_an_early_end() {
    let mut s = silence(vec![m(MatchField::Team, "crm-ops")], 30, 90).unwrap();
    let table = [
        (29, SilenceState::Pending, false),
        (30, SilenceState::Active, true),
        (89, SilenceState::Active, true),
        (90, SilenceState::Expired, false),
    ];
    for (minute, state, active) in table {
        assert_eq!(s.state(at(minute)), state, "{minute}");
        assert_eq!(s.is_active(at(minute)), active, "{minute}");
    }
    assert_eq!(s.effective_end(), at(90));
    s.expired = Some(Expired {
        at: at(60),
        by: Some("lee".into()),
    });
    assert_eq!(s.effective_end(), at(60));
    assert_eq!(s.state(at(59)), SilenceState::Active);
    assert_eq!(s.state(at(60)), SilenceState::Expired);
    // Expired after its end: the end stays.
    s.expired = Some(Expired {
        at: at(120),
        by: None,
    });
    assert_eq!(s.effective_end(), at(90));
    // Expired before it started: never active.
    s.expired = Some(Expired {
        at: at(10),
        by: None,
    });
    assert_eq!(s.state(at(5)), SilenceState::Pending);
    assert_eq!(s.state(at(30)), SilenceState::Expired);
    assert!(!s.is_active(at(30)));
    assert_eq!(
        [
            SilenceState::Pending,
            SilenceState::Active,
            SilenceState::Expired
        ]
        .map(SilenceState::as_str),
        ["pending", "active", "expired"]
    );
}
