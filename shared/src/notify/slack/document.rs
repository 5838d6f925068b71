//! Reading back the `lambda` document ([`crate::notify::render::document`],
//! `credwatch.notification.v1`) a subscriber receives: bounded, strict on the fields a message
//! needs, every error naming the field. What comes back is scrubbed again
//! ([`Notification::rescrubbed`]).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::notify::notification::{IntegrationFacts, Notification};
use crate::notify::render::document::SCHEMA;

/// The largest document read, in bytes: SNS's own message limit (256 KiB).
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The longest error kept, in characters (serde's messages may quote a value).
const MAX_ERROR_CHARS: usize = 200;

/// Why a document cannot be read: the field at fault and what is wrong, scrubbed and short.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadDocument(pub String);

fn bad(text: String) -> BadDocument {
    let text = crate::notify::scrub::scrub(&text);
    BadDocument(crate::text::printable::cap(&text, MAX_ERROR_CHARS).into_owned())
}

fn field<T: DeserializeOwned>(doc: &Map<String, Value>, name: &str) -> Result<T, BadDocument> {
    let value = doc.get(name).cloned().unwrap_or(Value::Null);
    serde_json::from_value(value).map_err(|err| bad(format!("field {name}: {err}")))
}

/// The notification a document describes.
///
/// # Errors
/// [`BadDocument`] naming the field: too large, not JSON, another `schema`, a missing or
/// mistyped field.
pub fn read_document(text: &str) -> Result<Notification, BadDocument> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(bad(format!(
            "message: {} bytes, more than a notification document holds ({MAX_DOCUMENT_BYTES})",
            text.len()
        )));
    }
    let value: Value = serde_json::from_str(text).map_err(|err| {
        bad(format!(
            "message: not JSON (line {}, column {})",
            err.line(),
            err.column()
        ))
    })?;
    let Value::Object(doc) = value else {
        return Err(bad("message: not a JSON object".to_string()));
    };
    match doc.get("schema").and_then(Value::as_str) {
        Some(SCHEMA) => {}
        Some(other) => {
            return Err(bad(format!(
                "field schema: {other:?}, not {SCHEMA} (a newer credwatch wrote it?)"
            )));
        }
        None => return Err(bad(format!("field schema: missing; expected {SCHEMA}"))),
    }
    let integration: IntegrationFacts = field(&doc, "integration")?;
    let notification = Notification {
        id: field(&doc, "notification_id")?,
        event: field(&doc, "event")?,
        incident_id: field(&doc, "incident_id")?,
        check: field(&doc, "check")?,
        class: field(&doc, "class")?,
        previous: field(&doc, "previous")?,
        severity: field(&doc, "severity")?,
        team: field(&doc, "team")?,
        integration,
        opened_at: field(&doc, "opened_at")?,
        resolved_at: field(&doc, "resolved_at")?,
        at: field(&doc, "at")?,
        message: field(&doc, "message")?,
        http_status: field(&doc, "http_status")?,
        threshold_days: field(&doc, "threshold_days")?,
        expiry: field(&doc, "expiry")?,
        step: field(&doc, "step")?,
        on_behalf_of: field(&doc, "on_behalf_of")?,
        ack: field(&doc, "ack")?,
        held: field(&doc, "held")?,
        members: match doc.get("members") {
            None | Some(Value::Null) => Vec::new(),
            Some(_) => field(&doc, "members")?,
        },
        credential: field(&doc, "credential")?,
    };
    if notification.team.is_empty() {
        return Err(bad("field team: empty".to_string()));
    }
    Ok(notification.rescrubbed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::fixtures::{self, auth, opened};
    use crate::notify::notification::Event;
    use crate::notify::render::document::document_value;
    use crate::notify::render::trim::Trim;

    fn notification() -> Notification {
        let incident = auth();
        Notification::new(
            Event::Opened,
            &incident,
            &opened(&incident),
            Some(&fixtures::integration()),
            None,
            fixtures::now(),
        )
    }

    #[test]
    fn a_document_reads_back_as_its_notification() {
        let n = notification();
        let text = document_value(&n, &Trim::FULL, false).to_string();
        assert_eq!(read_document(&text).unwrap(), n);
    }

    #[test]
    fn every_bad_document_names_its_field() {
        let good = document_value(&notification(), &Trim::FULL, false);
        let with = |name: &str, value: Value| {
            let mut doc = good.clone();
            doc[name] = value;
            doc.to_string()
        };
        let without = |name: &str| {
            let mut doc = good.clone();
            doc.as_object_mut().unwrap().remove(name);
            doc.to_string()
        };
        let cases = [
            ("{".to_string(), "message: not JSON"),
            ("[1]".to_string(), "message: not a JSON object"),
            (
                with("schema", "credwatch.notification.v2".into()),
                "field schema",
            ),
            (without("schema"), "field schema: missing"),
            (without("team"), "field team"),
            (with("team", "".into()), "field team: empty"),
            (with("event", "exploded".into()), "field event"),
            (with("severity", 3.into()), "field severity"),
            (without("notification_id"), "field notification_id"),
            (with("opened_at", "yesterday".into()), "field opened_at"),
            (with("integration", "x".into()), "field integration"),
            (with("members", "x".into()), "field members"),
            (
                "x".repeat(MAX_DOCUMENT_BYTES + 1),
                "more than a notification document holds",
            ),
        ];
        for (text, why) in cases {
            let err = read_document(&text).unwrap_err();
            assert!(
                err.0.starts_with(why) || err.0.contains(why),
                "{why}: {err}"
            );
            assert!(err.0.chars().count() <= MAX_ERROR_CHARS + 1);
        }
    }

    #[test]
    fn a_document_carrying_a_webhook_is_scrubbed_on_the_way_in() {
        let mut doc = document_value(&notification(), &Trim::FULL, false);
        doc["message"] = "posted via https://hooks.slack.com/services/T1/B2/sEcReTsEcReT".into();
        let n = read_document(&doc.to_string()).unwrap();
        assert!(!n.message.contains("sEcReT"), "{}", n.message);
    }
}
