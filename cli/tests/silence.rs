//! `credwatch silence add|list|expire`, the real binary against moto_server: what it prints,
//! what it stores, and its exit codes.

use credwatch::store::dynamo::DynamoStore;
use credwatch::store::{ExpireOutcome, Silences as _};
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::cli::run;
use serde_json::Value;

fn credwatch(args: &[&str]) -> tokio::process::Command {
    credwatch_tests::cli::command(env!("CARGO_BIN_EXE_credwatch").as_ref(), args)
}

/// A fresh table and its store.
async fn table(label: &str) -> (String, DynamoStore) {
    let table = unique_name(label);
    let (code, _, stderr) = run(credwatch(&["table", "create", "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    (table.clone(), DynamoStore::new(client, table))
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silence_is_added_listed_expired_and_listed_as_ended() {
    let (table, store) = table("cli-silence").await;
    let (code, stdout, stderr) = run(credwatch(&[
        "silence",
        "add",
        "--table",
        &table,
        "--team",
        "crm-ops",
        "--class",
        "client_auth_failed",
        "--for",
        "2h",
        "--reason",
        "SFMC maintenance, CHG-1042",
        "--by",
        "dana@example.com",
        "--format",
        "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let added = json(&stdout);
    let id = added["id"].as_str().expect("an id").to_string();
    assert!(id.starts_with("sil-") && id.len() == 14, "{id}");
    assert_eq!(added["state"], "active");
    assert_eq!(
        added["matchers"],
        serde_json::json!([
            {"field": "team", "value": "crm-ops"},
            {"field": "class", "value": "client_auth_failed"}
        ])
    );
    assert_eq!(added["reason"], "SFMC maintenance, CHG-1042");
    assert_eq!(added["created_by"], "dana@example.com");
    let starts: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(added["starts_at"].clone()).unwrap();
    let ends: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(added["ends_at"].clone()).unwrap();
    assert_eq!(ends - starts, chrono::TimeDelta::hours(2));
    // Stored as printed.
    let stored = store.silences().await.unwrap().silences;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id.as_str(), id);

    // A second one, by --until in the documented UTC form, shown as a table.
    let until = (chrono::Utc::now() + chrono::TimeDelta::days(2))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let (code, stdout, stderr) = run(credwatch(&[
        "silence",
        "add",
        "--table",
        &table,
        "--integration",
        "loyalty-feed",
        "--check",
        "expiry",
        "--until",
        &until,
        "--reason",
        "secret renewal planned",
        "--by",
        "lee",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "Added silence sil-",
        "Matches:  integration=loyalty-feed, check=expiry (all must match)",
        &format!("Until:    {until} UTC"),
        "Reason:   secret renewal planned",
        "By:       lee",
    ] {
        assert!(stdout.contains(expected), "{expected} in\n{stdout}");
    }

    let (code, stdout, stderr) = run(credwatch(&[
        "silence", "list", "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let listed = json(&stdout);
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "active")
    );

    let (code, stdout, stderr) = run(credwatch(&[
        "silence", "expire", &id, "--table", &table, "--by", "kim",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("Expired silence {id} now")),
        "{stdout}"
    );

    // Again: already ended, exit 1, the message saying so.
    let (code, _, stderr) = run(credwatch(&["silence", "expire", &id, "--table", &table])).await;
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!("silence {id} already ended at")),
        "{stderr}"
    );
    assert!(stderr.contains("(expired by kim)"), "{stderr}");
    // Unknown: exit 1, the message saying there is none.
    let (code, _, stderr) = run(credwatch(&[
        "silence",
        "expire",
        "sil-zzzzzzzzzz",
        "--table",
        &table,
    ]))
    .await;
    assert_eq!(code, 1);
    assert!(
        stderr.contains("holds no silence sil-zzzzzzzzzz"),
        "{stderr}"
    );
    // Not an id: exit 2.
    let (code, _, stderr) = run(credwatch(&[
        "silence", "expire", "crm-ops", "--table", &table,
    ]))
    .await;
    assert_eq!(code, 2);
    assert!(
        stderr.contains("\"crm-ops\" is not a silence id"),
        "{stderr}"
    );

    // The default list leaves the ended one out; --all shows it, with who ended it.
    let (code, stdout, _) = run(credwatch(&[
        "silence", "list", "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0);
    assert_eq!(json(&stdout).as_array().map(Vec::len), Some(1));
    let (code, stdout, _) = run(credwatch(&[
        "silence", "list", "--table", &table, "--all", "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0);
    let all = json(&stdout);
    let ended = all
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .expect("listed");
    assert_eq!(ended["state"], "expired");
    assert_eq!(ended["expired_by"], "kim");
    let mut wide = credwatch(&["silence", "list", "--table", &table, "--all"]);
    wide.env("COLUMNS", "250");
    let (code, stdout, _) = run(wide).await;
    assert_eq!(code, 0);
    for expected in [
        "ID",
        "State",
        "Matchers",
        &id,
        "team=crm-ops",
        "class=client_auth_failed",
        "ended early by kim",
        "2 silences: 1 active, 0 pending, 1 ended.",
    ] {
        assert!(stdout.contains(expected), "{expected} in\n{stdout}");
    }
    assert!(matches!(
        store
            .expire_silence(&id.parse().unwrap(), chrono::Utc::now(), None)
            .await
            .unwrap(),
        ExpireOutcome::AlreadyEnded(_)
    ));
}

/// Every invalid request exits 2 with what to do, before touching the table (which does not
/// exist here: reaching it would be exit 1 or 2 with another message).
#[tokio::test(flavor = "multi_thread")]
async fn silences_that_cannot_be_made_exit_2_and_say_why() {
    let table = unique_name("cli-silence-absent");
    let base = [
        "silence", "add", "--table", &table, "--reason", "planned", "--by", "dana",
    ];
    let cases: [(&[&str], &str); 8] = [
        (
            &["--for", "1h"],
            "needs at least one matcher (--integration, --team, --class or --check)",
        ),
        (
            &["--team", "CRM Ops", "--for", "1h"],
            "--team \"CRM Ops\" is not valid here",
        ),
        (
            &["--class", "auth_broken", "--for", "1h"],
            "--class \"auth_broken\" is not valid here",
        ),
        (
            &["--check", "auth", "--until", "2020-01-01 00:00"],
            "which is not after now",
        ),
        (
            &["--check", "auth", "--for", "91d"],
            "a silence lasts at most 90 days",
        ),
        (
            &["--check", "auth", "--until", "next friday"],
            "YYYY-MM-DD HH:MM in UTC",
        ),
        (
            &[
                "--check",
                "auth",
                "--for",
                "1h",
                "--until",
                "2030-01-01 00:00",
            ],
            "cannot be used with",
        ),
        (&["--check", "auth"], "--for <DURATION>"),
    ];
    for (extra, expected) in cases {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let (code, stdout, stderr) = run(credwatch(&args)).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: {expected} in\n{stderr}"
        );
        assert!(stdout.is_empty(), "{stdout}");
    }
    let (code, _, stderr) = run(credwatch(&[
        "silence", "add", "--table", &table, "--team", "crm-ops", "--team", "web-ops", "--for",
        "1h", "--reason", "x", "--by", "dana",
    ]))
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("--team is given twice"), "{stderr}");
    let (code, _, stderr) = run(credwatch(&[
        "silence",
        "expire",
        "sil-abcdefgh23",
        "--table",
        &table,
        "--by",
        "",
    ]))
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("--by is empty"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn help_documents_the_time_forms() {
    let (code, stdout, _) = run(credwatch(&["silence", "add", "--help"])).await;
    assert_eq!(code, 0);
    for expected in [
        "RFC 3339",
        "YYYY-MM-DD HH:MM",
        "UTC",
        "--integration",
        "--for",
    ] {
        assert!(stdout.contains(expected), "{expected} in\n{stdout}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_table_lists_no_silences_and_a_missing_one_exits_2() {
    let (table, _store) = table("cli-silence-empty").await;
    let (code, stdout, stderr) = run(credwatch(&["silence", "list", "--table", &table])).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("No pending or active silences"), "{stdout}");
    let (code, stdout, _) = run(credwatch(&[
        "silence", "list", "--table", &table, "--format", "json",
    ]))
    .await;
    assert_eq!(code, 0);
    assert_eq!(json(&stdout), serde_json::json!([]));
    let missing = unique_name("cli-silence-missing");
    let (code, _, stderr) = run(credwatch(&["silence", "list", "--table", &missing])).await;
    assert_eq!(code, 2, "{stderr}");
}

/// A `--team` or `--integration` the table does not know is added (exit 0: it may be applied
/// later) with a warning naming the ids it does know; a known one gives no warning.
#[tokio::test(flavor = "multi_thread")]
async fn a_silence_for_a_team_the_table_does_not_know_warns_with_the_known_ones() {
    use credwatch::inventory::{Notify, Team};
    use credwatch::store::Teams as _;
    let (table, store) = table("cli-silence-unknown").await;
    for id in ["crm-ops", "platform"] {
        let team = Team {
            id: id.to_string(),
            name: format!("Team {id}"),
            timezone: None,
            business_hours: None,
            escalate_after: None,
            escalate_to: None,
            after_hours_to: None,
            notify: Notify::default(),
            maintenance: Vec::new(),
        };
        store.put_team(&team).await.unwrap();
    }
    let add = |team: &'static str| {
        credwatch(&[
            "silence", "add", "--table", &table, "--team", team, "--for", "1h", "--reason",
            "release", "--by", "dana",
        ])
    };
    let (code, stdout, stderr) = run(add("crm-opps")).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Added silence sil-"), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "warning: table {table} has no team crm-opps (teams: crm-ops, platform); this \
             silence matches nothing until one is applied"
        )),
        "{stderr}"
    );
    let (code, _, stderr) = run(add("crm-ops")).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_eq!(store.silences().await.unwrap().silences.len(), 2);
}
