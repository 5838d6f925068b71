//! The integration item's encoder and decoder, without a table.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::store::dynamo::keys::key_item;
use crate::store::error::StoreError;

/// DynamoDB's item size: attribute names plus values (strings and numbers by length, lists
/// and maps by their elements plus 3 bytes each, booleans 1 byte).
fn item_size(item: &Item) -> usize {
    fn value_size(value: &AttributeValue) -> usize {
        match value {
            AttributeValue::S(text) | AttributeValue::N(text) => text.len(),
            AttributeValue::Bool(_) => 1,
            AttributeValue::L(values) => {
                3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>()
            }
            AttributeValue::M(map) => {
                3 + map
                    .iter()
                    .map(|(k, v)| 1 + k.len() + value_size(v))
                    .sum::<usize>()
            }
            _ => 0,
        }
    }
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

#[test]
fn worst_case_item_is_far_below_dynamodb_limit() {
    use crate::inventory::bounds::*;
    // Every text at its limit, in 4-byte characters (the worst UTF-8 can do).
    let wide = |chars: usize| "😀".repeat(chars);
    let url = |chars: usize| {
        url::Url::parse(&format!(
            "https://example.com/{}",
            "%F0%9F%98%80".repeat(chars / 12)
        ))
        .unwrap()
    };
    let integration = Integration {
        id: "a".repeat(64),
        name: wide(NAME_MAX),
        owner: "o".repeat(64),
        severity: Severity::Critical,
        auth_url: url(URL_MAX),
        client_id: wide(CLIENT_ID_MAX),
        client_secret: SecretSource::AwsSecret {
            id: wide(SECRET_REF_MAX),
            key: Some(wide(SECRET_REF_MAX)),
        },
        account_id: Some(u64::MAX),
        expected_scopes: (0..SCOPES_MAX).map(|_| wide(SCOPE_MAX)).collect(),
        secret_rotated_at: NaiveDate::from_ymd_opt(2026, 1, 1),
        secret_expires_at: NaiveDate::from_ymd_opt(2026, 1, 1),
        depends_on: (0..DEPENDS_ON_MAX).map(|_| wide(NAME_MAX)).collect(),
        records_per_hour: Some(RECORDS_PER_HOUR_MAX),
        runbook: Some(url(URL_MAX).to_string()),
        probe_every: PROBE_EVERY.1,
        recheck_every: RECHECK_EVERY.1,
        expiry_warn_days: (1..=WARN_DAYS_COUNT_MAX as u32).collect(),
        secret_lifetime_days: SECRET_LIFETIME_DAYS_MAX as u32,
        maintenance: (0..MAINTENANCE_MAX)
            .map(|_| crate::inventory::MaintenanceWindow {
                days: vec![
                    chrono::Weekday::Mon,
                    chrono::Weekday::Tue,
                    chrono::Weekday::Wed,
                    chrono::Weekday::Thu,
                    chrono::Weekday::Fri,
                    chrono::Weekday::Sat,
                    chrono::Weekday::Sun,
                ],
                start: chrono::NaiveTime::from_hms_opt(23, 59, 0).expect("a time"),
                duration: MAINTENANCE_DURATION.1,
                timezone: Some("America/Argentina/ComodRivadavia".into()),
            })
            .collect(),
        ingest: crate::inventory::IngestBinding {
            log_groups: (0..INGEST_ENTRIES_MAX)
                .map(|i| format!("{i:03}{}", "g".repeat(LOG_GROUP_NAME_MAX - 3)))
                .collect(),
            event_sources: (0..INGEST_ENTRIES_MAX)
                .map(|i| format!("{i:03}{}", "😀".repeat(EVENT_SOURCE_MAX - 3)))
                .collect(),
        },
    };
    let now = DateTime::<Utc>::MAX_UTC;
    let size = item_size(&new_integration_item(&integration, now, now));
    println!("worst-case integration item: {size} bytes");
    assert!(
        size < 140_000,
        "worst-case integration item is {size} bytes"
    );
    assert!(
        size * 2 < 400 * 1024,
        "{size} bytes is not far below 400 KB"
    );
}

#[test]
fn corrupt_attributes_are_named_without_their_value() {
    let mut item = key_item(&integration_key("broken"));
    item.insert(
        "auth".into(),
        AttributeValue::M(HashMap::from([("health".into(), s("s3cr3t-ish"))])),
    );
    let label = item_label(&item);
    let r = Reader::new(&item, &label);
    let err = StoreError::corrupt(
        "t",
        decode_track(&r.map("auth").unwrap(), "broken", CheckKind::Auth).unwrap_err(),
    );
    assert!(
        err.to_string().contains("pk=INVENTORY sk=INT#broken"),
        "{err}"
    );
    assert!(err.to_string().contains("auth.health"), "{err}");
    assert!(!err.to_string().contains("s3cr3t-ish"), "{err}");
    let err = StoreError::corrupt("t", r.number::<u64>("version").unwrap_err());
    assert!(err.to_string().contains("version is missing"), "{err}");
}

/// A small valid integration `crm-sync` (the texts do not matter to the pointer checks).
fn crm_sync() -> Integration {
    Integration {
        id: "crm-sync".into(),
        name: "CRM sync".into(),
        owner: "crm-ops".into(),
        severity: Severity::High,
        auth_url: url::Url::parse("https://example.com/").expect("a URL"),
        client_id: "client-4711".into(),
        client_secret: SecretSource::Env("CRM_SYNC_SECRET".into()),
        account_id: None,
        expected_scopes: vec![],
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: vec![],
        records_per_hour: None,
        runbook: None,
        probe_every: crate::inventory::bounds::PROBE_EVERY.0,
        recheck_every: crate::inventory::bounds::RECHECK_EVERY.0,
        expiry_warn_days: vec![7],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}

/// `state` with each incident pointer (`auth.open_incident`, `monitor.open_incident`,
/// `expiry.open_incident`, `stale_incident`) set to `id`, one at a time.
fn with_pointer(field: &str, id: &str) -> CheckState {
    let id: IncidentId = id.parse().expect("an incident id");
    let mut state = CheckState::default();
    match field {
        "auth.open_incident" => state.auth.open_incident = Some(id),
        "monitor.open_incident" => state.monitor.open_incident = Some(id),
        "expiry.open_incident" => state.expiry.open_incident = Some(id),
        "stale_incident" => state.stale_incident = Some(id),
        other => panic!("no pointer {other}"),
    }
    state
}

#[test]
fn incident_pointers_must_name_this_integrations_own_check() {
    let now = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).expect("a time");
    let own = [
        ("auth.open_incident", "crm-sync:auth:3"),
        ("monitor.open_incident", "crm-sync:monitor:4"),
        ("expiry.open_incident", "crm-sync:expiry:5"),
        ("stale_incident", "crm-sync:monitor:6"),
    ];
    for (field, id) in own {
        let item = replacement_item(&crm_sync(), now, &with_pointer(field, id));
        let record = decode_integration(&item).expect("its own incident reads");
        assert_eq!(record.state, with_pointer(field, id), "{field}");
    }
    // Another integration's incident (even one whose id starts like this one's), or this
    // integration's incident of another check: probing crm-sync would update or resolve it.
    let foreign = [
        ("auth.open_incident", "payroll-4711:auth:3"),
        ("auth.open_incident", "crm-sync-4711:auth:3"),
        ("auth.open_incident", "crm:sync:auth:3"),
        ("auth.open_incident", "crm-sync:monitor:3"),
        ("monitor.open_incident", "payroll-4711:monitor:4"),
        ("monitor.open_incident", "crm-sync:auth:4"),
        ("expiry.open_incident", "payroll-4711:expiry:5"),
        ("expiry.open_incident", "crm-sync:auth:5"),
        ("stale_incident", "payroll-4711:monitor:6"),
        ("stale_incident", "crm-sync:expiry:6"),
    ];
    for (field, id) in foreign {
        let item = replacement_item(&crm_sync(), now, &with_pointer(field, id));
        let found = decode_integration(&item).expect_err("a foreign incident pointer");
        assert_eq!(found.key, "pk=INVENTORY sk=INT#crm-sync", "{field} {id}");
        assert_eq!(found.field, field, "{id}");
        assert!(
            found
                .problem
                .contains("is not an incident of this integration"),
            "{field} {id}: {found:?}"
        );
        let shown = format!("{found:?} {found}");
        assert!(
            !shown.contains("4711"),
            "{field}: the value leaked: {shown}"
        );
    }
}

/// Maintenance windows round-trip; an item written before them reads with none; a bad window
/// makes the item unreadable, naming the window's attribute.
#[test]
fn maintenance_round_trips_and_older_items_have_none() {
    use crate::inventory::MaintenanceWindow;
    let integration = Integration {
        maintenance: vec![MaintenanceWindow {
            days: vec![chrono::Weekday::Sat, chrono::Weekday::Sun],
            start: chrono::NaiveTime::from_hms_opt(22, 0, 0).expect("a time"),
            duration: std::time::Duration::from_secs(4 * 3600),
            timezone: Some("America/New_York".into()),
        }],
        ..crm_sync()
    };
    let now = DateTime::<Utc>::UNIX_EPOCH;
    let item = new_integration_item(&integration, now, now);
    let record = decode_integration(&item).expect("readable");
    assert_eq!(record.integration, integration);
    let mut older = item.clone();
    older.remove(attr::MAINTENANCE);
    let record = decode_integration(&older).expect("an older item reads");
    assert_eq!(record.integration, crm_sync());
    let mut bad = item.clone();
    bad.insert(
        attr::MAINTENANCE.into(),
        AttributeValue::L(vec![s("sun 02:00")]),
    );
    let err = decode_integration(&bad).expect_err("corrupt");
    assert_eq!(err.field, "maintenance[0]", "{err}");
    assert!(!err.to_string().contains("sun 02:00"), "{err}");
}

/// `ingest` round-trips; an item written before passive tracking reads with none; an invalid,
/// duplicated or oversized list makes the item unreadable, naming `ingest.…`, never the value.
#[test]
fn ingest_round_trips_and_older_items_have_none() {
    use crate::inventory::IngestBinding;
    let integration = Integration {
        ingest: IngestBinding {
            log_groups: vec!["/aws/lambda/crm-sync".into(), "crm#sfmc".into()],
            event_sources: vec!["com.acme.crm-sync".into()],
        },
        ..crm_sync()
    };
    let now = DateTime::<Utc>::UNIX_EPOCH;
    let item = new_integration_item(&integration, now, now);
    assert_eq!(
        decode_integration(&item).expect("readable").integration,
        integration
    );
    let mut older = item.clone();
    older.remove(attr::INGEST);
    assert_eq!(
        decode_integration(&older)
            .expect("an older item reads")
            .integration,
        crm_sync()
    );
    let list = |values: &[&str]| AttributeValue::L(values.iter().map(|v| s(*v)).collect());
    let with = |log_groups: AttributeValue, event_sources: AttributeValue| {
        let mut bad = item.clone();
        bad.insert(
            attr::INGEST.into(),
            AttributeValue::M(HashMap::from([
                (attr::LOG_GROUPS.into(), log_groups),
                (attr::EVENT_SOURCES.into(), event_sources),
            ])),
        );
        bad
    };
    let many: Vec<String> = (0..21).map(|i| format!("g{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let cases = [
        (
            with(list(&["bad group 4711"]), list(&[])),
            "ingest.log_groups",
            "invalid log group name",
        ),
        (
            with(list(&["/a", "/a"]), list(&[])),
            "ingest.log_groups",
            "twice",
        ),
        (
            with(list(&many), list(&[])),
            "ingest.log_groups",
            "more than 20",
        ),
        (with(s("/a"), list(&[])), "ingest.log_groups", "not a list"),
        (
            with(list(&[]), list(&["aws.4711"])),
            "ingest.event_sources",
            "invalid EventBridge source",
        ),
        (
            with(
                list(&[]),
                AttributeValue::L(vec![AttributeValue::N("4711".into())]),
            ),
            "ingest.event_sources",
            "not a string",
        ),
    ];
    for (bad, field, problem) in cases {
        let err = decode_integration(&bad).expect_err("corrupt");
        assert_eq!(err.field, field, "{err}");
        assert!(err.problem.contains(problem), "{field}: {err}");
        assert!(!err.to_string().contains("4711"), "the value leaked: {err}");
    }
    let mut not_a_map = item.clone();
    not_a_map.insert(attr::INGEST.into(), s("x"));
    assert_eq!(
        decode_integration(&not_a_map).expect_err("corrupt").field,
        "ingest"
    );
}
