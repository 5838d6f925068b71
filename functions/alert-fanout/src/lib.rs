//! The alert-fanout Lambda: a DynamoDB stream batch of the table becomes notifications
//! published once to the alerts topic (`credwatch::jobs::fanout::handle_records`), and the
//! one-minute schedule runs the retry sweep (`credwatch::jobs::fanout::sweep`). `main.rs`
//! builds the clients once per container; everything here is testable in-process.

pub mod event;
pub mod handler;

pub use credwatch_lambda::InvocationError;
pub use handler::{App, FUNCTION, SWEEP_LIMIT, handle_at, handle_until};
