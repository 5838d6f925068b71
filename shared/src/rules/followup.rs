//! The follow-ups of an open incident the sweep owes at `now`: the reminder due (one, even
//! when several are overdue) and the escalation, given what is already on record. Plain
//! functions over plain data; the schedules themselves are [`super::reminders`]' and
//! [`super::escalation`]'s.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::incident::{CheckKind, IncidentClass};
use crate::domain::severity::Severity;
use crate::notify::delivery::{DeliveryState, NotificationRecord};
use crate::notify::notification::Event;
use crate::rules::business_hours::Calendar;
use crate::rules::escalation::{Escalatable, Escalation, escalation};
use crate::rules::reminders::{Reminder, Schedule, Subject, next};

/// An open incident as follow-ups see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenIncident {
    /// Its check (expiry incidents are reminded by their own rules).
    pub check: CheckKind,
    /// Its class now.
    pub class: IncidentClass,
    /// Its severity now.
    pub severity: Severity,
    /// When its schedules started: its opening, or its last class change.
    pub since: DateTime<Utc>,
    /// Acknowledged since `since` (reminders and escalation stop).
    pub acknowledged: bool,
}

/// The owner team's follow-up settings.
#[derive(Debug, Clone, Copy)]
pub struct FollowUpRules<'a> {
    /// `notify.remind_after` (empty: the severity's default).
    pub remind_after: &'a [TimeDelta],
    /// `notify.remind_max`.
    pub remind_max: Option<u32>,
    /// `escalate_after` (`None`: never escalated).
    pub escalate_after: Option<TimeDelta>,
    /// The owner's business hours (non-critical escalation counts only them).
    pub calendar: &'a Calendar,
}

/// What is on record of an incident's current schedules (those that started at `since`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ledger {
    /// The highest reminder number on record (0: none).
    pub reminded: u32,
    /// An escalation is on record.
    pub escalated: bool,
    /// The last time the owner was told about the incident (a notification to it sent, or
    /// being sent): every reminder due by then is covered by that message.
    pub last_told: Option<DateTime<Utc>>,
}

impl Ledger {
    /// The ledger of the schedules that started at `since`, from an incident's notification
    /// records (any state: a held or failed reminder still counts as made) and the owner
    /// team's id.
    pub fn of(records: &[NotificationRecord], since: DateTime<Utc>, owner: &str) -> Ledger {
        let mut ledger = Ledger::default();
        for record in records {
            if record.team() == owner {
                let told = match record.delivery.state {
                    DeliveryState::Sent => record.delivery.finished_at,
                    DeliveryState::Pending => Some(record.queued_since()),
                    _ => None,
                };
                if let Some(at) = told {
                    ledger.last_told = Some(ledger.last_told.map_or(at, |t| t.max(at)));
                }
            }
            let Some(step) = record.notification.step.filter(|s| s.since == since) else {
                continue;
            };
            match record.event() {
                Event::Reminder => ledger.reminded = ledger.reminded.max(step.n),
                Event::Escalated => ledger.escalated = true,
                _ => {}
            }
        }
        ledger
    }
}

/// What reminders an incident of `check` and `class` gets.
pub fn subject(check: CheckKind, class: IncidentClass) -> Subject {
    match (check, class) {
        (_, IncidentClass::SecretExpired) => Subject::Expired,
        (CheckKind::Expiry, _) => Subject::ExpiryWarning,
        _ => Subject::Failure,
    }
}

/// One follow-up owed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Reminder `n` (the latest due; earlier overdue ones are skipped, not sent in a burst).
    Reminder(Reminder),
    /// The escalation.
    Escalation,
}

/// The follow-ups owed at `now` to `incident` (open) given `ledger` and the owner's `rules`,
/// and when the next one is due after them (`None`: none is scheduled).
pub fn follow_ups(
    incident: &OpenIncident,
    ledger: &Ledger,
    rules: &FollowUpRules<'_>,
    now: DateTime<Utc>,
) -> (Vec<FollowUp>, Option<DateTime<Utc>>) {
    let schedule = Schedule {
        since: incident.since,
        severity: incident.severity,
        subject: subject(incident.check, incident.class),
        intervals: Some(rules.remind_after),
        max: rules.remind_max,
    };
    let mut owed = Vec::new();
    let mut later: Option<DateTime<Utc>> = None;
    let mut consider = |at: DateTime<Utc>| later = Some(later.map_or(at, |l| l.min(at)));
    // A message told after reminders came due covers them: no reminder right after a
    // released or retried notification.
    let covered = ledger
        .last_told
        .filter(|told| *told >= incident.since)
        .map_or(0, |told| schedule.due_by(told));
    match next(
        &schedule,
        incident.acknowledged,
        ledger.reminded.max(covered),
        now,
    ) {
        Some(reminder) if reminder.due <= now => {
            owed.push(FollowUp::Reminder(reminder));
            if let Some(after) = schedule.due(reminder.n.saturating_add(1)) {
                consider(after);
            }
        }
        Some(reminder) => consider(reminder.due),
        None => {}
    }
    let escalatable = Escalatable {
        since: incident.since,
        severity: incident.severity,
        open: true,
        acknowledged: incident.acknowledged,
        escalated: ledger.escalated,
    };
    match escalation(&escalatable, rules.escalate_after, rules.calendar, now) {
        Escalation::Now => owed.push(FollowUp::Escalation),
        Escalation::At(at) => consider(at),
        Escalation::Never => {}
    }
    (owed, later)
}

#[cfg(test)]
mod tests;
