//! `credwatch drill` against moto_server, with the real fan-out: the alert-fanout binary runs
//! under the Lambda Runtime API stand-in on the table's stream records while the drill waits
//! for its delivery records. SQS queues with a team's filter policy stand in for its mailbox
//! (moto delivers no email).

use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use credwatch::domain::drill::drill_incident_id;
use credwatch::notify::delivery::{SlackPost, SlackPostState};
use credwatch::rules::subscriptions::filter_policy;
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::{Incidents, Notifications};
use credwatch_tests::Scratch;
use credwatch_tests::aws::{child_env, sdk_config, unique_name};
use credwatch_tests::cli::workspace_binary;
use credwatch_tests::lambda::FunctionProcess;
use credwatch_tests::sns::{attribute, create_topic, drain, subscribed_queue};
use credwatch_tests::streams::StreamReader;
use tokio::io::AsyncReadExt;

fn credwatch(args: &[&str]) -> tokio::process::Command {
    credwatch_tests::cli::command(env!("CARGO_BIN_EXE_credwatch").as_ref(), args)
}

async fn run(args: &[&str]) -> (i32, String, String) {
    credwatch_tests::cli::run(credwatch(args)).await
}

/// A deployment in moto: its table (teams from an inventory whose teams are `(id, emails)`,
/// subscribed with `inventory apply --topic`), its topic, and the alert-fanout function.
struct Deployment {
    table: String,
    topic: String,
    stream: StreamReader,
    fanout: FunctionProcess,
    _scratch: Scratch,
}

async fn deploy(teams: &[(&str, &[&str])]) -> Deployment {
    deploy_with_slack(teams, &[]).await
}

/// A Slack incoming webhook URL (a credential): it must never appear in any output.
const WEBHOOK_URL: &str =
    "https://hooks.slack.com/services/T0DRILL01/B0DRILL02/s3cr3tDr1llT0k3nXyZ";

/// [`deploy`], the teams of `slack` having only a Slack webhook (its secret in moto holds
/// [`WEBHOOK_URL`]) and no email.
async fn deploy_with_slack(teams: &[(&str, &[&str])], slack: &[&str]) -> Deployment {
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let scratch = Scratch::new("cli-drill");
    let table = unique_name("drill");
    let topic = create_topic(&sns, &unique_name("alerts")).await;
    let (code, _, stderr) = run(&["table", "create", "--table", &table]).await;
    assert_eq!(code, 0, "{stderr}");
    let mut yaml = String::from("version: 1\nteams:\n");
    for (id, emails) in teams {
        yaml.push_str(&format!("  - id: {id}\n    name: Team {id}\n"));
        if !emails.is_empty() {
            yaml.push_str(&format!(
                "    notify:\n      email: [{}]\n      min_severity: high\n",
                emails.join(", ")
            ));
        }
    }
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    for id in slack {
        let name = format!("credwatch/slack/{}", unique_name(id));
        secrets
            .create_secret()
            .name(&name)
            .secret_string(WEBHOOK_URL)
            .send()
            .await
            .expect("create the webhook secret");
        yaml.push_str(&format!(
            "  - id: {id}\n    name: Team {id}\n    notify:\n      slack_webhook: {{ aws_secret: {name} }}\n"
        ));
    }
    yaml.push_str("integrations: []\n");
    let file = scratch.path().join("inventory.yaml");
    std::fs::write(&file, yaml).expect("write the inventory");
    let file = file.display().to_string();
    let (code, _, stderr) = run(&[
        "inventory",
        "apply",
        &file,
        "--table",
        &table,
        "--topic",
        &topic,
    ])
    .await;
    assert_eq!(code, 0, "{stderr}");
    let stream = StreamReader::open(&config, &table).await;
    let mut env: Vec<(&str, String)> = child_env();
    env.push(("CREDWATCH_TABLE", table.clone()));
    env.push(("CREDWATCH_TOPIC_ARN", topic.clone()));
    env.push(("CREDWATCH_LOG", "info".into()));
    let fanout = FunctionProcess::spawn(&workspace_binary("credwatch-alert-fanout"), &env).await;
    Deployment {
        table,
        topic,
        stream,
        fanout,
        _scratch: scratch,
    }
}

/// Runs `credwatch drill ARGS` while feeding the table's stream to the fan-out, as Lambda's
/// event source mapping would: (exit code, stdout, stderr).
async fn drill(deployment: &mut Deployment, args: &[&str]) -> (i32, String, String) {
    drill_with_slack(deployment, args, &[], None).await
}

/// [`drill`], with a stand-in for slack-notify recording `answer` on the drill notification
/// of each team of `slack` once the fan-out has published it.
async fn drill_with_slack(
    deployment: &mut Deployment,
    args: &[&str],
    slack: &[&str],
    answer: Option<SlackPost>,
) -> (i32, String, String) {
    let config = sdk_config().await;
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&config),
        deployment.table.clone(),
    );
    let mut all = vec![
        "drill",
        "--table",
        deployment.table.as_str(),
        "--topic",
        deployment.topic.as_str(),
        // A bound, not a timing: the drill ends as soon as every record is in.
        "--wait",
        "5m",
    ];
    all.extend_from_slice(args);
    let mut command = credwatch(&all);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("start credwatch drill");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = tokio::spawn(async move {
        let mut text = String::new();
        stdout.read_to_string(&mut text).await.expect("stdout");
        text
    });
    let err = tokio::spawn(async move {
        let mut text = String::new();
        stderr.read_to_string(&mut text).await.expect("stderr");
        text
    });
    let status = loop {
        let records = deployment.stream.records().await;
        if !records.is_empty() {
            let event = deployment.stream.event(&records);
            let answer = deployment.fanout.invoke(event).await;
            assert!(answer.is_ok(), "the fan-out failed: {answer:?}");
        }
        if let Some(post) = &answer {
            for team in slack {
                let incident = drill_incident_id(team);
                for record in store.notifications_of(&incident).await.expect("records") {
                    if record.slack.is_none() && record.delivery.message_id.is_some() {
                        assert!(store.record_slack_post(record.id(), post).await.unwrap());
                    }
                }
            }
        }
        if let Some(status) = child.try_wait().expect("the drill's status") {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    (
        status.code().expect("an exit code"),
        out.await.expect("stdout read"),
        err.await.expect("stderr read"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_team_reached_exits_0_and_each_mailbox_gets_one_drill() {
    let mut deployment = deploy(&[
        ("crm-ops", &["crm@example.com"]),
        ("web-ops", &["web@example.com"]),
    ])
    .await;
    let config = sdk_config().await;
    let (sns, sqs) = (
        aws_sdk_sns::Client::new(&config),
        aws_sdk_sqs::Client::new(&config),
    );
    // The team's mailbox, with the policy of its subscription (high and above): a drill must
    // pass it.
    let mailbox = subscribed_queue(
        &sqs,
        &sns,
        &deployment.topic,
        Some(&filter_policy(
            "crm-ops",
            credwatch::domain::severity::Severity::High,
        )),
    )
    .await;

    let (code, stdout, stderr) = drill(&mut deployment, &["--format", "json"]).await;
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(report["ok"], true);
    let teams = report["teams"].as_array().expect("teams");
    assert_eq!(teams.len(), 2);
    for (team, email) in teams.iter().zip(["crm@example.com", "web@example.com"]) {
        assert_eq!(team["ok"], true, "{team}");
        assert_eq!(team["publication"]["state"], "published");
        assert!(
            !team["publication"]["message_id"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        assert_eq!(team["confirmed"], serde_json::json!([email]));
        assert_eq!(team["slack"]["state"], "no_webhook");
        assert_eq!(team["resolved"], true);
    }
    assert!(
        stderr.contains("drill published"),
        "progress on stderr: {stderr}"
    );

    let received = drain(&sqs, &mailbox).await;
    assert_eq!(received.len(), 1, "one drill for crm-ops: {received:?}");
    assert_eq!(attribute(&received[0], "event"), "drill");
    assert_eq!(attribute(&received[0], "team"), "crm-ops");
    assert!(
        received[0]["Subject"]
            .as_str()
            .unwrap_or_default()
            .starts_with("[DRILL]")
    );
    // Resolved: nothing open is left behind, and its resolve sent nothing more.
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&config),
        deployment.table.clone(),
    );
    assert!(store.open_incidents().await.unwrap().is_empty());
    let records = deployment.stream.records().await;
    let answer = deployment
        .fanout
        .invoke(deployment.stream.event(&records))
        .await;
    assert!(answer.is_ok(), "{answer:?}");
    assert!(
        drain(&sqs, &mailbox).await.is_empty(),
        "the resolve is silent"
    );
    let (out, _) = deployment.fanout.stop().await;
    assert!(
        out.contains("DrillNotificationsSent"),
        "drills counted apart: {out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_nobody_receives_exits_1_naming_it() {
    let mut deployment = deploy(&[("crm-ops", &["crm@example.com"]), ("finance", &[])]).await;
    let (code, stdout, stderr) = drill(&mut deployment, &[]).await;
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("finance") && stdout.contains("FAILED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Drill FAILED for 1 of 2 team(s): finance."),
        "{stdout}"
    );
    // The team that is reached still passes, and says what was published.
    assert!(stdout.contains("confirmed: crm@example.com"), "{stdout}");
    deployment.fanout.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_team_alone_is_drilled() {
    let mut deployment = deploy(&[("crm-ops", &["crm@example.com"]), ("finance", &[])]).await;
    let (code, stdout, stderr) = drill(&mut deployment, &["--team", "crm-ops"]).await;
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("crm-ops") && !stdout.contains("finance"),
        "{stdout}"
    );
    deployment.fanout.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_exits_2_before_anything_is_written() {
    let mut deployment = deploy(&[("crm-ops", &["crm@example.com"])]).await;
    let (code, _, stderr) = drill(&mut deployment, &["--team", "no-such-team"]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no team no-such-team"), "{stderr}");
    assert!(
        stderr.contains("crm-ops"),
        "names the teams there are: {stderr}"
    );
    assert!(
        deployment.stream.records().await.iter().all(|r| {
            r.dynamodb()
                .and_then(|d| d.keys())
                .and_then(|k| k.get("pk"))
                .and_then(|v| v.as_s().ok())
                .is_none_or(|pk| !pk.starts_with("INC#"))
        }),
        "no incident written"
    );

    let table = deployment.table.clone();
    let topic = deployment.topic.clone();
    for (args, says) in [
        (vec!["--wait", "soon"], "--wait"),
        (vec!["--wait", "3h"], "out of range"),
    ] {
        let mut all = vec!["drill", "--table", &table, "--topic", &topic];
        all.extend(args);
        let (code, _, stderr) = run(&all).await;
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
    let missing_topic = format!("{topic}-gone");
    let (code, _, stderr) = run(&["drill", "--table", &table, "--topic", &missing_topic]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    let (code, _, stderr) = run(&["drill", "--table", "no-such-table", "--topic", &topic]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    let (code, _, stderr) = run(&["drill", "--table", &table, "--topic", "not-an-arn"]).await;
    assert_eq!(code, 2, "{stderr}");
    // The stack's topic, but in another region than the one credwatch talks to.
    let mut parts: Vec<&str> = topic.split(':').collect();
    let elsewhere = if parts[3] == "ap-southeast-2" {
        "eu-west-3"
    } else {
        "ap-southeast-2"
    };
    let here = parts[3].to_string();
    parts[3] = elsewhere;
    let other_region = parts.join(":");
    let (code, _, stderr) = run(&["drill", "--table", &table, "--topic", &other_region]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("is in region {elsewhere}"))
            && stderr.contains(&format!("talking to AWS in {here}"))
            && stderr.contains(&format!("AWS_REGION={elsewhere}")),
        "{stderr}"
    );
    deployment.fanout.stop().await;
}

fn slack_post(state: SlackPostState, error: Option<&str>, status: u16) -> SlackPost {
    SlackPost {
        state,
        at: Utc::now(),
        attempts: 1,
        status: Some(status),
        error: error.map(str::to_string),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_reached_by_slack_alone_passes_and_no_webhook_url_is_shown() {
    let mut deployment =
        deploy_with_slack(&[("crm-ops", &["crm@example.com"])], &["chat-ops"]).await;
    let accepted = slack_post(SlackPostState::Accepted, None, 200);
    let (code, stdout, stderr) =
        drill_with_slack(&mut deployment, &[], &["chat-ops"], Some(accepted)).await;
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("chat-ops") && stdout.contains("accepted"),
        "{stdout}"
    );
    for (args, shown) in [(vec![], "table"), (vec!["--format", "json"], "json")] {
        let (_, stdout, stderr) = drill_with_slack(
            &mut deployment,
            &args,
            &["chat-ops"],
            Some(slack_post(SlackPostState::Accepted, None, 200)),
        )
        .await;
        for text in [&stdout, &stderr] {
            assert!(
                !text.contains("hooks.slack.com") && !text.contains("s3cr3tDr1llT0k3n"),
                "webhook URL in the {shown} output: {text}"
            );
        }
    }
    deployment.fanout.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_webhook_without_email_exits_1_naming_the_team_and_slacks_token() {
    let mut deployment =
        deploy_with_slack(&[("crm-ops", &["crm@example.com"])], &["chat-ops"]).await;
    let refused = slack_post(SlackPostState::Refused, Some("invalid_token"), 403);
    let (code, stdout, stderr) = drill_with_slack(
        &mut deployment,
        &["--format", "json"],
        &["chat-ops"],
        Some(refused),
    )
    .await;
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let chat = report["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == "chat-ops")
        .expect("chat-ops in the report");
    assert_eq!(chat["ok"], false);
    assert_eq!(chat["slack"]["state"], "refused");
    assert_eq!(chat["slack"]["error"], "invalid_token");
    assert!(
        chat["what_to_do"]
            .as_str()
            .unwrap()
            .contains("Slack webhook")
    );
    assert!(!stdout.contains("hooks.slack.com") && !stderr.contains("hooks.slack.com"));
    deployment.fanout.stop().await;
}

/// AWS that cannot be reached is said in one line naming the endpoint (exit 1: retrying may
/// help), never with the SDK's debug output.
#[tokio::test(flavor = "multi_thread")]
async fn unreachable_aws_is_one_plain_line() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let endpoint = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let mut command = credwatch(&[
        "drill",
        "--table",
        "credwatch-drill",
        "--topic",
        "arn:aws:sns:us-east-1:123456789012:credwatch-alerts",
        "--wait",
        "2s",
    ]);
    command.env("AWS_ENDPOINT_URL", &endpoint);
    let (code, stdout, stderr) = credwatch_tests::cli::run(command).await;
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains(&endpoint), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for debug in ["DispatchFailure", "ConnectorError", "hyper"] {
        assert!(!stderr.contains(debug), "{stderr}");
    }
}
