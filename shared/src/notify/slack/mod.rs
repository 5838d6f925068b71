//! Slack incoming webhooks: what Slack's answers mean ([`answer`], pure) and how a message is
//! posted ([`webhook`]: the URL as a credential, the HTTP transport, pacing, `Retry-After`).
//! The message itself is [`crate::notify::render::slack`]; the use case is
//! [`crate::jobs::slack_notify`].

pub mod answer;
pub mod document;
pub mod webhook;
