//! The ingest Lambda: SFMC calls integrations report, from a function URL request, a
//! CloudWatch Logs subscription or an EventBridge event, and the five-minute sweep
//! (`credwatch::jobs::ingest`). `main.rs` builds the configuration and the store once per
//! container; everything here is testable in-process.

pub mod config;
pub mod event;
pub mod handler;

pub use credwatch_lambda::InvocationError;
pub use handler::{App, FUNCTION, handle};
