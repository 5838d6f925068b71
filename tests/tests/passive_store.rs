//! Passive tracking's store, one case list run on both adapters: the in-memory store and the
//! DynamoDB store on a fresh table in moto. Then what only DynamoDB has: write requests per
//! 1,000 events (counted by an SDK interceptor) and corrupt items named.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, Incident, IncidentChange, IncidentClass};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::passive::{
    CallKind, EventSource, IngestToken, PassiveCommit, PassivePattern, PassiveState, SfmcCall,
};
use credwatch::store::dynamo::{DynamoStore, create_table};
use credwatch::store::memory::MemoryStore;
use credwatch::store::{CommitOutcome, Incidents, IngestTokens, PassiveRecords, StoreError};
use credwatch_tests::aws::{DynamoRequestCounter, sdk_config, unique_name};

fn at(minutes: i64, seconds: i64) -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
        + TimeDelta::minutes(minutes)
        + TimeDelta::seconds(seconds)
}

fn call(id: &str, minute: i64, second: i64, class: OutcomeClass) -> SfmcCall {
    let ok = class == OutcomeClass::Ok;
    SfmcCall {
        event_id: id.into(),
        integration_id: "crm-sync".into(),
        source: EventSource::Https,
        received_at: at(minute, second + 1),
        class: Some(class),
        observed_at: at(minute, second),
        call_kind: if ok { CallKind::Rest } else { CallKind::Token },
        count: 1,
        window_secs: None,
        host: None,
        method: Some("POST".into()),
        path_template: Some("/v2/token".into()),
        status: Some(if ok { 200 } else { 401 }),
        sfmc_errorcode: None,
        oauth_error: (!ok).then(|| "invalid_client".into()),
        soap_fault: None,
        message: (!ok).then(|| "Client authentication failed.".into()),
        retry_after_secs: None,
        resend_count: None,
        token_age_secs: None,
        network_error: None,
        account_id: None,
        client_id: None,
        reporter: Some("census".into()),
        trace_id: None,
    }
}

fn key_text(kind: &str, status: &str, code: &str, class: &str) -> String {
    format!("{kind}|{status}|{code}|{class}")
}

fn incident(seq_pattern: PassivePattern, opened: DateTime<Utc>) -> Incident {
    let mut incident = Incident::for_platform(
        seq_pattern.incident_id("crm-sync"),
        "crm-sync",
        seq_pattern.class(),
        "the integration reported 3 failed token requests".into(),
        opened,
    );
    incident.check = CheckKind::Passive;
    incident.team = "crm-ops".into();
    incident
}

/// The behaviour both adapters share.
async fn cases<S: PassiveRecords + IngestTokens + Incidents>(store: &S) {
    // Many calls in one minute: one counter write; a late call lands in its own minute.
    let mut calls: Vec<SfmcCall> = (0..300)
        .map(|i| call(&format!("ok-{i}"), 0, i % 60, OutcomeClass::Ok))
        .collect();
    calls.push(call("f-1", 0, 30, OutcomeClass::ClientAuthFailed));
    calls.push(call("f-1", 0, 30, OutcomeClass::ClientAuthFailed)); // a retried event
    calls.push(call("late", -3, 10, OutcomeClass::ClientAuthFailed));
    let recorded = store.record_calls(&calls).await.unwrap();
    assert_eq!(recorded.counter_writes, 2, "one write per minute");
    assert_eq!(recorded.failures_kept, 2, "a retried failure is one item");
    let minutes = store
        .minutes("crm-sync", at(-10, 0), at(1, 0))
        .await
        .unwrap();
    assert_eq!(minutes.len(), 2);
    assert_eq!(
        minutes[0].minute,
        at(-3, 0),
        "oldest first: the late call's minute"
    );
    let texts = |i: usize| -> Vec<(String, u64)> {
        minutes[i]
            .counts
            .iter()
            .map(|(k, c)| (k.to_text(), *c))
            .collect()
    };
    assert_eq!(
        texts(1),
        vec![
            (
                key_text("token", "401", "invalid_client", "client_auth_failed"),
                2
            ),
            (key_text("rest", "200", "-", "ok"), 300),
        ]
    );
    assert_eq!(
        texts(0),
        vec![(
            key_text("token", "401", "invalid_client", "client_auth_failed"),
            1
        )]
    );
    assert!(
        store
            .minutes("crm-sync", at(1, 0), at(2, 0))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .minutes("other", at(-10, 0), at(1, 0))
            .await
            .unwrap()
            .is_empty()
    );
    // Counters add up across batches.
    store.record_calls(&calls[..10]).await.unwrap();
    let minutes = store.minutes("crm-sync", at(0, 0), at(1, 0)).await.unwrap();
    assert_eq!(minutes[0].counts.values().sum::<u64>(), 312);

    let failed = store
        .failed_calls("crm-sync", at(-10, 0), at(1, 0), 10)
        .await
        .unwrap();
    let ids: Vec<&str> = failed.iter().map(|c| c.event_id.as_str()).collect();
    assert_eq!(ids, vec!["f-1", "late"], "most recent first");
    assert_eq!(failed[1], calls[302], "every field kept");
    assert_eq!(
        store
            .failed_calls("crm-sync", at(-10, 0), at(1, 0), 1)
            .await
            .unwrap()
            .len(),
        1
    );
    let window = store
        .failed_calls("crm-sync", at(-2, 0), at(0, 30), 10)
        .await
        .unwrap();
    assert!(
        window.is_empty(),
        "[from, to) excludes the call at 12:00:30"
    );

    // Passive state: versioned commits.
    assert_eq!(store.passive_state("crm-sync").await.unwrap(), None);
    let state = PassiveState {
        report_minutes: 2,
        last_report_at: Some(at(0, 31)),
        ..PassiveState::default()
    };
    let opened = incident(PassivePattern::ReportedAuthFailure, at(0, 31));
    let commit = PassiveCommit {
        integration: "crm-sync".into(),
        expected_version: 0,
        state: state.clone(),
        incidents: vec![IncidentChange::Opened(opened.clone())],
    };
    assert_eq!(
        store.commit_passive(&commit).await.unwrap(),
        CommitOutcome::Applied
    );
    assert_eq!(
        store.commit_passive(&commit).await.unwrap(),
        CommitOutcome::Conflict,
        "version 0 taken"
    );
    let stored = store.passive_state("crm-sync").await.unwrap().unwrap();
    assert_eq!(
        stored,
        PassiveState {
            version: 1,
            ..state.clone()
        }
    );
    // Opened never replaces an open incident, even with the right version.
    let again = PassiveCommit {
        expected_version: 1,
        ..commit.clone()
    };
    assert_eq!(
        store.commit_passive(&again).await.unwrap(),
        CommitOutcome::Conflict
    );
    assert_eq!(
        store
            .passive_state("crm-sync")
            .await
            .unwrap()
            .unwrap()
            .version,
        1,
        "nothing written"
    );
    let resolve = PassiveCommit {
        expected_version: 1,
        incidents: vec![IncidentChange::Resolved {
            id: opened.id.clone(),
            class: opened.class,
            message: "no more failures reported".into(),
            at: at(30, 0),
        }],
        ..commit.clone()
    };
    assert_eq!(
        store.commit_passive(&resolve).await.unwrap(),
        CommitOutcome::Applied
    );
    assert!(!store.get_incident(&opened.id).await.unwrap().unwrap().open);
    // Opened replaces a resolved incident of the same id.
    let reopened = incident(PassivePattern::ReportedAuthFailure, at(60, 0));
    let reopen = PassiveCommit {
        expected_version: 2,
        incidents: vec![IncidentChange::Opened(reopened.clone())],
        ..commit.clone()
    };
    assert_eq!(
        store.commit_passive(&reopen).await.unwrap(),
        CommitOutcome::Applied
    );
    let now = store.get_incident(&opened.id).await.unwrap().unwrap();
    assert!(now.open);
    assert_eq!(now.opened_at, at(60, 0));
    // A foreign incident id is a caller's mistake.
    let foreign = PassiveCommit {
        expected_version: 3,
        incidents: vec![IncidentChange::Opened(Incident::for_platform(
            PassivePattern::ScopeDrift.incident_id("other"),
            "other",
            IncidentClass::ScopeDrift,
            String::new(),
            at(0, 0),
        ))],
        ..commit.clone()
    };
    assert!(matches!(
        store.commit_passive(&foreign).await,
        Err(StoreError::Permanent { .. })
    ));
    let listing = store.passive_states().await.unwrap();
    assert_eq!(listing.states.len(), 1);
    assert_eq!(listing.states[0].0, "crm-sync");

    // Tokens: by hash, conflicts refused, revoked ones gone.
    let token = |hash: char, integration: &str, minute| IngestToken {
        hash: hash.to_string().repeat(64),
        integration: integration.into(),
        created_at: at(minute, 0),
    };
    store
        .put_ingest_token(&token('b', "crm-sync", 2))
        .await
        .unwrap();
    store
        .put_ingest_token(&token('a', "crm-sync", 1))
        .await
        .unwrap();
    store
        .put_ingest_token(&token('c', "other", 1))
        .await
        .unwrap();
    assert!(matches!(
        store.put_ingest_token(&token('a', "other", 5)).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.ingest_token(&"a".repeat(64)).await.unwrap(),
        Some(token('a', "crm-sync", 1))
    );
    let of: Vec<IngestToken> = store.ingest_tokens_of("crm-sync").await.unwrap();
    assert_eq!(
        of,
        vec![token('a', "crm-sync", 1), token('b', "crm-sync", 2)],
        "oldest first"
    );
    assert_eq!(store.revoke_ingest_tokens("crm-sync").await.unwrap(), 2);
    assert_eq!(store.ingest_token(&"a".repeat(64)).await.unwrap(), None);
    assert!(store.ingest_tokens_of("crm-sync").await.unwrap().is_empty());
    assert_eq!(store.ingest_tokens_of("other").await.unwrap().len(), 1);

    // Quota: refused past the limit, allowed again in the next minute.
    assert!(
        store
            .take_ingest_quota("crm-sync", at(0, 0), 400, 1000)
            .await
            .unwrap()
    );
    assert!(
        store
            .take_ingest_quota("crm-sync", at(0, 20), 600, 1000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_ingest_quota("crm-sync", at(0, 40), 1, 1000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_ingest_quota("crm-sync", at(1, 0), 1001, 1000)
            .await
            .unwrap()
    );
    assert!(
        store
            .take_ingest_quota("crm-sync", at(1, 0), 1000, 1000)
            .await
            .unwrap()
    );
    assert!(
        store
            .take_ingest_quota("other", at(0, 0), 1, 1)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn memory_store_keeps_passive_records() {
    cases(&MemoryStore::new()).await;
}

async fn dynamo() -> (Client, String, DynamoStore, DynamoRequestCounter) {
    let counter = DynamoRequestCounter::default();
    let client = counter.client(&sdk_config().await);
    let table = unique_name("credwatch-passive");
    create_table(&client, &table).await.expect("create table");
    let store = DynamoStore::new(client.clone(), table.clone());
    (client, table, store, counter)
}

#[tokio::test]
async fn dynamodb_store_keeps_passive_records() {
    let (_, _, store, _) = dynamo().await;
    cases(&store).await;
}

#[tokio::test]
async fn corrupt_passive_items_are_named_or_skipped() {
    let (client, table, store, _) = dynamo().await;
    store
        .record_calls(&[call("f", 0, 1, OutcomeClass::ClientAuthFailed)])
        .await
        .unwrap();
    let put = |pk: &str, sk: &str, extra: Vec<(&str, AttributeValue)>| {
        let mut request = client
            .put_item()
            .table_name(&table)
            .item("pk", AttributeValue::S(pk.into()))
            .item("sk", AttributeValue::S(sk.into()));
        for (name, value) in extra {
            request = request.item(name, value);
        }
        request.send()
    };
    // A counter that is not a number: the minute is skipped, the others read.
    put(
        "CALLS#crm-sync",
        "2026-06-01T12:05:00.000Z",
        vec![
            ("integration", AttributeValue::S("crm-sync".into())),
            (
                "minute",
                AttributeValue::S("2026-06-01T12:05:00.000Z".into()),
            ),
            ("c.rest|200|-|ok", AttributeValue::S("many".into())),
        ],
    )
    .await
    .unwrap();
    let minutes = store
        .minutes("crm-sync", at(0, 0), at(10, 0))
        .await
        .unwrap();
    assert_eq!(minutes.len(), 1);
    assert_eq!(minutes[0].minute, at(0, 0));
    // A state whose version is not a number: named by key and field.
    put(
        "PASSIVE",
        "STATE#crm-sync",
        vec![
            ("integration", AttributeValue::S("crm-sync".into())),
            ("report_minutes", AttributeValue::N("1".into())),
            ("version", AttributeValue::S("one".into())),
        ],
    )
    .await
    .unwrap();
    let err = store.passive_state("crm-sync").await.unwrap_err();
    let item = err.corrupt_item().expect("corrupt");
    assert_eq!(item.field, "version");
    assert!(item.key.contains("STATE#crm-sync"), "{err}");
    assert_eq!(store.passive_states().await.unwrap().unreadable.len(), 1);
    // A token item under a foreign hash.
    let hash = "d".repeat(64);
    put(
        "INGEST",
        &format!("TOKEN#{hash}"),
        vec![
            ("hash", AttributeValue::S("e".repeat(64))),
            ("integration", AttributeValue::S("crm-sync".into())),
            (
                "created_at",
                AttributeValue::S("2026-06-01T12:00:00.000Z".into()),
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        store
            .ingest_token(&hash)
            .await
            .unwrap_err()
            .corrupt_item()
            .unwrap()
            .field,
        "hash"
    );
}

/// DynamoDB write requests per 1,000 events: (a) 1,000 successes in one minute in 2 batches of
/// 500; (b) 1,000 failures over 10 minutes in batches of 100 (one batch per minute).
#[tokio::test]
async fn write_requests_per_thousand_events() {
    let (_, _, store, counter) = dynamo().await;
    counter.reset();
    for batch in 0..2 {
        let calls: Vec<SfmcCall> = (0..500)
            .map(|i| call(&format!("ok-{batch}-{i}"), 0, i % 60, OutcomeClass::Ok))
            .collect();
        store.record_calls(&calls).await.unwrap();
    }
    let successes = counter.counts();
    counter.reset();
    for minute in 0..10 {
        let calls: Vec<SfmcCall> = (0..100)
            .map(|i| {
                call(
                    &format!("f-{minute}-{i}"),
                    20 + minute,
                    i % 60,
                    OutcomeClass::ClientAuthFailed,
                )
            })
            .collect();
        store.record_calls(&calls).await.unwrap();
    }
    let failures = counter.counts();
    println!("(a) 1,000 successes, one minute, 2 x 500: {successes:?}");
    println!("(b) 1,000 failures, 10 minutes, 10 x 100: {failures:?}");
    assert_eq!(successes.values().sum::<u64>(), 2);
    assert_eq!(successes.get("UpdateItem"), Some(&2));
    assert_eq!(failures.get("UpdateItem"), Some(&10));
    assert_eq!(failures.get("BatchWriteItem"), Some(&40));
    assert_eq!(failures.values().sum::<u64>(), 50);
}
