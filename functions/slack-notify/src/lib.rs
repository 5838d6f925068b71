//! The slack-notify Lambda: each notification document the alerts topic delivers (SNS,
//! protocol `lambda`) is posted to its team's Slack incoming webhook
//! (`credwatch::jobs::slack_notify`). `main.rs` builds the clients once per container;
//! everything here is testable in-process.

pub mod event;
pub mod handler;

pub use credwatch_lambda::InvocationError;
pub use handler::{App, FUNCTION, handle_until};
