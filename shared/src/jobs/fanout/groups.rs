//! Grouping in the fan-out: the stream side decides whether a new `opened` or `resolved`
//! joins a group (one conditional write to the group's window, see
//! [`crate::rules::grouping`]); the sweep side builds the one notification a closed window
//! owes from the notifications held in it.

use chrono::{DateTime, TimeDelta, Utc};

use super::context::AlertingContext;
use crate::domain::incident::{Incident, IncidentId};
use crate::notify::annotations::{CredentialFacts, Member};
use crate::notify::delivery::{Decision, DecisionKind, NotificationRecord};
use crate::notify::notification::{Event, Notification, NotificationId};
use crate::rules::delivery::{first_claim, held};
use crate::rules::grouping::{
    Grouping, always_grouped, credential_group, resolve_group, team_group, team_grouping,
};
use crate::store::{Groups, Notifications, StoreError};

/// The label of a credential notice's id.
const CREDENTIAL: &str = "credential";
/// The label of an openings digest's id.
const DIGEST_OPENED: &str = "opened";
/// The label of a resolves digest's id.
const DIGEST_RESOLVED: &str = "resolved";

/// Whether `record` (a new notification to its incident's owner, to be sent now) joins a
/// group: `Some(held record)` when it waits for its group's notification, `None` when it is
/// told on its own. Only `opened` (credential, then team digest) and `resolved` (when its
/// opening was in a digest) join.
///
/// # Errors
/// The store's error when the window cannot be joined or, for a resolve, the incident's
/// notifications cannot be read: the caller retries the stream record, except for a window
/// item that cannot be read ([`StoreError::Corrupt`]), where it gives up the grouping and
/// tells the notification on its own.
pub async fn group<S: Groups + Notifications>(
    store: &S,
    context: &AlertingContext,
    incident: &Incident,
    record: &NotificationRecord,
    now: DateTime<Utc>,
) -> Result<Option<NotificationRecord>, StoreError> {
    if record.notification.on_behalf_of.is_some() {
        return Ok(None);
    }
    let team = context.team(&incident.team);
    if team.group_wait <= TimeDelta::zero() {
        return Ok(None);
    }
    // Windows are kept in the incidents' own time ("opened within group_wait"), so a batch
    // delivered late does not lump together what happened apart.
    let at = match record.event() {
        Event::Resolved => incident.resolved_at,
        _ => Some(incident.opened_at),
    }
    .unwrap_or(now)
    .min(now);
    // Which window it joins: (key, the group notice's event and label, the place from which
    // joiners are grouped (`None`: all of them), why).
    let window = match record.event() {
        Event::Opened => {
            let credential = context
                .integrations
                .get(&incident.integration)
                .and_then(|own| {
                    credential_group(
                        &own.integration,
                        incident.check,
                        incident.class,
                        context.integrations.values().map(|r| &r.integration),
                    )
                });
            Some(match credential {
                Some((key, _)) => (
                    key,
                    Event::Opened,
                    CREDENTIAL,
                    None,
                    "one notice for every integration of the same credential",
                ),
                None => (
                    team_group(&incident.team, incident.class),
                    Event::Digest,
                    DIGEST_OPENED,
                    Some(team.group_min),
                    "one digest of the team's incidents of this class",
                ),
            })
        }
        Event::Resolved => {
            let history = store.notifications_of(&incident.id).await?;
            // Any decision of its opening, not the last one: once the digest went out, the
            // opening's last decision is the supersede that says so (and names no group).
            history
                .iter()
                .filter(|r| r.event() == Event::Opened)
                .flat_map(|r| r.delivery.decisions.iter().rev())
                .find_map(|d| {
                    let group = d.group.as_ref()?;
                    group.as_str().contains("/digest/opened@").then(|| {
                        (
                            resolve_group(group.as_str()),
                            Event::Digest,
                            DIGEST_RESOLVED,
                            None,
                            "its opening was in a digest: so is its resolve",
                        )
                    })
                })
        }
        _ => None,
    };
    let joined = match window {
        Some((key, event, label, group_min, why)) => {
            let slot = store
                .join_group(&key, &incident.id, at, team.group_wait)
                .await?;
            let id = NotificationId::group(&slot.leader, event, label, slot.window_start);
            let grouping = match group_min {
                Some(min) => team_grouping(&slot, min),
                None => always_grouped(&slot),
            };
            Some((grouping, id, why))
        }
        None => None,
    };
    Ok(match joined {
        Some((Grouping::Grouped { until }, id, why)) => {
            let decision = Decision::new(
                DecisionKind::Group,
                now,
                Some(until),
                format!("grouped into {id} ({why})"),
            )
            .in_group(id);
            Some(NotificationRecord {
                delivery: held(until, decision),
                ..record.clone()
            })
        }
        _ => None,
    })
}

/// What a closed window owes: the group notifications to record and send (one per team),
/// built from the `members` held in it (all with the group id `id`); empty when the window
/// holds only its leader's own notification, or its leader cannot be named (then each member
/// is told on its own).
pub fn group_notices(
    id: &NotificationId,
    members: &[NotificationRecord],
    leader: Option<&Incident>,
    context: &AlertingContext,
    now: DateTime<Utc>,
) -> Vec<NotificationRecord> {
    let Some(first) = members.first() else {
        return Vec::new();
    };
    let leader_id: Option<IncidentId> = id
        .as_str()
        .split_once('/')
        .and_then(|(incident, _)| incident.parse().ok());
    let credential = id.as_str().contains(&format!("/opened/{CREDENTIAL}@"));
    let resolves = id.as_str().contains(&format!("/digest/{DIGEST_RESOLVED}@"));
    let lead = members
        .iter()
        .find(|m| Some(m.incident_id()) == leader_id.as_ref())
        .unwrap_or(first);
    if credential && members.len() == 1 {
        return Vec::new();
    }
    // The notice is about its lead; the others are named besides it ("also affected"). An
    // openings digest's lead was told on its own and is no member.
    let named: Vec<&NotificationRecord> = members
        .iter()
        .filter(|m| m.incident_id() != lead.incident_id() || !(credential || resolves))
        .collect();
    let mut notice = match (credential, leader) {
        (true, _) | (false, None) => lead.notification.clone(),
        (false, Some(incident)) => {
            let (integration, expiry) = context.facts(incident, now);
            Notification::about(
                id.clone(),
                Event::Digest,
                incident,
                integration,
                expiry,
                now,
            )
        }
    };
    notice.id = id.clone();
    notice.event = if credential {
        Event::Opened
    } else {
        Event::Digest
    };
    notice.at = now;
    notice.held = None;
    notice.members = named
        .iter()
        .map(|m| Member {
            incident_id: m.incident_id().clone(),
            integration: m.notification.integration.id.clone(),
            name: m.notification.integration.name.clone(),
            team: m.team().to_string(),
            class: m.notification.class,
            opened_at: m.notification.opened_at,
            resolved_at: m.notification.resolved_at,
        })
        .collect();
    if resolves {
        // When the last of them resolved, not when the window closed.
        notice.resolved_at = members
            .iter()
            .filter_map(|m| m.notification.resolved_at)
            .max()
            .or(Some(now));
    }
    if credential {
        notice.credential = context
            .integrations
            .get(&lead.notification.integration.id)
            .and_then(|r| {
                Some(CredentialFacts {
                    auth_host: r.integration.auth_url.host_str()?.to_string(),
                    client_id: r.integration.client_id.clone(),
                    owner: lead.team().to_string(),
                })
            });
    }
    let mut teams: Vec<String> = Vec::new();
    for m in members {
        if !teams.iter().any(|t| t == m.team()) {
            teams.push(m.team().to_string());
        }
    }
    teams
        .into_iter()
        .map(|team| {
            let mut copy = notice.clone();
            if team != lead.team() {
                copy.id = id.for_team(&team);
                copy.team = team;
            }
            let mut delivery = first_claim(now);
            delivery.decisions.push(Decision::new(
                DecisionKind::Send,
                now,
                None,
                format!(
                    "the group's window closed: {} incidents told in one message",
                    members.len()
                ),
            ));
            NotificationRecord {
                notification: copy,
                created_at: now,
                delivery,
                slack: None,
            }
        })
        .collect()
}
