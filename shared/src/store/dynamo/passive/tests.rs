use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::domain::outcome::OutcomeClass;
use crate::store::dynamo::keys::{GSI_PK, key_item};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn failure(event_id: &str) -> SfmcCall {
    SfmcCall {
        event_id: event_id.into(),
        integration_id: "crm-sync".into(),
        source: EventSource::Https,
        received_at: at("2026-06-01T12:00:05.123Z"),
        class: Some(OutcomeClass::ClientAuthFailed),
        observed_at: at("2026-06-01T12:00:04.001Z"),
        call_kind: CallKind::Token,
        count: 3,
        window_secs: Some(60),
        host: Some("mc1.auth.marketingcloudapis.com".into()),
        method: Some("POST".into()),
        path_template: Some("/v2/token".into()),
        status: Some(401),
        sfmc_errorcode: Some(0),
        oauth_error: Some("invalid_client".into()),
        soap_fault: Some("Token Expired".into()),
        message: Some("Client authentication failed.".into()),
        retry_after_secs: Some(5),
        resend_count: Some(1),
        token_age_secs: Some(1190),
        network_error: Some(NetworkError::Timeout),
        account_id: Some(7281698),
        client_id: Some("abc123".into()),
        reporter: Some("census".into()),
        trace_id: Some("0af7651916cd43dd8448eb211c80319c".into()),
    }
}

#[test]
fn a_failed_call_reads_back_with_every_field_and_its_ttl() {
    let call = failure("e-1");
    let item = failed_call_item(&call);
    assert_eq!(decode_failed_call(&item), Ok(call.clone()));
    assert_eq!(
        item.get(SK).and_then(|v| v.as_s().ok()).map(String::as_str),
        Some("2026-06-01T12:00:04.001Z#e-1")
    );
    let ttl: i64 = item[TTL_ATTRIBUTE].as_n().unwrap().parse().unwrap();
    assert_eq!(ttl, (call.observed_at + TimeDelta::days(7)).timestamp());
    let mut sparse = failure("e-2");
    (sparse.host, sparse.message, sparse.status, sparse.class) = (None, None, None, None);
    assert_eq!(decode_failed_call(&failed_call_item(&sparse)), Ok(sparse));
}

#[test]
fn a_failed_call_item_that_lies_is_named_by_key_and_field() {
    let item = failed_call_item(&failure("e-1"));
    let broken = |name: &str, value: AttributeValue| {
        let mut item = item.clone();
        item.insert(name.to_string(), value);
        decode_failed_call(&item).unwrap_err()
    };
    let err = broken(STATUS, s("401"));
    assert_eq!(
        (err.field.as_str(), err.problem.as_str()),
        (STATUS, "is not a number (N)")
    );
    assert!(err.key.contains("CALLEV#crm-sync"), "{err:?}");
    assert_eq!(broken(EVENT_ID, s("e-2")).field, EVENT_ID);
    assert_eq!(broken(INTEGRATION, s("other")).field, EVENT_ID);
    assert_eq!(broken(MESSAGE, s("x".repeat(2000))).field, MESSAGE);
    assert_eq!(
        broken(COUNT, n("99999999999999999999")).problem,
        "is out of range"
    );
    assert_eq!(broken(COUNT, n(0)).field, COUNT);
    assert_eq!(broken(CLASS, s("bogus")).field, CLASS);
    assert_eq!(broken(SOURCE, s("carrier-pigeon")).field, SOURCE);
}

fn counts(pairs: &[(&str, u64)]) -> Counts {
    pairs
        .iter()
        .map(|(key, count)| (CounterKey::parse(key).unwrap(), *count))
        .collect()
}

#[test]
fn a_minute_reads_back_its_counters() {
    let minute = at("2026-06-01T12:00:00Z");
    let counts = counts(&[
        ("rest|200|-|ok", 998),
        ("token|401|invalid_client|client_auth_failed", 2),
    ]);
    let update = minute_update("crm-sync", minute, &counts, CounterGuard::Counted).unwrap();
    // What the update writes on a new item, as DynamoDB would hold it.
    let mut item = key_item(&update.key);
    item.insert(INTEGRATION.into(), s("crm-sync"));
    item.insert(MINUTE.into(), time(minute));
    for (key, count) in &counts {
        item.insert(counter_attribute(key), n(count));
    }
    let decoded = decode_minute(&item).unwrap();
    assert_eq!(decoded.counts, counts);
    assert_eq!(decoded.minute, minute);
    assert!(
        update.expression().contains("ADD"),
        "{}",
        update.expression()
    );
    assert_eq!(
        update.expression().matches(":v").count(),
        3 + counts.len() + 1,
        "three SETs, one ADD per key and one of counters_added: {}",
        update.expression()
    );
}

#[test]
fn a_corrupt_minute_names_the_counter() {
    let minute = at("2026-06-01T12:00:00Z");
    let mut item = key_item(&minute_key("crm-sync", minute));
    item.insert(INTEGRATION.into(), s("crm-sync"));
    item.insert(MINUTE.into(), time(minute));
    let with = |name: &str, value: AttributeValue| {
        let mut item = item.clone();
        item.insert(name.to_string(), value);
        decode_minute(&item).unwrap_err()
    };
    assert_eq!(
        with("c.rest|200|-|ok", s("1")).problem,
        "is not a number (N)"
    );
    assert_eq!(
        with("c.rest|200|-|ok", n(MAX_COUNT + 1)).field,
        "c.rest|200|-|ok"
    );
    assert_eq!(with("c.nonsense", n(1)).field, "c.nonsense");
    assert_eq!(with(INTEGRATION, s("other")).field, INTEGRATION);
    assert_eq!(
        with(MINUTE, time(minute + TimeDelta::seconds(1))).field,
        MINUTE
    );
    assert!(decode_minute(&item).unwrap().counts.is_empty());
}

#[test]
fn updates_past_the_bound_are_guarded_or_coarse() {
    let minute = at("2026-06-01T12:00:00Z");
    let many: Counts = (0..=MAX_COUNTERS_ADDED_PER_MINUTE)
        .map(|i| {
            (
                CounterKey::parse(&format!("rest|400|{i}|request_rejected")).unwrap(),
                1,
            )
        })
        .collect();
    assert!(minute_update("a", minute, &many, CounterGuard::Counted).is_none());
    let existing = minute_update(
        "a",
        minute,
        &counts(&[("rest|200|-|ok", 1)]),
        CounterGuard::Existing,
    )
    .unwrap();
    assert!(existing.condition.unwrap().contains("attribute_exists"));
    let coarse = minute_update("a", minute, &many, CounterGuard::Coarse).unwrap();
    assert_eq!(coarse.condition, None);
    assert_eq!(coarse.expression().matches(":v").count(), 3 + 1);
}

#[test]
fn a_passive_state_reads_back_and_its_version_is_bounded() {
    let state = PassiveState {
        last_report_at: Some(at("2026-06-01T12:00:00Z")),
        report_minutes: 40,
        usual_gap_secs: Some(300),
        last_scope_denied_at: None,
        last_mismatch_at: Some(at("2026-06-01T11:00:00Z")),
        mismatch: Some("client id abc…, MID 123".into()),
        version: 7,
    };
    let item = passive_state_item("crm-sync", &state);
    assert_eq!(
        decode_passive_state(&item),
        Ok(("crm-sync".to_string(), state.clone()))
    );
    let mut huge = item.clone();
    huge.insert(VERSION.into(), n(MAX_VERSION + 1));
    assert_eq!(decode_passive_state(&huge).unwrap_err().field, VERSION);
    let mut foreign = item;
    foreign.insert(INTEGRATION.into(), s("other"));
    assert_eq!(
        decode_passive_state(&foreign).unwrap_err().field,
        INTEGRATION
    );
}

#[test]
fn a_token_item_holds_the_hash_only_and_must_match_its_key() {
    let token = IngestToken {
        hash: "a".repeat(64),
        integration: "crm-sync".into(),
        created_at: at("2026-06-01T12:00:00Z"),
    };
    let item = ingest_token_item(&token);
    assert_eq!(decode_ingest_token(&item), Ok(token));
    assert!(!item.contains_key(GSI_PK));
    let mut other = item.clone();
    other.insert(HASH.into(), s("b".repeat(64)));
    assert_eq!(decode_ingest_token(&other).unwrap_err().field, HASH);
    let mut upper = item;
    upper.insert(HASH.into(), s("A".repeat(64)));
    assert_eq!(
        decode_ingest_token(&upper).unwrap_err().problem,
        "is not a SHA-256 in lowercase hex"
    );
}

#[test]
fn quota_updates_refuse_what_cannot_fit() {
    let minute = at("2026-06-01T12:00:00Z");
    assert!(quota_update("a", minute, 7, 6).is_none());
    let update = quota_update("a", minute, 6, 6).unwrap();
    assert!(update.condition.unwrap().contains("<="));
}

#[test]
fn bounds_select_half_open_ranges() {
    let from = at("2026-06-01T12:00:00Z");
    let to = at("2026-06-01T12:05:00Z");
    let (low, high) = minute_bounds(from, to).unwrap();
    assert_eq!(low, "2026-06-01T12:00:00.000Z");
    assert!(timestamp(at("2026-06-01T12:04:00Z")) <= high);
    assert!(timestamp(to) > high);
    let (_, high) = failed_call_bounds(from, to).unwrap();
    assert!(format!("{}#zzz", timestamp(to - TimeDelta::milliseconds(1))) < high);
    assert!(format!("{}#a", timestamp(to)) > high);
    assert_eq!(minute_bounds(to, to), None);
    let _: BTreeMap<u8, u8> = BTreeMap::new();
}
