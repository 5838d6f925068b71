//! Unit tests of the status table's layout.

use super::*;
use crate::render::assert_laid_out;

fn row(id: &str, health: &'static str, class: Option<&str>, incidents: &[&str]) -> StatusRow {
    let now = Utc::now();
    StatusRow {
        integration: id.to_string(),
        name: format!("The long display name of {id} for the journeys"),
        owner: "marketing-ops".into(),
        health,
        class: class.map(str::to_string),
        since: Some(now - chrono::TimeDelta::minutes(12)),
        last_probe_at: Some(now - chrono::TimeDelta::minutes(2)),
        next_probe_at: Some(now + chrono::TimeDelta::minutes(2)),
        days_to_expiry: Some(12),
        retired: false,
        open_incidents: incidents
            .iter()
            .enumerate()
            .map(|(n, class)| IncidentRow {
                id: format!("{id}:auth:{}", n + 1),
                check: "auth",
                class: class.to_string(),
                severity: "critical",
                opened_at: now - chrono::TimeDelta::minutes(10),
                threshold_days: None,
                ack: None,
                notifications: NotificationCounts::default(),
            })
            .collect(),
        passive: None,
        problem: None,
    }
}

#[test]
fn status_table_fits_every_width_and_never_breaks_ids_or_classes() {
    let rows = vec![
        row("crm-contact-sync", "healthy", Some("ok"), &[]),
        StatusRow {
            problem: Some("attribute next_probe_at: not a time credwatch can read".into()),
            ..row("loyalty-feed", "unreadable", None, &[])
        },
        row(
            "emea-preference-sync",
            "firing",
            Some("wrong_business_unit"),
            &["wrong_business_unit", "secret_expiring"],
        ),
        row(
            "analytics-export",
            "pending",
            Some("malformed_response"),
            &[],
        ),
    ];
    let whole: Vec<String> = [
        "crm-contact-sync",
        "emea-preference-sync",
        "analytics-export",
        "wrong_business_unit",
        "malformed_response",
        "secret_expiring",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for width in [40u16, 60, 80, 110, 160] {
        let text = status_table(&rows, Utc::now(), width, false);
        assert_laid_out(&text, width, &whole);
    }
    let escaped = status_table(
        &[row("x\u{1b}[2J", "firing", Some("evil\u{202e}"), &[])],
        Utc::now(),
        120,
        false,
    );
    assert!(
        !escaped.contains('\u{1b}') && !escaped.contains('\u{202e}'),
        "{escaped}"
    );
}

mod passive_view {
    use std::collections::BTreeMap;

    use chrono::TimeZone;
    use credwatch::domain::outcome::OutcomeClass;
    use credwatch::domain::passive::{CallKind, CounterKey, EventSource, MinuteCounts, SfmcCall};

    use super::super::passive::{PassiveView, passive_view, passive_words};
    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, minute, 0).unwrap()
    }

    fn key(status: Option<u16>, class: Option<OutcomeClass>) -> CounterKey {
        CounterKey {
            call_kind: CallKind::Token,
            status,
            code: None,
            class,
        }
    }

    fn minute(minute: u32, counts: &[(CounterKey, u64)]) -> MinuteCounts {
        MinuteCounts {
            integration: "crm-sync".into(),
            minute: at(minute),
            counts: counts.iter().cloned().collect::<BTreeMap<_, _>>(),
        }
    }

    fn failed_call(observed_at: DateTime<Utc>) -> SfmcCall {
        SfmcCall {
            event_id: "e1".into(),
            integration_id: "crm-sync".into(),
            source: EventSource::Https,
            received_at: observed_at,
            class: Some(OutcomeClass::ClientAuthFailed),
            observed_at,
            call_kind: CallKind::Token,
            count: 1,
            window_secs: None,
            host: None,
            method: None,
            path_template: None,
            status: Some(401),
            sfmc_errorcode: None,
            oauth_error: Some("invalid_client".into()),
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

    /// Calls are every count; failures only the classified, not-ok ones (an unclassified
    /// call, with no status, is a call but no failure).
    #[test]
    fn calls_and_failures_of_the_hour_and_the_last_failure() {
        let minutes = [
            minute(
                1,
                &[
                    (key(Some(200), Some(OutcomeClass::Ok)), 100),
                    (key(Some(401), Some(OutcomeClass::ClientAuthFailed)), 3),
                ],
            ),
            minute(
                2,
                &[
                    (key(None, None), 5),
                    (key(Some(500), Some(OutcomeClass::SfmcUnavailable)), 2),
                ],
            ),
        ];
        let failure = failed_call(at(2));
        assert_eq!(
            passive_view(&minutes, Some(&failure)),
            PassiveView {
                calls_last_hour: 110,
                failures_last_hour: 5,
                last_failure_at: Some(at(2)),
                last_failure_class: Some("client_auth_failed".into()),
            }
        );
        assert_eq!(
            passive_view(&[], None),
            PassiveView {
                calls_last_hour: 0,
                failures_last_hour: 0,
                last_failure_at: None,
                last_failure_class: None,
            }
        );
        let huge = [
            minute(
                1,
                &[(
                    key(Some(401), Some(OutcomeClass::ClientAuthFailed)),
                    u64::MAX,
                )],
            ),
            minute(
                2,
                &[(key(Some(401), Some(OutcomeClass::ClientAuthFailed)), 1)],
            ),
        ];
        assert_eq!(
            passive_view(&huge, None).failures_last_hour,
            u64::MAX,
            "saturates"
        );
    }

    #[test]
    fn words_say_never_reported_apart_from_quiet() {
        let ago = |_| "5 min ago".to_string();
        assert_eq!(passive_words(None, ago), "-");
        let quiet = passive_view(&[], None);
        assert_eq!(passive_words(Some(&quiet), ago), "0 calls, 0 failed");
        let one = PassiveView {
            calls_last_hour: 1,
            ..quiet.clone()
        };
        assert_eq!(passive_words(Some(&one), ago), "1 call, 0 failed");
        let view = PassiveView {
            calls_last_hour: 120,
            failures_last_hour: 3,
            last_failure_at: Some(at(1)),
            last_failure_class: Some("evil\u{1b}[2J".into()),
        };
        let words = passive_words(Some(&view), ago);
        assert_eq!(
            words,
            "120 calls, 3 failed\nlast failure 5 min ago\nevil\\u{1b}[2J"
        );
    }

    #[test]
    fn the_table_shows_the_passive_view_at_every_width_and_json_says_null_when_never() {
        let now = Utc::now();
        let reporting = StatusRow {
            passive: Some(PassiveView {
                calls_last_hour: 4210,
                failures_last_hour: 37,
                last_failure_at: Some(now - chrono::TimeDelta::minutes(3)),
                last_failure_class: Some("client_auth_failed".into()),
            }),
            ..row("crm-contact-sync", "healthy", Some("ok"), &[])
        };
        let rows = vec![reporting, row("loyalty-feed", "healthy", Some("ok"), &[])];
        let whole: Vec<String> = ["crm-contact-sync", "loyalty-feed", "client_auth_failed"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for width in [40u16, 60, 80, 110, 160, 200] {
            let text = status_table(&rows, now, width, false);
            assert_laid_out(&text, width, &whole);
        }
        // One column (40) and every column (200): the words read whole once the borders go.
        for width in [40u16, 200] {
            let text = status_table(&rows, now, width, false).replace('│', " ");
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains("4210 calls, 37 failed"), "{width}: {text}");
        }
        let wide = status_table(&rows, now, 200, false);
        assert!(wide.contains("Reported (1 h)"), "{wide}");
        let json = serde_json::to_value(&rows).unwrap();
        assert_eq!(
            json[0]["passive"],
            serde_json::json!({
                "calls_last_hour": 4210,
                "failures_last_hour": 37,
                "last_failure_at": json[0]["passive"]["last_failure_at"].clone(),
                "last_failure_class": "client_auth_failed",
            })
        );
        assert!(json[0]["passive"]["last_failure_at"].is_string());
        assert!(json[1]["passive"].is_null(), "never reported: null");
    }
}

/// `fill_passive` over the memory store: only integrations that ever reported get a view, and
/// one whose records cannot be read is said on its row without hiding the others.
mod fill {
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};
    use credwatch::domain::outcome::OutcomeClass;
    use credwatch::domain::passive::{
        CallKind, EventSource, MinuteCounts, PassiveCommit, PassiveState, SfmcCall,
    };
    use credwatch::store::memory::MemoryStore;
    use credwatch::store::{
        CommitOutcome, PassiveListing, PassiveRecords, RecordedCalls, StoreError, StoreResult,
    };

    use super::super::passive::{Slot, fill_passive};

    /// The memory store, whose reads of integration `broken`'s records fail.
    struct OneBroken(MemoryStore);

    fn unreachable_store() -> StoreError {
        StoreError::Retryable {
            message: "table t: RequestLimitExceeded: too many requests".into(),
        }
    }

    impl PassiveRecords for OneBroken {
        async fn record_calls(&self, calls: &[SfmcCall]) -> StoreResult<RecordedCalls> {
            self.0.record_calls(calls).await
        }
        async fn minutes(
            &self,
            integration: &str,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> StoreResult<Vec<MinuteCounts>> {
            if integration == "broken" {
                return Err(unreachable_store());
            }
            self.0.minutes(integration, from, to).await
        }
        async fn failed_calls(
            &self,
            integration: &str,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            limit: usize,
        ) -> StoreResult<Vec<SfmcCall>> {
            self.0.failed_calls(integration, from, to, limit).await
        }
        async fn passive_state(&self, integration: &str) -> StoreResult<Option<PassiveState>> {
            self.0.passive_state(integration).await
        }
        async fn passive_states(&self) -> StoreResult<PassiveListing> {
            self.0.passive_states().await
        }
        async fn commit_passive(&self, commit: &PassiveCommit) -> StoreResult<CommitOutcome> {
            self.0.commit_passive(commit).await
        }
        async fn probe_soon(&self, integration: &str, at: DateTime<Utc>) -> StoreResult<bool> {
            self.0.probe_soon(integration, at).await
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap()
    }

    fn call(id: &str, minutes_ago: i64, class: OutcomeClass) -> SfmcCall {
        let at = now() - TimeDelta::minutes(minutes_ago);
        SfmcCall {
            event_id: format!("{id}-{minutes_ago}"),
            integration_id: id.into(),
            source: EventSource::Https,
            received_at: at,
            class: Some(class),
            observed_at: at,
            call_kind: CallKind::Rest,
            count: 2,
            window_secs: Some(60),
            host: None,
            method: None,
            path_template: None,
            status: Some(if class == OutcomeClass::Ok { 200 } else { 401 }),
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

    async fn reported(store: &MemoryStore, id: &str, calls: &[SfmcCall]) {
        store.record_calls(calls).await.expect("recorded");
        let commit = PassiveCommit {
            integration: id.into(),
            expected_version: 0,
            state: PassiveState {
                last_report_at: Some(now()),
                ..PassiveState::default()
            },
            incidents: Vec::new(),
        };
        assert_eq!(
            store.commit_passive(&commit).await.expect("committed"),
            CommitOutcome::Applied
        );
    }

    #[tokio::test]
    async fn a_failing_read_is_said_on_its_row_and_hides_no_other() {
        let memory = MemoryStore::new();
        reported(
            &memory,
            "crm-sync",
            &[
                call("crm-sync", 3, OutcomeClass::Ok),
                call("crm-sync", 2, OutcomeClass::RestUnauthorized),
            ],
        )
        .await;
        reported(&memory, "broken", &[call("broken", 1, OutcomeClass::Ok)]).await;
        let store = OneBroken(memory);
        let ids = ["crm-sync", "broken", "quiet"];
        let mut views = [None, None, None];
        let mut problems = [None, None, Some("earlier".to_string())];
        let mut slots: Vec<Slot> = ids
            .iter()
            .zip(views.iter_mut().zip(problems.iter_mut()))
            .map(|(id, (view, problem))| Slot { id, view, problem })
            .collect();
        let result = fill_passive(&store, &mut slots, now()).await;
        assert_eq!(
            result,
            Err("the passive records of 1 integration could not be read".to_string())
        );
        let crm = views[0].as_ref().expect("crm-sync reported");
        assert_eq!((crm.calls_last_hour, crm.failures_last_hour), (4, 2));
        assert_eq!(crm.last_failure_class.as_deref(), Some("rest_unauthorized"));
        assert_eq!(views[1], None, "broken could not be read");
        let said = problems[1].as_deref().expect("said on its row");
        assert!(said.contains("RequestLimitExceeded"), "{said}");
        assert_eq!(views[2], None, "never reported");
        assert_eq!(problems[2].as_deref(), Some("earlier"), "untouched");
    }
}
