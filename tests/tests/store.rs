//! The store contract, run against both adapters: the in-memory store and the DynamoDB store on
//! a fresh table in moto (created by `create_table`). Then what only DynamoDB has: the table's
//! definition, the raw item layout of `store::dynamo`, TTL, and corrupt items.
//!
//! The tests crate does not depend on chrono; timestamps reach chrono's `DateTime<Utc>` through
//! `FromStr` and type inference (see [`at`]).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::str::FromStr;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use credwatch::domain::incident::{
    CheckKind, IncidentChange, IncidentClass, IncidentFacts, IncidentId,
};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::state::{CheckState, ExpiryTrack, Health, Threshold, Track};
use credwatch::inventory::{BusinessHours, Integration, MaintenanceWindow, Notify, Severity, Team};
use credwatch::secrets::SecretSource;
use credwatch::store::dynamo::image::image_of_item;
use credwatch::store::dynamo::{
    DynamoStore, StoredItem, create_table, decode_image, incident_of_image, table_spec,
};
use credwatch::store::{
    CommitOutcome, HistoryEntry, HistoryReader, Incident, Incidents, IntegrationRecord,
    Integrations, ProbeResults, StateCommit, Store, StoreError, Teams,
};
use credwatch_tests::aws::{sdk_config, unique_name};
use serde_json::Value;

// ---- fixtures ----

fn incident_id(integration: &str, check: CheckKind, seq: u32) -> IncidentId {
    IncidentId::new(integration, check, seq)
}

/// The class the fixtures' resolutions carry (the store does not write it).
const RESOLVED_CLASS: IncidentClass = IncidentClass::Outcome(OutcomeClass::ClientAuthFailed);

/// `minutes` after 2026-06-01T00:00:00Z (under 28 days), as whatever type the context needs:
/// in practice chrono's `DateTime<Utc>`.
fn at<T: FromStr>(minutes: u32) -> T
where
    T::Err: Debug,
{
    let (day, hour, minute) = (1 + minutes / 1440, minutes / 60 % 24, minutes % 60);
    format!("2026-06-{day:02}T{hour:02}:{minute:02}:00.000Z")
        .parse()
        .expect("a valid timestamp")
}

/// Every optional field set.
fn integration(id: &str) -> Integration {
    Integration {
        id: id.to_string(),
        name: format!("{id} integration"),
        owner: "crm-ops".to_string(),
        severity: Severity::Critical,
        auth_url: "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/"
            .parse()
            .unwrap(),
        client_id: "0m0het6mqknzv0uebqlvoo41".to_string(),
        client_secret: SecretSource::Env("CRM_SECRET".to_string()),
        account_id: Some(7281698),
        expected_scopes: vec![
            "data_extensions_read".to_string(),
            "data_extensions_write".to_string(),
        ],
        secret_rotated_at: Some("2026-06-01".parse().unwrap()),
        secret_expires_at: Some("2026-11-28".parse().unwrap()),
        depends_on: vec![
            "Welcome journey enrollment".to_string(),
            "Nightly preference sync".to_string(),
        ],
        records_per_hour: Some(7500),
        runbook: Some("https://wiki.example.com/sfmc/crm-sync".to_string()),
        probe_every: Duration::from_secs(15 * 60),
        recheck_every: Duration::from_secs(2 * 60),
        expiry_warn_days: vec![30, 14, 7, 3, 1],
        secret_lifetime_days: 180,
        maintenance: vec![MaintenanceWindow {
            days: vec![chrono::Weekday::Sat, chrono::Weekday::Sun],
            start: "22:00:00".parse().unwrap(),
            duration: Duration::from_secs(4 * 3600),
            timezone: Some("America/New_York".to_string()),
        }],
        ingest: credwatch::inventory::IngestBinding {
            log_groups: vec![
                "/aws/lambda/crm-sync".to_string(),
                "crm#sfmc-calls".to_string(),
            ],
            event_sources: vec!["com.acme.crm-sync".to_string()],
        },
    }
}

/// No optional field set, empty lists.
fn minimal(id: &str) -> Integration {
    Integration {
        account_id: None,
        expected_scopes: Vec::new(),
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: Vec::new(),
        records_per_hour: None,
        runbook: None,
        expiry_warn_days: Vec::new(),
        maintenance: Vec::new(),
        ..integration(id)
    }
}

fn fresh(integration: Integration, added: u32, first_probe: u32) -> IntegrationRecord {
    IntegrationRecord {
        integration,
        state: CheckState {
            next_probe_at: Some(at(first_probe)),
            ..CheckState::default()
        },
        retired: false,
        added_at: at(added),
        secret_rotated_seen_at: None,
    }
}

/// The auth track firing on incident `seq` since `minutes`; `version` is the store's business.
fn firing(id: &str, minutes: u32, seq: u32) -> CheckState {
    CheckState {
        auth: Track {
            health: Health::Firing,
            class: Some(OutcomeClass::ClientAuthFailed),
            since: Some(at(minutes)),
            consecutive_failures: 2,
            first_failure_at: Some(at(minutes)),
            consecutive_successes: 0,
            open_incident: Some(incident_id(id, CheckKind::Auth, seq)),
        },
        monitor: Track {
            health: Health::Healthy,
            ..Track::default()
        },
        last_class: Some(OutcomeClass::ClientAuthFailed),
        last_probe_at: Some(at(minutes)),
        next_probe_at: Some(at(minutes + 2)),
        incident_seq: seq,
        // Every state attribute set, so the round trip covers them all.
        expiry: ExpiryTrack {
            open_incident: Some(incident_id(id, CheckKind::Expiry, 9)),
            version: Some("2026-12-31".to_string()),
            threshold: Some(Threshold::Days(7)),
            notified: vec!["2026-12-31#30".to_string(), "2026-12-31#7".to_string()],
        },
        stale_incident: Some(incident_id(id, CheckKind::Monitor, 8)),
        secret_fingerprint: Some(FINGERPRINT_A.to_string()),
        version: 0,
    }
}

/// Two secret fingerprints (32 hex digits, as `credwatch::secrets::fingerprint::secret_fingerprint` makes).
const FINGERPRINT_A: &str = "00112233445566778899aabbccddeeff";
const FINGERPRINT_B: &str = "ffeeddccbbaa99887766554433221100";

fn healthy(minutes: u32) -> CheckState {
    let track = Track {
        health: Health::Healthy,
        since: Some(at(minutes)),
        consecutive_successes: 1,
        ..Track::default()
    };
    CheckState {
        auth: track.clone(),
        monitor: track,
        last_class: Some(OutcomeClass::Ok),
        last_probe_at: Some(at(minutes)),
        next_probe_at: Some(at(minutes + 15)),
        incident_seq: 0,
        expiry: ExpiryTrack::default(),
        stale_incident: None,
        secret_fingerprint: None,
        version: 0,
    }
}

fn incident(integration: &str, check: CheckKind, seq: u32, minutes: u32) -> Incident {
    Incident {
        id: incident_id(integration, check, seq),
        integration: integration.to_string(),
        check,
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        severity: Severity::Critical,
        team: "crm-ops".to_string(),
        open: true,
        opened_at: at(minutes),
        updated_at: at(minutes),
        resolved_at: None,
        threshold_days: None,
        message: "SFMC says: Client authentication failed.".to_string(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

fn commit(
    integration: &str,
    expected_version: u64,
    state: CheckState,
    incidents: Vec<IncidentChange>,
) -> StateCommit {
    StateCommit {
        integration: integration.to_string(),
        expected_version,
        state,
        incidents,
    }
}

/// `state` as the store holds it after a commit that made it `version`.
fn versioned(state: CheckState, version: u64) -> CheckState {
    CheckState { version, ..state }
}

fn entry(integration: &str, minutes: u32) -> HistoryEntry {
    let failing = minutes.is_multiple_of(3);
    HistoryEntry {
        integration: integration.to_string(),
        probed_at: at(minutes),
        class: if failing {
            OutcomeClass::MissingScopes
        } else {
            OutcomeClass::Ok
        },
        http_status: failing.then_some(200),
        latency_ms: 100 + u64::from(minutes),
        attempts: 1 + minutes % 2,
        confirmed: failing,
        business_unit: (!failing).then_some(7281698),
        missing_scopes: if failing {
            vec!["journeys_read".to_string()]
        } else {
            Vec::new()
        },
        message: format!("probe {minutes}"),
    }
}

fn team(id: &str) -> Team {
    Team {
        id: id.to_string(),
        name: format!("Team {id}"),
        timezone: Some("America/New_York".to_string()),
        business_hours: Some(BusinessHours {
            days: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| d.parse().unwrap())
                .collect(),
            start: "08:00:00".parse().unwrap(),
            end: "18:30:00".parse().unwrap(),
        }),
        escalate_after: Some(Duration::from_secs(30 * 60)),
        // Every alert-operations field away from its default, so a round trip proves each.
        escalate_to: Some("platform".to_string()),
        after_hours_to: Some("platform".to_string()),
        notify: Notify {
            email: vec![
                format!("{id}@example.com"),
                format!("On-Call.{id}@example.org"),
            ],
            min_severity: Severity::High,
            remind_after: vec![Duration::from_secs(3600), Duration::from_secs(4 * 3600)],
            remind_max: Some(5),
            group_wait: Duration::ZERO,
            group_min: 3,
            slack_webhook: Some(format!("credwatch/slack/{id}")),
        },
        maintenance: vec![
            MaintenanceWindow {
                days: vec![chrono::Weekday::Sun],
                start: "02:00:00".parse().unwrap(),
                duration: Duration::from_secs(3 * 3600),
                timezone: Some("Europe/Berlin".to_string()),
            },
            MaintenanceWindow {
                days: Vec::new(),
                start: "23:30:00".parse().unwrap(),
                duration: Duration::from_secs(7 * 86_400),
                timezone: None,
            },
        ],
    }
}

fn ids(incidents: &[Incident]) -> Vec<&str> {
    incidents.iter().map(|i| i.id.as_str()).collect()
}

// ---- the contract ----

mod contract {
    use super::*;

    pub async fn integrations_round_trip_and_updates_keep_state<S: Store>(store: &S) {
        let alpha = integration("alpha");
        let bravo = Integration {
            client_secret: SecretSource::AwsSecret {
                id: "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfmc/bravo".to_string(),
                key: Some("client_secret".to_string()),
            },
            ..integration("bravo")
        };
        let charlie = Integration {
            client_secret: SecretSource::File("/etc/credwatch/charlie.secret".into()),
            ..integration("charlie")
        };
        let delta = Integration {
            client_secret: SecretSource::AwsSecret {
                id: "sfmc/delta".to_string(),
                key: None,
            },
            ..integration("delta")
        };
        for i in [&delta, &bravo, &alpha, &charlie] {
            store.put_integration(i, at(0), at(1)).await.unwrap();
        }
        let listed = store.list_integrations().await.unwrap().records;
        let expected: Vec<_> = [&alpha, &bravo, &charlie, &delta]
            .map(|i| fresh(i.clone(), 0, 1))
            .into();
        assert_eq!(listed, expected, "every integration, fresh, in id order");
        assert_eq!(
            store.get_integration("bravo").await.unwrap(),
            Some(expected[1].clone())
        );
        assert_eq!(store.get_integration("nope").await.unwrap(), None);

        let state = firing("alpha", 5, 1);
        let applied = store
            .commit(&commit("alpha", 0, state.clone(), Vec::new()))
            .await
            .unwrap();
        assert_eq!(applied, CommitOutcome::Applied);
        store.retire_integration("alpha", at(6)).await.unwrap();
        store.retire_integration("alpha", at(7)).await.unwrap();
        assert!(
            store
                .get_integration("alpha")
                .await
                .unwrap()
                .unwrap()
                .retired
        );
        assert!(store.retire_integration("nope", at(6)).await.is_err());

        // Back in the inventory, changed: inventory updated, state and added_at kept, un-retired.
        let changed = Integration {
            name: "Alpha, renamed".to_string(),
            severity: Severity::Low,
            client_id: "another-client-id".to_string(),
            expected_scopes: vec!["journeys_read".to_string()],
            probe_every: Duration::from_secs(3600),
            ..alpha.clone()
        };
        store
            .put_integration(&changed, at(10), at(11))
            .await
            .unwrap();
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(
            record,
            IntegrationRecord {
                integration: changed,
                state: versioned(state, 1),
                retired: false,
                added_at: at(0),
                secret_rotated_seen_at: None,
            }
        );
    }

    pub async fn optional_fields_can_be_removed<S: Store>(store: &S) {
        let full = integration("alpha");
        store.put_integration(&full, at(0), at(1)).await.unwrap();
        store
            .put_integration(&minimal("alpha"), at(2), at(3))
            .await
            .unwrap();
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record, fresh(minimal("alpha"), 0, 1));
        store.put_integration(&full, at(4), at(5)).await.unwrap();
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.integration, full);
    }

    pub async fn commit_applies_and_bumps_version<S: Store>(store: &S) {
        store
            .put_integration(&integration("alpha"), at(0), at(1))
            .await
            .unwrap();
        let first = healthy(1);
        let outcome = store
            .commit(&commit("alpha", 0, first.clone(), Vec::new()))
            .await
            .unwrap();
        assert_eq!(outcome, CommitOutcome::Applied);
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.state, versioned(first, 1));

        // Optional state fields that become None are removed, not kept.
        let second = CheckState {
            last_class: None,
            last_probe_at: None,
            next_probe_at: None,
            ..firing("alpha", 16, 0)
        };
        let outcome = store
            .commit(&commit("alpha", 1, second.clone(), Vec::new()))
            .await
            .unwrap();
        assert_eq!(outcome, CommitOutcome::Applied);
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.state, versioned(second, 2));
        assert_eq!(
            record.integration,
            integration("alpha"),
            "inventory untouched"
        );
    }

    pub async fn stale_commit_conflicts_and_writes_nothing<S: Store>(store: &S) {
        store
            .put_integration(&integration("alpha"), at(0), at(1))
            .await
            .unwrap();
        let first = healthy(1);
        store
            .commit(&commit("alpha", 0, first.clone(), Vec::new()))
            .await
            .unwrap();

        let open = IncidentChange::Opened(incident("alpha", CheckKind::Auth, 1, 5));
        for (expected_version, incidents) in
            [(0, vec![open.clone()]), (0, Vec::new()), (7, vec![open])]
        {
            let stale = commit("alpha", expected_version, firing("alpha", 5, 1), incidents);
            assert_eq!(
                store.commit(&stale).await.unwrap(),
                CommitOutcome::Conflict,
                "expected version {expected_version}"
            );
        }
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.state, versioned(first, 1), "state unchanged");
        assert!(store.incidents_of("alpha").await.unwrap().is_empty());
        assert!(store.open_incidents().await.unwrap().is_empty());

        let unknown = commit("nope", 0, healthy(1), Vec::new());
        assert_eq!(
            store.commit(&unknown).await.unwrap(),
            CommitOutcome::Conflict
        );
        assert_eq!(store.get_integration("nope").await.unwrap(), None);
    }

    pub async fn incident_opens_exactly_once<S: Store>(store: &S) {
        store
            .put_integration(&integration("alpha"), at(0), at(1))
            .await
            .unwrap();
        let first = incident("alpha", CheckKind::Auth, 1, 5);
        let second = Incident {
            message: "the other invocation's words".to_string(),
            ..first.clone()
        };
        // Two overlapping invocations saw version 0 and computed the same transition.
        let winner = commit(
            "alpha",
            0,
            firing("alpha", 5, 1),
            vec![IncidentChange::Opened(first.clone())],
        );
        let loser = commit(
            "alpha",
            0,
            firing("alpha", 6, 1),
            vec![IncidentChange::Opened(second.clone())],
        );
        assert_eq!(store.commit(&winner).await.unwrap(), CommitOutcome::Applied);
        assert_eq!(store.commit(&loser).await.unwrap(), CommitOutcome::Conflict);
        assert_eq!(
            store.incidents_of("alpha").await.unwrap(),
            vec![first.clone()]
        );

        // The version matches but the incident exists: refused as a whole, state not written.
        let again = commit(
            "alpha",
            1,
            firing("alpha", 7, 1),
            vec![IncidentChange::Opened(second)],
        );
        assert_eq!(store.commit(&again).await.unwrap(), CommitOutcome::Conflict);
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.state, versioned(firing("alpha", 5, 1), 1));
        assert_eq!(store.incidents_of("alpha").await.unwrap(), vec![first]);
    }

    pub async fn incidents_update_and_resolve<S: Store>(store: &S) {
        store
            .put_integration(&integration("alpha"), at(0), at(1))
            .await
            .unwrap();
        let opened = incident("alpha", CheckKind::Auth, 1, 5);
        let id = opened.id.clone();
        let open = commit(
            "alpha",
            0,
            firing("alpha", 5, 1),
            vec![IncidentChange::Opened(opened.clone())],
        );
        assert_eq!(store.commit(&open).await.unwrap(), CommitOutcome::Applied);
        assert_eq!(store.open_incidents().await.unwrap(), vec![opened.clone()]);

        let update = IncidentChange::Changed {
            id: id.clone(),
            previous: IncidentFacts {
                class: RESOLVED_CLASS,
                severity: Severity::Critical,
                threshold_days: None,
            },
            class: IncidentClass::Outcome(OutcomeClass::InvalidClientId),
            message: "now the client id is unknown".to_string(),
            http_status: None,
            severity: Severity::High,
            threshold_days: Some(7),
            at: at(9),
        };
        let changed = commit("alpha", 1, firing("alpha", 9, 1), vec![update]);
        assert_eq!(
            store.commit(&changed).await.unwrap(),
            CommitOutcome::Applied
        );
        let updated = Incident {
            class: IncidentClass::Outcome(OutcomeClass::InvalidClientId),
            message: "now the client id is unknown".to_string(),
            http_status: None,
            severity: Severity::High,
            threshold_days: Some(7),
            updated_at: at(9),
            // A new class restarts the reminder schedule (RESOLVED_CLASS -> invalid_client_id).
            class_since: Some(at(9)),
            ..opened
        };
        assert_eq!(
            store.incidents_of("alpha").await.unwrap(),
            vec![updated.clone()]
        );
        assert_eq!(store.open_incidents().await.unwrap(), vec![updated.clone()]);

        let resolve = IncidentChange::Resolved {
            id: id.clone(),
            class: RESOLVED_CLASS,
            message: "working again".to_string(),
            at: at(20),
        };
        let resolved_commit = commit("alpha", 2, healthy(20), vec![resolve.clone()]);
        assert_eq!(
            store.commit(&resolved_commit).await.unwrap(),
            CommitOutcome::Applied
        );
        let resolved = Incident {
            open: false,
            message: "working again".to_string(),
            resolved_at: Some(at(20)),
            updated_at: at(20),
            ..updated
        };
        assert!(
            store.open_incidents().await.unwrap().is_empty(),
            "resolved incidents leave the open list"
        );
        assert_eq!(
            store.incidents_of("alpha").await.unwrap(),
            vec![resolved.clone()]
        );

        // Resolving or updating what is not open (any more) is another invocation's work.
        for write in [
            resolve,
            IncidentChange::Resolved {
                id: incident_id("alpha", CheckKind::Auth, 9),
                class: RESOLVED_CLASS,
                message: "never opened".to_string(),
                at: at(21),
            },
        ] {
            let late = commit("alpha", 3, healthy(21), vec![write]);
            assert_eq!(store.commit(&late).await.unwrap(), CommitOutcome::Conflict);
        }
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.state.version, 3);
        assert_eq!(store.incidents_of("alpha").await.unwrap(), vec![resolved]);

        // The same incident twice in one commit is a caller bug, refused before writing.
        let twice = commit(
            "alpha",
            3,
            healthy(22),
            vec![
                IncidentChange::Opened(incident("alpha", CheckKind::Auth, 2, 22)),
                IncidentChange::Resolved {
                    id: incident_id("alpha", CheckKind::Auth, 2),
                    class: RESOLVED_CLASS,
                    message: String::new(),
                    at: at(22),
                },
            ],
        );
        assert!(store.commit(&twice).await.is_err());
    }

    pub async fn open_incidents_are_sorted_and_sparse<S: Store>(store: &S) {
        for id in ["alpha", "bravo"] {
            store
                .put_integration(&integration(id), at(0), at(1))
                .await
                .unwrap();
        }
        let alpha_auth = incident("alpha", CheckKind::Auth, 1, 10);
        let alpha_expiry = Incident {
            class: IncidentClass::SecretExpiring,
            threshold_days: Some(14),
            http_status: None,
            ..incident("alpha", CheckKind::Expiry, 2, 5)
        };
        let bravo_auth = incident("bravo", CheckKind::Auth, 1, 5);
        let alpha_commit = commit(
            "alpha",
            0,
            firing("alpha", 10, 2),
            vec![
                IncidentChange::Opened(alpha_auth.clone()),
                IncidentChange::Opened(alpha_expiry.clone()),
            ],
        );
        let bravo_commit = commit(
            "bravo",
            0,
            firing("bravo", 5, 1),
            vec![IncidentChange::Opened(bravo_auth.clone())],
        );
        assert_eq!(
            store.commit(&alpha_commit).await.unwrap(),
            CommitOutcome::Applied
        );
        assert_eq!(
            store.commit(&bravo_commit).await.unwrap(),
            CommitOutcome::Applied
        );

        // Oldest first; the tie at minute 5 goes by id.
        let open = store.open_incidents().await.unwrap();
        assert_eq!(
            ids(&open),
            ["alpha:expiry:2", "bravo:auth:1", "alpha:auth:1"]
        );
        assert_eq!(open[0], alpha_expiry);
        let of_alpha = store.incidents_of("alpha").await.unwrap();
        assert_eq!(ids(&of_alpha), ["alpha:expiry:2", "alpha:auth:1"]);

        let resolve = IncidentChange::Resolved {
            id: bravo_auth.id.clone(),
            class: RESOLVED_CLASS,
            message: "ok".to_string(),
            at: at(30),
        };
        let bravo_resolves = commit("bravo", 1, healthy(30), vec![resolve]);
        assert_eq!(
            store.commit(&bravo_resolves).await.unwrap(),
            CommitOutcome::Applied
        );
        let open = store.open_incidents().await.unwrap();
        assert_eq!(ids(&open), ["alpha:expiry:2", "alpha:auth:1"]);
        assert_eq!(
            ids(&store.incidents_of("bravo").await.unwrap()),
            ["bravo:auth:1"]
        );
    }

    pub async fn history_is_newest_first_and_batched<S: Store>(store: &S) {
        let alpha: Vec<HistoryEntry> = (0..60).map(|m| entry("alpha", m)).collect();
        let bravo: Vec<HistoryEntry> = (0..3).map(|m| entry("bravo", m * 10)).collect();
        let mut all: Vec<HistoryEntry> = alpha.iter().chain(&bravo).cloned().collect();
        all.reverse();
        store.append_history(&all).await.unwrap();
        // The same probe recorded twice is one entry.
        store.append_history(&alpha[..30]).await.unwrap();

        let newest_first: Vec<HistoryEntry> = alpha.iter().rev().cloned().collect();
        assert_eq!(
            store.history("alpha", 10).await.unwrap(),
            newest_first[..10]
        );
        assert_eq!(store.history("alpha", 1000).await.unwrap(), newest_first);
        let bravo_newest: Vec<HistoryEntry> = bravo.iter().rev().cloned().collect();
        assert_eq!(store.history("bravo", 10).await.unwrap(), bravo_newest);
        assert!(store.history("alpha", 0).await.unwrap().is_empty());
        assert!(store.history("charlie", 10).await.unwrap().is_empty());
        store.append_history(&[]).await.unwrap();
    }

    pub async fn rotation_is_recorded_without_losing_state<S: Store>(store: &S) {
        store
            .put_integration(&integration("alpha"), at(0), at(1))
            .await
            .unwrap();
        let state = healthy(5);
        store
            .commit(&commit("alpha", 0, state.clone(), Vec::new()))
            .await
            .unwrap();
        assert!(
            store
                .record_rotation("alpha", at(7), FINGERPRINT_B)
                .await
                .unwrap()
        );
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.secret_rotated_seen_at, Some(at(7)));
        let due_now = CheckState {
            next_probe_at: Some(at(7)),
            secret_fingerprint: Some(FINGERPRINT_B.to_string()),
            ..versioned(state, 1)
        };
        assert_eq!(
            record.state, due_now,
            "due now with the new baseline, nothing else changed"
        );

        // Rotation times only move forward: an older or repeated event writes nothing.
        for earlier in [at(6), at(7)] {
            assert!(
                !store
                    .record_rotation("alpha", earlier, FINGERPRINT_A)
                    .await
                    .unwrap()
            );
        }
        let unchanged = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(unchanged, record, "an out-of-order event changed nothing");

        // A probe that read version 1 before the rotation still commits, and keeps it.
        let after = healthy(8);
        let outcome = store
            .commit(&commit("alpha", 1, after.clone(), Vec::new()))
            .await
            .unwrap();
        assert_eq!(outcome, CommitOutcome::Applied);
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.secret_rotated_seen_at, Some(at(7)));
        assert_eq!(record.state, versioned(after, 2));

        // Re-applying the inventory keeps it too.
        store
            .put_integration(&integration("alpha"), at(9), at(9))
            .await
            .unwrap();
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.secret_rotated_seen_at, Some(at(7)));

        assert!(
            store
                .record_rotation("nope", at(7), FINGERPRINT_A)
                .await
                .is_err()
        );
        assert_eq!(store.get_integration("nope").await.unwrap(), None);
    }

    pub async fn teams_round_trip<S: Store>(store: &S) {
        let ops = team("crm-ops");
        let bare = Team {
            id: "agency".to_string(),
            name: "Agency".to_string(),
            timezone: None,
            business_hours: None,
            escalate_after: None,
            escalate_to: None,
            after_hours_to: None,
            notify: Notify::default(),
            maintenance: Vec::new(),
        };
        store.put_team(&ops).await.unwrap();
        store.put_team(&bare).await.unwrap();
        assert_eq!(
            store.list_teams().await.unwrap(),
            vec![bare.clone(), ops.clone()]
        );

        // A changed notify block (an address removed, another threshold) is stored as given.
        let changed = Team {
            name: "CRM Operations".to_string(),
            business_hours: None,
            notify: Notify {
                email: vec!["crm-ops@example.com".to_string()],
                min_severity: Severity::Critical,
                ..Notify::default()
            },
            ..ops
        };
        store.put_team(&changed).await.unwrap();
        store.delete_team("agency").await.unwrap();
        store.delete_team("never-existed").await.unwrap();
        assert_eq!(store.list_teams().await.unwrap(), vec![changed]);
        assert!(
            store.list_integrations().await.unwrap().records.is_empty(),
            "teams are not integrations"
        );
    }

    pub async fn prune_deletes_one_integration_entirely<S: Store>(store: &S) {
        for id in ["alpha", "bravo"] {
            store
                .put_integration(&integration(id), at(0), at(1))
                .await
                .unwrap();
            let history: Vec<HistoryEntry> = (0..30).map(|m| entry(id, m)).collect();
            store.append_history(&history).await.unwrap();
            let open = commit(
                id,
                0,
                firing(id, 5, 1),
                vec![IncidentChange::Opened(incident(id, CheckKind::Auth, 1, 5))],
            );
            assert_eq!(store.commit(&open).await.unwrap(), CommitOutcome::Applied);
            let resolve = IncidentChange::Resolved {
                id: incident_id(id, CheckKind::Auth, 1),
                class: RESOLVED_CLASS,
                message: "ok".to_string(),
                at: at(9),
            };
            let reopen = IncidentChange::Opened(incident(id, CheckKind::Auth, 2, 10));
            let cycle = commit(id, 1, firing(id, 10, 2), vec![resolve, reopen]);
            assert_eq!(store.commit(&cycle).await.unwrap(), CommitOutcome::Applied);
        }
        let bravo_before = store.get_integration("bravo").await.unwrap();

        store.prune_integration("alpha").await.unwrap();
        store.prune_integration("never-existed").await.unwrap();

        assert_eq!(store.get_integration("alpha").await.unwrap(), None);
        assert!(store.history("alpha", 100).await.unwrap().is_empty());
        assert!(store.incidents_of("alpha").await.unwrap().is_empty());
        assert_eq!(
            ids(&store.open_incidents().await.unwrap()),
            ["bravo:auth:2"]
        );

        assert_eq!(store.get_integration("bravo").await.unwrap(), bravo_before);
        assert_eq!(store.history("bravo", 100).await.unwrap().len(), 30);
        assert_eq!(store.incidents_of("bravo").await.unwrap().len(), 2);
        let listed = store.list_integrations().await.unwrap().records;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].integration.id, "bravo");
    }

    pub async fn concurrent_commits_apply_once<S: Store>(store: &S) {
        for round in 0..4 {
            let id = format!("race-{round}");
            store
                .put_integration(&integration(&id), at(0), at(1))
                .await
                .unwrap();
            let open = |message: &str| {
                IncidentChange::Opened(Incident {
                    message: message.to_string(),
                    ..incident(&id, CheckKind::Auth, 1, 5)
                })
            };
            // One plain state update and two transactions opening the same incident.
            let commits = [
                commit(&id, 0, healthy(5), Vec::new()),
                commit(&id, 0, firing(&id, 5, 1), vec![open("first")]),
                commit(&id, 0, firing(&id, 6, 1), vec![open("second")]),
            ];
            let (a, b, c) = tokio::join!(
                store.commit(&commits[0]),
                store.commit(&commits[1]),
                store.commit(&commits[2])
            );
            let outcomes = [a.unwrap(), b.unwrap(), c.unwrap()];
            let applied: Vec<usize> = (0..3)
                .filter(|&i| outcomes[i] == CommitOutcome::Applied)
                .collect();
            assert_eq!(applied.len(), 1, "round {round}: {outcomes:?}");
            let winner = &commits[applied[0]];

            let record = store.get_integration(&id).await.unwrap().unwrap();
            assert_eq!(record.state, versioned(winner.state.clone(), 1));
            let incidents = store.incidents_of(&id).await.unwrap();
            let expected: Vec<Incident> = winner
                .incidents
                .iter()
                .map(|w| match w {
                    IncidentChange::Opened(incident) => incident.clone(),
                    other => panic!("unexpected write {other:?}"),
                })
                .collect();
            assert_eq!(incidents, expected, "round {round}");
        }
    }

    pub async fn standalone_incidents_open_once_resolve_and_move<S: Store>(store: &S) {
        let mut corrupt = incident("alpha", CheckKind::Monitor, 0, 1);
        corrupt.class = IncidentClass::CorruptItem;
        corrupt.team = "platform".into();
        assert!(store.open_incident(&corrupt).await.unwrap(), "opened");
        assert!(
            !store.open_incident(&corrupt).await.unwrap(),
            "an open incident of that id is left alone"
        );
        assert_eq!(
            ids(&store.open_incidents().await.unwrap()),
            ["alpha:monitor:0"]
        );

        assert!(
            store
                .reassign_incident("alpha:monitor:0", "crm-ops", at(2))
                .await
                .unwrap()
        );
        let moved = &store.incidents_of("alpha").await.unwrap()[0];
        assert_eq!((moved.team.as_str(), moved.updated_at), ("crm-ops", at(2)));

        assert!(
            store
                .resolve_incident("alpha:monitor:0", "readable again", at(3))
                .await
                .unwrap()
        );
        assert!(
            !store
                .resolve_incident("alpha:monitor:0", "again", at(4))
                .await
                .unwrap(),
            "resolving a resolved incident changes nothing"
        );
        assert!(
            !store
                .reassign_incident("alpha:monitor:0", "x", at(4))
                .await
                .unwrap()
        );
        let resolved = &store.incidents_of("alpha").await.unwrap()[0];
        assert!(!resolved.open);
        assert_eq!(resolved.message, "readable again");
        assert_eq!(resolved.resolved_at, Some(at(3)));
        assert!(store.open_incidents().await.unwrap().is_empty());

        // The problem comes back: the resolved incident of that id is opened again.
        assert!(
            store
                .open_incident(&incident_at(&corrupt, 5))
                .await
                .unwrap()
        );
        assert_eq!(
            Some(store.open_incidents().await.unwrap()[0].opened_at),
            Some(at(5))
        );
    }

    fn incident_at(incident: &Incident, minutes: u32) -> Incident {
        Incident {
            opened_at: at(minutes),
            updated_at: at(minutes),
            ..incident.clone()
        }
    }

    pub async fn replace_rewrites_an_integration_with_the_state_given<S: Store>(store: &S) {
        store
            .put_integration(&integration("alpha"), at(0), at(1))
            .await
            .unwrap();
        let committed = commit("alpha", 0, firing("alpha", 5, 3), Vec::new());
        assert_eq!(
            store.commit(&committed).await.unwrap(),
            CommitOutcome::Applied
        );
        let state = CheckState {
            incident_seq: 3,
            next_probe_at: Some(at(9)),
            ..CheckState::default()
        };
        let renamed = Integration {
            name: "renamed".into(),
            ..integration("alpha")
        };
        store
            .replace_integration(&renamed, at(8), &state)
            .await
            .unwrap();
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.integration, renamed);
        assert_eq!(record.state, state, "fresh state, version 0");
        assert_eq!(Some(record.added_at), Some(at(8)));
        assert!(!record.retired);
    }

    /// Failures are sorted by what the caller can do: an integration that is not there is a
    /// conflict (re-read), a malformed or repeated incident id a permanent error (a bug);
    /// neither is retryable, and nothing is written.
    pub async fn failures_are_sorted_by_kind<S: Store>(store: &S) {
        let conflicts = [
            store.retire_integration("ghost", at(1)).await.unwrap_err(),
            store
                .record_rotation("ghost", at(1), "0123456789abcdef0123456789abcdef")
                .await
                .unwrap_err(),
        ];
        for err in &conflicts {
            assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
            assert!(err.to_string().contains("ghost"), "{err}");
        }

        store
            .put_integration(&integration("alpha"), at(0), at(1))
            .await
            .unwrap();
        // Malformed incident ids cannot be built (IncidentId parses them away); what is left
        // for the store to refuse is a commit that writes one incident twice.
        let resolve = |id: &str| IncidentChange::Resolved {
            id: id.parse().expect("an incident id"),
            class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
            message: "fixed".to_string(),
            at: at(2),
        };
        let permanent = [store
            .commit(&commit(
                "alpha",
                0,
                healthy(2),
                vec![resolve("alpha:auth:1"), resolve("alpha:auth:1")],
            ))
            .await
            .unwrap_err()];
        for err in &permanent {
            assert!(matches!(err, StoreError::Permanent { .. }), "{err:?}");
        }
        assert!(
            permanent[0].to_string().contains("written twice"),
            "{}",
            permanent[0]
        );
        for err in conflicts.iter().chain(&permanent) {
            assert!(!err.is_retryable(), "{err:?}");
            assert_eq!(err.corrupt_item(), None, "{err:?}");
        }
        let record = store.get_integration("alpha").await.unwrap().unwrap();
        assert_eq!(record.state.version, 0, "nothing was written");
        assert!(store.incidents_of("alpha").await.unwrap().is_empty());
    }
}

/// Each contract as two tests: `memory::NAME` and `dynamo::NAME` (a fresh table in moto).
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::contract::$name(&credwatch::store::memory::MemoryStore::new()).await;
                }
            )+
        }

        mod dynamo {
            $(
                #[tokio::test]
                async fn $name() {
                    super::contract::$name(&super::Dynamo::new().await.store).await;
                }
            )+
        }
    };
}

contract_tests!(
    integrations_round_trip_and_updates_keep_state,
    optional_fields_can_be_removed,
    commit_applies_and_bumps_version,
    stale_commit_conflicts_and_writes_nothing,
    incident_opens_exactly_once,
    incidents_update_and_resolve,
    open_incidents_are_sorted_and_sparse,
    history_is_newest_first_and_batched,
    rotation_is_recorded_without_losing_state,
    teams_round_trip,
    prune_deletes_one_integration_entirely,
    concurrent_commits_apply_once,
    standalone_incidents_open_once_resolve_and_move,
    replace_rewrites_an_integration_with_the_state_given,
    failures_are_sorted_by_kind,
);

// ---- DynamoDB only ----

/// A DynamoDB store on a fresh table in moto, with a raw client to look at its items.
struct Dynamo {
    client: Client,
    table: String,
    store: DynamoStore,
}

impl Dynamo {
    async fn new() -> Dynamo {
        let client = Client::new(&sdk_config().await);
        let table = unique_name("credwatch-store");
        create_table(&client, &table).await.expect("create table");
        let store = DynamoStore::new(client.clone(), table.clone());
        Dynamo {
            client,
            table,
            store,
        }
    }

    async fn raw(&self, pk: &str, sk: &str) -> Option<HashMap<String, AttributeValue>> {
        self.client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_string()))
            .key("sk", AttributeValue::S(sk.to_string()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
    }

    async fn raw_existing(&self, pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        self.raw(pk, sk)
            .await
            .unwrap_or_else(|| panic!("no item pk={pk} sk={sk}"))
    }
}

fn names<'a>(attributes: impl IntoIterator<Item = &'a String>) -> BTreeSet<&'a str> {
    attributes.into_iter().map(String::as_str).collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

fn string(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

#[tokio::test]
async fn create_table_refuses_an_existing_table() {
    let dynamo = Dynamo::new().await;
    let err = create_table(&dynamo.client, &dynamo.table)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert!(err.to_string().contains(&dynamo.table), "{err}");
}

#[tokio::test]
async fn created_table_matches_the_spec() {
    let dynamo = Dynamo::new().await;
    let spec = table_spec();
    let described = dynamo
        .client
        .describe_table()
        .table_name(&dynamo.table)
        .send()
        .await
        .unwrap();
    let table = described.table().unwrap();
    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        schema
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_string(),
                    k.key_type().as_str().to_string(),
                )
            })
            .collect()
    };
    let hash_range = |hash: &str, range: &str| {
        vec![
            (hash.to_string(), "HASH".to_string()),
            (range.to_string(), "RANGE".to_string()),
        ]
    };
    assert_eq!(
        keys(table.key_schema()),
        hash_range(spec.partition_key, spec.sort_key)
    );
    let definitions: BTreeSet<(&str, &str)> = table
        .attribute_definitions()
        .iter()
        .map(|d| (d.attribute_name(), d.attribute_type().as_str()))
        .collect();
    assert_eq!(
        definitions,
        spec.attribute_definitions().into_iter().collect()
    );
    assert_eq!(
        table
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str()),
        Some(spec.billing_mode)
    );
    let stream = table.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some(spec.stream_view_type)
    );
    let [index] = table.global_secondary_indexes() else {
        panic!("expected exactly one GSI");
    };
    assert_eq!(index.index_name(), Some(spec.gsi_name));
    assert_eq!(
        keys(index.key_schema()),
        hash_range(spec.gsi_partition_key, spec.gsi_sort_key)
    );
    assert_eq!(
        index
            .projection()
            .and_then(|p| p.projection_type())
            .map(|p| p.as_str()),
        Some(spec.gsi_projection)
    );

    let ttl = dynamo
        .client
        .describe_time_to_live()
        .table_name(&dynamo.table)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some(spec.ttl_attribute));
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );
}

/// The items hold exactly the attributes `store::dynamo` documents: in particular, the
/// integration holds where its secret is (a variable name), and nothing else about it.
#[tokio::test]
async fn items_hold_exactly_the_documented_attributes() {
    let dynamo = Dynamo::new().await;
    let store = &dynamo.store;
    store
        .put_integration(&integration("alpha"), at(0), at(1))
        .await
        .unwrap();
    let opened = incident("alpha", CheckKind::Auth, 1, 5);
    let open = commit(
        "alpha",
        0,
        firing("alpha", 5, 1),
        vec![IncidentChange::Opened(opened)],
    );
    assert_eq!(store.commit(&open).await.unwrap(), CommitOutcome::Applied);
    store
        .record_rotation("alpha", at(6), FINGERPRINT_B)
        .await
        .unwrap();
    let probe = HistoryEntry {
        http_status: Some(200),
        ..entry("alpha", 5)
    };
    store.append_history(&[probe]).await.unwrap();
    store.put_team(&team("crm-ops")).await.unwrap();

    let item = dynamo.raw_existing("INVENTORY", "INT#alpha").await;
    assert_eq!(
        names(item.keys()),
        set(&[
            "pk",
            "sk",
            "id",
            "name",
            "owner",
            "severity",
            "auth_url",
            "client_id",
            "client_secret",
            "account_id",
            "expected_scopes",
            "secret_rotated_at",
            "secret_expires_at",
            "depends_on",
            "records_per_hour",
            "runbook",
            "probe_every",
            "recheck_every",
            "expiry_warn_days",
            "secret_lifetime_days",
            "retired",
            "added_at",
            "secret_rotated_seen_at",
            "version",
            "auth",
            "monitor",
            "last_class",
            "last_probe_at",
            "next_probe_at",
            "incident_seq",
            "expiry",
            "stale_incident",
            "secret_fingerprint",
            "maintenance",
            "ingest",
        ])
    );
    assert_eq!(
        item["ingest"],
        AttributeValue::M(HashMap::from([
            (
                "log_groups".to_string(),
                AttributeValue::L(vec![
                    string("/aws/lambda/crm-sync"),
                    string("crm#sfmc-calls")
                ])
            ),
            (
                "event_sources".to_string(),
                AttributeValue::L(vec![string("com.acme.crm-sync")])
            ),
        ]))
    );
    assert_eq!(
        item["maintenance"],
        AttributeValue::L(vec![AttributeValue::M(HashMap::from([
            (
                "days".to_string(),
                AttributeValue::L(vec![string("sat"), string("sun")])
            ),
            ("start".to_string(), string("22:00:00")),
            (
                "duration".to_string(),
                AttributeValue::N("14400".to_string())
            ),
            ("timezone".to_string(), string("America/New_York")),
        ]))])
    );
    assert_eq!(
        item["client_secret"],
        AttributeValue::M(HashMap::from([
            ("kind".to_string(), string("env")),
            ("name".to_string(), string("CRM_SECRET")),
        ]))
    );
    assert_eq!(item["version"], AttributeValue::N("1".to_string()));
    assert_eq!(item["probe_every"], AttributeValue::N("900".to_string()));
    assert_eq!(item["secret_expires_at"], string("2026-11-28"));
    assert_eq!(item["added_at"], string("2026-06-01T00:00:00.000Z"));
    assert_eq!(item["last_class"], string("client_auth_failed"));
    assert_eq!(
        names(item["auth"].as_m().unwrap().keys()),
        set(&[
            "health",
            "class",
            "since",
            "consecutive_failures",
            "first_failure_at",
            "consecutive_successes",
            "open_incident",
        ])
    );
    assert_eq!(item["auth"].as_m().unwrap()["health"], string("firing"));
    assert_eq!(
        names(item["monitor"].as_m().unwrap().keys()),
        set(&["health", "consecutive_failures", "consecutive_successes"])
    );

    let incident = dynamo.raw_existing("INC#alpha", "auth#000001").await;
    assert_eq!(
        names(incident.keys()),
        set(&[
            "pk",
            "sk",
            "id",
            "integration",
            "check",
            "class",
            "severity",
            "team",
            "open",
            "opened_at",
            "updated_at",
            "message",
            "http_status",
            "gsi1pk",
            "gsi1sk",
        ])
    );
    assert_eq!(incident["gsi1pk"], string("OPEN"));
    assert_eq!(
        incident["gsi1sk"],
        string("2026-06-01T00:05:00.000Z#alpha:auth:1")
    );

    let history = dynamo
        .raw_existing("HIST#alpha", "2026-06-01T00:05:00.000Z")
        .await;
    assert_eq!(
        names(history.keys()),
        set(&[
            "pk",
            "sk",
            "integration",
            "probed_at",
            "class",
            "http_status",
            "latency_ms",
            "attempts",
            "confirmed",
            "business_unit",
            "missing_scopes",
            "message",
            "expires_at",
        ])
    );

    let team = dynamo.raw_existing("INVENTORY", "TEAM#crm-ops").await;
    assert_eq!(
        names(team.keys()),
        set(&[
            "pk",
            "sk",
            "id",
            "name",
            "timezone",
            "business_hours",
            "escalate_after",
            "escalate_to",
            "after_hours_to",
            "notify",
            "maintenance"
        ])
    );
    assert_eq!(
        names(team["notify"].as_m().unwrap().keys()),
        set(&[
            "email",
            "min_severity",
            "remind_after",
            "remind_max",
            "group_wait",
            "group_min",
            "slack_webhook_secret"
        ])
    );
    let notify = team["notify"].as_m().unwrap();
    // The secret's name, never a URL.
    assert_eq!(
        notify["slack_webhook_secret"],
        AttributeValue::S("credwatch/slack/crm-ops".into())
    );
    assert_eq!(
        notify["remind_after"],
        AttributeValue::L(vec![
            AttributeValue::N("3600".to_string()),
            AttributeValue::N("14400".to_string())
        ])
    );
    assert_eq!(notify["group_wait"], AttributeValue::N("0".to_string()));
    assert_eq!(team["escalate_to"], string("platform"));
    assert_eq!(
        team["maintenance"].as_l().unwrap()[1],
        AttributeValue::M(HashMap::from([
            ("days".to_string(), AttributeValue::L(Vec::new())),
            ("start".to_string(), string("23:30:00")),
            (
                "duration".to_string(),
                AttributeValue::N("604800".to_string())
            ),
        ]))
    );
    assert_eq!(
        team["notify"].as_m().unwrap()["min_severity"],
        string("high")
    );
    assert_eq!(
        team["business_hours"].as_m().unwrap()["start"],
        string("08:00:00")
    );

    // Retiring adds retired_at; coming back removes it. Resolving leaves the open index.
    store.retire_integration("alpha", at(8)).await.unwrap();
    let retired = dynamo.raw_existing("INVENTORY", "INT#alpha").await;
    assert_eq!(retired["retired"], AttributeValue::Bool(true));
    assert_eq!(retired["retired_at"], string("2026-06-01T00:08:00.000Z"));
    store
        .put_integration(&minimal("alpha"), at(9), at(9))
        .await
        .unwrap();
    let back = dynamo.raw_existing("INVENTORY", "INT#alpha").await;
    for gone in [
        "retired_at",
        "account_id",
        "runbook",
        "records_per_hour",
        "secret_expires_at",
    ] {
        assert!(!back.contains_key(gone), "{gone} should be removed");
    }
    assert_eq!(back["retired"], AttributeValue::Bool(false));

    let resolve = IncidentChange::Resolved {
        id: incident_id("alpha", CheckKind::Auth, 1),
        class: RESOLVED_CLASS,
        message: "ok".to_string(),
        at: at(10),
    };
    let resolved = commit("alpha", 1, healthy(10), vec![resolve]);
    assert_eq!(
        store.commit(&resolved).await.unwrap(),
        CommitOutcome::Applied
    );
    let incident = dynamo.raw_existing("INC#alpha", "auth#000001").await;
    assert!(!incident.contains_key("gsi1pk") && !incident.contains_key("gsi1sk"));
    assert_eq!(incident["open"], AttributeValue::Bool(false));
    assert_eq!(incident["resolved_at"], string("2026-06-01T00:10:00.000Z"));
}

#[tokio::test]
async fn history_expires_after_the_ttl() {
    let dynamo = Dynamo::new().await;
    let probe = entry("alpha", 5);
    let probed_at = probe.probed_at.timestamp();
    dynamo.store.append_history(&[probe]).await.unwrap();
    let item = dynamo
        .raw_existing("HIST#alpha", "2026-06-01T00:05:00.000Z")
        .await;
    let expires_at: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(expires_at, probed_at + 90 * 86_400);

    let short =
        DynamoStore::new(dynamo.client.clone(), dynamo.table.clone()).with_history_ttl_days(7);
    short.append_history(&[entry("bravo", 5)]).await.unwrap();
    let item = dynamo
        .raw_existing("HIST#bravo", "2026-06-01T00:05:00.000Z")
        .await;
    let expires_at: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(expires_at, probed_at + 7 * 86_400);
}

/// Team and integration items written before alert operations (no `escalate_to`,
/// `after_hours_to`, `maintenance`, nor `notify.remind_after`, `remind_max`, `group_wait`,
/// `group_min`) read with the defaults; a team item with one of them out of bounds is unreadable
/// and left out of the listing, the others still read.
#[tokio::test]
async fn items_of_the_previous_version_read_with_alerting_defaults() {
    let dynamo = Dynamo::new().await;
    let remove = |sk: String, paths: &[&[&str]]| {
        let mut names = HashMap::new();
        let mut removed = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let parts: Vec<String> = path
                .iter()
                .enumerate()
                .map(|(j, name)| {
                    names.insert(format!("#p{i}x{j}"), name.to_string());
                    format!("#p{i}x{j}")
                })
                .collect();
            removed.push(parts.join("."));
        }
        dynamo
            .client
            .update_item()
            .table_name(&dynamo.table)
            .key("pk", string("INVENTORY"))
            .key("sk", string(&sk))
            .update_expression(format!("REMOVE {}", removed.join(", ")))
            .set_expression_attribute_names(Some(names))
            .send()
    };
    let ops = team("crm-ops");
    dynamo.store.put_team(&ops).await.unwrap();
    remove(
        "TEAM#crm-ops".to_string(),
        &[
            &["escalate_to"],
            &["after_hours_to"],
            &["maintenance"],
            &["notify", "remind_after"],
            &["notify", "remind_max"],
            &["notify", "group_wait"],
            &["notify", "group_min"],
            &["notify", "slack_webhook_secret"],
        ],
    )
    .await
    .unwrap();
    let alpha = integration("alpha");
    dynamo
        .store
        .put_integration(&alpha, at(0), at(1))
        .await
        .unwrap();
    remove("INT#alpha".to_string(), &[&["maintenance"]])
        .await
        .unwrap();

    let older = Team {
        escalate_to: None,
        after_hours_to: None,
        maintenance: Vec::new(),
        notify: Notify {
            email: ops.notify.email.clone(),
            min_severity: ops.notify.min_severity,
            ..Notify::default()
        },
        ..ops.clone()
    };
    assert_eq!(older.notify.group_wait, Duration::from_secs(60));
    assert_eq!(older.notify.group_min, 2);
    assert_eq!(dynamo.store.list_teams().await.unwrap(), vec![older]);
    let record = dynamo
        .store
        .get_integration("alpha")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.integration.maintenance, Vec::new());

    // One team with a group_min below 2 is left out; another team still reads.
    let web = team("web");
    dynamo.store.put_team(&web).await.unwrap();
    dynamo
        .client
        .update_item()
        .table_name(&dynamo.table)
        .key("pk", string("INVENTORY"))
        .key("sk", string("TEAM#crm-ops"))
        .update_expression("SET #n.#g = :v")
        .expression_attribute_names("#n", "notify")
        .expression_attribute_names("#g", "group_min")
        .expression_attribute_values(":v", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(dynamo.store.list_teams().await.unwrap(), vec![web]);
}

/// Items poisoned the ways a hand edit, another tool or an older credwatch could, written raw
/// through the SDK: each is listed apart with its attribute and problem (never its value), and
/// every other integration still reads.
#[tokio::test]
async fn poisoned_items_are_listed_apart_and_never_hide_the_others() {
    let dynamo = Dynamo::new().await;
    let huge = "h".repeat(300_000);
    let poisons: Vec<(&str, &str, Option<AttributeValue>, &str, &str)> = vec![
        (
            "year-20327",
            "next_probe_at",
            Some(string("+20327-01-01T00:00:00.000Z")),
            "next_probe_at",
            "is not a valid RFC 3339 timestamp",
        ),
        ("missing", "version", None, "version", "is missing"),
        (
            "wrong-type",
            "probe_every",
            Some(string("15m")),
            "probe_every",
            "is not a number (N)",
        ),
        (
            "nested-wrong",
            "auth.health",
            Some(string("not-a-health-value-4711")),
            "auth.health",
            "is not a valid health",
        ),
        (
            "huge-name",
            "name",
            Some(string(&huge)),
            "name",
            "is longer than 200 characters",
        ),
        (
            "overflow",
            "probe_every",
            Some(AttributeValue::N("99999999999999999999999".into())),
            "probe_every",
            "is out of range",
        ),
        (
            "too-long-cadence",
            "probe_every",
            Some(AttributeValue::N("518400000".into())),
            "probe_every",
            "is outside 60..=604800 seconds",
        ),
        (
            "wrong-id",
            "id",
            Some(string("someone-else")),
            "id",
            "differs from the id in the item's key",
        ),
        (
            "version-max",
            "version",
            Some(AttributeValue::N("18446744073709551615".into())),
            "version",
            "is outside 0..=9007199254740991",
        ),
        (
            "seq-max",
            "incident_seq",
            Some(AttributeValue::N("4294967295".into())),
            "incident_seq",
            "is outside 0..=2147483647",
        ),
        (
            "short-window",
            "maintenance",
            Some(AttributeValue::L(vec![AttributeValue::M(HashMap::from([
                ("days".to_string(), AttributeValue::L(vec![string("sun")])),
                ("start".to_string(), string("02:00:00")),
                ("duration".to_string(), AttributeValue::N("30".into())),
            ]))])),
            "maintenance[0].duration",
            "is outside 60..=604800 seconds",
        ),
        // A hand-written key and id that agree but break the id rule (terminal escapes, bidi).
        (
            "Evil\u{1b}[2J\u{202e}id",
            "name",
            Some(string("Evil")),
            "id",
            "is not a valid integration id",
        ),
    ];
    for id in ["alpha", "zulu"] {
        dynamo
            .store
            .put_integration(&integration(id), at(0), at(1))
            .await
            .unwrap();
    }
    for (id, path, value, _, _) in &poisons {
        dynamo
            .store
            .put_integration(&integration(id), at(0), at(1))
            .await
            .unwrap();
        let names: HashMap<String, String> = path
            .split('.')
            .enumerate()
            .map(|(i, name)| (format!("#p{i}"), name.to_string()))
            .collect();
        let placeholder = (0..names.len())
            .map(|i| format!("#p{i}"))
            .collect::<Vec<_>>()
            .join(".");
        let update = match value {
            Some(_) => format!("SET {placeholder} = :v"),
            None => format!("REMOVE {placeholder}"),
        };
        dynamo
            .client
            .update_item()
            .table_name(&dynamo.table)
            .key("pk", string("INVENTORY"))
            .key("sk", string(&format!("INT#{id}")))
            .update_expression(update)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(
                value
                    .clone()
                    .map(|v| HashMap::from([(":v".to_string(), v)])),
            )
            .send()
            .await
            .unwrap();
    }

    let listing = dynamo.store.list_integrations().await.unwrap();
    let readable: Vec<&str> = listing
        .records
        .iter()
        .map(|r| r.integration.id.as_str())
        .collect();
    assert_eq!(
        readable,
        ["alpha", "zulu"],
        "every readable integration is still listed"
    );
    assert_eq!(
        listing.unreadable.len(),
        poisons.len(),
        "{:?}",
        listing.unreadable
    );
    for (id, _, _, field, problem) in &poisons {
        let found = listing
            .unreadable
            .iter()
            .find(|u| u.id == *id)
            .unwrap_or_else(|| panic!("{id} not listed as unreadable: {:?}", listing.unreadable));
        assert_eq!(found.field, *field, "{id}: {found:?}");
        assert!(found.problem.contains(problem), "{id}: {found:?}");
        assert!(
            !found.to_string().contains('\u{1b}'),
            "{id}: a raw escape in: {found}"
        );
        let text = format!("{found:?} {found}");
        assert!(
            !text.contains("4711") && !text.contains("hhhh") && !text.contains("+20327-01-01"),
            "{id}: the value leaked: {text}"
        );
    }

    // Reading one of them alone is an error naming the table, key and attribute.
    let err = dynamo
        .store
        .get_integration("nested-wrong")
        .await
        .unwrap_err();
    for part in [dynamo.table.as_str(), "sk=INT#nested-wrong", "auth.health"] {
        assert!(
            err.to_string().contains(part),
            "{part:?} missing from: {err}"
        );
    }
    assert!(!err.to_string().contains("4711"), "the value leaked: {err}");

    // Rewriting repairs; pruning deletes.
    let state = CheckState::default();
    dynamo
        .store
        .replace_integration(&integration("year-20327"), at(2), &state)
        .await
        .unwrap();
    dynamo.store.prune_integration("huge-name").await.unwrap();
    let listing = dynamo.store.list_integrations().await.unwrap();
    assert!(
        listing
            .records
            .iter()
            .any(|r| r.integration.id == "year-20327")
    );
    assert!(
        !listing
            .unreadable
            .iter()
            .any(|u| u.id == "year-20327" || u.id == "huge-name")
    );
    assert!(dynamo.raw("INVENTORY", "INT#huge-name").await.is_none());
}

/// A version at the largest value an item may hold is read, but a commit cannot go past it: that
/// commit is an error naming the integration and the attribute, never a panic or a wrap, and the
/// item is unchanged.
#[tokio::test]
async fn a_commit_past_the_largest_version_is_an_error_not_an_overflow() {
    let dynamo = Dynamo::new().await;
    dynamo
        .store
        .put_integration(&integration("alpha"), at(0), at(1))
        .await
        .unwrap();
    dynamo
        .client
        .update_item()
        .table_name(&dynamo.table)
        .key("pk", string("INVENTORY"))
        .key("sk", string("INT#alpha"))
        .update_expression("SET version = :v")
        .expression_attribute_values(":v", AttributeValue::N("9007199254740991".into()))
        .send()
        .await
        .unwrap();
    let record = dynamo
        .store
        .get_integration("alpha")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.state.version, 9_007_199_254_740_991);
    for incidents in [
        Vec::new(),
        vec![IncidentChange::Opened(incident(
            "alpha",
            CheckKind::Auth,
            1,
            2,
        ))],
    ] {
        let err = dynamo
            .store
            .commit(&commit(
                "alpha",
                record.state.version,
                healthy(2),
                incidents,
            ))
            .await
            .unwrap_err();
        for part in [
            "alpha",
            "version",
            "is outside 0..=9007199254740991",
            &dynamo.table,
        ] {
            assert!(
                err.to_string().contains(part),
                "{part:?} missing from: {err}"
            );
        }
    }
    let item = dynamo.raw_existing("INVENTORY", "INT#alpha").await;
    assert_eq!(item["version"].as_n().unwrap(), "9007199254740991");
    assert!(dynamo.raw("INC#alpha", "auth#000001").await.is_none());
}

/// A team, incident or history item that cannot be read is skipped (and logged): the others
/// are still listed, so `status` and `inventory apply` keep working.
#[tokio::test]
async fn unreadable_teams_incidents_and_history_are_skipped() {
    let dynamo = Dynamo::new().await;
    dynamo.store.put_team(&team("crm-ops")).await.unwrap();
    dynamo.store.put_team(&team("loyalty")).await.unwrap();
    dynamo
        .store
        .open_incident(&incident("alpha", CheckKind::Auth, 1, 1))
        .await
        .unwrap();
    dynamo
        .store
        .open_incident(&incident("alpha", CheckKind::Auth, 2, 2))
        .await
        .unwrap();
    dynamo
        .store
        .append_history(&[entry("alpha", 1), entry("alpha", 2)])
        .await
        .unwrap();
    for (pk, sk, attribute) in [
        ("INVENTORY", "TEAM#loyalty", "name"),
        ("INC#alpha", "auth#000002", "severity"),
        ("HIST#alpha", "2026-06-01T00:02:00.000Z", "class"),
    ] {
        dynamo
            .client
            .update_item()
            .table_name(&dynamo.table)
            .key("pk", string(pk))
            .key("sk", string(sk))
            .update_expression("REMOVE #a")
            .expression_attribute_names("#a", attribute)
            .send()
            .await
            .unwrap();
    }
    let teams = dynamo.store.list_teams().await.unwrap();
    assert_eq!(
        teams.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["crm-ops"]
    );
    assert_eq!(
        ids(&dynamo.store.open_incidents().await.unwrap()),
        ["alpha:auth:1"]
    );
    assert_eq!(
        ids(&dynamo.store.incidents_of("alpha").await.unwrap()),
        ["alpha:auth:1"]
    );
    let history = dynamo.store.history("alpha", 10).await.unwrap();
    assert_eq!(history, vec![entry("alpha", 1)]);
}

/// An open incident item that cannot be read (its `message` a number, its `opened_at` in year
/// 20327) is listed apart with its key, integration and attribute (never its value) instead of
/// vanishing; the expiry scan's report counts it (`CorruptItems`) and opens the integration's
/// `corrupt_item` incident for the platform team, resolved once the item reads again.
#[tokio::test]
async fn unreadable_open_incidents_are_listed_apart_and_reported() {
    let dynamo = Dynamo::new().await;
    for id in ["alpha", "bravo", "charlie"] {
        dynamo
            .store
            .put_integration(&integration(id), at(0), at(1))
            .await
            .unwrap();
        dynamo
            .store
            .open_incident(&incident(id, CheckKind::Auth, 1, 1))
            .await
            .unwrap();
    }
    let poison = |sk_pk: (&'static str, &'static str), attribute: &'static str, value| {
        dynamo
            .client
            .update_item()
            .table_name(&dynamo.table)
            .key("pk", string(sk_pk.0))
            .key("sk", string(sk_pk.1))
            .update_expression("SET #a = :v")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":v", value)
            .send()
    };
    poison(
        ("INC#alpha", "auth#000001"),
        "message",
        AttributeValue::N("4711".into()),
    )
    .await
    .unwrap();
    poison(
        ("INC#bravo", "auth#000001"),
        "opened_at",
        string("+20327-01-01T00:00:00.000Z"),
    )
    .await
    .unwrap();

    let listing = dynamo.store.open_incident_listing().await.unwrap();
    assert_eq!(ids(&listing.incidents), ["charlie:auth:1"]);
    let found: Vec<(Option<&str>, &str, &str)> = listing
        .unreadable
        .iter()
        .map(|u| (u.integration.as_deref(), u.key.as_str(), u.field.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (Some("alpha"), "pk=INC#alpha sk=auth#000001", "message"),
            (Some("bravo"), "pk=INC#bravo sk=auth#000001", "opened_at"),
        ],
        "{listing:?}"
    );
    let shown = format!("{:?} {}", listing.unreadable, listing.unreadable[1]);
    assert!(
        !shown.contains("4711") && !shown.contains("20327"),
        "values leaked: {shown}"
    );
    assert_eq!(
        ids(&dynamo.store.open_incidents().await.unwrap()),
        ["charlie:auth:1"]
    );

    let listing = dynamo.store.list_integrations().await.unwrap();
    let report =
        credwatch::jobs::corrupt::reconcile_corrupt_incidents(&dynamo.store, &listing, at(5)).await;
    assert_eq!(report.opened, 2, "{report:?}");
    assert_eq!(report.unreadable_incidents.len(), 2, "{report:?}");
    assert!(report.errors.is_empty(), "{report:?}");
    let open = dynamo
        .store
        .open_incident_listing()
        .await
        .unwrap()
        .incidents;
    let reports: Vec<&Incident> = open.iter().filter(|i| i.class == "corrupt_item").collect();
    assert_eq!(
        reports.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["alpha:monitor:0", "bravo:monitor:0"]
    );
    assert!(
        reports[0].message.contains("sk=auth#000001") && reports[0].message.contains("message"),
        "{}",
        reports[0].message
    );
    assert_eq!(reports[0].team, "platform");
    let again =
        credwatch::jobs::corrupt::reconcile_corrupt_incidents(&dynamo.store, &listing, at(6)).await;
    assert_eq!((again.opened, again.resolved), (0, 0), "{again:?}");

    // alpha's incident fixed by hand: its report resolves, bravo's stays.
    poison(
        ("INC#alpha", "auth#000001"),
        "message",
        string("SFMC says: Client authentication failed."),
    )
    .await
    .unwrap();
    let fixed =
        credwatch::jobs::corrupt::reconcile_corrupt_incidents(&dynamo.store, &listing, at(7)).await;
    assert_eq!((fixed.opened, fixed.resolved), (0, 1), "{fixed:?}");
    let open = dynamo.store.open_incident_listing().await.unwrap();
    assert_eq!(
        ids(&open.incidents),
        ["alpha:auth:1", "charlie:auth:1", "bravo:monitor:0"]
    );
    assert_eq!(open.unreadable.len(), 1);
}

/// What credwatch writes always reads back: a schedule past year 9999 is written as the last
/// millisecond of 9999.
#[tokio::test]
async fn far_future_times_are_clamped_to_a_readable_year() {
    let dynamo = Dynamo::new().await;
    dynamo
        .store
        .put_integration(&integration("alpha"), at(0), at(1))
        .await
        .unwrap();
    let far = CheckState {
        next_probe_at: Some(chrono_max()),
        last_probe_at: Some(at(2)),
        ..CheckState::default()
    };
    let committed = commit("alpha", 0, far, Vec::new());
    assert_eq!(
        dynamo.store.commit(&committed).await.unwrap(),
        CommitOutcome::Applied
    );
    let item = dynamo.raw_existing("INVENTORY", "INT#alpha").await;
    assert_eq!(
        item["next_probe_at"].as_s().unwrap(),
        "9999-12-31T23:59:59.999Z"
    );
    let record = dynamo
        .store
        .get_integration("alpha")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.state.next_probe_at,
        Some(at_text("9999-12-31T23:59:59.999Z"))
    );
}

fn chrono_max<T: FromStr>() -> T
where
    T::Err: Debug,
{
    // DateTime<Utc>::MAX_UTC, reached through FromStr (this crate has no chrono dependency).
    "+262142-12-31T23:59:59.999999999Z"
        .parse()
        .expect("chrono's latest time")
}

fn at_text<T: FromStr>(text: &str) -> T
where
    T::Err: Debug,
{
    text.parse().expect("a valid timestamp")
}

/// Resolved incidents expire 400 days after they resolved; open ones never.
#[tokio::test]
async fn resolved_incidents_expire_after_400_days() {
    let dynamo = Dynamo::new().await;
    let open = incident("alpha", CheckKind::Monitor, 0, 0);
    dynamo.store.open_incident(&open).await.unwrap();
    let item = dynamo.raw_existing("INC#alpha", "monitor#000000").await;
    assert!(
        !item.contains_key("expires_at"),
        "open incidents never expire"
    );
    dynamo
        .store
        .resolve_incident(open.id.as_str(), "fixed", at(60))
        .await
        .unwrap();
    let item = dynamo.raw_existing("INC#alpha", "monitor#000000").await;
    let expires_at: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    let resolved: i64 = 1_780_272_000 + 3600; // 2026-06-01T01:00:00Z
    assert_eq!(expires_at, resolved + 400 * 86_400);
}

#[tokio::test]
async fn request_errors_name_table_operation_and_key() {
    let client = Client::new(&sdk_config().await);
    let store = DynamoStore::new(client, "credwatch-no-such-table");
    let err = store.list_integrations().await.unwrap_err();
    for part in [
        "Query",
        "credwatch-no-such-table",
        "pk=INVENTORY",
        "ResourceNotFound",
    ] {
        assert!(
            err.to_string().contains(part),
            "{part:?} missing from: {err}"
        );
    }
    let err = store
        .commit(&commit("alpha", 0, healthy(1), Vec::new()))
        .await
        .unwrap_err();
    for part in ["UpdateItem", "credwatch-no-such-table", "sk=INT#alpha"] {
        assert!(
            err.to_string().contains(part),
            "{part:?} missing from: {err}"
        );
    }
}

/// What DynamoDB's own failures are: a missing table is permanent (retrying cannot create it),
/// an endpoint nobody answers on is retryable, an item that does not decode is corrupt and
/// names its key and attribute, never its value.
#[tokio::test]
async fn dynamodb_failures_are_sorted_by_kind() {
    let config = sdk_config().await;
    let missing = DynamoStore::new(Client::new(&config), "credwatch-no-such-table");
    let err = missing.list_integrations().await.unwrap_err();
    assert!(matches!(err, StoreError::Permanent { .. }), "{err:?}");
    assert!(err.to_string().contains("ResourceNotFound"), "{err}");

    // A port nothing listens on (bound, then released), tried once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let unreachable = aws_sdk_dynamodb::config::Builder::from(&config)
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    let store = DynamoStore::new(Client::from_conf(unreachable), "credwatch-anything");
    for err in [
        store.list_integrations().await.unwrap_err(),
        store
            .commit(&commit("alpha", 0, healthy(1), Vec::new()))
            .await
            .unwrap_err(),
    ] {
        assert!(err.is_retryable(), "{err:?}");
        assert!(err.to_string().contains("credwatch-anything"), "{err}");
    }

    let dynamo = Dynamo::new().await;
    dynamo
        .store
        .put_integration(&integration("alpha"), at(0), at(1))
        .await
        .unwrap();
    dynamo
        .client
        .update_item()
        .table_name(&dynamo.table)
        .key("pk", string("INVENTORY"))
        .key("sk", string("INT#alpha"))
        .update_expression("SET probe_every = :v")
        .expression_attribute_values(":v", string("every-4711-minutes"))
        .send()
        .await
        .unwrap();
    let err = dynamo.store.get_integration("alpha").await.unwrap_err();
    assert!(!err.is_retryable(), "{err:?}");
    let item = err
        .corrupt_item()
        .unwrap_or_else(|| panic!("not corrupt: {err:?}"));
    assert_eq!(item.key, "pk=INVENTORY sk=INT#alpha");
    assert_eq!(item.integration.as_deref(), Some("alpha"));
    assert_eq!(item.field, "probe_every");
    assert_eq!(item.problem, "is not a number (N)");
    assert!(err.to_string().contains(&dynamo.table), "{err}");
    assert!(
        !format!("{err:?} {err}").contains("4711"),
        "the value leaked: {err}"
    );
}

/// A Lambda DynamoDB stream event (`aws_lambda_events`' shape) around `keys`, `old` and `new`
/// images, as JSON.
fn stream_event(keys: Value, old: Value, new: Value) -> Value {
    serde_json::json!({
        "Records": [{
            "eventID": "7de3041dd709b024af6f29e4fa13d34c",
            "eventName": "MODIFY",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1780275600.0,
                "Keys": keys,
                "OldImage": old,
                "NewImage": new,
                "SequenceNumber": "111",
                "SizeBytes": 512,
                "StreamViewType": "NEW_AND_OLD_IMAGES"
            },
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/credwatch/stream/2026-06-01T00:00:00.000"
        }]
    })
}

/// Items as DynamoDB JSON, the way a stream record carries them.
fn dynamodb_json(item: HashMap<String, AttributeValue>) -> Value {
    serde_json::to_value(image_of_item(item)).expect("an item serializes")
}

/// An incident as the table holds it, before and after it resolves, delivered in a Lambda
/// stream event, decodes through the adapter's own decoder to exactly what the store reads;
/// a corrupt image is unreadable, naming key and attribute, never the value.
#[tokio::test]
async fn stream_images_decode_like_the_table() {
    let dynamo = Dynamo::new().await;
    let opened = incident("alpha", CheckKind::Auth, 1, 1);
    dynamo.store.open_incident(&opened).await.unwrap();
    let old = dynamo.raw_existing("INC#alpha", "auth#000001").await;
    dynamo
        .store
        .resolve_incident(opened.id.as_str(), "fixed by rotating the secret", at(5))
        .await
        .unwrap();
    let new = dynamo.raw_existing("INC#alpha", "auth#000001").await;
    let resolved = dynamo.store.incidents_of("alpha").await.unwrap().remove(0);
    assert!(!resolved.open);
    let keys = HashMap::from([
        ("pk".to_string(), string("INC#alpha")),
        ("sk".to_string(), string("auth#000001")),
    ]);
    let (keys, old, new) = (dynamodb_json(keys), dynamodb_json(old), dynamodb_json(new));
    assert_eq!(new["pk"], serde_json::json!({"S": "INC#alpha"}));
    assert_eq!(new["open"], serde_json::json!({"BOOL": false}));

    let event: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_value(stream_event(keys.clone(), old.clone(), new.clone()))
            .expect("a Lambda DynamoDB stream event");
    let change = &event.records[0].change;
    assert_eq!(incident_of_image(&change.old_image), Ok(opened));
    assert_eq!(incident_of_image(&change.new_image), Ok(resolved.clone()));
    assert_eq!(
        decode_image(&change.new_image),
        Ok(Some(StoredItem::Incident(resolved)))
    );

    let huge = "h".repeat(300_000);
    let corruptions: Vec<(&str, Option<Value>, &str)> = vec![
        ("team", None, "is missing"),
        (
            "message",
            Some(serde_json::json!({"N": "4711"})),
            "is not a string (S)",
        ),
        (
            "message",
            Some(serde_json::json!({"S": huge})),
            "is longer than 16384 characters",
        ),
        (
            "opened_at",
            Some(serde_json::json!({"S": "+20327-01-01T00:00:00.000Z"})),
            "is not a valid RFC 3339 timestamp",
        ),
    ];
    for (attribute, value, problem) in corruptions {
        let mut image = new.clone();
        let attributes = image.as_object_mut().expect("an image is an object");
        match value {
            Some(value) => attributes.insert(attribute.to_string(), value),
            None => attributes.remove(attribute),
        };
        let event: aws_lambda_events::event::dynamodb::Event =
            serde_json::from_value(stream_event(keys.clone(), old.clone(), image))
                .expect("a Lambda DynamoDB stream event");
        let err =
            incident_of_image(&event.records[0].change.new_image).expect_err("a corrupt image");
        assert_eq!(err.key, "pk=INC#alpha sk=auth#000001", "{attribute}");
        assert_eq!(err.integration.as_deref(), Some("alpha"));
        assert_eq!(err.field, attribute);
        assert!(err.problem.contains(problem), "{attribute}: {err:?}");
        let shown = format!("{err:?} {err}");
        assert!(
            !shown.contains("4711") && !shown.contains("hhhh") && !shown.contains("20327"),
            "{attribute}: the value leaked: {shown}"
        );
    }
}

/// Hand-edited pointers and incident items that would misroute: an integration whose track
/// points at another integration's (or another check's) open incident, and an open incident
/// whose `integration` or `check` is not its id's. Each is unreadable, naming key and
/// attribute; the incidents they point at stay untouched and listed.
#[tokio::test]
async fn pointers_and_incidents_that_would_misroute_are_unreadable() {
    let dynamo = Dynamo::new().await;
    let ids_all = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
    for id in ids_all {
        dynamo
            .store
            .put_integration(&integration(id), at(0), at(1))
            .await
            .unwrap();
        dynamo
            .store
            .open_incident(&incident(id, CheckKind::Auth, 1, 1))
            .await
            .unwrap();
    }
    let set = |pk: &'static str, sk: &'static str, path: &'static str, value: AttributeValue| {
        let names: HashMap<String, String> = path
            .split('.')
            .enumerate()
            .map(|(i, name)| (format!("#p{i}"), name.to_string()))
            .collect();
        let placeholder = (0..names.len())
            .map(|i| format!("#p{i}"))
            .collect::<Vec<_>>()
            .join(".");
        dynamo
            .client
            .update_item()
            .table_name(&dynamo.table)
            .key("pk", string(pk))
            .key("sk", string(sk))
            .update_expression(format!("SET {placeholder} = :v"))
            .set_expression_attribute_names(Some(names))
            .expression_attribute_values(":v", value)
            .send()
    };
    // Integrations pointing elsewhere.
    set(
        "INVENTORY",
        "INT#alpha",
        "auth.open_incident",
        string("bravo:auth:1"),
    )
    .await
    .unwrap();
    set(
        "INVENTORY",
        "INT#charlie",
        "monitor.open_incident",
        string("charlie:auth:1"),
    )
    .await
    .unwrap();
    set(
        "INVENTORY",
        "INT#delta",
        "stale_incident",
        string("bravo:monitor:1"),
    )
    .await
    .unwrap();
    // Incidents that are not their id's.
    set("INC#echo", "auth#000001", "integration", string("bravo"))
        .await
        .unwrap();
    set("INC#foxtrot", "auth#000001", "check", string("expiry"))
        .await
        .unwrap();

    let listing = dynamo.store.list_integrations().await.unwrap();
    let readable: Vec<&str> = listing
        .records
        .iter()
        .map(|r| r.integration.id.as_str())
        .collect();
    assert_eq!(readable, ["bravo", "echo", "foxtrot"]);
    let unreadable: Vec<(&str, &str)> = listing
        .unreadable
        .iter()
        .map(|u| (u.id.as_str(), u.field.as_str()))
        .collect();
    assert_eq!(
        unreadable,
        [
            ("alpha", "auth.open_incident"),
            ("charlie", "monitor.open_incident"),
            ("delta", "stale_incident"),
        ],
        "{:?}",
        listing.unreadable
    );
    for bad in &listing.unreadable {
        assert!(
            bad.problem
                .contains("is not an incident of this integration"),
            "{bad:?}"
        );
        assert!(
            !bad.to_string().contains("bravo"),
            "the value leaked: {bad}"
        );
    }

    let open = dynamo.store.open_incident_listing().await.unwrap();
    assert_eq!(
        ids(&open.incidents),
        [
            "alpha:auth:1",
            "bravo:auth:1",
            "charlie:auth:1",
            "delta:auth:1"
        ]
    );
    let found: Vec<(Option<&str>, &str)> = open
        .unreadable
        .iter()
        .map(|u| (u.integration.as_deref(), u.field.as_str()))
        .collect();
    assert_eq!(
        found,
        [(Some("echo"), "integration"), (Some("foxtrot"), "check")],
        "{:?}",
        open.unreadable
    );
}
