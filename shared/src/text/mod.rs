//! Text helpers.

pub mod duration;
pub mod printable;
