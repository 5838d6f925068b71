//! One file per output of a notification (lychee's formatters are the model): each takes the
//! plain [`Notification`](crate::notify::notification::Notification) and returns its text.
//!
//! - [`subject`]: the SNS subject, printable ASCII under 100 characters, whatever the name holds.
//! - [`email`]: the `email` and `default` bodies, plain text.
//! - [`sms`]: the `sms` body, at most 140 characters.
//! - [`chatbot`]: the `https` body, an AWS Chatbot custom notification.
//! - [`slack`]: the Block Kit message slack-notify posts to a team's incoming webhook.
//! - [`document`]: the `lambda` and `sqs` body, `credwatch.notification.v1`.
//! - [`attributes`]: the MessageAttributes filter policies route on.
//! - `facts`: what a message says, shared by the email, the Chatbot view and the document.
//! - [`trim`]: how much of the long parts a rendering keeps.

pub mod attributes;
pub mod chatbot;
pub mod document;
pub mod email;
mod facts;
pub mod slack;
pub mod sms;
pub mod subject;
pub mod trim;

#[cfg(test)]
mod tests;
