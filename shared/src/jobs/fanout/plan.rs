//! What the sweep does at `now`, planned before anything is written: the due notifications
//! (retries of pending ones, releases of held ones) and the follow-ups open incidents are owed
//! (reminders, escalations). The sweep applies the plan; `credwatch notifications preview`
//! prints it, so the preview is exactly what the sweep would do. Reads only.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::context::AlertingContext;
use super::groups::group_notices;
use super::route::records_for;
use crate::domain::incident::{Incident, IncidentId};
use crate::notify::annotations::{HeldNote, Step};
use crate::notify::delivery::{DecisionKind, DeliveryState, NotificationRecord};
use crate::notify::notification::{Event, Notification, NotificationId};
use crate::notify::scrub::scrub;
use crate::rules::followup::{FollowUp, Ledger, OpenIncident, follow_ups};
use crate::rules::policy::{Release, Verdict, release, verdict};
use crate::store::{Incidents, Notifications, StoreError, UnreadableItem};

/// One step of the sweep.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a sweep plans at most a few hundred actions"
)]
pub enum Action {
    /// Record a new notification (a reminder, an escalation); publish it if its verdict is
    /// send.
    Record {
        /// The record, its delivery already decided (claimed, or held).
        record: NotificationRecord,
        /// The policy's verdict for its recipient.
        verdict: Verdict,
        /// Why it is owed: `reminder 2 (due ...)`, `escalation: nobody acknowledged it within ...
        why: String,
    },
    /// A held notification came due.
    Release {
        /// The notification as stored.
        record: NotificationRecord,
        /// What becomes of it.
        release: Release,
        /// What is published when it is sent (the stored notification with its hold said
        /// and, for an open incident, the incident as it is now).
        to_send: Option<Notification>,
    },
    /// A group's window closed: its notices are recorded and sent (one per team), and the
    /// notifications held in it superseded; when a notice is already on record (a member
    /// that joined late), the members are released and told on their own instead.
    Group {
        /// The group notification's id.
        id: NotificationId,
        /// The notices to record and send (empty: the window held only its leader, which is
        /// then released as it is).
        notices: Vec<NotificationRecord>,
        /// The notifications held in the window.
        members: Vec<NotificationRecord>,
    },
    /// A pending notification came due (its last attempt failed, or its claim ran out):
    /// claimed and published again, or given up.
    Retry {
        /// The notification as stored.
        record: NotificationRecord,
    },
}

/// One line of the plan, as `notifications preview` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRow {
    /// The incident.
    pub incident_id: String,
    /// Its integration.
    pub integration: String,
    /// The recipient team.
    pub team: String,
    /// opened, changed, reminder, escalated, acknowledged, resolved, digest.
    pub event: String,
    /// send, defer, suppress, group or supersede.
    pub decision: String,
    /// When it is decided (the sweep's time).
    pub at: DateTime<Utc>,
    /// Until when it is held (defer, suppress).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Why.
    pub reason: String,
    /// The notification's id.
    pub notification_id: String,
}

impl Action {
    /// The notification the action is about.
    pub fn record(&self) -> &NotificationRecord {
        match self {
            Action::Record { record, .. }
            | Action::Release { record, .. }
            | Action::Retry { record } => record,
            Action::Group {
                notices, members, ..
            } => notices.first().or(members.first()).expect(
                "a group action is planned only for a window holding at least one notification",
            ),
        }
    }

    /// The action as preview lines at `now`: one per notification it decides.
    pub fn rows(&self, now: DateTime<Utc>) -> Vec<PlanRow> {
        let Action::Group {
            id,
            notices,
            members,
        } = self
        else {
            return vec![self.row(now)];
        };
        let send = notices.iter().map(|notice| {
            let mut row = row_of(notice, DecisionKind::Send, None, now);
            row.reason = format!(
                "the group's window closed: {} notifications told in one",
                members.len()
            );
            row
        });
        let grouped = members.iter().map(|member| {
            let mut row = row_of(member, DecisionKind::Group, None, now);
            row.reason = if notices.is_empty() {
                "the window closed with no other incident: told on its own".to_string()
            } else {
                format!("grouped into {id}")
            };
            if notices.is_empty() {
                row.decision = DecisionKind::Send.as_str().to_string();
            }
            row
        });
        send.chain(grouped).collect()
    }

    /// The action as one preview line at `now` (a group's first line).
    fn row(&self, now: DateTime<Utc>) -> PlanRow {
        let record = self.record();
        let (decision, until, reason) = match self {
            Action::Record { verdict, why, .. } => (
                verdict.kind(),
                verdict.until(),
                follow_up_reason(why, verdict, record.team()),
            ),
            Action::Release { release, .. } => match release {
                Release::Send(note) => (
                    DecisionKind::Send,
                    None,
                    format!(
                        "released after a hold since {}: {}",
                        stamp(note.since),
                        note.reason
                    ),
                ),
                Release::Supersede(why) => (DecisionKind::Supersede, None, why.clone()),
                Release::Hold(verdict) => (
                    verdict.kind(),
                    verdict.until(),
                    verdict.reason(record.team()),
                ),
            },
            Action::Group { .. } => (DecisionKind::Group, None, String::new()),
            Action::Retry { record } => (
                DecisionKind::Send,
                None,
                format!(
                    "retry: attempt {} (last error: {})",
                    record.delivery.attempts.saturating_add(1),
                    record
                        .delivery
                        .last_error
                        .as_ref()
                        .map_or("none, the previous claim ran out", |e| e.detail.as_str())
                ),
            ),
        };
        PlanRow {
            reason,
            ..row_of(record, decision, until, now)
        }
    }
}

/// Why a follow-up (`why`: `reminder 2 (due ...)`, `escalation: ...`) is decided `verdict`
/// for `team`: `why` alone when sent, followed by the hold's reason when held.
fn follow_up_reason(why: &str, verdict: &Verdict, team: &str) -> String {
    match verdict {
        Verdict::Send => why.to_string(),
        held => format!("{why}; {}", held.reason(team)),
    }
}

/// The preview line of `record` decided `decision` at `now` (reason empty).
fn row_of(
    record: &NotificationRecord,
    decision: DecisionKind,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> PlanRow {
    PlanRow {
        incident_id: record.incident_id().to_string(),
        integration: record.notification.integration.id.clone(),
        team: record.team().to_string(),
        event: record.event().as_str().to_string(),
        decision: decision.as_str().to_string(),
        at: now,
        until,
        reason: String::new(),
        notification_id: record.id().to_string(),
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The sweep's plan at `now`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SweepPlan {
    /// In order: retries and releases (oldest due first), then follow-ups.
    pub actions: Vec<Action>,
    /// Notification and incident items that could not be decoded (skipped).
    pub unreadable: Vec<UnreadableItem>,
    /// Due notifications found (at most the limit).
    pub due: usize,
    /// When the next follow-up is due after this sweep (the earliest over open incidents).
    pub next_follow_up: Option<DateTime<Utc>>,
}

/// Plans the sweep at `now` for at most `limit` due notifications (see the module doc).
///
/// # Errors
/// The store's error when due notifications or open incidents cannot be listed at all; a
/// failure about one incident is logged and that incident left for the next sweep.
pub async fn plan_sweep<S: Incidents + Notifications>(
    store: &S,
    context: &AlertingContext,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<SweepPlan, StoreError> {
    let listing = store.due_notifications(now, limit).await?;
    let mut plan = SweepPlan {
        due: listing.due.len(),
        unreadable: listing.unreadable,
        ..SweepPlan::default()
    };
    let mut cache = Cache::default();
    let mut held: BTreeMap<(IncidentId, String), Vec<NotificationRecord>> = BTreeMap::new();
    let mut grouped: BTreeMap<NotificationId, Vec<NotificationRecord>> = BTreeMap::new();
    for record in listing.due {
        let group = record
            .last_decision()
            .filter(|d| d.kind == DecisionKind::Group)
            .and_then(|d| d.group.clone());
        match (record.delivery.state, group) {
            (DeliveryState::Held, Some(group)) => grouped.entry(group).or_default().push(record),
            (DeliveryState::Held, None) => held
                .entry((record.incident_id().clone(), record.team().to_string()))
                .or_default()
                .push(record),
            _ => plan.actions.push(Action::Retry { record }),
        }
    }
    for (id, members) in grouped {
        let leader = match id
            .as_str()
            .split_once('/')
            .map(|(l, _)| l.parse::<IncidentId>())
        {
            Some(Ok(leader)) => cache
                .get(store, &leader)
                .await
                .and_then(|(i, _)| i.cloned()),
            _ => None,
        };
        let notices = group_notices(&id, &members, leader.as_ref(), context, now);
        plan.actions.push(Action::Group {
            id,
            notices,
            members,
        });
    }
    // Teams told something in this sweep, by incident: their follow-ups count it.
    let mut told_now: HashMap<IncidentId, Vec<String>> = HashMap::new();
    for ((incident_id, team), records) in held {
        let Some((incident, history)) = cache.get(store, &incident_id).await else {
            continue;
        };
        let told = history
            .iter()
            .any(|r| r.team() == team && r.delivery.state == DeliveryState::Sent);
        let severity = incident.map_or(records[0].severity(), |i| i.severity);
        let hold = incident.and_then(|i| context.hold(i, now));
        let verdict_now = verdict(severity, &context.team(&team).calendar, hold.as_ref(), now);
        let refs: Vec<&NotificationRecord> = records.iter().collect();
        let releases = release(&refs, incident, told, &verdict_now, now);
        for (record, (_, release)) in records.iter().zip(releases) {
            let to_send = match &release {
                Release::Send(note) => {
                    told_now
                        .entry(incident_id.clone())
                        .or_default()
                        .push(team.clone());
                    Some(released(&record.notification, note, incident, now))
                }
                _ => None,
            };
            plan.actions.push(Action::Release {
                record: record.clone(),
                release,
                to_send,
            });
        }
    }
    let open = store.open_incident_listing().await?;
    plan.unreadable.extend(open.unreadable);
    // A drill is told once, at its opening: never reminded or escalated (`rules::drill`).
    for incident in open.incidents.iter().filter(|i| !i.is_drill()) {
        let Some(history) = cache.history(store, incident).await else {
            continue;
        };
        let told_at = told_now
            .get(&incident.id)
            .is_some_and(|teams| teams.contains(&incident.team))
            .then_some(now);
        let (actions, next) = follow_up_actions(incident, history, told_at, context, now);
        plan.actions.extend(actions);
        if let Some(next) = next {
            plan.next_follow_up = Some(plan.next_follow_up.map_or(next, |n| n.min(next)));
        }
    }
    Ok(plan)
}

/// The follow-ups owed to `incident` (open) at `now`, as records for every recipient, and
/// when the next is due. `history` is its notifications on record; `told_at` a message to the
/// owner planned in this same sweep (a release), which counts as told.
pub fn follow_up_actions(
    incident: &Incident,
    history: &[NotificationRecord],
    told_at: Option<DateTime<Utc>>,
    context: &AlertingContext,
    now: DateTime<Utc>,
) -> (Vec<Action>, Option<DateTime<Utc>>) {
    let since = incident.schedule_since();
    let mut ledger = Ledger::of(history, since, &incident.team);
    if let Some(at) = told_at {
        ledger.last_told = Some(ledger.last_told.map_or(at, |t| t.max(at)));
    }
    let view = OpenIncident {
        check: incident.check,
        class: incident.class,
        severity: incident.severity,
        since,
        acknowledged: incident.is_acknowledged(),
    };
    let rules = context.follow_up_rules(&incident.team);
    let (owed, next) = follow_ups(&view, &ledger, &rules, now);
    let (integration, expiry) = context.facts(incident, now);
    let mut actions = Vec::new();
    for follow_up in owed {
        let (event, n, why) = match follow_up {
            FollowUp::Reminder(reminder) => (
                Event::Reminder,
                reminder.n,
                format!("reminder {} (due {})", reminder.n, stamp(reminder.due)),
            ),
            FollowUp::Escalation => (
                Event::Escalated,
                1,
                format!(
                    "escalation: nobody acknowledged it within escalate_after ({} {})",
                    rules
                        .escalate_after
                        .map_or_else(String::new, crate::notify::words::humanize),
                    if incident.severity == crate::domain::severity::Severity::Critical {
                        "on the clock: critical"
                    } else {
                        "of business hours"
                    }
                ),
            ),
        };
        let id = NotificationId::step(&incident.id, event, n, since);
        let mut notification = Notification::about(id, event, incident, integration, expiry, now);
        notification.step = Some(Step { n, since });
        for (mut record, verdict) in records_for(notification, incident, context, now) {
            // The decision on record says why it is owed, as the preview does (`incident
            // show` lists it): `reminder 3 (due ...)`, not a bare `sent`.
            let reason: String = follow_up_reason(&why, &verdict, record.team())
                .chars()
                .take(crate::notify::delivery::Decision::MAX_REASON)
                .collect();
            if let Some(decision) = record.delivery.decisions.last_mut() {
                decision.reason = reason;
            }
            actions.push(Action::Record {
                record,
                verdict,
                why: why.clone(),
            });
        }
    }
    (actions, next)
}

/// The notification published for a held one released at `now`: the stored one with its hold
/// said and, while the incident is open, the incident as it is now (class, severity, words),
/// so a message deferred overnight does not say what was true at 2 a.m.
pub fn released(
    stored: &Notification,
    note: &HeldNote,
    incident: Option<&Incident>,
    now: DateTime<Utc>,
) -> Notification {
    let mut n = stored.clone();
    n.held = Some(note.clone());
    if let Some(incident) = incident.filter(|i| i.open && stored.event != Event::Resolved) {
        n.class = incident.class;
        n.severity = incident.severity;
        n.message = scrub(&incident.message);
        n.http_status = incident.http_status;
        n.threshold_days = incident.threshold_days;
        n.at = now;
    }
    n
}

/// An incident as stored (`None`: gone) and its notifications.
type Read = (Option<Incident>, Vec<NotificationRecord>);

/// Incidents and their notifications, read once per sweep (`None`: unreadable now).
#[derive(Default)]
struct Cache {
    entries: HashMap<IncidentId, Option<Read>>,
}

impl Cache {
    /// The notifications of `incident` (just listed as open: not read again); `None` when
    /// they cannot be read now (logged; the next sweep tries again).
    async fn history<S: Notifications>(
        &mut self,
        store: &S,
        incident: &Incident,
    ) -> Option<&[NotificationRecord]> {
        if !self.entries.contains_key(&incident.id) {
            let entry = match store.notifications_of(&incident.id).await {
                Ok(history) => Some((Some(incident.clone()), history)),
                Err(error) => {
                    tracing::error!(incident = %incident.id, %error, "sweep: notifications of an open incident unreadable; left for the next sweep");
                    None
                }
            };
            self.entries.insert(incident.id.clone(), entry);
        }
        self.entries
            .get(&incident.id)
            .and_then(|e| e.as_ref())
            .map(|(_, history)| history.as_slice())
    }

    /// The incident as stored (`None`: gone) and its notifications; `None` when they cannot
    /// be read now (logged; the next sweep tries again).
    async fn get<S: Incidents + Notifications>(
        &mut self,
        store: &S,
        id: &IncidentId,
    ) -> Option<(Option<&Incident>, &[NotificationRecord])> {
        if !self.entries.contains_key(id) {
            let read = async {
                let incident = store.get_incident(id).await?;
                let history = store.notifications_of(id).await?;
                Ok::<_, StoreError>((incident, history))
            }
            .await;
            let entry = match read {
                Ok(entry) => Some(entry),
                Err(error) => {
                    tracing::error!(incident = %id, %error, "sweep: incident or its notifications unreadable; left for the next sweep");
                    None
                }
            };
            self.entries.insert(id.clone(), entry);
        }
        self.entries
            .get(id)
            .and_then(|e| e.as_ref())
            .map(|(incident, history)| (incident.as_ref(), history.as_slice()))
    }
}
