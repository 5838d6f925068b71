//! The fan-out's inputs: a DynamoDB stream batch (the standard Lambda shape,
//! `Records[].dynamodb.{Keys,NewImage,OldImage,SequenceNumber}`) or the sweep's EventBridge
//! schedule, and how a stream record becomes a [`StreamChange`].
//!
//! Images are decoded by the store adapter's own decoders
//! ([`credwatch::store::dynamo::image`]); a record is read on its own, so one record that
//! does not even parse is reported (audited as corrupt) and never hides the others.

use aws_lambda_events::event::dynamodb::EventRecord;
use credwatch::jobs::fanout::{StreamChange, StreamContent};
use credwatch::store::UnreadableItem;
use credwatch::store::dynamo::image::{incident_of_image, item_of_image};
use credwatch::store::dynamo::keys::{ItemKind, item_integration, item_key, item_label};
use credwatch::text::printable::echo;
use serde_json::Value;

/// What an invocation asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// A stream batch, each record decoded, in the batch's order.
    Stream(Vec<StreamChange>),
    /// The schedule: retry the notifications whose next attempt has come.
    Sweep,
    /// The weekly drill rule (input `{"drill": {"teams": [...]}}`): drill these teams (empty:
    /// every team in the table).
    Drill {
        /// The team ids, as given.
        teams: Vec<String>,
    },
}

/// The most teams one drill event may name (a team list longer than any inventory's).
pub const MAX_DRILL_TEAMS: usize = 1000;

/// Reads an invocation payload:
/// - an object with `Records` (a DynamoDB stream batch) -> [`Request::Stream`];
/// - an EventBridge `Scheduled Event` from `aws.events` -> [`Request::Sweep`];
/// - an object with `drill` (the weekly drill rule's input, `{"drill": {"teams": []}}`) ->
///   [`Request::Drill`].
///
/// # Errors
/// Anything else: a sentence naming what was received (its `source`, `detail-type` and
/// top-level keys, escaped and cut short) and what is expected.
pub fn parse_request(payload: &Value) -> Result<Request, String> {
    if let Some(records) = payload.get("Records") {
        let records = records
            .as_array()
            .ok_or("a stream event's `Records` must be a list of records")?;
        return Ok(Request::Stream(
            records.iter().map(stream_change_of_json).collect(),
        ));
    }
    if let Some(drill) = payload.get("drill") {
        return drill_request(drill);
    }
    let text = |name: &str| {
        payload
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let (source, detail_type) = (text("source"), text("detail-type"));
    if source == "aws.events" && detail_type == "Scheduled Event" {
        return Ok(Request::Sweep);
    }
    let keys = match payload.as_object() {
        Some(object) => object
            .keys()
            .take(8)
            .map(|k| echo(k))
            .collect::<Vec<_>>()
            .join(", "),
        None => format!("not an object but {}", kind_of(payload)),
    };
    Err(format!(
        "unrecognised event (source {:?}, detail-type {:?}, keys: {keys}); expected a DynamoDB \
         stream event (Records), an EventBridge Scheduled Event from aws.events, or a drill \
         ({{\"drill\": {{\"teams\": []}}}})",
        echo(source),
        echo(detail_type),
    ))
}

/// The `drill` member of an event: an object whose `teams` (optional) lists team ids.
///
/// # Errors
/// A sentence naming the field that is wrong (`drill`, `drill.teams`, `drill.teams[2]`).
fn drill_request(drill: &Value) -> Result<Request, String> {
    let object = drill.as_object().ok_or_else(|| {
        format!(
            "`drill` must be an object such as {{\"teams\": [\"crm-ops\"]}}, not {}",
            kind_of(drill)
        )
    })?;
    if let Some(other) = object.keys().find(|k| k.as_str() != "teams") {
        return Err(format!(
            "`drill.{}` is not a drill setting; the only one is `teams`",
            echo(other)
        ));
    }
    let teams = match object.get("teams") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(teams)) if teams.len() > MAX_DRILL_TEAMS => {
            return Err(format!(
                "`drill.teams` names {} teams; at most {MAX_DRILL_TEAMS}",
                teams.len()
            ));
        }
        Some(Value::Array(teams)) => teams
            .iter()
            .enumerate()
            .map(|(i, team)| match team.as_str() {
                Some(id) if !id.trim().is_empty() => Ok(id.to_string()),
                _ => Err(format!(
                    "`drill.teams[{i}]` must be a team id (text), not {}",
                    kind_of(team)
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(format!(
                "`drill.teams` must be a list of team ids (empty: every team), not {}",
                kind_of(other)
            ));
        }
    };
    Ok(Request::Drill { teams })
}

/// One record of a stream batch as JSON: parsed on its own; a record that does not parse is
/// an unreadable one (named by its `eventID` and `SequenceNumber` when it has them).
pub fn stream_change_of_json(record: &Value) -> StreamChange {
    match serde_json::from_value::<EventRecord>(record.clone()) {
        Ok(parsed) => stream_change(&parsed),
        Err(error) => {
            let text = |value: &Value| value.as_str().map(str::to_string).unwrap_or_default();
            let source_id = text(&record["eventID"]);
            let sequence_number = text(&record["dynamodb"]["SequenceNumber"]);
            let key = format!("stream record {}", echo(&source_id));
            StreamChange {
                content: StreamContent::Unreadable(UnreadableItem {
                    key: key.clone(),
                    integration: None,
                    field: "Records[]".to_string(),
                    // serde's message names the field and the expected type; it may quote a
                    // value, so only its first line, escaped and cut short.
                    problem: format!(
                        "is not a DynamoDB stream record ({})",
                        echo(error.to_string().lines().next().unwrap_or_default())
                    ),
                }),
                source_id,
                sequence_number,
                key,
            }
        }
    }
}

/// A parsed stream record (see [`stream_change_of_images`]).
pub fn stream_change(record: &EventRecord) -> StreamChange {
    stream_change_of_images(
        &record.event_id,
        record.change.sequence_number.as_deref().unwrap_or_default(),
        &record.change.keys,
        &record.change.old_image,
        &record.change.new_image,
    )
}

/// A stream record from its parts, as a Lambda event or the DynamoDB Streams API
/// (`GetRecords`) carries them: `event_id` (`eventID`), `sequence_number`, the item's `keys`
/// and its images (empty when absent: an INSERT has no old image, a REMOVE no new one).
/// An item that is not an incident (by its key) is [`StreamContent::Other`]; an incident
/// image that does not decode is [`StreamContent::Unreadable`] (the new image's problem first;
/// an old image's problem says so).
pub fn stream_change_of_images(
    event_id: &str,
    sequence_number: &str,
    keys: &serde_dynamo::Item,
    old: &serde_dynamo::Item,
    new: &serde_dynamo::Item,
) -> StreamChange {
    let key_item = item_of_image(keys);
    let key = item_label(&key_item);
    let decode = |image: &serde_dynamo::Item| {
        if image.is_empty() {
            return Ok(None);
        }
        // Each image carries its own key; one that is not the record's `Keys` is another
        // incident's image, and its facts must not become this incident's change.
        let item = item_of_image(image);
        if item_key(&item) != item_key(&key_item) {
            return Err(UnreadableItem {
                key: key.clone(),
                integration: item_integration(&key_item).map(str::to_string),
                field: "dynamodb.Keys".to_string(),
                problem: format!(
                    "are not the key of the record's image ({})",
                    item_label(&item)
                ),
            });
        }
        incident_of_image(image).map(Some)
    };
    let content = if ItemKind::of_item(&key_item) != Some(ItemKind::Incident) {
        StreamContent::Other
    } else {
        match (decode(old), decode(new)) {
            (_, Err(item)) => StreamContent::Unreadable(item),
            (Err(mut item), Ok(_)) => {
                item.problem = format!("{} (in the old image)", item.problem);
                StreamContent::Unreadable(item)
            }
            (Ok(old), Ok(new)) => StreamContent::Incident { old, new },
        }
    };
    StreamChange {
        source_id: event_id.to_string(),
        sequence_number: sequence_number.to_string(),
        key,
        content,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
