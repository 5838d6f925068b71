//! Use cases.

pub mod corrupt;
pub mod expiry_scan;
pub mod inventory_sync;
pub mod probe_cycle;
pub mod rotation;
