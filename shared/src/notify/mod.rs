//! Notifications: what credwatch tells a team about an incident, rendered for every
//! subscription protocol and published to the one alerts topic.
//!
//! # Architecture
//!
//! Vocabulary and pure functions first, I/O last, as in the rest of the crate:
//!
//! - [`notification`]: plain data. [`Event`](notification::Event), the deterministic
//!   [`NotificationId`](notification::NotificationId), the [`Notification`](notification::Notification)
//!   built from an incident and its change, and [`events_for`](notification::events_for), which
//!   says which changes are worth a message.
//! - [`annotations`]: what the alert-operations rules add to a notification (reminder step,
//!   escalation or after-hours recipient, acknowledgement, hold, group members).
//! - [`scrub`]: text from elsewhere made safe to send (the SFMC sanitizer, then webhook URLs).
//! - [`words`]: shared phrases (durations, impact estimates, what broke, next steps).
//! - [`render`]: one file per output (subject, email/default, sms, Chatbot, document,
//!   attributes), pure.
//! - [`publish`]: the [`PublishRequest`](publish::PublishRequest) (subject, `MessageStructure=json`
//!   message, attributes), measured as SNS counts it and shortened in a fixed order to fit.
//! - [`delivery`]: a notification on record ([`NotificationRecord`](delivery::NotificationRecord))
//!   with its delivery state, and the fan-out's audit entries.
//! - [`error`]: [`PublishError`](error::PublishError) and the pure [`classify`](error::classify)
//!   of SNS error codes into retryable, configuration and payload failures.
//! - The port, [`Publisher`], and its adapters: [`memory`] (records what it got; demo, tests)
//!   and [`sns`] (aws-sdk-sns).
//!
//! Nothing here reads a secret: a notification copies only the integration's name,
//! `depends_on`, `records_per_hour` and `runbook`, and SFMC's words pass through
//! [`scrub::scrub`] again on the way in.

pub mod annotations;
pub mod delivery;
pub mod error;
pub mod memory;
pub mod notification;
mod port;
pub mod publish;
pub mod render;
pub mod scrub;
pub mod slack;
pub mod sns;
pub mod words;

#[cfg(test)]
pub(crate) mod fixtures;

pub use port::{MessageId, Publisher};
