//! The inventory as plain data, after validation (defaults already applied).

use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, Weekday};
use url::Url;

use crate::secrets::SecretSource;

/// The whole inventory file (`version: 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    pub version: u32,
    pub defaults: Defaults,
    pub teams: Vec<Team>,
    /// In file order; ids are unique.
    pub integrations: Vec<Integration>,
}

impl Inventory {
    pub fn integration(&self, id: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.id == id)
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }
}

/// `defaults:`; every field optional in the file, filled with these values when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    pub probe_every: Duration,
    pub recheck_every: Duration,
    pub expiry_warn_days: Vec<u32>,
    pub secret_lifetime_days: u32,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            probe_every: Duration::from_secs(15 * 60),
            recheck_every: Duration::from_secs(2 * 60),
            expiry_warn_days: vec![30, 14, 7, 3, 1],
            secret_lifetime_days: 180,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: String,
    pub name: String,
    /// IANA time zone name, e.g. `America/New_York`. `None` means UTC.
    pub timezone: Option<String>,
    pub business_hours: Option<BusinessHours>,
    /// An unacknowledged firing incident is escalated after this long.
    pub escalate_after: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    pub days: Vec<Weekday>,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// Moved to the domain vocabulary; re-exported so inventory code keeps its paths.
pub use crate::domain::severity::Severity;

/// One SFMC API integration (an installed package's client id/secret) and who owns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    /// `[a-z0-9][a-z0-9-]{0,63}`, unique in the inventory.
    pub id: String,
    pub name: String,
    /// A team id from `teams`.
    pub owner: String,
    pub severity: Severity,
    /// "Authentication Base URI", always ending in `/`.
    pub auth_url: Url,
    pub client_id: String,
    pub client_secret: SecretSource,
    /// MID of the business unit the token must be for; sent as a JSON number.
    pub account_id: Option<u64>,
    pub expected_scopes: Vec<String>,
    pub secret_rotated_at: Option<NaiveDate>,
    pub secret_expires_at: Option<NaiveDate>,
    pub depends_on: Vec<String>,
    pub records_per_hour: Option<u64>,
    pub runbook: Option<String>,
    /// Per-integration values, falling back to `defaults`.
    pub probe_every: Duration,
    pub recheck_every: Duration,
    pub expiry_warn_days: Vec<u32>,
    pub secret_lifetime_days: u32,
}
