//! `ingest:` of an integration: log groups and EventBridge sources, their syntax, duplicates
//! and the rule that each binds to one integration only.

use super::{Case, INT, check_single_problems, parse, problems, with_integration};
use crate::inventory::{IngestBinding, event_source_problem, log_group_problem};

fn ingest(value: &str) -> String {
    with_integration(&[("ingest", Some(value))])
}

#[test]
fn log_groups_and_event_sources_are_read_in_order() {
    let loaded = parse(&ingest(
        "{ log_groups: [/aws/lambda/orders-sync, \"app#1/sfmc.calls_v2\"], event_sources: [com.acme.orders-sync, Acme/Orders] }",
    ))
    .unwrap();
    assert_eq!(
        loaded.inventory.integrations[0].ingest,
        IngestBinding {
            log_groups: vec![
                "/aws/lambda/orders-sync".into(),
                "app#1/sfmc.calls_v2".into()
            ],
            event_sources: vec!["com.acme.orders-sync".into(), "Acme/Orders".into()],
        }
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn absent_empty_or_null_ingest_binds_nothing() {
    for yaml in [
        with_integration(&[]),
        ingest("{}"),
        ingest("{ log_groups: [], event_sources: }"),
        ingest("~"),
    ] {
        let loaded = parse(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        assert_eq!(
            loaded.inventory.integrations[0].ingest,
            IngestBinding::default()
        );
    }
}

#[test]
fn each_rule_is_one_problem_naming_the_field() {
    let long_group = format!("/{}", "a".repeat(512));
    let long_source = "s".repeat(257);
    let many = format!(
        "{{ log_groups: [{}] }}",
        (0..21)
            .map(|i| format!("g{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let cases: Vec<Case> = vec![
        (
            "not a mapping",
            ingest("[a]"),
            INT,
            "ingest",
            "expected a mapping",
        ),
        (
            "unknown key",
            ingest("{ log_group: [a] }"),
            INT,
            "ingest.log_group",
            "unknown key \"log_group\"",
        ),
        (
            "not a list",
            ingest("{ log_groups: /aws/lambda/x }"),
            INT,
            "ingest.log_groups",
            "expected a list",
        ),
        (
            "bad log group character",
            ingest("{ log_groups: [\"/aws/lambda/orders sync\"] }"),
            INT,
            "ingest.log_groups[0]",
            "only letters, digits and . - _ / #",
        ),
        (
            "log group too long",
            ingest(&format!("{{ log_groups: [\"{long_group}\"] }}")),
            INT,
            "ingest.log_groups[0]",
            "at most 512 characters",
        ),
        (
            "log group listed twice",
            ingest("{ log_groups: [/a, /b, /a] }"),
            INT,
            "ingest.log_groups[2]",
            "is listed twice (also ingest.log_groups[0])",
        ),
        (
            "too many log groups",
            ingest(&many),
            INT,
            "ingest.log_groups",
            "lists 21 entries; at most 20",
        ),
        (
            "AWS's own source",
            ingest("{ event_sources: [aws.ec2] }"),
            INT,
            "ingest.event_sources[0]",
            "starts with aws.",
        ),
        (
            "source with a space",
            ingest("{ event_sources: [\"com.acme orders\"] }"),
            INT,
            "ingest.event_sources[0]",
            "without spaces",
        ),
        (
            "source too long",
            ingest(&format!("{{ event_sources: [\"{long_source}\"] }}")),
            INT,
            "ingest.event_sources[0]",
            "at most 256 characters",
        ),
        (
            "source listed twice",
            ingest("{ event_sources: [com.acme.a, com.acme.a] }"),
            INT,
            "ingest.event_sources[1]",
            "is listed twice (also ingest.event_sources[0])",
        ),
        (
            "source not text",
            ingest("{ event_sources: [12] }"),
            INT,
            "ingest.event_sources[0]",
            "expected text",
        ),
    ];
    check_single_problems(cases);
}

/// Two integrations, `crm-contact-sync` with `first` and `orders-sync` with `second`.
fn two(first: &str, second: &str) -> String {
    let base = ingest(first);
    format!(
        "{base}  - id: orders-sync\n    name: Orders sync\n    owner: crm-ops\n    severity: high\n    \
         auth_url: {}\n    client_id: 1m0het6mqknzv0uebqlvoo42\n    client_secret: {{ env: ORDERS_SECRET }}\n    \
         ingest: {second}\n",
        super::AUTH_URL
    )
}

#[test]
fn a_log_group_or_source_bound_to_two_integrations_names_both() {
    let found = problems(&two(
        "{ log_groups: [/aws/lambda/shared], event_sources: [com.acme.shared] }",
        "{ log_groups: [/aws/lambda/own, /aws/lambda/shared], event_sources: [com.acme.shared] }",
    ));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].location, "integrations[1] (orders-sync)");
    assert_eq!(found[0].field, "ingest.log_groups[1]");
    assert_eq!(found[0].value.as_deref(), Some("/aws/lambda/shared"));
    assert!(
        found[0]
            .message
            .contains("is also bound to integration crm-contact-sync (ingest.log_groups)"),
        "{}",
        found[0]
    );
    assert!(found[0].message.contains("orders-sync"), "{}", found[0]);
    assert_eq!(found[1].field, "ingest.event_sources[0]");
    assert!(
        found[1]
            .message
            .contains("integration crm-contact-sync (ingest.event_sources)"),
        "{}",
        found[1]
    );
    // The same name as a log group of one and a source of the other is no clash.
    assert!(
        parse(&two(
            "{ log_groups: [com.acme.x] }",
            "{ event_sources: [com.acme.x] }"
        ))
        .is_ok()
    );
}

#[test]
fn the_syntax_rules_are_cloudwatchs_and_eventbridges() {
    assert_eq!(log_group_problem("/aws/lambda/orders-sync"), None);
    assert_eq!(log_group_problem(&"a".repeat(512)), None);
    assert!(log_group_problem(&"a".repeat(513)).is_some());
    assert!(log_group_problem("").is_some());
    for bad in ["a b", "a:b", "a*", "é", "a\nb"] {
        assert!(log_group_problem(bad).is_some(), "{bad:?}");
    }
    assert_eq!(event_source_problem("com.acme.orders-sync"), None);
    assert_eq!(event_source_problem("Acme:Orders/1"), None);
    assert_eq!(event_source_problem(&"s".repeat(256)), None);
    for bad in [
        "",
        "aws.events",
        "AWS.partner",
        "a b",
        "a\tb",
        "a\u{202e}b",
        &"s".repeat(257),
    ] {
        assert!(event_source_problem(bad).is_some(), "{bad:?}");
    }
    // `aws` alone or as a longer word is the integration's own.
    assert_eq!(event_source_problem("awsome.app"), None);
}

/// `inventory plan` names `ingest` when the binding changed (and nothing else).
#[test]
fn a_changed_binding_is_a_changed_field_of_the_plan() {
    let before = parse(&ingest("{ log_groups: [/a] }")).unwrap().inventory;
    let after = parse(&ingest("{ log_groups: [/a, /b] }"))
        .unwrap()
        .inventory;
    assert_eq!(
        crate::jobs::inventory_sync::changed_fields(
            &before.integrations[0],
            &after.integrations[0]
        ),
        ["ingest"]
    );
    assert!(
        crate::jobs::inventory_sync::changed_fields(
            &before.integrations[0],
            &before.integrations[0]
        )
        .is_empty()
    );
}

/// A repeat names the place of the first one as written, bad entries before it counted too.
#[test]
fn a_repeat_names_the_first_place_as_written() {
    let found = problems(&ingest(
        "{ log_groups: [\"\", /x, /y, /x], event_sources: [aws.events, \"com acme\", com.acme.x, com.acme.x] }",
    ));
    let repeat = |field: &str| {
        found
            .iter()
            .find(|p| p.field == field)
            .unwrap_or_else(|| panic!("{field} in {found:#?}"))
            .message
            .clone()
    };
    assert!(
        repeat("ingest.log_groups[3]").contains("(also ingest.log_groups[1])"),
        "{found:#?}"
    );
    assert!(
        repeat("ingest.event_sources[3]").contains("(also ingest.event_sources[2])"),
        "{found:#?}"
    );
}
