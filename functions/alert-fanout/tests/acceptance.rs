//! The acceptance, end to end against moto_server and the SFMC simulator, with the
//! built binaries: `credwatch table create` and `inventory apply --topic`; `credwatch-probe`
//! and `credwatch-alert-fanout` under a Lambda Runtime API stand-in; the fan-out fed the
//! records moto's DynamoDB Streams API holds after the real probe runs; SQS queues subscribed
//! with the filter policies `inventory apply` gave each team's email subscription stand in for
//! the mailboxes (moto delivers no email).
//!
//! A revoked secret gives exactly one `opened` message for the owning team; replaying the
//! stream gives none; the fix gives one `resolved` message with the duration; a publish that
//! fails is delivered by a later sweep exactly once; no secret or token reaches a message, a
//! log or the table.

use std::path::Path;

use chrono::{TimeDelta, Utc};
use credwatch::domain::incident::IncidentId;
use credwatch::notify::delivery::DeliveryState;
use credwatch::store::Notifications;
use credwatch::store::dynamo::DynamoStore;
use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::aws::{child_env, sdk_config, unique_name};
use credwatch_tests::lambda::FunctionProcess;
use credwatch_tests::sns::{attribute, create_topic, drain, publishes, subscribed_queue};
use credwatch_tests::streams::StreamReader;
use credwatch_tests::{SYNC_SCOPES, Scratch};
use serde_json::{Value, json};

const SECRET: &str = "Zq4Wm8Rt2Yp6Kx1Nc5Vb9Hd3";
const REVOKED: &str = "Stale7Secret3Nobody2Uses";

async fn credwatch(args: &[&str]) -> (i32, String, String) {
    let binary = credwatch_tests::cli::workspace_binary("credwatch");
    credwatch_tests::cli::run(credwatch_tests::cli::command(&binary, args)).await
}

fn healthy() -> ClientConfig {
    ClientConfig::healthy(SECRET, SYNC_SCOPES, 500_123_456)
}

/// Two teams with email routing, the platform team, and one integration each: loyalty-feed
/// (marketing-ops) holds a revoked secret, crm-sync (crm-ops) works.
fn inventory(sim: &Simulator, dir: &Path) -> String {
    let mut integrations = String::new();
    for (id, owner, secret) in [
        ("loyalty-feed", "marketing-ops", REVOKED),
        ("crm-sync", "crm-ops", SECRET),
    ] {
        let client = format!("{id}-client");
        sim.set_client(&client, healthy());
        let path = dir.join(format!("{id}.secret"));
        std::fs::write(&path, secret).expect("write the secret file");
        integrations.push_str(&format!(
            "  - id: {id}\n    name: {id} integration\n    owner: {owner}\n    severity: high\n    \
             auth_url: {url}\n    client_id: {client}\n    client_secret: {{ file: \"{path}\" }}\n    \
             account_id: 500123456\n    expected_scopes: [{scopes}]\n    records_per_hour: 1200\n    \
             depends_on: [Loyalty points journey]\n",
            url = sim.base_url(),
            path = path.display(),
            scopes = SYNC_SCOPES.join(", "),
        ));
    }
    format!(
        "version: 1\nteams:\n  - id: marketing-ops\n    name: Marketing Operations\n    notify:\n      \
         email: [marketing-ops@example.com]\n  - id: crm-ops\n    name: CRM Operations\n    notify:\n      \
         email: [crm-ops@example.com]\n  - id: platform\n    name: Platform\n    notify:\n      \
         email: [platform@example.com]\nintegrations:\n{integrations}"
    )
}

/// The functions' environment: the table, the topic, the simulator allowed as SFMC, file
/// secrets allowed (test only), everything logged at TRACE for the leak check.
fn function_env(table: &str, topic: &str) -> Vec<(&'static str, String)> {
    let mut env = child_env();
    env.push(("CREDWATCH_TABLE", table.to_string()));
    env.push(("CREDWATCH_TOPIC_ARN", topic.to_string()));
    env.push(("CREDWATCH_ALLOW_ANY_ENDPOINT", "1".into()));
    env.push(("CREDWATCH_SECRET_PREFIX", "sfmc/".into()));
    env.push(("CREDWATCH_ALLOW_LOCAL_SECRETS", "1".into()));
    env.push(("CREDWATCH_LOG", "trace".into()));
    env
}

fn scheduled() -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/credwatch-sweep"],
        "detail": {}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_secret_reaches_its_team_once_and_its_fix_too_and_a_failed_publish_is_swept() {
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let sim = Simulator::start().await.expect("the simulator starts");
    let scratch = Scratch::new("fanout-acceptance");
    let table = unique_name("fanout-acceptance");
    let topic_name = unique_name("alerts");
    let topic = create_topic(&sns, &topic_name).await;

    // Deployment: the table, then the inventory with the topic (email subscriptions).
    let file = scratch.path().join("inventory.yaml");
    std::fs::write(&file, inventory(&sim, scratch.path())).expect("write the inventory");
    let (code, _, stderr) = credwatch(&["table", "create", "--table", &table]).await;
    assert_eq!(code, 0, "{stderr}");
    let file = file.display().to_string();
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
    let policies = credwatch_tests::sns::email_policies(&sns, &topic).await;
    assert_eq!(policies.len(), 3, "{policies:?}");
    let marketing = subscribed_queue(
        &sqs,
        &sns,
        &topic,
        Some(&policies["marketing-ops@example.com"]),
    )
    .await;
    let crm = subscribed_queue(&sqs, &sns, &topic, Some(&policies["crm-ops@example.com"])).await;

    let mut stream = StreamReader::open(&config, &table).await;
    let _inventory_records = stream.records().await;
    let env = function_env(&table, &topic);
    let probe = FunctionProcess::spawn(
        &credwatch_tests::cli::workspace_binary("credwatch-probe"),
        &env,
    )
    .await;
    let fanout =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-alert-fanout").as_ref(), &env).await;

    // 1. The scheduled probe finds the revoked secret: one incident, one `opened` message,
    //    for marketing-ops only.
    let summary = probe.invoke(scheduled()).await.expect("the probe runs");
    assert_eq!(summary["opened"], 1, "{summary}");
    let opened_batch = stream.next_event().await;
    assert!(
        opened_batch["Records"]
            .as_array()
            .is_some_and(|r| r.len() >= 2),
        "state, incident and history records: {opened_batch}"
    );
    let answer = fanout.invoke(opened_batch.clone()).await.expect("fan-out");
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let sent = publishes(&topic).await;
    assert_eq!(sent.len(), 1, "exactly one publish");
    // One publish, a body per protocol (MessageStructure=json); the email says what broke,
    // what depends on it and the incident id.
    let bodies: Value =
        serde_json::from_str(sent[0][1].as_str().expect("the message")).expect("per protocol");
    for protocol in ["default", "email", "sms", "https", "lambda", "sqs"] {
        assert!(bodies[protocol].is_string(), "{protocol} in {bodies}");
    }
    let email = bodies["email"].as_str().expect("the email body");
    for words in [
        "secret rejected by SFMC",
        "Loyalty points journey",
        "loyalty-feed:auth:",
    ] {
        assert!(email.contains(words), "{words:?} in:\n{email}");
    }
    let got = drain(&sqs, &marketing).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let opened = &got[0];
    assert_eq!(attribute(opened, "team"), "marketing-ops");
    assert_eq!(attribute(opened, "event"), "opened");
    assert_eq!(attribute(opened, "severity"), "high");
    assert_eq!(attribute(opened, "check"), "auth");
    assert_eq!(attribute(opened, "class"), "client_auth_failed");
    assert_eq!(attribute(opened, "integration"), "loyalty-feed");
    let incident_id = attribute(opened, "incident_id").to_string();
    assert!(
        incident_id.starts_with("loyalty-feed:auth:"),
        "{incident_id}"
    );
    assert_eq!(
        attribute(opened, "notification_id"),
        format!("{incident_id}/opened")
    );
    let subject = opened["Subject"].as_str().expect("a subject");
    assert!(
        subject.starts_with("[HIGH] loyalty-feed integration"),
        "{subject}"
    );
    let body = opened["Message"].as_str().expect("the sqs body");
    let document: Value = serde_json::from_str(body).expect("the sqs body is the JSON document");
    assert_eq!(
        document["schema"], "credwatch.notification.v1",
        "{document}"
    );
    assert_eq!(document["notification_id"], format!("{incident_id}/opened"));
    assert!(drain(&sqs, &crm).await.is_empty(), "crm-ops is not told");

    // 2. Lambda replays the same batch (a retry after a timeout): nothing is published again.
    let answer = fanout.invoke(opened_batch).await.expect("fan-out");
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(
        publishes(&topic).await.len(),
        1,
        "a replay publishes nothing"
    );
    assert!(drain(&sqs, &marketing).await.is_empty());

    // 3. The topic is gone when the fix arrives: the `resolved` notification stays pending.
    std::fs::write(scratch.path().join("loyalty-feed.secret"), SECRET).expect("fix the secret");
    for _ in 0..2 {
        let summary = probe
            .invoke(json!({"integrations": ["loyalty-feed"], "force": true}))
            .await
            .expect("the probe runs");
        assert_eq!(summary["probed"], 1, "{summary}");
    }
    sns.delete_topic()
        .topic_arn(&topic)
        .send()
        .await
        .expect("delete the topic");
    let resolved_batch = stream.next_event().await;
    let answer = fanout.invoke(resolved_batch).await.expect("fan-out");
    assert_eq!(
        answer,
        json!({"batchItemFailures": []}),
        "a failed publish is the sweep's, not a stream retry"
    );
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table.clone());
    let id: IncidentId = incident_id.parse().expect("an incident id");
    let records = store.notifications_of(&id).await.expect("listed");
    let resolved = records
        .iter()
        .find(|r| r.notification.event.as_str() == "resolved")
        .expect("the resolve is on record");
    assert_eq!(resolved.delivery.state, DeliveryState::Pending);
    assert!(
        resolved
            .delivery
            .last_error
            .as_ref()
            .is_some_and(|e| e.kind.as_str() == "configuration"),
        "{:?}",
        resolved.delivery
    );

    // 4. The topic is back (same name, same ARN, the mailbox re-subscribed). The sweep before
    //    the backoff has passed sends nothing; time passes (the record's next attempt moved
    //    into the past, as the clock would); the sweep delivers it once, and again nothing.
    assert_eq!(create_topic(&sns, &topic_name).await, topic);
    let marketing = subscribed_queue(
        &sqs,
        &sns,
        &topic,
        Some(&policies["marketing-ops@example.com"]),
    )
    .await;
    let early = fanout.invoke(scheduled()).await.expect("sweep");
    assert_eq!(early["deliveries"]["sent"], 0, "{early}");
    let mut due = resolved.delivery.clone();
    due.next_attempt_at = Some(Utc::now() - TimeDelta::minutes(1));
    due.revision += 1;
    assert!(
        store
            .update_delivery(resolved.id(), resolved.delivery.revision, &due)
            .await
            .expect("time passes")
    );
    let swept = fanout.invoke(scheduled()).await.expect("sweep");
    assert_eq!(swept["deliveries"]["sent"], 1, "{swept}");
    let again = fanout.invoke(scheduled()).await.expect("sweep");
    assert_eq!(again["deliveries"]["sent"], 0, "{again}");
    let got = drain(&sqs, &marketing).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(attribute(&got[0], "event"), "resolved");
    assert_eq!(
        attribute(&got[0], "notification_id"),
        format!("{incident_id}/resolved")
    );
    let document: Value =
        serde_json::from_str(got[0]["Message"].as_str().expect("a body")).expect("JSON");
    assert!(document["duration_seconds"].is_u64(), "{document}");
    assert!(
        document["lines"]["Lasted"]
            .as_str()
            .is_some_and(|lasted| lasted.contains("(from ")),
        "the resolve says how long it lasted: {document}"
    );
    let records = store.notifications_of(&id).await.expect("listed");
    assert!(
        records
            .iter()
            .all(|r| r.delivery.state == DeliveryState::Sent && r.delivery.message_id.is_some()),
        "{records:?}"
    );

    // 5. Nothing secret anywhere: logs of both functions, every message, every item.
    let (probe_out, probe_err) = probe.stop().await;
    let (fanout_out, fanout_err) = fanout.stop().await;
    assert!(fanout_err.contains("TRACE"), "really logged at TRACE");
    let messages = publishes(&topic).await;
    let items = scan_all(&config, &table).await;
    let mut leakable = vec![SECRET.to_string(), REVOKED.to_string()];
    leakable.extend(sim.issued_tokens());
    for value in &leakable {
        for (place, text) in [
            ("probe logs", &probe_out),
            ("probe logs", &probe_err),
            ("fan-out logs", &fanout_out),
            ("fan-out logs", &fanout_err),
            ("the table", &items),
        ] {
            assert!(
                !text.contains(value.as_str()),
                "a secret or token in {place}"
            );
        }
        for message in &messages {
            assert!(
                !message.to_string().contains(value.as_str()),
                "in a message"
            );
        }
    }
    sim.shutdown().await;
}

/// Every item of the table, as text (the leak check reads all of it).
async fn scan_all(config: &aws_config::SdkConfig, table: &str) -> String {
    let client = aws_sdk_dynamodb::Client::new(config);
    let mut text = String::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        for item in page.items() {
            text.push_str(&format!("{item:?}\n"));
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return text,
        }
    }
}

/// How many requests a notification costs, counted: every DynamoDB request the fan-out's store
/// makes goes through a counting interceptor, and moto's own record counts the publishes.
/// Stream path: one conditional record and one mark per notification; one publish; plus, per
/// batch, the three Queries of the alerting context (teams, silences, integrations). Sweep of a
/// notification that failed: its claim and its mark; one publish; plus, per sweep, the context
/// and the two listings (due notifications, open incidents). Grouping is off for this team
/// (each opening of a grouping team costs one more UpdateItem, two when it joins an open
/// window).
#[tokio::test(flavor = "multi_thread")]
async fn a_notification_costs_two_dynamodb_writes_and_one_publish() {
    use credwatch::domain::incident::{CheckKind, Incident, IncidentClass};
    use credwatch::domain::outcome::OutcomeClass;
    use credwatch::domain::severity::Severity;
    use credwatch::notify::sns::SnsPublisher;
    use credwatch::store::Incidents;
    use credwatch::store::dynamo::create_table;
    use credwatch_alert_fanout::{App, SWEEP_LIMIT, handle_at};
    use credwatch_tests::aws::DynamoRequestCounter;

    const N: usize = 20;
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let table = unique_name("fanout-cost");
    create_table(&aws_sdk_dynamodb::Client::new(&config), &table)
        .await
        .expect("create the table");
    let writer = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table.clone());
    let mut team = credwatch::inventory::Team {
        id: "marketing-ops".to_string(),
        name: "Marketing operations".to_string(),
        timezone: None,
        business_hours: None,
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        notify: credwatch::inventory::Notify::default(),
        maintenance: Vec::new(),
    };
    team.notify.group_wait = std::time::Duration::ZERO;
    credwatch::store::Teams::put_team(&writer, &team)
        .await
        .expect("the team");
    let mut stream = StreamReader::open(&config, &table).await;
    let now = Utc::now();
    for i in 0..N {
        let id: IncidentId = format!("int-{i}:auth:1").parse().expect("an id");
        let incident = Incident {
            id,
            integration: format!("int-{i}"),
            check: CheckKind::Auth,
            class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
            severity: Severity::High,
            team: "marketing-ops".to_string(),
            open: true,
            opened_at: now,
            updated_at: now,
            resolved_at: None,
            threshold_days: None,
            message: "SFMC says: Client authentication failed.".to_string(),
            http_status: Some(401),
            class_since: None,
            ack: None,
        };
        assert!(writer.open_incident(&incident).await.expect("opened"));
    }
    let batch = stream.next_event().await;
    // The team's item (ignored by the fan-out) and the N incidents.
    assert_eq!(batch["Records"].as_array().map(Vec::len), Some(N + 1));

    // The topic does not exist yet for half of the story: first the stream path to a live
    // topic, then the sweep of notifications whose publish failed.
    let topic = create_topic(&sns, &unique_name("cost")).await;
    let requests = DynamoRequestCounter::default();
    let app = App {
        store: DynamoStore::new(requests.client(&config), table.clone()),
        publisher: SnsPublisher::new(sns.clone(), topic.clone()),
        sweep_limit: SWEEP_LIMIT,
    };
    let answer = handle_at(&app, &batch, now).await.expect("handled");
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let counts = requests.counts();
    let per = requests.total() as f64 / N as f64;
    let published = publishes(&topic).await.len();
    println!(
        "stream path, {N} notifications: DynamoDB {counts:?} = {per:.2} requests and {:.2} SNS publishes per notification",
        published as f64 / N as f64
    );
    assert_eq!(published, N);
    assert_eq!(counts.get("GetItem"), None, "{counts:?}");
    assert_eq!(counts.get("PutItem"), Some(&(N as u64)), "{counts:?}");
    assert_eq!(counts.get("UpdateItem"), Some(&(N as u64)), "{counts:?}");
    assert_eq!(
        counts.get("Query"),
        Some(&3),
        "the context, once: {counts:?}"
    );
    assert_eq!(requests.total(), 2 * N as u64 + 3, "{counts:?}");

    // Resolves published to a topic that is gone, then swept once it is back.
    for i in 0..N {
        assert!(
            writer
                .resolve_incident(&format!("int-{i}:auth:1"), "works again", now)
                .await
                .expect("resolved")
        );
    }
    let batch = stream.next_event().await;
    let gone = App {
        store: DynamoStore::new(requests.client(&config), table.clone()),
        publisher: SnsPublisher::new(sns.clone(), format!("{topic}-gone")),
        sweep_limit: SWEEP_LIMIT,
    };
    handle_at(&gone, &batch, now).await.expect("handled");
    requests.reset();
    let later = now + TimeDelta::hours(1);
    let swept = handle_at(&app, &scheduled(), later).await.expect("swept");
    assert_eq!(swept["deliveries"]["sent"], N, "{swept}");
    let counts = requests.counts();
    println!(
        "sweep, {N} failed notifications: DynamoDB {counts:?} = {:.2} requests per notification",
        requests.total() as f64 / N as f64
    );
    assert_eq!(
        counts.get("Query"),
        Some(&5),
        "the context (3), the due notifications and the open incidents: {counts:?}"
    );
    assert_eq!(
        counts.get("UpdateItem"),
        Some(&(2 * N as u64)),
        "{counts:?}"
    );
    assert_eq!(publishes(&topic).await.len(), 2 * N);
}
