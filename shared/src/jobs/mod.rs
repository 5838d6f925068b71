//! Use cases: one per file, each owning its summary and the metrics that summary declares.
//!
//! - [`probe_cycle`]: choose, probe, advance, commit (the probe function, `demo`).
//! - [`expiry_scan`]: expiry countdowns and the dead-man's switch (the expiry-scan function).
//! - [`inventory_sync`]: the inventory file into the store (`inventory apply`).
//! - [`rotation`]: verifying that a secret change event is a rotation.
//! - [`corrupt`]: reporting unreadable items to the platform team.
//! - [`fanout`]: incident changes to notifications, published once; the retry sweep.
//! - [`slack_notify`]: notification documents posted to teams' Slack webhooks.
//! - [`ingest`]: SFMC calls integrations report (passive tracking), decided on per integration.
//! - [`drill`]: a marked test through the real alert path, per team, and what it proved.

pub mod corrupt;
pub mod drill;
pub mod expiry_scan;
pub mod fanout;
pub mod ingest;
pub mod inventory_sync;
mod panic;
pub mod probe_cycle;
pub mod rotation;
pub mod slack_notify;
pub mod subscription_sync;
