use std::collections::BTreeSet;

use super::*;
use crate::inventory::Notify;

fn team(id: &str, emails: &[&str], min: Severity) -> Team {
    Team {
        id: id.into(),
        name: id.to_uppercase(),
        timezone: None,
        business_hours: None,
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        notify: Notify {
            email: emails.iter().map(|e| e.to_string()).collect(),
            min_severity: min,
            ..Notify::default()
        },
        maintenance: Vec::new(),
    }
}

fn email(endpoint: &str, arn: Option<&str>, policy: Option<String>) -> Subscription {
    Subscription {
        arn: arn.map(str::to_string),
        protocol: EMAIL_PROTOCOL.into(),
        endpoint: endpoint.into(),
        filter_policy: policy,
    }
}

fn known<'a>(ids: &[&'a str]) -> BTreeSet<&'a str> {
    ids.iter().copied().collect()
}

#[test]
fn the_filter_policy_lists_the_team_and_every_severity_down_to_the_threshold() {
    let cases = [
        (Severity::Critical, r#"["critical"]"#),
        (Severity::High, r#"["critical","high"]"#),
        (Severity::Medium, r#"["critical","high","medium"]"#),
        (Severity::Low, r#"["critical","high","medium","low"]"#),
    ];
    for (min, severities) in cases {
        let policy = filter_policy("crm-ops", min);
        assert_eq!(
            policy,
            format!(r#"{{"team":["crm-ops"],"severity":{severities}}}"#)
        );
        assert_eq!(
            route_of(&policy),
            Some(Route {
                team: "crm-ops".into(),
                min_severity: min
            })
        );
    }
}

#[test]
fn only_credwatch_s_exact_shape_is_read_as_a_route() {
    let owned = r#" { "severity": ["high", "critical"], "team": ["web"] } "#;
    assert_eq!(
        route_of(owned),
        Some(Route {
            team: "web".into(),
            min_severity: Severity::High
        }),
        "key order, severity order and whitespace do not matter"
    );
    for foreign in [
        "",
        "[]",
        "not json",
        r#"{"team":["web"]}"#,
        r#"{"severity":["critical"]}"#,
        r#"{"team":["web","crm"],"severity":["critical"]}"#,
        r#"{"team":[],"severity":["critical"]}"#,
        r#"{"team":"web","severity":["critical"]}"#,
        r#"{"team":[7],"severity":["critical"]}"#,
        r#"{"team":["web"],"severity":["high"]}"#,
        r#"{"team":["web"],"severity":["critical","medium"]}"#,
        r#"{"team":["web"],"severity":["critical","critical"]}"#,
        r#"{"team":["web"],"severity":["critical","urgent"]}"#,
        r#"{"team":["web"],"severity":[]}"#,
        r#"{"team":["web"],"severity":["critical"],"event":["opened"]}"#,
        r#"{"team":[{"prefix":"w"}],"severity":["critical"]}"#,
    ] {
        assert_eq!(route_of(foreign), None, "{foreign}");
    }
}

#[test]
fn a_first_apply_creates_one_subscription_per_address() {
    let teams = [
        team("web", &["web@example.com"], Severity::High),
        team(
            "crm-ops",
            &["a@example.com", "B@example.com"],
            Severity::Low,
        ),
        team("quiet", &[], Severity::Low),
    ];
    let plan = plan(&teams, &known(&["web", "crm-ops", "quiet"]), &[]);
    let created: Vec<(&str, &str)> = plan
        .changes
        .iter()
        .map(|c| match c {
            SubscriptionChange::Create {
                team,
                endpoint,
                filter_policy: policy,
                min_severity,
            } => {
                assert_eq!(policy, &filter_policy(team, *min_severity));
                (team.as_str(), endpoint.as_str())
            }
            other => panic!("only creates: {other:?}"),
        })
        .collect();
    assert_eq!(
        created,
        [
            ("crm-ops", "B@example.com"),
            ("crm-ops", "a@example.com"),
            ("web", "web@example.com")
        ]
    );
    assert!(!plan.is_empty());
}

#[test]
fn an_applied_topic_plans_nothing_and_foreign_subscriptions_are_left_alone() {
    let teams = [team("web", &["Web@Example.com"], Severity::High)];
    let current = [
        email(
            "web@example.com",
            Some("arn:sub:1"),
            Some(filter_policy("web", Severity::High)),
        ),
        Subscription {
            arn: Some("arn:sub:chatbot".into()),
            protocol: "https".into(),
            endpoint: "https://global.sns-api.chatbot.amazonaws.com".into(),
            filter_policy: None,
        },
        email("boss@example.com", Some("arn:sub:2"), None),
        // credwatch's shape for a team nobody knows: not credwatch's.
        email(
            "other@example.com",
            Some("arn:sub:3"),
            Some(filter_policy("elsewhere", Severity::Low)),
        ),
    ];
    let plan = plan(&teams, &known(&["web"]), &current);
    assert!(plan.is_empty(), "{plan:?}");
    assert_eq!((plan.unchanged, plan.foreign), (1, 3));
    assert!(plan.conflicts.is_empty() && plan.pending.is_empty());
}

#[test]
fn a_new_threshold_or_team_updates_the_filter_and_a_dropped_address_is_removed() {
    let current = [
        email(
            "a@example.com",
            Some("arn:a"),
            Some(filter_policy("web", Severity::Low)),
        ),
        email(
            "b@example.com",
            Some("arn:b"),
            Some(filter_policy("web", Severity::High)),
        ),
        email(
            "gone@example.com",
            Some("arn:gone"),
            Some(filter_policy("old-team", Severity::High)),
        ),
    ];
    let teams = [
        team("web", &["a@example.com"], Severity::Critical),
        team("crm", &["b@example.com"], Severity::High),
    ];
    let plan = plan(&teams, &known(&["web", "crm", "old-team"]), &current);
    assert_eq!(
        plan.changes,
        [
            SubscriptionChange::UpdateFilter {
                team: "crm".into(),
                endpoint: "b@example.com".into(),
                arn: "arn:b".into(),
                from: Route {
                    team: "web".into(),
                    min_severity: Severity::High
                },
                min_severity: Severity::High,
                filter_policy: filter_policy("crm", Severity::High),
            },
            SubscriptionChange::Remove {
                team: "old-team".into(),
                endpoint: "gone@example.com".into(),
                arn: "arn:gone".into(),
            },
            SubscriptionChange::UpdateFilter {
                team: "web".into(),
                endpoint: "a@example.com".into(),
                arn: "arn:a".into(),
                from: Route {
                    team: "web".into(),
                    min_severity: Severity::Low
                },
                min_severity: Severity::Critical,
                filter_policy: filter_policy("web", Severity::Critical),
            },
        ]
    );
    assert_eq!(plan.unchanged, 0);
}

#[test]
fn pending_addresses_are_not_subscribed_again_and_foreign_holders_are_conflicts() {
    let teams = [team(
        "web",
        &["pending@example.com", "held@example.com"],
        Severity::Low,
    )];
    let current = [
        email("pending@example.com", None, None),
        email("stranger@example.com", None, None),
        email(
            "held@example.com",
            Some("arn:held"),
            Some(r#"{"event":["opened"]}"#.into()),
        ),
    ];
    let plan = plan(&teams, &known(&["web"]), &current);
    assert!(plan.changes.is_empty(), "{plan:?}");
    assert_eq!(
        plan.pending,
        [
            Pending {
                endpoint: "pending@example.com".into(),
                team: Some("web".into())
            },
            Pending {
                endpoint: "stranger@example.com".into(),
                team: None
            },
        ]
    );
    assert_eq!(
        plan.conflicts,
        [Conflict {
            team: "web".into(),
            endpoint: "held@example.com".into(),
            filter_policy: Some(r#"{"event":["opened"]}"#.into()),
        }]
    );
    assert_eq!(plan.foreign, 0);
}

#[test]
fn a_second_owned_subscription_of_one_address_is_removed() {
    let teams = [team("web", &["a@example.com"], Severity::Low)];
    let policy = filter_policy("web", Severity::Low);
    let current = [
        email("a@example.com", Some("arn:1"), Some(policy.clone())),
        email("A@example.com", Some("arn:2"), Some(policy)),
    ];
    let plan = plan(&teams, &known(&["web"]), &current);
    assert_eq!(plan.unchanged, 1);
    assert_eq!(
        plan.changes,
        [SubscriptionChange::Remove {
            team: "web".into(),
            endpoint: "A@example.com".into(),
            arn: "arn:2".into()
        }]
    );
}

#[test]
fn reachability_names_pending_addresses_and_teams_nobody_confirmed() {
    let teams = [
        team("web", &["web@example.com"], Severity::High),
        team("crm", &["crm@example.com"], Severity::Low),
        team("quiet", &[], Severity::Low),
    ];
    let current = [
        email(
            "web@example.com",
            Some("arn:web"),
            Some(filter_policy("web", Severity::High)),
        ),
        email("CRM@example.com", None, None),
        email("hand@example.com", Some("arn:hand"), None),
        Subscription {
            arn: Some("arn:q".into()),
            protocol: "sqs".into(),
            endpoint: "arn:aws:sqs:us-east-1:1:q".into(),
            filter_policy: Some(filter_policy("quiet", Severity::Low)),
        },
    ];
    let seen = reachability(&teams, &current);
    assert_eq!(
        seen.confirmed,
        [Confirmed {
            endpoint: "web@example.com".into(),
            team: "web".into(),
            min_severity: Severity::High
        }]
    );
    assert_eq!(
        seen.pending,
        [Pending {
            endpoint: "CRM@example.com".into(),
            team: Some("crm".into())
        }]
    );
    assert_eq!(seen.unreachable, ["crm", "quiet", "platform"]);
    assert_eq!(seen.foreign, 2);
    let with_platform = [
        team("platform", &["p@example.com"], Severity::Low),
        team("web", &[], Severity::Low),
    ];
    let platform_ok = [email(
        "p@example.com",
        Some("arn:p"),
        Some(filter_policy("platform", Severity::Low)),
    )];
    assert_eq!(
        reachability(&with_platform, &platform_ok).unreachable,
        ["web"]
    );
}

#[test]
fn severities_at_least_is_a_prefix_of_the_order() {
    assert_eq!(
        severities_at_least(Severity::Critical),
        [Severity::Critical]
    );
    assert_eq!(severities_at_least(Severity::Low), SEVERITIES);
    assert_eq!(
        severities_at_least(Severity::Medium),
        [Severity::Critical, Severity::High, Severity::Medium]
    );
}
