//! `credwatch ack` and `credwatch unack`, the real binary against moto_server: the write, what
//! `status` and `incident show` then say, and every refusal with its exit code.

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, IncidentClass, IncidentId};
use credwatch::inventory::Severity;
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::{Incident, Incidents as _};
use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::cli::run;
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory_yaml};
use serde_json::Value;

fn credwatch(args: &[&str]) -> tokio::process::Command {
    credwatch_tests::cli::command(env!("CARGO_BIN_EXE_credwatch").as_ref(), args)
}

fn incident(id: &str, start: DateTime<Utc>) -> Incident {
    let id: IncidentId = id.parse().expect("an id");
    // Whole seconds, as the table keeps milliseconds.
    let start = DateTime::from_timestamp(start.timestamp(), 0).expect("a time");
    Incident {
        integration: id.integration().to_string(),
        check: CheckKind::Auth,
        class: IncidentClass::parse("client_auth_failed").expect("a class"),
        severity: Severity::High,
        team: "marketing-ops".into(),
        open: true,
        opened_at: start,
        updated_at: start,
        resolved_at: None,
        threshold_days: None,
        message: "SFMC says: Client authentication failed.".into(),
        http_status: Some(401),
        class_since: None,
        ack: None,
        id,
    }
}

/// A table with the inventory applied (`crm-sync`, `loyalty-feed`), and its store.
async fn deployment(label: &str) -> (String, DynamoStore, Simulator, Scratch) {
    let sim = Simulator::start().await.expect("the simulator starts");
    let scratch = Scratch::new(label);
    let table = unique_name(label);
    let healthy = ClientConfig::healthy("Ops4Secret8Value2Here6", SYNC_SCOPES, 7281698);
    let specs = vec![
        Spec::on(&sim, "crm-sync", &healthy),
        Spec::on(&sim, "loyalty-feed", &healthy),
    ];
    let path = scratch.path().join("inventory.yaml");
    std::fs::write(&path, inventory_yaml(scratch.path(), &specs)).expect("write");
    let file = path.display().to_string();
    let (code, _, stderr) = run(credwatch(&["table", "create", "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(credwatch(&["inventory", "apply", &file, "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let store = DynamoStore::new(client, table.clone());
    (table, store, sim, scratch)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|err| panic!("not JSON ({err}): {stdout}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn ack_pauses_an_open_incident_status_and_show_tell_it_and_unack_takes_it_back() {
    let (table, store, _sim, _scratch) = deployment("cli-ack").await;
    let open = incident("loyalty-feed:auth:1", Utc::now() - TimeDelta::hours(1));
    assert!(store.open_incident(&open).await.expect("opened"));
    let id = open.id.as_str();

    let (code, stdout, stderr) = run(credwatch(&[
        "ack",
        id,
        "--by",
        "Dana Smith",
        "--note",
        "rotating the secret",
        "--table",
        &table,
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("Incident loyalty-feed:auth:1 acknowledged by Dana Smith at "),
        "{stdout}"
    );
    assert!(stdout.contains(": rotating the secret."), "{stdout}");
    assert!(
        stdout.contains(
            "Reminders and escalation are paused until its class changes or it resolves."
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("Team marketing-ops is told who is on it within a minute."),
        "{stdout}"
    );
    let stored = store.get_incident(&open.id).await.unwrap().unwrap();
    let ack = stored.ack.clone().expect("an ack on the item");
    assert_eq!(ack.by, "Dana Smith");
    assert_eq!(ack.note.as_deref(), Some("rotating the secret"));
    assert!(stored.is_acknowledged());
    assert_eq!(stored.updated_at, open.updated_at, "updated_at untouched");

    // status: the ack on the open incident, in JSON and in the table.
    let (code, stdout, stderr) = run(credwatch(&[
        "status", "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let rows = json(&stdout);
    let loyalty = rows
        .as_array()
        .expect("an array")
        .iter()
        .find(|r| r["integration"] == "loyalty-feed")
        .expect("a row");
    assert_eq!(
        loyalty["open_incidents"][0]["ack"]["by"], "Dana Smith",
        "{stdout}"
    );
    assert_eq!(
        loyalty["open_incidents"][0]["ack"]["note"],
        "rotating the secret"
    );
    let mut wide = credwatch(&["status", "--table", &table]);
    wide.env("COLUMNS", "400");
    let (code, stdout, stderr) = run(wide).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("acknowledged by Dana Smith at"), "{stdout}");

    // incident show: in the header and the timeline; the JSON carries the stored ack.
    let mut show = credwatch(&["incident", "show", id, "--table", &table]);
    show.env("COLUMNS", "400");
    let (code, stdout, stderr) = run(show).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Acknowledged by Dana Smith at"), "{stdout}");
    assert!(
        stdout.contains("reminders and escalation paused"),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(credwatch(&[
        "incident", "show", id, "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json(&stdout)["incident"]["ack"]["by"], "Dana Smith");

    // Someone else takes it over (the table from CREDWATCH_TABLE), as JSON.
    let mut takeover = credwatch(&["ack", id, "--by", "lee", "--format", "json"]);
    takeover.env("CREDWATCH_TABLE", &table);
    let (code, stdout, stderr) = run(takeover).await;
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["incident_id"], id);
    assert_eq!(report["acknowledged"], true);
    assert_eq!(report["ack"]["by"], "lee");
    assert_eq!(report["ack"]["note"], Value::Null);
    assert_eq!(report["incident"]["ack"]["by"], "lee");

    // unack: removed, and the team is told; again: still exit 0, but nothing was taken back
    // and nobody is told (the fan-out tells the team only when an ack is removed).
    let (code, stdout, stderr) = run(credwatch(&["unack", id, "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("Incident loyalty-feed:auth:1 is not acknowledged any more."),
        "{stdout}"
    );
    assert!(stdout.contains("follow their schedule again"), "{stdout}");
    assert!(stdout.contains("that nobody is on it"), "{stdout}");
    let (code, stdout, stderr) = run(credwatch(&["unack", id, "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with(
            "Incident loyalty-feed:auth:1 was not acknowledged by anyone: nothing to take back"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("nobody is on it"), "{stdout}");
    let stored = store.get_incident(&open.id).await.unwrap().unwrap();
    assert_eq!(stored.ack, None);
    let (code, stdout, _) = run(credwatch(&[
        "unack", id, "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0);
    let report = json(&stdout);
    assert_eq!(report["acknowledged"], false);
    assert_eq!(report["ack"], Value::Null);
    let (_, stdout, _) = run(credwatch(&[
        "status", "--table", &table, "--format", "json",
    ]))
    .await;
    assert!(
        json(&stdout)
            .as_array()
            .expect("an array")
            .iter()
            .all(|r| r["open_incidents"]
                .as_array()
                .expect("a list")
                .iter()
                .all(|i| i["ack"].is_null())),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ack_refuses_bad_input_with_2_and_missing_or_resolved_incidents_with_1() {
    let (table, store, _sim, _scratch) = deployment("cli-ack-refusals").await;
    let resolved = incident("crm-sync:auth:2", Utc::now() - TimeDelta::hours(2));
    assert!(store.open_incident(&resolved).await.expect("opened"));
    assert!(
        store
            .resolve_incident(resolved.id.as_str(), "Working again.", Utc::now())
            .await
            .expect("resolved")
    );

    // Usage: exit 2, saying what is wrong; nothing is written.
    let long_note = "n".repeat(501);
    let long_by = "b".repeat(101);
    let usage: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["ack", "loyalty-feed:auth", "--by", "dana"],
            "is not an incident id: an incident id has the form integration:check:seq",
        ),
        (
            vec!["ack", "loyalty-feed:auth:01", "--by", "dana"],
            "the sequence part of an incident id",
        ),
        (
            vec!["unack", "loyalty-feed:auth:1/opened"],
            "that is a notification id: its incident is loyalty-feed:auth:1",
        ),
        (vec!["ack", "loyalty-feed:auth:1"], "--by <NAME>"),
        (
            vec!["ack", "loyalty-feed:auth:1", "--by", "  "],
            "who acknowledges (--by) is empty",
        ),
        (
            vec!["ack", "loyalty-feed:auth:1", "--by", &long_by],
            "(--by) is 101 characters long; at most 100 are allowed",
        ),
        (
            vec![
                "ack",
                "loyalty-feed:auth:1",
                "--by",
                "dana",
                "--note",
                &long_note,
            ],
            "(--note) is 501 characters long; at most 500 are allowed",
        ),
        (
            vec!["ack", "loyalty-feed:auth:1", "--by", "dana\u{1b}[2J"],
            "holds the unprintable character U+001B",
        ),
    ];
    for (args, words) in usage {
        let mut args = args;
        args.extend(["--table", &table]);
        let (code, stdout, stderr) = run(credwatch(&args)).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert!(!stderr.contains('\u{1b}'), "echoed escaped: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
    }

    // No such incident: exit 1, saying how to list the open ones.
    for args in [
        vec!["ack", "loyalty-feed:auth:9", "--by", "dana"],
        vec!["unack", "loyalty-feed:auth:9"],
    ] {
        let mut args = args;
        args.extend(["--table", &table]);
        let (code, stdout, stderr) = run(credwatch(&args)).await;
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains("holds no such incident"), "{stderr}");
        assert!(
            stderr.contains("`credwatch status` lists the open ones"),
            "{stderr}"
        );
        assert!(stdout.is_empty(), "{stdout}");
    }
    let missing: IncidentId = "loyalty-feed:auth:9".parse().expect("an id");
    assert_eq!(store.get_incident(&missing).await.unwrap(), None);

    // Already resolved: exit 1, nothing written.
    for args in [
        vec!["ack", "crm-sync:auth:2", "--by", "dana"],
        vec!["unack", "crm-sync:auth:2"],
    ] {
        let mut args = args;
        args.extend(["--table", &table]);
        let (code, _, stderr) = run(credwatch(&args)).await;
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("crm-sync:auth:2: it is already resolved at "),
            "{stderr}"
        );
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert!(stderr.contains("`credwatch status`"), "{stderr}");
    }
    let stored = store.get_incident(&resolved.id).await.unwrap().unwrap();
    assert_eq!(stored.ack, None);
    assert!(!stored.open);
}
