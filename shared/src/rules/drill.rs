//! Drills (see [`crate::domain::incident::Incident::drill`]): what the fan-out makes of a drill
//! incident's changes, and what a drill proved for each team. Pure.
//!
//! **The fan-out's rule.** A drill's opening is told as ONE `drill` notification to its team
//! only, published at once: no business-hours deferral, no silence or maintenance hold, no
//! grouping, no copy to `after_hours_to` or `escalate_to`, no reminder, no escalation. Its
//! severity attribute is `critical`, which every team subscription's filter policy admits,
//! and its `event` attribute `drill`. Every other change of a drill (its resolve, an ack)
//! sends nothing.
//!
//! **The verdict.** A team passes when its drill was published (SNS gave a message id) AND at
//! least one of its email subscriptions is confirmed or Slack accepted the post.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::incident::{Incident, IncidentChange};
use crate::notify::delivery::{Decision, DecisionKind, NotificationRecord};
use crate::notify::notification::{Event, IntegrationFacts, Notification, NotificationId};
use crate::rules::delivery::first_claim;

/// The decision a drill's notification is recorded with (its reason, as `incident show` lists
/// it).
pub const DRILL_DECISION_REASON: &str =
    "drill: sent at once to the owning team only (no hours, silence, grouping or escalation)";

/// The one notification of `incident` (a drill) opened at `incident.opened_at`, made at
/// `now`: event `drill`, id `{incident}/drill@{opened_at}`, addressed to the owning team.
pub fn drill_notification(incident: &Incident, now: DateTime<Utc>) -> Notification {
    let id = NotificationId::at(&incident.id, Event::Drill, incident.opened_at);
    let mut notification = Notification::about(id, Event::Drill, incident, None, None, now);
    // The integration part (`drill.{team}`) is no integration: the message names the drill.
    notification.integration = IntegrationFacts {
        name: format!("credwatch alert drill of team {}", incident.team),
        ..IntegrationFacts::unknown(&incident.integration)
    };
    notification
}

/// What the fan-out does with a change of a drill incident.
#[derive(Debug, Clone, PartialEq)]
pub enum DrillMessage {
    /// Record this notification (claimed, decided `send`) and publish it now (boxed: a record
    /// is large beside a reason).
    Send(Box<NotificationRecord>),
    /// Send nothing; the reason is kept in the audit trail.
    Nothing(String),
}

/// The fan-out's rule for `change` of drill `incident` (as it is after the change) at `now`:
/// an opening gives one notification sent at once; anything else (its resolve, a change, an
/// acknowledgement: `change` is then not an opening or `None`) gives nothing.
pub fn drill_message(
    incident: &Incident,
    change: Option<&IncidentChange>,
    now: DateTime<Utc>,
) -> DrillMessage {
    match change {
        Some(IncidentChange::Opened(_)) => {
            let mut delivery = first_claim(now);
            delivery.decisions.push(Decision::new(
                DecisionKind::Send,
                now,
                None,
                DRILL_DECISION_REASON,
            ));
            DrillMessage::Send(Box::new(NotificationRecord {
                notification: drill_notification(incident, now),
                created_at: now,
                delivery,
                slack: None,
            }))
        }
        Some(IncidentChange::Resolved { .. }) => DrillMessage::Nothing(format!(
            "drill {} resolved: a drill's resolve sends nothing",
            incident.id
        )),
        _ => DrillMessage::Nothing(format!(
            "drill {}: only its opening is told, no notification",
            incident.id
        )),
    }
}

/// Whether the team's drill was published, as the fan-out recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Publication {
    /// SNS accepted it.
    Published {
        /// SNS's message id.
        message_id: String,
    },
    /// The fan-out gave it up (SNS refused it for good).
    Failed {
        /// Why, as the fan-out recorded it (scrubbed).
        error: String,
    },
    /// Its last publish failed and the fan-out's sweep retries it.
    Retrying {
        /// Why the last attempt failed.
        error: String,
    },
    /// The fan-out had not recorded the notification when the wait ran out (the stream or the
    /// fan-out function is not running), or its publish had not finished.
    NotSeen,
    /// The drill incident could not be written to the table.
    NotWritten {
        /// The store's error.
        error: String,
    },
}

impl Publication {
    /// Whether SNS accepted the drill.
    pub fn is_published(&self) -> bool {
        matches!(self, Publication::Published { .. })
    }
}

/// What Slack answered to the drill's post, as slack-notify recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SlackCheck {
    /// The team has no Slack webhook.
    NoWebhook,
    /// Slack accepted the post.
    Accepted,
    /// Slack refused it for good (the webhook is broken).
    Refused {
        /// Slack's error token (`invalid_token`, `channel_not_found`, ...) or a short
        /// description; never the webhook's URL.
        error: Option<String>,
        /// The HTTP status Slack answered.
        status: Option<u16>,
    },
    /// No final answer when the wait ran out (slack-notify had not posted, or is retrying).
    NoAnswer {
        /// The last error slack-notify recorded, if it is retrying.
        error: Option<String>,
    },
    /// Not waited for (the scheduled drill does not wait for Slack).
    NotChecked,
}

/// What one team's drill proved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamDrill {
    /// The team.
    pub team: String,
    /// The drill incident's id.
    pub incident_id: String,
    /// Whether the drill was published.
    pub publication: Publication,
    /// The team's email subscriptions that are confirmed (their addresses).
    pub confirmed: Vec<String>,
    /// The team's email subscriptions still waiting for their recipient to confirm.
    pub pending: Vec<String>,
    /// What Slack answered.
    pub slack: SlackCheck,
    /// Whether the drill incident was resolved afterwards (`false`: it stays open; the next
    /// drill replaces it).
    pub resolved: bool,
}

impl TeamDrill {
    /// Whether the team passes: published, and a confirmed email subscription or a post Slack
    /// accepted.
    pub fn ok(&self) -> bool {
        self.publication.is_published()
            && (!self.confirmed.is_empty() || self.slack == SlackCheck::Accepted)
    }

    /// What to do, in one sentence for the person on call (empty when nothing).
    pub fn what_to_do(&self) -> String {
        let mut steps: Vec<String> = Vec::new();
        match &self.publication {
            Publication::Published { .. } => {}
            Publication::NotWritten { .. } => steps.push(
                "check access to the table (the drill incident could not be written)".to_string(),
            ),
            Publication::NotSeen => steps.push(
                "check that the alert-fanout function runs on the table's stream (no delivery \
                 record in time)"
                    .to_string(),
            ),
            Publication::Failed { .. } | Publication::Retrying { .. } => steps.push(
                "check the alert topic, its KMS key and the fan-out's permission to publish"
                    .to_string(),
            ),
        }
        let slack_ok = self.slack == SlackCheck::Accepted;
        if self.confirmed.is_empty() && !slack_ok {
            if self.pending.is_empty() {
                steps.push(if self.slack == SlackCheck::NoWebhook {
                    "add an email address to the team's notify.email and run `credwatch \
                     inventory apply --topic`, or give it a Slack webhook"
                        .to_string()
                } else {
                    "add an email address to the team's notify.email and run `credwatch \
                     inventory apply --topic`, so that it is reached while Slack is not"
                        .to_string()
                });
            } else {
                steps.push(format!(
                    "ask {} to click the confirmation link SNS mailed",
                    self.pending.join(", ")
                ));
            }
        }
        match &self.slack {
            SlackCheck::Refused { .. } => steps.push(
                "replace the team's Slack webhook (Slack refused it) and update its secret"
                    .to_string(),
            ),
            SlackCheck::NoAnswer { .. } => steps.push(
                "check the slack-notify function's logs and its on-failure queue".to_string(),
            ),
            _ => {}
        }
        steps.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::severity::Severity;
    use crate::notify::delivery::DeliveryState;
    use crate::rules::fanout::change_between;
    use crate::rules::subscriptions::{SEVERITIES, route_of};

    fn at() -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse().expect("a fixed time")
    }

    #[test]
    fn an_opening_is_one_drill_sent_at_once_to_the_team() {
        let drill = Incident::drill("crm-ops", at());
        let change = change_between(None, Some(&drill));
        let DrillMessage::Send(record) = drill_message(&drill, change.as_ref(), at()) else {
            panic!("an opened drill is told");
        };
        let n = &record.notification;
        assert_eq!(n.event, Event::Drill);
        assert_eq!(n.team, "crm-ops");
        assert_eq!(n.on_behalf_of, None);
        assert_eq!(
            record.id().as_str(),
            "drill.crm-ops:monitor:0/drill@2026-12-01T09:00:00.000Z"
        );
        assert_eq!(record.delivery.state, DeliveryState::Pending);
        assert_eq!(record.delivery.attempts, 1, "claimed: published at once");
        let decision = record.last_decision().expect("a decision");
        assert_eq!(decision.kind, DecisionKind::Send);
        assert_eq!(decision.until, None);
        assert!(n.integration.name.contains("drill of team crm-ops"));
    }

    #[test]
    fn its_attributes_pass_every_team_subscription_filter_whatever_the_threshold() {
        let drill = Incident::drill("crm-ops", at());
        let attributes =
            crate::notify::render::attributes::attributes(&drill_notification(&drill, at()));
        assert_eq!(attributes["event"], "drill");
        assert_eq!(attributes["team"], "crm-ops");
        for min in SEVERITIES {
            let policy = crate::rules::subscriptions::filter_policy("crm-ops", min);
            let route = route_of(&policy).expect("credwatch's own policy");
            let admitted = crate::rules::subscriptions::severities_at_least(route.min_severity);
            let severity = Severity::parse(&attributes["severity"]).expect("a severity");
            assert!(admitted.contains(&severity), "min_severity {min:?}");
        }
    }

    #[test]
    fn a_resolve_or_any_other_change_sends_nothing() {
        let open = Incident::drill("crm-ops", at());
        let mut resolved = open.clone();
        resolved.open = false;
        resolved.resolved_at = Some(at());
        let change = change_between(Some(&open), Some(&resolved));
        assert!(matches!(
            drill_message(&resolved, change.as_ref(), at()),
            DrillMessage::Nothing(why) if why.contains("resolve sends nothing")
        ));
        let mut changed = open.clone();
        changed.message = "edited".to_string();
        let change = change_between(Some(&open), Some(&changed));
        assert!(matches!(
            drill_message(&changed, change.as_ref(), at()),
            DrillMessage::Nothing(_)
        ));
        assert!(matches!(
            drill_message(&open, None, at()),
            DrillMessage::Nothing(_)
        ));
    }

    fn team(publication: Publication, confirmed: &[&str], slack: SlackCheck) -> TeamDrill {
        TeamDrill {
            team: "crm-ops".to_string(),
            incident_id: "drill.crm-ops:monitor:0".to_string(),
            publication,
            confirmed: confirmed.iter().map(|s| s.to_string()).collect(),
            pending: Vec::new(),
            slack,
            resolved: true,
        }
    }

    fn published() -> Publication {
        Publication::Published {
            message_id: "m-1".to_string(),
        }
    }

    #[test]
    fn a_team_passes_when_published_and_reached_by_email_or_slack() {
        assert!(team(published(), &["a@example.com"], SlackCheck::NoWebhook).ok());
        assert!(team(published(), &[], SlackCheck::Accepted).ok());
        assert!(team(published(), &["a@example.com"], SlackCheck::NotChecked).ok());
        let refused = SlackCheck::Refused {
            error: Some("invalid_token".to_string()),
            status: Some(403),
        };
        assert!(!team(published(), &[], refused.clone()).ok());
        assert!(!team(published(), &[], SlackCheck::NoWebhook).ok());
        assert!(!team(published(), &[], SlackCheck::NoAnswer { error: None }).ok());
        assert!(
            !team(
                Publication::NotSeen,
                &["a@example.com"],
                SlackCheck::Accepted
            )
            .ok()
        );
        let failed = Publication::Failed {
            error: "topic not found".to_string(),
        };
        assert!(!team(failed, &["a@example.com"], SlackCheck::Accepted).ok());
        assert!(team(published(), &["a@example.com"], refused).ok());
    }

    #[test]
    fn what_to_do_names_the_missing_part() {
        assert_eq!(
            team(published(), &["a@example.com"], SlackCheck::NoWebhook).what_to_do(),
            ""
        );
        let mut pending = team(published(), &[], SlackCheck::NoWebhook);
        pending.pending = vec!["b@example.com".to_string()];
        assert!(pending.what_to_do().contains("b@example.com"));
        assert!(
            team(published(), &[], SlackCheck::NoWebhook)
                .what_to_do()
                .contains("notify.email")
        );
        let refused = SlackCheck::Refused {
            error: Some("invalid_token".to_string()),
            status: Some(403),
        };
        assert!(
            team(published(), &[], refused.clone())
                .what_to_do()
                .contains("Slack webhook")
        );
        // A team that has a webhook is not told to get one.
        let slack_only = team(published(), &[], refused).what_to_do();
        assert!(
            !slack_only.contains("or give it a Slack webhook"),
            "{slack_only}"
        );
        assert!(slack_only.contains("notify.email"), "{slack_only}");
        assert!(
            team(published(), &[], SlackCheck::NoWebhook)
                .what_to_do()
                .contains("or give it a Slack webhook")
        );
        assert!(
            team(
                Publication::NotSeen,
                &["a@example.com"],
                SlackCheck::NoWebhook
            )
            .what_to_do()
            .contains("alert-fanout")
        );
    }
}
