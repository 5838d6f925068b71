//! The alert-operations rules through the whole fan-out in process (MemoryStore, MemoryPublisher):
//! business hours, acknowledgement, digests and shared credentials, as a team receives them.

use chrono::{NaiveTime, TimeDelta, TimeZone, Weekday};

use super::*;
use crate::domain::incident::{Acknowledgement, CheckKind, IncidentClass, IncidentId};
use crate::domain::outcome::OutcomeClass;
use crate::domain::severity::Severity;
use crate::inventory::{BusinessHours, Notify, Team};
use crate::notify::memory::MemoryPublisher;
use crate::notify::notification::Event;
use crate::store::memory::MemoryStore;
use crate::store::{Incidents, Integrations, Teams};

/// Tuesday 2026-12-01 `h`:`m` UTC (New York is UTC-5).
fn tue(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
}

/// Team crm-ops, Mon-Fri 09:00-17:00 in New York; `group_wait` as given.
async fn office_team(store: &MemoryStore, group_wait: std::time::Duration) {
    let team = Team {
        id: "crm-ops".to_string(),
        name: "CRM operations".to_string(),
        timezone: Some("America/New_York".to_string()),
        business_hours: Some(BusinessHours {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        }),
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        maintenance: Vec::new(),
        notify: Notify {
            group_wait,
            ..Notify::default()
        },
    };
    store.put_team(&team).await.unwrap();
}

async fn integration(store: &MemoryStore, id: &str, client_id: &str, owner: &str) {
    let mut i = crate::notify::fixtures::integration();
    i.id = id.to_string();
    i.name = format!("{id} feed");
    i.client_id = client_id.to_string();
    i.owner = owner.to_string();
    store
        .put_integration(&i, tue(0, 0), tue(0, 0))
        .await
        .unwrap();
}

fn incident(integration: &str, team: &str, severity: Severity, at: DateTime<Utc>) -> Incident {
    Incident {
        id: IncidentId::new(integration, CheckKind::Auth, 1),
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
        message: "SFMC said: Client authentication failed.".to_string(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

/// Feeds the store's incident writes to the fan-out at `now`.
async fn feed(store: &MemoryStore, publisher: &MemoryPublisher, now: DateTime<Utc>) {
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
}

/// (team, event, incident) of every message sent so far.
fn told(publisher: &MemoryPublisher) -> Vec<(String, String, String)> {
    publisher
        .sent()
        .iter()
        .map(|r| {
            (
                r.attributes["team"].clone(),
                r.attributes["event"].clone(),
                r.attributes["incident_id"].clone(),
            )
        })
        .collect()
}

fn line(team: &str, event: Event, incident: &str) -> (String, String, String) {
    (team.to_string(), event.to_string(), incident.to_string())
}

#[tokio::test]
async fn a_night_opening_waits_for_the_morning_and_comes_as_one_message_saying_so() {
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    office_team(&store, std::time::Duration::ZERO).await;
    integration(&store, "crm-sync", "client-a", "crm-ops").await;
    // 03:00 in New York.
    let opened = incident("crm-sync", "crm-ops", Severity::High, tue(8, 0));
    assert!(store.open_incident(&opened).await.unwrap());
    feed(&store, &publisher, tue(8, 0)).await;
    assert!(told(&publisher).is_empty(), "deferred");
    // Reminders 1 (09:00 UTC) and 2 (13:00 UTC) come due during the night: held too.
    for (h, m) in [(9, 0), (13, 0), (13, 59)] {
        sweep(&store, &publisher, tue(h, m), 100, None)
            .await
            .unwrap();
    }
    assert!(told(&publisher).is_empty(), "{:?}", told(&publisher));
    // 09:00 in New York: ONE message, the opening, saying it was deferred.
    let morning = sweep(&store, &publisher, tue(14, 0), 100, None)
        .await
        .unwrap();
    assert_eq!(
        told(&publisher),
        [line("crm-ops", Event::Opened, "crm-sync:auth:1")]
    );
    assert_eq!(morning.deliveries.superseded, 2, "{morning:?}");
    assert!(
        publisher.sent()[0]
            .message
            .contains("deferred since 2026-12-01 08:00 UTC"),
        "{}",
        publisher.sent()[0].message
    );
    // The reminders it covered are not sent right after it; the next is due 17 h after opening.
    sweep(&store, &publisher, tue(14, 1), 100, None)
        .await
        .unwrap();
    assert_eq!(told(&publisher).len(), 1);
    let history = store.notifications_of(&opened.id).await.unwrap();
    let states: Vec<(&str, &str)> = history
        .iter()
        .map(|r| (r.event().as_str(), r.delivery.state.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            ("opened", "sent"),
            ("reminder", "superseded"),
            ("reminder", "superseded")
        ]
    );
}

#[tokio::test]
async fn a_critical_opening_at_night_goes_at_once() {
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    office_team(&store, std::time::Duration::ZERO).await;
    integration(&store, "crm-sync", "client-a", "crm-ops").await;
    let opened = incident("crm-sync", "crm-ops", Severity::Critical, tue(8, 0));
    assert!(store.open_incident(&opened).await.unwrap());
    feed(&store, &publisher, tue(8, 0)).await;
    assert_eq!(
        told(&publisher),
        [line("crm-ops", Event::Opened, "crm-sync:auth:1")]
    );
    // Its first reminder (30 min) at night too.
    sweep(&store, &publisher, tue(8, 30), 100, None)
        .await
        .unwrap();
    assert_eq!(
        told(&publisher)[1],
        line("crm-ops", Event::Reminder, "crm-sync:auth:1")
    );
}

#[tokio::test]
async fn an_ack_is_told_and_stops_reminders_until_the_class_changes() {
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    office_team(&store, std::time::Duration::ZERO).await;
    integration(&store, "crm-sync", "client-a", "crm-ops").await;
    let opened = incident("crm-sync", "crm-ops", Severity::High, tue(14, 0));
    assert!(store.open_incident(&opened).await.unwrap());
    feed(&store, &publisher, tue(14, 0)).await;
    let ack = Acknowledgement::new("Dana", Some("rotating the secret"), tue(14, 10)).unwrap();
    store.acknowledge(&opened.id, &ack).await.unwrap();
    feed(&store, &publisher, tue(14, 10)).await;
    for hour in [15, 16, 19, 21] {
        sweep(&store, &publisher, tue(hour, 0), 100, None)
            .await
            .unwrap();
    }
    assert_eq!(
        told(&publisher),
        [
            line("crm-ops", Event::Opened, "crm-sync:auth:1"),
            line("crm-ops", Event::Acknowledged, "crm-sync:auth:1"),
        ]
    );
    assert!(publisher.sent()[1].message.contains("Dana is on it"));
    // A class change lifts it: `changed`, then reminders from the change on.
    let change = IncidentChange::Changed {
        id: opened.id.clone(),
        previous: crate::rules::fanout::facts(&opened),
        class: IncidentClass::Outcome(OutcomeClass::IpNotAllowlisted),
        severity: Severity::High,
        threshold_days: None,
        message: "SFMC said: the caller's IP is not allowed.".to_string(),
        http_status: Some(401),
        at: tue(21, 30),
    };
    let record = store.get_integration("crm-sync").await.unwrap().unwrap();
    let commit = crate::domain::state::StateCommit {
        integration: "crm-sync".to_string(),
        expected_version: record.state.version,
        state: record.state.clone(),
        incidents: vec![change],
    };
    crate::store::ProbeResults::commit(&store, &commit)
        .await
        .unwrap();
    feed(&store, &publisher, tue(21, 30)).await;
    sweep(&store, &publisher, tue(22, 29), 100, None)
        .await
        .unwrap();
    assert_eq!(told(&publisher).len(), 3, "{:?}", told(&publisher));
    assert_eq!(told(&publisher)[2].1, "changed");
    // 22:30 UTC = 17:30 New York: the first reminder of the new schedule waits for Wednesday.
    sweep(&store, &publisher, tue(22, 30), 100, None)
        .await
        .unwrap();
    assert_eq!(told(&publisher).len(), 3);
    let wednesday = Utc.with_ymd_and_hms(2026, 12, 2, 14, 0, 0).unwrap();
    sweep(&store, &publisher, wednesday, 100, None)
        .await
        .unwrap();
    assert_eq!(told(&publisher)[3].1, "reminder");
}

#[tokio::test]
async fn four_failing_alike_give_one_opened_and_one_digest_and_a_shared_credential_one_notice() {
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    office_team(&store, std::time::Duration::from_secs(60)).await;
    for id in ["a", "b", "c", "d"] {
        integration(&store, id, &format!("client-{id}"), "crm-ops").await;
    }
    for (i, id) in ["a", "b", "c", "d"].into_iter().enumerate() {
        let at = tue(14, 0) + TimeDelta::seconds(10 * i as i64);
        assert!(
            store
                .open_incident(&incident(id, "crm-ops", Severity::High, at))
                .await
                .unwrap()
        );
    }
    feed(&store, &publisher, tue(14, 0) + TimeDelta::seconds(40)).await;
    assert_eq!(
        told(&publisher),
        [line("crm-ops", Event::Opened, "a:auth:1")]
    );
    sweep(&store, &publisher, tue(14, 1), 100, None)
        .await
        .unwrap();
    assert_eq!(
        told(&publisher)[1],
        line("crm-ops", Event::Digest, "a:auth:1")
    );
    let digest = &publisher.sent()[1].message;
    for other in ["b feed", "c feed", "d feed"] {
        assert!(digest.contains(other), "{digest}");
    }
    assert_eq!(told(&publisher).len(), 2);

    // Two integrations of one installed package, owned by two teams.
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    office_team(&store, std::time::Duration::from_secs(60)).await;
    integration(&store, "crm-sync", "shared-client", "crm-ops").await;
    integration(&store, "emea-sync", "shared-client", "emea").await;
    assert!(
        store
            .open_incident(&incident("crm-sync", "crm-ops", Severity::High, tue(14, 0)))
            .await
            .unwrap()
    );
    assert!(
        store
            .open_incident(&incident("emea-sync", "emea", Severity::High, tue(14, 0)))
            .await
            .unwrap()
    );
    feed(&store, &publisher, tue(14, 0)).await;
    assert!(told(&publisher).is_empty(), "held for the window");
    sweep(&store, &publisher, tue(14, 1), 100, None)
        .await
        .unwrap();
    let mut teams: Vec<String> = told(&publisher)
        .into_iter()
        .map(|(team, event, _)| {
            assert_eq!(event, "opened");
            team
        })
        .collect();
    teams.sort();
    assert_eq!(teams, ["crm-ops", "emea"]);
    for sent in publisher.sent() {
        assert!(sent.message.contains("crm-sync"), "{}", sent.message);
        assert!(sent.message.contains("emea-sync"), "{}", sent.message);
        assert!(sent.message.contains("shared-client"), "{}", sent.message);
    }
}

/// A Slack incoming-webhook URL and a token-like word, as an operator might paste them.
const PASTED: [&str; 2] = [
    "https://hooks.slack.com/services/T0A1/B0A2/abcdEFGH1234",
    "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1",
];

/// Every message sent and every notification record stored (document and decisions), as text.
async fn everything_said(
    store: &MemoryStore,
    publisher: &MemoryPublisher,
    id: &IncidentId,
) -> String {
    let mut text: Vec<String> = publisher
        .sent()
        .iter()
        .map(|r| format!("{} {:?}", r.message, r.attributes))
        .collect();
    for record in store.notifications_of(id).await.unwrap() {
        text.push(serde_json::to_string(&record.notification).unwrap());
        text.push(serde_json::to_string(&record.delivery.decisions).unwrap());
    }
    text.join("\n")
}

#[tokio::test]
async fn a_secret_pasted_into_an_ack_never_reaches_a_message_or_a_record() {
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    office_team(&store, std::time::Duration::ZERO).await;
    integration(&store, "crm-sync", "client-a", "crm-ops").await;
    let opened = incident("crm-sync", "crm-ops", Severity::High, tue(14, 0));
    assert!(store.open_incident(&opened).await.unwrap());
    feed(&store, &publisher, tue(14, 0)).await;
    let by = format!("Dana {}", PASTED[1]);
    let note = format!("rotating, posted to {} and {}", PASTED[0], PASTED[1]);
    let ack = Acknowledgement::new(&by, Some(&note), tue(14, 10)).unwrap();
    store.acknowledge(&opened.id, &ack).await.unwrap();
    feed(&store, &publisher, tue(14, 10)).await;
    assert_eq!(told(&publisher).len(), 2, "{:?}", told(&publisher));
    let said = everything_said(&store, &publisher, &opened.id).await;
    assert!(said.contains("Dana [redacted] is on it"), "{said}");
    for secret in PASTED {
        assert!(!said.contains(secret), "{secret} in {said}");
    }
}

#[tokio::test]
async fn a_secret_pasted_into_a_silence_reason_never_reaches_a_decision_or_a_message() {
    use crate::domain::silence::{MatchField, Matcher, Silence, SilenceId};
    use crate::store::Silences;
    let (store, publisher) = (MemoryStore::new(), MemoryPublisher::new());
    office_team(&store, std::time::Duration::ZERO).await;
    integration(&store, "crm-sync", "client-a", "crm-ops").await;
    let silence = Silence::new(
        SilenceId::from_rng(&mut fastrand::Rng::with_seed(11)),
        vec![Matcher::new(MatchField::Integration, "crm-sync").unwrap()],
        tue(13, 0),
        tue(15, 0),
        format!("deploy, see {} token {}", PASTED[0], PASTED[1]),
        format!("ana {}", PASTED[1]),
        tue(13, 0),
    )
    .unwrap();
    store.put_silence(&silence).await.unwrap();
    let opened = incident("crm-sync", "crm-ops", Severity::High, tue(14, 0));
    assert!(store.open_incident(&opened).await.unwrap());
    feed(&store, &publisher, tue(14, 0)).await;
    assert!(told(&publisher).is_empty(), "silenced");
    // The silence ends with the incident still open: the team is told, saying it was held.
    sweep(&store, &publisher, tue(15, 1), 100, None)
        .await
        .unwrap();
    assert_eq!(told(&publisher).len(), 1, "{:?}", told(&publisher));
    let said = everything_said(&store, &publisher, &opened.id).await;
    assert!(said.contains("silence sil-"), "{said}");
    for secret in PASTED {
        assert!(!said.contains(secret), "{secret} in {said}");
    }
}
