//! When an open, unacknowledged incident is escalated (an `escalated` notification to the
//! team's `escalate_to` team and to the owner): once, after the team's `escalate_after`. A
//! critical incident counts wall-clock time; a less severe one counts only the team's business
//! hours (see [`Calendar`]), so a Friday-evening warning does not escalate on Saturday.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::severity::Severity;
use crate::rules::business_hours::Calendar;

/// What to do about escalating an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// Escalate now (it is due at or before `now`).
    Now,
    /// Not yet: due at this instant, later than `now`.
    At(DateTime<Utc>),
    /// Never (from this state): resolved, acknowledged, escalated already, the team has no
    /// `escalate_after`, or the due time lies beyond what the calendar can reach.
    Never,
}

/// The incident as escalation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalatable {
    /// When its clock started: the incident's opening, or the class change that lifted an
    /// acknowledgement (acknowledging stops escalation until the class changes).
    pub since: DateTime<Utc>,
    /// Its severity: critical counts wall-clock time, anything less business time.
    pub severity: Severity,
    /// Still open.
    pub open: bool,
    /// Someone acknowledged it (and its class has not changed since).
    pub acknowledged: bool,
    /// It was escalated already (escalation happens once).
    pub escalated: bool,
}

/// Whether and when `incident` is escalated at `now`, for a team that escalates after
/// `escalate_after` (`None`: never) and works by `calendar`.
pub fn escalation(
    incident: &Escalatable,
    escalate_after: Option<TimeDelta>,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Escalation {
    let Some(after) = escalate_after else {
        return Escalation::Never;
    };
    if !incident.open || incident.acknowledged || incident.escalated {
        return Escalation::Never;
    }
    let due = if incident.severity == Severity::Critical {
        incident.since.checked_add_signed(after)
    } else {
        calendar.after_business_time(incident.since, after)
    };
    match due {
        None => Escalation::Never,
        Some(due) if due <= now => Escalation::Now,
        Some(due) => Escalation::At(due),
    }
}

#[cfg(test)]
mod tests;
