//! Vocabulary: plain data every other module speaks. Never names an AWS, HTTP or YAML type,
//! and imports nothing but itself.
//!
//! - [`outcome`]: what one probe concludes (outcome classes, kinds, verdicts).
//! - [`incident`]: check kinds, typed incident ids and classes, the incident and its changes.
//! - [`passive`]: passive tracking: one reported SFMC call (`credwatch.sfmc_call.v1`) and the
//!   patterns read from them.
//! - [`drill`]: the drill incident of a team (`credwatch drill`), and how it is marked.
//! - [`state`]: an integration's monitoring state and the commit that replaces it.
//! - [`severity`]: how serious an incident is.
//! - [`silence`]: silences (matchers, time range, who and why) and their states. Its
//!   validation borrows two leaf rules from outside: inventory ids
//!   ([`crate::inventory::is_valid_id`]) and printable text ([`crate::text::printable`]).

pub mod drill;
pub mod incident;
pub mod outcome;
pub mod passive;
pub mod severity;
pub mod silence;
pub mod state;
pub mod subscription;
