//! Whole bodies: an HTTPS POST's bytes or a parsed EventBridge `detail`, one event or
//! `{"events": [...]}`.

use serde_json::Value;

use super::model::{Binding, BodyError, MAX_BODY_BYTES, MAX_EVENTS_PER_REQUEST, Normalised};
use super::normalise::normalise_event;

/// Checks and normalises an HTTPS body: one event (a JSON object) or `{"events": [...]}`.
///
/// # Errors
/// [`BodyError::TooLarge`] over [`MAX_BODY_BYTES`] (checked before parsing),
/// [`BodyError::NotJson`] for bytes that are not UTF-8 JSON, and those of [`normalise_value`].
pub fn normalise_body(body: &[u8], binding: &Binding) -> Result<Normalised, BodyError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge {
            bytes: body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    // serde_json bounds nesting (128 levels) and refuses non-UTF-8 and non-finite numbers. Its
    // syntax errors name a place, never a value; only that place is kept.
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        BodyError::NotJson(format!(
            "{} at line {}, column {}",
            match e.classify() {
                serde_json::error::Category::Eof => "it ends too early",
                serde_json::error::Category::Io | serde_json::error::Category::Syntax =>
                    "syntax error",
                serde_json::error::Category::Data => "unusable value",
            },
            e.line(),
            e.column()
        ))
    })?;
    normalise_value(&value, binding)
}

/// Checks and normalises parsed JSON (an EventBridge `detail`, a parsed body): one event, or
/// `{"events": [...]}` with at most [`MAX_EVENTS_PER_REQUEST`] events.
///
/// # Errors
/// [`BodyError::NotAnEvent`] for JSON that is neither shape, [`BodyError::NoEvents`] for an
/// empty list, [`BodyError::TooManyEvents`] for a long one. Refused events are not errors of
/// the body: they are listed in [`Normalised::rejected`].
pub fn normalise_value(value: &Value, binding: &Binding) -> Result<Normalised, BodyError> {
    let Value::Object(object) = value else {
        return Err(BodyError::NotAnEvent(
            "send one event as a JSON object, or {\"events\": [...]}".to_string(),
        ));
    };
    let Some(events) = object.get("events") else {
        return Ok(one_by_one(std::iter::once((None, value)), binding));
    };
    if object.len() > 1 {
        return Err(BodyError::NotAnEvent(
            "a batch is {\"events\": [...]} with no other field next to events".to_string(),
        ));
    }
    let Value::Array(events) = events else {
        return Err(BodyError::NotAnEvent(
            "events must be a list of events".to_string(),
        ));
    };
    if events.is_empty() {
        return Err(BodyError::NoEvents);
    }
    if events.len() > MAX_EVENTS_PER_REQUEST {
        return Err(BodyError::TooManyEvents {
            events: events.len(),
            limit: MAX_EVENTS_PER_REQUEST,
        });
    }
    Ok(one_by_one(
        events.iter().enumerate().map(|(i, e)| (Some(i), e)),
        binding,
    ))
}

fn one_by_one<'a>(
    events: impl Iterator<Item = (Option<usize>, &'a Value)>,
    binding: &Binding,
) -> Normalised {
    let mut out = Normalised::default();
    for (index, event) in events {
        match normalise_event(event, index, binding) {
            Ok(call) => out.calls.push(call),
            Err(error) => out.rejected.push(error),
        }
    }
    out
}
