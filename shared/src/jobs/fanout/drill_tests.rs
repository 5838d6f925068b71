//! Drills through the whole fan-out in process (MemoryStore, MemoryPublisher): a drill of a
//! team that is asleep, silenced, in maintenance, grouping and escalating is still told at
//! once, once, to that team alone; its resolve and the sweeps after it send nothing; and it is
//! counted apart from real incidents.

use std::time::Duration;

use chrono::{NaiveTime, TimeDelta, TimeZone, Weekday};

use super::*;
use crate::domain::silence::{MatchField, Matcher, Silence, SilenceId};
use crate::inventory::{BusinessHours, MaintenanceWindow, Notify, Team};
use crate::notify::delivery::DeliveryState;
use crate::notify::error::PublishErrorKind;
use crate::notify::memory::MemoryPublisher;
use crate::store::memory::MemoryStore;
use crate::store::{Incidents, Silences, Teams};
use crate::telemetry::emf::MetricSet;

/// Saturday 2026-12-05 03:00 UTC: outside any office hours.
fn night(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 3, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// Team crm-ops as hard to reach as a team gets: office hours only, a maintenance window now,
/// reminders every minute, escalation to `backup` after a minute, after-hours copies to
/// `night-desk`, high severity at least, grouping on. Plus a silence of the whole team.
async fn guarded_team(store: &MemoryStore) {
    let mut notify = Notify {
        remind_after: vec![Duration::from_secs(60)],
        min_severity: crate::domain::severity::Severity::High,
        ..Notify::default()
    };
    notify.group_wait = Duration::from_secs(300);
    notify.group_min = 2;
    let team = Team {
        id: "crm-ops".to_string(),
        name: "CRM operations".to_string(),
        timezone: Some("America/New_York".to_string()),
        business_hours: Some(BusinessHours {
            days: vec![Weekday::Mon, Weekday::Tue],
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        }),
        escalate_after: Some(Duration::from_secs(60)),
        escalate_to: Some("backup".to_string()),
        after_hours_to: Some("night-desk".to_string()),
        maintenance: vec![MaintenanceWindow {
            days: Vec::new(),
            start: NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
            duration: Duration::from_secs(23 * 3600),
            timezone: Some("UTC".to_string()),
        }],
        notify,
    };
    store.put_team(&team).await.unwrap();
    for id in ["backup", "night-desk"] {
        store
            .put_team(&Team {
                id: id.to_string(),
                name: id.to_string(),
                timezone: None,
                business_hours: None,
                escalate_after: None,
                escalate_to: None,
                after_hours_to: None,
                maintenance: Vec::new(),
                notify: Notify::default(),
            })
            .await
            .unwrap();
    }
    let silence = Silence::new(
        SilenceId::from_rng(&mut fastrand::Rng::with_seed(12)),
        vec![Matcher::new(MatchField::Team, "crm-ops").unwrap()],
        night(-60),
        night(600),
        "quiet weekend".to_string(),
        "ana".to_string(),
        night(-60),
    )
    .unwrap();
    store.put_silence(&silence).await.unwrap();
}

/// The store's incident changes since the last call, as one stream batch, handled at `now`.
async fn feed(
    store: &MemoryStore,
    publisher: &MemoryPublisher,
    now: DateTime<Utc>,
) -> RecordsSummary {
    let records = store
        .take_incident_changes()
        .into_iter()
        .enumerate()
        .map(|(n, (old, new))| {
            let id = new.as_ref().or(old.as_ref()).unwrap().id.clone();
            StreamChange {
                source_id: format!("{now}-{n}"),
                sequence_number: n.to_string(),
                key: format!("pk=INC#{}", id.integration()),
                content: StreamContent::Incident { old, new },
            }
        })
        .collect();
    let summary = handle_records(store, publisher, records, now).await;
    assert!(summary.retry.is_empty(), "{summary:?}");
    summary
}

fn metric(sets: &[MetricSet], name: &str) -> u64 {
    sets.iter()
        .flat_map(|s| s.metrics.iter())
        .find(|m| m.name == name)
        .and_then(|m| m.value.as_u64())
        .unwrap_or_else(|| panic!("metric {name}"))
}

#[tokio::test]
async fn a_drill_is_told_at_once_once_to_its_team_alone_whatever_holds_real_alerts() {
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    guarded_team(&store).await;
    let drill = Incident::drill("crm-ops", night(0));
    assert!(store.open_incident(&drill).await.unwrap());
    let summary = feed(&store, &publisher, night(0)).await;

    let sent = publisher.sent();
    assert_eq!(sent.len(), 1, "one message: {sent:?}");
    let attributes = &sent[0].attributes;
    assert_eq!(attributes["team"], "crm-ops");
    assert_eq!(attributes["event"], "drill");
    // critical: admitted by the team's min_severity high, and by every other threshold.
    assert_eq!(attributes["severity"], "critical");
    assert_eq!(attributes["class"], "drill");
    assert!(
        sent[0].subject.starts_with("[DRILL]"),
        "{}",
        sent[0].subject
    );

    let records = store.notifications_of(&drill.id).await.unwrap();
    assert_eq!(
        records.len(),
        1,
        "no copy for backup or night-desk: {records:?}"
    );
    assert_eq!(records[0].delivery.state, DeliveryState::Sent);
    assert!(records[0].delivery.message_id.is_some());

    // Counted apart from real incidents.
    assert_eq!(summary.deliveries.sent, 0);
    assert_eq!(summary.drills.sent, 1);
    let metrics = summary.metrics();
    assert_eq!(metric(&metrics, "NotificationsSent"), 0);
    assert_eq!(metric(&metrics, "DrillNotificationsSent"), 1);
}

#[tokio::test]
async fn an_open_drill_is_never_reminded_or_escalated_and_its_resolve_sends_nothing() {
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    guarded_team(&store).await;
    let drill = Incident::drill("crm-ops", night(0));
    assert!(store.open_incident(&drill).await.unwrap());
    feed(&store, &publisher, night(0)).await;
    // Hours later, still open: reminders every minute and escalation after a minute would be
    // owed by a real incident.
    for minutes in [2, 30, 24 * 60] {
        let swept = sweep(&store, &publisher, night(minutes), 100, None)
            .await
            .unwrap();
        assert_eq!(swept.deliveries.sent + swept.drills.sent, 0, "{swept:?}");
    }
    assert!(
        store
            .resolve_incident(drill.id.as_str(), "drill over", night(2000))
            .await
            .unwrap()
    );
    let summary = feed(&store, &publisher, night(2000)).await;
    assert_eq!(summary.unchanged, 1, "audited as sending nothing");
    assert_eq!(publisher.sent().len(), 1, "only the drill itself");
    assert_eq!(store.notifications_of(&drill.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_acknowledged_drill_sends_nothing_and_a_replayed_batch_publishes_once() {
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    guarded_team(&store).await;
    let drill = Incident::drill("crm-ops", night(0));
    let opened = StreamChange {
        source_id: "e-1".to_string(),
        sequence_number: "1".to_string(),
        key: "pk=INC#drill.crm-ops".to_string(),
        content: StreamContent::Incident {
            old: None,
            new: Some(drill.clone()),
        },
    };
    handle_records(&store, &publisher, vec![opened.clone()], night(0)).await;
    let again = handle_records(&store, &publisher, vec![opened], night(1)).await;
    assert_eq!(again.replayed, 1);
    let mut acked = drill.clone();
    acked.ack = Some(crate::domain::incident::Acknowledgement {
        by: "ana".to_string(),
        at: night(2),
        note: None,
    });
    let ack = StreamChange {
        source_id: "e-2".to_string(),
        sequence_number: "2".to_string(),
        key: "pk=INC#drill.crm-ops".to_string(),
        content: StreamContent::Incident {
            old: Some(drill),
            new: Some(acked),
        },
    };
    let summary = handle_records(&store, &publisher, vec![ack], night(2)).await;
    assert_eq!(summary.unchanged, 1);
    assert_eq!(publisher.sent().len(), 1);
}

#[tokio::test]
async fn a_drill_whose_publish_failed_is_retried_by_the_sweep_and_counted_as_a_drill() {
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    guarded_team(&store).await;
    publisher.fail_next(PublishErrorKind::Retryable);
    let drill = Incident::drill("crm-ops", night(0));
    assert!(store.open_incident(&drill).await.unwrap());
    let summary = feed(&store, &publisher, night(0)).await;
    assert_eq!(summary.drills.retried, 1);
    assert_eq!(metric(&summary.metrics(), "NotificationsRetried"), 0);
    assert_eq!(metric(&summary.metrics(), "DrillNotificationsFailed"), 1);
    let swept = sweep(&store, &publisher, night(30), 100, None)
        .await
        .unwrap();
    assert_eq!(swept.deliveries.sent, 0);
    assert_eq!(swept.drills.sent, 1);
    assert_eq!(metric(&swept.metrics(), "NotificationsSent"), 0);
    assert_eq!(metric(&swept.metrics(), "DrillNotificationsSent"), 1);
    let records = store.notifications_of(&drill.id).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].delivery.state, DeliveryState::Sent);
}
