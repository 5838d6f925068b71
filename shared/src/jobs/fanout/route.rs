//! A new notification made into records: one per recipient team, each with the policy's
//! verdict for that team (send now, defer, suppress). Pure over the [`AlertingContext`].

use chrono::{DateTime, Utc};

use super::context::AlertingContext;
use crate::domain::incident::Incident;
use crate::notify::delivery::NotificationRecord;
use crate::notify::notification::Notification;
use crate::rules::delivery::{first_claim, held};
use crate::rules::policy::{Verdict, recipients, verdict};

/// The records of `notification` (addressed to the owner, about `incident` as it is now) for
/// every recipient at `now`: the owner's under the notification's own id, other teams' under
/// `{id}>{team}`. Sent ones are recorded claimed (pending, the recorder publishes them at
/// once); held ones wait in the due index until their hold ends.
pub fn records_for(
    notification: Notification,
    incident: &Incident,
    context: &AlertingContext,
    now: DateTime<Utc>,
) -> Vec<(NotificationRecord, Verdict)> {
    let routing = context.routing(&incident.team);
    let hold = context.hold(incident, now);
    recipients(notification.event, notification.severity, &routing, now)
        .into_iter()
        .map(|recipient| {
            let mut copy = notification.clone();
            if let Some(on_behalf_of) = recipient.on_behalf_of {
                copy.id = notification.id.for_team(&recipient.team);
                copy.team = recipient.team.clone();
                copy.on_behalf_of = Some(on_behalf_of);
            }
            let calendar = &context.team(&recipient.team).calendar;
            let verdict = verdict(copy.severity, calendar, hold.as_ref(), now);
            let decision = verdict.decision(&recipient.team, now);
            let delivery = match verdict.until() {
                None => {
                    let mut delivery = first_claim(now);
                    delivery.decisions.push(decision);
                    delivery
                }
                Some(until) => held(until, decision),
            };
            (
                NotificationRecord {
                    notification: copy,
                    created_at: now,
                    delivery,
                    slack: None,
                },
                verdict,
            )
        })
        .collect()
}
