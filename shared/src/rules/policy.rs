//! Whether a notification goes now, and to whom: the alert-operations policy every new
//! notification passes (the stream handler's and the sweep's alike), and the release of
//! notifications held back by it. Plain functions over plain data; `now` is a parameter.
//!
//! For one recipient team, in this order:
//!
//! 1. a silence or maintenance window matching the incident: **suppress** until it ends (kept,
//!    never lost: the sweep decides again then);
//! 2. critical: **send**, whatever the hour;
//! 3. outside the recipient's business hours: **defer** to the start of the next ones;
//! 4. otherwise **send**.
//!
//! Recipients ([`recipients`]): the owner; for an `escalated` notification also the owner's
//! `escalate_to` team; for a critical one outside the owner's business hours also its
//! `after_hours_to` team.
//!
//! Release ([`release`]): held notifications of one incident and recipient that come due
//! together are told in ONE message (the team does not wake to a burst): the `opened` if the
//! team was never told, else the latest that is not a reminder, else the latest reminder; the
//! others are superseded. Held reminders and escalations of an incident acknowledged meanwhile
//! are superseded (the ack stops them). A held notification whose incident resolved meanwhile is superseded,
//! except the resolve itself, sent when the team knew of the incident or when it was merely
//! deferred (the morning message then tells the whole night's story); an incident that opened
//! and resolved under a silence is never told.

use chrono::{DateTime, Utc};

use crate::domain::incident::Incident;
use crate::domain::severity::Severity;
use crate::notify::annotations::{HeldNote, HoldKind, OnBehalfOf, Role};
use crate::notify::delivery::{Decision, DecisionKind, NotificationRecord};
use crate::notify::notification::{Event, NotificationId};
use crate::rules::business_hours::Calendar;

/// A silence or maintenance window in force for an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// Silence or maintenance.
    pub kind: HoldKind,
    /// When it ends (no matching silence or window is in force any more).
    pub until: DateTime<Utc>,
    /// Its own words: `silence sil-abc123 (database upgrade) by ana`.
    pub reason: String,
}

/// What to do with one notification for one recipient now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Publish now.
    Send,
    /// Hold until `until`, the start of the recipient's next business hours.
    Defer {
        /// When business hours start.
        until: DateTime<Utc>,
        /// The same instant on the recipient's clock, `Tue 08:00 America/New_York` (what the
        /// team reads in the reason); empty when the team keeps UTC.
        local: String,
    },
    /// Hold until the silence or window ends.
    Suppress(Hold),
}

impl Verdict {
    /// The decision kind it stands for.
    pub fn kind(&self) -> DecisionKind {
        match self {
            Verdict::Send => DecisionKind::Send,
            Verdict::Defer { .. } => DecisionKind::Defer,
            Verdict::Suppress(_) => DecisionKind::Suppress,
        }
    }

    /// Until when it holds (`None` for send).
    pub fn until(&self) -> Option<DateTime<Utc>> {
        match self {
            Verdict::Send => None,
            Verdict::Defer { until, .. } => Some(*until),
            Verdict::Suppress(hold) => Some(hold.until),
        }
    }

    /// The decision on record for this verdict about a notification to `team` at `now`.
    pub fn decision(&self, team: &str, now: DateTime<Utc>) -> Decision {
        let decision = Decision::new(self.kind(), now, self.until(), self.reason(team));
        match self {
            Verdict::Send => decision,
            Verdict::Defer { .. } => decision.held_by(HoldKind::Deferred),
            Verdict::Suppress(hold) => decision.held_by(hold.kind),
        }
    }

    /// Why, in one line, for the decision log (`team` is the recipient).
    pub fn reason(&self, team: &str) -> String {
        match self {
            Verdict::Send => "sent".to_string(),
            Verdict::Defer { until, local } => format!(
                "outside the business hours of team {team}: deferred until {}{}",
                until.format("%Y-%m-%d %H:%M UTC"),
                if local.is_empty() {
                    String::new()
                } else {
                    format!(" ({local})")
                }
            ),
            Verdict::Suppress(hold) => format!(
                "{}: suppressed until {}",
                hold.reason,
                hold.until.format("%Y-%m-%d %H:%M UTC")
            ),
        }
    }
}

/// The verdict for a notification of `severity` to a recipient working by `calendar`, with
/// `hold` the silence or window in force for its incident (if any), at `now`.
pub fn verdict(
    severity: Severity,
    calendar: &Calendar,
    hold: Option<&Hold>,
    now: DateTime<Utc>,
) -> Verdict {
    if let Some(hold) = hold.filter(|h| h.until > now) {
        return Verdict::Suppress(hold.clone());
    }
    if severity == Severity::Critical {
        return Verdict::Send;
    }
    match calendar.next_open(now) {
        Some(open) if open > now => Verdict::Defer {
            until: open,
            local: calendar.local_label(open),
        },
        // Open now, or business hours that never come (days that all fall in skipped clock
        // hours): sending beats holding forever.
        _ => Verdict::Send,
    }
}

/// Who a notification goes to, besides its owner.
#[derive(Debug, Clone, Copy)]
pub struct Routing<'a> {
    /// The owning team.
    pub owner: &'a str,
    /// The owner's calendar.
    pub owner_calendar: &'a Calendar,
    /// The owner's `escalate_to`.
    pub escalate_to: Option<&'a str>,
    /// The owner's `after_hours_to`.
    pub after_hours_to: Option<&'a str>,
}

/// One recipient of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The team that receives it (the `team` message attribute).
    pub team: String,
    /// `None` for the owner; for another team, whose and why.
    pub on_behalf_of: Option<OnBehalfOf>,
}

/// The recipients of `event` at `severity` at `now`: the owner first, then the escalation
/// team (escalations), then the after-hours team (critical, outside the owner's business
/// hours); each team once.
pub fn recipients(
    event: Event,
    severity: Severity,
    routing: &Routing<'_>,
    now: DateTime<Utc>,
) -> Vec<Recipient> {
    let mut out = vec![Recipient {
        team: routing.owner.to_string(),
        on_behalf_of: None,
    }];
    let mut add = |team: Option<&str>, role: Role| {
        if let Some(team) = team
            && !out.iter().any(|r| r.team == team)
        {
            out.push(Recipient {
                team: team.to_string(),
                on_behalf_of: Some(OnBehalfOf {
                    owner: routing.owner.to_string(),
                    role,
                }),
            });
        }
    };
    if event == Event::Escalated {
        add(routing.escalate_to, Role::Escalation);
    }
    if severity == Severity::Critical && !routing.owner_calendar.is_open(now) {
        add(routing.after_hours_to, Role::AfterHours);
    }
    out
}

/// What becomes of one held notification that came due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// Publish it now, saying it was held (`note`) and, for an open incident, as the incident
    /// is now.
    Send(HeldNote),
    /// Not sent: `reason`.
    Supersede(String),
    /// Held again: the verdict of now holds it further.
    Hold(Verdict),
}

/// The release of `held`, the held notifications of ONE incident for ONE recipient that are
/// due, given the incident as stored now (`None`: gone), whether the recipient was already
/// told about this incident (a notification sent to it), and the recipient's verdict now.
/// One entry per held notification, in the order given.
pub fn release(
    held: &[&NotificationRecord],
    incident: Option<&Incident>,
    told: bool,
    verdict_now: &Verdict,
    now: DateTime<Utc>,
) -> Vec<(NotificationId, Release)> {
    // Someone took the incident while these were held: its reminders and escalations are
    // over (they were owed before the ack), whatever the hold says now.
    if let Some(ack) = incident
        .filter(|i| i.is_acknowledged())
        .and_then(|i| i.ack.as_ref())
        && held.iter().any(|r| is_follow_up(r))
    {
        let why = format!(
            "acknowledged by {} at {} while this was held: reminders and escalation stop",
            crate::text::printable::echo(&ack.by),
            ack.at.format("%Y-%m-%d %H:%M UTC")
        );
        let others: Vec<&NotificationRecord> =
            held.iter().copied().filter(|r| !is_follow_up(r)).collect();
        let mut decided: Vec<(NotificationId, Release)> =
            release(&others, incident, told, verdict_now, now);
        return held
            .iter()
            .map(|r| match decided.iter().position(|(id, _)| id == r.id()) {
                Some(at) => decided.swap_remove(at),
                None => (r.id().clone(), Release::Supersede(why.clone())),
            })
            .collect();
    }
    if !matches!(verdict_now, Verdict::Send) {
        return held
            .iter()
            .map(|r| (r.id().clone(), Release::Hold(verdict_now.clone())))
            .collect();
    }
    let note = held_note(held, now);
    let open = incident.is_some_and(|i| i.open);
    let latest = |pick: &dyn Fn(&NotificationRecord) -> bool| {
        held.iter()
            .filter(|r| pick(r))
            .max_by_key(|r| (r.created_at, r.id().clone()))
            .map(|r| r.id().clone())
    };
    let (chosen, why_not): (Option<NotificationId>, String) = if open {
        let chosen = (!told)
            .then(|| latest(&|r| r.event() == Event::Opened))
            .flatten()
            .or_else(|| latest(&|r| r.event() != Event::Reminder))
            .or_else(|| latest(&|_| true));
        let why = match &chosen {
            Some(id) => format!("told in one message with the others held with it: {id}"),
            None => String::new(),
        };
        (chosen, why)
    } else {
        let resolve = latest(&|r| r.event() == Event::Resolved);
        let deferred_only = note.kind == HoldKind::Deferred;
        match resolve {
            Some(id) if told || deferred_only => (
                Some(id.clone()),
                format!("the incident resolved while this was held: told by {id}"),
            ),
            Some(_) => (
                None,
                format!(
                    "the incident opened and resolved while held ({}): nothing to tell",
                    note.reason
                ),
            ),
            None => (
                None,
                "the incident resolved before this was sent: its resolve tells the rest"
                    .to_string(),
            ),
        }
    };
    held.iter()
        .map(|r| {
            let release = if chosen.as_ref() == Some(r.id()) {
                Release::Send(note.clone())
            } else {
                Release::Supersede(why_not.clone())
            };
            (r.id().clone(), release)
        })
        .collect()
}

/// A reminder or an escalation (what an ack stops).
fn is_follow_up(record: &NotificationRecord) -> bool {
    matches!(record.event(), Event::Reminder | Event::Escalated)
}

/// What held notifications went through: the first hold on record among them (its kind,
/// time and reason); a plain deferral at `now` when none is on record.
pub fn held_note(held: &[&NotificationRecord], now: DateTime<Utc>) -> HeldNote {
    held.iter()
        .flat_map(|r| r.delivery.decisions.iter())
        .filter(|d| matches!(d.kind, DecisionKind::Defer | DecisionKind::Suppress))
        .map(|d| HeldNote {
            kind: d.hold.unwrap_or(match d.kind {
                DecisionKind::Defer => HoldKind::Deferred,
                _ => HoldKind::Silenced,
            }),
            since: d.at,
            // A decision read back from the table is trusted no more than any other text.
            reason: crate::notify::scrub::scrub(&d.reason),
        })
        .min_by_key(|note| note.since)
        .unwrap_or(HeldNote {
            kind: HoldKind::Deferred,
            since: now,
            reason: String::new(),
        })
}

#[cfg(test)]
mod tests;
