//! Acknowledging incidents (`Incidents::acknowledge` / `unacknowledge`), run against both
//! adapters: the in-memory store and the DynamoDB store on a fresh table in moto. Then what
//! only DynamoDB has: the raw `ack` attribute, `updated_at` left alone, and unreadable items.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use credwatch::domain::incident::{
    Acknowledgement, CheckKind, IncidentChange, IncidentClass, IncidentFacts, IncidentId,
};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::state::CheckState;
use credwatch::inventory::{Integration, Severity};
use credwatch::rules::fanout::{AckChange, ack_change};
use credwatch::secrets::SecretSource;
use credwatch::store::dynamo::{DynamoStore, create_table};
use credwatch::store::memory::MemoryStore;
use credwatch::store::{
    AckOutcome, CommitOutcome, Incident, Incidents, ProbeResults, StateCommit, Store, StoreError,
};
use credwatch_tests::aws::{sdk_config, unique_name};

// ---- fixtures ----

/// `minutes` after 2026-06-01T00:00:00Z.
fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

const AUTH_FAILED: IncidentClass = IncidentClass::Outcome(OutcomeClass::ClientAuthFailed);
const MISSING_SCOPES: IncidentClass = IncidentClass::Outcome(OutcomeClass::MissingScopes);

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
        account_id: None,
        expected_scopes: Vec::new(),
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: Vec::new(),
        records_per_hour: None,
        runbook: None,
        probe_every: Duration::from_secs(15 * 60),
        recheck_every: Duration::from_secs(2 * 60),
        expiry_warn_days: Vec::new(),
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}

fn id() -> IncidentId {
    IncidentId::new("alpha", CheckKind::Auth, 1)
}

fn incident() -> Incident {
    Incident {
        id: id(),
        integration: "alpha".to_string(),
        check: CheckKind::Auth,
        class: AUTH_FAILED,
        severity: Severity::Critical,
        team: "crm-ops".to_string(),
        open: true,
        opened_at: at(5),
        updated_at: at(5),
        resolved_at: None,
        threshold_days: None,
        message: "SFMC says: Client authentication failed.".to_string(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

fn ack(by: &str, minutes: i64, note: Option<&str>) -> Acknowledgement {
    Acknowledgement::new(by, note, at(minutes)).expect("a valid ack")
}

fn commit(version: u64, incidents: Vec<IncidentChange>) -> StateCommit {
    StateCommit {
        integration: "alpha".to_string(),
        expected_version: version,
        state: CheckState::default(),
        incidents,
    }
}

/// The probe cycle's write of a new failure class (or, with the same class, a new severity).
fn changed(version: u64, from: IncidentClass, to: IncidentClass, minutes: i64) -> StateCommit {
    commit(
        version,
        vec![IncidentChange::Changed {
            id: id(),
            previous: IncidentFacts {
                class: from,
                severity: Severity::Critical,
                threshold_days: None,
            },
            class: to,
            severity: Severity::High,
            threshold_days: None,
            message: format!("now {to}"),
            http_status: Some(200),
            at: at(minutes),
        }],
    )
}

/// `alpha` with incident `alpha:auth:1` opened at minute 5 through a state commit (version 1).
async fn with_open_incident<S: Store>(store: &S) {
    store
        .put_integration(&integration("alpha"), at(0), at(1))
        .await
        .unwrap();
    let opened = commit(0, vec![IncidentChange::Opened(incident())]);
    assert_eq!(store.commit(&opened).await.unwrap(), CommitOutcome::Applied);
}

fn done(outcome: AckOutcome) -> Incident {
    match outcome {
        AckOutcome::Done(incident) => incident,
        other => panic!("expected Done, got {other:?}"),
    }
}

// ---- the contract, on both adapters ----

mod contract {
    use super::*;

    pub async fn an_ack_is_recorded_taken_over_and_removed<S: Store>(store: &S) {
        with_open_incident(store).await;
        let dana = ack("dana@example.com", 7, Some("rotating the secret"));
        let acked = done(store.acknowledge(&id(), &dana).await.unwrap());
        let expected = Incident {
            ack: Some(dana.clone()),
            ..incident()
        };
        assert_eq!(acked, expected, "the item after the write");
        assert_eq!(
            acked.updated_at,
            at(5),
            "updated_at is the incident's own state"
        );
        assert!(acked.is_acknowledged());
        assert_eq!(
            store.open_incidents().await.unwrap(),
            vec![expected.clone()]
        );
        assert_eq!(store.get_incident(&id()).await.unwrap(), Some(expected));

        // Someone else takes it over: the later ack replaces the earlier one.
        let lee = ack("lee", 9, None);
        let taken = done(store.acknowledge(&id(), &lee).await.unwrap());
        assert_eq!(taken.ack, Some(lee));
        assert!(taken.is_acknowledged());

        // Unack removes it; unack again is the same answer (idempotent).
        for _ in 0..2 {
            let back = done(store.unacknowledge(&id()).await.unwrap());
            assert_eq!(back, incident());
            assert!(!back.is_acknowledged());
        }
        assert_eq!(store.get_incident(&id()).await.unwrap(), Some(incident()));
    }

    pub async fn a_missing_or_resolved_incident_is_not_acknowledged<S: Store>(store: &S) {
        let missing = IncidentId::new("nobody", CheckKind::Auth, 4);
        assert_eq!(
            store
                .acknowledge(&missing, &ack("dana", 7, None))
                .await
                .unwrap(),
            AckOutcome::NotFound
        );
        assert_eq!(
            store.unacknowledge(&missing).await.unwrap(),
            AckOutcome::NotFound
        );
        assert_eq!(
            store.get_incident(&missing).await.unwrap(),
            None,
            "nothing created"
        );

        with_open_incident(store).await;
        let dana = ack("dana", 7, None);
        done(store.acknowledge(&id(), &dana).await.unwrap());
        let resolve = IncidentChange::Resolved {
            id: id(),
            class: AUTH_FAILED,
            message: "working again".to_string(),
            at: at(20),
        };
        assert_eq!(
            store.commit(&commit(1, vec![resolve])).await.unwrap(),
            CommitOutcome::Applied
        );
        let resolved = Incident {
            open: false,
            message: "working again".to_string(),
            resolved_at: Some(at(20)),
            updated_at: at(20),
            ack: Some(dana),
            ..incident()
        };
        assert!(
            !resolved.is_acknowledged(),
            "a resolved incident needs no ack"
        );
        // Nothing is written; the answer is the incident as it is (the ack kept on record).
        assert_eq!(
            store
                .acknowledge(&id(), &ack("lee", 21, None))
                .await
                .unwrap(),
            AckOutcome::Resolved(resolved.clone())
        );
        assert_eq!(
            store.unacknowledge(&id()).await.unwrap(),
            AckOutcome::Resolved(resolved.clone())
        );
        assert_eq!(store.get_incident(&id()).await.unwrap(), Some(resolved));
    }

    pub async fn a_probe_write_keeps_the_ack_and_a_new_class_lifts_it<S: Store>(store: &S) {
        with_open_incident(store).await;
        let dana = ack("dana", 7, Some("on it"));
        done(store.acknowledge(&id(), &dana).await.unwrap());

        // Same class, new severity: nothing restarts, the ack still counts.
        let same = changed(1, AUTH_FAILED, AUTH_FAILED, 8);
        assert_eq!(store.commit(&same).await.unwrap(), CommitOutcome::Applied);
        let now = store.get_incident(&id()).await.unwrap().unwrap();
        assert_eq!((now.class_since, now.updated_at), (None, at(8)));
        assert_eq!(now.ack.as_ref(), Some(&dana));
        assert!(now.is_acknowledged());

        // A new class: class_since is set, the ack attribute stays, but no longer counts.
        let new_class = changed(2, AUTH_FAILED, MISSING_SCOPES, 10);
        assert_eq!(
            store.commit(&new_class).await.unwrap(),
            CommitOutcome::Applied
        );
        let now = store.get_incident(&id()).await.unwrap().unwrap();
        assert_eq!(now.class, MISSING_SCOPES);
        assert_eq!(now.class_since, Some(at(10)));
        assert_eq!(now.schedule_since(), at(10));
        assert_eq!(now.ack.as_ref(), Some(&dana), "the ack stays on record");
        assert!(
            !now.is_acknowledged(),
            "an ack before the class changed is lifted"
        );

        // Acknowledged again after the change: it counts.
        let again = done(
            store
                .acknowledge(&id(), &ack("dana", 12, None))
                .await
                .unwrap(),
        );
        assert_eq!(again.class_since, Some(at(10)));
        assert!(again.is_acknowledged());

        // A later class change moves class_since on.
        let back = changed(3, MISSING_SCOPES, AUTH_FAILED, 15);
        assert_eq!(store.commit(&back).await.unwrap(), CommitOutcome::Applied);
        let now = store.get_incident(&id()).await.unwrap().unwrap();
        assert_eq!(now.class_since, Some(at(15)));
        assert!(!now.is_acknowledged());
    }
}

/// Each contract as two tests: `memory::NAME` and `dynamo::NAME` (a fresh table in moto).
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::contract::$name(&super::MemoryStore::new()).await;
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
    an_ack_is_recorded_taken_over_and_removed,
    a_missing_or_resolved_incident_is_not_acknowledged,
    a_probe_write_keeps_the_ack_and_a_new_class_lifts_it,
);

// ---- in memory: what the stream would carry ----

/// The in-memory store feeds the demo's fan-out the images a DynamoDB stream would carry: an
/// ack and an unack are changes [`ack_change`] reads; an unack that changes nothing is none.
#[tokio::test]
async fn memory_stream_images_carry_the_ack_changes() {
    let store = MemoryStore::new();
    with_open_incident(&store).await;
    store.take_incident_changes();
    let dana = ack("dana", 7, None);
    done(store.acknowledge(&id(), &dana).await.unwrap());
    done(store.unacknowledge(&id()).await.unwrap());
    done(store.unacknowledge(&id()).await.unwrap());
    let changes: Vec<Option<AckChange>> = store
        .take_incident_changes()
        .iter()
        .map(|(old, new)| ack_change(old.as_ref(), new.as_ref()))
        .collect();
    assert_eq!(
        changes,
        vec![
            Some(AckChange::Acknowledged(dana.clone())),
            Some(AckChange::Unacknowledged { was: dana }),
        ],
        "the second unack wrote nothing"
    );
}

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
        let table = unique_name("credwatch-ack");
        create_table(&client, &table).await.expect("create table");
        let store = DynamoStore::new(client.clone(), table.clone());
        Dynamo {
            client,
            table,
            store,
        }
    }

    async fn raw(&self) -> HashMap<String, AttributeValue> {
        self.client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S("INC#alpha".to_string()))
            .key("sk", AttributeValue::S("auth#000001".to_string()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .expect("the incident item")
    }

    /// Sets attribute `name` of the incident item to `value`, as a hand edit would.
    async fn poke(&self, name: &str, value: AttributeValue) {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S("INC#alpha".to_string()))
            .key("sk", AttributeValue::S("auth#000001".to_string()))
            .update_expression("SET #a = :v")
            .expression_attribute_names("#a", name)
            .expression_attribute_values(":v", value)
            .send()
            .await
            .unwrap();
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

#[tokio::test]
async fn the_ack_is_one_map_attribute_and_nothing_else_changes() {
    let dynamo = Dynamo::new().await;
    with_open_incident(&dynamo.store).await;
    let before = dynamo.raw().await;
    let dana = ack("dana@example.com", 7, Some("rotating the secret"));
    done(dynamo.store.acknowledge(&id(), &dana).await.unwrap());
    let mut after = dynamo.raw().await;
    assert_eq!(
        after.remove("ack"),
        Some(AttributeValue::M(HashMap::from([
            ("by".to_string(), s("dana@example.com")),
            ("at".to_string(), s("2026-06-01T00:07:00.000Z")),
            ("note".to_string(), s("rotating the secret")),
        ])))
    );
    assert_eq!(
        after, before,
        "only `ack` is written: not updated_at, not the index keys"
    );

    done(
        dynamo
            .store
            .acknowledge(&id(), &ack("lee", 9, None))
            .await
            .unwrap(),
    );
    let raw = dynamo.raw().await;
    assert_eq!(
        raw["ack"],
        AttributeValue::M(HashMap::from([
            ("by".to_string(), s("lee")),
            ("at".to_string(), s("2026-06-01T00:09:00.000Z")),
        ])),
        "a takeover replaces the whole map (no note left behind)"
    );

    // A probe's class change keeps the attribute and adds class_since.
    let new_class = changed(1, AUTH_FAILED, MISSING_SCOPES, 10);
    assert_eq!(
        dynamo.store.commit(&new_class).await.unwrap(),
        CommitOutcome::Applied
    );
    let raw = dynamo.raw().await;
    assert!(
        raw.contains_key("ack"),
        "a Changed write keeps the ack attribute"
    );
    assert_eq!(raw["class_since"], s("2026-06-01T00:10:00.000Z"));

    done(dynamo.store.unacknowledge(&id()).await.unwrap());
    let raw = dynamo.raw().await;
    assert!(!raw.contains_key("ack"));
    assert_eq!(raw["updated_at"], s("2026-06-01T00:10:00.000Z"));
}

/// An incident item that does not decode is the store's `Corrupt` error naming the attribute,
/// whether the write applied (the new image) or not (the item as it is, resolved).
#[tokio::test]
async fn an_unreadable_incident_is_a_corrupt_error_naming_the_attribute() {
    let dynamo = Dynamo::new().await;
    with_open_incident(&dynamo.store).await;
    dynamo
        .poke("message", AttributeValue::N("4711".into()))
        .await;
    let err = dynamo
        .store
        .acknowledge(&id(), &ack("dana", 7, None))
        .await
        .expect_err("the new image cannot be read");
    let item = err.corrupt_item().expect("a corrupt item").clone();
    assert_eq!(item.field, "message");
    assert!(matches!(err, StoreError::Corrupt { .. }));

    // A hand-edited over-long ack is unreadable as ack.by; unack removes it (and reads again).
    dynamo.poke("message", s("readable again")).await;
    dynamo
        .poke(
            "ack",
            AttributeValue::M(HashMap::from([
                ("by".to_string(), s(&"x".repeat(5_000))),
                ("at".to_string(), s("2026-06-01T00:07:00.000Z")),
            ])),
        )
        .await;
    let err = dynamo
        .store
        .get_incident(&id())
        .await
        .expect_err("unreadable");
    let item = err.corrupt_item().expect("a corrupt item");
    assert_eq!(item.field, "ack.by");
    assert!(item.problem.contains("longer than 100"), "{item:?}");
    assert!(!format!("{err:?}").contains("xxxx"), "never the value");
    let mended = done(dynamo.store.unacknowledge(&id()).await.unwrap());
    assert_eq!(mended.ack, None);

    // Resolved and unreadable: the failed condition's item is decoded alike.
    dynamo.poke("open", AttributeValue::Bool(false)).await;
    dynamo.poke("severity", s("apocalyptic")).await;
    let err = dynamo
        .store
        .acknowledge(&id(), &ack("dana", 8, None))
        .await
        .expect_err("the current item cannot be read");
    assert_eq!(err.corrupt_item().expect("corrupt").field, "severity");
}
