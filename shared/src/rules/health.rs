//! The check state machine: what one probe outcome does to an integration's health, as a pure
//! function (previous state, observation, policy) -> (next state, transitions).
//!
//! Two tracks per integration. `auth` follows what SFMC says about the credential and pages the
//! owning team. `monitor` follows credwatch's own ability to probe (e.g. `secret_unavailable`)
//! and goes to the platform team; while it fails, the auth track learns nothing and stays put.
//!
//! Per track: `Unknown`/`Healthy` --failure--> `Pending` --sustained--> `Firing` (incident
//! opened) --success--> `Recovering` --enough successes--> `Healthy` (incident resolved). A
//! confirmed definitive class skips `Pending`; a failure while recovering goes back to
//! `Firing` on the same incident. [`advance`] applies one probe, [`schedule`] says when to
//! probe next, [`first_probe_offset`] spreads the first probes of a new inventory.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::outcome::{Kind, OutcomeClass};

/// Health of one track, and of an integration (the worse of its tracks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Never probed yet.
    #[default]
    Unknown,
    Healthy,
    /// Failing, but not yet long enough (transient) to fire.
    Pending,
    /// An incident is open.
    Firing,
    /// Succeeding again, not yet long enough to resolve the incident.
    Recovering,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Healthy => "healthy",
            Health::Pending => "pending",
            Health::Firing => "firing",
            Health::Recovering => "recovering",
        }
    }

    pub fn parse(text: &str) -> Option<Health> {
        [
            Health::Unknown,
            Health::Healthy,
            Health::Pending,
            Health::Firing,
            Health::Recovering,
        ]
        .into_iter()
        .find(|h| h.as_str() == text)
    }

    /// How much attention the state needs; the integration shows its worst track.
    fn urgency(self) -> u8 {
        match self {
            Health::Unknown => 0,
            Health::Healthy => 1,
            Health::Pending => 2,
            Health::Recovering => 3,
            Health::Firing => 4,
        }
    }

    pub fn worst(a: Health, b: Health) -> Health {
        if b.urgency() > a.urgency() { b } else { a }
    }

    /// Not healthy: the integration is probed on the faster `recheck_every` cadence.
    pub fn needs_recheck(self) -> bool {
        matches!(self, Health::Pending | Health::Firing | Health::Recovering)
    }
}

/// Which check an incident belongs to (the `check` of the SNS contract and `credwatch status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Auth,
    Expiry,
    Monitor,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Auth => "auth",
            CheckKind::Expiry => "expiry",
            CheckKind::Monitor => "monitor",
        }
    }

    pub fn parse(text: &str) -> Option<CheckKind> {
        [CheckKind::Auth, CheckKind::Expiry, CheckKind::Monitor]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// Sustained-failure bookkeeping of one track.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Track {
    pub health: Health,
    /// The failing class while not healthy; the class of the open incident while firing.
    pub class: Option<OutcomeClass>,
    /// When `health` last changed.
    pub since: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    /// First failure of the current run of failures.
    pub first_failure_at: Option<DateTime<Utc>>,
    pub consecutive_successes: u32,
    /// Open incident of this track (while firing or recovering).
    pub open_incident: Option<String>,
}

/// Everything the monitor remembers about one integration between probes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckState {
    pub auth: Track,
    pub monitor: Track,
    /// Class of the last completed probe.
    pub last_class: Option<OutcomeClass>,
    pub last_probe_at: Option<DateTime<Utc>>,
    pub next_probe_at: Option<DateTime<Utc>>,
    /// Incidents ever opened for this integration; the next one gets `incident_seq + 1`. Part
    /// of the incident id, so overlapping invocations that compute the same transition compute
    /// the same id, and the conditional put lets only one of them open it.
    pub incident_seq: u32,
    /// Expiry warnings of the client secret (written by the expiry scan).
    pub expiry: crate::rules::expiry::ExpiryTrack,
    /// The open dead-man's-switch incident ("credwatch has not checked X since ..."): opened by
    /// the expiry scan, resolved by the next completed probe.
    pub stale_incident: Option<String>,
    /// Fingerprint of the client secret the last probe that read it used
    /// ([`crate::jobs::rotation::secret_fingerprint`]; never the secret): the baseline a Secrets
    /// Manager change event is compared with to tell a rotation from a re-save.
    pub secret_fingerprint: Option<String>,
    /// Optimistic-concurrency version, bumped by the store on every committed update.
    pub version: u64,
}

impl CheckState {
    /// The integration's health: the worse of its two tracks.
    pub fn health(&self) -> Health {
        Health::worst(self.auth.health, self.monitor.health)
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub class: OutcomeClass,
    /// A definitive class seen on two attempts in a row within the probe.
    pub confirmed: bool,
    pub at: DateTime<Utc>,
}

/// A change to an incident that the store must write, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Opened {
        incident_id: String,
        check: CheckKind,
        class: OutcomeClass,
    },
    /// The failure class changed while firing: the open incident is updated, not duplicated.
    ClassChanged {
        incident_id: String,
        check: CheckKind,
        from: OutcomeClass,
        to: OutcomeClass,
    },
    Resolved {
        incident_id: String,
        check: CheckKind,
        class: OutcomeClass,
    },
}

impl Transition {
    pub fn incident_id(&self) -> &str {
        match self {
            Transition::Opened { incident_id, .. }
            | Transition::ClassChanged { incident_id, .. }
            | Transition::Resolved { incident_id, .. } => incident_id,
        }
    }
}

/// The id of the `seq`-th incident of an integration, e.g. `crm-contact-sync:auth:3`.
pub fn incident_id(integration: &str, check: CheckKind, seq: u32) -> String {
    format!("{integration}:{}:{seq}", check.as_str())
}

/// Which track an outcome class speaks about.
pub fn track_of(class: OutcomeClass) -> CheckKind {
    if class.kind() == Kind::Monitor {
        CheckKind::Monitor
    } else {
        CheckKind::Auth
    }
}

/// Pure: the next state and the transitions one probe outcome causes.
///
/// The observation speaks to the auth track unless its class is a monitor one; every
/// non-monitor observation is also a success for the monitor track (credwatch could read the
/// secret and probe), while a monitor-class one leaves the auth track untouched. Transitions
/// come monitor track first, then auth: a monitor incident resolving explains why the same
/// probe can now say something about the credential. Each track emits at most one.
///
/// Sets `last_probe_at` and `last_class`; leaves `next_probe_at` to [`schedule`] and
/// `version` to the store. Counters saturate, so no input makes it panic.
pub fn advance(
    prev: &CheckState,
    integration: &str,
    obs: &Observation,
    policy: &Policy,
) -> (CheckState, Vec<Transition>) {
    let mut next = prev.clone();
    next.last_probe_at = Some(obs.at);
    next.last_class = Some(obs.class);

    let mut transitions = Vec::new();
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
        let transition = if failed {
            record_failure(track, check, obs, policy, || {
                *incident_seq = incident_seq.saturating_add(1);
                incident_id(integration, check, *incident_seq)
            })
        } else {
            record_success(track, check, obs.at, policy)
        };
        transitions.extend(transition);
    }
    (next, transitions)
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
    check: CheckKind,
    at: DateTime<Utc>,
    policy: &Policy,
) -> Option<Transition> {
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
    let incident_id = track.open_incident.take()?;
    Some(Transition::Resolved {
        incident_id,
        check,
        // Only a repaired state has an incident without a class.
        class: class.unwrap_or(match check {
            CheckKind::Monitor => OutcomeClass::SecretUnavailable,
            CheckKind::Auth | CheckKind::Expiry => OutcomeClass::AuthRejected,
        }),
    })
}

/// `open_incident` allocates the next incident id; it is called only when the track fires.
fn record_failure(
    track: &mut Track,
    check: CheckKind,
    obs: &Observation,
    policy: &Policy,
    open_incident: impl FnOnce() -> String,
) -> Option<Transition> {
    track.consecutive_failures = track.consecutive_failures.saturating_add(1);
    track.consecutive_successes = 0;
    let first_failure_at = *track.first_failure_at.get_or_insert(obs.at);
    let previous_class = track.class.replace(obs.class);

    if let Some(incident_id) = track.open_incident.clone() {
        // Firing or recovering: the open incident follows the new class, never a second one.
        set_health(track, Health::Firing, obs.at);
        return match previous_class {
            Some(from) if from != obs.class => Some(Transition::ClassChanged {
                incident_id,
                check,
                from,
                to: obs.class,
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
    let incident_id = open_incident();
    track.open_incident = Some(incident_id.clone());
    set_health(track, Health::Firing, obs.at);
    Some(Transition::Opened {
        incident_id,
        check,
        class: obs.class,
    })
}

/// However short the configured interval, probes of one integration stay this far apart.
const MIN_PROBE_GAP: Duration = Duration::from_secs(30);

/// Probes may come up to this fraction of the interval early, so integrations that fell due
/// together drift apart instead of hitting SFMC in bursts forever.
const MAX_JITTER: f64 = 0.1;

/// When to probe next after a probe at `at`: `probe_every` later while the integration is
/// healthy or unknown, `recheck_every` later while it is not, minus up to 10% of that interval
/// (`jitter` in `[0, 1)`, supplied by the caller so tests are deterministic; anything outside
/// is clamped, NaN counts as 0), and never sooner than 30 seconds after `at`.
pub fn schedule(
    state: &CheckState,
    at: DateTime<Utc>,
    probe_every: Duration,
    recheck_every: Duration,
    jitter: f64,
) -> DateTime<Utc> {
    let interval = if state.health().needs_recheck() {
        recheck_every
    } else {
        probe_every
    };
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    let early = interval.mul_f64(jitter * MAX_JITTER);
    let delay = interval.saturating_sub(early).max(MIN_PROBE_GAP);
    TimeDelta::from_std(delay)
        .ok()
        .and_then(|delay| at.checked_add_signed(delay))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A stable offset in `[0, probe_every)` (whole seconds; zero when `probe_every` is under a
/// second) for the first probe of a newly added integration, so that a freshly applied
/// inventory does not fall due all in the same minute. Derived from the id alone, so every
/// invocation and every version of credwatch computes the same offset.
pub fn first_probe_offset(integration: &str, probe_every: Duration) -> Duration {
    match probe_every.as_secs() {
        0 => Duration::ZERO,
        seconds => Duration::from_secs(fnv1a(integration.as_bytes()) % seconds),
    }
}

/// When a healthy integration is probed next: the first of its own slots (one every
/// `probe_every`, at phase [`first_probe_offset`] of the id) at least half an interval after
/// `at`. Integrations keep stable phases spread over the whole interval, whenever they were
/// added, so they never all fall due in the same minute; and the cadence is exactly
/// `probe_every` once on phase.
pub fn next_slot(integration: &str, at: DateTime<Utc>, probe_every: Duration) -> DateTime<Utc> {
    let period = i64::try_from(probe_every.as_secs())
        .unwrap_or(i64::MAX)
        .max(1);
    let phase = i64::try_from(first_probe_offset(integration, probe_every).as_secs()).unwrap_or(0);
    let earliest = at.timestamp().saturating_add(period / 2);
    let slots_before = (earliest - phase).div_euclid(period);
    let mut slot = slots_before.saturating_mul(period).saturating_add(phase);
    if slot < earliest {
        slot = slot.saturating_add(period);
    }
    DateTime::from_timestamp(slot, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// 64-bit FNV-1a: tiny, well spread for short ids, and fixed forever (unlike `std`'s
/// `DefaultHasher`, whose output may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests;
