//! What credwatch costs a month in AWS, per integration, at 10, 100 and 1,000 integrations with
//! the default cadence (probe every 15 minutes, probe tick and sweep every minute, expiry scan
//! hourly), from counts of a real run and the prices of `benches/prices.yaml` (the only place
//! prices live).
//!
//! The run: the template deployed as a stack on moto (`credwatch_tests::stack`), the release
//! binaries under the Lambda Runtime API stand-in with their created configuration, every AWS
//! request through a counting proxy (`credwatch_tests::proxy`), SFMC played by the simulator
//! answering after 200 ms (a real tenant's order of magnitude, so durations include waiting on
//! SFMC). Each phase runs in a fresh process, whose output is its log (bytes ingested) and
//! whose EMF lines are its CloudWatch metrics:
//!
//! - a probe tick with MEASURED integrations due, and one with none due (the per-integration
//!   cost is the difference over MEASURED);
//! - an expiry scan and a sweep;
//! - one incident: a revoked secret probed, opened, fanned out to SNS, fixed, resolved, fanned
//!   out again (both notifications' publishes and one email delivery each), and each publish
//!   delivered to slack-notify (its lambda subscription) and posted to the team's Slack webhook
//!   (a local stand-in).
//!
//! Assumptions, printed with the result: one incident per integration per month; one Secrets
//! Manager secret per integration, and one Slack webhook secret per team (one team); each notification emailed to one address (the owning
//! team's); an expiry scan's cost grows linearly with the integrations; one KMS request
//! per publish to the encrypted topic (an upper bound: SNS reuses data keys).
//!
//!   cargo build --release --workspace --bins
//!   CREDWATCH_TEST_AWS_ENDPOINT=http://127.0.0.1:5123 cargo bench --bench cost

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::aws::{child_env, endpoint, sdk_config, unique_name};
use credwatch_tests::proxy::{Call, CountingProxy};
use credwatch_tests::slack::SlackStandIn;
use credwatch_tests::sns::{lambda_event, publishes};
use credwatch_tests::stack::Stack;
use credwatch_tests::streams::StreamReader;
use credwatch_tests::{SYNC_SCOPES, Scratch};
use serde_json::{Value, json};
use serde_yaml_ng::Value as Yaml;

/// Integrations probed in the measured tick.
const MEASURED: usize = 20;
/// SFMC's answer time the simulator plays.
const SFMC_LATENCY: Duration = Duration::from_millis(200);
const MINUTES_PER_MONTH: f64 = 30.0 * 24.0 * 60.0;
const INCIDENTS_PER_INTEGRATION_MONTH: f64 = 1.0;
const SIZES: [f64; 3] = [10.0, 100.0, 1000.0];
/// Teams with a Slack webhook secret (each a Secrets Manager secret of its own).
const SLACK_TEAMS: f64 = 1.0;
const SECRET: &str = "Zq4Wm8Rt2Yp6Kx1Nc5Vb9Hd3";
const REVOKED: &str = "Stale7Secret3Nobody2Uses";

/// What one phase used.
#[derive(Debug, Default, Clone)]
struct Usage {
    invocations: f64,
    gb_seconds: f64,
    /// Every AWS request.
    requests: f64,
    dynamo_read_units: f64,
    dynamo_write_units: f64,
    /// Bytes of history items written (kept 90 days).
    history_bytes: f64,
    secrets_calls: f64,
    publishes: f64,
    other_requests: f64,
    log_bytes: f64,
}

impl Usage {
    fn from_calls(calls: &[Call]) -> Usage {
        let mut usage = Usage {
            requests: calls.len() as f64,
            ..Usage::default()
        };
        for call in calls {
            usage.dynamo_read_units += call.read_units;
            usage.dynamo_write_units += call.write_units;
            match (call.service.as_str(), call.action.as_str()) {
                ("dynamodb", "BatchWriteItem") => usage.history_bytes += call.request_bytes as f64,
                ("dynamodb", _) => {}
                ("secretsmanager", _) => usage.secrets_calls += 1.0,
                ("sns", "Publish") => usage.publishes += 1.0,
                _ => usage.other_requests += 1.0,
            }
        }
        usage
    }

    fn scaled(&self, k: f64) -> Usage {
        Usage {
            invocations: self.invocations * k,
            gb_seconds: self.gb_seconds * k,
            requests: self.requests * k,
            dynamo_read_units: self.dynamo_read_units * k,
            dynamo_write_units: self.dynamo_write_units * k,
            history_bytes: self.history_bytes * k,
            secrets_calls: self.secrets_calls * k,
            publishes: self.publishes * k,
            other_requests: self.other_requests * k,
            log_bytes: self.log_bytes * k,
        }
    }

    fn plus(&self, other: &Usage) -> Usage {
        Usage {
            invocations: self.invocations + other.invocations,
            gb_seconds: self.gb_seconds + other.gb_seconds,
            requests: self.requests + other.requests,
            dynamo_read_units: self.dynamo_read_units + other.dynamo_read_units,
            dynamo_write_units: self.dynamo_write_units + other.dynamo_write_units,
            history_bytes: self.history_bytes + other.history_bytes,
            secrets_calls: self.secrets_calls + other.secrets_calls,
            publishes: self.publishes + other.publishes,
            other_requests: self.other_requests + other.other_requests,
            log_bytes: self.log_bytes + other.log_bytes,
        }
    }

    fn minus(&self, other: &Usage) -> Usage {
        self.plus(&other.scaled(-1.0))
    }
}

/// The price `section.name` of prices.yaml.
fn price(prices: &Yaml, section: &str, name: &str) -> f64 {
    prices[section][name]
        .as_f64()
        .unwrap_or_else(|| panic!("prices.yaml: {section}.{name} is not a number"))
}

/// Minutes between runs of a `rate(N unit)` schedule expression.
fn rate_minutes(expression: &str) -> f64 {
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|e| e.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not a rate expression: {expression}"));
    let (n, unit) = inner.split_once(' ').expect("rate(N unit)");
    let n: f64 = n.parse().expect("a number");
    match unit.trim_end_matches('s') {
        "minute" => n,
        "hour" => n * 60.0,
        "day" => n * 1440.0,
        other => panic!("unit {other}"),
    }
}

/// The created schedule rule of function `logical_id`: (rule ARN, minutes between runs).
fn schedule(stack: &Stack, logical_id: &str) -> (String, f64) {
    let arn = &stack.function(logical_id)["configuration"]["FunctionArn"];
    let rule = stack.created["rules"]
        .as_object()
        .expect("rules")
        .values()
        .find(|rule| {
            rule["ScheduleExpression"].is_string()
                && rule["Targets"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t["Arn"] == *arn))
        })
        .unwrap_or_else(|| panic!("no schedule for {logical_id}"));
    (
        rule["Arn"].as_str().expect("an ARN").to_string(),
        rate_minutes(rule["ScheduleExpression"].as_str().expect("an expression")),
    )
}

fn scheduled_event(rule: &str) -> Value {
    json!({
        "version": "0", "id": "cost", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "region": "us-east-1", "resources": [rule], "detail": {},
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// Runs `events` through a fresh process of function `logical_id`; what it used, and its EMF
/// metric keys.
async fn phase(
    stack: &Stack,
    proxy: &CountingProxy,
    logical_id: &str,
    env: &[(&str, String)],
    events: &[Value],
) -> (Usage, BTreeSet<String>) {
    let memory_gb = stack.function(logical_id)["configuration"]["MemorySize"]
        .as_f64()
        .expect("a memory size")
        / 1024.0;
    let process = stack.start(logical_id, env).await;
    process.runtime.first_poll(Duration::from_secs(30)).await;
    proxy.reset();
    let mut billed = 0.0;
    for event in events {
        let started = Instant::now();
        if let Err(error) = process.invoke(event.clone()).await {
            panic!("{logical_id} failed: {error}");
        }
        // Lambda bills each invocation rounded up to the millisecond.
        billed += (started.elapsed().as_secs_f64() * 1000.0).ceil() / 1000.0;
    }
    let calls = proxy.calls();
    let counts: Vec<String> = proxy
        .counts()
        .into_iter()
        .map(|((service, action), n)| format!("{service}:{action} {n}"))
        .collect();
    println!("{logical_id} x{}: {}", events.len(), counts.join(", "));
    let (out, err) = process.stop().await;
    let mut usage = Usage::from_calls(&calls);
    usage.invocations = events.len() as f64;
    usage.gb_seconds = billed * memory_gb;
    usage.log_bytes = (out.len() + err.len()) as f64;
    let metrics = out
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|doc| doc.get("_aws").is_some())
        .flat_map(|doc| {
            let directive = &doc["_aws"]["CloudWatchMetrics"][0];
            let dimensions: Vec<String> = directive["Dimensions"][0]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|d| format!("{d}={}", doc[d].as_str().unwrap_or_default()))
                .collect();
            directive["Metrics"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    format!(
                        "{}[{}]",
                        m["Name"].as_str().unwrap_or_default(),
                        dimensions.join(",")
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    (usage, metrics)
}

fn inventory_yaml(sim: &Simulator, secrets: &[String], webhook: &str) -> String {
    let mut integrations = String::new();
    for (i, secret) in secrets.iter().enumerate() {
        integrations.push_str(&format!(
            "  - id: int-{i}\n    name: Integration {i}\n    owner: marketing-ops\n    severity: high\n    \
             auth_url: {url}\n    client_id: int-{i}-client\n    client_secret: {{ aws_secret: \"{secret}\", key: client_secret }}\n    \
             account_id: 500123456\n    expected_scopes: [{scopes}]\n",
            url = sim.base_url(),
            scopes = SYNC_SCOPES.join(", "),
        ));
    }
    format!(
        "version: 1\nteams:\n  - id: marketing-ops\n    name: Marketing Operations\n    notify:\n      \
         email: [marketing-ops@example.com]\n      slack_webhook: {{ aws_secret: \"{webhook}\" }}\nintegrations:\n{integrations}"
    )
}

async fn put_secret(client: &aws_sdk_secretsmanager::Client, name: &str, value: &str) {
    client
        .put_secret_value()
        .secret_id(name)
        .secret_string(json!({ "client_secret": value }).to_string())
        .send()
        .await
        .expect("put the secret value");
}

#[tokio::main]
async fn main() {
    let prices: Yaml = serde_yaml_ng::from_str(include_str!("prices.yaml")).expect("prices.yaml");
    let stack = Stack::deploy_without(
        &credwatch_tests::cli::release_dir(),
        &["AWS::Lambda::EventSourceMapping"],
    )
    .await;
    let table = stack.output("TableName").to_string();
    let topic = stack.output("AlertTopicArn").to_string();
    let config = sdk_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let sim = Simulator::start().await.expect("the simulator");
    sim.set_latency(SFMC_LATENCY);
    let scratch = Scratch::new("cost");
    let prefix = stack.environment("ProbeFunction")[credwatch::config::SECRET_PREFIX_VAR].clone();
    let mut names = Vec::new();
    for i in 0..MEASURED {
        let name = format!("{prefix}marketing-ops/{}", unique_name(&format!("int-{i}")));
        secrets
            .create_secret()
            .name(&name)
            .secret_string(json!({ "client_secret": SECRET }).to_string())
            .send()
            .await
            .expect("create the secret");
        sim.set_client(
            &format!("int-{i}-client"),
            ClientConfig::healthy(SECRET, SYNC_SCOPES, 500_123_456),
        );
        names.push(name);
    }
    let slack = SlackStandIn::start().await;
    let slack_prefix = stack.environment("SlackNotifyFunction")
        [credwatch::config::SLACK_SECRET_PREFIX_VAR]
        .clone();
    let webhook = format!("{slack_prefix}{}", unique_name("marketing-ops"));
    secrets
        .create_secret()
        .name(&webhook)
        .secret_string(slack.webhook_url("marketing-ops", "cost0hook0secret0part"))
        .send()
        .await
        .expect("create the webhook secret");
    let subscription = stack.lambda_subscription("AlertTopic", "SlackNotifyFunction");
    let file = scratch.path().join("inventory.yaml");
    std::fs::write(&file, inventory_yaml(&sim, &names, &webhook)).expect("write the inventory");
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

    let proxy = CountingProxy::start(&endpoint()).await;
    let mut env = child_env();
    env.retain(|(name, _)| *name != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", proxy.endpoint()));
    env.push((credwatch::config::ALLOW_ANY_ENDPOINT_VAR, "1".into()));
    let (probe_rule, probe_tick) = schedule(&stack, "ProbeFunction");
    let (scan_rule, scan_every) = schedule(&stack, "ExpiryScanFunction");
    let (sweep_rule, sweep_every) = schedule(&stack, "AlertFanoutFunction");
    let mut metrics = BTreeSet::new();

    let (due, m) = phase(
        &stack,
        &proxy,
        "ProbeFunction",
        &env,
        &[scheduled_event(&probe_rule)],
    )
    .await;
    metrics.extend(m);
    let (idle, m) = phase(
        &stack,
        &proxy,
        "ProbeFunction",
        &env,
        &[scheduled_event(&probe_rule)],
    )
    .await;
    metrics.extend(m);
    let (scan, m) = phase(
        &stack,
        &proxy,
        "ExpiryScanFunction",
        &env,
        &[scheduled_event(&scan_rule)],
    )
    .await;
    metrics.extend(m);
    let (sweep, m) = phase(
        &stack,
        &proxy,
        "AlertFanoutFunction",
        &env,
        &[scheduled_event(&sweep_rule)],
    )
    .await;
    metrics.extend(m);

    // One incident, opened and resolved, with its two notifications.
    let mut stream = StreamReader::open(&config, &table).await;
    let _before = stream.records().await;
    let force = json!({"integrations": ["int-0"], "force": true});
    put_secret(&secrets, &names[0], REVOKED).await;
    let (opened, m) = phase(
        &stack,
        &proxy,
        "ProbeFunction",
        &env,
        std::slice::from_ref(&force),
    )
    .await;
    metrics.extend(m);
    let batch = stream.next_event().await;
    let (fanout_opened, m) = phase(&stack, &proxy, "AlertFanoutFunction", &env, &[batch]).await;
    metrics.extend(m);
    let sent = publishes(&topic).await;
    let last = sent.last().expect("the opened notification was published");
    let (slack_opened, m) = phase(
        &stack,
        &proxy,
        "SlackNotifyFunction",
        &env,
        &[lambda_event(&topic, &subscription, last)],
    )
    .await;
    metrics.extend(m);
    put_secret(&secrets, &names[0], SECRET).await;
    let (resolved, m) = phase(
        &stack,
        &proxy,
        "ProbeFunction",
        &env,
        &[force.clone(), force],
    )
    .await;
    metrics.extend(m);
    let batch = stream.next_event().await;
    let (fanout_resolved, m) = phase(&stack, &proxy, "AlertFanoutFunction", &env, &[batch]).await;
    metrics.extend(m);
    let sent = publishes(&topic).await;
    let last = sent
        .last()
        .expect("the resolved notification was published");
    let (slack_resolved, m) = phase(
        &stack,
        &proxy,
        "SlackNotifyFunction",
        &env,
        &[lambda_event(&topic, &subscription, last)],
    )
    .await;
    metrics.extend(m);
    assert_eq!(
        slack.posts().len(),
        2,
        "slack-notify posted the opened and the resolved message"
    );
    let incident = opened
        .plus(&fanout_opened)
        .plus(&slack_opened)
        .plus(&resolved)
        .plus(&fanout_resolved)
        .plus(&slack_resolved);
    assert_eq!(
        incident.publishes, 2.0,
        "opened and resolved were published: {incident:?}"
    );

    let per_integration_probe = due.minus(&idle).scaled(1.0 / MEASURED as f64);
    let probes_per_integration = MINUTES_PER_MONTH
        / (credwatch::inventory::Defaults::default()
            .probe_every
            .as_secs_f64()
            / 60.0);
    let per_integration_metrics =
        metrics.iter().filter(|k| k.contains("int-")).count() as f64 / MEASURED as f64;
    let fixed_metrics = metrics.iter().filter(|k| !k.contains("int-")).count() as f64;
    let alarm_metrics: f64 = stack
        .declared("AWS::CloudWatch::Alarm")
        .iter()
        .map(|(_, a)| match a["Properties"]["Metrics"].as_array() {
            Some(metrics) => metrics
                .iter()
                .filter(|m| m["MetricStat"].is_object())
                .count() as f64,
            None => 1.0,
        })
        .sum();
    let keys = stack.declared("AWS::KMS::Key").len() as f64;

    println!(
        "credwatch: AWS cost per month, {} list prices of {} (tests/benches/prices.yaml)",
        text(&prices["region"]),
        text(&prices["date"])
    );
    println!(
        "measured: probe tick with {MEASURED} due {:.0} requests / {:.3} GB-s; idle tick {:.0} requests / {:.4} GB-s; expiry scan {:.0} / {:.4}; sweep {:.0} / {:.4}; one incident {:.0} requests, {} publishes",
        due.requests,
        due.gb_seconds,
        idle.requests,
        idle.gb_seconds,
        scan.requests,
        scan.gb_seconds,
        sweep.requests,
        sweep.gb_seconds,
        incident.requests,
        incident.publishes
    );
    println!(
        "EMF metrics seen: {fixed_metrics} fixed, {per_integration_metrics:.1} per integration; alarms watch {alarm_metrics} metrics"
    );
    println!(
        "assumptions: probe every {:.0} min, tick every {probe_tick} min, sweep every {sweep_every} min, expiry scan every {scan_every} min; {INCIDENTS_PER_INTEGRATION_MONTH} incident per integration-month; each notification emailed to one address and posted to one Slack webhook ({SLACK_TEAMS} team); SFMC answers in {} ms",
        probes_per_integration.recip() * MINUTES_PER_MONTH,
        SFMC_LATENCY.as_millis()
    );
    println!();
    println!(
        "| integrations | Lambda | DynamoDB | SNS | Secrets Manager | CloudWatch | KMS | total / month | per integration |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in SIZES {
        let usage = idle
            .scaled(MINUTES_PER_MONTH / probe_tick)
            .plus(&per_integration_probe.scaled(n * probes_per_integration))
            .plus(&scan.scaled(MINUTES_PER_MONTH / scan_every * n / MEASURED as f64))
            .plus(&sweep.scaled(MINUTES_PER_MONTH / sweep_every))
            .plus(&incident.scaled(n * INCIDENTS_PER_INTEGRATION_MONTH));
        let lambda = usage.invocations * price(&prices, "lambda", "request")
            + usage.gb_seconds * price(&prices, "lambda", "gb_second");
        // History items live 90 days: the stored bytes are 90 days' worth of writes (plus
        // DynamoDB's 100 bytes of overhead per item, inside the request bytes' margin).
        let stored_gb = usage.history_bytes / (MINUTES_PER_MONTH / 1440.0) * 90.0 / 1e9;
        let dynamo = usage.dynamo_read_units * price(&prices, "dynamodb", "read_request_unit")
            + usage.dynamo_write_units * price(&prices, "dynamodb", "write_request_unit")
            + stored_gb * price(&prices, "dynamodb", "storage_gb_month");
        let emails = usage.publishes; // one team's address per notification
        let sns = usage.publishes * price(&prices, "sns", "publish")
            + emails * price(&prices, "sns", "email_delivery");
        let secrets_cost = (n + SLACK_TEAMS) * price(&prices, "secrets_manager", "secret_month")
            + usage.secrets_calls * price(&prices, "secrets_manager", "api_call");
        let log_gb = usage.log_bytes / 1e9;
        let cloudwatch = (fixed_metrics + per_integration_metrics * n)
            * price(&prices, "cloudwatch", "metric_month")
            + alarm_metrics * price(&prices, "cloudwatch", "alarm_metric_month")
            + log_gb
                * (price(&prices, "cloudwatch", "log_ingestion_gb")
                    + price(&prices, "cloudwatch", "log_storage_gb_month"));
        let kms = keys * price(&prices, "kms", "key_month")
            + usage.publishes * price(&prices, "kms", "request");
        let total = lambda + dynamo + sns + secrets_cost + cloudwatch + kms;
        println!(
            "| {n:.0} | ${lambda:.2} | ${dynamo:.2} | ${sns:.2} | ${secrets_cost:.2} | ${cloudwatch:.2} | ${kms:.2} | ${total:.2} | ${:.3} |",
            total / n
        );
    }
    sim.shutdown().await;
}

fn text(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}
