//! Issue 11's acceptance (alert operations), end to end against moto_server: the inventory of
//! `tests/fixtures/two-teams.yaml` (crm-ops in New York escalating to platform in Berlin)
//! applied by the real `credwatch` binary with the alerts topic; incidents written as the probe
//! writes them (the store adapter's `open_incident`); the table's DynamoDB stream read from moto
//! and handed to the fan-out handler in process at chosen times, and the sweep run as the
//! EventBridge schedule at chosen times; SQS queues subscribed with each team's email filter
//! policy stand in for the mailboxes. Every scenario checks three views of the same story:
//! what the teams receive, what `credwatch notifications preview --format json` says before,
//! and what `credwatch incident show --format json` keeps afterwards.
//!
//! `ack` and `silence add` take the real clock, so their scenarios are anchored on it
//! (incidents opened hours ago, previews and sweeps later); the others use fixed dates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, Incident, IncidentClass, IncidentId};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::severity::Severity;
use credwatch::notify::sns::SnsPublisher;
use credwatch::store::Incidents;
use credwatch::store::dynamo::DynamoStore;
use credwatch_alert_fanout::{App, SWEEP_LIMIT, handle_at};
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::sns::{attribute, create_topic, drain, subscribed_queue};
use credwatch_tests::streams::StreamReader;
use serde_json::{Value, json};

/// The two-team inventory the README's on-call section cites.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-teams.yaml")
}

/// `credwatch args...` against moto: (exit code, stdout, stderr).
async fn credwatch(args: &[&str]) -> (i32, String, String) {
    let binary = credwatch_tests::cli::workspace_binary("credwatch");
    credwatch_tests::cli::run(credwatch_tests::cli::command(&binary, args)).await
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .to_utc()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The EventBridge schedule that runs the sweep.
fn scheduled() -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-25T13:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/credwatch-sweep"],
        "detail": {}
    })
}

/// One deployment on moto: its table (inventory applied with the topic), the fan-out in
/// process, the table's stream, and one queue per team with that team's email filter policy.
struct Deployment {
    table: String,
    app: App<DynamoStore, SnsPublisher>,
    stream: StreamReader,
    sqs: aws_sdk_sqs::Client,
    /// Team id -> its queue.
    mailboxes: BTreeMap<String, String>,
}

impl Deployment {
    async fn new(label: &str) -> Deployment {
        let config = sdk_config().await;
        let sns = aws_sdk_sns::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let table = unique_name(label);
        let topic = create_topic(&sns, &unique_name("alerts")).await;
        let (code, _, stderr) = credwatch(&["table", "create", "--table", &table]).await;
        assert_eq!(code, 0, "{stderr}");
        let file = fixture().display().to_string();
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
        assert!(
            !stderr.contains("warning"),
            "the fixture is clean: {stderr}"
        );
        let mut mailboxes = BTreeMap::new();
        for (address, policy) in credwatch_tests::sns::email_policies(&sns, &topic).await {
            let team = address
                .strip_suffix("@example.com")
                .expect("the fixture's addresses are team@example.com")
                .to_string();
            let queue = subscribed_queue(&sqs, &sns, &topic, Some(&policy)).await;
            mailboxes.insert(team, queue);
        }
        assert_eq!(
            mailboxes.keys().collect::<Vec<_>>(),
            ["crm-ops", "platform"],
            "one subscription per team"
        );
        let mut stream = StreamReader::open(&config, &table).await;
        let _inventory = stream.records().await;
        let app = App {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table.clone()),
            publisher: SnsPublisher::new(sns, topic),
            sweep_limit: SWEEP_LIMIT,
        };
        Deployment {
            table,
            app,
            stream,
            sqs,
            mailboxes,
        }
    }

    /// Opens incident `{integration}:auth:{seq}` as the probe does after a confirmed
    /// `client_auth_failed` (SFMC refused the secret).
    async fn open(
        &self,
        integration: &str,
        team: &str,
        severity: Severity,
        seq: u32,
        at: DateTime<Utc>,
    ) -> IncidentId {
        let id: IncidentId = format!("{integration}:auth:{seq}")
            .parse()
            .expect("an incident id");
        let incident = Incident {
            id: id.clone(),
            integration: integration.to_string(),
            check: CheckKind::Auth,
            class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
            severity,
            team: team.to_string(),
            open: true,
            opened_at: at,
            updated_at: at,
            resolved_at: None,
            threshold_days: None,
            message: "SFMC says: Client authentication failed.".to_string(),
            http_status: Some(401),
            class_since: None,
            ack: None,
        };
        assert!(
            self.app
                .store
                .open_incident(&incident)
                .await
                .expect("opened")
        );
        id
    }

    /// What the table's stream holds since the last call, handled by the fan-out at `now`.
    async fn stream_at(&mut self, now: DateTime<Utc>) {
        let batch = self.stream.next_event().await;
        let answer = handle_at(&self.app, &batch, now).await.expect("handled");
        assert_eq!(answer, json!({"batchItemFailures": []}));
    }

    /// The sweep at `now`; its summary.
    async fn sweep_at(&self, now: DateTime<Utc>) -> Value {
        handle_at(&self.app, &scheduled(), now)
            .await
            .expect("swept")
    }

    /// What `team` received since the last call (SNS envelopes).
    async fn received(&self, team: &str) -> Vec<Value> {
        drain(&self.sqs, &self.mailboxes[team]).await
    }

    /// `credwatch notifications preview --at AT --format json`.
    async fn preview(&self, at: &str) -> Value {
        let (code, out, stderr) = credwatch(&[
            "notifications",
            "preview",
            "--table",
            &self.table,
            "--at",
            at,
            "--format",
            "json",
        ])
        .await;
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str(&out).expect("the preview is JSON")
    }

    /// `credwatch incident show ID --format json`.
    async fn show(&self, id: &IncidentId) -> Value {
        let (code, out, stderr) = credwatch(&[
            "incident",
            "show",
            &id.to_string(),
            "--table",
            &self.table,
            "--format",
            "json",
        ])
        .await;
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str(&out).expect("the report is JSON")
    }
}

/// The preview's decisions about `incident` for `team` of `event`.
fn decisions<'a>(
    preview: &'a Value,
    incident: &IncidentId,
    team: &str,
    event: &str,
) -> Vec<&'a Value> {
    preview["decisions"]
        .as_array()
        .expect("a list of decisions")
        .iter()
        .filter(|d| {
            d["incident_id"] == incident.to_string() && d["team"] == team && d["event"] == event
        })
        .collect()
}

/// `(event, notification_id)` of each envelope.
fn told(envelopes: &[Value]) -> Vec<(String, String)> {
    envelopes
        .iter()
        .map(|e| {
            (
                attribute(e, "event").to_string(),
                attribute(e, "notification_id").to_string(),
            )
        })
        .collect()
}

/// The body a subscribed queue receives: the notification's JSON document (`lines` carry the
/// words of the email: what broke, held since when, also affected, ...).
fn body(envelope: &Value) -> String {
    envelope["Message"].as_str().expect("a body").to_string()
}

/// The notifications `incident show` lists: `(id, state, [decision kinds])`.
fn timeline(report: &Value) -> Vec<(String, String, Vec<String>)> {
    report["notifications"]
        .as_array()
        .expect("a list of notifications")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().expect("an id").to_string(),
                n["state"].as_str().expect("a state").to_string(),
                n["decisions"]
                    .as_array()
                    .expect("decisions")
                    .iter()
                    .map(|d| d["kind"].as_str().expect("a kind").to_string())
                    .collect(),
            )
        })
        .collect()
}

fn notification<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["notifications"]
        .as_array()
        .expect("a list of notifications")
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {report:#}"))
}

/// How notification ids write a time: `2026-11-25T13:00:00.000Z`.
fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A critical incident of platform (consent-sync) opened 4 hours ago: the preview at +30m,
/// +1h30 and +3h30 shows reminder 1, 2 and 3, one each (at +1h30 and +3h30 the earlier ones
/// are due too: coalesced into one, numbered as the latest); the sweeps send exactly that;
/// after `credwatch ack` the preview shows no reminder any more and the sweep sends none.
#[tokio::test(flavor = "multi_thread")]
async fn preview_shows_reminders_on_the_documented_schedule_and_none_after_ack() {
    let mut deployment = Deployment::new("ops-reminders").await;
    let opened = (Utc::now() - TimeDelta::hours(4))
        .duration_trunc(TimeDelta::minutes(1))
        .expect("a whole minute");
    let id = deployment
        .open("consent-sync", "platform", Severity::Critical, 1, opened)
        .await;
    deployment.stream_at(opened).await;
    assert_eq!(
        told(&deployment.received("platform").await),
        [("opened".to_string(), format!("{id}/opened"))]
    );
    assert!(deployment.received("crm-ops").await.is_empty());

    // critical: 30m, 1h, 2h, ... -> due at +30m, +1h30, +3h30.
    for (after, n) in [(30, 1), (90, 2), (210, 3)] {
        let at = opened + TimeDelta::minutes(after);
        let preview = deployment.preview(&rfc3339(at)).await;
        let rows = decisions(&preview, &id, "platform", "reminder");
        assert_eq!(
            rows.len(),
            1,
            "one reminder at +{after}m, never a burst: {preview:#}"
        );
        let row = rows[0];
        assert_eq!(row["decision"], "send", "{row}");
        assert_eq!(
            row["notification_id"],
            format!("{id}/reminder/{n}@{}", stamp(opened)),
            "{row}"
        );
        assert!(
            row["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with(&format!("reminder {n} (due "))),
            "{row}"
        );
        assert!(row.get("until").is_none(), "{row}");
    }

    // The sweeps: reminder 1 at +30m; the sweep at +3h30 (the one at +1h30 missed) sends ONE
    // reminder, number 3.
    let swept = deployment.sweep_at(opened + TimeDelta::minutes(30)).await;
    assert_eq!(swept["deliveries"]["sent"], 1, "{swept}");
    deployment.sweep_at(opened + TimeDelta::minutes(31)).await;
    let swept = deployment.sweep_at(opened + TimeDelta::minutes(210)).await;
    assert_eq!(swept["deliveries"]["sent"], 1, "{swept}");
    let got = deployment.received("platform").await;
    assert_eq!(
        told(&got),
        [
            (
                "reminder".to_string(),
                format!("{id}/reminder/1@{}", stamp(opened))
            ),
            (
                "reminder".to_string(),
                format!("{id}/reminder/3@{}", stamp(opened))
            ),
        ]
    );
    assert!(
        body(&got[1]).contains("reminder 3: still failing, unacknowledged, for 3 h 30 min"),
        "{}",
        body(&got[1])
    );

    // Someone takes it (the real clock: after the incident's last class change).
    let (code, out, stderr) = credwatch(&[
        "ack",
        &id.to_string(),
        "--by",
        "Dana",
        "--note",
        "rotating the secret",
        "--table",
        &deployment.table,
    ])
    .await;
    assert_eq!(code, 0, "{out}\n{stderr}");
    assert!(out.contains("Reminders and escalation are paused"), "{out}");
    let now = Utc::now();
    deployment.stream_at(now).await;
    let got = deployment.received("platform").await;
    assert_eq!(told(&got).len(), 1, "{got:?}");
    assert_eq!(attribute(&got[0], "event"), "acknowledged");
    assert!(body(&got[0]).contains("Dana"), "{}", body(&got[0]));

    // Reminder 4 (due at +7h30) and every later one: not any more.
    let preview = deployment.preview("+8h").await;
    assert!(
        decisions(&preview, &id, "platform", "reminder").is_empty(),
        "{preview:#}"
    );
    assert_eq!(preview["next_follow_up"], Value::Null, "{preview:#}");
    let swept = deployment.sweep_at(now + TimeDelta::hours(8)).await;
    assert_eq!(swept["deliveries"]["sent"], 0, "{swept}");
    assert!(deployment.received("platform").await.is_empty());

    // The decisions taken, on record.
    let report = deployment.show(&id).await;
    let ids: Vec<String> = timeline(&report).into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(
        ids.iter().filter(|i| i.contains("/reminder/")).count(),
        2,
        "{ids:?}"
    );
    for (_, state, kinds) in timeline(&report) {
        assert_eq!(state, "sent");
        assert_eq!(kinds, ["send"]);
    }
    let reminder = notification(&report, &format!("{id}/reminder/3@{}", stamp(opened)));
    assert!(
        reminder["decisions"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("reminder 3 (due ")),
        "the decision says why: {reminder}"
    );
}

/// crm-ops (New York, 08:00-18:00) at 23:00 local on a Tuesday: a high incident is held
/// (`defer` until 08:00 local, 13:00 UTC) and told in one message then, saying it was
/// deferred; a critical one goes at once, to crm-ops and to its `after_hours_to` (platform).
#[tokio::test(flavor = "multi_thread")]
async fn a_high_incident_at_night_is_deferred_to_the_morning_and_a_critical_one_is_not() {
    let mut deployment = Deployment::new("ops-night").await;
    let night = utc("2026-11-25T04:00:00Z"); // Tue 2026-11-24 23:00 in New York
    let morning = utc("2026-11-25T13:00:00Z"); // Wed 08:00 in New York
    let high = deployment
        .open("lead-scoring", "crm-ops", Severity::High, 1, night)
        .await;
    let critical = deployment
        .open("crm-contact-sync", "crm-ops", Severity::Critical, 1, night)
        .await;
    deployment.stream_at(night).await;

    // At once: the critical one, to the owner and to the after-hours team; nothing else.
    let crm = deployment.received("crm-ops").await;
    assert_eq!(
        told(&crm),
        [("opened".to_string(), format!("{critical}/opened"))]
    );
    let platform = deployment.received("platform").await;
    assert_eq!(
        told(&platform),
        [("opened".to_string(), format!("{critical}/opened>platform"))]
    );
    assert!(
        body(&platform[0]).contains("as the after-hours team of team crm-ops"),
        "{}",
        body(&platform[0])
    );
    let report = deployment.show(&high).await;
    let opened = notification(&report, &format!("{high}/opened"));
    assert_eq!(opened["state"], "held", "{opened}");
    assert_eq!(opened["decisions"][0]["kind"], "defer", "{opened}");
    assert_eq!(
        opened["decisions"][0]["until"],
        rfc3339(morning),
        "{opened}"
    );
    assert!(
        opened["decisions"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("outside the business hours of team crm-ops")),
        "{opened}"
    );
    let report = deployment.show(&critical).await;
    assert_eq!(
        timeline(&report),
        [
            (
                format!("{critical}/opened"),
                "sent".to_string(),
                vec!["send".to_string()]
            ),
            (
                format!("{critical}/opened>platform"),
                "sent".to_string(),
                vec!["send".to_string()]
            ),
        ]
    );

    // Before the morning, the preview holds the high incident's reminder too (due 05:00 and
    // 09:00 UTC: one, deferred to the morning).
    let preview = deployment.preview("2026-11-25T12:00:00Z").await;
    let rows = decisions(&preview, &high, "crm-ops", "reminder");
    assert_eq!(rows.len(), 1, "{preview:#}");
    assert_eq!(rows[0]["decision"], "defer", "{}", rows[0]);
    assert_eq!(rows[0]["until"], rfc3339(morning), "{}", rows[0]);
    assert!(
        decisions(&preview, &high, "crm-ops", "opened").is_empty(),
        "{preview:#}"
    );

    // At 08:00 local: the held opening is released, one message.
    let preview = deployment.preview("2026-11-25 13:00").await;
    let rows = decisions(&preview, &high, "crm-ops", "opened");
    assert_eq!(rows.len(), 1, "{preview:#}");
    assert_eq!(rows[0]["decision"], "send", "{}", rows[0]);
    assert!(
        rows[0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("released after a hold since 2026-11-25 04:00 UTC")),
        "{}",
        rows[0]
    );
    assert!(
        decisions(&preview, &high, "crm-ops", "reminder").is_empty(),
        "{preview:#}"
    );
    deployment.sweep_at(morning).await;
    let crm = deployment.received("crm-ops").await;
    let high_text = high.to_string();
    let mine: Vec<&Value> = crm
        .iter()
        .filter(|e| attribute(e, "incident_id") == high_text)
        .collect();
    assert_eq!(mine.len(), 1, "{crm:?}");
    assert_eq!(attribute(mine[0], "event"), "opened");
    assert!(
        body(mine[0]).contains("deferred since 2026-11-25 04:00 UTC to business hours"),
        "{}",
        body(mine[0])
    );
    let report = deployment.show(&high).await;
    let opened = notification(&report, &format!("{high}/opened"));
    assert_eq!(opened["state"], "sent", "{opened}");
    let kinds: Vec<&str> = opened["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .map(|d| d["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(kinds, ["defer", "send"], "{opened}");
}

/// crm-ops escalates to platform after 30 minutes (business time, the incident is high): one
/// `escalated` message to each team at 10:30 New York; later sweeps send no second one.
#[tokio::test(flavor = "multi_thread")]
async fn escalate_after_escalates_once_to_both_teams() {
    let mut deployment = Deployment::new("ops-escalation").await;
    let opened = utc("2026-11-25T15:00:00Z"); // Wed 10:00 New York, 16:00 Berlin
    let id = deployment
        .open("lead-scoring", "crm-ops", Severity::High, 1, opened)
        .await;
    deployment.stream_at(opened).await;
    assert_eq!(told(&deployment.received("crm-ops").await).len(), 1);

    let before = deployment.preview("2026-11-25T15:29:00Z").await;
    assert!(
        decisions(&before, &id, "crm-ops", "escalated").is_empty(),
        "{before:#}"
    );
    assert_eq!(
        before["next_follow_up"], "2026-11-25T15:30:00Z",
        "{before:#}"
    );
    let preview = deployment.preview("2026-11-25T15:30:00Z").await;
    let escalation = format!("{id}/escalated/1@{}", stamp(opened));
    for (team, notification_id) in [
        ("crm-ops", escalation.clone()),
        ("platform", format!("{escalation}>platform")),
    ] {
        let rows = decisions(&preview, &id, team, "escalated");
        assert_eq!(rows.len(), 1, "{team}: {preview:#}");
        assert_eq!(rows[0]["decision"], "send", "{}", rows[0]);
        assert_eq!(rows[0]["notification_id"], notification_id, "{}", rows[0]);
        assert!(
            rows[0]["reason"].as_str().is_some_and(|r| r
                .starts_with("escalation: nobody acknowledged it within escalate_after (30 min of business hours)")),
            "{}",
            rows[0]
        );
    }

    let swept = deployment.sweep_at(utc("2026-11-25T15:30:00Z")).await;
    assert_eq!(swept["deliveries"]["sent"], 2, "{swept}");
    for later in [
        "2026-11-25T15:45:00Z",
        "2026-11-25T17:00:00Z",
        "2026-11-26T15:00:00Z",
    ] {
        deployment.sweep_at(utc(later)).await;
    }
    let crm = deployment.received("crm-ops").await;
    let platform = deployment.received("platform").await;
    let escalated = |envelopes: &[Value]| {
        told(envelopes)
            .into_iter()
            .filter(|(event, _)| event == "escalated")
            .map(|(_, id)| id)
            .collect::<Vec<_>>()
    };
    assert_eq!(escalated(&crm), vec![escalation.clone()]);
    assert_eq!(escalated(&platform), [format!("{escalation}>platform")]);
    assert_eq!(
        platform.len(),
        1,
        "platform gets only the escalation: {platform:?}"
    );
    let to_platform = body(&platform[0]);
    assert!(
        to_platform.contains("as the escalation team of team crm-ops"),
        "{to_platform}"
    );
    let preview = deployment.preview("2026-11-26T16:00:00Z").await;
    assert!(
        decisions(&preview, &id, "crm-ops", "escalated").is_empty(),
        "{preview:#}"
    );
    assert!(
        decisions(&preview, &id, "platform", "escalated").is_empty(),
        "{preview:#}"
    );

    let report = deployment.show(&id).await;
    for notification_id in [escalation.clone(), format!("{escalation}>platform")] {
        let n = notification(&report, &notification_id);
        assert_eq!(n["state"], "sent", "{n}");
        assert_eq!(n["decisions"][0]["kind"], "send", "{n}");
        assert!(
            n["decisions"][0]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("escalation: nobody acknowledged it")),
            "the decision says why: {n}"
        );
    }
    let escalations = timeline(&report)
        .into_iter()
        .filter(|(id, _, _)| id.contains("/escalated/"))
        .count();
    assert_eq!(escalations, 2, "{report:#}");
}

/// `credwatch silence add` (now, for an hour) over consent-sync: its incident opening
/// meanwhile is suppressed (kept, not sent), and so is its first reminder (critical: due after
/// 30 minutes); the sweep after the silence's end sends ONE message saying it was silenced and
/// since when (the reminder held with it is superseded, not sent in a burst).
#[tokio::test(flavor = "multi_thread")]
async fn a_silence_suppresses_and_its_end_delivers_one_message_saying_so() {
    let mut deployment = Deployment::new("ops-silence").await;
    let (code, out, stderr) = credwatch(&[
        "silence",
        "add",
        "--table",
        &deployment.table,
        "--integration",
        "consent-sync",
        "--for",
        "1h",
        "--reason",
        "package rotation",
        "--by",
        "ana",
        "--format",
        "json",
    ])
    .await;
    assert_eq!(code, 0, "{out}\n{stderr}");
    let silence: Value = serde_json::from_str(&out).expect("the silence as JSON");
    let silence_id = silence["id"].as_str().expect("an id").to_string();
    let ends: DateTime<Utc> = serde_json::from_value(silence["ends_at"].clone()).expect("an end");

    let opened = Utc::now();
    let id = deployment
        .open("consent-sync", "platform", Severity::Critical, 1, opened)
        .await;
    deployment.stream_at(opened).await;
    assert!(
        deployment.received("platform").await.is_empty(),
        "suppressed"
    );
    let report = deployment.show(&id).await;
    let held = notification(&report, &format!("{id}/opened"));
    assert_eq!(held["state"], "held", "{held}");
    assert_eq!(held["decisions"][0]["kind"], "suppress", "{held}");
    assert_eq!(held["decisions"][0]["until"], silence["ends_at"], "{held}");
    assert!(
        held["decisions"][0]["reason"].as_str().is_some_and(
            |r| r.starts_with(&format!("silence {silence_id} (package rotation) by ana"))
        ),
        "{held}"
    );

    // During the silence nothing goes out: the reminder due at +30m is suppressed too.
    let during = opened + TimeDelta::minutes(40);
    let preview = deployment.preview(&rfc3339(during)).await;
    let rows = decisions(&preview, &id, "platform", "reminder");
    assert_eq!(rows.len(), 1, "{preview:#}");
    assert_eq!(rows[0]["decision"], "suppress", "{}", rows[0]);
    assert_eq!(rows[0]["until"], silence["ends_at"], "{}", rows[0]);
    let reason = rows[0]["reason"].as_str().expect("a reason");
    assert!(
        reason.starts_with("reminder 1 (due ")
            && reason.contains(&format!("silence {silence_id} (package rotation) by ana")),
        "{reason}"
    );
    assert!(
        decisions(&preview, &id, "platform", "opened").is_empty(),
        "{preview:#}"
    );
    let swept = deployment.sweep_at(during).await;
    assert_eq!(swept["deliveries"]["sent"], 0, "{swept}");
    assert!(deployment.received("platform").await.is_empty());
    let reminder_id = format!("{id}/reminder/1@{}", stamp(opened));

    let after = ends + TimeDelta::minutes(1);
    let preview = deployment.preview(&rfc3339(after)).await;
    let rows = decisions(&preview, &id, "platform", "opened");
    assert_eq!(rows.len(), 1, "{preview:#}");
    assert_eq!(rows[0]["decision"], "send", "{}", rows[0]);
    assert!(
        rows[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&format!("silence {silence_id}"))),
        "{}",
        rows[0]
    );
    let rows = decisions(&preview, &id, "platform", "reminder");
    assert_eq!(rows.len(), 1, "{preview:#}");
    assert_eq!(rows[0]["decision"], "supersede", "{}", rows[0]);
    assert_eq!(rows[0]["notification_id"], reminder_id, "{}", rows[0]);
    deployment.sweep_at(after).await;
    let got = deployment.received("platform").await;
    assert_eq!(told(&got), [("opened".to_string(), format!("{id}/opened"))]);
    let text = body(&got[0]);
    assert!(text.contains("silenced since"), "{text}");
    assert!(text.contains(&silence_id), "{text}");
    deployment.sweep_at(after + TimeDelta::minutes(1)).await;
    assert!(
        deployment.received("platform").await.is_empty(),
        "told once"
    );

    let report = deployment.show(&id).await;
    assert_eq!(
        timeline(&report),
        [
            (
                format!("{id}/opened"),
                "sent".to_string(),
                vec!["suppress".to_string(), "send".to_string()]
            ),
            (
                reminder_id.clone(),
                "superseded".to_string(),
                vec!["suppress".to_string(), "supersede".to_string()]
            ),
        ]
    );
}

/// Four crm-ops integrations refused the same way within a minute (`group_wait: 1m`): the
/// first is told at once, the other three in one digest naming them when the window closes.
#[tokio::test(flavor = "multi_thread")]
async fn four_failures_of_one_team_within_group_wait_give_one_opened_and_one_digest() {
    let mut deployment = Deployment::new("ops-digest").await;
    let start = utc("2026-11-25T15:00:00Z"); // Wed 10:00 New York
    let mut ids = Vec::new();
    for (i, integration) in ["lead-scoring", "web-forms", "order-history", "case-routing"]
        .into_iter()
        .enumerate()
    {
        let at = start + TimeDelta::seconds(10 * i as i64);
        ids.push(
            deployment
                .open(integration, "crm-ops", Severity::High, 1, at)
                .await,
        );
    }
    deployment.stream_at(start + TimeDelta::seconds(40)).await;
    let first = deployment.received("crm-ops").await;
    assert_eq!(
        told(&first),
        [("opened".to_string(), format!("{}/opened", ids[0]))]
    );
    let digest = format!("{}/digest/opened@{}", ids[0], stamp(start));
    for id in &ids[1..] {
        let report = deployment.show(id).await;
        let held = notification(&report, &format!("{id}/opened"));
        assert_eq!(held["state"], "held", "{held}");
        assert_eq!(held["decisions"][0]["kind"], "group", "{held}");
        assert_eq!(
            held["decisions"][0]["until"], "2026-11-25T15:01:00Z",
            "{held}"
        );
        assert!(
            held["decisions"][0]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with(&format!("grouped into {digest}"))),
            "{held}"
        );
    }

    let preview = deployment.preview("2026-11-25T15:02:00Z").await;
    let rows = decisions(&preview, &ids[0], "crm-ops", "digest");
    assert_eq!(rows.len(), 1, "{preview:#}");
    assert_eq!(rows[0]["decision"], "send");
    assert_eq!(rows[0]["notification_id"], digest);
    for id in &ids[1..] {
        let rows = decisions(&preview, id, "crm-ops", "opened");
        assert_eq!(rows.len(), 1, "{preview:#}");
        assert_eq!(rows[0]["decision"], "group", "{}", rows[0]);
        assert_eq!(rows[0]["reason"], format!("grouped into {digest}"));
    }
    deployment.sweep_at(utc("2026-11-25T15:02:00Z")).await;
    deployment.sweep_at(utc("2026-11-25T15:03:00Z")).await;
    let got = deployment.received("crm-ops").await;
    assert_eq!(told(&got), [("digest".to_string(), digest.clone())]);
    let text = body(&got[0]);
    for integration in ["web-forms", "order-history", "case-routing"] {
        assert!(text.contains(integration), "{integration} in {text}");
    }
    assert!(deployment.received("platform").await.is_empty());
    let report = deployment.show(&ids[1]).await;
    assert_eq!(
        timeline(&report),
        [(
            format!("{}/opened", ids[1]),
            "superseded".to_string(),
            vec!["group".to_string(), "supersede".to_string()]
        )]
    );
}

/// loyalty-feed (crm-ops) and loyalty-rewards (platform) use one client id: SFMC refusing it
/// gives one notice per team naming the credential, both integrations and both owners.
#[tokio::test(flavor = "multi_thread")]
async fn two_integrations_sharing_a_client_id_give_one_notification_naming_both() {
    let mut deployment = Deployment::new("ops-credential").await;
    let start = utc("2026-11-25T15:00:00Z"); // 10:00 New York, 16:00 Berlin
    let feed = deployment
        .open("loyalty-feed", "crm-ops", Severity::High, 1, start)
        .await;
    let rewards = deployment
        .open(
            "loyalty-rewards",
            "platform",
            Severity::High,
            1,
            start + TimeDelta::seconds(5),
        )
        .await;
    deployment.stream_at(start + TimeDelta::seconds(10)).await;
    assert!(
        deployment.received("crm-ops").await.is_empty(),
        "held for the notice"
    );
    assert!(
        deployment.received("platform").await.is_empty(),
        "held for the notice"
    );

    let notice = format!("{feed}/opened/credential@{}", stamp(start));
    let preview = deployment.preview("2026-11-25T15:02:00Z").await;
    let sends: Vec<&Value> = preview["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .filter(|d| d["decision"] == "send")
        .collect();
    assert_eq!(sends.len(), 2, "one notice per team: {preview:#}");
    assert_eq!(sends[0]["notification_id"], notice);
    assert_eq!(sends[1]["notification_id"], format!("{notice}>platform"));
    for (id, team) in [(&feed, "crm-ops"), (&rewards, "platform")] {
        let rows = decisions(&preview, id, team, "opened");
        assert!(
            rows.iter().any(
                |r| r["decision"] == "group" && r["reason"] == format!("grouped into {notice}")
            ),
            "{preview:#}"
        );
    }

    deployment.sweep_at(utc("2026-11-25T15:02:00Z")).await;
    deployment.sweep_at(utc("2026-11-25T15:03:00Z")).await;
    for (team, notification_id) in [
        ("crm-ops", notice.clone()),
        ("platform", format!("{notice}>platform")),
    ] {
        let got = deployment.received(team).await;
        assert_eq!(
            told(&got),
            [("opened".to_string(), notification_id)],
            "{team}"
        );
        let text = body(&got[0]);
        for words in [
            "2q7w4e9r1t6y3u8i5o0p2a7s",
            "loyalty-feed",
            "loyalty-rewards",
            "crm-ops",
            "platform",
        ] {
            assert!(text.contains(words), "{team}: {words} in {text}");
        }
    }
    for id in [&feed, &rewards] {
        let report = deployment.show(id).await;
        let own = notification(&report, &format!("{id}/opened"));
        assert_eq!(own["state"], "superseded", "{own}");
        assert_eq!(own["decisions"][0]["kind"], "group", "{own}");
        assert_eq!(
            own["decisions"][1]["reason"],
            format!("told in {notice}"),
            "{own}"
        );
    }
}
