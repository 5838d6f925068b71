//! Lambda plumbing, written once for every credwatch function.
//!
//! # Architecture
//!
//! - [`Config`] (`config.rs`): every `CREDWATCH_*` variable a function reads, parsed into one
//!   typed struct with its default ([`Config::from_env`]); a bad value is a [`ConfigError`]
//!   naming the variable and what is wrong.
//! - [`InvocationError`] (`error.rs`): the one error a handler returns. It tells the Lambda
//!   runtime whether the same event could succeed later: its diagnostic `errorType` is
//!   `Retryable` or `NonRetryable`.
//! - [`serve`] (`invocation.rs`): the invocation loop; each event reaches the handler as an
//!   [`Invocation`] (its JSON payload and its deadline on this process's clock).
//!
//! A function's `main.rs` reads the [`Config`], starts logging
//! ([`credwatch::telemetry::logging::init`]), builds its clients once and calls [`serve`]; the
//! handler itself lives in the function's library, testable in-process.

mod config;
mod error;
mod invocation;

pub use config::{Config, ConfigError};
pub use error::{InvocationError, NON_RETRYABLE, RETRYABLE};
pub use invocation::{Invocation, account_of_arn, deadline_instant, serve};

/// The AWS SDK configuration from the standard environment (region, credentials,
/// `AWS_ENDPOINT_URL` for emulators), loaded once per container.
pub async fn aws_sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
