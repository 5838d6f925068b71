//! The notification item, encoded and decoded. [`decode_notification`] is the one decoder of
//! notifications: the adapter reads Query results (table and index) through it, and the `image`
//! module reads stream images through it.
//!
//! A notification item holds the [`Notification`] as made, as one JSON document (`notification`,
//! S; at most [`NOTIFICATION_JSON_MAX_BYTES`]), and its [`Delivery`] as plain attributes, so the
//! delivery can be updated in place (conditional on `revision`) without rewriting the document.
//! While pending it carries the index keys `gsi1pk` = `PENDING`, `gsi1sk` =
//! `{next_attempt_at}#{id}`; once sent or failed it carries none, and `expires_at` =
//! `finished_at` + [`AUDIT_RETENTION_DAYS`].

use chrono::{DateTime, Utc};

use super::attributes::{
    AT, ATTEMPTS, CREATED_AT, DECISIONS, ERROR_DETAIL, ERROR_KIND, FINISHED_AT, HTTP_STATUS,
    MESSAGE_ID, NEXT_ATTEMPT_AT, NOTIFICATION, REVISION, SHRINK, SLACK_ERROR, SLACK_POST, STATE,
};
use super::keys::{
    GSI_PK, GSI_SK, Key, PENDING_GSI_PK, PK, SK, TTL_ATTRIBUTE, incident_of_notification,
    item_label, keyed, notification_key, notification_pk, pending_gsi_sk,
};
use super::reader::{ReadResult, Reader};
use super::value::{Fields, Item, expiry_after, map, n, s, time};
use crate::notify::delivery::{
    AUDIT_RETENTION_DAYS, Decision, Delivery, DeliveryError, DeliveryState, NotificationRecord,
    SlackPost, SlackPostState,
};
use crate::notify::error::PublishErrorKind;
use crate::notify::notification::{Notification, NotificationId};
use crate::store::invariants::MAX_VERSION;

/// Longest `notification` document an item may hold, in bytes (UTF-8). A notification is built
/// from an incident (message at most 16 KiB) and a few inventory fields: a few KiB at most. A
/// longer one is refused on write and unreadable on read, so a hand-edited item can never carry
/// megabytes into the sweep.
pub const NOTIFICATION_JSON_MAX_BYTES: usize = 64 * 1024;

/// Longest SNS message id kept, in characters (SNS gives a 36-character UUID).
pub const MESSAGE_ID_MAX_CHARS: usize = 256;

/// Longest `decisions` document an item may hold, in bytes: [`Decision::MAX_KEPT`] decisions
/// of at most [`Decision::MAX_REASON`] characters each, with room to spare.
pub const DECISIONS_JSON_MAX_BYTES: usize = 48 * 1024;

/// Why a notification record or delivery cannot be written: a broken invariant of the caller,
/// said in one line (never the notification's contents).
pub type EncodeResult<T> = Result<T, String>;

/// The key of the notification record `record` (its incident's partition, its id).
pub fn record_key(record: &NotificationRecord) -> Key {
    notification_key(record.incident_id(), record.id())
}

/// The key of notification `id`, from the incident its id names; `None` when its text names no
/// incident (it was then never written by credwatch).
pub fn notification_id_key(id: &NotificationId) -> Option<Key> {
    incident_of_notification(id).map(|incident| notification_key(&incident, id))
}

/// The whole item of a new notification record: its document, creation time and delivery.
/// Refused when the id does not name the record's incident, the document is over
/// [`NOTIFICATION_JSON_MAX_BYTES`] or the delivery is inconsistent ([`check_delivery`]).
pub fn notification_item(record: &NotificationRecord) -> EncodeResult<Item> {
    if incident_of_notification(record.id()).as_ref() != Some(record.incident_id()) {
        return Err(format!(
            "notification id {} does not name its incident {}",
            record.id(),
            record.incident_id()
        ));
    }
    let document = serde_json::to_string(&record.notification)
        .map_err(|err| format!("notification {} cannot be encoded: {err}", record.id()))?;
    if document.len() > NOTIFICATION_JSON_MAX_BYTES {
        return Err(format!(
            "notification {} is {} bytes as JSON, over the {NOTIFICATION_JSON_MAX_BYTES} kept",
            record.id(),
            document.len()
        ));
    }
    let mut fields: Fields = vec![
        (NOTIFICATION, Some(s(document))),
        (CREATED_AT, Some(time(record.created_at))),
        (SLACK_POST, record.slack.as_ref().map(slack_post_value)),
    ];
    fields.extend(delivery_fields(record.id(), &record.delivery)?);
    Ok(keyed(&record_key(record), fields))
}

/// The attributes of `delivery` (of notification `id`): present ones SET, absent ones REMOVEd
/// by an update. Pending: the index keys; sent or failed: no index keys, and the TTL. The
/// error detail is cut to [`DeliveryError::MAX_LEN`] characters. Refused when inconsistent.
pub fn delivery_fields(id: &NotificationId, delivery: &Delivery) -> EncodeResult<Fields> {
    check_delivery(delivery).map_err(|(field, problem)| {
        format!("delivery of notification {id} is inconsistent: {field} {problem}")
    })?;
    let pending = delivery
        .next_attempt_at
        .filter(|_| delivery.state.is_open());
    let error = delivery.last_error.as_ref();
    let decisions = if delivery.decisions.is_empty() {
        None
    } else {
        let document = serde_json::to_string(&delivery.decisions)
            .map_err(|err| format!("decisions of notification {id} cannot be encoded: {err}"))?;
        if document.len() > DECISIONS_JSON_MAX_BYTES {
            return Err(format!(
                "decisions of notification {id} are {} bytes as JSON, over the {DECISIONS_JSON_MAX_BYTES} kept",
                document.len()
            ));
        }
        Some(s(document))
    };
    Ok(vec![
        (STATE, Some(s(delivery.state.as_str()))),
        (ATTEMPTS, Some(n(delivery.attempts))),
        (NEXT_ATTEMPT_AT, delivery.next_attempt_at.map(time)),
        (MESSAGE_ID, delivery.message_id.as_deref().map(s)),
        (FINISHED_AT, delivery.finished_at.map(time)),
        (ERROR_KIND, error.map(|e| s(e.kind.as_str()))),
        (
            ERROR_DETAIL,
            error.map(|e| {
                s(e.detail
                    .chars()
                    .take(DeliveryError::MAX_LEN)
                    .collect::<String>())
            }),
        ),
        (SHRINK, Some(n(delivery.shrink))),
        (REVISION, Some(n(delivery.revision))),
        (DECISIONS, decisions),
        (GSI_PK, pending.map(|_| s(PENDING_GSI_PK))),
        (GSI_SK, pending.map(|at| s(pending_gsi_sk(at, id)))),
        (
            TTL_ATTRIBUTE,
            delivery
                .finished_at
                .filter(|_| !delivery.state.is_open())
                .map(finished_expiry),
        ),
    ])
}

/// `expires_at` of a notification finished at `at`.
pub fn finished_expiry(at: DateTime<Utc>) -> aws_sdk_dynamodb::types::AttributeValue {
    expiry_after(at, AUDIT_RETENTION_DAYS)
}

/// Whether `delivery` is one the store can hold: pending and held ones have a next attempt
/// time and no message id or finish time; sent ones a message id and finish time and at least
/// one attempt; failed and superseded ones a finish time and no message id; none a next
/// attempt time once finished; the revision within [`MAX_VERSION`]; the message id within
/// [`MESSAGE_ID_MAX_CHARS`]. `Err((attribute, problem))` names the first that is wrong.
pub fn check_delivery(delivery: &Delivery) -> Result<(), (&'static str, &'static str)> {
    let finished = !delivery.state.is_open();
    let checks: [(bool, &'static str, &'static str); 7] = [
        (
            !finished && delivery.next_attempt_at.is_none(),
            NEXT_ATTEMPT_AT,
            "is missing (required while pending)",
        ),
        (
            finished && delivery.next_attempt_at.is_some(),
            NEXT_ATTEMPT_AT,
            "is set on a finished (sent, failed or superseded) notification",
        ),
        (
            (delivery.state == DeliveryState::Sent) != delivery.message_id.is_some(),
            MESSAGE_ID,
            "must be present exactly when the notification is sent",
        ),
        (
            finished != delivery.finished_at.is_some(),
            FINISHED_AT,
            "must be present exactly when the notification is finished (sent, failed or superseded)",
        ),
        (
            // A failed one may have none: a pending item recorded without an attempt and
            // given up when too old must still be writable as failed, or it stays due forever.
            delivery.state == DeliveryState::Sent && delivery.attempts == 0,
            ATTEMPTS,
            "is 0 on a sent notification (sending it was an attempt)",
        ),
        (
            delivery.revision > MAX_VERSION,
            REVISION,
            "is beyond the largest revision kept",
        ),
        (
            delivery
                .message_id
                .as_deref()
                .is_some_and(|m| m.is_empty() || m.chars().count() > MESSAGE_ID_MAX_CHARS),
            MESSAGE_ID,
            "is empty or longer than 256 characters",
        ),
    ];
    match checks.into_iter().find(|(wrong, _, _)| *wrong) {
        Some((_, field, problem)) => Err((field, problem)),
        None => Ok(()),
    }
}

/// A notification item decoded, or where it is wrong (key, attribute, problem; never a value).
/// Besides types and bounds it checks that the document's id is the item's sort key and its
/// incident the one of the partition key, that the delivery is consistent
/// ([`check_delivery`]), and that a pending item carries exactly the index keys of its next
/// attempt (or the sweep would miss it) and a finished one none. The document's free text is
/// scrubbed again ([`Notification::rescrubbed`]): a hand-edited item is trusted no more than an
/// inventory file.
pub fn decode_notification(item: &Item) -> ReadResult<NotificationRecord> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let document = r.str(NOTIFICATION)?;
    if document.len() > NOTIFICATION_JSON_MAX_BYTES {
        return Err(r.corrupt(
            NOTIFICATION,
            &format!("is longer than {NOTIFICATION_JSON_MAX_BYTES} bytes"),
        ));
    }
    let notification: Notification = serde_json::from_str(document).map_err(|err| {
        // serde's message may quote the value; only its category and place are said.
        r.corrupt(
            NOTIFICATION,
            &format!(
                "is not a valid notification document ({} error at line {}, column {})",
                match err.classify() {
                    serde_json::error::Category::Io => "read",
                    serde_json::error::Category::Syntax => "JSON syntax",
                    serde_json::error::Category::Data => "field type or value",
                    serde_json::error::Category::Eof => "unexpected end",
                },
                err.line(),
                err.column()
            ),
        )
    })?;
    let (pk, sk) = (r.str(PK)?, r.str(SK)?);
    if sk != notification.id.as_str() {
        return Err(r.corrupt(
            NOTIFICATION,
            "holds a notification id that is not the item's sort key (sk)",
        ));
    }
    if pk != notification_pk(&notification.incident_id)
        || incident_of_notification(&notification.id).as_ref() != Some(&notification.incident_id)
    {
        return Err(r.corrupt(
            NOTIFICATION,
            "holds an incident id that is not the one of the item's key (pk) and notification id",
        ));
    }
    let state = r.parsed(STATE, "delivery state", DeliveryState::parse)?;
    let last_error = match (r.get(ERROR_KIND), r.get(ERROR_DETAIL)) {
        (None, None) => None,
        (Some(_), None) => return Err(r.corrupt(ERROR_DETAIL, "is missing (error_kind is set)")),
        (None, Some(_)) => return Err(r.corrupt(ERROR_KIND, "is missing (error_detail is set)")),
        (Some(_), Some(_)) => {
            let detail = r.string(ERROR_DETAIL)?;
            if detail.chars().count() > DeliveryError::MAX_LEN {
                return Err(r.corrupt(
                    ERROR_DETAIL,
                    &format!("is longer than {} characters", DeliveryError::MAX_LEN),
                ));
            }
            Some(DeliveryError {
                kind: r.parsed(ERROR_KIND, "publish error kind", PublishErrorKind::parse)?,
                detail,
            })
        }
    };
    let decisions: Vec<Decision> = match r.opt_string(DECISIONS)? {
        None => Vec::new(),
        Some(document) if document.len() > DECISIONS_JSON_MAX_BYTES => {
            return Err(r.corrupt(
                DECISIONS,
                &format!("is longer than {DECISIONS_JSON_MAX_BYTES} bytes"),
            ));
        }
        Some(document) => match serde_json::from_str::<Vec<Decision>>(&document) {
            Ok(list)
                if list.len() <= Decision::MAX_KEPT
                    && list
                        .iter()
                        .all(|d| d.reason.chars().count() <= Decision::MAX_REASON) =>
            {
                // Trusted no more than the document: the reasons are shown by `incident show`
                // and carried into messages (the hold a released notification went through).
                list.into_iter()
                    .map(|mut d| {
                        d.reason = crate::notify::scrub::scrub(&d.reason);
                        d
                    })
                    .collect()
            }
            Ok(_) => {
                return Err(r.corrupt(
                    DECISIONS,
                    &format!(
                        "holds more than {} decisions or a reason over {} characters",
                        Decision::MAX_KEPT,
                        Decision::MAX_REASON
                    ),
                ));
            }
            Err(_) => {
                return Err(r.corrupt(DECISIONS, "is not a JSON list of decisions"));
            }
        },
    };
    let delivery = Delivery {
        state,
        attempts: r.number(ATTEMPTS)?,
        next_attempt_at: r.opt_time(NEXT_ATTEMPT_AT)?,
        message_id: r.opt_string(MESSAGE_ID)?,
        finished_at: r.opt_time(FINISHED_AT)?,
        last_error,
        shrink: r.number(SHRINK)?,
        revision: r.number_at_most(REVISION, MAX_VERSION)?,
        decisions,
    };
    check_delivery(&delivery).map_err(|(field, problem)| r.corrupt(field, problem))?;
    // Every write of a delivery needs revision + 1: a pending one already at the largest
    // revision could never be claimed, sent or given up, only fail the sweep every minute.
    if state.is_open() && delivery.revision >= MAX_VERSION {
        return Err(r.corrupt(
            REVISION,
            "is the largest revision kept on a pending notification (it can never be updated)",
        ));
    }
    let index = (r.opt_string(GSI_PK)?, r.opt_string(GSI_SK)?);
    match delivery.next_attempt_at.filter(|_| state.is_open()) {
        Some(at) => {
            if index.0.as_deref() != Some(PENDING_GSI_PK) {
                return Err(r.corrupt(
                    GSI_PK,
                    "is not PENDING on a pending notification (the sweep would never retry it)",
                ));
            }
            if index.1 != Some(pending_gsi_sk(at, &notification.id)) {
                return Err(r.corrupt(
                    GSI_SK,
                    "is not {next_attempt_at}#{id} of this pending notification",
                ));
            }
        }
        None => {
            if index.0.is_some() || index.1.is_some() {
                return Err(r.corrupt(
                    GSI_PK,
                    "is set on a finished notification (the sweep would read it again)",
                ));
            }
        }
    }
    Ok(NotificationRecord {
        created_at: r.time(CREATED_AT)?,
        notification: notification.rescrubbed(),
        delivery,
        slack: decode_slack_post(&r)?,
    })
}

/// The `slack_post` map of `post`, its error scrubbed and bounded ([`SlackPost::bounded`]).
pub fn slack_post_value(post: &SlackPost) -> aws_sdk_dynamodb::types::AttributeValue {
    let post = post.clone().bounded();
    map(vec![
        (STATE, Some(s(post.state.as_str()))),
        (AT, Some(time(post.at))),
        (ATTEMPTS, Some(n(post.attempts))),
        (HTTP_STATUS, post.status.map(n)),
        (SLACK_ERROR, post.error.map(s)),
    ])
}

/// The `slack_post` of a notification item, if any; its error scrubbed again (trusted no more
/// than the document) and bounded.
fn decode_slack_post(r: &Reader<'_>) -> ReadResult<Option<SlackPost>> {
    let Some(p) = r.opt_map(SLACK_POST)? else {
        return Ok(None);
    };
    let error = p.opt_string(SLACK_ERROR)?;
    if error
        .as_ref()
        .is_some_and(|e| e.chars().count() > SlackPost::MAX_ERROR)
    {
        return Err(p.corrupt(
            SLACK_ERROR,
            &format!("is longer than {} characters", SlackPost::MAX_ERROR),
        ));
    }
    let status = p.opt_number::<u16>(HTTP_STATUS)?;
    if status.is_some_and(|code| !(100..=599).contains(&code)) {
        return Err(p.corrupt(HTTP_STATUS, "is not an HTTP status (100 to 599)"));
    }
    let post = SlackPost {
        state: p.parsed(STATE, "Slack post state", SlackPostState::parse)?,
        at: p.time(AT)?,
        attempts: p.number(ATTEMPTS)?,
        status,
        error,
    };
    Ok(Some(post.bounded()))
}

#[cfg(test)]
mod tests;
