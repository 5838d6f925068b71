//! Pure decisions.

pub mod expiry;
pub mod health;
