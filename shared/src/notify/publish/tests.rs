use super::*;
use crate::notify::fixtures::{self, auth, opened};
use crate::notify::notification::{Event, Notification};

fn notification(depends_on: Vec<String>, message: String, name: String) -> Notification {
    let mut incident = auth();
    incident.message = message;
    let mut integration = fixtures::integration();
    integration.depends_on = depends_on;
    integration.name = name;
    Notification::new(
        Event::Opened,
        &incident,
        &opened(&incident),
        Some(&integration),
        None,
        fixtures::now(),
    )
}

fn bodies(request: &PublishRequest) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_str(&request.message).unwrap() {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn every_protocol_has_a_string_body_and_default_is_present() {
    let request = build(
        &notification(vec![], "x".into(), "CRM".into()),
        SNS_MAX_BYTES,
    );
    let bodies = bodies(&request);
    let keys: Vec<&str> = bodies.keys().map(String::as_str).collect();
    let mut expected = PROTOCOL_KEYS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    for (key, body) in &bodies {
        assert!(body.is_string(), "{key} is not a JSON string");
    }
    assert!(!request.shortened);
}

#[test]
fn the_size_is_counted_as_sns_counts_it() {
    let mut attributes = BTreeMap::new();
    attributes.insert("team".to_string(), "crm".to_string());
    attributes.insert("é".to_string(), "ü".to_string());
    // message 3 + subject 2 + (4 + 6 + 3) + (2 + 6 + 2) bytes.
    assert_eq!(measure("ab", "{\"}", &attributes), 3 + 2 + 13 + 10);
    let request = build(
        &notification(vec![], "x".into(), "CRM".into()),
        SNS_MAX_BYTES,
    );
    assert_eq!(
        request.size(),
        request.message.len()
            + request.subject.len()
            + request
                .attributes
                .iter()
                .map(|(k, v)| k.len() + 6 + v.len())
                .sum::<usize>()
    );
}

#[test]
fn large_requests_are_shortened_in_order_and_say_so() {
    let many: Vec<String> = (0..10_000)
        .map(|i| {
            format!(
                "Journey number {i} with a long descriptive name {}",
                "x".repeat(100)
            )
        })
        .collect();
    let long_message = "SFMC said ".to_string() + &"word ".repeat(40_000);
    for (case, n, must_say) in [
        (
            "10,000-item depends_on",
            notification(many.clone(), "short".into(), "CRM".into()),
            "more",
        ),
        (
            "200 KB message and a huge name",
            notification(
                vec!["Welcome".into()],
                long_message.clone(),
                "N".repeat(200_000),
            ),
            "…",
        ),
        (
            "everything at once",
            notification(many.clone(), long_message.clone(), "😀".repeat(50_000)),
            "more",
        ),
    ] {
        let request = build(&n, SNS_MAX_BYTES);
        assert!(
            request.size() <= SNS_MAX_BYTES,
            "{case}: {}",
            request.size()
        );
        let email = bodies(&request)["email"].as_str().unwrap().to_string();
        assert!(email.contains(must_say), "{case}: {email}");
        assert!(email.contains("loyalty-feed:auth:3/opened"), "{case}");
    }
    let request = build(
        &notification(many.clone(), "short".into(), "CRM".into()),
        SNS_MAX_BYTES,
    );
    assert!(request.shortened);
    let doc: serde_json::Value =
        serde_json::from_str(bodies(&request)["sqs"].as_str().unwrap()).unwrap();
    assert_eq!(doc["shortened"], true);
    assert_eq!(doc["integration"]["depends_on_total"], 10_000);
}

#[test]
fn shortening_takes_depends_on_first_and_sfmc_words_only_when_needed() {
    let many: Vec<String> = (0..60).map(|i| format!("Job {i}")).collect();
    let n = notification(many, "SFMC words here".into(), "CRM".into());
    let full = build(&n, SNS_MAX_BYTES);
    // A limit just under the full size: the first step (50 entries) is enough.
    let request = build(&n, full.size() - 1);
    let email = bodies(&request)["email"].as_str().unwrap().to_string();
    assert!(email.contains("... and 10 more"), "{email}");
    assert!(email.contains("SFMC words here"));
    // A tiny limit: the last step, every part bounded, still a valid request.
    let request = build(&n, 1);
    assert!(request.shortened);
    let email = bodies(&request)["email"].as_str().unwrap().to_string();
    assert!(email.contains("60 entries (see the inventory)"), "{email}");
}
