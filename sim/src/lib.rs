//! A simulated Salesforce Marketing Cloud tenant over real HTTP.
//!
//! It serves `POST /v2/token` and `GET /platform/v1/tokenContext` with the exact bodies recorded in
//! `fixtures/`, scripted per client ([`TokenBehaviour`], [`RestBehaviour`], latency), plus a small JSON
//! control API under `/_sim/` for standalone use. The server root is both the auth base URL and the REST
//! instance URL.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use credwatch_sim::{ClientConfig, Simulator, TokenBehaviour};
//!
//! let sim = Simulator::start().await?;
//! sim.set_client("0m0het6mqknzv0uebqlvoo41", ClientConfig::healthy("s3cret", &["email_read"], 7281698));
//! // ... point the code under test at sim.base_url() ...
//! sim.update_client("0m0het6mqknzv0uebqlvoo41", |c| c.token = TokenBehaviour::ServerError);
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod config;
mod demo;
mod echo;
pub mod fixtures;
mod server;
mod state;

pub use config::{ClientConfig, RequestCounts, RestBehaviour, TokenBehaviour, TokenRequestShape};
pub use demo::{DEMO_ENTERPRISE_ID, DemoClient, demo_scenario};
pub use echo::EchoEncoding;
pub use server::Simulator;
pub use state::{INVALID_REQUEST_BODY, MAX_OVERSIZED_BYTES, NOT_JSON_BODY};
