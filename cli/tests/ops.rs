//! `credwatch table create`, `inventory plan|apply` and `status` against moto_server, through
//! the standard AWS environment variables, as an operator runs them.

use std::path::Path;

use aws_sdk_dynamodb::types::AttributeValue;
use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::aws::unique_name;
use credwatch_tests::cli::run;
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory_yaml};
use serde_json::Value;

fn credwatch(args: &[&str]) -> tokio::process::Command {
    credwatch_tests::cli::command(env!("CARGO_BIN_EXE_credwatch").as_ref(), args)
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
    assert_eq!(
        rows[1]["next_probe_at"],
        Value::Null,
        "a retired one is never probed"
    );
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

    // A full disk: exit 1 (never 0 for a lost report), one line, no panic.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = credwatch(&["status", "--table", &table])
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

/// Asserts one line on stderr (no SDK debug output), containing every part.
fn one_line_naming(stderr: &str, parts: &[&str]) {
    assert_eq!(stderr.lines().count(), 1, "one line, not:\n{stderr}");
    for part in parts {
        assert!(stderr.contains(part), "{part:?} missing from: {stderr}");
    }
    for dump in [
        "DispatchFailure",
        "ConnectorError",
        "SdkError",
        "{ ",
        "WARN",
    ] {
        assert!(!stderr.contains(dump), "SDK output leaked: {stderr}");
    }
}

/// An environment where the SDK finds nothing of its own: no shared files, no instance role.
fn bare(mut command: tokio::process::Command) -> tokio::process::Command {
    command
        .env("AWS_CONFIG_FILE", "/nonexistent/credwatch-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/credwatch-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("CREDWATCH_LOG")
        .env_remove("RUST_LOG");
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_trouble_is_one_line_a_person_can_act_on() {
    let scratch = Scratch::new("cli-aws-trouble");
    let sim = Simulator::start().await.unwrap();
    let healthy = ClientConfig::healthy("Ops4Secret8Value2Here6", SYNC_SCOPES, 7281698);
    let inventory = write(
        scratch.path(),
        "inventory.yaml",
        // Stored where the deployed probe reads it, so plan and apply have no layout warning.
        &inventory_yaml(
            scratch.path(),
            &[Spec::on(&sim, "crm-sync", &healthy).with_aws_secret("sfmc/marketing-ops/crm-sync")],
        ),
    );
    let absent = unique_name("absent");
    let commands: Vec<Vec<&str>> = vec![
        vec!["status", "--table", &absent],
        vec!["inventory", "plan", &inventory, "--table", &absent],
        vec!["inventory", "apply", &inventory, "--table", &absent],
    ];

    // No such table (moto): exit 2, names it, suggests creating it.
    for args in &commands {
        let (code, stdout, stderr) = run(bare(credwatch(args))).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        one_line_naming(
            &stderr,
            &[&absent, "does not exist", "credwatch table create --table"],
        );
    }

    // No region: exit 2, says where credwatch looked.
    for args in commands
        .iter()
        .chain([&vec!["table", "create", "--table", "x"]])
    {
        let mut command = bare(credwatch(args));
        command
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION");
        let (code, _, stderr) = run(command).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        one_line_naming(
            &stderr,
            &["no AWS region", "AWS_REGION", "AWS_DEFAULT_REGION"],
        );
    }

    // No credentials: exit 2, says where credwatch looked.
    let mut command = bare(credwatch(&["status", "--table", "x"]));
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let (code, _, stderr) = run(command).await;
    assert_eq!(code, 2, "{stderr}");
    one_line_naming(
        &stderr,
        &[
            "no usable AWS credentials",
            "AWS_ACCESS_KEY_ID",
            "~/.aws/credentials",
            "AWS_PROFILE",
        ],
    );

    // Unreachable endpoint (a closed port on loopback): exit 1, names the endpoint.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{closed}");
    for args in commands
        .iter()
        .chain([&vec!["table", "create", "--table", "x"]])
    {
        let mut command = bare(credwatch(args));
        command.env("AWS_ENDPOINT_URL", &endpoint);
        let (code, _, stderr) = run(command).await;
        assert_eq!(code, 1, "{args:?}: {stderr}");
        one_line_naming(&stderr, &["could not reach AWS", &endpoint]);
    }
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
    let message = rows[1]["message"].as_str().unwrap();
    assert!(
        message.contains("credwatch-cli/no-such-secret"),
        "{message}"
    );
    // AWS's own words, in one line: no SDK debug output (raw headers, nested structs).
    assert!(message.contains("ResourceNotFoundException"), "{message}");
    for dump in ["ServiceError", "HeaderValue", "{ ", "\n"] {
        assert!(!message.contains(dump), "SDK output in: {message}");
    }

    // Secrets Manager out of reach: the integration says so, in one line.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut unreachable = credwatch(&["check", "--inventory", &inventory, "--format", "json"]);
    unreachable.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{closed}"));
    let (code, stdout, stderr) = run(unreachable).await;
    assert_eq!(code, 1, "{stderr}");
    let rows: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let message = rows[0]["message"].as_str().unwrap();
    assert_eq!(rows[0]["class"], "secret_unavailable", "{message}");
    assert!(
        message.contains("could not reach AWS (Connection refused)"),
        "{message}"
    );
    assert!(!message.contains("DispatchFailure"), "{message}");
    assert!(
        !stdout.contains("Aws7Secret3From9Manager") && !stderr.contains("Aws7Secret3From9Manager")
    );

    // No region anywhere: the integration says what to set, not the SDK's "signing region".
    let mut command = bare(credwatch(&[
        "check",
        "--inventory",
        &inventory,
        "--format",
        "json",
    ]));
    command
        .env("AWS_ENDPOINT_URL", credwatch_tests::aws::endpoint())
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION");
    let (code, stdout, stderr) = run(command).await;
    assert_eq!(code, 1, "{stderr}");
    let rows: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let message = rows[0]["message"].as_str().unwrap();
    assert_eq!(rows[0]["class"], "secret_unavailable", "{message}");
    assert!(message.contains("no AWS region is configured"), "{message}");
    assert!(message.contains("AWS_REGION"), "{message}");
}

/// `aws secretsmanager create-secret --secret-string file://secret.txt` keeps the file's line
/// ending: it is not part of the client secret, whether the secret is plain or a JSON field.
#[tokio::test(flavor = "multi_thread")]
async fn secrets_manager_values_lose_their_trailing_line_ending() {
    const SECRET: &str = "Aws7Secret3With9Newline";
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-aws-newline");
    let healthy = ClientConfig::healthy(SECRET, SYNC_SCOPES, 7281698);
    let plain = unique_name("sfmc/plain-newline");
    let field = unique_name("sfmc/field-crlf");
    let specs = vec![
        Spec::on(&sim, "plain", &healthy),
        Spec::on(&sim, "field", &healthy).with_aws_secret(&field),
    ];
    let yaml = inventory_yaml(scratch.path(), &specs).replacen(
        &format!(
            "{{ file: \"{}\" }}",
            scratch.path().join("plain.secret").display()
        ),
        &format!("{{ aws_secret: \"{plain}\" }}"),
        1,
    );
    assert!(yaml.contains(&plain), "{yaml}");
    let inventory = write(scratch.path(), "inventory.yaml", &yaml);
    let client = aws_sdk_secretsmanager::Client::new(&credwatch_tests::aws::sdk_config().await);
    client
        .create_secret()
        .name(&plain)
        .secret_string(format!("{SECRET}\n"))
        .send()
        .await
        .unwrap();
    client
        .create_secret()
        .name(&field)
        .secret_string(serde_json::json!({ "client_secret": format!("{SECRET}\r\n") }).to_string())
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
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rows: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["class"] == "ok"), "{stdout}");
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

/// An open incident whose item cannot be read (its `opened_at` in year 20327) is not dropped
/// silently: `status` warns about it on stderr and says so on the integration's row.
#[tokio::test(flavor = "multi_thread")]
async fn status_shows_an_unreadable_open_incident() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-unreadable-incident");
    let table = unique_name("cli-corrupt-inc");
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
    let client = aws_sdk_dynamodb::Client::new(&credwatch_tests::aws::sdk_config().await);
    let store = credwatch::store::dynamo::DynamoStore::new(client.clone(), table.clone());
    let now = chrono::Utc::now();
    let incident = credwatch::store::Incident {
        id: "loyalty-feed:auth:1".parse().unwrap(),
        integration: "loyalty-feed".into(),
        check: credwatch::domain::incident::CheckKind::Auth,
        class: credwatch::domain::incident::IncidentClass::parse("client_auth_failed").unwrap(),
        severity: credwatch::inventory::Severity::High,
        team: "marketing-ops".into(),
        open: true,
        opened_at: now,
        updated_at: now,
        resolved_at: None,
        threshold_days: None,
        message: "SFMC says: Client authentication failed.".into(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    };
    use credwatch::store::Incidents as _;
    assert!(store.open_incident(&incident).await.unwrap());
    client
        .update_item()
        .table_name(&table)
        .key("pk", AttributeValue::S("INC#loyalty-feed".into()))
        .key("sk", AttributeValue::S("auth#000001".into()))
        .update_expression("SET opened_at = :v")
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
    assert_eq!(rows[0]["problem"], Value::Null, "{stdout}");
    assert_eq!(rows[1]["integration"], "loyalty-feed");
    let problem = rows[1]["problem"].as_str().unwrap();
    assert!(
        problem.contains("cannot read an open incident")
            && problem.contains("sk=auth#000001")
            && problem.contains("opened_at"),
        "{problem}"
    );
    assert!(!stdout.contains("20327"), "{stdout}");
    assert!(
        stderr.contains("an open incident of integration loyalty-feed cannot be read"),
        "{stderr}"
    );
    let mut wide = credwatch(&["status", "--table", &table]);
    wide.env("COLUMNS", "400");
    let (code, table_text, _) = run(wide).await;
    assert_eq!(code, 0);
    assert!(
        table_text.contains("never") && table_text.contains("cannot read an open incident"),
        "{table_text}"
    );
}
