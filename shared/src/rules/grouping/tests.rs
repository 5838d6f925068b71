use chrono::TimeZone;

use super::*;
use crate::domain::outcome::OutcomeClass;
use crate::notify::fixtures::integration;

fn named(id: &str, client_id: &str, host: &str) -> Integration {
    let mut i = integration();
    i.id = id.to_string();
    i.client_id = client_id.to_string();
    i.auth_url = url::Url::parse(&format!("https://{host}/")).unwrap();
    i
}

const HOST: &str = "mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com";
const OTHER_HOST: &str = "mcaaaaaaaaaaaaaaaaaaaaaaaaaa.auth.marketingcloudapis.com";

fn failing(class: OutcomeClass) -> IncidentClass {
    IncidentClass::Outcome(class)
}

#[test]
fn a_credential_group_needs_a_definitive_auth_failure_and_a_sibling_on_the_same_host() {
    let crm = named("crm", "client-a", HOST);
    let all = vec![
        crm.clone(),
        named("loyalty", "client-a", HOST),
        named("other-host", "client-a", OTHER_HOST),
        named("other-client", "client-b", HOST),
    ];
    let (key, siblings) = credential_group(
        &crm,
        CheckKind::Auth,
        failing(OutcomeClass::ClientAuthFailed),
        &all,
    )
    .unwrap();
    assert_eq!(siblings, vec!["loyalty".to_string()]);
    assert_eq!(key.0, format!("credential#{HOST}#client-a#client_auth_failed"));
    // Another definitive class is another group.
    let (ip, _) = credential_group(
        &crm,
        CheckKind::Auth,
        failing(OutcomeClass::IpNotAllowlisted),
        &all,
    )
    .unwrap();
    assert_ne!(ip, key);
    // Transient classes, other checks, other classes: no group.
    for (check, class) in [
        (CheckKind::Auth, failing(OutcomeClass::Throttled)),
        (CheckKind::Auth, failing(OutcomeClass::Network)),
        (CheckKind::Monitor, failing(OutcomeClass::ClientAuthFailed)),
        (CheckKind::Expiry, IncidentClass::SecretExpired),
        (CheckKind::Monitor, IncidentClass::NotProbed),
    ] {
        assert_eq!(credential_group(&crm, check, class, &all), None, "{check:?} {class}");
    }
    // Alone on its credential: no group.
    let lonely = named("lonely", "client-z", HOST);
    assert_eq!(
        credential_group(
            &lonely,
            CheckKind::Auth,
            failing(OutcomeClass::ClientAuthFailed),
            &all
        ),
        None
    );
}

fn slot(position: u32) -> Slot {
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 14, 0, 0).unwrap();
    Slot {
        window_start: start,
        window_end: window_end(start, TimeDelta::minutes(1)),
        position,
        leader: IncidentId::new("crm", CheckKind::Auth, 1),
    }
}

#[test]
fn team_digests_start_at_group_min_and_never_below_the_second() {
    let until = slot(1).window_end;
    assert_eq!(team_grouping(&slot(1), 2), Grouping::Alone);
    assert_eq!(team_grouping(&slot(2), 2), Grouping::Grouped { until });
    assert_eq!(team_grouping(&slot(4), 2), Grouping::Grouped { until });
    assert_eq!(team_grouping(&slot(2), 3), Grouping::Alone);
    assert_eq!(team_grouping(&slot(3), 3), Grouping::Grouped { until });
    // A group_min below 2 would hold the first incident too: it counts as 2.
    assert_eq!(team_grouping(&slot(1), 0), Grouping::Alone);
    assert_eq!(team_grouping(&slot(1), 1), Grouping::Alone);
    assert_eq!(always_grouped(&slot(1)), Grouping::Grouped { until });
}

#[test]
fn keys_and_windows() {
    assert_eq!(
        team_group("crm", failing(OutcomeClass::ClientAuthFailed)).0,
        "team#crm#client_auth_failed"
    );
    assert_ne!(
        team_group("crm", failing(OutcomeClass::ClientAuthFailed)),
        team_group("crm", failing(OutcomeClass::IpNotAllowlisted))
    );
    assert_eq!(resolve_group("x/digest/opened@t").0, "resolved#x/digest/opened@t");
    assert_eq!(
        window_end(DateTime::<Utc>::MAX_UTC, TimeDelta::minutes(1)),
        DateTime::<Utc>::MAX_UTC
    );
}

#[test]
fn a_leader_joining_its_window_again_keeps_place_one_and_is_told_alone() {
    let start = chrono::Utc
        .with_ymd_and_hms(2026, 11, 25, 15, 0, 0)
        .unwrap();
    let leader: IncidentId = "crm:auth:1".parse().unwrap();
    let other: IncidentId = "web:auth:1".parse().unwrap();
    // The store counted the leader's retried join as a newcomer.
    let rejoined = Slot {
        window_start: start,
        window_end: start + chrono::TimeDelta::minutes(1),
        position: 2,
        leader: leader.clone(),
    };
    let slot = as_joined_by(rejoined.clone(), &leader);
    assert_eq!(slot.position, 1);
    assert_eq!(team_grouping(&slot, 2), Grouping::Alone);
    // Anyone else keeps the place the store gave.
    let slot = as_joined_by(rejoined, &other);
    assert_eq!(slot.position, 2);
    assert_eq!(
        team_grouping(&slot, 2),
        Grouping::Grouped {
            until: start + chrono::TimeDelta::minutes(1)
        }
    );
}
