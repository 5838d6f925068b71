//! What the alert-operations rules need to know besides the incident, read once per
//! invocation: every team's routing and schedules, the silences, the maintenance windows, and
//! the inventory entries (names, credentials). Loading is the only I/O here; the lookups are
//! plain functions.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::domain::incident::Incident;
use crate::domain::silence::{Labels, Silence};
use crate::inventory::{Integration, MaintenanceWindow, Team};
use crate::notify::annotations::HoldKind;
use crate::notify::notification::Expiry;
use crate::rules::business_hours::Calendar;
use crate::rules::expiry::{days_until, expiry_date};
use crate::rules::followup::FollowUpRules;
use crate::rules::maintenance::{in_maintenance, timezone_of};
use crate::rules::policy::{Hold, Routing};
use crate::rules::silences::{silenced_until, silencing};
use crate::store::IntegrationRecord;
use crate::store::{Integrations, Silences, StoreError, Teams};

/// One team's alert-operations settings, ready for the rules.
#[derive(Debug, Clone)]
pub struct TeamPolicy {
    /// Its business hours in its time zone.
    pub calendar: Calendar,
    /// Its time zone (maintenance windows without their own are read in it).
    pub tz: Tz,
    /// `notify.remind_after`.
    pub remind_after: Vec<TimeDelta>,
    /// `notify.remind_max`.
    pub remind_max: Option<u32>,
    /// `escalate_after`.
    pub escalate_after: Option<TimeDelta>,
    /// `escalate_to`.
    pub escalate_to: Option<String>,
    /// `after_hours_to`.
    pub after_hours_to: Option<String>,
    /// `notify.group_wait` (zero: no grouping).
    pub group_wait: TimeDelta,
    /// `notify.group_min`.
    pub group_min: u32,
    /// Its maintenance windows.
    pub maintenance: Vec<MaintenanceWindow>,
}

impl TeamPolicy {
    /// The policy of `team`; a time zone the database does not know (only hand-made items
    /// carry one) counts as UTC, logged.
    pub fn of(team: &Team) -> TeamPolicy {
        let calendar = Calendar::for_team(team).unwrap_or_else(|error| {
            tracing::warn!(team = %team.id, %error, "team time zone unknown: UTC used");
            Calendar::new(None, team.business_hours.clone())
                .unwrap_or_else(|_| Calendar::always_open())
        });
        let tz = team
            .timezone
            .as_deref()
            .and_then(|name| name.parse::<Tz>().ok())
            .unwrap_or(Tz::UTC);
        let delta = |d: std::time::Duration| TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX);
        TeamPolicy {
            calendar,
            tz,
            remind_after: team
                .notify
                .remind_after
                .iter()
                .copied()
                .map(delta)
                .collect(),
            remind_max: team.notify.remind_max,
            escalate_after: team.escalate_after.map(delta),
            escalate_to: team.escalate_to.clone(),
            after_hours_to: team.after_hours_to.clone(),
            group_wait: delta(team.notify.group_wait),
            group_min: team.notify.group_min,
            maintenance: team.maintenance.clone(),
        }
    }

    /// The policy of a team the table does not know: open around the clock, default
    /// schedules, no escalation, no grouping beyond the defaults.
    pub fn unknown() -> TeamPolicy {
        TeamPolicy {
            calendar: Calendar::always_open(),
            tz: Tz::UTC,
            remind_after: Vec::new(),
            remind_max: None,
            escalate_after: None,
            escalate_to: None,
            after_hours_to: None,
            group_wait: TimeDelta::from_std(crate::inventory::DEFAULT_GROUP_WAIT)
                .unwrap_or(TimeDelta::zero()),
            group_min: crate::inventory::DEFAULT_GROUP_MIN,
            maintenance: Vec::new(),
        }
    }
}

/// Everything the rules read besides incidents and notifications, as of one invocation.
#[derive(Debug, Clone, Default)]
pub struct AlertingContext {
    /// Teams by id.
    pub teams: HashMap<String, TeamPolicy>,
    /// Every silence on record (ended ones included: they are cheap to skip).
    pub silences: Vec<Silence>,
    /// The integrations on record by id (inventory entry and what the expiry needs).
    pub integrations: HashMap<String, IntegrationRecord>,
}

/// When the maintenance of `windows` in force at `t` ends (`None`: none is), each window read in
/// its own time zone, else `tz` (its team's, or for an integration its owner's).
fn maintenance_end(
    windows: &[MaintenanceWindow],
    tz: Tz,
    t: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut zones: Vec<Tz> = Vec::new();
    for window in windows {
        let zone = timezone_of(window.timezone.as_deref()).unwrap_or(tz);
        if !zones.contains(&zone) {
            zones.push(zone);
        }
    }
    zones
        .into_iter()
        .filter_map(|zone| {
            let same: Vec<MaintenanceWindow> = windows
                .iter()
                .filter(|w| timezone_of(w.timezone.as_deref()).unwrap_or(tz) == zone)
                .cloned()
                .collect();
            in_maintenance(&same, zone, t).map(|o| o.end)
        })
        .max()
}

/// The policy [`AlertingContext::team`] gives a team it does not know.
static UNKNOWN_TEAM: std::sync::LazyLock<TeamPolicy> =
    std::sync::LazyLock::new(TeamPolicy::unknown);

impl AlertingContext {
    /// The team's policy ([`TeamPolicy::unknown`] for a team the table does not hold).
    pub fn team(&self, id: &str) -> &TeamPolicy {
        self.teams.get(id).unwrap_or(&UNKNOWN_TEAM)
    }

    /// The inventory entry of `incident`'s integration (`None`: not on record; messages then
    /// name it by id) and, for expiry incidents, the secret's expiry as of `now`.
    pub fn facts(
        &self,
        incident: &Incident,
        now: DateTime<Utc>,
    ) -> (Option<&Integration>, Option<Expiry>) {
        let Some(record) = self.integrations.get(&incident.integration) else {
            return (None, None);
        };
        let expiry = (incident.check == crate::domain::incident::CheckKind::Expiry)
            .then(|| expiry_date(&record.integration, record.secret_rotated_seen_at))
            .flatten()
            .map(|expires_on| Expiry {
                expires_on,
                days_left: days_until(expires_on, now.date_naive()),
            });
        (Some(&record.integration), expiry)
    }

    /// Who besides the owner receives notifications of an incident owned by `owner`.
    pub fn routing<'a>(&'a self, owner: &'a str) -> Routing<'a> {
        let team = self.team(owner);
        Routing {
            owner,
            owner_calendar: &team.calendar,
            escalate_to: team.escalate_to.as_deref(),
            after_hours_to: team.after_hours_to.as_deref(),
        }
    }

    /// The owner's follow-up settings.
    pub fn follow_up_rules(&self, owner: &str) -> FollowUpRules<'_> {
        let team = self.team(owner);
        FollowUpRules {
            remind_after: &team.remind_after,
            remind_max: team.remind_max,
            escalate_after: team.escalate_after,
            calendar: &team.calendar,
        }
    }

    /// The silence or maintenance window in force for `incident` at `now`, if any: a silence
    /// matching its integration, owner team, class and check, or a maintenance window of its
    /// integration or owner team. When several are, the one that holds longest (overlapping
    /// silences followed to their end).
    pub fn hold(&self, incident: &Incident, now: DateTime<Utc>) -> Option<Hold> {
        let labels = Labels {
            integration: &incident.integration,
            team: &incident.team,
            class: incident.class.as_str(),
            check: incident.check.as_str(),
        };
        let silence = silencing(&self.silences, &labels, now).and_then(|s| {
            let until = silenced_until(&self.silences, &labels, now)?;
            Some(Hold {
                kind: HoldKind::Silenced,
                until,
                // The reason and author are an operator's free text: scrubbed (a pasted token or
                // webhook URL) as well as escaped, for they reach decisions and message bodies.
                reason: format!(
                    "silence {} ({}) by {}",
                    s.id,
                    crate::notify::scrub::scrub(&s.reason),
                    crate::notify::scrub::scrub(&s.created_by)
                ),
            })
        });
        let owner = self.team(&incident.team);
        let mut windows = Vec::new();
        if let Some(record) = self.integrations.get(&incident.integration)
            && let Some(end) = maintenance_end(&record.integration.maintenance, owner.tz, now)
        {
            windows.push(Hold {
                kind: HoldKind::Maintenance,
                until: end,
                reason: format!(
                    "maintenance window of integration {}",
                    crate::text::printable::echo(&record.integration.id)
                ),
            });
        }
        if let Some(end) = maintenance_end(&owner.maintenance, owner.tz, now) {
            windows.push(Hold {
                kind: HoldKind::Maintenance,
                until: end,
                reason: format!(
                    "maintenance window of team {}",
                    crate::text::printable::echo(&incident.team)
                ),
            });
        }
        silence
            .into_iter()
            .chain(windows)
            .max_by_key(|hold| hold.until)
    }

    /// Reads the context from `store`.
    ///
    /// # Errors
    /// The store's error when teams, silences or integrations cannot be listed: without them
    /// a notification could go to a silenced or sleeping team, so the caller retries instead.
    pub async fn load<S: Teams + Silences + Integrations>(
        store: &S,
    ) -> Result<AlertingContext, StoreError> {
        let teams = store.list_teams().await?;
        let silences = store.silences().await?;
        for item in &silences.unreadable {
            tracing::error!(key = %item.key, field = %item.field, problem = %item.problem, "unreadable silence skipped");
        }
        let integrations = store.list_integrations().await?;
        Ok(AlertingContext {
            teams: teams
                .iter()
                .map(|t| (t.id.clone(), TeamPolicy::of(t)))
                .collect(),
            silences: silences.silences,
            integrations: integrations
                .records
                .into_iter()
                .map(|r| (r.integration.id.clone(), r))
                .collect(),
        })
    }
}
