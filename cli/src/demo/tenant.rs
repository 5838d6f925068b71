//! The simulated tenant of `credwatch demo`: the demo integrations (one per common failure),
//! the inventory YAML that points them at the simulator with their secrets in files, and what
//! changes in the simulated world before each monitor cycle.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use credwatch_sim::{DemoClient, Simulator, TokenBehaviour};

use crate::output::warn;

/// What the demo inventory says about a secret's expiry, relative to the demo's start.
#[derive(Clone, Copy)]
pub enum SecretDates {
    /// `secret_expires_at` is this many days after the start.
    ExpiresInDays(i64),
    /// `secret_rotated_at` is this many days before the start.
    RotatedDaysAgo(i64),
    /// Neither date is given.
    Unknown,
}

/// How the demo inventory describes one simulated integration.
pub struct DemoIntegration {
    /// Its id, the simulator client's id too.
    pub id: &'static str,
    /// Its display name.
    pub name: &'static str,
    /// The team that owns it.
    pub owner: &'static str,
    /// The severity of its incidents.
    pub severity: &'static str,
    /// The one business process that depends on it.
    pub depends_on: &'static str,
    /// What the inventory says about its secret's expiry.
    pub dates: SecretDates,
}

/// A [`DemoIntegration`], in one line per integration below.
const fn demo(
    id: &'static str,
    name: &'static str,
    owner: &'static str,
    severity: &'static str,
    depends_on: &'static str,
    dates: SecretDates,
) -> DemoIntegration {
    DemoIntegration {
        id,
        name,
        owner,
        severity,
        depends_on,
        dates,
    }
}

/// The demo integrations, in the order the simulator plays them.
pub const DEMO_INTEGRATIONS: &[DemoIntegration] = &[
    demo(
        "crm-contact-sync",
        "CRM contact sync",
        "crm-ops",
        "critical",
        "Welcome journey enrollment",
        SecretDates::ExpiresInDays(12),
    ),
    demo(
        "loyalty-points-feed",
        "Loyalty points feed",
        "marketing-ops",
        "high",
        "Points balance emails",
        SecretDates::RotatedDaysAgo(40),
    ),
    demo(
        "journey-orchestrator",
        "Journey orchestrator",
        "marketing-ops",
        "high",
        "Abandoned cart journey",
        SecretDates::RotatedDaysAgo(178),
    ),
    demo(
        "emea-preference-sync",
        "EMEA preference sync",
        "crm-ops",
        "high",
        "EMEA consent updates",
        SecretDates::ExpiresInDays(75),
    ),
    demo(
        "analytics-export",
        "Analytics export",
        "it-security",
        "medium",
        "Nightly engagement export",
        SecretDates::Unknown,
    ),
    demo(
        "triggered-send-api",
        "Triggered send API",
        "marketing-ops",
        "critical",
        "Order confirmations",
        SecretDates::RotatedDaysAgo(10),
    ),
    demo(
        "web-collect-forms",
        "Web collect forms",
        "marketing-ops",
        "medium",
        "Newsletter sign-ups",
        SecretDates::ExpiresInDays(100),
    ),
];

/// When the simulated timeline of step 2 starts.
pub fn demo_start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z")
        .expect("fixed time")
        .to_utc()
}

/// What happens in the simulated world before cycle `cycle` (0-based): changes the simulator
/// or the secret files in `dir`, and returns what it did in plain words (nothing on most cycles).
pub fn script(cycle: i64, sim: &Simulator, clients: &[DemoClient], dir: &Path) -> Vec<String> {
    let client = |id: &str| clients.iter().find(|c| c.id == id);
    match cycle {
        1 => {
            let Some(down) = client("web-collect-forms") else {
                return vec![];
            };
            sim.update_client(&down.client_id, |c| c.token = TokenBehaviour::Healthy);
            vec!["SFMC answers Web collect forms again: the outage lasted two minutes.".into()]
        }
        6 => {
            let Some(revoked) = client("loyalty-points-feed") else {
                return vec![];
            };
            // The owner copies the active secret from Installed Packages into the integration.
            let _ = std::fs::write(
                dir.join(format!("{}.secret", revoked.id)),
                &revoked.config.secret,
            );
            vec!["The loyalty team puts the active secret into the Loyalty points feed.".into()]
        }
        _ => vec![],
    }
}

/// The demo inventory: every integration points at the simulator, and its secret sits in a file.
pub fn demo_inventory_yaml(
    clients: &[DemoClient],
    base_url: &str,
    dir: &Path,
    start_day: NaiveDate,
) -> String {
    let mut yaml = String::from(
        "version: 1\n\
         teams:\n\
         \x20 - { id: crm-ops, name: CRM Operations, timezone: America/New_York }\n\
         \x20 - { id: marketing-ops, name: Marketing Operations, timezone: Europe/London, escalate_after: 2h, escalate_to: it-security }\n\
         \x20 - { id: it-security, name: IT Security }\n\
         integrations:\n",
    );
    for client in clients {
        let secret_file = dir.join(format!("{}.secret", client.id));
        if let Err(err) = std::fs::write(&secret_file, &client.sent_secret) {
            warn(&format!(
                "credwatch demo: cannot write {}: {err}",
                secret_file.display()
            ));
        }
        let Some(meta) = DEMO_INTEGRATIONS.iter().find(|d| d.id == client.id) else {
            continue;
        };
        let DemoIntegration {
            name,
            owner,
            severity,
            depends_on,
            dates,
            ..
        } = meta;
        let _ = writeln!(yaml, "  - id: {}", client.id);
        let _ = writeln!(yaml, "    name: {name}");
        let _ = writeln!(yaml, "    owner: {owner}");
        let _ = writeln!(yaml, "    severity: {severity}");
        let _ = writeln!(yaml, "    auth_url: {base_url}");
        let _ = writeln!(yaml, "    client_id: {}", client.client_id);
        let _ = writeln!(
            yaml,
            "    client_secret: {{ file: {:?} }}",
            secret_file.display().to_string()
        );
        let _ = writeln!(yaml, "    depends_on: [{depends_on:?}]");
        let _ = writeln!(yaml, "    records_per_hour: 2000");
        match dates {
            SecretDates::ExpiresInDays(days) => {
                let _ = writeln!(
                    yaml,
                    "    secret_expires_at: {}",
                    start_day + TimeDelta::days(*days)
                );
            }
            SecretDates::RotatedDaysAgo(days) => {
                let _ = writeln!(
                    yaml,
                    "    secret_rotated_at: {}",
                    start_day - TimeDelta::days(*days)
                );
            }
            SecretDates::Unknown => {}
        }
        if let Some(mid) = client.expected_account_id {
            let _ = writeln!(yaml, "    account_id: {mid}");
        }
        if !client.expected_scopes.is_empty() {
            let _ = writeln!(
                yaml,
                "    expected_scopes: [{}]",
                client.expected_scopes.join(", ")
            );
        }
    }
    yaml
}

/// A private scratch directory for the demo's secret files, removed when the demo ends.
pub struct DemoDir(PathBuf);

impl DemoDir {
    /// Creates it under the system temporary folder, named after this process.
    pub fn create() -> DemoDir {
        let path = std::env::temp_dir().join(format!("credwatch-demo-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&path);
        DemoDir(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
