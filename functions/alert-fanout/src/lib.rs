//! The alert-fanout Lambda: a DynamoDB stream batch of the table becomes notifications
//! published once to the alerts topic (`credwatch::jobs::fanout::handle_records`), and the
//! one-minute schedule runs the retry sweep (`credwatch::jobs::fanout::sweep`), and the weekly
//! drill rule runs a drill (`credwatch::jobs::drill`). `main.rs`
//! builds the clients once per container; everything here is testable in-process.

pub mod event;
pub mod handler;

pub use credwatch_lambda::InvocationError;
pub use handler::{
    App, DrillPort, FUNCTION, SWEEP_LIMIT, handle_at, handle_until, handle_with_drill,
};
