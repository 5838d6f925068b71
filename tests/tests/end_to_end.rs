//! One alert from a schedule tick to a person, on a stack created from `infra/template.yaml`
//! on moto (`credwatch_tests::stack`), with the release binaries as Lambda runs them: the
//! environment of each function is what Lambda's GetFunctionConfiguration answers for the
//! created function, plus the test's endpoint and credentials.
//!
//! `credwatch inventory apply` (the CLI, against the stack's table and topic) -> the
//! EventBridge scheduled event to `credwatch-probe` -> an incident in the stack's table -> the
//! table's stream (moto's DynamoDB Streams), filtered by the mapping's pattern as Lambda would ->
//! `credwatch-alert-fanout` -> the stack's KMS-encrypted topic -> an SQS queue subscribed with
//! the team's email filter policy (moto sends no email) -> the publish's `lambda` body, as the
//! SNS event of the created lambda subscription, to `credwatch-slack-notify` -> a post at the
//! Slack stand-in (the team's webhook, read from Secrets Manager under the stack's Slack
//! prefix), and Slack's answer on the notification record.

use credwatch::notify::delivery::SlackPostState;
use credwatch::store::Notifications;
use credwatch::store::dynamo::DynamoStore;
use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::aws::{child_env, sdk_config, unique_name};
use credwatch_tests::slack::SlackStandIn;
use credwatch_tests::sns::{
    attribute, drain, email_policies, lambda_event, publishes, subscribed_queue,
};
use credwatch_tests::stack::Stack;
use credwatch_tests::streams::StreamReader;
use credwatch_tests::{SYNC_SCOPES, Scratch};
use serde_json::{Value, json};

const REVOKED: &str = "Stale7Secret3Nobody2Uses";
const VALID: &str = "Zq4Wm8Rt2Yp6Kx1Nc5Vb9Hd3";
/// The secret part of the team's Slack webhook URL: it must appear nowhere but in the post.
const HOOK: &str = "hk7Qe2Lm9Xw4Rt6Yz1Pb3Nc8";

/// What the test adds to a created function's environment: moto's endpoint and test
/// credentials, and the simulator (plain http on 127.0.0.1) allowed as an SFMC endpoint.
fn test_env() -> Vec<(&'static str, String)> {
    let mut env = child_env();
    env.push((credwatch::config::ALLOW_ANY_ENDPOINT_VAR, "1".into()));
    env
}

/// The EventBridge "Scheduled Event" `rule` sends (EventBridge user guide, scheduled events).
fn scheduled_event(rule_arn: &str) -> Value {
    json!({
        "version": "0",
        "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": "us-east-1",
        "resources": [rule_arn],
        "detail": {}
    })
}

/// The created schedule rule that targets function `logical_id`: its ARN.
fn schedule_of(stack: &Stack, logical_id: &str) -> String {
    let arn = &stack.function(logical_id)["configuration"]["FunctionArn"];
    stack.created["rules"]
        .as_object()
        .expect("rules")
        .values()
        .find(|rule| {
            rule["ScheduleExpression"].is_string()
                && rule["Targets"]
                    .as_array()
                    .is_some_and(|targets| targets.iter().any(|t| t["Arn"] == *arn))
        })
        .and_then(|rule| rule["Arn"].as_str())
        .unwrap_or_else(|| panic!("no schedule targets {logical_id}"))
        .to_string()
}

/// `event`'s records that the stream mapping's filter admits, as Lambda filters them (this
/// pattern's shape: eventName in a list, `dynamodb.Keys.pk.S` with a prefix). The mapping is the
/// translated template's (this stack plays Lambda's stream poller, see `Stack::deploy_without`;
/// deployment.rs checks the created mapping and its filter).
fn filtered(stack: &Stack, event: &Value) -> Value {
    let mappings = stack.declared("AWS::Lambda::EventSourceMapping");
    assert_eq!(mappings.len(), 1, "one stream mapping");
    let pattern: Value = serde_json::from_str(
        mappings[0].1["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"]
            .as_str()
            .expect("the mapping's pattern"),
    )
    .expect("JSON");
    let names = pattern["eventName"]
        .as_array()
        .expect("event names")
        .clone();
    let prefix = pattern["dynamodb"]["Keys"]["pk"]["S"][0]["prefix"]
        .as_str()
        .expect("a key prefix")
        .to_string();
    let records: Vec<Value> = event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            names.contains(&r["eventName"])
                && r["dynamodb"]["Keys"]["pk"]["S"]
                    .as_str()
                    .is_some_and(|pk| pk.starts_with(&prefix))
        })
        .cloned()
        .collect();
    json!({ "Records": records })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_secret_travels_from_the_schedule_to_the_teams_queue_on_the_created_stack() {
    let stack = Stack::deploy_without(
        &credwatch_tests::cli::release_dir(),
        &["AWS::Lambda::EventSourceMapping"],
    )
    .await;
    assert_eq!(stack.status(), "CREATE_COMPLETE");
    let table = stack.output("TableName").to_string();
    let topic = stack.output("AlertTopicArn").to_string();
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let sim = Simulator::start().await.expect("the simulator starts");
    let slack = SlackStandIn::start().await;
    let scratch = Scratch::new("end-to-end");

    // The team's Slack webhook where the deployed slack-notify may read it.
    let slack_prefix = stack.environment("SlackNotifyFunction")
        [credwatch::config::SLACK_SECRET_PREFIX_VAR]
        .clone();
    let webhook_secret = format!("{slack_prefix}{}", unique_name("marketing-ops"));
    secrets
        .create_secret()
        .name(&webhook_secret)
        .secret_string(slack.webhook_url("marketing-ops", HOOK))
        .send()
        .await
        .expect("create the webhook secret");

    // The client secret where the deployed probe may read it: under its configured prefix.
    let prefix = stack.environment("ProbeFunction")[credwatch::config::SECRET_PREFIX_VAR].clone();
    let secret_name = format!("{prefix}marketing-ops/{}", unique_name("loyalty-feed"));
    secrets
        .create_secret()
        .name(&secret_name)
        .secret_string(json!({ "client_secret": REVOKED }).to_string())
        .send()
        .await
        .expect("create the client secret");
    sim.set_client(
        "loyalty-feed-client",
        ClientConfig::healthy(VALID, SYNC_SCOPES, 500_123_456),
    );
    let inventory = format!(
        "version: 1\nteams:\n  - id: marketing-ops\n    name: Marketing Operations\n    notify:\n      \
         email: [marketing-ops@example.com]\n      slack_webhook: {{ aws_secret: \"{webhook_secret}\" }}\n  - id: platform\n    name: Platform\n    notify:\n      \
         email: [platform@example.com]\nintegrations:\n  - id: loyalty-feed\n    name: Loyalty feed\n    \
         owner: marketing-ops\n    severity: high\n    auth_url: {url}\n    client_id: loyalty-feed-client\n    \
         client_secret: {{ aws_secret: \"{secret_name}\", key: client_secret }}\n    account_id: 500123456\n    \
         expected_scopes: [{scopes}]\n    depends_on: [Loyalty points journey]\n",
        url = sim.base_url(),
        scopes = SYNC_SCOPES.join(", "),
    );
    let file = scratch.path().join("inventory.yaml");
    std::fs::write(&file, inventory).expect("write the inventory");

    // The operator's step: the inventory into the stack's table, subscriptions on its topic.
    let cli = credwatch_tests::cli::release_binary("credwatch");
    let (code, out, err) = credwatch_tests::cli::run(credwatch_tests::cli::command(
        &cli,
        &[
            "inventory",
            "apply",
            "--table",
            &table,
            "--topic",
            &topic,
            "--secret-prefix",
            &prefix,
            &file.display().to_string(),
        ],
    ))
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let policies = email_policies(&sns, &topic).await;
    let mailbox = subscribed_queue(
        &sqs,
        &sns,
        &topic,
        Some(&policies["marketing-ops@example.com"]),
    )
    .await;
    let platform =
        subscribed_queue(&sqs, &sns, &topic, Some(&policies["platform@example.com"])).await;
    let mut stream = StreamReader::open(&config, &table).await;
    assert_eq!(
        filtered(&stack, &stream.next_event().await)["Records"],
        json!([]),
        "the inventory changes no incident"
    );

    // The schedule tick: the probe finds the revoked secret and opens one incident.
    let env = test_env();
    let probe = stack.start("ProbeFunction", &env).await;
    let fanout = stack.start("AlertFanoutFunction", &env).await;
    let summary = probe
        .invoke(scheduled_event(&schedule_of(&stack, "ProbeFunction")))
        .await
        .expect("the probe runs");
    assert_eq!(summary["probed"], 1, "{summary}");
    assert_eq!(summary["opened"], 1, "{summary}");

    // The table's stream, as the created mapping delivers it: the incident's insert only.
    let batch = filtered(&stack, &stream.next_event().await);
    let records = batch["Records"].as_array().expect("records");
    assert_eq!(records.len(), 1, "{batch}");
    assert_eq!(records[0]["eventName"], "INSERT");
    assert_eq!(
        records[0]["eventSourceARN"],
        stack.created["tables"]["Table"]["LatestStreamArn"]
    );
    let answer = fanout.invoke(batch).await.expect("the fan-out runs");
    assert_eq!(answer, json!({"batchItemFailures": []}));

    // SNS: one publish on the stack's topic; the team's mailbox gets it, the platform's not.
    let sent = publishes(&topic).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let got = drain(&sqs, &mailbox).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        drain(&sqs, &platform).await.is_empty(),
        "platform is not told"
    );
    let envelope = &got[0];
    assert_eq!(envelope["TopicArn"], topic.as_str());
    assert_eq!(attribute(envelope, "team"), "marketing-ops");
    assert_eq!(attribute(envelope, "event"), "opened");
    assert_eq!(attribute(envelope, "integration"), "loyalty-feed");
    let incident_id = attribute(envelope, "incident_id").to_string();
    assert!(
        incident_id.starts_with("loyalty-feed:auth:"),
        "{incident_id}"
    );

    // What slack-notify receives: the `lambda` body as an SNS event of the created lambda
    // subscription. Its document is the one the mailbox's program got, with the routing fields.
    let subscription = stack.lambda_subscription("AlertTopic", "SlackNotifyFunction");
    let event = lambda_event(&topic, &subscription, &sent[0]);
    let records = event["Records"].as_array().expect("records");
    assert_eq!(records.len(), 1);
    let sns_record = &records[0]["Sns"];
    assert_eq!(records[0]["EventSource"], "aws:sns");
    assert_eq!(sns_record["TopicArn"], topic.as_str());
    assert_eq!(
        sns_record["MessageAttributes"]["team"],
        json!({"Type": "String", "Value": "marketing-ops"})
    );
    assert_eq!(sns_record["MessageAttributes"]["event"]["Value"], "opened");
    let document: Value = serde_json::from_str(sns_record["Message"].as_str().expect("a message"))
        .expect("the lambda body is JSON");
    let queued: Value =
        serde_json::from_str(envelope["Message"].as_str().expect("the sqs body")).expect("JSON");
    assert_eq!(
        document, queued,
        "the lambda and sqs bodies are one document"
    );
    assert_eq!(
        document["schema"],
        credwatch::notify::render::document::SCHEMA
    );
    assert_eq!(document["notification_id"], format!("{incident_id}/opened"));
    assert_eq!(document["incident_id"], incident_id);
    assert_eq!(document["event"], "opened");
    assert_eq!(document["team"], "marketing-ops");
    assert_eq!(document["severity"], "high");
    assert_eq!(document["check"], "auth");
    assert_eq!(document["class"], "client_auth_failed");
    assert_eq!(document["integration"]["id"], "loyalty-feed");
    assert_eq!(
        document["integration"]["depends_on"],
        json!(["Loyalty points journey"])
    );

    // slack-notify posts it to the team's webhook as Block Kit, and records Slack's answer.
    let notify = stack.start("SlackNotifyFunction", &env).await;
    let summary = notify
        .invoke(event.clone())
        .await
        .expect("slack-notify runs");
    let posts = slack.posts_to(HOOK);
    assert_eq!(posts.len(), 1, "one post to the team's webhook: {summary}");
    let message = &posts[0].body;
    assert!(
        message["text"]
            .as_str()
            .is_some_and(|t| t.contains("Loyalty feed")),
        "{message}"
    );
    assert!(
        message["blocks"][0]["text"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("HIGH") && t.contains("Loyalty feed")),
        "{message}"
    );
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), &table);
    let incident: credwatch::domain::incident::IncidentId =
        incident_id.parse().expect("an incident id");
    let records = store
        .notifications_of(&incident)
        .await
        .expect("the notifications");
    let post = records[0].slack.as_ref().expect("Slack's answer on record");
    assert_eq!(post.state, SlackPostState::Accepted);
    assert_eq!(post.status, Some(200));

    // No secret or token in any function's output, message or record.
    let (probe_out, probe_err) = probe.stop().await;
    let (fanout_out, fanout_err) = fanout.stop().await;
    let (notify_out, notify_err) = notify.stop().await;
    let table_items = format!(
        "{:?}",
        aws_sdk_dynamodb::Client::new(&config)
            .scan()
            .table_name(&table)
            .send()
            .await
            .expect("scan the table")
            .items()
    );
    let mut leakable = vec![REVOKED.to_string(), VALID.to_string(), HOOK.to_string()];
    leakable.extend(sim.issued_tokens());
    let everything = [
        probe_out,
        probe_err,
        fanout_out,
        fanout_err,
        notify_out,
        notify_err,
        summary.to_string(),
        table_items,
        format!("{sent:?}"),
        event.to_string(),
    ];
    for value in &leakable {
        for text in &everything {
            assert!(!text.contains(value.as_str()), "a secret or token leaked");
        }
    }
    sim.shutdown().await;
}
