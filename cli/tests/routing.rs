//! Routing as config as code against moto_server: `inventory plan|apply --topic` keeps the
//! email subscriptions credwatch owns in line with the teams' `notify` blocks, never touching
//! the others, and the filter policies route each team exactly its messages (SQS queues with
//! the same policies stand in for the mailboxes, which moto cannot deliver to).

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_sns::types::MessageAttributeValue;
use credwatch::domain::severity::Severity;
use credwatch::rules::subscriptions::filter_policy;
use credwatch_tests::Scratch;
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::sns::{attribute, drain, subscribed_queue};
use serde_json::Value;

fn credwatch(args: &[&str]) -> tokio::process::Command {
    credwatch_tests::cli::command(env!("CARGO_BIN_EXE_credwatch").as_ref(), args)
}

async fn run(args: &[&str]) -> (i32, String, String) {
    credwatch_tests::cli::run(credwatch(args)).await
}

fn write(dir: &Path, name: &str, yaml: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, yaml).expect("write inventory");
    path.display().to_string()
}

/// An inventory whose teams are `(id, emails, min_severity)`.
fn inventory(teams: &[(&str, &[&str], &str)]) -> String {
    let mut yaml = String::from("version: 1\nteams:\n");
    for (id, emails, min) in teams {
        yaml.push_str(&format!(
            "  - id: {id}\n    name: Team {id}\n    notify:\n      email: [{}]\n      min_severity: {min}\n",
            emails.join(", ")
        ));
    }
    yaml.push_str("integrations: []\n");
    yaml
}

/// Email subscriptions of the topic: address -> filter policy (as SNS holds it).
async fn email_subscriptions(
    sns: &aws_sdk_sns::Client,
    topic: &str,
) -> BTreeMap<String, Option<Value>> {
    let listed = sns
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .send()
        .await
        .expect("list subscriptions");
    let mut found = BTreeMap::new();
    for sub in listed.subscriptions() {
        if sub.protocol() != Some("email") {
            continue;
        }
        let arn = sub.subscription_arn().expect("an ARN");
        let attributes = sns
            .get_subscription_attributes()
            .subscription_arn(arn)
            .send()
            .await
            .expect("attributes");
        let policy = attributes
            .attributes()
            .and_then(|a| a.get("FilterPolicy"))
            .map(|p| serde_json::from_str(p).expect("a JSON policy"));
        found.insert(sub.endpoint().expect("an endpoint").to_string(), policy);
    }
    found
}

fn policy(team: &str, min: Severity) -> Option<Value> {
    Some(serde_json::from_str(&filter_policy(team, min)).expect("JSON"))
}

/// `team/severity` of every message waiting in the queue (SNS's JSON envelope carries the
/// attributes).
async fn received(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut seen: Vec<String> = drain(sqs, url)
        .await
        .iter()
        .map(|envelope| {
            format!(
                "{}/{}",
                attribute(envelope, "team"),
                attribute(envelope, "severity")
            )
        })
        .collect();
    seen.sort();
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_with_a_topic_keeps_owned_subscriptions_in_line_and_leaves_the_others() {
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let scratch = Scratch::new("cli-routing");
    let table = unique_name("routing");
    let topic = sns
        .create_topic()
        .name(unique_name("alerts"))
        .send()
        .await
        .expect("create topic")
        .topic_arn()
        .expect("a topic ARN")
        .to_string();
    let (code, _, stderr) = run(&["table", "create", "--table", &table]).await;
    assert_eq!(code, 0, "{stderr}");

    // Not credwatch's: a queue receiving everything (as a Chatbot or Lambda would) and a
    // hand-made email subscription without credwatch's policy.
    let everything = subscribed_queue(&sqs, &sns, &topic, None).await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("email")
        .endpoint("boss@example.com")
        .send()
        .await
        .expect("hand-made subscription");

    let first = write(
        scratch.path(),
        "first.yaml",
        &inventory(&[
            ("platform", &["platform@example.com"], "low"),
            ("web", &["web@example.com"], "high"),
            ("crm-ops", &["crm@example.com", "crm-2@example.com"], "low"),
        ]),
    );

    // Without --topic nothing about subscriptions changes, and the plan says so.
    let (code, stdout, stderr) = run(&["inventory", "plan", &first, "--table", &table]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Alert subscriptions: not checked"),
        "{stdout}"
    );

    let (code, stdout, stderr) = run(&[
        "inventory",
        "plan",
        &first,
        "--table",
        &table,
        "--topic",
        &topic,
        "--format",
        "json",
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_str(&stdout).expect("JSON");
    let creates: Vec<(&str, &str)> = plan["subscriptions"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            assert_eq!(c["action"], "create");
            (
                c["team"].as_str().expect("team"),
                c["endpoint"].as_str().expect("endpoint"),
            )
        })
        .collect();
    assert_eq!(
        creates,
        [
            ("crm-ops", "crm-2@example.com"),
            ("crm-ops", "crm@example.com"),
            ("platform", "platform@example.com"),
            ("web", "web@example.com"),
        ]
    );
    assert_eq!(plan["subscriptions"]["foreign"], 2);
    assert_eq!(
        email_subscriptions(&sns, &topic).await.len(),
        1,
        "plan changes nothing"
    );

    let (code, stdout, stderr) = run(&[
        "inventory",
        "apply",
        &first,
        "--table",
        &table,
        "--topic",
        &topic,
    ])
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("+ subscription web@example.com (team web, high and above): created"),
        "{stdout}"
    );
    let subscribed = email_subscriptions(&sns, &topic).await;
    let expected: BTreeMap<String, Option<Value>> = [
        ("boss@example.com", None),
        ("crm-2@example.com", policy("crm-ops", Severity::Low)),
        ("crm@example.com", policy("crm-ops", Severity::Low)),
        ("platform@example.com", policy("platform", Severity::Low)),
        ("web@example.com", policy("web", Severity::High)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(subscribed, expected);
    assert_eq!(
        subscribed["web@example.com"],
        Some(serde_json::json!({"team": ["web"], "severity": ["critical", "high"]}))
    );

    // Rerunning changes nothing.
    let (code, stdout, _) = run(&[
        "inventory",
        "plan",
        &first,
        "--table",
        &table,
        "--topic",
        &topic,
        "--format",
        "json",
    ])
    .await;
    assert_eq!(code, 0);
    let again: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(again["subscriptions"]["changes"], serde_json::json!([]));
    assert_eq!(again["subscriptions"]["unchanged"], 4);
    let (_, stdout, _) = run(&[
        "inventory",
        "plan",
        &first,
        "--table",
        &table,
        "--topic",
        &topic,
    ])
    .await;
    assert!(stdout.contains("already match the inventory"), "{stdout}");

    // The policies route: queues subscribed with the same policies receive exactly their
    // team's messages at or above the threshold.
    let web = subscribed_queue(
        &sqs,
        &sns,
        &topic,
        Some(&filter_policy("web", Severity::High)),
    )
    .await;
    let crm = subscribed_queue(
        &sqs,
        &sns,
        &topic,
        Some(&filter_policy("crm-ops", Severity::Low)),
    )
    .await;
    let platform = subscribed_queue(
        &sqs,
        &sns,
        &topic,
        Some(&filter_policy("platform", Severity::Low)),
    )
    .await;
    let sent = [
        ("web", "critical"),
        ("web", "high"),
        ("web", "medium"),
        ("web", "low"),
        ("crm-ops", "low"),
        ("crm-ops", "critical"),
        ("platform", "high"),
        ("nobody", "critical"),
    ];
    for (team, severity) in sent {
        sns.publish()
            .topic_arn(&topic)
            .message(format!("{team} {severity}"))
            .message_attributes(
                "team",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(team)
                    .build()
                    .expect("attribute"),
            )
            .message_attributes(
                "severity",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(severity)
                    .build()
                    .expect("attribute"),
            )
            .send()
            .await
            .expect("publish");
    }
    assert_eq!(received(&sqs, &web).await, ["web/critical", "web/high"]);
    assert_eq!(
        received(&sqs, &crm).await,
        ["crm-ops/critical", "crm-ops/low"]
    );
    assert_eq!(received(&sqs, &platform).await, ["platform/high"]);
    assert_eq!(received(&sqs, &everything).await.len(), sent.len());

    // A new threshold updates the filter; a dropped address and a dropped team lose their
    // subscriptions; the foreign ones stay.
    let second = write(
        scratch.path(),
        "second.yaml",
        &inventory(&[
            ("web", &["web@example.com"], "critical"),
            ("crm-ops", &["crm@example.com"], "low"),
        ]),
    );
    let (code, stdout, stderr) = run(&[
        "inventory",
        "apply",
        &second,
        "--table",
        &table,
        "--topic",
        &topic,
        "--format",
        "json",
    ])
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let applied: Value = serde_json::from_str(&stdout).expect("JSON");
    let actions: Vec<(&str, &str)> = applied["subscriptions"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["action"].as_str().expect("action"),
                c["endpoint"].as_str().expect("endpoint"),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("remove", "crm-2@example.com"),
            ("remove", "platform@example.com"),
            ("update_filter", "web@example.com"),
        ]
    );
    assert!(
        applied["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|r| r["error"].is_null()),
        "{applied}"
    );
    let subscribed = email_subscriptions(&sns, &topic).await;
    let expected: BTreeMap<String, Option<Value>> = [
        ("boss@example.com", None),
        ("crm@example.com", policy("crm-ops", Severity::Low)),
        ("web@example.com", policy("web", Severity::Critical)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(subscribed, expected);
    let (_, stdout, _) = run(&[
        "inventory",
        "plan",
        &second,
        "--table",
        &table,
        "--topic",
        &topic,
        "--format",
        "json",
    ])
    .await;
    let settled: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(settled["subscriptions"]["changes"], serde_json::json!([]));
    assert_eq!(settled["plan"]["teams_removed"], serde_json::json!([]));

    // Status names who is reachable: platform is no longer defined.
    let (code, stdout, stderr) = run(&[
        "status", "--table", &table, "--topic", &topic, "--format", "json",
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    let status: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(status["integrations"], serde_json::json!([]));
    assert_eq!(
        status["routing"]["unreachable"],
        serde_json::json!(["platform"])
    );
    assert_eq!(status["routing"]["pending"], serde_json::json!([]));
    let confirmed: Vec<&str> = status["routing"]["confirmed"]
        .as_array()
        .expect("confirmed")
        .iter()
        .map(|c| c["team"].as_str().expect("team"))
        .collect();
    assert_eq!(confirmed.len(), 2, "{status}");
    assert!(confirmed.contains(&"web") && confirmed.contains(&"crm-ops"));
    let (code, stdout, _) = run(&["status", "--table", &table, "--topic", &topic]).await;
    assert_eq!(code, 0);
    assert!(
        stdout.contains("! team platform: no confirmed email subscription"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_topic_is_invalid_input_and_a_missing_one_writes_nothing() {
    let scratch = Scratch::new("cli-routing-bad");
    let table = unique_name("routing-bad");
    let (code, _, stderr) = run(&["table", "create", "--table", &table]).await;
    assert_eq!(code, 0, "{stderr}");
    let file = write(
        scratch.path(),
        "inventory.yaml",
        &inventory(&[("platform", &["p@example.com"], "low")]),
    );
    let (code, _, stderr) = run(&[
        "inventory",
        "apply",
        &file,
        "--table",
        &table,
        "--topic",
        "alerts",
    ])
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not an SNS topic ARN"), "{stderr}");
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic-credwatch";
    let (code, _, stderr) = run(&[
        "inventory",
        "apply",
        &file,
        "--table",
        &table,
        "--topic",
        missing,
    ])
    .await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("could not read the subscriptions")
            && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("credwatch:"))
            .count(),
        1,
        "one line of trouble: {stderr}"
    );
    let (_, stdout, _) = run(&["inventory", "plan", &file, "--table", &table]).await;
    assert!(
        stdout.contains("+ team platform"),
        "nothing was written: {stdout}"
    );

    // A trailing space (a copy-paste) is not an ARN either, and says so.
    let spaced = format!("{missing} ");
    let (code, _, stderr) = run(&[
        "inventory",
        "plan",
        &file,
        "--table",
        &table,
        "--topic",
        &spaced,
    ])
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not an SNS topic ARN"), "{stderr}");

    // status with a topic it cannot read still shows the integrations' health, then the
    // routing trouble, and fails.
    let (code, _, stderr) = run(&["inventory", "apply", &file, "--table", &table]).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(&[
        "status", "--table", &table, "--format", "json", "--topic", missing,
    ])
    .await;
    assert_eq!(code, 1, "{stderr}");
    let rows: Value = serde_json::from_str(&stdout).expect("the health, as JSON");
    assert!(rows.is_array(), "{rows}");
    assert!(stderr.contains("no-such-topic-credwatch"), "{stderr}");
}
