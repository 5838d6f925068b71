//! The inventory as plain data, after validation (defaults already applied).

use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, Weekday};
use url::Url;

use crate::secrets::SecretSource;

/// The whole inventory file (`version: 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    /// The file format's version; always 1 (the only one this credwatch reads).
    pub version: u32,
    /// `defaults:` with every absent field filled in.
    pub defaults: Defaults,
    /// `teams:`, in file order; ids are unique.
    pub teams: Vec<Team>,
    /// In file order; ids are unique.
    pub integrations: Vec<Integration>,
}

impl Inventory {
    /// The integration with this `id`, if the inventory has one.
    pub fn integration(&self, id: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.id == id)
    }

    /// The team with this `id`, if the inventory declares one.
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }
}

/// `defaults:`; every field optional in the file, filled with these values when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    /// How often a healthy integration is probed (default 15 minutes; SFMC asks for at most
    /// about one token every 20 minutes per app, research §4.1).
    pub probe_every: Duration,
    /// How often a failing integration is probed again to confirm (default 2 minutes).
    pub recheck_every: Duration,
    /// Days before the secret expires at which a reminder goes out, largest first (default
    /// 30, 14, 7, 3, 1).
    pub expiry_warn_days: Vec<u32>,
    /// How long a secret lives after rotation, in days, when no expiry date is given (default
    /// 180).
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

/// One entry of `teams:`: who owns integrations and when they can be reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// `[a-z0-9][a-z0-9-]{0,63}`, unique among teams; integrations name it as `owner`.
    pub id: String,
    /// A display name, e.g. `CRM operations`.
    pub name: String,
    /// IANA time zone name, e.g. `America/New_York`. `None` means UTC.
    pub timezone: Option<String>,
    /// When the team works, in `timezone`; `None` means around the clock.
    pub business_hours: Option<BusinessHours>,
    /// An unacknowledged firing incident is escalated after this long.
    pub escalate_after: Option<Duration>,
    /// The team (an id declared under `teams`, not this one) an incident is escalated to after
    /// `escalate_after`; set only together with `escalate_after`.
    pub escalate_to: Option<String>,
    /// The team (an id declared under `teams`, not this one) that also receives this team's
    /// critical alerts outside its business hours.
    pub after_hours_to: Option<String>,
    /// `notify:`: where the team's alerts go (nothing, when absent).
    pub notify: Notify,
    /// Recurring maintenance windows of every integration the team owns: notifications are
    /// suppressed during them (at most [`MAINTENANCE_MAX`](super::bounds::MAINTENANCE_MAX)).
    pub maintenance: Vec<MaintenanceWindow>,
}

/// `notify.group_wait` when absent: incidents of one class opening within a minute are grouped.
pub const DEFAULT_GROUP_WAIT: Duration = Duration::from_secs(60);
/// `notify.group_min` when absent: the second incident within `group_wait` starts a digest.
pub const DEFAULT_GROUP_MIN: u32 = 2;

/// A team's `notify:` block: the addresses `inventory apply --topic` subscribes to the alerts
/// topic, the least severe alert they receive, and how reminders and grouping behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// Email addresses, each once (compared case-insensitively), in file order, as written.
    pub email: Vec<String>,
    /// Alerts less severe than this are not sent to the team (default `low`: everything).
    pub min_severity: Severity,
    /// `remind_after`: the intervals between reminders of an open, unacknowledged incident, the
    /// last one repeating; each 1 minute to 30 days, at most 10. Empty: the severity's default
    /// schedule.
    pub remind_after: Vec<Duration>,
    /// `remind_max`: at most this many reminders per incident (1 to 1000); `None`: the
    /// schedule's own end, at most [`crate::rules::reminders::MAX_REMINDERS`].
    pub remind_max: Option<u32>,
    /// `group_wait`: how long after the first incident of a class others of that class are
    /// gathered into one digest (0 to 1 hour; zero turns grouping off; default
    /// [`DEFAULT_GROUP_WAIT`]).
    pub group_wait: Duration,
    /// `group_min`: how many incidents within `group_wait` make a digest (2 to 1000; default
    /// [`DEFAULT_GROUP_MIN`]).
    pub group_min: u32,
    /// `slack_webhook: { aws_secret: NAME }`: the Secrets Manager secret NAME that holds the
    /// team's Slack incoming-webhook URL (a credential: the URL itself is never in the
    /// inventory, the table or any output). `None`: no Slack delivery by `slack-notify`.
    pub slack_webhook: Option<String>,
}

impl Default for Notify {
    fn default() -> Self {
        Notify {
            email: Vec::new(),
            min_severity: Severity::Low,
            remind_after: Vec::new(),
            remind_max: None,
            group_wait: DEFAULT_GROUP_WAIT,
            group_min: DEFAULT_GROUP_MIN,
            slack_webhook: None,
        }
    }
}

/// One recurring maintenance window (`maintenance:` of a team or an integration): on each of
/// `days`, from `start` local time, for `duration`. Notifications are suppressed during it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// The days a window starts on, each once, in the order written; empty: every day.
    pub days: Vec<Weekday>,
    /// The local time it starts (`HH:MM`); a window may run past midnight.
    pub start: NaiveTime,
    /// How long it lasts, in absolute time: 1 minute to 7 days.
    pub duration: Duration,
    /// IANA time zone its `days` and `start` are read in; `None`: the team's time zone (for an
    /// integration, its owner's), else UTC.
    pub timezone: Option<String>,
}

/// A team's working hours: the same window on each listed day, in the team's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    /// The working days, in the order written, each once.
    pub days: Vec<Weekday>,
    /// Start of the window (`HH:MM`, inclusive).
    pub start: NaiveTime,
    /// End of the window (`HH:MM`, exclusive), after `start`.
    pub end: NaiveTime,
}

/// Moved to the domain vocabulary; re-exported so inventory code keeps its paths.
pub use crate::domain::severity::Severity;

/// One SFMC API integration (an installed package's client id/secret) and who owns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    /// `[a-z0-9][a-z0-9-]{0,63}`, unique in the inventory.
    pub id: String,
    /// A display name, e.g. `CRM contact sync`.
    pub name: String,
    /// A team id from `teams`.
    pub owner: String,
    /// How much it matters when this integration breaks.
    pub severity: Severity,
    /// "Authentication Base URI", always ending in `/`.
    pub auth_url: Url,
    /// The installed package's Client Id (sent as `client_id` in the token request).
    pub client_id: String,
    /// Where the Client Secret is kept; never the secret itself.
    pub client_secret: SecretSource,
    /// MID of the business unit the token must be for; sent as a JSON number.
    pub account_id: Option<u64>,
    /// Scopes the token must carry (SFMC's names, see [`crate::sfmc::scopes`]); empty means
    /// not checked.
    pub expected_scopes: Vec<String>,
    /// When the Client Secret was last rotated (a date, UTC); not in the future.
    pub secret_rotated_at: Option<NaiveDate>,
    /// When the Client Secret expires, as SFMC's installed package shows it (a date, UTC).
    pub secret_expires_at: Option<NaiveDate>,
    /// Names of the systems that stop when this integration does (free text, shown in alerts).
    pub depends_on: Vec<String>,
    /// About how many records an hour flow through it, to size an outage in alerts.
    pub records_per_hour: Option<u64>,
    /// Where the fix is written down: an http(s) URL.
    pub runbook: Option<String>,
    /// How often it is probed while healthy (`probe_every`, else the default).
    pub probe_every: Duration,
    /// How often it is probed again while failing (`recheck_every`, else the default).
    pub recheck_every: Duration,
    /// Reminder days before expiry, largest first (`expiry_warn_days`, else the default).
    pub expiry_warn_days: Vec<u32>,
    /// Days a secret lives after rotation (`secret_lifetime_days`, else the default).
    pub secret_lifetime_days: u32,
    /// Recurring maintenance windows of this integration alone (the owner's apply as well).
    pub maintenance: Vec<MaintenanceWindow>,
    /// Where its own SFMC results come from besides its ingest tokens (`ingest`).
    pub ingest: IngestBinding,
}

/// The non-token routes by which an integration's own SFMC results reach the ingest function
/// (inventory `ingest`): each binds a source to this one integration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngestBinding {
    /// CloudWatch Logs groups whose lines are this integration's (`ingest.log_groups`), each
    /// a log group name (`[.\-_/#A-Za-z0-9]`, 1 to 512 characters), in the order written.
    pub log_groups: Vec<String>,
    /// EventBridge `source` values whose `credwatch.sfmc_call.v1` events are this
    /// integration's (`ingest.event_sources`), e.g. `com.acme.orders-sync`.
    pub event_sources: Vec<String>,
}
