//! The `credwatch` binary end to end: exit codes, the JSON contract, invalid inventories, the
//! demo, and the secret-leak test at TRACE log level. The simulator runs in this test process;
//! the binary talks to it over real HTTP.

use std::path::{Path, PathBuf};
use std::process::Output;

use credwatch_sim::{ClientConfig, RestBehaviour, Simulator, TokenBehaviour};
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory_yaml};
use serde_json::Value;

const HEALTHY_SECRET: &str = "Hk8sQ2vLm4Xr7Tn1Pz6Wc3Yd";
const ROTATED_AWAY_SECRET: &str = "Old5Secret9Value2Still4Sent";
const SFMC_SIDE_SECRET: &str = "NewActive7Secret3OnlySfmcKnows";

fn credwatch() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_credwatch"));
    command
        .env("CREDWATCH_ALLOW_ANY_ENDPOINT", "1")
        .env_remove("CREDWATCH_LOG")
        .env_remove("RUST_LOG")
        .kill_on_drop(true);
    command
}

async fn run(command: &mut tokio::process::Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().await.expect("run credwatch");
    (
        status.code().expect("exited normally"),
        String::from_utf8(stdout).expect("utf-8 stdout"),
        String::from_utf8(stderr).expect("utf-8 stderr"),
    )
}

fn healthy() -> ClientConfig {
    ClientConfig::healthy(HEALTHY_SECRET, SYNC_SCOPES, 7281698)
}

/// A healthy integration, one whose secret was rotated away, one missing scopes.
fn mixed_tenant(sim: &Simulator) -> Vec<Spec> {
    let ok = Spec::on(sim, "crm-sync", &healthy());
    let mut revoked = Spec::on(
        sim,
        "loyalty-feed",
        &ClientConfig {
            secret: SFMC_SIDE_SECRET.into(),
            ..healthy()
        },
    );
    revoked.secret = ROTATED_AWAY_SECRET.into();
    let mut scoped = Spec::on(
        sim,
        "journeys",
        &ClientConfig {
            scopes: vec!["journeys_read".into()],
            ..healthy()
        },
    );
    scoped.expected_scopes = healthy().scopes;
    vec![ok, revoked, scoped]
}

fn write_inventory(dir: &Path, specs: &[Spec]) -> PathBuf {
    let path = dir.join("inventory.yaml");
    std::fs::write(&path, inventory_yaml(dir, specs)).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn check_json_follows_the_contract_and_exits_1_when_something_fails() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-json");
    let inventory = write_inventory(scratch.path(), &mixed_tenant(&sim));
    let (code, stdout, _) = run(credwatch()
        .arg("check")
        .arg("--inventory")
        .arg(&inventory)
        .args(["--format", "json"]))
    .await;
    assert_eq!(code, 1);
    let rows: Vec<Value> = serde_json::from_str(&stdout).expect("stdout is one JSON array");
    let classes: Vec<&str> = rows.iter().map(|r| r["class"].as_str().unwrap()).collect();
    assert_eq!(classes, ["ok", "client_auth_failed", "missing_scopes"]);
    for row in &rows {
        for field in [
            "integration",
            "class",
            "kind",
            "http_status",
            "message",
            "missing_scopes",
            "unexpected_scopes",
            "latency_ms",
            "token_expires_in",
            "business_unit",
        ] {
            assert!(row.get(field).is_some(), "field {field} missing in {row}");
        }
    }
    assert_eq!(rows[0]["kind"], "ok");
    assert_eq!(rows[0]["business_unit"], 7281698);
    assert_eq!(rows[0]["token_expires_in"], 1079);
    assert_eq!(rows[1]["kind"], "credential");
    assert_eq!(rows[1]["http_status"], 401);
    assert!(rows[1]["business_unit"].is_null());
    assert_eq!(rows[2]["kind"], "permission");
    assert_eq!(
        rows[2]["missing_scopes"],
        serde_json::json!(["data_extensions_read", "data_extensions_write"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_exits_0_when_all_work_and_filters_by_integration() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-ok");
    let inventory = write_inventory(scratch.path(), &mixed_tenant(&sim));
    let (code, stdout, _) = run(credwatch()
        .arg("check")
        .arg("-i")
        .arg(&inventory)
        .args(["--integration", "crm-sync"]))
    .await;
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("all working"), "{stdout}");
    assert!(stdout.contains("crm-sync"));
    assert!(
        !stdout.contains("loyalty-feed"),
        "only the named integration is shown"
    );
    assert_eq!(
        sim.counts("loyalty-feed-client").token,
        0,
        "only the named integration is probed"
    );

    let (code, _, stderr) = run(credwatch()
        .arg("check")
        .arg("-i")
        .arg(&inventory)
        .args(["--integration", "nope"]))
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("no integration with id nope"), "{stderr}");
    assert!(stderr.contains("crm-sync"), "lists the known ids: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_inventory_exits_2_names_every_problem_and_probes_nothing() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-invalid");
    let mut yaml = inventory_yaml(scratch.path(), &mixed_tenant(&sim));
    yaml = yaml.replacen("severity: high", "severity: urgent", 1);
    yaml = yaml.replacen("owner: marketing-ops", "owner: nobody", 2);
    yaml.push_str(
        "  - id: Bad_Id\n    name: x\n    owner: marketing-ops\n    severity: low\n    auth_url: ftp://example.com/\n    client_id: abc\n    client_secret: { env: X }\n    colour: blue\n",
    );
    let path = scratch.path().join("inventory.yaml");
    std::fs::write(&path, yaml).unwrap();
    for args in [vec!["check", "--inventory"], vec!["inventory", "validate"]] {
        let (code, stdout, stderr) = run(credwatch().args(&args).arg(&path)).await;
        assert_eq!(code, 2, "{args:?}");
        for needle in [
            "severity", "urgent", "owner", "nobody", "Bad_Id", "auth_url", "colour",
        ] {
            assert!(
                stderr.contains(needle),
                "{args:?}: {needle} not named in:\n{stderr}"
            );
        }
        assert!(stdout.is_empty(), "{stdout}");
    }
    assert_eq!(sim.total_counts().token, 0, "nothing was probed");
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_reports_json_for_scripts() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-validate");
    let inventory = write_inventory(scratch.path(), &mixed_tenant(&sim));
    let (code, stdout, _) = run(credwatch()
        .args(["inventory", "validate"])
        .arg(&inventory)
        .args(["--format", "json"]))
    .await;
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["integrations"], 3);
}

/// The leak test: known secrets and every token the simulator issued must not appear anywhere
/// in stdout or stderr, with every crate logging at TRACE, for healthy and failing integrations.
#[tokio::test(flavor = "multi_thread")]
async fn no_secret_or_token_reaches_output_or_logs_at_trace() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-leak");
    let mut specs = mixed_tenant(&sim);
    specs.push(Spec::on(
        &sim,
        "rest-denied",
        &ClientConfig {
            rest: RestBehaviour::NotAuthorized,
            ..healthy()
        },
    ));
    specs.push(Spec::on(
        &sim,
        "sfmc-down",
        &ClientConfig {
            token: TokenBehaviour::ServerError,
            ..healthy()
        },
    ));
    // SFMC echoing the secret back in an error must not carry it into our output either.
    let echo = format!(
        r#"{{"error":"invalid_client","error_description":"Client authentication failed for {HEALTHY_SECRET}"}}"#
    );
    specs.push(Spec::on(
        &sim,
        "echoes-secret",
        &ClientConfig {
            token: TokenBehaviour::Status {
                status: 401,
                body: echo,
            },
            ..healthy()
        },
    ));
    let inventory = write_inventory(scratch.path(), &specs);

    let mut transcripts = Vec::new();
    for format in ["json", "table"] {
        let (code, stdout, stderr) = run(credwatch()
            .arg("check")
            .arg("--inventory")
            .arg(&inventory)
            .args(["--format", format])
            .env("CREDWATCH_LOG", "trace")
            .env("RUST_LOG", "trace"))
        .await;
        assert_eq!(code, 1);
        assert!(
            stderr.contains("TRACE"),
            "the test must really run at TRACE:\n{stderr}"
        );
        transcripts.push(stdout);
        transcripts.push(stderr);
    }
    let tokens = sim.issued_tokens();
    assert!(
        tokens.len() >= 6,
        "tokens were issued, so there was something to leak"
    );
    let secrets = [HEALTHY_SECRET, ROTATED_AWAY_SECRET, SFMC_SIDE_SECRET];
    for text in &transcripts {
        for secret in secrets
            .iter()
            .copied()
            .chain(tokens.iter().map(String::as_str))
        {
            assert!(
                !text.contains(secret),
                "a secret or token leaked into output:\n{text}"
            );
        }
        assert!(!text.to_ascii_lowercase().contains("bearer sim."), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_secret_in_inventory_is_refused_without_echoing_it() {
    let scratch = Scratch::new("cli-plain-secret");
    let path = scratch.path().join("inventory.yaml");
    std::fs::write(
        &path,
        format!(
            "version: 1\nteams: [{{id: ops, name: Ops}}]\nintegrations:\n  - id: a\n    name: A\n    owner: ops\n    severity: low\n    auth_url: http://127.0.0.1:1/\n    client_id: abc\n    client_secret: {HEALTHY_SECRET}\n"
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = run(credwatch()
        .args(["inventory", "validate"])
        .arg(&path)
        .env("CREDWATCH_LOG", "trace"))
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("client_secret"), "{stderr}");
    assert!(!stderr.contains(HEALTHY_SECRET) && !stdout.contains(HEALTHY_SECRET));
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_runs_and_explains_every_finding() {
    let (code, stdout, stderr) = run(credwatch().arg("demo")).await;
    assert_eq!(code, 0, "{stderr}");
    for class in [
        "ok",
        "client_auth_failed",
        "missing_scopes",
        "wrong_business_unit",
        "ip_not_allowlisted",
        "throttled",
        "sfmc_unavailable",
    ] {
        assert!(
            stdout.contains(&format!("[{class}]")),
            "demo does not explain {class}:\n{stdout}"
        );
    }
    assert!(stdout.contains("Next step:"));
    // Step 2: the monitor over simulated time.
    for event in [
        "OPENED   loyalty-points-feed:auth:1",
        "OPENED   triggered-send-api:auth:1",
        "RESOLVED loyalty-points-feed:auth:1",
        "Web collect forms: healthy again",
    ] {
        assert!(
            stdout.contains(event),
            "demo timeline lacks {event:?}:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("OPENED   web-collect-forms"),
        "a two-minute outage opens nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sfmc_only_endpoints_unless_allowed() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-endpoint");
    let inventory = write_inventory(scratch.path(), &mixed_tenant(&sim));
    let (code, _, stderr) = run(credwatch()
        .arg("check")
        .arg("-i")
        .arg(&inventory)
        .env_remove("CREDWATCH_ALLOW_ANY_ENDPOINT"))
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("CREDWATCH_ALLOW_ANY_ENDPOINT"), "{stderr}");
    assert_eq!(sim.total_counts().token, 0);
}

/// A hostile inventory (200 KB of `[`, as in issue 7) is refused before YAML parsing with a
/// clear message and exit 2, by every command that reads an inventory.
#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_inventory_is_refused_with_exit_2() {
    let scratch = Scratch::new("cli-hostile");
    let path = scratch.path().join("inventory.yaml");
    std::fs::write(
        &path,
        format!("version: 1\nintegrations: {}", "[".repeat(200 * 1024)),
    )
    .unwrap();
    for args in [
        vec!["inventory", "validate"],
        vec!["check", "--inventory"],
        vec!["inventory", "plan"],
    ] {
        let mut command = credwatch();
        command.args(&args).arg(&path);
        if args[1] == "plan" {
            command.args(["--table", "unused"]);
        }
        let (code, stdout, stderr) = run(&mut command).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("more than 32 levels deep"),
            "{args:?}: {stderr}"
        );
        assert!(stdout.is_empty(), "{stdout}");
    }
}
