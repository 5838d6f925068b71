//! The drill job over the memory store and subscriptions, with the fan-out running beside it
//! on the store's change feed (as the alert-fanout function runs on the table's stream).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeZone;

use super::*;
use crate::domain::subscription::Subscription;
use crate::jobs::fanout::{StreamChange, StreamContent, handle_records};
use crate::notify::memory::MemoryPublisher;
use crate::rules::subscriptions::filter_policy;
use crate::store::memory::MemoryStore;
use crate::subscriptions::memory::MemorySubscriptions;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:credwatch-alerts";

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 3, 0, 0).unwrap()
}

fn team(id: &str, emails: &[&str], min: crate::domain::severity::Severity) -> Team {
    Team {
        id: id.to_string(),
        name: id.to_string(),
        timezone: None,
        business_hours: None,
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        maintenance: Vec::new(),
        notify: crate::inventory::Notify {
            email: emails.iter().map(|e| e.to_string()).collect(),
            min_severity: min,
            ..crate::inventory::Notify::default()
        },
    }
}

/// Teams crm-ops (a@, confirmed, high and above) and web-ops (w@, confirmed, low), and
/// finance (f@, still pending).
async fn world() -> (Arc<MemoryStore>, MemorySubscriptions) {
    use crate::domain::severity::Severity;
    let store = Arc::new(MemoryStore::new());
    let subscriptions = MemorySubscriptions::new(false);
    for (id, email, min, confirmed) in [
        ("crm-ops", "a@example.com", Severity::High, true),
        ("web-ops", "w@example.com", Severity::Low, true),
        ("finance", "f@example.com", Severity::Medium, false),
    ] {
        store.put_team(&team(id, &[email], min)).await.unwrap();
        subscriptions.add(
            TOPIC,
            Subscription {
                arn: confirmed.then(|| format!("{TOPIC}:{id}")),
                protocol: "email".to_string(),
                endpoint: email.to_string(),
                filter_policy: confirmed.then(|| filter_policy(id, min)),
            },
        );
    }
    (store, subscriptions)
}

/// The fan-out on the store's change feed until `stop` is set; what it published.
fn run_fanout(
    store: Arc<MemoryStore>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<MemoryPublisher> {
    tokio::spawn(async move {
        let publisher = MemoryPublisher::new();
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            let records: Vec<StreamChange> = store
                .take_incident_changes()
                .into_iter()
                .map(|(old, new)| {
                    n += 1;
                    StreamChange {
                        source_id: format!("e-{n}"),
                        sequence_number: n.to_string(),
                        key: "pk=INC#drill".to_string(),
                        content: StreamContent::Incident { old, new },
                    }
                })
                .collect();
            if !records.is_empty() {
                handle_records(&*store, &publisher, records, at()).await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        publisher
    })
}

fn options(teams: &[&str], wait: Duration) -> DrillOptions {
    DrillOptions {
        teams: teams.iter().map(|t| t.to_string()).collect(),
        wait,
        wait_for_slack: true,
    }
}

#[tokio::test]
async fn every_team_reached_passes_and_its_drill_is_resolved() {
    let (store, subscriptions) = world().await;
    let stop = Arc::new(AtomicBool::new(false));
    let fanout = run_fanout(store.clone(), stop.clone());
    let mut lines = Vec::new();
    let report = run_drill(
        &*store,
        &subscriptions,
        TOPIC,
        &options(&["crm-ops", "web-ops"], Duration::from_secs(60)),
        at(),
        &mut |line: &str| lines.push(line.to_string()),
    )
    .await
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    let publisher = fanout.await.unwrap();

    assert!(report.ok(), "{report:#?}");
    assert_eq!(report.teams.len(), 2);
    for (drill, email) in report.teams.iter().zip(["a@example.com", "w@example.com"]) {
        assert!(
            matches!(&drill.publication, Publication::Published { message_id } if !message_id.is_empty())
        );
        assert_eq!(drill.confirmed, [email]);
        assert!(drill.pending.is_empty());
        assert_eq!(drill.slack, SlackCheck::NoWebhook);
        assert!(drill.resolved);
        assert_eq!(drill.what_to_do(), "");
    }
    // One message per team, to that team, marked as a drill; nothing for the resolve.
    let told: Vec<(String, String)> = publisher
        .sent()
        .iter()
        .map(|r| (r.attributes["team"].clone(), r.attributes["event"].clone()))
        .collect();
    assert_eq!(
        told,
        [
            ("crm-ops".to_string(), "drill".to_string()),
            ("web-ops".to_string(), "drill".to_string())
        ]
    );
    assert!(
        store.open_incidents().await.unwrap().is_empty(),
        "drills resolved"
    );
    assert!(
        lines.iter().any(|l| l.contains("drill published")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_team_with_only_a_pending_address_fails_and_is_told_to_confirm() {
    let (store, subscriptions) = world().await;
    let stop = Arc::new(AtomicBool::new(false));
    let fanout = run_fanout(store.clone(), stop.clone());
    let report = run_drill(
        &*store,
        &subscriptions,
        TOPIC,
        &DrillOptions {
            wait: Duration::from_secs(60),
            ..DrillOptions::default()
        },
        at(),
        &mut |_: &str| {},
    )
    .await
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    fanout.await.unwrap();
    // Every team of the table, by id.
    let teams: Vec<&str> = report.teams.iter().map(|t| t.team.as_str()).collect();
    assert_eq!(teams, ["crm-ops", "finance", "web-ops"]);
    assert!(!report.ok());
    assert_eq!(report.failed_teams(), ["finance"]);
    let finance = &report.teams[1];
    assert!(
        finance.publication.is_published(),
        "published, but nobody receives it"
    );
    assert!(finance.confirmed.is_empty());
    assert_eq!(finance.pending, ["f@example.com"]);
    assert!(finance.what_to_do().contains("f@example.com"));
}

#[tokio::test]
async fn an_unknown_team_stops_the_drill_before_anything_is_written() {
    let (store, subscriptions) = world().await;
    let error = run_drill(
        &*store,
        &subscriptions,
        TOPIC,
        &options(&["crm-ops", "no-such-team"], Duration::from_secs(1)),
        at(),
        &mut |_: &str| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, DrillError::UnknownTeams { unknown, .. } if unknown == &["no-such-team"])
    );
    let text = error.to_string();
    assert!(
        text.contains("no team no-such-team") && text.contains("crm-ops"),
        "{text}"
    );
    assert!(store.take_incident_changes().is_empty(), "nothing written");
}

#[tokio::test]
async fn an_empty_table_has_nothing_to_drill() {
    let store = MemoryStore::new();
    let error = run_drill(
        &store,
        &MemorySubscriptions::new(true),
        TOPIC,
        &DrillOptions::default(),
        at(),
        &mut |_: &str| {},
    )
    .await
    .unwrap_err();
    assert_eq!(error, DrillError::NoTeams);
}

#[tokio::test]
async fn without_a_fan_out_the_drill_is_not_seen_and_still_resolved() {
    let (store, subscriptions) = world().await;
    let report = run_drill(
        &*store,
        &subscriptions,
        TOPIC,
        &options(&["crm-ops"], Duration::from_millis(300)),
        at(),
        &mut |_: &str| {},
    )
    .await
    .unwrap();
    let drill = &report.teams[0];
    assert_eq!(drill.publication, Publication::NotSeen);
    assert!(!report.ok());
    assert!(drill.what_to_do().contains("alert-fanout"));
    assert!(drill.resolved);
}

#[tokio::test]
async fn an_earlier_drill_left_open_is_replaced_by_the_new_one() {
    let (store, subscriptions) = world().await;
    let earlier = Incident::drill("crm-ops", at() - TimeDelta::days(7));
    assert!(store.open_incident(&earlier).await.unwrap());
    store.take_incident_changes();
    let stop = Arc::new(AtomicBool::new(false));
    let fanout = run_fanout(store.clone(), stop.clone());
    let report = run_drill(
        &*store,
        &subscriptions,
        TOPIC,
        &options(&["crm-ops"], Duration::from_secs(60)),
        at(),
        &mut |_: &str| {},
    )
    .await
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    let publisher = fanout.await.unwrap();
    assert!(report.ok(), "{report:#?}");
    assert_eq!(publisher.sent().len(), 1);
    assert_eq!(
        publisher.sent()[0].attributes["notification_id"],
        "drill.crm-ops:monitor:0/drill@2026-12-05T03:00:00.000Z"
    );
}

#[tokio::test]
async fn a_failed_publish_is_reported_with_its_reason() {
    let (store, subscriptions) = world().await;
    let stop = Arc::new(AtomicBool::new(false));
    let store2 = store.clone();
    let stop2 = stop.clone();
    let fanout = tokio::spawn(async move {
        let publisher = MemoryPublisher::new();
        publisher.fail_next(crate::notify::error::PublishErrorKind::Configuration);
        while !stop2.load(Ordering::SeqCst) {
            let records: Vec<StreamChange> = store2
                .take_incident_changes()
                .into_iter()
                .map(|(old, new)| StreamChange {
                    source_id: "e".to_string(),
                    sequence_number: "1".to_string(),
                    key: "pk=INC#drill".to_string(),
                    content: StreamContent::Incident { old, new },
                })
                .collect();
            if !records.is_empty() {
                handle_records(&*store2, &publisher, records, at()).await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let report = run_drill(
        &*store,
        &subscriptions,
        TOPIC,
        &options(&["crm-ops"], Duration::from_millis(500)),
        at(),
        &mut |_: &str| {},
    )
    .await
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    fanout.await.unwrap();
    let drill = &report.teams[0];
    assert!(
        matches!(&drill.publication, Publication::Retrying { error } if error.starts_with("configuration")),
        "{drill:?}"
    );
    assert!(!report.ok());
    assert!(drill.what_to_do().contains("alert topic"));
}

/// Team chat-ops: no email at all, a Slack webhook only.
async fn slack_only(store: &MemoryStore) {
    let mut chat = team("chat-ops", &[], crate::domain::severity::Severity::Low);
    chat.notify.slack_webhook = Some("credwatch/slack/chat-ops".to_string());
    store.put_team(&chat).await.unwrap();
}

/// The fan-out as in [`run_fanout`], and slack-notify's record of each published drill:
/// `answer` (none: slack-notify never answers).
fn run_fanout_and_slack(
    store: Arc<MemoryStore>,
    stop: Arc<AtomicBool>,
    answer: Option<crate::notify::delivery::SlackPost>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let publisher = MemoryPublisher::new();
        let mut posted = 0;
        while !stop.load(Ordering::SeqCst) {
            let records: Vec<StreamChange> = store
                .take_incident_changes()
                .into_iter()
                .map(|(old, new)| StreamChange {
                    source_id: "e".to_string(),
                    sequence_number: "1".to_string(),
                    key: "pk=INC#drill".to_string(),
                    content: StreamContent::Incident { old, new },
                })
                .collect();
            if !records.is_empty() {
                handle_records(&*store, &publisher, records, at()).await;
            }
            let sent = publisher.sent();
            for request in &sent[posted..] {
                if let Some(post) = &answer {
                    assert!(
                        store
                            .record_slack_post(&request.notification_id, post)
                            .await
                            .unwrap()
                    );
                }
            }
            posted = sent.len();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
}

fn post(
    state: crate::notify::delivery::SlackPostState,
    error: Option<&str>,
    status: u16,
) -> crate::notify::delivery::SlackPost {
    crate::notify::delivery::SlackPost {
        state,
        at: at(),
        attempts: 1,
        status: Some(status),
        error: error.map(str::to_string),
    }
}

async fn slack_drill(
    answer: Option<crate::notify::delivery::SlackPost>,
    wait: Duration,
    wait_for_slack: bool,
) -> TeamDrill {
    let (store, subscriptions) = world().await;
    slack_only(&store).await;
    let stop = Arc::new(AtomicBool::new(false));
    let task = run_fanout_and_slack(store.clone(), stop.clone(), answer);
    let report = run_drill(
        &*store,
        &subscriptions,
        TOPIC,
        &DrillOptions {
            teams: vec!["chat-ops".to_string()],
            wait,
            wait_for_slack,
        },
        at(),
        &mut |_: &str| {},
    )
    .await
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    task.await.unwrap();
    report.teams.into_iter().next().expect("one team")
}

/// Nothing published: nothing could reach Slack, so its column says not checked, never that
/// Slack did not answer.
#[tokio::test]
async fn without_a_publish_slack_is_not_checked() {
    let (store, subscriptions) = world().await;
    slack_only(&store).await;
    let report = run_drill(
        &*store,
        &subscriptions,
        TOPIC,
        &DrillOptions {
            teams: vec!["chat-ops".to_string()],
            wait: Duration::from_millis(300),
            wait_for_slack: true,
        },
        at(),
        &mut |_: &str| {},
    )
    .await
    .unwrap();
    let drill = &report.teams[0];
    assert_eq!(drill.publication, Publication::NotSeen);
    assert_eq!(drill.slack, SlackCheck::NotChecked);
    assert!(!drill.what_to_do().contains("slack-notify"), "{drill:?}");
}

#[tokio::test]
async fn a_team_reached_by_slack_alone_passes_once_slack_accepted() {
    use crate::notify::delivery::SlackPostState;
    let drill = slack_drill(
        Some(post(SlackPostState::Accepted, None, 200)),
        Duration::from_secs(60),
        true,
    )
    .await;
    assert!(drill.confirmed.is_empty());
    assert_eq!(drill.slack, SlackCheck::Accepted);
    assert!(drill.ok(), "{drill:?}");
}

#[tokio::test]
async fn a_refused_webhook_fails_the_team_with_slacks_token() {
    use crate::notify::delivery::SlackPostState;
    let drill = slack_drill(
        Some(post(SlackPostState::Refused, Some("invalid_token"), 403)),
        Duration::from_secs(60),
        true,
    )
    .await;
    assert_eq!(
        drill.slack,
        SlackCheck::Refused {
            error: Some("invalid_token".to_string()),
            status: Some(403)
        }
    );
    assert!(!drill.ok());
    assert!(drill.what_to_do().contains("Slack webhook"));
    assert_eq!(
        slack_words(&drill.slack),
        "refused (invalid_token, HTTP 403)"
    );
}

#[tokio::test]
async fn a_post_still_retrying_when_the_wait_ends_is_no_answer_with_its_error() {
    use crate::notify::delivery::SlackPostState;
    let drill = slack_drill(
        Some(post(SlackPostState::Retrying, Some("rate_limited"), 429)),
        Duration::from_millis(500),
        true,
    )
    .await;
    assert_eq!(
        drill.slack,
        SlackCheck::NoAnswer {
            error: Some("rate_limited, HTTP 429".to_string())
        }
    );
    assert!(!drill.ok());
    let silent = slack_drill(None, Duration::from_millis(500), true).await;
    assert_eq!(silent.slack, SlackCheck::NoAnswer { error: None });
    assert!(silent.publication.is_published());
}

#[tokio::test]
async fn the_scheduled_drill_does_not_wait_for_slack() {
    let drill = slack_drill(None, Duration::from_secs(60), false).await;
    assert!(drill.publication.is_published());
    assert_eq!(drill.slack, SlackCheck::NotChecked);
    assert!(
        !drill.ok(),
        "no email and Slack unchecked: not proven reached"
    );
}
