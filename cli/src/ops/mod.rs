//! Commands that operate a deployment through its DynamoDB table: `table create`,
//! `inventory plan|apply`, `status`, `incident show`, `notifications preview`,
//! `silence add|list|expire`, `ack`, `unack`, `drill`, `ingest token create|revoke|list`. They use the standard AWS environment (profile or keys,
//! `AWS_REGION`, and `AWS_ENDPOINT_URL` for an emulator).
//!
//! This file only names the parts; the code sits by concern in its children (a child never
//! imports this file back).

mod ack;
mod drill;
mod incident;
mod ingest;
mod inventory;
mod preview;
mod silence;
mod status;
mod table;

pub use ack::{ack, unack};
pub use drill::drill;
pub use incident::incident_show;
pub use ingest::{IngestCommand, ingest};
pub use inventory::inventory_sync;
pub use preview::notifications_preview;
pub use silence::{SilenceCommand, silence};
pub use status::{StatusRow, status, status_rows, status_table};
pub use table::table_create;
