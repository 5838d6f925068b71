//! Probing: one integration (with its retry or confirmation), and many at once under bounds.
//!
//! # Architecture
//!
//! - [`Prober`] (`prober.rs`): probes one integration with one SFMC client: refuses an
//!   `auth_url` it may not use, requests a token, calls tokenContext with it, retries a
//!   transient failure once and confirms a definitive one.
//! - `attempt.rs`: one attempt and how the deciding one becomes a
//!   [`crate::domain::outcome::ProbeOutcome`].
//! - [`RetryPolicy`] (`retry.rs`): how long to wait before the second attempt ([`retry_wait`]).
//! - [`Concurrency`] (`limits.rs`): probes in flight overall and per auth host ([`host_key`]),
//!   with the defaults the CLI and the probe function share.
//! - [`probe_stream`] / [`probe_all`] (`stream.rs`): many integrations at once, each result as it
//!   finishes ([`Probed`]); a panic while probing one is that one's outcome.

mod attempt;
mod limits;
mod prober;
mod retry;
mod stream;
#[cfg(test)]
mod test_support;

pub use limits::{Concurrency, DEFAULT_CONCURRENCY, DEFAULT_PER_HOST, host_key};
pub use prober::Prober;
pub use retry::{DEFAULT_MAX_RETRY_AFTER, DEFAULT_TRANSIENT_BACKOFF, RetryPolicy, retry_wait};
pub use stream::{Probed, probe_all, probe_stream};
