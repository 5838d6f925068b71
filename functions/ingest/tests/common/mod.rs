//! What the ingest tests share: one integration as the inventory would hold it.

use std::time::Duration;

use credwatch::domain::severity::Severity;
use credwatch::inventory::{IngestBinding, Integration};
use credwatch::secrets::SecretSource;

/// Integration `id` (named `name`, owned by `crm-ops`, severity high) with `ingest` bindings.
pub fn integration(id: &str, name: &str, ingest: IngestBinding) -> Integration {
    Integration {
        id: id.to_string(),
        name: name.to_string(),
        owner: "crm-ops".to_string(),
        severity: Severity::High,
        auth_url: "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/"
            .parse()
            .unwrap(),
        client_id: "0m0het6mqknzv0uebqlvoo41".to_string(),
        client_secret: SecretSource::Env("ORDERS_SECRET".to_string()),
        account_id: Some(7281698),
        expected_scopes: Vec::new(),
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: Vec::new(),
        records_per_hour: None,
        runbook: None,
        probe_every: Duration::from_secs(15 * 60),
        recheck_every: Duration::from_secs(2 * 60),
        expiry_warn_days: vec![30, 14, 7, 3, 1],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest,
    }
}
