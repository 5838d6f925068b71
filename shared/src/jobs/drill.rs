//! The drill (`credwatch drill`, and the alert-fanout function's scheduled drill): a clearly
//! marked test sent through the real alert path for each named team, and what it proved.
//!
//! For each team (default: every team in the table), in this order:
//! 1. everything is read first (the teams, the topic's subscriptions): an unknown team or an
//!    unreadable topic stops the drill before anything is written;
//! 2. the team's drill incident ([`Incident::drill`]) is written to the table; the table's
//!    stream hands it to the alert fan-out, which publishes ONE `drill` notification
//!    ([`crate::rules::drill`]) and records its delivery;
//! 3. the drill polls that record, with backoff, until it is sent (SNS's message id) or failed,
//!    and, when the team has a Slack webhook and Slack is waited for, until slack-notify
//!    records Slack's answer; never longer than [`DrillOptions::wait`];
//! 4. the drill incident is resolved (a drill's resolve sends nothing);
//! 5. the report: per team, published or not, its email subscriptions confirmed and pending
//!    (those whose filter policy routes to the team, and pending ones of its addresses),
//!    Slack's answer, and the verdict ([`TeamDrill::ok`]).

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::domain::incident::{Incident, IncidentId};
use crate::inventory::Team;
use crate::notify::delivery::{DeliveryState, NotificationRecord, SlackPostState};
use crate::notify::notification::{Event, NotificationId};
use crate::rules::drill::{Publication, SlackCheck, TeamDrill};
use crate::rules::subscriptions::reachability;
use crate::store::{Incidents, Notifications, StoreError, Teams};
use crate::subscriptions::{SubscriptionError, TopicSubscriptions};
use crate::text::printable::echo;

/// How long a drill waits for the fan-out (and Slack) by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// The first pause between two looks at the delivery records; doubled after each look.
pub const FIRST_POLL: Duration = Duration::from_millis(250);

/// The longest pause between two looks at the delivery records.
pub const MAX_POLL: Duration = Duration::from_secs(4);

/// What to drill and how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillOptions {
    /// The teams to drill, by id; empty: every team in the table.
    pub teams: Vec<String>,
    /// How long to wait for the fan-out's records (and Slack's answers) in all.
    pub wait: Duration,
    /// Whether to wait for Slack's answer to teams with a webhook ([`SlackCheck::NotChecked`]
    /// otherwise).
    pub wait_for_slack: bool,
}

impl Default for DrillOptions {
    fn default() -> DrillOptions {
        DrillOptions {
            teams: Vec::new(),
            wait: DEFAULT_WAIT,
            wait_for_slack: true,
        }
    }
}

/// Why a drill could not start (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrillError {
    /// Teams named that the table does not hold.
    #[error(
        "no team {} in the table (it holds: {}); run `credwatch inventory apply` first, or name a team it holds",
        .unknown.join(", "),
        if .known.is_empty() { "no team".to_string() } else { .known.join(", ") }
    )]
    UnknownTeams {
        /// The unknown ids, as given (escaped).
        unknown: Vec<String>,
        /// The ids the table holds.
        known: Vec<String>,
    },
    /// No team named and none in the table.
    #[error(
        "the table holds no team to drill; run `credwatch inventory apply` with an inventory that defines teams"
    )]
    NoTeams,
    /// The teams could not be read.
    #[error("could not read the teams: {0}")]
    Teams(String),
    /// The topic's subscriptions could not be read.
    #[error("could not read the subscriptions of the alert topic: {0}")]
    Subscriptions(String),
}

/// What a drill proved, team by team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrillReport {
    /// When the drill incidents were opened.
    pub started_at: DateTime<Utc>,
    /// The alert topic.
    pub topic: String,
    /// One entry per team, in the order named (else by id).
    pub teams: Vec<TeamDrill>,
}

impl DrillReport {
    /// The metrics of a scheduled drill: `DrillTeams` (teams drilled) and `DrillTeamsFailed`
    /// (of them, those that did not pass).
    pub fn metrics(&self) -> Vec<crate::telemetry::emf::MetricSet> {
        use crate::telemetry::emf::{Metric, MetricSet};
        use crate::telemetry::metrics::{DRILL_TEAMS, DRILL_TEAMS_FAILED};
        vec![MetricSet {
            dimensions: vec![],
            metrics: vec![
                Metric::count(DRILL_TEAMS, self.teams.len()),
                Metric::count(DRILL_TEAMS_FAILED, self.failed_teams().len()),
            ],
        }]
    }

    /// Whether every team passed ([`TeamDrill::ok`]).
    pub fn ok(&self) -> bool {
        self.teams.iter().all(TeamDrill::ok)
    }

    /// The teams that did not pass.
    pub fn failed_teams(&self) -> Vec<&str> {
        self.teams
            .iter()
            .filter(|t| !t.ok())
            .map(|t| t.team.as_str())
            .collect()
    }
}

/// One team's drill while it runs.
struct Running {
    team: Team,
    incident: IncidentId,
    notification: NotificationId,
    written: Result<(), String>,
    publication: Option<Publication>,
    last_error: Option<String>,
    slack: Option<SlackCheck>,
    slack_error: Option<String>,
}

impl Running {
    /// Whether nothing more is awaited for this team.
    fn settled(&self, wait_for_slack: bool) -> bool {
        let Some(publication) = &self.publication else {
            return false;
        };
        // Slack posts only what SNS delivered: without a publish there is nothing to await.
        !wait_for_slack
            || !publication.is_published()
            || !has_webhook(&self.team)
            || self.slack.is_some()
    }
}

/// Runs a drill at `now` over `store` and the subscriptions of `topic` (see the module doc).
/// `progress` is told, in one line each, what happens while waiting.
///
/// # Errors
/// [`DrillError`] when the drill cannot start: an unknown team, no team at all, the teams or
/// the topic's subscriptions unreadable. Nothing is written then. Failures after that (a drill
/// that cannot be written, a record unreadable) are the team's, in the report.
pub async fn run_drill<S, T>(
    store: &S,
    subscriptions: &T,
    topic: &str,
    options: &DrillOptions,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<DrillReport, DrillError>
where
    S: Teams + Incidents + Notifications,
    T: TopicSubscriptions,
{
    let all = store
        .list_teams()
        .await
        .map_err(|e| DrillError::Teams(e.to_string()))?;
    let chosen = choose(&all, &options.teams)?;
    let current = subscriptions
        .list(topic)
        .await
        .map_err(|e: SubscriptionError| DrillError::Subscriptions(e.to_string()))?;
    let reach = reachability(&all, &current);

    let started = tokio::time::Instant::now();
    let mut running = Vec::new();
    for team in chosen {
        let incident = Incident::drill(&team.id, now);
        let written = open_drill(store, &incident, now).await;
        match &written {
            Ok(()) => progress(&format!(
                "team {}: drill {} written; waiting for the alert fan-out",
                team.id, incident.id
            )),
            Err(error) => progress(&format!(
                "team {}: the drill could not be written: {error}",
                team.id
            )),
        }
        running.push(Running {
            notification: NotificationId::at(&incident.id, Event::Drill, incident.opened_at),
            incident: incident.id,
            publication: written.as_ref().err().map(|error| Publication::NotWritten {
                error: error.clone(),
            }),
            written,
            last_error: None,
            slack: None,
            slack_error: None,
            team,
        });
    }

    let mut pause = FIRST_POLL;
    loop {
        for run in running
            .iter_mut()
            .filter(|r| !r.settled(options.wait_for_slack))
        {
            look(store, run, progress).await;
        }
        if running.iter().all(|r| r.settled(options.wait_for_slack)) {
            break;
        }
        let left = options.wait.saturating_sub(started.elapsed());
        if left.is_zero() {
            progress("the wait is over: reporting what was seen");
            break;
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(MAX_POLL);
    }

    let ended = now + TimeDelta::from_std(started.elapsed()).unwrap_or(TimeDelta::zero());
    let mut teams = Vec::new();
    for run in running {
        let resolved = match &run.written {
            Ok(()) => resolve_drill(store, &run.incident, ended, progress).await,
            Err(_) => false,
        };
        let (confirmed, pending) = addresses(&reach, &run.team.id);
        let publication = run.publication.unwrap_or(match run.last_error {
            Some(error) => Publication::Retrying { error },
            None => Publication::NotSeen,
        });
        let slack = match run.slack {
            Some(answer) => answer,
            None if !has_webhook(&run.team) => SlackCheck::NoWebhook,
            // Nothing was published, so nothing could reach Slack: not an unanswered post.
            None if !options.wait_for_slack || !publication.is_published() => {
                SlackCheck::NotChecked
            }
            None => SlackCheck::NoAnswer {
                error: run.slack_error,
            },
        };
        teams.push(TeamDrill {
            team: run.team.id,
            incident_id: run.incident.to_string(),
            publication,
            confirmed,
            pending,
            slack,
            resolved,
        });
    }
    Ok(DrillReport {
        started_at: now,
        topic: topic.to_string(),
        teams,
    })
}

/// The teams named (each once, in the order given), or every team when none is named.
fn choose(all: &[Team], named: &[String]) -> Result<Vec<Team>, DrillError> {
    if named.is_empty() {
        if all.is_empty() {
            return Err(DrillError::NoTeams);
        }
        return Ok(all.to_vec());
    }
    let mut seen = BTreeSet::new();
    let mut chosen = Vec::new();
    let mut unknown = Vec::new();
    for id in named {
        if !seen.insert(id.as_str()) {
            continue;
        }
        match all.iter().find(|t| &t.id == id) {
            Some(team) => chosen.push(team.clone()),
            None => unknown.push(echo(id)),
        }
    }
    if unknown.is_empty() {
        Ok(chosen)
    } else {
        Err(DrillError::UnknownTeams {
            unknown,
            known: all.iter().map(|t| t.id.clone()).collect(),
        })
    }
}

/// Writes the drill incident. An open drill of the team left by an earlier run (stopped before
/// its resolve) is resolved first, then replaced.
async fn open_drill<S: Incidents>(
    store: &S,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let error = |e: StoreError| e.to_string();
    if store.open_incident(incident).await.map_err(error)? {
        return Ok(());
    }
    store
        .resolve_incident(
            incident.id.as_str(),
            "an earlier drill left open: replaced by a new drill",
            now,
        )
        .await
        .map_err(error)?;
    if store.open_incident(incident).await.map_err(error)? {
        Ok(())
    } else {
        Err(format!(
            "another drill of team {} is running (its incident {} is open)",
            incident.team, incident.id
        ))
    }
}

/// Reads the team's drill notification once and notes what it says.
async fn look<S: Notifications>(
    store: &S,
    run: &mut Running,
    progress: &mut (dyn FnMut(&str) + Send),
) {
    let records = match store.notifications_of(&run.incident).await {
        Ok(records) => records,
        Err(error) => {
            // Read again at the next look; said once per look, never fatal.
            progress(&format!(
                "team {}: the drill's delivery record could not be read ({error}); trying again",
                run.team.id
            ));
            return;
        }
    };
    let Some(record) = records.iter().find(|r| *r.id() == run.notification) else {
        return;
    };
    if run.publication.is_none() {
        match record.delivery.state {
            DeliveryState::Sent => {
                let message_id = record.delivery.message_id.clone().unwrap_or_default();
                progress(&format!(
                    "team {}: drill published (SNS message id {message_id})",
                    run.team.id
                ));
                run.publication = Some(Publication::Published { message_id });
            }
            DeliveryState::Failed => {
                let error = last_error(record).unwrap_or_else(|| "given up".to_string());
                progress(&format!(
                    "team {}: the drill could not be published: {error}",
                    run.team.id
                ));
                run.publication = Some(Publication::Failed { error });
            }
            _ => {
                let error = last_error(record);
                if error.is_some() && error != run.last_error {
                    progress(&format!(
                        "team {}: publishing the drill failed ({}); the fan-out retries it",
                        run.team.id,
                        error.as_deref().unwrap_or_default()
                    ));
                }
                run.last_error = error;
            }
        }
    }
    if run.slack.is_none() {
        run.slack_error = slack_pending_error(record);
    }
    if run.slack.is_none()
        && let Some(answer) = slack_answer(record)
    {
        progress(&format!(
            "team {}: Slack {}",
            run.team.id,
            slack_words(&answer)
        ));
        run.slack = Some(answer);
    }
}

/// The record's last publish error, as recorded (already scrubbed).
fn last_error(record: &NotificationRecord) -> Option<String> {
    record
        .delivery
        .last_error
        .as_ref()
        .map(|e| format!("{}: {}", e.kind.as_str(), e.detail))
}

/// Resolves the drill incident at `at`; whether it was open.
async fn resolve_drill<S: Incidents>(
    store: &S,
    id: &IncidentId,
    at: DateTime<Utc>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> bool {
    match store.resolve_incident(id.as_str(), "drill over", at).await {
        Ok(resolved) => resolved,
        Err(error) => {
            progress(&format!(
                "drill {id} could not be resolved ({error}); the next drill of its team replaces it"
            ));
            false
        }
    }
}

/// The team's confirmed and pending email addresses.
fn addresses(
    reach: &crate::rules::subscriptions::Reachability,
    team: &str,
) -> (Vec<String>, Vec<String>) {
    let confirmed = reach
        .confirmed
        .iter()
        .filter(|c| c.team == team)
        .map(|c| c.endpoint.clone())
        .collect();
    let pending = reach
        .pending
        .iter()
        .filter(|p| p.team.as_deref() == Some(team))
        .map(|p| p.endpoint.clone())
        .collect();
    (confirmed, pending)
}

/// Slack's answer in a few words, for progress lines and tables: `accepted`, `refused
/// (invalid_token, HTTP 403)`, `no webhook`, `no answer in time`, `not checked`.
pub fn slack_words(answer: &SlackCheck) -> String {
    match answer {
        SlackCheck::NoWebhook => "no webhook".to_string(),
        SlackCheck::Accepted => "accepted".to_string(),
        SlackCheck::Refused { error, status } => {
            let mut why: Vec<String> = error.iter().cloned().collect();
            why.extend(status.map(|s| format!("HTTP {s}")));
            if why.is_empty() {
                "refused".to_string()
            } else {
                format!("refused ({})", why.join(", "))
            }
        }
        SlackCheck::NoAnswer { error: None } => "no answer in time".to_string(),
        SlackCheck::NoAnswer { error: Some(e) } => format!("no answer in time (last: {e})"),
        SlackCheck::NotChecked => "not checked".to_string(),
    }
}

/// Whether the team has a Slack webhook (`notify.slack_webhook`: its posts are then awaited).
fn has_webhook(team: &Team) -> bool {
    team.notify.slack_webhook.is_some()
}

/// Slack's final answer on the record, if slack-notify has one: accepted or refused; `None`
/// while it has not posted or is retrying (the wait goes on; a retrying post's error is kept
/// for the report by [`slack_pending_error`]).
fn slack_answer(record: &NotificationRecord) -> Option<SlackCheck> {
    let post = record.slack.as_ref()?;
    match post.state {
        SlackPostState::Accepted => Some(SlackCheck::Accepted),
        SlackPostState::Refused => Some(SlackCheck::Refused {
            error: post.error.clone(),
            status: post.status,
        }),
        SlackPostState::Retrying => None,
    }
}

/// The error of a Slack post slack-notify is retrying, if any.
fn slack_pending_error(record: &NotificationRecord) -> Option<String> {
    record
        .slack
        .as_ref()
        .filter(|post| post.state == SlackPostState::Retrying)
        .map(|post| {
            let mut why: Vec<String> = post.error.iter().cloned().collect();
            why.extend(post.status.map(|s| format!("HTTP {s}")));
            if why.is_empty() {
                format!("retrying, attempt {}", post.attempts)
            } else {
                why.join(", ")
            }
        })
}

#[cfg(test)]
mod tests;
