//! credwatch: watches the API credentials that integrations use to reach Salesforce Marketing
//! Cloud (SFMC), and says when one stops working or is about to expire.
//!
//! This crate is everything the Lambda functions and the `credwatch` CLI share: the inventory
//! contract, the SFMC client and the classification of what it sees, and probing many
//! integrations at once. Pure logic is plain functions over plain data; I/O sits behind
//! small types that tests drive against the simulator (`credwatch-sim`) over real HTTP.

pub mod aws_error;
pub mod config;
pub mod domain;
pub mod inventory;
pub mod jobs;
pub mod notify;
pub mod passive;
pub mod probe;
pub mod rules;
pub mod secrets;
pub mod sfmc;
pub mod store;
pub mod subscriptions;
pub mod telemetry;
pub mod text;
