//! The dead-man's switch: an integration credwatch has not checked for too long opens a
//! `not_probed` incident for the platform team, resolved once probes resume; and retiring an
//! integration closes every incident it has open. Pure functions over plain data.

use chrono::{DateTime, Utc};

use crate::domain::incident::{CheckKind, Incident, IncidentChange, IncidentClass, IncidentId};
use crate::domain::outcome::OutcomeClass;
use crate::domain::state::{CheckState, Threshold};
use crate::inventory::Integration;

/// Why an integration counts as not being checked (the dead-man's switch), if it does: its last
/// completed probe is older than 3 x `probe_every`, or it was never probed a day after being added.
pub fn stale_reason(
    name: &str,
    probe_every: std::time::Duration,
    last_probe_at: Option<DateTime<Utc>>,
    added_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<String> {
    let limit = chrono::TimeDelta::from_std(probe_every.saturating_mul(3))
        .unwrap_or(chrono::TimeDelta::MAX);
    match last_probe_at {
        Some(last) if now - last > limit => Some(format!(
            "credwatch has not checked {name} since {} (it should every {}); probes of it are failing to run",
            last.format("%Y-%m-%d %H:%M UTC"),
            crate::text::duration::format_duration(probe_every)
        )),
        None if now - added_at > chrono::TimeDelta::days(1) => Some(format!(
            "credwatch has never checked {name}, added {}; probes of it are failing to run",
            added_at.format("%Y-%m-%d %H:%M UTC")
        )),
        _ => None,
    }
}

/// Pure: what the dead-man's switch does to `integration` at `now`: opens a `not_probed`
/// incident (numbered from `incident_seq`) when it is stale and none is open, resolves the open
/// one when it is no longer stale, else nothing. Updates `state.stale_incident`.
pub fn check_stale(
    integration: &Integration,
    state: &mut CheckState,
    added_at: DateTime<Utc>,
    now: DateTime<Utc>,
    incident_seq: &mut u32,
) -> Option<IncidentChange> {
    let stale = stale_reason(
        &integration.name,
        integration.probe_every,
        state.last_probe_at,
        added_at,
        now,
    );
    match (stale, state.stale_incident.clone()) {
        (Some(message), None) => {
            *incident_seq = incident_seq.saturating_add(1);
            let id = IncidentId::new(&integration.id, CheckKind::Monitor, *incident_seq);
            state.stale_incident = Some(id.clone());
            Some(IncidentChange::Opened(Incident::for_platform(
                id,
                &integration.id,
                IncidentClass::NotProbed,
                message,
                now,
            )))
        }
        (None, Some(open)) => {
            state.stale_incident = None;
            Some(resolve_stale(open, &integration.name, now))
        }
        _ => None,
    }
}

/// The change that resolves the open dead-man's-switch incident `id` of the integration named
/// `name`: credwatch checks it again (a completed probe, or a scan that finds it fresh).
pub fn resolve_stale(id: IncidentId, name: &str, now: DateTime<Utc>) -> IncidentChange {
    IncidentChange::Resolved {
        id,
        class: IncidentClass::NotProbed,
        message: format!("credwatch is checking {name} again"),
        at: now,
    }
}

/// Pure: what retiring does to an integration's state: every open incident (auth, monitor,
/// expiry, dead-man's switch) resolved, saying why, and every track forgotten, so that if the
/// integration comes back it is watched afresh (and warns again) rather than staying silent.
pub fn retire_state(
    integration: &Integration,
    state: &mut CheckState,
    now: DateTime<Utc>,
) -> Vec<IncidentChange> {
    let message = format!(
        "{} is no longer in the inventory, so credwatch no longer watches it",
        integration.name
    );
    // Only a hand-edited state has an open incident without a class or threshold.
    let outcome =
        |class: Option<OutcomeClass>, or: OutcomeClass| IncidentClass::Outcome(class.unwrap_or(or));
    let open = [
        (
            state.auth.open_incident.take(),
            outcome(state.auth.class, OutcomeClass::AuthRejected),
        ),
        (
            state.monitor.open_incident.take(),
            outcome(state.monitor.class, OutcomeClass::SecretUnavailable),
        ),
        (
            state.expiry.open_incident.take(),
            state
                .expiry
                .threshold
                .map_or(IncidentClass::SecretExpiring, Threshold::class),
        ),
        (state.stale_incident.take(), IncidentClass::NotProbed),
    ];
    state.auth = Default::default();
    state.monitor = Default::default();
    state.expiry = Default::default();
    open.into_iter()
        .filter_map(|(id, class)| {
            id.map(|id| IncidentChange::Resolved {
                id,
                class,
                message: message.clone(),
                at: now,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
