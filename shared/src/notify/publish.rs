//! The publish request, measured: subject, `MessageStructure=json` message and attributes,
//! built from a notification and kept under SNS's size limit.
//!
//! SNS counts a publish as the message plus every attribute's name, data type and value, in
//! UTF-8 bytes, against 262,144 bytes (256 KiB; the topic's MaximumMessageSize, "All parts of
//! the message attribute, including name, type, and value, are included in the message size
//! restriction", SNS API reference, MessageAttributeValue). The subject is counted too, to be
//! safe. The message is the JSON object of the bodies, every body a JSON string, escaped.
//!
//! When a request is too large, it is rendered again with each of
//! [`Trim::STEPS`](super::render::trim::Trim::STEPS) in turn (the `depends_on` list first, then
//! SFMC's words, then the name and runbook), and the bodies say what was left out.

use std::collections::BTreeMap;

use serde_json::json;

use super::notification::{Notification, NotificationId};
use super::render::attributes::attributes;
use super::render::chatbot::chatbot;
use super::render::document::document;
use super::render::email::email;
use super::render::sms::sms;
use super::render::subject::subject;
use super::render::trim::Trim;

/// SNS's limit on one publish, in bytes (256 KiB).
pub const SNS_MAX_BYTES: usize = 262_144;

/// The keys of the `MessageStructure=json` message: one body per subscription protocol.
pub const PROTOCOL_KEYS: [&str; 6] = ["default", "email", "sms", "https", "lambda", "sqs"];

/// The data type of every attribute credwatch sends.
pub const ATTRIBUTE_TYPE: &str = "String";

/// One SNS publish, ready to send: what the [`Publisher`](super::Publisher) sends as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest {
    /// The notification this publishes (for error messages and the audit record).
    pub notification_id: NotificationId,
    /// The subject: printable ASCII under 100 characters.
    pub subject: String,
    /// The `MessageStructure=json` message: a JSON object of [`PROTOCOL_KEYS`] to bodies.
    pub message: String,
    /// String MessageAttributes, name to value.
    pub attributes: BTreeMap<String, String>,
    /// Whether the bodies were shortened to fit (they say so themselves).
    pub shortened: bool,
}

impl PublishRequest {
    /// The request's size as SNS counts it (see the module doc), in bytes.
    pub fn size(&self) -> usize {
        measure(&self.subject, &self.message, &self.attributes)
    }
}

/// `message` + `subject` + each attribute's name, type (`String`) and value, in UTF-8 bytes.
pub fn measure(subject: &str, message: &str, attributes: &BTreeMap<String, String>) -> usize {
    message.len()
        + subject.len()
        + attributes
            .iter()
            .map(|(name, value)| name.len() + ATTRIBUTE_TYPE.len() + value.len())
            .sum::<usize>()
}

/// The message of `n` rendered with `trim`: every body a JSON string.
fn message(n: &Notification, trim: &Trim, shortened: bool) -> String {
    let text = email(n, trim);
    let doc = document(n, trim, shortened);
    json!({
        "default": text,
        "email": text,
        "sms": sms(n),
        "https": chatbot(n, trim),
        "lambda": doc,
        "sqs": doc,
    })
    .to_string()
}

/// The publish request of `n`, within `limit` bytes (SNS: [`SNS_MAX_BYTES`]): rendered in
/// full, or with the first of [`Trim::STEPS`] that fits; with the last step when none does
/// (every part is bounded there, far below SNS's limit).
pub fn build(n: &Notification, limit: usize) -> PublishRequest {
    let subject = subject(n);
    let attributes = attributes(n);
    let full = message(n, &Trim::FULL, false);
    let mut request = PublishRequest {
        notification_id: n.id.clone(),
        subject,
        message: full,
        attributes,
        shortened: false,
    };
    if request.size() <= limit {
        return request;
    }
    for step in Trim::STEPS {
        request.message = message(n, &step, true);
        request.shortened = true;
        if request.size() <= limit {
            break;
        }
    }
    request
}

#[cfg(test)]
mod tests;
