//! One message instead of many: which group a new notification joins, and what its place in
//! the group's window means. Plain functions; the window itself is kept by the store
//! (`store::Groups`, a conditional write per joiner, so concurrent invocations agree).
//!
//! - **One credential, many integrations.** Integrations that share a Client Id on the same
//!   auth host and fail with the same definitive class (SFMC refused the credential, its
//!   network or its permissions) are told in ONE notice naming the credential, every affected
//!   integration and their owners. The first opening starts a window of the owner's
//!   `group_wait`; the notice goes when it ends, with whoever joined.
//! - **Many incidents of one team at once.** The first incident of a class for a team is told
//!   at once and starts a window of `group_wait`; from the `group_min`-th incident in that
//!   window on, the others are told together in ONE `digest` when it ends. Their resolves are
//!   grouped the same way (every one of them joins the resolve digest).
//!
//! Nothing waits longer than `group_wait` plus one sweep.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::incident::{CheckKind, IncidentClass, IncidentId};
use crate::inventory::Integration;

/// A group's window as the store keeps it, and the place of one joiner in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// When the window opened (its first joiner's time).
    pub window_start: DateTime<Utc>,
    /// When it closes: `window_start + group_wait`.
    pub window_end: DateTime<Utc>,
    /// The joiner's place, 1-based (1: it opened the window).
    pub position: u32,
    /// The incident that opened the window.
    pub leader: IncidentId,
}

/// What a group's window is keyed by (the store's partition of the window).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupKey(pub String);

/// The credential group of an incident of `check` and `class` of `integration`, when the
/// class is a definitive auth failure and another integration of `integrations` shares its
/// Client Id on the same auth host: the key and those other integrations' ids.
pub fn credential_group<'a>(
    integration: &Integration,
    check: CheckKind,
    class: IncidentClass,
    integrations: impl IntoIterator<Item = &'a Integration>,
) -> Option<(GroupKey, Vec<String>)> {
    let IncidentClass::Outcome(outcome) = class else {
        return None;
    };
    if check != CheckKind::Auth || !outcome.is_definitive() {
        return None;
    }
    let host = integration.auth_url.host_str()?;
    let siblings: Vec<String> = integrations
        .into_iter()
        .filter(|other| {
            other.id != integration.id
                && other.client_id == integration.client_id
                && other.auth_url.host_str() == Some(host)
        })
        .map(|other| other.id.clone())
        .collect();
    if siblings.is_empty() {
        return None;
    }
    Some((
        GroupKey(format!(
            "credential#{host}#{}#{}",
            integration.client_id,
            outcome.as_str()
        )),
        siblings,
    ))
}

/// The key of a team's window for openings of `class`.
pub fn team_group(team: &str, class: IncidentClass) -> GroupKey {
    GroupKey(format!("team#{team}#{}", class.as_str()))
}

/// The key of the window of the resolves of the members of digest `digest`.
pub fn resolve_group(digest: &str) -> GroupKey {
    GroupKey(format!("resolved#{digest}"))
}

/// What becomes of one joiner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// Told on its own, now.
    Alone,
    /// Held until `until`, then told in the group notification.
    Grouped {
        /// When the window closes.
        until: DateTime<Utc>,
    },
}

/// A team digest's joiner at `slot`: alone below `group_min` (the first, and the others
/// until the group is large enough), grouped from the `group_min`-th on.
pub fn team_grouping(slot: &Slot, group_min: u32) -> Grouping {
    if slot.position < group_min.max(2) {
        Grouping::Alone
    } else {
        Grouping::Grouped {
            until: slot.window_end,
        }
    }
}

/// `slot` as `joiner` holds it. A window's leader that joins again (its stream record retried
/// after a store failure, or the batch replayed) is still the one that opened it, place 1: it
/// must not become a member of its own digest and wait for the window to close.
pub fn as_joined_by(slot: Slot, joiner: &IncidentId) -> Slot {
    if &slot.leader == joiner {
        Slot {
            position: 1,
            ..slot
        }
    } else {
        slot
    }
}

/// Every joiner of a credential or resolve group is grouped: the first waits for the others.
pub fn always_grouped(slot: &Slot) -> Grouping {
    Grouping::Grouped {
        until: slot.window_end,
    }
}

/// When a window opened at `start` with `wait` closes.
pub fn window_end(start: DateTime<Utc>, wait: TimeDelta) -> DateTime<Utc> {
    start
        .checked_add_signed(wait)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests;
