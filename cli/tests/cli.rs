//! The `credwatch` binary end to end: exit codes, the JSON contract, invalid inventories, the
//! demo, and the secret-leak test at TRACE log level. The simulator runs in this test process;
//! the binary talks to it over real HTTP.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

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

/// `credwatch check` with secrets that would hang or exhaust a naive reader: a FIFO nobody
/// writes to, `/dev/zero`, `/dev/urandom`, a directory and a 10 MB file. Each is
/// `secret_unavailable` (exit 1), the healthy integration is still `ok`, and SFMC sees no token
/// request for them.
#[tokio::test(flavor = "multi_thread")]
async fn check_refuses_fifo_device_directory_and_huge_secret_files() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-hostile-files");
    let fifo = scratch.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let huge = scratch.path().join("huge");
    std::fs::write(&huge, vec![b'a'; 10 * 1024 * 1024]).unwrap();
    let hostile = [
        ("fifo", fifo.display().to_string()),
        ("zero", "/dev/zero".to_string()),
        ("urandom", "/dev/urandom".to_string()),
        ("dir", scratch.path().display().to_string()),
        ("huge", huge.display().to_string()),
    ];
    let mut yaml = inventory_yaml(scratch.path(), &[Spec::on(&sim, "crm-sync", &healthy())]);
    for (id, path) in &hostile {
        Spec::on(&sim, id, &healthy());
        yaml.push_str(&format!(
            "  - id: {id}\n    name: {id}\n    owner: marketing-ops\n    severity: low\n    auth_url: {url}\n    client_id: {id}-client\n    client_secret: {{ file: \"{path}\" }}\n",
            url = sim.base_url()
        ));
    }
    let path = scratch.path().join("inventory.yaml");
    std::fs::write(&path, yaml).unwrap();
    let mut command = credwatch();
    command.args(["check", "--format", "json", "-i"]).arg(&path);
    // A guard against a hang (the bug this is about), not a timing assertion.
    let (code, stdout, stderr) = tokio::time::timeout(Duration::from_secs(120), run(&mut command))
        .await
        .expect("check finishes");
    assert_eq!(code, 1, "{stderr}");
    let outcomes: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(outcomes[0]["class"], "ok");
    for (outcome, (id, path)) in outcomes[1..].iter().zip(&hostile) {
        assert_eq!(outcome["integration"], *id);
        assert_eq!(outcome["class"], "secret_unavailable", "{outcome}");
        let message = outcome["message"].as_str().unwrap();
        assert!(message.contains(path.as_str()), "{message}");
        assert_eq!(sim.counts(&format!("{id}-client")).token, 0, "{id}");
    }
}

/// An aws_secret outside the deployment's prefix: a warning by default, refused (exit 2, naming
/// the integration and field) with `--secret-prefix` or `CREDWATCH_SECRET_PREFIX`. A secret
/// under the prefix but outside `{prefix}{owner}/` is only ever a warning.
#[tokio::test(flavor = "multi_thread")]
async fn secrets_outside_the_prefix_warn_and_are_refused_with_a_prefix() {
    let scratch = Scratch::new("cli-secret-prefix");
    let path = scratch.path().join("inventory.yaml");
    let integration = |id: &str, secret: &str| {
        format!(
            "  - id: {id}\n    name: {id}\n    owner: ops\n    severity: low\n    auth_url: http://127.0.0.1:1/\n    client_id: abc\n    client_secret: {{ aws_secret: {secret} }}\n"
        )
    };
    std::fs::write(
        &path,
        format!(
            "version: 1\nteams: [{{id: ops, name: Ops}}]\nintegrations:\n{}{}{}",
            integration("own", "sfmc/ops/own"),
            integration("flat", "sfmc/flat"),
            integration("foreign", "payments/stripe"),
        ),
    )
    .unwrap();
    let validate = || {
        let mut command = credwatch();
        command
            .args(["inventory", "validate"])
            .arg(&path)
            .env("CREDWATCH_ALLOW_ANY_ENDPOINT", "1")
            .env_remove("CREDWATCH_SECRET_PREFIX");
        command
    };

    let (code, stdout, stderr) = run(&mut validate()).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("is valid"), "{stdout}");
    for needle in [
        "(foreign): client_secret.aws_secret",
        "outside sfmc/",
        "(flat)",
        "sfmc/ops/",
    ] {
        assert!(stderr.contains(needle), "{needle} not in:\n{stderr}");
    }
    assert!(!stderr.contains("(own)"), "{stderr}");

    let (code, _, stderr) = run(validate().args(["--secret-prefix", "sfmc/"])).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("integrations[2] (foreign): client_secret.aws_secret"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: integrations[1] (flat)"),
        "{stderr}"
    );

    let (code, _, stderr) = run(validate().env("CREDWATCH_SECRET_PREFIX", "sfmc/")).await;
    assert_eq!(code, 2, "the environment variable refuses too: {stderr}");

    let (code, stdout, _) =
        run(validate().args(["--secret-prefix", "sfmc/", "--format", "json"])).await;
    assert_eq!(code, 2);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["problems"][0]["field"], "client_secret.aws_secret");
    assert_eq!(
        report["problems"][0]["location"],
        "integrations[2] (foreign)"
    );
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
        !stdout.contains("OPENED   web-collect-forms:auth"),
        "a two-minute outage opens nothing"
    );
    // Step 3: what each team receives, through the real renderer.
    for line in [
        "Step 3 of 5: what each team receives",
        "Marketing Operations (marketing-ops) received 5 messages:",
        "  [HIGH] Loyalty points feed: secret rejected by SFMC",
        "  [RESOLVED] Loyalty points feed: secret rejected by SFMC",
        "  Lasted: 14 min (from 2026-11-30 09:00 UTC to 2026-11-30 09:14 UTC)",
        "  Notification: loyalty-points-feed:auth:1/resolved",
        "The same `opened` message in Slack, as slack-notify posts it to marketing-ops's webhook",
        "  :red_circle: HIGH · Loyalty points feed",
        "  *What broke:* Loyalty points feed (integration loyalty-points-feed): secret rejected by SFMC.",
        "  • Where in SFMC: Setup > Apps > Installed Packages",
    ] {
        assert!(
            stdout.contains(line),
            "demo step 3 lacks {line:?}:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("Web collect forms: caller") && !stdout.contains("[HIGH] Web collect"),
        "nobody is told of the outage that opened nothing"
    );
    // Step 4: on call: reminders on the severity's schedule, an ack told, an escalation to the
    // backup team, and no reminder of the acknowledged incident after its ack (the demo checks
    // that itself: exit 0).
    for line in [
        "Step 4 of 5: on call",
        "09:30  to marketing-ops  reminder      [CRITICAL] Still open: Triggered send API",
        "10:33  to marketing-ops  acknowledged  [ACKNOWLEDGED] Journey orchestrator",
        "11:00  to it-security    escalated     [CRITICAL] Escalated: Triggered send API",
        "that incident got 0 reminders afterwards",
    ] {
        assert!(
            stdout.contains(line),
            "demo step 4 lacks {line:?}:\n{stdout}"
        );
    }
    // Step 5: passive tracking through the real ingest use case and fan-out.
    for line in [
        "Step 5 of 5: the integrations' own SFMC results",
        "POST /v1/events  Authorization: Bearer cwi_…",
        "credwatch answers 202 {\"accepted\":6,\"integration\":\"crm-contact-sync\",\"rejected\":[]}",
        "OPENED   crm-contact-sync:passive:1: reported_auth_failure (critical) for CRM Operations; credwatch's probe is asked to look now",
        "14:36  credwatch's probe of CRM contact sync, due at once after the report: ok",
        "OPENED   web-collect-forms:passive:2: token_refresh_race (low) for Marketing Operations",
        "14:35  to crm-ops        opened    [CRITICAL] CRM contact sync: its own SFMC calls are refused",
        "15:30  to marketing-ops  opened    [LOW] Web collect forms: token refresh race in the integration",
        "the integration likely uses an outdated secret or another package.",
        "The tokens were 1,075-1,078 s old",
        "never paged: only critical goes out whatever the hour",
        "  no token                       401 a valid ingest token is required",
        "  an event with a client_secret  400 client_secret: looks like a credential",
        "  another integration's id       400 integration_id: must be \"crm-contact-sync\"",
    ] {
        assert!(
            stdout.contains(line),
            "demo step 5 lacks {line:?}:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("Zt8-not-shown"),
        "the refused client_secret's value is never shown"
    );
    assert_no_ingest_token(&stdout, &stderr);

    // At TRACE: no log line carries an ingest token either.
    let (code, stdout, stderr) = run(credwatch()
        .args(["demo", "--format", "json"])
        .env("CREDWATCH_LOG", "trace"))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("one JSON document");
    let notifications = report["notifications"].as_array().expect("notifications");
    let ids: Vec<&str> = notifications
        .iter()
        .filter_map(|n| n["notification_id"].as_str())
        .collect();
    assert!(
        ids.contains(&"loyalty-points-feed:auth:1/opened"),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"loyalty-points-feed:auth:1/resolved"),
        "{ids:?}"
    );
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "each change told once: {ids:?}");
    let on_call = &report["on_call"];
    assert_eq!(
        on_call["acknowledged"]["incident_id"], "journey-orchestrator:auth:1",
        "{on_call}"
    );
    let events: Vec<&str> = on_call["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["event"].as_str())
        .collect();
    for event in ["reminder", "acknowledged", "escalated"] {
        assert!(events.contains(&event), "{event}: {events:?}");
    }
    let passive = &report["passive"];
    let incidents: Vec<(&str, &str, &str, &str)> = passive["incidents"]
        .as_array()
        .expect("passive incidents")
        .iter()
        .map(|i| {
            let field = |name: &str| i[name].as_str().unwrap_or("");
            (
                field("id"),
                field("class"),
                field("severity"),
                field("team"),
            )
        })
        .collect();
    assert_eq!(
        incidents,
        [
            (
                "crm-contact-sync:passive:1",
                "reported_auth_failure",
                "critical",
                "crm-ops"
            ),
            (
                "web-collect-forms:passive:2",
                "token_refresh_race",
                "low",
                "marketing-ops"
            ),
        ],
        "{passive}"
    );
    let statuses: Vec<u64> = passive["requests"]
        .as_array()
        .expect("passive requests")
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(statuses, [202, 202, 202, 401, 400, 400], "{passive}");
    let refusals: Vec<(u64, &str)> = passive["refusals"]
        .as_array()
        .expect("passive refusals")
        .iter()
        .map(|r| {
            (
                r["status"].as_u64().unwrap_or(0),
                r["field"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        refusals,
        [(401, "-"), (400, "client_secret"), (400, "integration_id")],
        "{passive}"
    );
    assert_eq!(passive["tokens"][0]["token"], "cwi_…");
    assert_no_ingest_token(&stdout, &stderr);
}

/// No ingest token (`cwi_` and 43 base64url characters) in the output: `cwi_` is only ever
/// followed by something outside base64url (the demo prints `cwi_…`).
fn assert_no_ingest_token(stdout: &str, stderr: &str) {
    for (name, text) in [("stdout", stdout), ("stderr", stderr)] {
        for (at, _) in text.match_indices("cwi_") {
            let next = text[at + 4..].chars().next();
            assert!(
                !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "an ingest token in {name}: {}",
                text[at..].chars().take(8).collect::<String>()
            );
        }
    }
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

/// A secret with the characters that defeat naive redaction, echoed back by SFMC (or a gateway
/// in front of it) in several encodings, and the token echoed by tokenContext: none of their
/// forms reaches stdout or stderr, in JSON or as a table, at TRACE.
#[tokio::test(flavor = "multi_thread")]
async fn echoed_secrets_in_any_encoding_reach_no_output_at_trace() {
    use credwatch_sim::EchoEncoding;
    const TRICKY: &str = "Tr1cky/\"sec\\ret\nline%+ é&x<y>";
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-echo");
    let tricky = ClientConfig::healthy(TRICKY, SYNC_SCOPES, 7281698);
    let mut specs = Vec::new();
    for (i, encoding) in EchoEncoding::ALL.iter().enumerate() {
        specs.push(Spec::on(
            &sim,
            &format!("echo-secret-{i}"),
            &ClientConfig {
                token: TokenBehaviour::EchoSecret {
                    status: 400,
                    encoding: *encoding,
                },
                ..tricky.clone()
            },
        ));
        specs.push(Spec::on(
            &sim,
            &format!("echo-token-{i}"),
            &ClientConfig {
                rest: RestBehaviour::EchoToken {
                    status: 401,
                    encoding: *encoding,
                },
                ..tricky.clone()
            },
        ));
    }
    let inventory = write_inventory(scratch.path(), &specs);
    let mut transcripts = Vec::new();
    for format in ["json", "table"] {
        let (code, stdout, stderr) = run(credwatch()
            .arg("check")
            .arg("--inventory")
            .arg(&inventory)
            .args(["--format", format])
            .env("CREDWATCH_LOG", "trace"))
        .await;
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("TRACE"), "really at TRACE");
        assert!(
            stdout.contains("[redacted]"),
            "the echoes were there: {stdout}"
        );
        transcripts.push(stdout);
        transcripts.push(stderr);
    }
    let tokens = sim.issued_tokens();
    assert!(!tokens.is_empty());
    let mut leakable: Vec<String> = EchoEncoding::ALL.iter().map(|e| e.encode(TRICKY)).collect();
    // As `--format json` would print the raw value.
    leakable.push(
        serde_json::to_string(TRICKY)
            .unwrap()
            .trim_matches('"')
            .to_string(),
    );
    for token in &tokens {
        leakable.extend(EchoEncoding::ALL.iter().map(|e| e.encode(token)));
    }
    for text in &transcripts {
        for form in &leakable {
            assert!(
                !text.contains(form.as_str()),
                "{form:?} leaked into:\n{text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn env_secrets_lose_their_trailing_line_ending() {
    let sim = Simulator::start().await.unwrap();
    sim.set_client("env-client", healthy());
    let scratch = Scratch::new("cli-env-newline");
    let path = scratch.path().join("inventory.yaml");
    std::fs::write(
        &path,
        format!(
            "version: 1\nteams: [{{id: ops, name: Ops}}]\nintegrations:\n  - {{ id: from-env, name: From env, owner: ops, severity: low, auth_url: \"{}\", client_id: env-client, client_secret: {{ env: CREDWATCH_TEST_ENV_SECRET }}, account_id: 7281698 }}\n",
            sim.base_url()
        ),
    )
    .unwrap();
    for ending in ["\n", "\r\n", "\n\n"] {
        let (code, stdout, stderr) = run(credwatch()
            .args(["check", "--format", "json", "--inventory"])
            .arg(&path)
            .env(
                "CREDWATCH_TEST_ENV_SECRET",
                format!("{HEALTHY_SECRET}{ending}"),
            ))
        .await;
        assert_eq!(code, 0, "{ending:?}: {stdout}{stderr}");
    }
    // Only line endings: a trailing space is part of the secret (and so it is wrong).
    let (code, stdout, _) = run(credwatch()
        .args(["check", "--format", "json", "--inventory"])
        .arg(&path)
        .env("CREDWATCH_TEST_ENV_SECRET", format!("{HEALTHY_SECRET} ")))
    .await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("client_auth_failed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_byte_order_mark_is_accepted_and_terminal_escapes_are_refused() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-bom");
    let yaml = inventory_yaml(scratch.path(), &mixed_tenant(&sim));
    let path = scratch.path().join("bom.yaml");
    std::fs::write(&path, format!("\u{feff}{yaml}")).unwrap();
    let (code, stdout, stderr) = run(credwatch().args(["inventory", "validate"]).arg(&path)).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("is valid: 3 integrations"), "{stdout}");

    let evil = yaml
        .replacen(
            "name: crm-sync integration",
            "name: \"crm\\e[2J\\e]0;pwned\\a sync\"",
            1,
        )
        .replacen(
            "name: journeys integration",
            "name: \"journeys \\u202Enoitargetni\"",
            1,
        );
    std::fs::write(&path, evil).unwrap();
    for args in [vec!["inventory", "validate"], vec!["check", "--inventory"]] {
        let (code, stdout, stderr) = run(credwatch().args(&args).arg(&path)).await;
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty());
        for raw in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(
                !stderr.contains(raw),
                "{raw:?} reached the terminal: {stderr:?}"
            );
        }
        for shown in ["U+001B", "U+202E", "\\u{1b}", "\\u{202e}", "name"] {
            assert!(stderr.contains(shown), "{shown} missing: {stderr}");
        }
    }
    assert_eq!(sim.total_counts().token, 0);
}

/// How the real binary ends when its stdout cannot take the output: never a panic (101),
/// exit codes of the contract, one line on stderr.
mod broken_stdout {
    use super::*;
    use std::process::Stdio;

    /// A pipe whose reading end is already closed (`credwatch ... | head -0`).
    fn closed_pipe() -> Stdio {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        writer.into()
    }

    fn dev_full() -> Stdio {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full exists on Linux")
            .into()
    }

    async fn run_into(command: &mut tokio::process::Command, stdout: Stdio) -> (i32, String) {
        // Not `output()`: tokio's would replace stdout with a pipe of its own.
        let output = command
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start credwatch")
            .wait_with_output()
            .await
            .expect("run credwatch");
        (
            output
                .status
                .code()
                .expect("exited, not killed by a signal"),
            String::from_utf8(output.stderr).expect("utf-8"),
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn closed_pipe_keeps_the_result_and_full_disk_never_exits_0() {
        let sim = Simulator::start().await.unwrap();
        let scratch = Scratch::new("cli-broken-stdout");
        let all_ok = write_inventory(scratch.path(), &mixed_tenant(&sim)[..1]);
        let mixed = write_inventory(&scratch.path().join(".."), &mixed_tenant(&sim));
        // (arguments, exit code of the result, exit code when the output is lost on a full disk)
        let cases: Vec<(Vec<&std::ffi::OsStr>, i32, i32)> = vec![
            (
                vec!["check".as_ref(), "-i".as_ref(), all_ok.as_os_str()],
                0,
                1,
            ),
            (
                vec![
                    "check".as_ref(),
                    "--format".as_ref(),
                    "json".as_ref(),
                    "-i".as_ref(),
                    all_ok.as_os_str(),
                ],
                0,
                1,
            ),
            (
                vec!["check".as_ref(), "-i".as_ref(), mixed.as_os_str()],
                1,
                1,
            ),
            (
                vec![
                    "inventory".as_ref(),
                    "validate".as_ref(),
                    all_ok.as_os_str(),
                ],
                0,
                1,
            ),
            (vec!["demo".as_ref()], 0, 1),
            (
                vec!["demo".as_ref(), "--format".as_ref(), "json".as_ref()],
                0,
                1,
            ),
        ];
        for (args, result, lost) in cases {
            let (code, stderr) = run_into(credwatch().args(&args), closed_pipe()).await;
            assert_eq!(code, result, "{args:?} into a closed pipe: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
            assert!(stderr.contains("broken pipe"), "{args:?}: {stderr}");

            let (code, stderr) = run_into(credwatch().args(&args), dev_full()).await;
            assert_eq!(code, lost, "{args:?} into /dev/full: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
            assert!(
                stderr.contains("No space left on device"),
                "{args:?}: {stderr}"
            );
        }
    }
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

/// An alias bomb (a 1 MiB file whose 68,000 aliases repeat a 700,000-character anchor, about
/// 47 GB once expanded) is refused before any value is built, with exit 2, by `validate` and
/// `check`.
#[tokio::test(flavor = "multi_thread")]
async fn an_alias_bomb_inventory_is_refused_with_exit_2() {
    let scratch = Scratch::new("cli-alias-bomb");
    let path = scratch.path().join("inventory.yaml");
    let mut yaml = format!("version: 1\ns: &s {}\nintegrations:\n", "A".repeat(700_000));
    while yaml.len() + "- *s\n".len() <= 1024 * 1024 {
        yaml.push_str("- *s\n");
    }
    std::fs::write(&path, yaml).unwrap();
    for args in [vec!["inventory", "validate"], vec!["check", "--inventory"]] {
        let (code, stdout, stderr) = run(credwatch().args(&args).arg(&path)).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("more than 8388608 bytes (8 MiB) of text through YAML aliases"),
            "{args:?}: {stderr}"
        );
        assert!(stdout.is_empty(), "{stdout}");
    }
}

/// The inventory path may be a pipe: a FIFO nobody writes to is refused at once (exit 2) instead
/// of hanging; `/dev/stdin` and bash's process substitution `<(cat inventory.yaml)` are read.
#[tokio::test(flavor = "multi_thread")]
async fn inventory_from_a_pipe_is_read_and_a_fifo_without_writer_is_refused() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("cli-inventory-pipes");
    let inventory = write_inventory(scratch.path(), &mixed_tenant(&sim));
    let fifo = scratch.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for args in [vec!["inventory", "validate"], vec!["check", "--inventory"]] {
        let mut command = credwatch();
        command.args(&args).arg(&fifo);
        // A guard against the hang this is about, not a timing assertion.
        let (code, stdout, stderr) =
            tokio::time::timeout(Duration::from_secs(120), run(&mut command))
                .await
                .expect("reading a FIFO without a writer finishes");
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("a pipe or device with nothing writing to it"),
            "{args:?}: {stderr}"
        );
        assert!(stdout.is_empty(), "{stdout}");
    }

    let file = std::fs::File::open(&inventory).unwrap();
    let (code, stdout, stderr) = run(credwatch()
        .args(["inventory", "validate", "/dev/stdin"])
        .stdin(std::process::Stdio::from(file)))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("is valid: 3 integrations"), "{stdout}");
    // stdin as a pipe, not a file: `cat inventory.yaml | credwatch inventory validate /dev/stdin`.
    let script = r#""$CREDWATCH" inventory validate /dev/stdin < <(cat "$INVENTORY") && "$CREDWATCH" inventory validate <(cat "$INVENTORY")"#;
    let (code, stdout, stderr) = run(tokio::process::Command::new("bash")
        .args(["-c", script])
        .env("CREDWATCH", env!("CARGO_BIN_EXE_credwatch"))
        .env("INVENTORY", &inventory)
        .env("CREDWATCH_ALLOW_ANY_ENDPOINT", "1")
        .kill_on_drop(true))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.matches("is valid: 3 integrations").count(),
        2,
        "{stdout}"
    );
}

/// An inventory with thousands of problems prints the first 100 and counts the rest (a 1 MiB
/// file with 400,000 problems wrote 59 MB to stderr); JSON keeps at most 1,000 and the total.
#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_problems_are_capped_in_the_table_and_in_json() {
    let scratch = Scratch::new("cli-many-problems");
    let path = scratch.path().join("inventory.yaml");
    // Each entry is a number where a mapping belongs: one problem each.
    let yaml = format!("version: 1\nintegrations:\n{}", "- 1\n".repeat(5_000));
    std::fs::write(&path, yaml).unwrap();
    let (code, stdout, stderr) = run(credwatch()
        .args(["inventory", "validate", "--format", "json"])
        .arg(&path))
    .await;
    assert_eq!(code, 2, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(
        report["problem_count"], 5_000,
        "{}",
        report["problem_count"]
    );
    assert_eq!(report["problems"].as_array().unwrap().len(), 1_000);
    assert_eq!(report["problems"][999]["location"], "integrations[999]");

    for args in [vec!["inventory", "validate"], vec!["check", "--inventory"]] {
        let (code, stdout, stderr) = run(credwatch().args(&args).arg(&path)).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.contains("(5000 problems)"), "{stderr}");
        assert_eq!(
            stderr.matches("\n  - integrations[").count(),
            100,
            "{stderr}"
        );
        assert!(stderr.contains("integrations[99]:"), "{stderr}");
        assert!(!stderr.contains("integrations[100]:"), "{stderr}");
        assert!(
            stderr.contains("... and 4900 more problems (the first 100 are listed"),
            "{stderr}"
        );
    }

    // A 1 MiB file of `- {}`: 7 missing keys each, 1.5 million problems. The first 1,000 are
    // kept, the rest counted (the memory they would take is not).
    std::fs::write(
        &path,
        format!("version: 1\nintegrations:\n{}", "- {}\n".repeat(209_000)),
    )
    .unwrap();
    let (code, stdout, stderr) = run(credwatch()
        .args(["inventory", "validate", "--format", "json"])
        .arg(&path))
    .await;
    assert_eq!(code, 2, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["problem_count"],
        209_000 * 7,
        "{}",
        report["problem_count"]
    );
    assert_eq!(report["problems"].as_array().unwrap().len(), 1_000);
    let (code, _, stderr) = run(credwatch().args(["inventory", "validate"]).arg(&path)).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("(1463000 problems)"), "{stderr}");
    assert!(stderr.contains("... and 1462900 more problems"), "{stderr}");
}
