//! The change a DynamoDB stream record of an incident item stands for: its old and new images,
//! decoded, become at most one [`IncidentChange`], the same change type the probe cycle and the
//! expiry scan write. Which changes are worth a message is
//! [`events_for`](crate::notify::notification::events_for)'s decision, not this one's.

use crate::domain::incident::{Acknowledgement, Incident, IncidentChange, IncidentFacts};

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

/// A change of who is on an incident, as a stream record of its item shows it (see
/// [`ack_change`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckChange {
    /// Someone acknowledged the open incident (or took it over from someone else).
    Acknowledged(Acknowledgement),
    /// The acknowledgement was removed from the open incident (`credwatch unack`).
    Unacknowledged {
        /// The acknowledgement that was removed.
        was: Acknowledgement,
    },
}

/// What an image pair says about acknowledgement: a new or different ack on an open incident
/// (compare by `at`, `by`) -> Acknowledged; an ack removed from an open incident ->
/// Unacknowledged; anything else None (a resolve that keeps the attribute is not an unack).
///
/// | old | new | result |
/// |---|---|---|
/// | any (absent, open or resolved), without that ack | open, with an ack | `Acknowledged` |
/// | open, with the same ack (`at` and `by`; a note edit alone is none) | open, with it | none (a probe's write) |
/// | open, with an ack | open, without | `Unacknowledged { was }` |
/// | resolved or absent, with or without an ack | open, without | none (reopened, not an unack) |
/// | any | resolved or absent | none |
///
/// Whether the ack still counts ([`Incident::is_acknowledged`]) is not this rule's concern: a
/// class change lifts it without a stream-visible unack (the `changed` notification says so).
pub fn ack_change(old: Option<&Incident>, new: Option<&Incident>) -> Option<AckChange> {
    let new = new.filter(|new| new.open)?;
    let was = old.and_then(|old| old.ack.as_ref());
    match (&new.ack, was) {
        (Some(ack), Some(was)) if ack.at == was.at && ack.by == was.by => None,
        (Some(ack), _) => Some(AckChange::Acknowledged(ack.clone())),
        (None, Some(was)) if old.is_some_and(|old| old.open) => {
            Some(AckChange::Unacknowledged { was: was.clone() })
        }
        (None, _) => None,
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
