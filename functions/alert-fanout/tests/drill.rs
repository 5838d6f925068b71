//! The weekly drill rule's event (`{"drill": {"teams": []}}`) reaching the alert-fanout
//! function: read strictly, and run against moto by the release of the function itself while
//! a second instance of it handles the table's stream (as Lambda runs one per event source).

use std::time::Duration;

use credwatch::domain::severity::Severity;
use credwatch::inventory::{Notify, Team};
use credwatch::rules::subscriptions::filter_policy;
use credwatch::store::Teams;
use credwatch::store::dynamo::{DynamoStore, create_table};
use credwatch_alert_fanout::event::{Request, parse_request};
use credwatch_tests::aws::{child_env, sdk_config, unique_name};
use credwatch_tests::lambda::FunctionProcess;
use credwatch_tests::sns::{attribute, create_topic, drain, subscribed_queue};
use credwatch_tests::streams::StreamReader;
use serde_json::{Value, json};

#[test]
fn a_drill_event_names_its_teams_or_none_for_all() {
    assert_eq!(
        parse_request(&json!({"drill": {"teams": []}})),
        Ok(Request::Drill { teams: vec![] })
    );
    assert_eq!(
        parse_request(&json!({"drill": {}})),
        Ok(Request::Drill { teams: vec![] })
    );
    assert_eq!(
        parse_request(&json!({"drill": {"teams": ["crm-ops", "web-ops"]}})),
        Ok(Request::Drill {
            teams: vec!["crm-ops".to_string(), "web-ops".to_string()]
        })
    );
}

#[test]
fn a_malformed_drill_event_is_refused_naming_the_field() {
    let too_many: Vec<String> = (0..1001).map(|i| format!("t{i}")).collect();
    for (payload, says) in [
        (json!({"drill": 3}), "`drill` must be an object"),
        (
            json!({"drill": {"teams": "crm-ops"}}),
            "`drill.teams` must be a list",
        ),
        (
            json!({"drill": {"teams": ["crm-ops", 7]}}),
            "`drill.teams[1]`",
        ),
        (json!({"drill": {"teams": [""]}}), "`drill.teams[0]`"),
        (
            json!({"drill": {"team": ["crm-ops"]}}),
            "`drill.team` is not a drill setting",
        ),
        (json!({"drill": {"teams": too_many}}), "at most 1000"),
    ] {
        let error = parse_request(&payload).unwrap_err();
        assert!(error.contains(says), "{payload}: {error}");
        assert!(error.len() < 300, "bounded: {error}");
    }
}

fn team(id: &str, emails: &[&str], slack: Option<&str>) -> Team {
    Team {
        id: id.to_string(),
        name: id.to_string(),
        timezone: None,
        business_hours: None,
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        maintenance: Vec::new(),
        notify: Notify {
            email: emails.iter().map(|e| e.to_string()).collect(),
            min_severity: Severity::High,
            slack_webhook: slack.map(str::to_string),
            ..Notify::default()
        },
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduled_drill_publishes_each_teams_drill_and_answers_the_report() {
    let config = sdk_config().await;
    let (sns, sqs) = (
        aws_sdk_sns::Client::new(&config),
        aws_sdk_sqs::Client::new(&config),
    );
    let table = unique_name("fanout-drill");
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    create_table(&dynamo, &table)
        .await
        .expect("create the table");
    let store = DynamoStore::new(dynamo, table.clone());
    let topic = create_topic(&sns, &unique_name("alerts")).await;
    store
        .put_team(&team("crm-ops", &["crm@example.com"], None))
        .await
        .unwrap();
    store
        .put_team(&team("chat-ops", &[], Some("credwatch/slack/chat-ops")))
        .await
        .unwrap();
    // crm-ops's confirmed address, and its mailbox (the same filter policy).
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("email")
        .endpoint("crm@example.com")
        .attributes("FilterPolicy", filter_policy("crm-ops", Severity::High))
        .send()
        .await
        .expect("subscribe");
    let mailbox = subscribed_queue(
        &sqs,
        &sns,
        &topic,
        Some(&filter_policy("crm-ops", Severity::High)),
    )
    .await;

    let mut stream = StreamReader::open(&config, &table).await;
    let mut env: Vec<(&str, String)> = child_env();
    env.push(("CREDWATCH_TABLE", table.clone()));
    env.push(("CREDWATCH_TOPIC_ARN", topic.clone()));
    env.push(("CREDWATCH_LOG", "info".into()));
    let binary = env!("CARGO_BIN_EXE_credwatch-alert-fanout");
    let drill = FunctionProcess::spawn(binary.as_ref(), &env).await;
    drill.runtime.set_budget(Duration::from_secs(60));
    let fanout = FunctionProcess::spawn(binary.as_ref(), &env).await;

    let feed = async {
        loop {
            let records = stream.records().await;
            if !records.is_empty() {
                let answer = fanout.invoke(stream.event(&records)).await;
                assert!(answer.is_ok(), "the stream's fan-out failed: {answer:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let answer = tokio::select! {
        answer = drill.invoke(json!({"drill": {"teams": []}})) => answer,
        () = feed => unreachable!("the feed never ends"),
    };
    let report: Value = answer.expect("the drill's report");
    let teams = report["teams"].as_array().expect("teams");
    let by_id = |id: &str| {
        teams
            .iter()
            .find(|t| t["team"] == id)
            .unwrap_or_else(|| panic!("{id} in {report}"))
    };
    let crm = by_id("crm-ops");
    assert_eq!(crm["publication"]["state"], "published", "{crm}");
    assert_eq!(crm["confirmed"], json!(["crm@example.com"]));
    assert_eq!(crm["resolved"], true);
    // Slack is not waited for on schedule: chat-ops is published but not proven reached.
    let chat = by_id("chat-ops");
    assert_eq!(chat["publication"]["state"], "published", "{chat}");
    assert_eq!(chat["slack"]["state"], "not_checked");

    let received = drain(&sqs, &mailbox).await;
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(attribute(&received[0], "event"), "drill");

    let (out, err) = drill.stop().await;
    assert!(out.contains("\"DrillTeams\""), "metrics: {out}");
    assert!(
        err.contains("drill ok") || out.contains("drill ok"),
        "log: {out}{err}"
    );
    assert!(
        err.contains("drill failed") || out.contains("drill failed"),
        "chat-ops logged as not proven: {out}{err}"
    );
    fanout.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_of_an_unknown_team_is_a_bad_event_and_writes_nothing() {
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let table = unique_name("fanout-drill");
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    create_table(&dynamo, &table)
        .await
        .expect("create the table");
    let store = DynamoStore::new(dynamo, table.clone());
    store
        .put_team(&team("crm-ops", &["crm@example.com"], None))
        .await
        .unwrap();
    let topic = create_topic(&sns, &unique_name("alerts")).await;
    let mut env: Vec<(&str, String)> = child_env();
    env.push(("CREDWATCH_TABLE", table.clone()));
    env.push(("CREDWATCH_TOPIC_ARN", topic.clone()));
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-alert-fanout").as_ref(), &env).await;
    let error = function
        .invoke(json!({"drill": {"teams": ["nope"]}}))
        .await
        .expect_err("an unknown team");
    let text = error.to_string();
    assert!(text.contains("no team nope"), "{text}");
    let mut stream = StreamReader::open(&config, &table).await;
    let records = stream.records().await;
    assert!(
        records.iter().all(|r| {
            r.dynamodb()
                .and_then(|d| d.keys())
                .and_then(|k| k.get("pk"))
                .and_then(|v| v.as_s().ok())
                .is_none_or(|pk| !pk.starts_with("INC#"))
        }),
        "no drill incident written"
    );
    function.stop().await;
}
