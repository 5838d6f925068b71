//! Table-driven tests of the check state machine, and properties over arbitrary probe sequences.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::outcome::OutcomeClass::{self, *};
use crate::rules::schedule::{first_probe_offset, schedule};

const ID: &str = "crm";
const CONFIRMED: bool = true;
const UNCONFIRMED: bool = false;

fn minute(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap() + TimeDelta::minutes(n)
}

fn observation(class: OutcomeClass, confirmed: bool, at: DateTime<Utc>) -> Observation {
    Observation {
        class,
        confirmed,
        at,
        message: format!("probe said {class}"),
        http_status: Some(400),
    }
}

/// The integration the tables probe: id [`ID`], owned by `crm-ops` at high severity.
fn it() -> Integration {
    Integration {
        id: ID.into(),
        name: "CRM sync".into(),
        owner: "crm-ops".into(),
        severity: Severity::High,
        auth_url: "https://example.invalid/".parse().unwrap(),
        client_id: "abc".into(),
        client_secret: crate::secrets::SecretSource::Env("S".into()),
        account_id: None,
        expected_scopes: vec![],
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: vec![],
        records_per_hour: None,
        runbook: None,
        probe_every: Duration::from_secs(900),
        recheck_every: Duration::from_secs(120),
        expiry_warn_days: vec![30, 14, 7, 3, 1],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}

/// One line per change, so that tables can spell out what they expect.
fn describe(change: &IncidentChange) -> String {
    let id = change.id();
    let check = id.check().as_str();
    match change {
        IncidentChange::Opened(incident) => {
            format!("opened {id} {check} {}", incident.class)
        }
        IncidentChange::Changed {
            previous, class, ..
        } => {
            format!("changed {id} {check} {}->{class}", previous.class)
        }
        IncidentChange::Resolved { class, .. } => {
            format!("resolved {id} {check} {class}")
        }
    }
}

/// Minutes since the first probe, class, confirmed, then the expected auth health, monitor
/// health and transitions after that probe.
type Step = (
    i64,
    OutcomeClass,
    bool,
    Health,
    Health,
    &'static [&'static str],
);

use Health::{Firing, Healthy, Pending, Recovering, Unknown};

#[rustfmt::skip]
const CASES: &[(&str, &[Step])] = &[
    ("a confirmed revoked secret fires once, on the first probe", &[
        (0, ClientAuthFailed, CONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth client_auth_failed"]),
        (15, ClientAuthFailed, CONFIRMED, Firing, Healthy, &[]),
        (30, ClientAuthFailed, CONFIRMED, Firing, Healthy, &[]),
    ]),
    ("an unconfirmed definitive class waits like a transient one", &[
        (0, ClientAuthFailed, UNCONFIRMED, Pending, Healthy, &[]),
        (4, ClientAuthFailed, UNCONFIRMED, Pending, Healthy, &[]),
        (8, ClientAuthFailed, UNCONFIRMED, Pending, Healthy, &[]),
        (10, ClientAuthFailed, UNCONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth client_auth_failed"]),
    ]),
    ("three transient failures over 4 minutes wait; the one reaching 10 minutes fires", &[
        (0, Network, UNCONFIRMED, Pending, Healthy, &[]),
        (2, Network, UNCONFIRMED, Pending, Healthy, &[]),
        (4, Network, UNCONFIRMED, Pending, Healthy, &[]),
        (10, Network, UNCONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth network"]),
    ]),
    ("10 minutes are not enough without 3 failures", &[
        (0, Throttled, UNCONFIRMED, Pending, Healthy, &[]),
        (12, Throttled, UNCONFIRMED, Pending, Healthy, &[]),
        (13, Throttled, UNCONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth throttled"]),
    ]),
    ("confirmation means nothing for a transient class", &[
        (0, SfmcUnavailable, CONFIRMED, Pending, Healthy, &[]),
    ]),
    ("a single 503 blip followed by ok opens nothing", &[
        (0, Ok, UNCONFIRMED, Healthy, Healthy, &[]),
        (15, SfmcUnavailable, UNCONFIRMED, Pending, Healthy, &[]),
        (30, Ok, UNCONFIRMED, Healthy, Healthy, &[]),
        (45, Ok, UNCONFIRMED, Healthy, Healthy, &[]),
    ]),
    ("an ok in between restarts the count of failures", &[
        (0, Network, UNCONFIRMED, Pending, Healthy, &[]),
        (5, Network, UNCONFIRMED, Pending, Healthy, &[]),
        (10, Ok, UNCONFIRMED, Healthy, Healthy, &[]),
        // Counted from minute 0 this would be 4 failures over 14 minutes.
        (12, Network, UNCONFIRMED, Pending, Healthy, &[]),
        (14, Network, UNCONFIRMED, Pending, Healthy, &[]),
        (22, Network, UNCONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth network"]),
    ]),
    ("a confirmed definitive class fires at once out of pending", &[
        (0, Network, UNCONFIRMED, Pending, Healthy, &[]),
        (2, MissingScopes, CONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth missing_scopes"]),
    ]),
    ("a class change while firing updates the open incident", &[
        (0, ClientAuthFailed, CONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth client_auth_failed"]),
        (2, InvalidClientId, CONFIRMED, Firing, Healthy, &["changed crm:auth:1 auth client_auth_failed->invalid_client_id"]),
        (4, Network, UNCONFIRMED, Firing, Healthy, &["changed crm:auth:1 auth invalid_client_id->network"]),
        (6, Network, UNCONFIRMED, Firing, Healthy, &[]),
    ]),
    ("firing, ok, failing again goes back to firing on the same incident", &[
        (0, ClientAuthFailed, CONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth client_auth_failed"]),
        (2, Ok, UNCONFIRMED, Recovering, Healthy, &[]),
        (4, ClientAuthFailed, CONFIRMED, Firing, Healthy, &[]),
        (6, Ok, UNCONFIRMED, Recovering, Healthy, &[]),
        (8, Network, UNCONFIRMED, Firing, Healthy, &["changed crm:auth:1 auth client_auth_failed->network"]),
    ]),
    ("resolves after exactly 2 successes, with the incident's class", &[
        (0, WrongBusinessUnit, CONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth wrong_business_unit"]),
        (2, Ok, UNCONFIRMED, Recovering, Healthy, &[]),
        (4, Ok, UNCONFIRMED, Healthy, Healthy, &["resolved crm:auth:1 auth wrong_business_unit"]),
        (6, Ok, UNCONFIRMED, Healthy, Healthy, &[]),
    ]),
    ("secret_unavailable opens a monitor incident and leaves auth as it was", &[
        (0, Ok, UNCONFIRMED, Healthy, Healthy, &[]),
        (15, SecretUnavailable, CONFIRMED, Healthy, Pending, &[]),
        (20, SecretUnavailable, CONFIRMED, Healthy, Pending, &[]),
        (25, SecretUnavailable, CONFIRMED, Healthy, Firing, &["opened crm:monitor:1 monitor secret_unavailable"]),
        (30, Ok, UNCONFIRMED, Healthy, Recovering, &[]),
        (35, Ok, UNCONFIRMED, Healthy, Healthy, &["resolved crm:monitor:1 monitor secret_unavailable"]),
    ]),
    ("an answer that is not SFMC's, confirmed, opens a monitor incident at once and leaves auth as it was", &[
        (0, Ok, UNCONFIRMED, Healthy, Healthy, &[]),
        (15, IntermediaryBlocked, UNCONFIRMED, Healthy, Pending, &[]),
        (17, IntermediaryBlocked, CONFIRMED, Healthy, Firing, &["opened crm:monitor:1 monitor intermediary_blocked"]),
        (19, RequestRejected, CONFIRMED, Healthy, Firing, &["changed crm:monitor:1 monitor intermediary_blocked->request_rejected"]),
        (21, Ok, UNCONFIRMED, Healthy, Recovering, &[]),
        (23, Ok, UNCONFIRMED, Healthy, Healthy, &["resolved crm:monitor:1 monitor request_rejected"]),
        (25, ServiceNotFound, CONFIRMED, Firing, Healthy, &["opened crm:auth:2 auth service_not_found"]),
    ]),
    ("an unreadable secret neither resolves nor changes a firing auth incident", &[
        (0, ClientAuthFailed, CONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth client_auth_failed"]),
        (2, SecretUnavailable, UNCONFIRMED, Firing, Pending, &[]),
        (4, SecretUnavailable, UNCONFIRMED, Firing, Pending, &[]),
        (6, Ok, UNCONFIRMED, Recovering, Healthy, &[]),
    ]),
    ("the first probe reading no secret leaves auth unknown", &[
        (0, SecretUnavailable, UNCONFIRMED, Unknown, Pending, &[]),
        (1, Ok, UNCONFIRMED, Healthy, Healthy, &[]),
    ]),
    ("a failing credential still counts as a success for the monitor track", &[
        (0, SecretUnavailable, UNCONFIRMED, Unknown, Pending, &[]),
        (5, SecretUnavailable, UNCONFIRMED, Unknown, Pending, &[]),
        (10, SecretUnavailable, UNCONFIRMED, Unknown, Firing, &["opened crm:monitor:1 monitor secret_unavailable"]),
        (12, Network, UNCONFIRMED, Pending, Recovering, &[]),
        // Monitor transitions come first.
        (14, ClientAuthFailed, CONFIRMED, Firing, Healthy, &[
            "resolved crm:monitor:1 monitor secret_unavailable",
            "opened crm:auth:2 auth client_auth_failed",
        ]),
    ]),
    ("incident numbers keep increasing across incidents and tracks", &[
        (0, ClientAuthFailed, CONFIRMED, Firing, Healthy, &["opened crm:auth:1 auth client_auth_failed"]),
        (2, Ok, UNCONFIRMED, Recovering, Healthy, &[]),
        (4, Ok, UNCONFIRMED, Healthy, Healthy, &["resolved crm:auth:1 auth client_auth_failed"]),
        (6, IpNotAllowlisted, CONFIRMED, Firing, Healthy, &["opened crm:auth:2 auth ip_not_allowlisted"]),
        (8, Ok, UNCONFIRMED, Recovering, Healthy, &[]),
        (10, Ok, UNCONFIRMED, Healthy, Healthy, &["resolved crm:auth:2 auth ip_not_allowlisted"]),
        (12, SecretUnavailable, UNCONFIRMED, Healthy, Pending, &[]),
        (17, SecretUnavailable, UNCONFIRMED, Healthy, Pending, &[]),
        (22, SecretUnavailable, UNCONFIRMED, Healthy, Firing, &["opened crm:monitor:3 monitor secret_unavailable"]),
        (24, LegacyPackage, CONFIRMED, Firing, Recovering, &["opened crm:auth:4 auth legacy_package"]),
    ]),
];

#[test]
fn probe_sequences_follow_the_rules() {
    let policy = Policy::default();
    for (name, steps) in CASES {
        let mut state = CheckState::default();
        for (i, &(at, class, confirmed, auth, monitor, expected)) in steps.iter().enumerate() {
            let obs = observation(class, confirmed, minute(at));
            let (next, transitions) = advance(&state, &it(), &obs, &policy);
            let got: Vec<String> = transitions.iter().map(describe).collect();
            let context = format!("{name}: step {i} ({class} at minute {at})");
            assert_eq!(got, *expected, "{context}: transitions");
            assert_eq!(next.auth.health, auth, "{context}: auth health");
            assert_eq!(next.monitor.health, monitor, "{context}: monitor health");
            state = next;
        }
    }
}

/// Feeds `probes` (minute, class, confirmed) from the default state.
fn run(probes: &[(i64, OutcomeClass, bool)], policy: &Policy) -> (CheckState, Vec<IncidentChange>) {
    let mut state = CheckState::default();
    let mut all = Vec::new();
    for &(at, class, confirmed) in probes {
        let (next, transitions) = advance(
            &state,
            &it(),
            &observation(class, confirmed, minute(at)),
            policy,
        );
        state = next;
        all.extend(transitions);
    }
    (state, all)
}

#[test]
fn bookkeeping_of_a_failing_then_recovering_track() {
    let policy = Policy::default();
    let (pending, _) = run(&[(0, Network, false), (3, Throttled, false)], &policy);
    assert_eq!(
        pending.auth,
        Track {
            health: Pending,
            class: Some(Throttled),
            since: Some(minute(0)),
            consecutive_failures: 2,
            first_failure_at: Some(minute(0)),
            consecutive_successes: 0,
            open_incident: None,
        }
    );
    assert_eq!(pending.last_class, Some(Throttled));
    assert_eq!(pending.last_probe_at, Some(minute(3)));
    assert_eq!(pending.incident_seq, 0);

    let (recovering, _) = run(
        &[
            (0, ClientAuthFailed, true),
            (5, Network, false),
            (7, Ok, false),
        ],
        &policy,
    );
    assert_eq!(
        recovering.auth,
        Track {
            health: Recovering,
            class: Some(Network),
            since: Some(minute(7)),
            consecutive_failures: 0,
            first_failure_at: None,
            consecutive_successes: 1,
            open_incident: Some("crm:auth:1".parse().unwrap()),
        }
    );

    let (healthy, _) = run(
        &[(0, ClientAuthFailed, true), (5, Ok, false), (9, Ok, false)],
        &policy,
    );
    assert_eq!(healthy.auth.health, Healthy);
    assert_eq!(
        healthy.auth.class, None,
        "a healthy track has no failing class"
    );
    assert_eq!(healthy.auth.open_incident, None);
    assert_eq!(healthy.auth.since, Some(minute(9)));
    assert_eq!(healthy.incident_seq, 1);
}

#[test]
fn since_moves_only_when_health_changes() {
    let policy = Policy::default();
    let (state, _) = run(&[(0, Ok, false), (15, Ok, false)], &policy);
    assert_eq!(
        state.auth.since,
        Some(minute(0)),
        "unknown -> healthy is a change"
    );
    assert_eq!(state.monitor.since, Some(minute(0)));

    let (state, _) = run(
        &[(0, ClientAuthFailed, true), (2, InvalidClientId, true)],
        &policy,
    );
    assert_eq!(
        state.auth.since,
        Some(minute(0)),
        "a class change is not a health change"
    );
}

#[test]
fn advance_leaves_version_and_next_probe_to_others() {
    let prev = CheckState {
        version: 7,
        next_probe_at: Some(minute(30)),
        ..CheckState::default()
    };
    let (next, _) = advance(
        &prev,
        &it(),
        &observation(Ok, false, minute(15)),
        &Policy::default(),
    );
    assert_eq!(next.version, 7);
    assert_eq!(next.next_probe_at, Some(minute(30)));
    assert_eq!(next.last_probe_at, Some(minute(15)));
    assert_eq!(next.last_class, Some(Ok));
}

#[test]
fn a_monitor_failure_leaves_the_auth_track_exactly_as_it_was() {
    let policy = Policy::default();
    let (before, _) = run(&[(0, Network, false), (5, Throttled, false)], &policy);
    let (after, transitions) = advance(
        &before,
        &it(),
        &observation(SecretUnavailable, true, minute(9)),
        &policy,
    );
    assert_eq!(after.auth, before.auth);
    assert_eq!(after.monitor.health, Pending);
    assert!(transitions.is_empty());
}

#[test]
fn one_success_resolves_when_the_policy_asks_for_one_or_none() {
    for successes_to_resolve in [0, 1] {
        let policy = Policy {
            successes_to_resolve,
            ..Policy::default()
        };
        let (state, transitions) = run(&[(0, ClientAuthFailed, true), (2, Ok, false)], &policy);
        assert_eq!(
            state.auth.health, Healthy,
            "successes_to_resolve = {successes_to_resolve}"
        );
        let got: Vec<String> = transitions.iter().map(describe).collect();
        assert_eq!(
            got,
            [
                "opened crm:auth:1 auth client_auth_failed",
                "resolved crm:auth:1 auth client_auth_failed"
            ]
        );
    }
}

#[test]
fn a_zero_policy_fires_on_the_first_failure_of_any_kind() {
    let policy = Policy {
        failures_to_fire: 0,
        min_failure_span: Duration::ZERO,
        successes_to_resolve: 0,
    };
    let (state, transitions) = run(&[(0, Network, false)], &policy);
    assert_eq!(state.auth.health, Firing);
    assert_eq!(transitions.len(), 1);
}

#[test]
fn inconsistent_states_are_repaired_not_trusted() {
    let policy = Policy::default();
    let ok = observation(Ok, false, minute(0));

    // An open incident on a "healthy" track still gets resolved.
    let mut prev = CheckState::default();
    prev.auth.health = Healthy;
    prev.auth.open_incident = Some("crm:auth:9".parse().unwrap());
    prev.auth.class = Some(ClientAuthFailed);
    let (next, transitions) = advance(
        &prev,
        &it(),
        &ok,
        &Policy {
            successes_to_resolve: 1,
            ..policy.clone()
        },
    );
    assert_eq!(next.auth.health, Healthy);
    let got: Vec<String> = transitions.iter().map(describe).collect();
    assert_eq!(got, ["resolved crm:auth:9 auth client_auth_failed"]);

    // A "firing" track without an incident heals silently, or opens a real incident.
    let mut prev = CheckState::default();
    prev.auth.health = Firing;
    let (next, transitions) = advance(&prev, &it(), &ok, &policy);
    assert_eq!((next.auth.health, transitions), (Healthy, vec![]));
    let (next, transitions) = advance(
        &prev,
        &it(),
        &observation(ClientAuthFailed, true, minute(0)),
        &policy,
    );
    assert_eq!(
        next.auth.open_incident.as_ref().map(IncidentId::as_str),
        Some("crm:auth:1")
    );
    assert_eq!(transitions.len(), 1);

    // An incident without a class still resolves, with the track's catch-all class.
    let mut prev = CheckState::default();
    prev.monitor.health = Recovering;
    prev.monitor.consecutive_successes = 1;
    prev.monitor.open_incident = Some("crm:monitor:3".parse().unwrap());
    let (_, transitions) = advance(&prev, &it(), &ok, &policy);
    let got: Vec<String> = transitions.iter().map(describe).collect();
    assert_eq!(got, ["resolved crm:monitor:3 monitor secret_unavailable"]);
}

// --- Properties over arbitrary probe sequences ---

/// (class, confirmed, seconds since the previous probe): time never goes backwards.
fn probes() -> impl Strategy<Value = Vec<(OutcomeClass, bool, i64)>> {
    prop::collection::vec(
        (
            prop::sample::select(OutcomeClass::ALL.to_vec()),
            any::<bool>(),
            0..=30 * 60_i64,
        ),
        0..40,
    )
}

fn policies() -> impl Strategy<Value = Policy> {
    (0..6_u32, 0..40 * 60_u64, 0..6_u32).prop_map(
        |(failures_to_fire, span, successes_to_resolve)| Policy {
            failures_to_fire,
            min_failure_span: Duration::from_secs(span),
            successes_to_resolve,
        },
    )
}

/// Replays probes and checks every step against a model of the incidents opened so far.
#[derive(Default)]
struct Replay {
    state: CheckState,
    at: DateTime<Utc>,
    /// Per check, the incident the transitions say is open.
    open: HashMap<CheckKind, IncidentId>,
    ever_opened: HashSet<IncidentId>,
    resolved: HashSet<IncidentId>,
}

impl Replay {
    fn new() -> Self {
        Replay {
            at: minute(0),
            ..Replay::default()
        }
    }

    fn probe(
        &mut self,
        class: OutcomeClass,
        confirmed: bool,
        step_secs: i64,
        policy: &Policy,
    ) -> Vec<IncidentChange> {
        self.at += TimeDelta::seconds(step_secs);
        let (next, transitions) = advance(
            &self.state,
            &it(),
            &observation(class, confirmed, self.at),
            policy,
        );
        self.state = next;
        self.check_step(&transitions);
        transitions
    }

    fn check_step(&mut self, transitions: &[IncidentChange]) {
        // Property 3: nothing twice within one probe, at most one transition per track.
        for (i, transition) in transitions.iter().enumerate() {
            assert!(
                !transitions[..i].contains(transition),
                "duplicate {transition:?}"
            );
        }
        let checks: Vec<CheckKind> = transitions.iter().map(check_of).collect();
        let unique: HashSet<&CheckKind> = checks.iter().collect();
        assert_eq!(
            unique.len(),
            checks.len(),
            "two transitions for one track: {transitions:?}"
        );

        // Property 4: opened / resolved alternate per track, and ids are never reused.
        for transition in transitions {
            let check = check_of(transition);
            let id = transition.id().clone();
            match transition {
                IncidentChange::Opened(_) => {
                    assert!(
                        !self.open.contains_key(&check),
                        "opened while open: {transition:?}"
                    );
                    assert!(self.ever_opened.insert(id.clone()), "id reused: {id}");
                    assert_eq!(id, IncidentId::new(ID, check, self.state.incident_seq));
                    self.open.insert(check, id);
                }
                IncidentChange::Changed {
                    previous, class, ..
                } => {
                    assert_ne!(previous.class, *class);
                    assert_eq!(
                        self.open.get(&check),
                        Some(&id),
                        "changed a closed incident"
                    );
                }
                IncidentChange::Resolved { .. } => {
                    assert_eq!(
                        self.open.remove(&check).as_ref(),
                        Some(&id),
                        "resolved a closed incident"
                    );
                    assert!(self.resolved.insert(id), "resolved twice");
                }
            }
        }
        for (check, track) in [
            (CheckKind::Auth, &self.state.auth),
            (CheckKind::Monitor, &self.state.monitor),
        ] {
            let in_incident = matches!(track.health, Firing | Recovering);
            assert_eq!(
                track.open_incident.is_some(),
                in_incident,
                "{check:?}: {track:?}"
            );
            assert_eq!(
                track.open_incident.as_ref(),
                self.open.get(&check),
                "{check:?}"
            );
            assert_eq!(
                track.class.is_some(),
                !matches!(track.health, Healthy | Unknown),
                "{track:?}"
            );
        }
        assert_eq!(self.state.incident_seq as usize, self.ever_opened.len());
    }
}

fn check_of(transition: &IncidentChange) -> CheckKind {
    transition.id().check()
}

proptest! {
    /// Property 1: one transient failure among oks never opens anything.
    #[test]
    fn one_transient_failure_never_fires(
        oks_before in 0..10_usize,
        oks_after in 0..10_usize,
        failure in prop::sample::select(
            OutcomeClass::ALL.into_iter().filter(|class| class.is_transient()).collect::<Vec<_>>()
        ),
        confirmed in any::<bool>(),
        steps in prop::collection::vec(0..=30 * 60_i64, 20),
    ) {
        let policy = Policy::default();
        let mut replay = Replay::new();
        let classes = std::iter::repeat_n(Ok, oks_before)
            .chain([failure])
            .chain(std::iter::repeat_n(Ok, oks_after));
        for (class, step) in classes.zip(steps) {
            let transitions = replay.probe(class, confirmed, step, &policy);
            prop_assert!(transitions.is_empty(), "{transitions:?}");
        }
    }

    /// Property 2: enough oks after anything resolve everything.
    #[test]
    fn successes_to_resolve_oks_resolve_everything(
        prefix in probes(),
        policy in prop_oneof![Just(Policy::default()), policies()],
        ok_steps in prop::collection::vec(0..=30 * 60_i64, 6),
    ) {
        let mut replay = Replay::new();
        for &(class, confirmed, step) in &prefix {
            replay.probe(class, confirmed, step, &policy);
        }
        // Zero and one successes both mean "the first ok resolves".
        let needed = policy.successes_to_resolve.max(1) as usize;
        for &step in &ok_steps[..needed] {
            replay.probe(Ok, false, step, &policy);
        }
        for track in [&replay.state.auth, &replay.state.monitor] {
            prop_assert_eq!(track.health, Healthy);
            prop_assert_eq!(&track.open_incident, &None);
        }
        prop_assert!(replay.open.is_empty());
        prop_assert_eq!(&replay.resolved, &replay.ever_opened);
    }

    /// Properties 3 and 4 (checked by `Replay` after every probe), under the default policy
    /// and under arbitrary ones.
    #[test]
    fn transitions_and_states_stay_consistent(
        sequence in probes(),
        policy in prop_oneof![Just(Policy::default()), policies()],
    ) {
        let mut replay = Replay::new();
        for &(class, confirmed, step) in &sequence {
            replay.probe(class, confirmed, step, &policy);
        }
    }

    /// Whatever the stored state, policy and times, `advance` and `schedule` do not panic.
    #[test]
    fn never_panics(
        state in arbitrary_state(),
        class in prop::sample::select(OutcomeClass::ALL.to_vec()),
        confirmed in any::<bool>(),
        at in arbitrary_time(),
        failures_to_fire in any::<u32>(),
        span in any::<u64>(),
        successes_to_resolve in any::<u32>(),
        every in any::<u64>(),
        jitter in any::<f64>(),
    ) {
        let policy = Policy {
            failures_to_fire,
            min_failure_span: Duration::from_secs(span),
            successes_to_resolve,
        };
        let (next, _) = advance(&state, &it(), &observation(class, confirmed, at), &policy);
        let every = Duration::from_secs(every);
        schedule(&next, at, every, every, jitter);
        first_probe_offset(ID, every);
    }
}

fn arbitrary_time() -> impl Strategy<Value = DateTime<Utc>> {
    let range = DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp();
    range.prop_map(|seconds| DateTime::from_timestamp(seconds, 0).unwrap_or_default())
}

fn arbitrary_track() -> impl Strategy<Value = Track> {
    let health = prop::sample::select(vec![Unknown, Healthy, Pending, Firing, Recovering]);
    let class = prop::option::of(prop::sample::select(OutcomeClass::ALL.to_vec()));
    let time = || prop::option::of(arbitrary_time());
    (
        health,
        class,
        time(),
        any::<u32>(),
        time(),
        any::<u32>(),
        prop::option::of(
            ("[a-z0-9-]{1,12}", any::<u32>())
                .prop_map(|(integration, seq)| IncidentId::new(&integration, CheckKind::Auth, seq)),
        ),
    )
        .prop_map(
            |(
                health,
                class,
                since,
                consecutive_failures,
                first_failure_at,
                consecutive_successes,
                open_incident,
            )| {
                Track {
                    health,
                    class,
                    since,
                    consecutive_failures,
                    first_failure_at,
                    consecutive_successes,
                    open_incident,
                }
            },
        )
}

fn arbitrary_state() -> impl Strategy<Value = CheckState> {
    (arbitrary_track(), arbitrary_track(), any::<u32>()).prop_map(
        |(auth, monitor, incident_seq)| CheckState {
            auth,
            monitor,
            incident_seq,
            ..CheckState::default()
        },
    )
}

/// What the incidents a probe opens, changes and resolves say: whose they are, how severe,
/// and in which words (the owner's for auth, the platform team's for monitor).
#[test]
fn incident_changes_carry_the_owner_the_message_and_what_changed() {
    let policy = Policy {
        failures_to_fire: 1,
        min_failure_span: Duration::ZERO,
        successes_to_resolve: 2,
    };
    let cases = [
        (
            ClientAuthFailed,
            MissingScopes,
            "crm-ops",
            Severity::High,
            "CRM sync works again: 2 successful probes in a row",
        ),
        (
            SecretUnavailable,
            EndpointNotAllowed,
            PLATFORM_TEAM,
            Severity::High,
            "credwatch can probe this integration again",
        ),
    ];
    let mut owned_by_team = it();
    owned_by_team.severity = Severity::Critical;
    for (first, then, team, severity, resolved_message) in cases {
        let integration = if team == PLATFORM_TEAM {
            owned_by_team.clone()
        } else {
            it()
        };
        let probe = |state: &CheckState, class, at: i64| {
            let mut obs = observation(class, true, minute(at));
            obs.http_status = Some(401 + u16::try_from(at).unwrap());
            advance(state, &integration, &obs, &policy)
        };
        let (state, changes) = probe(&CheckState::default(), first, 1);
        let [IncidentChange::Opened(incident)] = changes.as_slice() else {
            panic!("{first}: {changes:?}")
        };
        let check = track_of(first);
        assert_eq!(
            incident,
            &Incident {
                id: IncidentId::new(ID, check, 1),
                integration: ID.into(),
                check,
                class: IncidentClass::Outcome(first),
                severity: if team == PLATFORM_TEAM {
                    Severity::High
                } else {
                    severity
                },
                team: team.into(),
                open: true,
                opened_at: minute(1),
                updated_at: minute(1),
                resolved_at: None,
                threshold_days: None,
                message: format!("probe said {first}"),
                http_status: Some(402),
                class_since: None,
                ack: None,
            },
            "{first}"
        );
        let (state, changes) = probe(&state, then, 2);
        assert_eq!(
            changes,
            [IncidentChange::Changed {
                id: IncidentId::new(ID, check, 1),
                previous: IncidentFacts {
                    class: IncidentClass::Outcome(first),
                    severity: incident.severity,
                    threshold_days: None,
                },
                class: IncidentClass::Outcome(then),
                severity: incident.severity,
                threshold_days: None,
                message: format!("probe said {then}"),
                http_status: Some(403),
                at: minute(2),
            }],
            "{first} -> {then}"
        );
        let (state, changes) = probe(&state, Ok, 3);
        assert!(
            changes.is_empty(),
            "{first}: one success is not enough: {changes:?}"
        );
        let (state, changes) = probe(&state, Ok, 4);
        assert_eq!(
            changes,
            [IncidentChange::Resolved {
                id: IncidentId::new(ID, check, 1),
                class: IncidentClass::Outcome(then),
                message: resolved_message.into(),
                at: minute(4),
            }],
            "{first}"
        );
        assert_eq!(state.incident_seq, 1);
    }
}

#[test]
fn owners_of_each_check() {
    let mut integration = it();
    integration.severity = Severity::Low;
    let cases = [
        (CheckKind::Auth, "crm-ops", Severity::Low),
        (CheckKind::Expiry, "crm-ops", Severity::Low),
        (CheckKind::Monitor, PLATFORM_TEAM, Severity::High),
    ];
    for (check, team, severity) in cases {
        assert_eq!(
            owner_of(&integration, check),
            (team.to_string(), severity),
            "{check:?}"
        );
    }
}

#[test]
fn a_repaired_incident_without_a_class_resolves_with_the_checks_default_class() {
    let policy = Policy {
        successes_to_resolve: 1,
        ..Policy::default()
    };
    let mut prev = CheckState::default();
    prev.auth.open_incident = Some(IncidentId::new(ID, CheckKind::Auth, 1));
    prev.monitor.open_incident = Some(IncidentId::new(ID, CheckKind::Monitor, 2));
    let (next, changes) = advance(&prev, &it(), &observation(Ok, false, minute(0)), &policy);
    let classes: Vec<(String, IncidentClass)> = changes
        .iter()
        .map(|c| (c.id().to_string(), c.class()))
        .collect();
    assert_eq!(
        classes,
        [
            (
                "crm:monitor:2".to_string(),
                IncidentClass::Outcome(SecretUnavailable)
            ),
            (
                "crm:auth:1".to_string(),
                IncidentClass::Outcome(AuthRejected)
            ),
        ]
    );
    assert_eq!(
        (next.auth.health, next.monitor.health),
        (Health::Healthy, Health::Healthy)
    );
}

/// Repair sets the health the state should have had all along, so `since` (when the health
/// last changed) is kept: the track has been in that health since then.
#[test]
fn repair_keeps_since_because_the_track_was_in_that_health_all_along() {
    let long_ago = Some(minute(-100));
    let id = IncidentId::new(ID, CheckKind::Auth, 1);
    // (health, open incident, probe) -> (health, since) after the probe
    let cases = [
        (
            Healthy,
            Some(id.clone()),
            ClientAuthFailed,
            Firing,
            long_ago,
        ),
        (Pending, Some(id.clone()), Throttled, Firing, long_ago),
        (
            Unknown,
            Some(id.clone()),
            ClientAuthFailed,
            Firing,
            long_ago,
        ),
        (Firing, None, Throttled, Pending, long_ago),
        (Recovering, None, Throttled, Pending, long_ago),
        // Consistent states: failure moves the health and `since` with it.
        (Healthy, None, Throttled, Pending, Some(minute(0))),
        (
            Recovering,
            Some(id.clone()),
            Throttled,
            Firing,
            Some(minute(0)),
        ),
    ];
    for (health, open_incident, class, after, since) in cases {
        let prev = CheckState {
            auth: Track {
                health,
                class: Some(ClientAuthFailed),
                since: long_ago,
                open_incident: open_incident.clone(),
                ..Track::default()
            },
            incident_seq: 1,
            ..CheckState::default()
        };
        let (next, _) = advance(
            &prev,
            &it(),
            &observation(class, false, minute(0)),
            &Policy::default(),
        );
        let context = format!("{health:?} with incident {open_incident:?}, then {class}");
        assert_eq!(next.auth.health, after, "{context}");
        assert_eq!(next.auth.since, since, "{context}");
    }
}

/// An incident covers its outage from the first failure of the streak that opened it (what
/// "since", the impact and the re-processing window of its messages count from), whether it
/// fired at once or only once the failures lasted.
#[test]
fn an_incident_opens_as_of_the_first_failure_of_its_streak() {
    let policy = Policy::default();
    let opened_at = |probes: &[(i64, OutcomeClass, bool)]| {
        let (_, changes) = run(probes, &policy);
        changes
            .iter()
            .find_map(|c| match c {
                IncidentChange::Opened(incident) => Some(incident.opened_at),
                _ => None,
            })
            .expect("an incident opened")
    };
    let unavailable = OutcomeClass::SfmcUnavailable;
    assert_eq!(
        opened_at(&[
            (0, OutcomeClass::Ok, false),
            (2, unavailable, false),
            (4, unavailable, false),
            (8, unavailable, false),
            (12, unavailable, false),
        ]),
        minute(2),
        "sustained: from the first failure"
    );
    assert_eq!(
        opened_at(&[
            (0, OutcomeClass::Ok, false),
            (2, unavailable, false),
            (4, OutcomeClass::ClientAuthFailed, true),
        ]),
        minute(2),
        "definitive after a transient one: the same streak"
    );
    assert_eq!(
        opened_at(&[
            (0, OutcomeClass::Ok, false),
            (4, OutcomeClass::ClientAuthFailed, true)
        ]),
        minute(4)
    );
}
