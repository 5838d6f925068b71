//! Step 4 of `credwatch demo`: on call. After the timeline, the incidents still open are left
//! as they are for five simulated hours, with the deployed one-minute sweep running: the teams
//! get their reminders (decaying by severity, never a burst) and an escalation where the
//! inventory asks for one; one person acknowledges one incident, the team is told, and its
//! reminders stop while the others go on.

use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{Acknowledgement, Incident};
use credwatch::notify::publish::PublishRequest;
use credwatch::store::Incidents;
use credwatch::store::memory::MemoryStore;
use serde_json::{Value, json};

use super::delivery::Mailroom;

/// Simulated minutes of the scene.
pub const MINUTES: i64 = 300;
/// When, into the scene, the incident is acknowledged.
pub const ACK_AFTER: i64 = 75;
/// Who acknowledges it.
pub const WHO: &str = "Dana (marketing-ops)";

/// What the scene produced.
pub struct OnCall {
    /// The incident acknowledged, if one was open.
    pub acknowledged: Option<(DateTime<Utc>, Incident)>,
    /// Every message published in the scene, with its simulated time.
    pub sent: Vec<(DateTime<Utc>, PublishRequest)>,
}

/// Runs the scene from `start` (the end of the timeline) on `store` through `mailroom`.
pub async fn on_call(store: &MemoryStore, mailroom: &mut Mailroom, start: DateTime<Utc>) -> OnCall {
    let mut sent = Vec::new();
    let mut acknowledged = None;
    let mut seen = mailroom.sent().len();
    for minute in 1..=MINUTES {
        let now = start + TimeDelta::minutes(minute);
        if minute == ACK_AFTER {
            acknowledged = acknowledge(store, now).await;
        }
        mailroom.deliver(store, now).await;
        let all = mailroom.sent();
        sent.extend(all[seen..].iter().cloned().map(|r| (now, r)));
        seen = all.len();
    }
    OnCall { acknowledged, sent }
}

/// Acknowledges the oldest open incident of marketing-ops (else any), as `credwatch ack` does.
async fn acknowledge(store: &MemoryStore, now: DateTime<Utc>) -> Option<(DateTime<Utc>, Incident)> {
    let open = store.open_incidents().await.ok()?;
    let incident = open
        .iter()
        .find(|i| i.team == "marketing-ops")
        .or(open.first())?
        .clone();
    let ack = Acknowledgement::new(WHO, Some("rotating the secret"), now).ok()?;
    store.acknowledge(&incident.id, &ack).await.ok()?;
    Some((now, incident))
}

/// The scene for people: one line per message, then what the ack changed.
pub fn narrate(scene: &OnCall) -> String {
    let mut text = String::from(
        "Nobody fixes anything for five hours; the sweep runs every minute. What the teams get:\n\n",
    );
    for (at, request) in &scene.sent {
        let attr = |name: &str| request.attributes.get(name).map_or("", String::as_str);
        let _ = writeln!(
            text,
            "  {}  to {:<14} {:<13} {}",
            at.format("%H:%M"),
            attr("team"),
            attr("event"),
            request.subject
        );
    }
    if let Some((at, incident)) = &scene.acknowledged {
        let after = scene
            .sent
            .iter()
            .filter(|(t, r)| {
                t > at
                    && r.attributes.get("incident_id").map(String::as_str)
                        == Some(incident.id.as_str())
                    && r.attributes.get("event").map(String::as_str) == Some("reminder")
            })
            .count();
        let _ = writeln!(
            text,
            "\nAt {} {WHO} ran `credwatch ack {} --by ...`: the team was told who is on it, and \
             that incident got {after} reminders afterwards (the others kept theirs). Reminders \
             decay by severity (critical 30m, 1h, 2h, 4h, then every 8h; high 1h, 4h, 12h, then \
             daily); teams set their own, their business hours, escalation, silences and grouping \
             in the inventory (README, \"On call\"). `credwatch notifications preview --at +8h` \
             shows what comes next on a deployment.",
            at.format("%H:%M"),
            incident.id
        );
    }
    text
}

/// The scene for scripts: `{acknowledged: {at, incident_id, by}, messages: [{at, team, event,
/// incident_id, notification_id, subject}]}`.
pub fn report(scene: &OnCall) -> Value {
    json!({
        "acknowledged": scene.acknowledged.as_ref().map(|(at, incident)| json!({
            "at": at,
            "incident_id": incident.id.as_str(),
            "by": WHO,
        })),
        "messages": scene.sent.iter().map(|(at, r)| {
            let attr = |name: &str| r.attributes.get(name).cloned().unwrap_or_default();
            json!({
                "at": at,
                "team": attr("team"),
                "event": attr("event"),
                "incident_id": attr("incident_id"),
                "notification_id": r.notification_id.as_str(),
                "subject": r.subject,
            })
        }).collect::<Vec<_>>(),
    })
}

/// What the scene must show (empty when it went as scripted): reminders, one acknowledgement
/// told, and no reminder of the acknowledged incident after its ack.
pub fn check(scene: &OnCall) -> Vec<String> {
    let mut problems = Vec::new();
    let event = |r: &PublishRequest| r.attributes.get("event").cloned().unwrap_or_default();
    if !scene.sent.iter().any(|(_, r)| event(r) == "reminder") {
        problems.push("on call: no reminder was sent in five hours".to_string());
    }
    match &scene.acknowledged {
        None => problems.push("on call: no open incident to acknowledge".to_string()),
        Some((at, incident)) => {
            let about = |r: &PublishRequest| {
                r.attributes.get("incident_id").map(String::as_str) == Some(incident.id.as_str())
            };
            if !scene
                .sent
                .iter()
                .any(|(_, r)| about(r) && event(r) == "acknowledged")
            {
                problems.push(format!("on call: the ack of {} was not told", incident.id));
            }
            if scene
                .sent
                .iter()
                .any(|(t, r)| t > at && about(r) && event(r) == "reminder")
            {
                problems.push(format!(
                    "on call: {} was reminded after it was acknowledged",
                    incident.id
                ));
            }
        }
    }
    problems
}
