//! Incidents, changes and integrations the unit tests of this module render.

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::incident::{
    CheckKind, Incident, IncidentChange, IncidentClass, IncidentFacts, IncidentId,
};
use crate::domain::outcome::OutcomeClass;
use crate::domain::severity::Severity;
use crate::inventory::Integration;
use crate::secrets::SecretSource;

/// 2026-11-30 13:05 UTC.
pub fn opened_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 13, 5, 0).unwrap()
}

/// 2 h 40 min after [`opened_at`].
pub fn now() -> DateTime<Utc> {
    opened_at() + chrono::TimeDelta::minutes(160)
}

/// The secret the integration's source holds; never in any output.
pub const SECRET_ENV: &str = "LOYALTY_SECRET_VALUE_sk_live_9f8e7d6c5b4a";

pub fn integration() -> Integration {
    Integration {
        id: "loyalty-feed".to_string(),
        name: "Loyalty points feed".to_string(),
        owner: "crm-ops".to_string(),
        severity: Severity::High,
        auth_url: url::Url::parse(
            "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/",
        )
        .unwrap(),
        client_id: "0m0het6mqknzv0uebqlvoo41".to_string(),
        client_secret: SecretSource::Env(SECRET_ENV.to_string()),
        account_id: Some(7281698),
        expected_scopes: vec!["data_extensions_read".to_string()],
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: vec![
            "Welcome journey enrollment".to_string(),
            "Nightly preference sync".to_string(),
        ],
        records_per_hour: Some(7_500),
        runbook: Some("https://wiki.example.com/sfmc/loyalty".to_string()),
        probe_every: std::time::Duration::from_secs(900),
        recheck_every: std::time::Duration::from_secs(120),
        expiry_warn_days: vec![30, 14, 7, 3, 1],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}

pub fn incident(check: CheckKind, class: IncidentClass) -> Incident {
    Incident {
        id: IncidentId::new("loyalty-feed", check, 3),
        integration: "loyalty-feed".to_string(),
        check,
        class,
        severity: Severity::High,
        team: if check == CheckKind::Monitor {
            "platform"
        } else {
            "crm-ops"
        }
        .to_string(),
        open: true,
        opened_at: opened_at(),
        updated_at: opened_at(),
        resolved_at: None,
        threshold_days: (check == CheckKind::Expiry).then_some(7),
        message: match check {
            CheckKind::Auth => "SFMC said: Client authentication failed. (invalid_client)",
            CheckKind::Expiry => "The client secret was rotated on 2026-06-10; it lives 180 days.",
            CheckKind::Monitor => "An HTML page answered instead of SFMC (a proxy or firewall).",
            CheckKind::Passive => {
                "The integration reported 12 token requests refused: Client authentication failed."
            }
        }
        .to_string(),
        http_status: (check == CheckKind::Auth).then_some(401),
        class_since: None,
        ack: None,
    }
}

pub fn auth() -> Incident {
    incident(
        CheckKind::Auth,
        IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
    )
}

pub fn opened(incident: &Incident) -> IncidentChange {
    IncidentChange::Opened(incident.clone())
}

pub fn changed(incident: &Incident, previous: IncidentFacts) -> IncidentChange {
    IncidentChange::Changed {
        id: incident.id.clone(),
        previous,
        class: incident.class,
        severity: incident.severity,
        threshold_days: incident.threshold_days,
        message: incident.message.clone(),
        http_status: incident.http_status,
        at: opened_at() + chrono::TimeDelta::minutes(30),
    }
}

pub fn resolved(incident: &Incident) -> (Incident, IncidentChange) {
    let at = now();
    let mut after = incident.clone();
    after.open = false;
    after.resolved_at = Some(at);
    let change = IncidentChange::Resolved {
        id: incident.id.clone(),
        class: incident.class,
        message: "A token was issued again and every expected scope is granted.".to_string(),
        at,
    };
    (after, change)
}
