//! Test fixtures of the probe module.

use std::time::Duration;

use crate::inventory::{Integration, Severity};
use crate::secrets::SecretSource;

/// A valid integration probing `auth_url`, otherwise as an inventory's defaults make it.
pub(super) fn integration(auth_url: &str) -> Integration {
    Integration {
        id: "crm-sync".into(),
        name: "CRM sync".into(),
        owner: "crm-ops".into(),
        severity: Severity::High,
        auth_url: auth_url.parse().expect("test URL"),
        client_id: "abc".into(),
        client_secret: SecretSource::Env("S".into()),
        account_id: None,
        expected_scopes: vec![],
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: vec![],
        records_per_hour: None,
        runbook: None,
        probe_every: Duration::from_secs(900),
        recheck_every: Duration::from_secs(120),
        expiry_warn_days: vec![30, 14, 7, 3, 1],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}
