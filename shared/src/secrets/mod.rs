//! Secrets: a value type that never reveals itself, where a secret comes from, and who may read
//! it.
//!
//! # Architecture
//!
//! - [`Secret`] (`secret.rs`): the value. No `Display`, redacted `Debug`, wiped on drop.
//! - [`SecretSource`] (`source.rs`): where an integration's client secret lives (inventory field
//!   `client_secret`: `env`, `file` or `aws_secret`).
//! - [`SecretReader`] (`reader.rs`): the port probing reads through, failing with
//!   [`SecretUnavailable`] (a message naming the source, never the value).
//! - [`LocalSecrets`] (`local.rs`): the adapter for env and file sources (laptop, CI), bounded in
//!   time and size.
//! - [`aws::AwsSecrets`] (`aws.rs`): the Secrets Manager adapter, with a per-container cache.
//! - [`SecretPolicy`] (`policy.rs`): which sources a process may read (a deployed function:
//!   Secrets Manager only, under its prefix).
//! - `ids.rs`: secret-id matching ([`secret_ids_match`], [`secret_name`], [`is_under_prefix`]):
//!   a secret named by its name or by its ARN is the same secret.
//! - [`ingest_token`]: the bearer tokens reporters send to the ingest function: drawn from the
//!   OS CSPRNG, shown once, kept only as a SHA-256 hash.

pub mod aws;
mod ids;
mod local;
mod policy;
mod reader;
mod secret;
mod source;

pub mod fingerprint;
pub mod ingest_token;

pub use fingerprint::secret_fingerprint;

pub use ids::{is_under_prefix, secret_ids_match, secret_name};
pub use local::{
    LocalSecrets, MAX_SECRET_BYTES, SECRET_READ_TIMEOUT, read_local_secret,
    read_local_secret_bounded,
};
pub use policy::SecretPolicy;
pub use reader::{SecretReader, SecretUnavailable};
pub use secret::Secret;
pub use source::SecretSource;
