//! credwatch: watches the API credentials that integrations use to reach Salesforce Marketing
//! Cloud (SFMC), and says when one stops working or is about to expire.
//!
//! This crate is everything the Lambda functions and the `credwatch` CLI share: the inventory
//! contract, the SFMC client and the classification of what it sees, and probing many
//! integrations at once. Pure logic is plain functions over plain data; I/O sits behind
//! small types that tests drive against the simulator (`credwatch-sim`) over real HTTP.

pub mod aws_error;
pub mod check;
pub mod corrupt;
pub mod duration;
pub mod expiry;
pub mod inventory;
pub mod logging;
pub mod metrics;
pub mod monitor;
pub mod outcome;
pub mod printable;
pub mod probe;
pub mod rotation;
pub mod scan;
pub mod scopes;
pub mod secret;
pub mod secrets_aws;
pub mod sfmc;
pub mod store;
pub mod sync;
