//! The edges of each pattern: which calls count as evidence, the exact boundaries of windows
//! and waits, and what the words say. Each case is one a mutant of the rules got through.

use super::*;
use crate::rules::passive::common::{minutes_text, thousands};

fn probe_at(health: Health, last_class: Option<OutcomeClass>) -> ProbeView {
    ProbeView {
        health,
        last_class,
        last_probe_at: Some(min(2)),
        missing_scopes: Vec::new(),
    }
}

/// What the auth-failure incident says of credwatch's own probe, for each thing the probe may
/// have seen: "fails too", "succeeds" (an outdated secret) or "not probed yet".
#[test]
fn the_probe_sentence_follows_the_probes_health_and_last_class() {
    use OutcomeClass::{ClientAuthFailed, Ok};
    for (health, last, says) in [
        (Health::Firing, Some(ClientAuthFailed), "fails too"),
        (Health::Pending, Some(Ok), "fails too"),
        // Not yet judged, but its last probe failed.
        (Health::Unknown, Some(ClientAuthFailed), "fails too"),
        (Health::Recovering, Some(ClientAuthFailed), "fails too"),
        // Healthy overall: one failed probe is no failing credential.
        (Health::Healthy, Some(ClientAuthFailed), "succeeds"),
        (Health::Healthy, None, "succeeds"),
        (Health::Recovering, Some(Ok), "succeeds"),
        (Health::Unknown, Some(Ok), "succeeds"),
        (Health::Unknown, None, "has not probed this credential yet"),
    ] {
        let mut case = Case::new(10);
        case.minutes = minutes(&[(10, bad_secret(), 1)]);
        case.probe = probe_at(health, last);
        let incident = open_incident(&case, PassivePattern::ReportedAuthFailure);
        assert!(
            incident.message.contains(says),
            "{health:?} {last:?}: {}",
            incident.message
        );
    }
}

/// SOAP faults come as HTTP 500 (`Token Expired` is classed `rest_unauthorized`): they are
/// refused calls like REST 401s. Other REST/SOAP failures (5xx, throttling) are not.
#[test]
fn soap_token_expired_counts_as_a_refused_call_and_server_errors_do_not() {
    let expired = key(
        CallKind::Soap,
        Some(500),
        None,
        Some(OutcomeClass::RestUnauthorized),
    );
    let unavailable = key(
        CallKind::Rest,
        Some(503),
        None,
        Some(OutcomeClass::SfmcUnavailable),
    );
    let mut case = Case::new(12);
    case.minutes = minutes(&[(0, expired.clone(), 1), (10, expired.clone(), 1)]);
    let incident = open_incident(&case, PassivePattern::ReportedAuthFailure);
    assert!(
        incident
            .message
            .contains(", over 10 minutes with no success."),
        "{}",
        incident.message
    );
    case.minutes = minutes(&[(0, unavailable.clone(), 1), (10, unavailable, 1)]);
    assert!(case.run().changes.is_empty());

    // Raced: a SOAP Token Expired followed by a success within 2 minutes, three times.
    let mut raced = Case::new(59);
    raced.minutes = minutes(&[
        (10, expired.clone(), 1),
        (11, ok(CallKind::Soap), 20),
        (28, expired.clone(), 1),
        (28, ok(CallKind::Soap), 20),
        (46, expired, 1),
        (47, ok(CallKind::Soap), 20),
    ]);
    assert!(opened(&raced.run(), PassivePattern::TokenRefreshRace).is_some());
}

/// Token calls are never REST/SOAP evidence: 401-then-200 on the token endpoint is no race.
#[test]
fn token_endpoint_retries_are_no_refresh_race() {
    let bare = key(
        CallKind::Token,
        Some(401),
        None,
        Some(OutcomeClass::AuthRejected),
    );
    let mut case = Case::new(59);
    case.minutes = minutes(&[
        (10, bare.clone(), 1),
        (10, ok(CallKind::Token), 1),
        (28, bare.clone(), 1),
        (28, ok(CallKind::Token), 1),
        (46, bare, 1),
        (46, ok(CallKind::Token), 1),
    ]);
    let decision = case.run();
    assert!(opened(&decision, PassivePattern::TokenRefreshRace).is_none());
    assert!(decision.changes.is_empty(), "{:?}", decision.changes);
}

/// The race's words: the share of the hour's calls, and the age of the tokens SFMC refused
/// (only the refused calls' tokens: a fresh token that succeeded says nothing).
#[test]
fn the_race_message_gives_the_share_and_the_refused_tokens_age() {
    let mut case = Case::new(59);
    case.minutes = minutes(&[
        (10, rest_401(), 1),
        (11, ok(CallKind::Rest), 50),
        (28, rest_401(), 1),
        (30, ok(CallKind::Rest), 50),
        (46, rest_401(), 1),
        (46, ok(CallKind::Rest), 97),
    ]);
    let mut refused = call(46, CallKind::Rest, 401, OutcomeClass::RestUnauthorized);
    refused.token_age_secs = Some(1_081);
    let mut fresh = call(46, CallKind::Rest, 200, OutcomeClass::Ok);
    fresh.token_age_secs = Some(12);
    let mut token = call(46, CallKind::Token, 401, OutcomeClass::AuthRejected);
    token.token_age_secs = Some(5);
    case.batch = vec![refused, fresh, token];
    let incident = open_incident(&case, PassivePattern::TokenRefreshRace);
    assert!(
        incident.message.contains("(1% of 200 calls)"),
        "{}",
        incident.message
    );
    assert!(
        incident.message.contains("The tokens were 1,081 s old"),
        "{}",
        incident.message
    );
}

/// A success in the same minute as the last failure is no recovery (the order within a minute
/// is unknown); a success after it is, 30 minutes after the last failure.
#[test]
fn a_success_in_the_failures_minute_does_not_resolve_rest_evidence() {
    let mut first = Case::new(12);
    first.minutes = minutes(&[(0, rest_401(), 1), (10, rest_401(), 1)]);
    let incident = open_incident(&first, PassivePattern::ReportedAuthFailure);
    let mut later = Case::new(40);
    later.open = vec![incident.clone()];
    later.minutes = minutes(&[
        (0, rest_401(), 1),
        (10, rest_401(), 1),
        (10, ok(CallKind::Rest), 1),
    ]);
    assert!(later.run().changes.is_empty(), "same minute");
    later.minutes = minutes(&[
        (0, rest_401(), 1),
        (10, rest_401(), 1),
        (11, ok(CallKind::Rest), 1),
    ]);
    assert!(resolved(&later.run(), PassivePattern::ReportedAuthFailure));
}

/// Once the failures are out of the 2-hour lookback, any success resolves the open incident,
/// a REST one as well as a token one; no success at all leaves it open.
#[test]
fn after_the_lookback_any_success_resolves() {
    let mut case = Case::new(10);
    case.minutes = minutes(&[(10, bad_secret(), 1)]);
    let incident = open_incident(&case, PassivePattern::ReportedAuthFailure);
    for (rows, resolves) in [
        (vec![(200, ok(CallKind::Token), 1)], true),
        (vec![(200, ok(CallKind::Rest), 1)], true),
        (vec![], false),
    ] {
        let mut later = Case::new(210);
        later.minutes = minutes(&rows);
        later.open = vec![incident.clone()];
        assert_eq!(
            resolved(&later.run(), PassivePattern::ReportedAuthFailure),
            resolves,
            "{rows:?}"
        );
    }
}

/// A single failed minute has no "over N minutes" clause; a streak says how long.
#[test]
fn the_auth_message_says_how_long_only_for_a_streak() {
    let mut case = Case::new(10);
    case.minutes = minutes(&[(10, bad_secret(), 1)]);
    let one = open_incident(&case, PassivePattern::ReportedAuthFailure);
    assert!(!one.message.contains(" over "), "{}", one.message);
    assert!(
        one.message.contains("1 failed token request since"),
        "{}",
        one.message
    );
    case.minutes = minutes(&[(9, bad_secret(), 1), (10, bad_secret(), 99)]);
    let streak = open_incident(&case, PassivePattern::ReportedAuthFailure);
    assert!(
        streak
            .message
            .contains("100 failed token requests since 2026-12-01 03:09 UTC"),
        "{}",
        streak.message
    );
    assert!(
        streak.message.contains(", over 1 minute with no success."),
        "{}",
        streak.message
    );
}

/// Only 429 with SFMC's 50200 is a token block: a 429 with another code (the REST API's
/// rate limit) or a 50200 under another status is not.
#[test]
fn only_429_with_50200_is_a_token_block() {
    for (status, code, blocks) in [
        (429, Some("50200"), true),
        (429, Some("50100"), false),
        (429, None, false),
        (400, Some("50200"), false),
    ] {
        let mut case = Case::new(10);
        case.minutes = minutes(&[(
            10,
            key(
                CallKind::Token,
                Some(status),
                code,
                Some(OutcomeClass::Throttled),
            ),
            1,
        )]);
        assert_eq!(
            opened(&case.run(), PassivePattern::TokenRequestsBlocked).is_some(),
            blocks,
            "{status} {code:?}"
        );
    }
}

/// Only 403 with SFMC's 20002 is scope drift: a bare 403 (a proxy, a firewall) or another
/// code is not. The remembered 20002 only moves forward in time.
#[test]
fn only_403_with_20002_is_scope_drift_and_its_time_never_moves_back() {
    for (status, code, drifts) in [
        (403, Some("20002"), true),
        (403, None, false),
        (403, Some("20003"), false),
        (401, Some("20002"), false),
    ] {
        let mut case = Case::new(10);
        case.minutes = minutes(&[(
            10,
            key(
                CallKind::Rest,
                Some(status),
                code,
                Some(OutcomeClass::MissingScopes),
            ),
            1,
        )]);
        assert_eq!(
            opened(&case.run(), PassivePattern::ScopeDrift).is_some(),
            drifts,
            "{status} {code:?}"
        );
    }
    let denied = key(
        CallKind::Rest,
        Some(403),
        Some("20002"),
        Some(OutcomeClass::MissingScopes),
    );
    let mut case = Case::new(60);
    case.minutes = minutes(&[(10, denied.clone(), 1)]);
    // A newer one already remembered (another batch came first): kept.
    case.state.last_scope_denied_at = Some(min(50));
    assert_eq!(case.run().state.last_scope_denied_at, Some(min(50)));
    // An older one: moved forward to this one.
    case.state.last_scope_denied_at = Some(min(5));
    assert_eq!(case.run().state.last_scope_denied_at, Some(min(10)));
}

/// The identity incident holds for 24 hours after the last mismatch, to the minute.
#[test]
fn identity_mismatch_resolves_after_exactly_a_day_without_one() {
    let mut case = Case::new(10);
    let mut other = call(10, CallKind::Token, 200, OutcomeClass::Ok);
    other.client_id = Some("otherclient".into());
    case.batch = vec![other];
    let incident = open_incident(&case, PassivePattern::IdentityMismatch);
    for (after, resolves) in [
        (60, false),
        (24 * 60 - 1, false),
        (24 * 60, true),
        (25 * 60, true),
    ] {
        let mut later = Case::new(10 + after);
        later.state.last_mismatch_at = Some(min(10));
        later.open = vec![incident.clone()];
        assert_eq!(
            resolved(&later.run(), PassivePattern::IdentityMismatch),
            resolves,
            "{after} minutes later"
        );
    }
}

/// The 20-minute windows of the token rate are `(start, end]`: a minute on the boundary is in
/// the earlier window only.
#[test]
fn token_rate_windows_do_not_share_their_boundary_minute() {
    let mut case = Case::new(40);
    case.minutes = minutes(&[(20, ok(CallKind::Token), 4)]);
    assert!(opened(&case.run(), PassivePattern::TokenRequestRate).is_none());
    case.minutes = minutes(&[(20, ok(CallKind::Token), 4), (21, ok(CallKind::Token), 4)]);
    assert!(opened(&case.run(), PassivePattern::TokenRequestRate).is_some());
}

#[test]
fn numbers_and_durations_in_words() {
    for (n, words) in [
        (0, "0"),
        (7, "7"),
        (100, "100"),
        (999, "999"),
        (1_070, "1,070"),
        (123_456, "123,456"),
        (1_234_567, "1,234,567"),
    ] {
        assert_eq!(thousands(n), words);
    }
    assert_eq!(minutes_text(TimeDelta::minutes(1)), "1 minute");
    assert_eq!(minutes_text(TimeDelta::minutes(0)), "0 minutes");
    assert_eq!(minutes_text(TimeDelta::minutes(47)), "47 minutes");
    assert_eq!(minutes_text(TimeDelta::minutes(1_500)), "1,500 minutes");
    assert_eq!(minutes_text(TimeDelta::minutes(-3)), "0 minutes");
}

/// A 20002 is "the first in 7 days" only when the one before is more than 7 days older; an
/// open scope incident holds until 24 hours without one.
#[test]
fn scope_drift_needs_seven_quiet_days_and_holds_for_a_day() {
    let denied = key(
        CallKind::Rest,
        Some(403),
        Some("20002"),
        Some(OutcomeClass::MissingScopes),
    );
    let week = TimeDelta::days(7);
    for (before, opens) in [
        (week, false),
        (week + TimeDelta::minutes(1), true),
        (week - TimeDelta::minutes(1), false),
    ] {
        let mut case = Case::new(10);
        case.minutes = minutes(&[(10, denied.clone(), 1)]);
        case.state.last_scope_denied_at = Some(min(10) - before);
        assert_eq!(
            opened(&case.run(), PassivePattern::ScopeDrift).is_some(),
            opens,
            "{before:?}"
        );
    }
    let mut case = Case::new(10);
    case.minutes = minutes(&[(10, denied, 1)]);
    let incident = open_incident(&case, PassivePattern::ScopeDrift);
    for (after, resolves) in [(23 * 60, false), (24 * 60 - 1, false), (24 * 60, true)] {
        let mut later = Case::new(10 + after);
        later.state.last_scope_denied_at = Some(min(10));
        later.open = vec![incident.clone()];
        assert_eq!(
            resolved(&later.run(), PassivePattern::ScopeDrift),
            resolves,
            "{after} minutes later"
        );
    }
}

/// A reporter that has reported in 12 minutes, every 5 minutes, last at minute 55.
fn steady_state() -> PassiveState {
    PassiveState {
        report_minutes: 12,
        usual_gap_secs: Some(300),
        last_report_at: Some(min(55)),
        ..PassiveState::default()
    }
}

/// Later reports of the same minute leave the state as it is (one state write per minute,
/// not per request), seconds included.
#[test]
fn reports_within_one_minute_leave_the_state_alone() {
    let integration = integration();
    let state = steady_state();
    let batch = vec![call(55, CallKind::Rest, 200, OutcomeClass::Ok)];
    let decision = evaluate(&PassiveInputs {
        now: min(55) + TimeDelta::seconds(40),
        integration: &integration,
        minutes: &[],
        batch: &batch,
        state: &state,
        probe: &ProbeView::default(),
        open: &[],
    });
    assert_eq!(decision.state, state);
}

/// Silence needs 10 report minutes, and more than 3 usual gaps (at least 15 minutes).
#[test]
fn silence_needs_ten_report_minutes_and_three_usual_gaps() {
    for (report_minutes, fires) in [(9, false), (10, true), (11, true)] {
        let mut case = Case::new(55 + 16);
        case.state = PassiveState {
            report_minutes,
            ..steady_state()
        };
        assert_eq!(
            opened(&case.run(), PassivePattern::IntegrationSilent).is_some(),
            fires,
            "{report_minutes} report minutes"
        );
    }
    // Every 10 minutes: silent after more than 30.
    for (quiet, fires) in [(20, false), (30, false), (31, true)] {
        let mut case = Case::new(55 + quiet);
        case.state = PassiveState {
            usual_gap_secs: Some(600),
            ..steady_state()
        };
        let decision = case.run();
        let incident = opened(&decision, PassivePattern::IntegrationSilent);
        assert_eq!(incident.is_some(), fires, "{quiet} minutes quiet");
        if let Some(incident) = incident {
            assert!(
                incident
                    .message
                    .contains("no SFMC calls for 31 minutes (it usually reports every 10 minutes)"),
                "{}",
                incident.message
            );
        }
    }
}

/// The sweep resolves a silence incident when a report came after it opened (the report's own
/// evaluation ran elsewhere); an incident opened at or after the last report, or another open
/// incident of the integration, changes nothing.
#[test]
fn the_sweep_resolves_silence_after_a_later_report() {
    let mut quiet = Case::new(55 + 16);
    quiet.state = steady_state();
    let silent = open_incident(&quiet, PassivePattern::IntegrationSilent);
    let mut failing = Case::new(10);
    failing.minutes = minutes(&[(10, bad_secret(), 1)]);
    let auth = open_incident(&failing, PassivePattern::ReportedAuthFailure);

    let after = |opened_at: i64| {
        let mut incident = silent.clone();
        incident.opened_at = min(opened_at);
        let mut sweep = Case::new(81);
        sweep.state = PassiveState {
            last_report_at: Some(min(80)),
            ..steady_state()
        };
        sweep.open = vec![auth.clone(), incident];
        sweep.run()
    };
    assert!(resolved(&after(71), PassivePattern::IntegrationSilent));
    assert!(!resolved(&after(80), PassivePattern::IntegrationSilent));
    assert!(!resolved(&after(85), PassivePattern::IntegrationSilent));
}

/// Above the guidance means more than 3 in each window; an open incident resolves once the
/// last window is back at 3 or fewer, and holds while only the earlier window is quiet.
#[test]
fn token_rate_boundaries_and_resolution() {
    let token = ok(CallKind::Token);
    for (before, last, fires) in [(4, 3, false), (3, 4, false), (4, 4, true)] {
        let mut case = Case::new(40);
        case.minutes = minutes(&[(5, token.clone(), before), (25, token.clone(), last)]);
        assert_eq!(
            opened(&case.run(), PassivePattern::TokenRequestRate).is_some(),
            fires,
            "{before} then {last}"
        );
    }
    let mut case = Case::new(40);
    case.minutes = minutes(&[(5, token.clone(), 4), (25, token.clone(), 4)]);
    let incident = open_incident(&case, PassivePattern::TokenRequestRate);
    assert!(
        incident
            .message
            .contains("requested 4 access tokens in the last 20 minutes and 4 in the 20 before"),
        "{}",
        incident.message
    );
    for (last, resolves) in [(4, false), (3, true), (0, true)] {
        let mut later = Case::new(60);
        later.minutes = minutes(&[(25, token.clone(), 4), (45, token.clone(), last)]);
        later.open = vec![incident.clone()];
        assert_eq!(
            resolved(&later.run(), PassivePattern::TokenRequestRate),
            resolves,
            "{last} in the last window"
        );
    }
}
