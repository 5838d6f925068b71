//! Table-driven tests of the pattern rules over simulated time.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::domain::incident::{CheckKind, Incident, IncidentChange};
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{CallKind, CounterKey, EventSource, MinuteCounts, SfmcCall};
use crate::domain::severity::Severity;
use crate::domain::state::Health;
use crate::notify::fixtures::integration;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0)
        .single()
        .expect("valid time")
}

fn min(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

fn key(
    kind: CallKind,
    status: Option<u16>,
    code: Option<&str>,
    class: Option<OutcomeClass>,
) -> CounterKey {
    CounterKey {
        call_kind: kind,
        status,
        code: code.map(str::to_string),
        class,
    }
}

fn ok(kind: CallKind) -> CounterKey {
    key(kind, Some(200), None, Some(OutcomeClass::Ok))
}

fn bad_secret() -> CounterKey {
    key(
        CallKind::Token,
        Some(401),
        Some("invalid_client"),
        Some(OutcomeClass::ClientAuthFailed),
    )
}

fn rest_401() -> CounterKey {
    key(
        CallKind::Rest,
        Some(401),
        None,
        Some(OutcomeClass::RestUnauthorized),
    )
}

/// Minutes from `(minute offset, key, count)` rows.
fn minutes(rows: &[(i64, CounterKey, u64)]) -> Vec<MinuteCounts> {
    let mut by: BTreeMap<DateTime<Utc>, BTreeMap<CounterKey, u64>> = BTreeMap::new();
    for (m, k, n) in rows {
        *by.entry(min(*m)).or_default().entry(k.clone()).or_default() += n;
    }
    by.into_iter()
        .map(|(minute, counts)| MinuteCounts {
            integration: "loyalty-feed".into(),
            minute,
            counts,
        })
        .collect()
}

fn call(m: i64, kind: CallKind, status: u16, class: OutcomeClass) -> SfmcCall {
    SfmcCall {
        event_id: format!("e{m}"),
        integration_id: "loyalty-feed".into(),
        source: EventSource::Https,
        received_at: min(m),
        class: Some(class),
        observed_at: min(m),
        call_kind: kind,
        count: 1,
        window_secs: None,
        host: None,
        method: None,
        path_template: None,
        status: Some(status),
        sfmc_errorcode: None,
        oauth_error: None,
        soap_fault: None,
        message: None,
        retry_after_secs: None,
        resend_count: None,
        token_age_secs: None,
        network_error: None,
        account_id: None,
        client_id: None,
        reporter: None,
        trace_id: None,
    }
}

struct Case {
    now: i64,
    minutes: Vec<MinuteCounts>,
    batch: Vec<SfmcCall>,
    state: PassiveState,
    probe: ProbeView,
    open: Vec<Incident>,
}

impl Case {
    fn new(now: i64) -> Case {
        Case {
            now,
            minutes: Vec::new(),
            batch: Vec::new(),
            state: PassiveState::default(),
            probe: ProbeView::default(),
            open: Vec::new(),
        }
    }

    fn run(&self) -> PassiveDecision {
        let integration = integration();
        evaluate(&PassiveInputs {
            now: min(self.now),
            integration: &integration,
            minutes: &self.minutes,
            batch: &self.batch,
            state: &self.state,
            probe: &self.probe,
            open: &self.open,
        })
    }
}

fn opened(decision: &PassiveDecision, pattern: PassivePattern) -> Option<&Incident> {
    decision.changes.iter().find_map(|c| match c {
        IncidentChange::Opened(i) if i.class == pattern.class() => Some(i),
        _ => None,
    })
}

fn resolved(decision: &PassiveDecision, pattern: PassivePattern) -> bool {
    decision
        .changes
        .iter()
        .any(|c| matches!(c, IncidentChange::Resolved { class, .. } if *class == pattern.class()))
}

/// The incident `pattern` opens in `case`, as an open incident for the next evaluation.
fn open_incident(case: &Case, pattern: PassivePattern) -> Incident {
    let decision = case.run();
    opened(&decision, pattern)
        .cloned()
        .expect("the case opens the pattern")
}

#[test]
fn empty_inputs_decide_nothing() {
    let decision = Case::new(0).run();
    assert!(decision.changes.is_empty());
    assert!(!decision.probe_now);
    assert_eq!(decision.state, PassiveState::default());
}

#[test]
fn a_reported_credential_failure_opens_at_once_and_asks_for_a_probe() {
    let mut case = Case::new(10);
    case.minutes = minutes(&[(5, ok(CallKind::Token), 1), (10, bad_secret(), 2)]);
    case.batch = vec![call(
        10,
        CallKind::Token,
        401,
        OutcomeClass::ClientAuthFailed,
    )];
    case.probe = ProbeView {
        health: Health::Healthy,
        last_class: Some(OutcomeClass::Ok),
        last_probe_at: Some(min(2)),
        missing_scopes: Vec::new(),
    };
    let decision = case.run();
    assert!(decision.probe_now);
    let incident = opened(&decision, PassivePattern::ReportedAuthFailure).expect("opened");
    assert_eq!(incident.id.as_str(), "loyalty-feed:passive:1");
    assert_eq!(incident.check, CheckKind::Passive);
    assert_eq!(incident.severity, Severity::High);
    assert_eq!(incident.team, "crm-ops");
    assert_eq!(incident.http_status, Some(401));
    assert!(
        incident.message.contains("2 failed token requests"),
        "{}",
        incident.message
    );
    assert!(
        incident.message.contains("client_auth_failed"),
        "{}",
        incident.message
    );
    assert!(
        incident.message.contains("probe of this credential succeeds (last at 2026-12-01 03:02 UTC): the integration likely uses an outdated secret"),
        "{}",
        incident.message
    );

    // The probe fails too: the message says so.
    case.probe.health = Health::Firing;
    case.probe.last_class = Some(OutcomeClass::ClientAuthFailed);
    let decision = case.run();
    let incident = opened(&decision, PassivePattern::ReportedAuthFailure).expect("opened");
    assert!(
        incident.message.contains("fails too"),
        "{}",
        incident.message
    );

    // Already open: no second Opened, no churn.
    case.open = vec![incident.clone()];
    case.minutes = minutes(&[(10, bad_secret(), 2), (11, bad_secret(), 5)]);
    let decision = case.run();
    assert!(decision.changes.is_empty(), "{:?}", decision.changes);
    // Nor a token request per reported batch: the probe looked 8 minutes ago.
    assert!(!decision.probe_now);
    // It looked 15 minutes ago or more (or never): ask again.
    case.probe.last_probe_at = Some(min(10) - chrono::TimeDelta::minutes(15));
    assert!(case.run().probe_now);
    case.probe.last_probe_at = Some(min(10) - chrono::TimeDelta::minutes(14));
    assert!(!case.run().probe_now);
    case.probe.last_probe_at = None;
    assert!(case.run().probe_now);
    // A batch without a credential failure never asks.
    case.batch = vec![call(10, CallKind::Token, 200, OutcomeClass::Ok)];
    assert!(!case.run().probe_now);
}

#[test]
fn reported_auth_failure_resolves_on_success_not_on_quiet() {
    let mut case = Case::new(10);
    case.minutes = minutes(&[(10, bad_secret(), 1)]);
    let incident = open_incident(&case, PassivePattern::ReportedAuthFailure);
    // Quiet: no report since. Still open.
    let mut later = Case::new(40);
    later.minutes = minutes(&[(10, bad_secret(), 1)]);
    later.open = vec![incident.clone()];
    assert!(later.run().changes.is_empty());
    // A success in the same minute as the failure does not resolve it.
    later.minutes = minutes(&[(10, bad_secret(), 1), (10, ok(CallKind::Token), 1)]);
    assert!(later.run().changes.is_empty());
    // A token success after the last failure does.
    later.minutes = minutes(&[(10, bad_secret(), 1), (12, ok(CallKind::Token), 1)]);
    assert!(resolved(&later.run(), PassivePattern::ReportedAuthFailure));
    // A REST success alone does not, while token failures are the evidence.
    later.minutes = minutes(&[(10, bad_secret(), 1), (12, ok(CallKind::Rest), 1)]);
    assert!(later.run().changes.is_empty());
}

/// One worker on the old secret, another on the new one: failures and successes alternate at
/// each token refresh. One incident stays open; it is not resolved and opened again each time.
#[test]
fn reported_auth_failure_does_not_flap_between_old_and_new_secret_workers() {
    let mut case = Case::new(10);
    case.minutes = minutes(&[(10, bad_secret(), 1)]);
    let incident = open_incident(&case, PassivePattern::ReportedAuthFailure);
    let mut rows = vec![(10, bad_secret(), 1)];
    for step in 1..=4 {
        rows.push((10 + step * 6 - 3, ok(CallKind::Token), 1));
        let mut later = Case::new(10 + step * 6 - 2);
        later.minutes = minutes(&rows);
        later.open = vec![incident.clone()];
        assert!(
            later.run().changes.is_empty(),
            "after the success of step {step}"
        );
        rows.push((10 + step * 6, bad_secret(), 1));
    }
    // Half an hour after the last failure, with a success since: resolved.
    let mut quiet = Case::new(34 + 30);
    quiet.minutes = minutes(&[(34, bad_secret(), 1), (40, ok(CallKind::Token), 1)]);
    quiet.open = vec![incident.clone()];
    assert!(resolved(&quiet.run(), PassivePattern::ReportedAuthFailure));
}

/// A 401 from the token endpoint without SFMC's words (status only: a proxy may have said it)
/// is no immediate page: it counts like REST 401s, after ten minutes without a success.
#[test]
fn a_bare_token_401_opens_only_when_sustained() {
    let bare = key(
        CallKind::Token,
        Some(401),
        None,
        Some(OutcomeClass::AuthRejected),
    );
    let mut case = Case::new(5);
    case.minutes = minutes(&[(5, bare.clone(), 3)]);
    assert!(opened(&case.run(), PassivePattern::ReportedAuthFailure).is_none());
    let mut sustained = Case::new(15);
    sustained.minutes = minutes(&[(5, bare.clone(), 3), (15, bare, 2)]);
    assert!(opened(&sustained.run(), PassivePattern::ReportedAuthFailure).is_some());
}

#[test]
fn sustained_rest_401s_open_after_ten_minutes_without_success() {
    for (rows, opens) in [
        (vec![(0, rest_401(), 1), (9, rest_401(), 1)], false),
        (vec![(0, rest_401(), 1), (10, rest_401(), 1)], true),
        (
            vec![
                (0, rest_401(), 1),
                (5, ok(CallKind::Rest), 1),
                (10, rest_401(), 1),
            ],
            false,
        ),
        (
            vec![
                (0, rest_401(), 1),
                (10, rest_401(), 1),
                (11, ok(CallKind::Rest), 1),
            ],
            false,
        ),
        // Each 401 retried with success within its minute (a race, pattern 2): never sustained.
        (
            vec![
                (0, rest_401(), 1),
                (0, ok(CallKind::Rest), 5),
                (6, rest_401(), 1),
                (6, ok(CallKind::Rest), 5),
                (11, rest_401(), 1),
                (11, ok(CallKind::Rest), 5),
            ],
            false,
        ),
    ] {
        let mut case = Case::new(12);
        case.minutes = minutes(&rows);
        let decision = case.run();
        assert_eq!(
            opened(&decision, PassivePattern::ReportedAuthFailure).is_some(),
            opens,
            "{rows:?}"
        );
        assert!(!decision.probe_now);
    }
}

#[test]
fn token_refresh_race_counts_401s_followed_by_success() {
    let mut case = Case::new(59);
    case.minutes = minutes(&[
        (10, rest_401(), 1),
        (11, ok(CallKind::Rest), 50),
        (28, rest_401(), 1),
        (30, ok(CallKind::Rest), 50),
        (46, rest_401(), 1),
        (46, ok(CallKind::Rest), 50),
    ]);
    let mut with_age = call(46, CallKind::Rest, 401, OutcomeClass::RestUnauthorized);
    with_age.token_age_secs = Some(1_070);
    let mut older = with_age.clone();
    older.token_age_secs = Some(1_079);
    case.batch = vec![with_age, older];
    let decision = case.run();
    let incident = opened(&decision, PassivePattern::TokenRefreshRace).expect("opened");
    assert_eq!(incident.severity, Severity::Low);
    assert!(
        incident.message.contains("3 REST/SOAP calls"),
        "{}",
        incident.message
    );
    assert!(
        incident.message.contains("1,070-1,079 s old"),
        "{}",
        incident.message
    );
    // No ReportedAuthFailure for raced 401s.
    assert!(opened(&decision, PassivePattern::ReportedAuthFailure).is_none());

    // A 401 followed by success only 3 minutes later is no race: below the threshold.
    let mut slow = Case::new(59);
    slow.minutes = minutes(&[
        (10, rest_401(), 1),
        (13, ok(CallKind::Rest), 50),
        (28, rest_401(), 1),
        (30, ok(CallKind::Rest), 50),
        (46, rest_401(), 1),
        (46, ok(CallKind::Rest), 50),
    ]);
    assert!(opened(&slow.run(), PassivePattern::TokenRefreshRace).is_none());

    // Under 1% of the calls: no incident.
    let mut busy = Case::new(59);
    busy.minutes = minutes(&[(10, rest_401(), 3), (10, ok(CallKind::Rest), 400)]);
    assert!(opened(&busy.run(), PassivePattern::TokenRefreshRace).is_none());

    // Open, and an hour later below the threshold: resolved.
    let mut later = Case::new(59 + 61);
    later.minutes = case.minutes.clone();
    later.open = vec![incident.clone()];
    assert!(resolved(&later.run(), PassivePattern::TokenRefreshRace));

    // Open, and races go on below the threshold (one an hour ago dropped out of the window):
    // neither resolved nor opened again, so a rate near the threshold never flaps.
    let mut near = Case::new(59 + 12);
    near.minutes = case.minutes.clone();
    near.open = vec![incident.clone()];
    let decision = near.run();
    assert!(!resolved(&decision, PassivePattern::TokenRefreshRace));
    assert!(decision.changes.is_empty(), "{:?}", decision.changes);
    // The same minutes with nothing open: below the threshold, nothing opens either.
    near.open.clear();
    assert!(near.run().changes.is_empty());
}

#[test]
fn silence_learns_the_usual_gap_and_fires_after_three_gaps() {
    let mut state = PassiveState::default();
    let integration = integration();
    for i in 0..12 {
        let now = min(i * 5);
        let batch = vec![call(i * 5, CallKind::Rest, 200, OutcomeClass::Ok)];
        let decision = evaluate(&PassiveInputs {
            now,
            integration: &integration,
            minutes: &[],
            batch: &batch,
            state: &state,
            probe: &ProbeView::default(),
            open: &[],
        });
        state = decision.state;
    }
    assert_eq!(state.report_minutes, 12);
    assert_eq!(state.usual_gap_secs, Some(300));
    assert_eq!(state.last_report_at, Some(min(55)));
    // A second batch in the same minute counts no new minute.
    let mut same = Case::new(55);
    same.state = state.clone();
    same.batch = vec![call(55, CallKind::Rest, 200, OutcomeClass::Ok)];
    assert_eq!(same.run().state.report_minutes, 12);

    for (now, fires) in [(55 + 15, false), (55 + 16, true)] {
        let mut case = Case::new(now);
        case.state = state.clone();
        let decision = case.run();
        assert_eq!(
            opened(&decision, PassivePattern::IntegrationSilent).is_some(),
            fires,
            "{now}"
        );
    }
    let mut quiet = Case::new(55 + 16);
    quiet.state = state.clone();
    let incident = open_incident(&quiet, PassivePattern::IntegrationSilent);
    assert_eq!(incident.severity, Severity::Medium);
    assert!(
        incident.message.contains("reporting path"),
        "{}",
        incident.message
    );
    // A report arrives: resolved.
    let mut back = Case::new(80);
    back.state = state;
    back.open = vec![incident];
    back.batch = vec![call(80, CallKind::Rest, 200, OutcomeClass::Ok)];
    assert!(resolved(&back.run(), PassivePattern::IntegrationSilent));
}

#[test]
fn scope_drift_opens_on_the_first_20002_in_seven_days() {
    let denied = key(
        CallKind::Rest,
        Some(403),
        Some("20002"),
        Some(OutcomeClass::MissingScopes),
    );
    let mut case = Case::new(10);
    case.minutes = minutes(&[(10, denied.clone(), 1)]);
    case.probe.missing_scopes = vec!["data_extensions_write".into()];
    let decision = case.run();
    let incident = opened(&decision, PassivePattern::ScopeDrift).expect("opened");
    assert!(
        incident.message.contains("data_extensions_read"),
        "{}",
        incident.message
    );
    assert!(
        incident.message.contains("data_extensions_write"),
        "{}",
        incident.message
    );
    assert_eq!(decision.state.last_scope_denied_at, Some(min(10)));
    // Seen 2 days ago: not new.
    case.state.last_scope_denied_at = Some(min(10) - TimeDelta::days(2));
    assert!(opened(&case.run(), PassivePattern::ScopeDrift).is_none());
    // Open, 24 h without: resolved.
    let mut later = Case::new(10 + 24 * 60);
    later.state.last_scope_denied_at = Some(min(10));
    later.open = vec![incident.clone()];
    assert!(resolved(&later.run(), PassivePattern::ScopeDrift));
}

#[test]
fn token_request_rate_needs_two_windows_above_the_guidance() {
    let token = ok(CallKind::Token);
    for (rows, fires) in [
        (vec![(5, token.clone(), 4), (25, token.clone(), 4)], true),
        (vec![(5, token.clone(), 3), (25, token.clone(), 40)], false),
        (vec![(25, token.clone(), 40)], false),
        // A future minute is ignored.
        (vec![(5, token.clone(), 4), (41, token.clone(), 40)], false),
    ] {
        let mut case = Case::new(40);
        case.minutes = minutes(&rows);
        assert_eq!(
            opened(&case.run(), PassivePattern::TokenRequestRate).is_some(),
            fires,
            "{rows:?}"
        );
    }
}

#[test]
fn blocked_token_requests_are_critical_and_escalate() {
    let on_rest = key(
        CallKind::Rest,
        Some(429),
        Some("50200"),
        Some(OutcomeClass::Throttled),
    );
    let on_token = key(
        CallKind::Token,
        Some(429),
        Some("50200"),
        Some(OutcomeClass::Throttled),
    );
    let mut case = Case::new(10);
    case.minutes = minutes(&[(10, on_rest.clone(), 1)]);
    let incident = open_incident(&case, PassivePattern::TokenRequestsBlocked);
    assert_eq!(incident.severity, Severity::Medium);
    case.open = vec![incident.clone()];
    case.minutes = minutes(&[(10, on_rest, 1), (10, on_token, 1)]);
    let decision = case.run();
    assert!(
        matches!(
            decision.changes.as_slice(),
            [IncidentChange::Changed { severity: Severity::Critical, previous, .. }] if previous.severity == Severity::Medium
        ),
        "{:?}",
        decision.changes
    );
    let mut later = Case::new(41);
    later.minutes = case.minutes.clone();
    later.open = vec![incident];
    assert!(resolved(&later.run(), PassivePattern::TokenRequestsBlocked));
}

#[test]
fn identity_mismatch_names_both_ids() {
    let mut case = Case::new(10);
    let mut other = call(10, CallKind::Token, 200, OutcomeClass::Ok);
    other.client_id = Some("otherclient".into());
    case.batch = vec![other];
    let decision = case.run();
    let incident = opened(&decision, PassivePattern::IdentityMismatch).expect("opened");
    assert!(incident.message.contains("otherclient"));
    assert!(incident.message.contains("0m0het6mqknzv0uebqlvoo41"));
    assert_eq!(decision.state.last_mismatch_at, Some(min(10)));
    let mut same = Case::new(10);
    let mut mine = call(10, CallKind::Token, 200, OutcomeClass::Ok);
    mine.client_id = Some("0m0het6mqknzv0uebqlvoo41".into());
    mine.account_id = Some(7281698);
    same.batch = vec![mine.clone()];
    assert!(opened(&same.run(), PassivePattern::IdentityMismatch).is_none());
    mine.account_id = Some(1);
    same.batch = vec![mine];
    assert!(opened(&same.run(), PassivePattern::IdentityMismatch).is_some());
}

#[test]
fn huge_counts_saturate() {
    let mut case = Case::new(30);
    case.minutes = minutes(&[
        (10, rest_401(), u64::MAX),
        (10, ok(CallKind::Rest), u64::MAX),
        (25, ok(CallKind::Token), u64::MAX),
        (5, ok(CallKind::Token), u64::MAX),
    ]);
    let _ = case.run();
}

#[test]
fn minutes_outside_the_window_and_api_401s_in_the_batch_do_not_open_or_probe() {
    // A credential failure older than the lookback, and one in the future: ignored.
    let mut case = Case::new(200);
    case.minutes = minutes(&[(200 - 121, bad_secret(), 5), (201, bad_secret(), 5)]);
    case.batch = vec![call(
        200,
        CallKind::Rest,
        401,
        OutcomeClass::RestUnauthorized,
    )];
    let decision = case.run();
    assert!(opened(&decision, PassivePattern::ReportedAuthFailure).is_none());
    assert!(!decision.probe_now);
    // Not probed yet: the message says so.
    case.minutes = minutes(&[(200, bad_secret(), 1)]);
    let incident = open_incident(&case, PassivePattern::ReportedAuthFailure);
    assert!(
        incident
            .message
            .contains("has not probed this credential yet"),
        "{}",
        incident.message
    );
}

mod edges;
