//! `credwatch table create`, `inventory plan|apply` and `status` against moto_server, through
//! the standard AWS environment variables, as an operator runs them.

use std::path::Path;
use std::process::Output;

use aws_sdk_dynamodb::types::AttributeValue;
use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::aws::{child_env, unique_name};
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory_yaml};
use serde_json::Value;

fn credwatch(args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_credwatch"));
    command
        .args(args)
        .env("CREDWATCH_ALLOW_ANY_ENDPOINT", "1")
        .env_remove("CREDWATCH_TABLE")
        .kill_on_drop(true);
    for (name, value) in child_env() {
        command.env(name, value);
    }
    command
}

async fn run(mut command: tokio::process::Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().await.expect("run credwatch");
    (
        status.code().unwrap(),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

fn write(dir: &Path, name: &str, yaml: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, yaml).unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_plan_apply_status_round_trip() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-ops");
    let table = unique_name("cli");
    let healthy = ClientConfig::healthy("Ops4Secret8Value2Here6", SYNC_SCOPES, 7281698);
    let specs = vec![
        Spec::on(&sim, "crm-sync", &healthy),
        Spec::on(&sim, "loyalty-feed", &healthy),
    ];
    let full = write(
        scratch.path(),
        "full.yaml",
        &inventory_yaml(scratch.path(), &specs),
    );
    let smaller = write(
        scratch.path(),
        "smaller.yaml",
        &inventory_yaml(scratch.path(), &specs[..1]),
    );

    let (code, stdout, stderr) = run(credwatch(&["table", "create", "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("Created table {table}")),
        "{stdout}"
    );
    let (code, _, stderr) = run(credwatch(&["table", "create", "--table", &table])).await;
    assert_ne!(code, 0, "creating it twice is refused");
    assert!(stderr.contains("exist"), "{stderr}");

    let (code, stdout, _) = run(credwatch(&[
        "inventory",
        "plan",
        &full,
        "--table",
        &table,
        "--format",
        "json",
    ]))
    .await;
    assert_eq!(code, 0);
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["applied"], false);
    assert_eq!(
        plan["plan"]["added"],
        serde_json::json!(["crm-sync", "loyalty-feed"])
    );
    let (_, stdout, _) = run(credwatch(&[
        "status", "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(stdout.trim(), "[]", "plan changed nothing");

    let (code, stdout, stderr) =
        run(credwatch(&["inventory", "apply", &full, "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("+ crm-sync"), "{stdout}");
    let (_, stdout, _) = run(credwatch(&["inventory", "plan", &full, "--table", &table])).await;
    assert!(stdout.contains("already matches"), "{stdout}");

    let (code, stdout, _) = run(credwatch(&[
        "status", "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0);
    let rows: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows.len(), 2);
    for field in [
        "integration",
        "name",
        "owner",
        "health",
        "class",
        "since",
        "last_probe_at",
        "next_probe_at",
        "days_to_expiry",
        "open_incidents",
    ] {
        assert!(
            rows[0].get(field).is_some(),
            "status lacks {field}: {}",
            rows[0]
        );
    }
    assert_eq!(rows[0]["health"], "unknown");
    assert!(rows[0]["days_to_expiry"].is_null());
    assert_eq!(rows[0]["open_incidents"], serde_json::json!([]));

    // Removing an integration retires it (kept) unless --prune.
    let (_, stdout, _) = run(credwatch(&[
        "inventory",
        "apply",
        &smaller,
        "--table",
        &table,
    ]))
    .await;
    assert!(stdout.contains("- loyalty-feed"), "{stdout}");
    let (_, stdout, _) = run(credwatch(&[
        "status", "--table", &table, "--format", "json",
    ]))
    .await;
    let rows: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows.len(), 2, "kept");
    assert_eq!(rows[1]["retired"], true);
    let (_, stdout, _) = run(credwatch(&[
        "inventory",
        "apply",
        &smaller,
        "--table",
        &table,
        "--prune",
    ]))
    .await;
    assert!(stdout.contains("x loyalty-feed"), "{stdout}");
    let (_, stdout, _) = run(credwatch(&["status", "--table", &table])).await;
    assert!(
        stdout.contains("crm-sync") && !stdout.contains("loyalty-feed"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_table_and_region_are_explained() {
    let (code, _, stderr) = run(credwatch(&["status", "--table", &unique_name("absent")])).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("could not read table"), "{stderr}");
    let mut no_region = credwatch(&["status", "--table", "x"]);
    no_region
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", "/nonexistent");
    let (code, _, stderr) = run(no_region).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("AWS_REGION"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reads_secrets_manager_sources_with_the_standard_aws_environment() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-aws-secret");
    let secret_name = unique_name("sfmc/cli-check");
    let healthy = ClientConfig::healthy("Aws7Secret3From9Manager", SYNC_SCOPES, 7281698);
    let specs = vec![
        Spec::on(&sim, "from-aws", &healthy).with_aws_secret(&secret_name),
        Spec::on(&sim, "missing", &healthy).with_aws_secret("credwatch-cli/no-such-secret"),
    ];
    let yaml = inventory_yaml(scratch.path(), &specs);
    let inventory = write(scratch.path(), "inventory.yaml", &yaml);
    let config = credwatch_tests::aws::sdk_config().await;
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&secret_name)
        .secret_string(serde_json::json!({"client_secret": "Aws7Secret3From9Manager"}).to_string())
        .send()
        .await
        .unwrap();

    let (code, stdout, stderr) = run(credwatch(&[
        "check",
        "--inventory",
        &inventory,
        "--format",
        "json",
    ]))
    .await;
    assert_eq!(code, 1, "{stderr}");
    let rows: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows[0]["class"], "ok", "{}", rows[0]);
    assert_eq!(rows[1]["class"], "secret_unavailable", "{}", rows[1]);
    assert!(
        rows[1]["message"]
            .as_str()
            .unwrap()
            .contains("credwatch-cli/no-such-secret")
    );
    assert!(
        !stdout.contains("Aws7Secret3From9Manager") && !stderr.contains("Aws7Secret3From9Manager")
    );
}

/// An integration item nobody can read (the year-20327 `next_probe_at` of issue 7): `status`
/// still shows every other integration and lists it with the reason; `inventory apply`
/// rewrites it from the inventory.
#[tokio::test(flavor = "multi_thread")]
async fn status_shows_an_unreadable_item_and_apply_repairs_it() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-unreadable");
    let table = unique_name("cli-corrupt");
    let healthy = ClientConfig::healthy("Ops4Secret8Value2Here6", SYNC_SCOPES, 7281698);
    let specs = vec![
        Spec::on(&sim, "crm-sync", &healthy),
        Spec::on(&sim, "loyalty-feed", &healthy),
    ];
    let full = write(
        scratch.path(),
        "full.yaml",
        &inventory_yaml(scratch.path(), &specs),
    );
    let (code, _, stderr) = run(credwatch(&["table", "create", "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(credwatch(&["inventory", "apply", &full, "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    aws_sdk_dynamodb::Client::new(&credwatch_tests::aws::sdk_config().await)
        .update_item()
        .table_name(&table)
        .key("pk", AttributeValue::S("INVENTORY".into()))
        .key("sk", AttributeValue::S("INT#loyalty-feed".into()))
        .update_expression("SET next_probe_at = :v")
        .expression_attribute_values(":v", AttributeValue::S("+20327-01-01T00:00:00.000Z".into()))
        .send()
        .await
        .unwrap();

    let (code, stdout, stderr) = run(credwatch(&[
        "status", "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert_eq!(rows[0]["integration"], "crm-sync");
    assert_eq!(rows[0]["health"], "unknown");
    assert_eq!(rows[1]["integration"], "loyalty-feed");
    assert_eq!(rows[1]["health"], "unreadable");
    let problem = rows[1]["problem"].as_str().unwrap();
    assert!(
        problem.contains("next_probe_at") && problem.contains("inventory apply"),
        "{problem}"
    );
    assert!(stderr.contains("loyalty-feed cannot be read"), "{stderr}");
    let (_, table_text, _) = run(credwatch(&["status", "--table", &table])).await;
    assert!(table_text.contains("unreadable"), "{table_text}");

    let (code, stdout, _) = run(credwatch(&["inventory", "plan", &full, "--table", &table])).await;
    assert_eq!(code, 0);
    assert!(
        stdout.contains("! loyalty-feed: cannot be read from the table and will be rewritten"),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(credwatch(&[
        "inventory",
        "apply",
        &full,
        "--table",
        &table,
        "--format",
        "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["plan"]["repaired"],
        serde_json::json!(["loyalty-feed"])
    );
    assert_eq!(
        report["results"],
        serde_json::json!([{"item": "integration loyalty-feed", "action": "repaired", "error": null}])
    );
    let (_, stdout, _) = run(credwatch(&[
        "status", "--table", &table, "--format", "json",
    ]))
    .await;
    let rows: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows[1]["health"], "unknown", "readable again: {stdout}");
    let (_, stdout, _) = run(credwatch(&["inventory", "plan", &full, "--table", &table])).await;
    assert!(
        stdout.contains("already matches"),
        "a rerun converges: {stdout}"
    );
}
