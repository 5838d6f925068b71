//! The change a DynamoDB stream record of an incident item stands for: its old and new images,
//! decoded, become at most one [`IncidentChange`], the same change type the probe cycle and the
//! expiry scan write. Which changes are worth a message is
//! [`events_for`](crate::notify::notification::events_for)'s decision, not this one's.

use crate::domain::incident::{Incident, IncidentChange, IncidentFacts};

/// The change from `old` to `new` (each `None` when the record carries no such image):
///
/// | old | new | change |
/// |---|---|---|
/// | absent, or resolved | open | [`IncidentChange::Opened`] (a resolved incident is replaced only by reporting an unreadable item again) |
/// | open | open | [`IncidentChange::Changed`] with the old class, severity and threshold as `previous`, at the new `updated_at` |
/// | open | resolved | [`IncidentChange::Resolved`] with the class it had, the new message, at `resolved_at` |
/// | any | absent | none (a TTL deletion or `--prune`) |
/// | absent, or resolved | resolved | none (nothing opened or ended) |
pub fn change_between(old: Option<&Incident>, new: Option<&Incident>) -> Option<IncidentChange> {
    let new = new?;
    match old.filter(|old| old.open) {
        None if new.open => Some(IncidentChange::Opened(new.clone())),
        None => None,
        Some(old) if new.open => Some(IncidentChange::Changed {
            id: new.id.clone(),
            previous: facts(old),
            class: new.class,
            severity: new.severity,
            threshold_days: new.threshold_days,
            message: new.message.clone(),
            http_status: new.http_status,
            at: new.updated_at,
        }),
        Some(old) => Some(IncidentChange::Resolved {
            id: new.id.clone(),
            class: old.class,
            message: new.message.clone(),
            at: new.resolved_at.unwrap_or(new.updated_at),
        }),
    }
}

/// What an incident is, for [`IncidentChange::Changed::previous`].
pub fn facts(incident: &Incident) -> IncidentFacts {
    IncidentFacts {
        class: incident.class,
        severity: incident.severity,
        threshold_days: incident.threshold_days,
    }
}

#[cfg(test)]
mod tests;
