//! Vocabulary: plain data every other module speaks. Never names an AWS, HTTP or YAML type,
//! and imports nothing but itself.
//!
//! - [`outcome`]: what one probe concludes (outcome classes, kinds, verdicts).
//! - [`incident`]: check kinds, typed incident ids and classes, the incident and its changes.
//! - [`state`]: an integration's monitoring state and the commit that replaces it.
//! - [`severity`]: how serious an incident is.

pub mod incident;
pub mod outcome;
pub mod severity;
pub mod state;
pub mod subscription;
