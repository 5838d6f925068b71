//! The check state machine: what one probe outcome does to an integration's health, as a pure
//! function (previous state, observation, policy) -> (next state, incident changes).
//!
//! Two tracks per integration. `auth` follows what SFMC says about the credential and pages the
//! owning team. `monitor` follows credwatch's own ability to probe (e.g. `secret_unavailable`)
//! and goes to the platform team; while it fails, the auth track learns nothing and stays put.
//!
//! Per track: `Unknown`/`Healthy` --failure--> `Pending` --sustained--> `Firing` (incident
//! opened) --success--> `Recovering` --enough successes--> `Healthy` (incident resolved). A
//! confirmed definitive class skips `Pending`; a failure while recovering goes back to
//! `Firing` on the same incident. [`advance`] applies one probe; when to probe next is
//! [`crate::rules::schedule`]'s.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::incident::{
    CheckKind, Incident, IncidentChange, IncidentClass, IncidentFacts, IncidentId, PLATFORM_TEAM,
};
use crate::domain::outcome::{Kind, OutcomeClass};
use crate::domain::severity::Severity;
use crate::domain::state::{CheckState, Health, Track};
use crate::inventory::Integration;

/// When a track fires and resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Transient failures in a row before firing (definitive ones fire once confirmed).
    pub failures_to_fire: u32,
    /// ...and the run of failures must span at least this long.
    pub min_failure_span: Duration,
    /// Successes in a row that resolve a firing incident.
    pub successes_to_resolve: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            failures_to_fire: 3,
            min_failure_span: Duration::from_secs(10 * 60),
            successes_to_resolve: 2,
        }
    }
}

/// One completed probe, as the state machine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// What the probe concluded.
    pub class: OutcomeClass,
    /// A definitive class seen on two attempts in a row within the probe.
    pub confirmed: bool,
    /// When the probe completed.
    pub at: DateTime<Utc>,
    /// The probe's message in plain words (sanitized SFMC text included, never a secret): the
    /// message of an incident it opens or changes.
    pub message: String,
    /// Status of the HTTP answer that decided the class, if any.
    pub http_status: Option<u16>,
}

/// Which track an outcome class speaks about.
pub fn track_of(class: OutcomeClass) -> CheckKind {
    if class.kind() == Kind::Monitor {
        CheckKind::Monitor
    } else {
        CheckKind::Auth
    }
}

/// Who an incident of `check` on `integration` belongs to, and how severe it is: credwatch's
/// own failures (`monitor`) are the [`PLATFORM_TEAM`]'s at high severity, never the owner's.
pub fn owner_of(integration: &Integration, check: CheckKind) -> (String, Severity) {
    if check == CheckKind::Monitor {
        (PLATFORM_TEAM.to_string(), Severity::High)
    } else {
        (integration.owner.clone(), integration.severity)
    }
}

/// Pure: the next state and the incident changes one probe outcome causes.
///
/// The observation speaks to the auth track unless its class is a monitor one; every
/// non-monitor observation is also a success for the monitor track (credwatch could read the
/// secret and probe), while a monitor-class one leaves the auth track untouched. Changes come
/// monitor track first, then auth: a monitor incident resolving explains why the same probe
/// can now say something about the credential. Each track emits at most one.
///
/// Sets `last_probe_at` and `last_class`; leaves `next_probe_at` to
/// [`crate::rules::schedule`] and `version` to the store. Counters saturate, so no input makes
/// it panic.
pub fn advance(
    prev: &CheckState,
    integration: &Integration,
    obs: &Observation,
    policy: &Policy,
) -> (CheckState, Vec<IncidentChange>) {
    let mut next = prev.clone();
    next.last_probe_at = Some(obs.at);
    next.last_class = Some(obs.class);

    let mut changes = Vec::new();
    let CheckState {
        monitor,
        auth,
        incident_seq,
        ..
    } = &mut next;
    for (check, track) in [(CheckKind::Monitor, monitor), (CheckKind::Auth, auth)] {
        let Some(failed) = failed_for(check, obs.class) else {
            continue;
        };
        repair(track);
        let about = About {
            integration,
            check,
            owner: owner_of(integration, check),
        };
        let change = if failed {
            record_failure(track, &about, obs, policy, || {
                *incident_seq = incident_seq.saturating_add(1);
                IncidentId::new(&integration.id, check, *incident_seq)
            })
        } else {
            record_success(track, &about, obs.at, policy)
        };
        changes.extend(change);
    }
    (next, changes)
}

/// The track being advanced, and whose its incidents are.
struct About<'a> {
    integration: &'a Integration,
    check: CheckKind,
    owner: (String, Severity),
}

/// What a probe of `class` says about the `check` track: `Some(true)` a failure, `Some(false)`
/// a success, `None` nothing at all.
fn failed_for(check: CheckKind, class: OutcomeClass) -> Option<bool> {
    match (check, track_of(class)) {
        (CheckKind::Monitor, owner) => Some(owner == CheckKind::Monitor),
        (_, CheckKind::Monitor) => None,
        (_, _) => Some(class != OutcomeClass::Ok),
    }
}

/// Makes a state that `advance` itself never produces (hand-edited, or written by an older
/// version) consistent again, trusting the incident id over the health: an open incident must
/// still be resolved some day, while a firing track without one has nothing to resolve and
/// opens a proper incident if it keeps failing.
fn repair(track: &mut Track) {
    let in_incident = matches!(track.health, Health::Firing | Health::Recovering);
    match (track.open_incident.is_some(), in_incident) {
        (true, false) => track.health = Health::Firing,
        (false, true) => track.health = Health::Pending,
        _ => {}
    }
}

fn set_health(track: &mut Track, health: Health, at: DateTime<Utc>) {
    if track.health != health {
        track.health = health;
        track.since = Some(at);
    }
}

fn record_success(
    track: &mut Track,
    about: &About<'_>,
    at: DateTime<Utc>,
    policy: &Policy,
) -> Option<IncidentChange> {
    track.consecutive_failures = 0;
    track.first_failure_at = None;
    // Failures reset this, so a firing track counts its first success as 1.
    track.consecutive_successes = track.consecutive_successes.saturating_add(1);

    let recovered =
        track.open_incident.is_none() || track.consecutive_successes >= policy.successes_to_resolve;
    if !recovered {
        set_health(track, Health::Recovering, at);
        return None;
    }
    set_health(track, Health::Healthy, at);
    let class = track.class.take();
    let id = track.open_incident.take()?;
    // Only a repaired state has an incident without a class.
    let class = class.unwrap_or(match about.check {
        CheckKind::Monitor => OutcomeClass::SecretUnavailable,
        CheckKind::Auth | CheckKind::Expiry | CheckKind::Passive => OutcomeClass::AuthRejected,
    });
    let message = match about.check {
        CheckKind::Monitor => "credwatch can probe this integration again".to_string(),
        CheckKind::Auth | CheckKind::Expiry | CheckKind::Passive => format!(
            "{} works again: {} successful probes in a row",
            about.integration.name, policy.successes_to_resolve
        ),
    };
    Some(IncidentChange::Resolved {
        id,
        class: IncidentClass::Outcome(class),
        message,
        at,
    })
}

/// `open_incident` allocates the next incident id; it is called only when the track fires.
fn record_failure(
    track: &mut Track,
    about: &About<'_>,
    obs: &Observation,
    policy: &Policy,
    open_incident: impl FnOnce() -> IncidentId,
) -> Option<IncidentChange> {
    track.consecutive_failures = track.consecutive_failures.saturating_add(1);
    track.consecutive_successes = 0;
    let first_failure_at = *track.first_failure_at.get_or_insert(obs.at);
    let previous_class = track.class.replace(obs.class);
    let (team, severity) = about.owner.clone();

    if let Some(id) = track.open_incident.clone() {
        // Firing or recovering: the open incident follows the new class, never a second one.
        set_health(track, Health::Firing, obs.at);
        return match previous_class {
            Some(from) if from != obs.class => Some(IncidentChange::Changed {
                id,
                previous: IncidentFacts {
                    class: IncidentClass::Outcome(from),
                    severity,
                    threshold_days: None,
                },
                class: IncidentClass::Outcome(obs.class),
                severity,
                threshold_days: None,
                message: obs.message.clone(),
                http_status: obs.http_status,
                at: obs.at,
            }),
            _ => None,
        };
    }

    // An unrepresentably long span can never be reached, rather than being an error.
    let min_span = TimeDelta::from_std(policy.min_failure_span).unwrap_or(TimeDelta::MAX);
    let confirmed_definitive = obs.class.is_definitive() && obs.confirmed;
    let sustained = track.consecutive_failures >= policy.failures_to_fire
        && obs.at - first_failure_at >= min_span;
    if !(confirmed_definitive || sustained) {
        set_health(track, Health::Pending, obs.at);
        return None;
    }
    let id = open_incident();
    track.open_incident = Some(id.clone());
    set_health(track, Health::Firing, obs.at);
    Some(IncidentChange::Opened(Incident {
        id,
        integration: about.integration.id.clone(),
        check: about.check,
        class: IncidentClass::Outcome(obs.class),
        severity,
        team,
        open: true,
        // The outage began with the first failure of the streak, not when it was confirmed as
        // one: "since", the impact and the re-processing window count from there.
        opened_at: first_failure_at,
        updated_at: obs.at,
        resolved_at: None,
        threshold_days: None,
        message: obs.message.clone(),
        http_status: obs.http_status,
        class_since: None,
        ack: None,
    }))
}

#[cfg(test)]
mod tests;
