//! The sweep's plan applied, one action at a time: every write is conditional on the
//! revision read (or on the id being new), so two sweeps that overlap never both publish.

use chrono::{DateTime, Utc};

use super::deliver::deliver;
use super::plan::Action;
use super::summary::Deliveries;
use crate::notify::Publisher;
use crate::notify::delivery::{Decision, DecisionKind, NotificationRecord};
use crate::notify::notification::NotificationId;
use crate::rules::delivery::{Claim, claim, rehold, release_claim, supersede};
use crate::rules::policy::{Release, Verdict, held_note};
use crate::store::{Notifications, StoreError};

/// Applies one action at `now`; counted in `counts`, never fails (a store error is counted
/// and the notification stays due for the next sweep).
pub(super) async fn apply<S: Notifications, P: Publisher>(
    store: &S,
    publisher: &P,
    action: Action,
    now: DateTime<Utc>,
    counts: &mut Deliveries,
) {
    match action {
        Action::Record {
            record, verdict, ..
        } => match store.record_notification(&record).await {
            Ok(true) if verdict == Verdict::Send => {
                Box::pin(deliver(store, publisher, &record, now, counts)).await;
            }
            Ok(true) => {
                counts.held += 1;
                tracing::info!(notification = %record.id(), decision = verdict.kind().as_str(), until = ?verdict.until(), "notification held");
            }
            Ok(false) => counts.conflicts += 1,
            Err(error) => counts_error(counts, &record, &error),
        },
        Action::Release {
            record,
            release,
            to_send,
        } => {
            let next = match &release {
                Release::Send(note) => release_claim(
                    &record.delivery,
                    Decision::new(
                        DecisionKind::Send,
                        now,
                        None,
                        format!("released: {}", note.reason),
                    ),
                    now,
                ),
                Release::Supersede(why) => supersede(
                    &record.delivery,
                    Decision::new(DecisionKind::Supersede, now, None, why.clone()),
                    now,
                ),
                Release::Hold(verdict) => {
                    let Some(until) = verdict.until() else {
                        return;
                    };
                    rehold(
                        &record.delivery,
                        until,
                        verdict.decision(record.team(), now),
                    )
                }
            };
            match store
                .update_delivery(record.id(), record.delivery.revision, &next)
                .await
            {
                Ok(true) => match (release, to_send) {
                    (Release::Send(_), Some(notification)) => {
                        let claimed = NotificationRecord {
                            notification,
                            delivery: next,
                            ..record
                        };
                        Box::pin(deliver(store, publisher, &claimed, now, counts)).await;
                    }
                    (Release::Supersede(_), _) => counts.superseded += 1,
                    _ => counts.held += 1,
                },
                Ok(false) => counts.conflicts += 1,
                Err(error) => counts_error(counts, &record, &error),
            }
        }
        Action::Retry { record } => retry(store, publisher, &record, now, counts).await,
        Action::Group {
            id,
            notices,
            members,
        } => Box::pin(group(store, publisher, &id, notices, members, now, counts)).await,
    }
}

/// A closed group window: its notices recorded and sent, its members superseded. When there
/// is no notice (only the leader's own notification was held), or a notice is already on
/// record (members that joined after the window was told), the members are told on their own.
async fn group<S: Notifications, P: Publisher>(
    store: &S,
    publisher: &P,
    id: &NotificationId,
    notices: Vec<NotificationRecord>,
    members: Vec<NotificationRecord>,
    now: DateTime<Utc>,
    counts: &mut Deliveries,
) {
    let mut told = !notices.is_empty();
    for notice in &notices {
        match store.record_notification(notice).await {
            Ok(true) => Box::pin(deliver(store, publisher, notice, now, counts)).await,
            Ok(false) => told = false,
            Err(error) => {
                // Members stay held and due: the next sweep tries the whole group again.
                counts_error(counts, notice, &error);
                return;
            }
        }
    }
    for member in members {
        let next = if told {
            supersede(
                &member.delivery,
                Decision::new(DecisionKind::Supersede, now, None, format!("told in {id}")),
                now,
            )
        } else {
            release_claim(
                &member.delivery,
                Decision::new(
                    DecisionKind::Send,
                    now,
                    None,
                    format!("group {id} closed without it: told on its own"),
                ),
                now,
            )
        };
        match store
            .update_delivery(member.id(), member.delivery.revision, &next)
            .await
        {
            Ok(true) if told => counts.superseded += 1,
            Ok(true) => {
                let claimed = NotificationRecord {
                    delivery: next,
                    ..member
                };
                Box::pin(deliver(store, publisher, &claimed, now, counts)).await;
            }
            Ok(false) => counts.conflicts += 1,
            Err(error) => counts_error(counts, &member, &error),
        }
    }
}

/// One due pending notification: claim, then publish (or give up). A notification released
/// from a hold is published saying so again.
async fn retry<S: Notifications, P: Publisher>(
    store: &S,
    publisher: &P,
    record: &NotificationRecord,
    now: DateTime<Utc>,
    counts: &mut Deliveries,
) {
    let id = record.id();
    let (next, give_up) = match claim(&record.delivery, record.queued_since(), now) {
        Claim::Publish(claimed) => (claimed, false),
        Claim::GiveUp(failed) => (failed, true),
        Claim::Skip => return,
    };
    match store
        .update_delivery(id, record.delivery.revision, &next)
        .await
    {
        Ok(true) if give_up => {
            counts.failed += 1;
            tracing::error!(notification = %id, attempts = next.attempts, "notification given up: never delivered");
        }
        Ok(true) => {
            let mut notification = record.notification.clone();
            if record.queued_since() > record.created_at {
                notification.held = Some(held_note(&[record], now));
            }
            let claimed = NotificationRecord {
                notification,
                delivery: next,
                created_at: record.created_at,
                slack: record.slack.clone(),
            };
            Box::pin(deliver(store, publisher, &claimed, now, counts)).await;
        }
        Ok(false) => counts.conflicts += 1,
        Err(error) => counts_error(counts, record, &error),
    }
}

fn counts_error(counts: &mut Deliveries, record: &NotificationRecord, error: &StoreError) {
    tracing::error!(notification = %record.id(), %error, "sweep: notification not handled");
    counts.errors.push(format!("{}: {error}", record.id()));
}
