//! `credwatch ingest token create|revoke|list`, the passive view of `status` and the reported
//! calls of `incident show`, the real binary against moto_server, on records written through
//! the DynamoDB store as the ingest function writes them.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, Incident, IncidentChange, IncidentClass};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::passive::{
    CallKind, EventSource, PassiveCommit, PassivePattern, PassiveState, SfmcCall,
};
use credwatch::inventory::{Integration, Severity};
use credwatch::secrets::SecretSource;
use credwatch::secrets::ingest_token::ingest_token_hash;
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::{CommitOutcome, IngestTokens as _, Integrations as _, PassiveRecords as _};
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::cli::run;
use serde_json::Value;

fn credwatch(args: &[&str]) -> tokio::process::Command {
    credwatch_tests::cli::command(env!("CARGO_BIN_EXE_credwatch").as_ref(), args)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// A fresh table and its store, holding integrations `ids`.
async fn table(label: &str, ids: &[&str]) -> (String, DynamoStore, aws_sdk_dynamodb::Client) {
    let table = unique_name(label);
    let (code, _, stderr) = run(credwatch(&["table", "create", "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let store = DynamoStore::new(client.clone(), table.clone());
    let now = Utc::now();
    for id in ids {
        store
            .put_integration(&integration(id), now, now)
            .await
            .expect("stored");
    }
    (table, store, client)
}

fn integration(id: &str) -> Integration {
    Integration {
        id: id.to_string(),
        name: format!("{id} integration"),
        owner: "crm-ops".to_string(),
        severity: Severity::High,
        auth_url: "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/"
            .parse()
            .expect("a URL"),
        client_id: "0m0het6mqknzv0uebqlvoo41".to_string(),
        client_secret: SecretSource::Env("CRM_SECRET".to_string()),
        account_id: None,
        expected_scopes: Vec::new(),
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: Vec::new(),
        records_per_hour: None,
        runbook: None,
        probe_every: Duration::from_secs(15 * 60),
        recheck_every: Duration::from_secs(2 * 60),
        expiry_warn_days: vec![7],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}

/// Every item of the table, as text (to look for what must never be stored).
async fn every_item(client: &aws_sdk_dynamodb::Client, table: &str) -> String {
    let scan = client
        .scan()
        .table_name(table)
        .send()
        .await
        .expect("scan (test only)");
    format!("{:?}", scan.items())
}

fn token_args<'a>(command: &'a str, id: &'a str, table: &'a str) -> Vec<&'a str> {
    vec![
        "ingest",
        "token",
        command,
        "--integration",
        id,
        "--table",
        table,
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_shown_once_stored_as_hashes_listed_and_revoked() {
    let (table, store, client) = table("cli-ingest", &["crm-sync", "other-sync"]).await;

    // An integration the table does not know: exit 2, naming it, nothing stored.
    let (code, stdout, stderr) = run(credwatch(&token_args("create", "ghost-sync", &table))).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("holds no integration ghost-sync"),
        "{stderr}"
    );
    // Not an id at all: exit 2 before any call.
    let (code, _, stderr) = run(credwatch(&token_args("create", "Ghost Sync", &table))).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not an integration id"), "{stderr}");

    // JSON: {"integration", "token"}; logged at trace level, the token is on stdout only.
    let mut create = credwatch(&[
        "ingest",
        "token",
        "create",
        "--integration",
        "crm-sync",
        "--table",
        &table,
        "--format",
        "json",
    ]);
    create
        .env("CREDWATCH_LOG", "trace")
        .env("RUST_LOG", "trace");
    let (code, stdout, stderr) = run(create).await;
    assert_eq!(code, 0, "{stderr}");
    let created = json(&stdout);
    assert_eq!(
        created.as_object().map(|o| o.len()),
        Some(2),
        "exactly integration and token: {created}"
    );
    assert_eq!(created["integration"], "crm-sync");
    let first = created["token"].as_str().expect("a token").to_string();
    let encoded = first.strip_prefix("cwi_").expect("cwi_ prefix");
    assert_eq!(encoded.len(), 43, "{first}");
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{first}"
    );
    assert!(!stderr.is_empty(), "trace logging is on");
    assert!(
        !stderr.contains(encoded),
        "the token reached the log: {stderr}"
    );

    // Only the hash is stored, bound to the integration.
    let hash = ingest_token_hash(&first);
    let stored = store
        .ingest_token(&hash)
        .await
        .expect("read")
        .expect("the token's hash is on record");
    assert_eq!(stored.integration, "crm-sync");
    let items = every_item(&client, &table).await;
    assert!(items.contains(&hash), "the hash is stored");
    assert!(!items.contains(encoded), "the token itself is never stored");

    // The table form: the token once on its own line, and a curl line with it.
    let (code, stdout, stderr) = run(credwatch(&[
        "ingest",
        "token",
        "create",
        "--integration",
        "crm-sync",
        "--table",
        &table,
        "--url",
        "https://abc.lambda-url.eu-west-1.on.aws/",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let second = stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("cwi_"))
        .unwrap_or_else(|| panic!("the token on a line: {stdout}"))
        .to_string();
    assert_ne!(second, first);
    assert!(
        stdout.contains(&format!(
            "curl -sS -X POST \"https://abc.lambda-url.eu-west-1.on.aws/v1/events\" -H \"Authorization: Bearer {second}\""
        )),
        "{stdout}"
    );
    let short = &ingest_token_hash(&second)[..8];
    assert!(stdout.contains(short), "its short id: {stdout}");

    // Another integration's token is not listed or revoked with crm-sync's.
    let (code, _, stderr) = run(credwatch(&token_args("create", "other-sync", &table))).await;
    assert_eq!(code, 0, "{stderr}");

    let mut list = token_args("list", "crm-sync", &table);
    list.extend(["--format", "json"]);
    let (code, stdout, stderr) = run(credwatch(&list)).await;
    assert_eq!(code, 0, "{stderr}");
    let listed = json(&stdout);
    assert_eq!(listed["integration"], "crm-sync");
    let ids: Vec<&str> = listed["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| t["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids.len(), 2, "{listed}");
    assert!(
        ids.contains(&&hash[..8]) && ids.contains(&short),
        "{listed}"
    );
    assert!(
        !stdout.contains(encoded) && !stdout.contains(&hash),
        "{stdout}"
    );
    let (code, stdout, _) = run(credwatch(&token_args("list", "crm-sync", &table))).await;
    assert_eq!(code, 0);
    assert!(
        stdout.contains("2 ingest tokens of integration crm-sync"),
        "{stdout}"
    );

    let mut revoke = token_args("revoke", "crm-sync", &table);
    revoke.extend(["--format", "json"]);
    let (code, stdout, stderr) = run(credwatch(&revoke)).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        json(&stdout),
        serde_json::json!({"integration": "crm-sync", "revoked": 2})
    );
    assert_eq!(store.ingest_token(&hash).await.expect("read"), None);
    assert_eq!(
        store
            .ingest_tokens_of("other-sync")
            .await
            .expect("read")
            .len(),
        1,
        "another integration's token stays"
    );
    let (code, stdout, _) = run(credwatch(&token_args("revoke", "crm-sync", &table))).await;
    assert_eq!(code, 0);
    assert!(stdout.contains("had no ingest tokens"), "{stdout}");
    let (code, stdout, _) = run(credwatch(&token_args("list", "crm-sync", &table))).await;
    assert_eq!(code, 0);
    assert!(stdout.contains("has no ingest tokens"), "{stdout}");
}

fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp(), 0).expect("a time")
}

fn call(
    id: &str,
    event: &str,
    observed_at: DateTime<Utc>,
    class: OutcomeClass,
    count: u32,
) -> SfmcCall {
    let failed = class != OutcomeClass::Ok;
    SfmcCall {
        event_id: event.to_string(),
        integration_id: id.to_string(),
        source: EventSource::Https,
        received_at: observed_at,
        class: Some(class),
        observed_at,
        call_kind: CallKind::Token,
        count,
        window_secs: (count > 1).then_some(60),
        host: None,
        method: None,
        path_template: None,
        status: Some(if failed { 401 } else { 200 }),
        sfmc_errorcode: None,
        oauth_error: failed.then(|| "invalid_client".to_string()),
        soap_fault: None,
        message: failed.then(|| "Client authentication failed.".to_string()),
        retry_after_secs: None,
        resend_count: None,
        token_age_secs: None,
        network_error: None,
        account_id: None,
        client_id: None,
        reporter: Some("orders-sync-lambda".to_string()),
        trace_id: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_what_each_integration_reported_and_incident_show_the_calls_behind() {
    let (table, store, _) = table("cli-passive", &["crm-sync", "quiet-sync"]).await;
    let now = whole_seconds(Utc::now());
    let calls = [
        call(
            "crm-sync",
            "ok-1",
            now - TimeDelta::minutes(20),
            OutcomeClass::Ok,
            40,
        ),
        call(
            "crm-sync",
            "bad-1",
            now - TimeDelta::minutes(10),
            OutcomeClass::ClientAuthFailed,
            3,
        ),
        call(
            "crm-sync",
            "bad-2",
            now - TimeDelta::minutes(5),
            OutcomeClass::ClientAuthFailed,
            1,
        ),
        // Two hours ago: not in the last hour, but kept as a failure.
        call(
            "crm-sync",
            "old-1",
            now - TimeDelta::hours(2),
            OutcomeClass::ClientAuthFailed,
            7,
        ),
    ];
    store.record_calls(&calls).await.expect("recorded");
    let opened = now - TimeDelta::minutes(10);
    let incident = Incident {
        id: PassivePattern::ReportedAuthFailure.incident_id("crm-sync"),
        integration: "crm-sync".into(),
        check: CheckKind::Passive,
        class: IncidentClass::ReportedAuthFailure,
        severity: Severity::High,
        team: "crm-ops".into(),
        open: true,
        opened_at: opened,
        updated_at: opened,
        resolved_at: None,
        threshold_days: None,
        message: "The integration reported 4 token requests refused (invalid_client).".into(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    };
    let commit = PassiveCommit {
        integration: "crm-sync".into(),
        expected_version: 0,
        state: PassiveState {
            last_report_at: Some(now),
            report_minutes: 3,
            ..PassiveState::default()
        },
        incidents: vec![IncidentChange::Opened(incident.clone())],
    };
    assert_eq!(
        store.commit_passive(&commit).await.expect("committed"),
        CommitOutcome::Applied
    );

    let (code, stdout, stderr) = run(credwatch(&[
        "status", "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let rows = json(&stdout);
    let row = |id: &str| {
        rows.as_array()
            .expect("rows")
            .iter()
            .find(|r| r["integration"] == id)
            .unwrap_or_else(|| panic!("{id}: {rows}"))
            .clone()
    };
    assert_eq!(
        row("crm-sync")["passive"],
        serde_json::json!({
            "calls_last_hour": 44,
            "failures_last_hour": 4,
            "last_failure_at": (now - TimeDelta::minutes(5)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            "last_failure_class": "client_auth_failed",
        })
    );
    assert!(row("quiet-sync")["passive"].is_null(), "never reported");
    assert_eq!(row("crm-sync")["open_incidents"][0]["check"], "passive");
    let (code, stdout, _) = run(credwatch(&["status", "--table", &table])).await;
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Reported (1 h)") || stdout.contains("reported (1 h)"),
        "{stdout}"
    );
    assert!(stdout.contains("44 calls, 4 failed"), "{stdout}");

    // The failed calls behind the incident: an hour before it opened until now, newest first.
    let id = incident.id.to_string();
    let (code, stdout, stderr) = run(credwatch(&[
        "incident", "show", &id, "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    let events: Vec<(&str, u64)> = report["reported_calls"]
        .as_array()
        .expect("reported_calls")
        .iter()
        .map(|c| {
            (
                c["observed_at"].as_str().expect("a time"),
                c["count"].as_u64().expect("a count"),
            )
        })
        .collect();
    assert_eq!(
        events.len(),
        2,
        "the 2-hour-old failure is outside the window: {report}"
    );
    assert_eq!(events[0].1, 1, "newest first");
    assert_eq!(events[1].1, 3);
    let first = &report["reported_calls"][0];
    assert_eq!(first["call_kind"], "token");
    assert_eq!(first["status"], 401);
    assert_eq!(first["code"], "invalid_client");
    assert_eq!(first["class"], "client_auth_failed");
    assert_eq!(first["reporter"], "orders-sync-lambda");
    let (code, stdout, _) = run(credwatch(&["incident", "show", &id, "--table", &table])).await;
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Reported calls behind it (2 failed calls"),
        "{stdout}"
    );
}

/// One team, and integration `crm-sync` with `ingest` lines (already indented) when given.
fn inventory(extra: &str) -> String {
    format!(
        "version: 1\nteams:\n  - id: crm-ops\n    name: CRM Operations\nintegrations:\n  - id: crm-sync\n    \
         name: CRM sync\n    owner: crm-ops\n    severity: high\n    auth_url: \
         https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/\n    client_id: \
         0m0het6mqknzv0uebqlvoo41\n    client_secret: {{ env: CRM_SECRET }}\n{extra}"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_plan_and_apply_carry_the_ingest_binding() {
    let (table, store, _) = table("cli-ingest-inv", &[]).await;
    let dir = std::env::temp_dir().join(unique_name("cli-ingest-inv"));
    std::fs::create_dir_all(&dir).expect("a scratch dir");
    let write = |name: &str, yaml: &str| {
        let path = dir.join(name);
        std::fs::write(&path, yaml).expect("written");
        path.display().to_string()
    };
    let plain = write("plain.yaml", &inventory(""));
    let bound = write(
        "bound.yaml",
        &inventory(
            "    ingest:\n      log_groups: [/aws/lambda/crm-sync]\n      event_sources: [com.acme.crm-sync]\n",
        ),
    );
    let (code, _, stderr) = run(credwatch(&[
        "inventory",
        "apply",
        &plain,
        "--table",
        &table,
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(credwatch(&[
        "inventory",
        "plan",
        &bound,
        "--table",
        &table,
        "--format",
        "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        json(&stdout)["plan"]["changed"],
        serde_json::json!([{"id": "crm-sync", "fields": ["ingest"]}])
    );
    let (code, _, stderr) = run(credwatch(&[
        "inventory",
        "apply",
        &bound,
        "--table",
        &table,
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let record = store
        .get_integration("crm-sync")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(
        record.integration.ingest.log_groups,
        ["/aws/lambda/crm-sync"]
    );
    assert_eq!(
        record.integration.ingest.event_sources,
        ["com.acme.crm-sync"]
    );

    // A log group bound to two integrations: refused (exit 2), naming both and the field.
    let clash = write(
        "clash.yaml",
        &format!(
            "{}  - id: orders-sync\n    name: Orders sync\n    owner: crm-ops\n    severity: high\n    \
             auth_url: https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/\n    \
             client_id: 1m0het6mqknzv0uebqlvoo42\n    client_secret: {{ env: ORDERS_SECRET }}\n    \
             ingest: {{ log_groups: [/aws/lambda/crm-sync] }}\n",
            inventory("    ingest: { log_groups: [/aws/lambda/crm-sync] }\n")
        ),
    );
    let (code, _, stderr) = run(credwatch(&["inventory", "plan", &clash, "--table", &table])).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("integrations[1] (orders-sync)"), "{stderr}");
    assert!(stderr.contains("ingest.log_groups[0]"), "{stderr}");
    assert!(
        stderr.contains("is also bound to integration crm-sync"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
