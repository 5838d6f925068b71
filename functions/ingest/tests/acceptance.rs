//! Issue 13's acceptance, end to end on moto with the real binaries: `credwatch inventory
//! apply` with a topic (email subscriptions filtered by team), `credwatch ingest token create`,
//! a reporter posting over real HTTP to the function URL stand-in in front of the
//! `credwatch-ingest` binary (under the Lambda Runtime API stand-in), the incident read off the
//! table's stream by the `credwatch-alert-fanout` binary, and the notification published to the
//! topic and received by the owning team's subscription only.
//!
//! - A burst of token-endpoint 401 `invalid_client` for an integration whose probe is green: a
//!   `reported_auth_failure` incident for the owner, told at the integration's severity, saying
//!   the integration likely uses an outdated secret; the integration is made due for a probe.
//! - REST 401-then-200 pairs with tokens ~1,075 s old: a `token_refresh_race` told at `low`
//!   severity, never a page.
//! - No stored item, function log or message holds the token or a reported secret.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::state::Health;
use credwatch::store::Integrations;
use credwatch::store::dynamo::DynamoStore;
use credwatch_tests::Scratch;
use credwatch_tests::aws::{child_env, sdk_config, unique_name};
use credwatch_tests::function_url::{FunctionUrl, Invoke};
use credwatch_tests::lambda::FunctionProcess;
use credwatch_tests::sns::{attribute, create_topic, drain, publishes, subscribed_queue};
use credwatch_tests::streams::StreamReader;
use serde_json::{Value, json};

/// A secret a careless reporter pasted into a message: redacted before anything is stored.
const LEAKED: &str = "client_secret=Qw7LeakedSecretValue0123456789abcdef";
const AUTH_HOST: &str = "mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com";
const REST_HOST: &str = "mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com";

async fn credwatch(args: &[&str]) -> (i32, String, String) {
    let binary = credwatch_tests::cli::workspace_binary("credwatch");
    credwatch_tests::cli::run(credwatch_tests::cli::command(&binary, args)).await
}

fn inventory() -> String {
    format!(
        "version: 1\nteams:\n  - id: crm-ops\n    name: CRM Operations\n    notify:\n      \
         email: [crm-ops@example.com]\n  - id: marketing-ops\n    name: Marketing Operations\n    \
         notify:\n      email: [marketing-ops@example.com]\n  - id: platform\n    name: Platform\n    \
         notify:\n      email: [platform@example.com]\nintegrations:\n  - id: orders-sync\n    \
         name: Orders sync\n    owner: crm-ops\n    severity: high\n    auth_url: https://{AUTH_HOST}/\n    \
         client_id: 0m0het6mqknzv0uebqlvoo41\n    client_secret: {{ env: ORDERS_SECRET }}\n    \
         account_id: 7281698\n  - id: web-leads\n    name: Web leads\n    owner: marketing-ops\n    \
         severity: medium\n    auth_url: https://{AUTH_HOST}/\n    client_id: 1a2b3c4d5e6f7g8h9i0j1k2l\n    \
         client_secret: {{ env: LEADS_SECRET }}\n"
    )
}

fn function_env(table: &str, topic: &str) -> Vec<(&'static str, String)> {
    let mut env = child_env();
    env.push(("CREDWATCH_TABLE", table.to_string()));
    env.push(("CREDWATCH_TOPIC_ARN", topic.to_string()));
    env.push(("CREDWATCH_LOG", "trace".into()));
    env
}

/// One reported call, observed `ago` before now.
fn call(ago: TimeDelta, extra: Value) -> Value {
    let mut event = json!({ "observed_at": (Utc::now() - ago).to_rfc3339() });
    if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
        event.extend(extra.clone());
    }
    event
}

async fn post(url: &str, token: &str, events: Vec<Value>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{url}v1/events"))
        .bearer_auth(token)
        .json(&json!({ "events": events }))
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

#[tokio::test(flavor = "multi_thread")]
async fn reported_failures_become_incidents_told_to_the_owner() {
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let scratch = Scratch::new("ingest-acceptance");
    let table = unique_name("ingest-acceptance");
    let topic = create_topic(&sns, &unique_name("alerts")).await;

    // Deployment: the table, the inventory with its email subscriptions, a token per reporter.
    let file = scratch.path().join("inventory.yaml");
    std::fs::write(&file, inventory()).expect("write the inventory");
    let file = file.display().to_string();
    let (code, _, stderr) = credwatch(&["table", "create", "--table", &table]).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, out, stderr) = credwatch(&[
        "inventory",
        "apply",
        "--table",
        &table,
        "--topic",
        &topic,
        &file,
    ])
    .await;
    assert_eq!(code, 0, "{out}\n{stderr}");
    let mut tokens = Vec::new();
    for integration in ["orders-sync", "web-leads"] {
        let (code, out, stderr) = credwatch(&[
            "ingest",
            "token",
            "create",
            "--integration",
            integration,
            "--table",
            &table,
            "--format",
            "json",
        ])
        .await;
        assert_eq!(code, 0, "{out}\n{stderr}");
        let created: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(created["integration"], integration);
        tokens.push(created["token"].as_str().expect("a token").to_string());
    }
    let policies = credwatch_tests::sns::email_policies(&sns, &topic).await;
    let crm = subscribed_queue(&sqs, &sns, &topic, Some(&policies["crm-ops@example.com"])).await;
    let marketing = subscribed_queue(
        &sqs,
        &sns,
        &topic,
        Some(&policies["marketing-ops@example.com"]),
    )
    .await;

    // credwatch's own probe of orders-sync is green (as a probe cycle leaves it).
    let store = DynamoStore::new(dynamo.clone(), table.clone());
    let mut record = store
        .get_integration("orders-sync")
        .await
        .expect("read")
        .expect("applied");
    record.state.auth.health = Health::Healthy;
    record.state.last_class = Some(OutcomeClass::Ok);
    record.state.last_probe_at = Some(Utc::now() - TimeDelta::minutes(4));
    record.state.next_probe_at = Some(Utc::now() + TimeDelta::minutes(11));
    store
        .replace_integration(&record.integration, record.added_at, &record.state)
        .await
        .expect("a green probe on record");

    let mut stream = StreamReader::open(&config, &table).await;
    let _setup = stream.records().await;
    let env = function_env(&table, &topic);
    let ingest = Arc::new(
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-ingest").as_ref(), &env).await,
    );
    let fanout = FunctionProcess::spawn(
        &credwatch_tests::cli::workspace_binary("credwatch-alert-fanout"),
        &env,
    )
    .await;
    let runner = Arc::clone(&ingest);
    let invoke: Invoke = Arc::new(move |event| {
        let runner = Arc::clone(&runner);
        Box::pin(async move { runner.invoke(event).await })
    });
    let server = FunctionUrl::start(invoke).await;
    let url = server.url();

    // 1. orders-sync's deployed copy still uses the old secret: a burst of refused token requests.
    let burst: Vec<Value> = (0..12)
        .map(|i| {
            call(
                TimeDelta::seconds(60 - i * 4),
                json!({
                    "event_id": format!("burst-{i}"),
                    "host": AUTH_HOST,
                    "path_template": "/v2/token",
                    "method": "POST",
                    "status": 401,
                    "oauth_error": "invalid_client",
                    "message": format!("Client authentication failed. {LEAKED}"),
                    "reporter": "orders-sync-lambda",
                }),
            )
        })
        .collect();
    let (status, answer) = post(&url, &tokens[0], burst).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["accepted"], 12, "{answer}");
    let record = store
        .get_integration("orders-sync")
        .await
        .expect("read")
        .expect("kept");
    assert!(
        record
            .state
            .next_probe_at
            .is_some_and(|at| at <= Utc::now()),
        "credwatch's probe is asked to look now: {:?}",
        record.state.next_probe_at
    );

    let batch = stream.next_event().await;
    let handled = fanout.invoke(batch).await.expect("fan-out");
    assert_eq!(handled, json!({"batchItemFailures": []}));
    let got = drain(&sqs, &crm).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let opened = &got[0];
    assert_eq!(attribute(opened, "check"), "passive");
    assert_eq!(attribute(opened, "class"), "reported_auth_failure");
    assert_eq!(attribute(opened, "team"), "crm-ops");
    assert_eq!(attribute(opened, "event"), "opened");
    assert_eq!(attribute(opened, "severity"), "high");
    assert_eq!(attribute(opened, "incident_id"), "orders-sync:passive:1");
    let document: Value =
        serde_json::from_str(opened["Message"].as_str().expect("the sqs body")).expect("JSON");
    let text = document.to_string();
    assert!(text.contains("outdated secret"), "{document}");
    assert!(
        drain(&sqs, &marketing).await.is_empty(),
        "another team is not told"
    );

    // 2. web-leads refreshes its token only once SFMC has expired it: 401 then 200, each time.
    let mut races = Vec::new();
    for (i, minutes_ago) in [50i64, 32, 14].into_iter().enumerate() {
        races.push(call(
            TimeDelta::minutes(minutes_ago),
            json!({
                "event_id": format!("race-{i}"),
                "host": REST_HOST,
                "path_template": "/data/v1/async/dataextensions/{key}/rows",
                "status": 401,
                "sfmc_errorcode": 0,
                "message": "Not Authorized",
                "token_age_secs": 1_075 + i,
            }),
        ));
        races.push(call(
            TimeDelta::minutes(minutes_ago) - TimeDelta::seconds(2),
            json!({
                "host": REST_HOST,
                "path_template": "/data/v1/async/dataextensions/{key}/rows",
                "status": 202,
                "resend_count": 1,
                "count": 40,
                "window_secs": 60,
            }),
        ));
    }
    let (status, answer) = post(&url, &tokens[1], races).await;
    assert_eq!(status, 202, "{answer}");
    let batch = stream.next_event().await;
    let handled = fanout.invoke(batch).await.expect("fan-out");
    assert_eq!(handled, json!({"batchItemFailures": []}));
    let got = drain(&sqs, &marketing).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let race = &got[0];
    assert_eq!(attribute(race, "check"), "passive");
    assert_eq!(attribute(race, "class"), "token_refresh_race");
    assert_eq!(attribute(race, "severity"), "low", "a warning, not a page");
    assert!(drain(&sqs, &crm).await.is_empty());

    // 3. A foreign integration id, a secret-looking key and a bad token are refused, clearly.
    let (status, answer) = post(
        &url,
        &tokens[1],
        vec![
            call(
                TimeDelta::zero(),
                json!({"call_kind": "token", "status": 200, "integration_id": "orders-sync"}),
            ),
            call(
                TimeDelta::zero(),
                json!({"call_kind": "token", "status": 200, "client_secret": "Qw7Other"}),
            ),
        ],
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let refusals = answer["rejected"].to_string();
    assert!(refusals.contains("integration_id"), "{answer}");
    assert!(refusals.contains("client_secret"), "{answer}");
    assert!(!refusals.contains("Qw7Other"), "{answer}");
    let (status, answer) = post(&url, "cwi_not-a-token-of-this-deployment-0000000", vec![]).await;
    assert_eq!(status, 401, "{answer}");

    // Nothing kept or said holds the tokens or the reported secret.
    drop(server);
    let mut ingest = ingest;
    let process = loop {
        // The stand-in's server task lets go of the process once its abort is handled.
        match Arc::try_unwrap(ingest) {
            Ok(process) => break process,
            Err(shared) => {
                ingest = shared;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    let (_, ingest_err) = process.stop().await;
    let (_, fanout_err) = fanout.stop().await;
    let scan = dynamo
        .scan()
        .table_name(&table)
        .send()
        .await
        .expect("scan the table");
    let items = format!("{:?}", scan.items());
    let messages = publishes(&topic).await;
    let places = [
        ("the table", items),
        ("a message", format!("{messages:?}")),
        ("the ingest function's log", ingest_err),
        ("the fan-out's log", fanout_err),
    ];
    for (place, said) in &places {
        for token in &tokens {
            let at = said.find(token.as_str());
            assert!(
                at.is_none(),
                "an ingest token in {place}: {}",
                at.map(|at| &said[at.saturating_sub(300)..at]).unwrap_or("")
            );
        }
        assert!(
            !said.contains("Qw7LeakedSecretValue"),
            "a reported secret in {place}"
        );
    }
}
