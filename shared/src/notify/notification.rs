//! The notification: what one message says about one incident, as plain data, built from the
//! domain ([`Incident`], [`IncidentChange`], the inventory's [`Integration`]) and rendered by
//! [`super::render`].
//!
//! Everything here is already safe to show: SFMC's words go through
//! [`super::scrub::scrub`] (the SFMC sanitizer, then webhook URLs) on the way in, and nothing of the integration but its
//! name, `depends_on`, `records_per_hour` and `runbook` is copied (never its secret source).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::annotations::{AckFacts, CredentialFacts, HeldNote, Member, OnBehalfOf, Step};
use super::scrub::scrub;
use crate::domain::incident::{
    CheckKind, Incident, IncidentChange, IncidentClass, IncidentFacts, IncidentId,
};
use crate::domain::severity::Severity;
use crate::inventory::Integration;

/// Why a notification is sent: the `event` of the SNS contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A new incident.
    Opened,
    /// An open incident changed class, severity or expiry threshold.
    Changed,
    /// Still open: a reminder.
    Reminder,
    /// Still open and unacknowledged: sent further.
    Escalated,
    /// Someone took it.
    Acknowledged,
    /// It is over.
    Resolved,
    /// Part of a periodic summary.
    Digest,
    /// A test message: nothing is wrong.
    Drill,
}

impl Event {
    /// Every event, in the order above.
    pub const ALL: [Event; 8] = [
        Event::Opened,
        Event::Changed,
        Event::Reminder,
        Event::Escalated,
        Event::Acknowledged,
        Event::Resolved,
        Event::Digest,
        Event::Drill,
    ];

    /// `opened`, `changed`, ...: the form sent and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Opened => "opened",
            Event::Changed => "changed",
            Event::Reminder => "reminder",
            Event::Escalated => "escalated",
            Event::Acknowledged => "acknowledged",
            Event::Resolved => "resolved",
            Event::Digest => "digest",
            Event::Drill => "drill",
        }
    }

    /// The inverse of [`Event::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which notifications a change of an incident calls for: `Opened` gives `opened`; `Changed`
/// gives `changed` when the class, the severity or the expiry threshold differs from before;
/// `Resolved` gives `resolved`; a change of message text or timestamps only gives nothing.
pub fn events_for(change: &IncidentChange) -> Vec<Event> {
    match change {
        IncidentChange::Opened(_) => vec![Event::Opened],
        IncidentChange::Changed {
            previous,
            class,
            severity,
            threshold_days,
            ..
        } => {
            let now = IncidentFacts {
                class: *class,
                severity: *severity,
                threshold_days: *threshold_days,
            };
            if now == *previous {
                Vec::new()
            } else {
                vec![Event::Changed]
            }
        }
        IncidentChange::Resolved { .. } => vec![Event::Resolved],
    }
}

/// A notification's deterministic id: the same change always gives the same id, two different
/// changes never do, so a receiver can drop a repeat.
///
/// Grammar (`{incident}` is the [`IncidentId`], `{at}` a UTC time to the millisecond,
/// `2026-11-30T13:05:00.000Z`):
///
/// ```text
/// {incident}/opened                      once per incident
/// {incident}/resolved                    once per incident
/// {incident}/opened@{opened_at}          standalone incidents (sequence 0, e.g. an unreadable
/// {incident}/resolved@{opened_at}        item's report): they reopen under the same id, so
///                                        each life carries its opening time
/// {incident}/changed/{what}@{at}         what = the class now, or expiry-{n}d / expired when the
///                                        threshold stepped, or severity-{severity}
/// {incident}/reminder/{n}@{since}       the n-th reminder of the schedule that started at
///                                        {since} (opening or last class change)
/// {incident}/escalated/{n}@{since}       the escalation of that schedule
/// {incident}/acknowledged@{at}
/// {leader}/opened/credential@{start}     the one notice of a shared credential's window
/// {leader}/digest/opened@{start}         the digest of a team's window of openings
/// {leader}/digest/resolved@{start}       the digest of their resolves
/// {id}>{team}                            the copy of {id} for another team than the owner
///                                        (escalate_to, after_hours_to)
/// {incident}/digest/{date}               the digest of that day (YYYY-MM-DD)
/// {incident}/drill@{at}
/// ```
///
/// A class can come back (A, then B, then A again), so `changed` ids carry the change's time;
/// an incident changes at most once per instant.
///
/// Reads back from its text (as stored) without re-checking the grammar.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotificationId(String);

impl NotificationId {
    /// `{incident}/{event}` followed by `suffix` (see the grammar above).
    fn build(incident: &IncidentId, event: Event, suffix: &str) -> NotificationId {
        NotificationId(format!("{incident}/{}{suffix}", event.as_str()))
    }

    /// The id of `event` about `incident`; `change` says which change (for `changed`, and the
    /// time of `acknowledged`, `drill`), `n` which reminder or escalation step, and the
    /// change's day for a digest.
    pub fn new(
        incident: &IncidentId,
        event: Event,
        change: &IncidentChange,
        n: u32,
    ) -> NotificationId {
        let at = change_time(change);
        let stamp = at.format("@%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let suffix = match event {
            Event::Opened | Event::Resolved => String::new(),
            Event::Changed => format!("/{}{stamp}", changed_part(change)),
            Event::Reminder | Event::Escalated => format!("/{n}"),
            Event::Digest => format!("/{}", at.format("%Y-%m-%d")),
            Event::Acknowledged | Event::Drill => stamp,
        };
        NotificationId::build(incident, event, &suffix)
    }

    /// The id of step `n` of a reminder or escalation schedule that started at `since`:
    /// `{incident}/{event}/{n}@{since}` (a class change restarts the schedule, so its steps
    /// get new ids).
    pub fn step(
        incident: &IncidentId,
        event: Event,
        n: u32,
        since: DateTime<Utc>,
    ) -> NotificationId {
        NotificationId::build(
            incident,
            event,
            &format!("/{n}{}", since.format("@%Y-%m-%dT%H:%M:%S%.3fZ")),
        )
    }

    /// The id of `event` about `incident` at `at`: `{incident}/{event}@{at}` (acknowledgements).
    pub fn at(incident: &IncidentId, event: Event, at: DateTime<Utc>) -> NotificationId {
        NotificationId::build(
            incident,
            event,
            &at.format("@%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        )
    }

    /// The id of a group notification led by `leader`'s incident, for the window that opened
    /// at `start`: `{leader}/{event}/{label}@{start}` (`opened/credential`, `digest/opened`,
    /// `digest/resolved`).
    pub fn group(
        leader: &IncidentId,
        event: Event,
        label: &str,
        start: DateTime<Utc>,
    ) -> NotificationId {
        NotificationId::build(
            leader,
            event,
            &format!("/{label}{}", start.format("@%Y-%m-%dT%H:%M:%S%.3fZ")),
        )
    }

    /// The id of the copy of this notification sent to `team` (not the owner): `>{team}`
    /// appended.
    pub fn for_team(&self, team: &str) -> NotificationId {
        NotificationId(format!("{}>{team}", self.0))
    }

    /// The id of one life of a standalone incident ([`IncidentId::is_standalone`]): `@{opened_at}`
    /// appended.
    fn with_life(self, opened_at: DateTime<Utc>) -> NotificationId {
        NotificationId(format!(
            "{}{}",
            self.0,
            opened_at.format("@%Y-%m-%dT%H:%M:%S%.3fZ")
        ))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NotificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// When a change happened: the incident's opening, the change's or the resolve's time.
fn change_time(change: &IncidentChange) -> DateTime<Utc> {
    match change {
        IncidentChange::Opened(incident) => incident.opened_at,
        IncidentChange::Changed { at, .. } | IncidentChange::Resolved { at, .. } => *at,
    }
}

/// What a `changed` id names: the new class when the class changed, else the new expiry
/// threshold, else the new severity.
fn changed_part(change: &IncidentChange) -> String {
    match change {
        IncidentChange::Changed {
            previous,
            class,
            severity,
            threshold_days,
            ..
        } => {
            if *class != previous.class {
                class.as_str().to_string()
            } else if *threshold_days != previous.threshold_days {
                match threshold_days {
                    Some(0) => "expired".to_string(),
                    Some(days) => format!("expiry-{days}d"),
                    None => "expiry-none".to_string(),
                }
            } else {
                format!("severity-{}", severity.as_str())
            }
        }
        other => other.class().as_str().to_string(),
    }
}

/// The client secret's expiry, for expiry notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    /// The day the secret expires (SFMC's "Client Secret Expires" column; 180 days after it
    /// was generated).
    pub expires_on: NaiveDate,
    /// Whole days from the notice to that day; negative once it has passed.
    pub days_left: i64,
}

/// The integration as a notification shows it: the inventory fields about impact and next
/// steps, nothing else (never its secret source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationFacts {
    /// The integration's id.
    pub id: String,
    /// Its display name, as written in the inventory (renderers clean it per output).
    pub name: String,
    /// What depends on the credential (journeys, syncs...).
    pub depends_on: Vec<String>,
    /// Records the integration moves per hour, for impact estimates.
    pub records_per_hour: Option<u64>,
    /// The runbook link.
    pub runbook: Option<String>,
}

impl IntegrationFacts {
    /// The facts of an inventory entry.
    pub fn of(integration: &Integration) -> IntegrationFacts {
        // Free text from the inventory, scrubbed like SFMC's words: a name or note holding a
        // token, or a runbook pointing at a chat webhook, must not be published.
        IntegrationFacts {
            id: integration.id.clone(),
            name: scrub(&integration.name),
            depends_on: integration.depends_on.iter().map(|d| scrub(d)).collect(),
            records_per_hour: integration.records_per_hour,
            runbook: integration.runbook.as_deref().map(scrub),
        }
    }

    /// What is known of an integration that is not in the inventory (any more): its id.
    pub fn unknown(id: &str) -> IntegrationFacts {
        IntegrationFacts {
            id: id.to_string(),
            name: id.to_string(),
            depends_on: Vec::new(),
            records_per_hour: None,
            runbook: None,
        }
    }
}

/// One notification about one incident: everything every rendering needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The deterministic id (see [`NotificationId`]).
    pub id: NotificationId,
    /// Why it is sent.
    pub event: Event,
    /// The incident.
    pub incident_id: IncidentId,
    /// The check the incident belongs to.
    pub check: CheckKind,
    /// The incident's class (for a resolve, the class it had).
    pub class: IncidentClass,
    /// What it was before, for `changed`.
    pub previous: Option<IncidentFacts>,
    /// The incident's severity now.
    pub severity: Severity,
    /// The team that owns the incident (routing).
    pub team: String,
    /// The integration, as far as known.
    pub integration: IntegrationFacts,
    /// When the incident opened.
    pub opened_at: DateTime<Utc>,
    /// When it resolved (resolves only).
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the notification was made.
    pub at: DateTime<Utc>,
    /// What is wrong (or, for a resolve, why it is over), sanitized.
    pub message: String,
    /// Status of SFMC's deciding HTTP answer, if any.
    pub http_status: Option<u16>,
    /// The expiry threshold (days) crossed, for expiry incidents.
    pub threshold_days: Option<u32>,
    /// The secret's expiry, when known, for expiry incidents.
    pub expiry: Option<Expiry>,
    /// Reminders and escalations: which step of which schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    /// Copies to another team than the owner (`team` is then that team): whose and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<OnBehalfOf>,
    /// `acknowledged`: who took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<AckFacts>,
    /// Set when sent after a hold (deferred, silenced, maintenance): why and since when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<HeldNote>,
    /// Group notices (digest, credential): the other incidents named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    /// Credential notices: the credential the members share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<CredentialFacts>,
}

impl Notification {
    /// This notification with its free text scrubbed again ([`scrub`]): the message, the
    /// integration's name, dependencies and runbook, who acknowledged and their note, the hold's
    /// reason and the names of the members. A document read back from the table is trusted no
    /// more than an inventory file: a hand-edited item must not carry a token or a webhook URL
    /// into a message. Text that was scrubbed already reads unchanged. Ids, times and the
    /// credential's client id (not a secret, shown in SFMC's Setup) are kept as they are.
    pub fn rescrubbed(mut self) -> Notification {
        self.message = scrub(&self.message);
        let facts = &mut self.integration;
        facts.name = scrub(&facts.name);
        facts.depends_on = facts.depends_on.iter().map(|d| scrub(d)).collect();
        facts.runbook = facts.runbook.as_deref().map(scrub);
        if let Some(ack) = &mut self.ack {
            ack.by = scrub(&ack.by);
            ack.note = ack.note.as_deref().map(scrub);
        }
        if let Some(held) = &mut self.held {
            held.reason = scrub(&held.reason);
        }
        for member in &mut self.members {
            member.name = scrub(&member.name);
        }
        self
    }

    /// The notification of `event` about `incident` after `change` (the incident as it is
    /// after the change; for `Opened`, the change's own). `integration` is the inventory entry
    /// when known; `expiry` the secret's expiry for expiry incidents; `now` the time of sending.
    /// Reminders and escalations are number 1 here; see [`NotificationId::new`].
    pub fn new(
        event: Event,
        incident: &Incident,
        change: &IncidentChange,
        integration: Option<&Integration>,
        expiry: Option<Expiry>,
        now: DateTime<Utc>,
    ) -> Notification {
        let (class, message, http_status, previous) = match change {
            IncidentChange::Opened(opened) => (
                opened.class,
                opened.message.as_str(),
                opened.http_status,
                None,
            ),
            IncidentChange::Changed {
                previous,
                class,
                message,
                http_status,
                ..
            } => (*class, message.as_str(), *http_status, Some(*previous)),
            IncidentChange::Resolved { class, message, .. } => {
                (*class, message.as_str(), incident.http_status, None)
            }
        };
        let resolved_at = match change {
            IncidentChange::Resolved { at, .. } => Some(*at),
            _ => incident.resolved_at,
        };
        let facts = integration
            .map(IntegrationFacts::of)
            .unwrap_or_else(|| IntegrationFacts::unknown(&incident.integration));
        let mut id = NotificationId::new(&incident.id, event, change, 1);
        if incident.id.is_standalone() && matches!(event, Event::Opened | Event::Resolved) {
            // This id opens again after a resolve: each life is told once.
            id = id.with_life(incident.opened_at);
        }
        Notification {
            id,
            event,
            incident_id: incident.id.clone(),
            check: incident.check,
            class,
            previous,
            severity: incident.severity,
            team: incident.team.clone(),
            integration: facts,
            opened_at: incident.opened_at,
            resolved_at,
            at: now,
            // SFMC's words are sanitized where they are first read; again here, so that text
            // arriving raw (a hand-edited item, an older credwatch) can never carry a token or
            // a webhook URL.
            message: scrub(message),
            http_status,
            threshold_days: incident.threshold_days,
            expiry,
            step: None,
            on_behalf_of: None,
            ack: None,
            held: None,
            members: Vec::new(),
            credential: None,
        }
    }

    /// The notification `id` of `event` about `incident` as it is now (reminders,
    /// escalations, acknowledgements: no change behind them), made at `now`.
    pub fn about(
        id: NotificationId,
        event: Event,
        incident: &Incident,
        integration: Option<&Integration>,
        expiry: Option<Expiry>,
        now: DateTime<Utc>,
    ) -> Notification {
        let change = IncidentChange::Opened(incident.clone());
        Notification {
            id,
            ..Notification::new(event, incident, &change, integration, expiry, now)
        }
    }

    /// One notification per event [`events_for`] finds in `change` (see [`Notification::new`]).
    pub fn for_change(
        incident: &Incident,
        change: &IncidentChange,
        integration: Option<&Integration>,
        expiry: Option<Expiry>,
        now: DateTime<Utc>,
    ) -> Vec<Notification> {
        events_for(change)
            .into_iter()
            .map(|event| Notification::new(event, incident, change, integration, expiry, now))
            .collect()
    }

    /// How long the incident has lasted: to its resolve, else to `at`. Never negative.
    pub fn duration(&self) -> chrono::TimeDelta {
        let end = self.resolved_at.unwrap_or(self.at);
        (end - self.opened_at).max(chrono::TimeDelta::zero())
    }
}

#[cfg(test)]
mod tests;
