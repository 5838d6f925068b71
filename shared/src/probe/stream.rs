//! Probing many integrations at once: a stream of results as they finish ([`probe_stream`]),
//! or all of them in order ([`probe_all`]), within [`Concurrency`] limits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt, stream::FuturesUnordered};
use tokio::sync::Semaphore;

use super::attempt::{Attempt, outcome};
use super::{Concurrency, Prober, host_key};
use crate::domain::outcome::{OutcomeClass, ProbeOutcome};
use crate::inventory::Integration;
use crate::secrets::SecretReader;
use crate::sfmc::Failure;

/// What became of one integration handed to [`probe_stream`] (by its index in the slice).
#[derive(Debug, Clone)]
pub enum Probed {
    /// Probed: the integration's index in the slice, and its outcome.
    Done(usize, ProbeOutcome),
    /// Not started: its turn came after `start_by`. It stays due for the next run.
    Deferred(usize),
}

/// A limit as semaphore permits: at least 1, and at most what a tokio semaphore holds (a
/// larger one, e.g. `CREDWATCH_PROBE_CONCURRENCY=18446744073709551615`, would panic in
/// `Semaphore::new`; so many permits are no limit at all anyway).
fn permits(limit: usize) -> usize {
    limit.clamp(1, Semaphore::MAX_PERMITS)
}

/// Probes every integration concurrently within `limits`, yielding each result as it finishes
/// (so callers can commit it at once, and a killed run keeps what it learned). A probe whose
/// turn (its host and global slots) comes at or after `start_by` is not started but yielded as
/// [`Probed::Deferred`]. A panic while probing one integration is reported as that
/// integration's outcome and never stops the others.
pub fn probe_stream<'a, R: SecretReader>(
    prober: &'a Prober,
    secrets: &'a R,
    integrations: &'a [Integration],
    limits: Concurrency,
    start_by: Option<tokio::time::Instant>,
) -> impl futures::Stream<Item = Probed> + 'a {
    let global = Arc::new(Semaphore::new(permits(limits.global)));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let pending = FuturesUnordered::new();
    for (index, integration) in integrations.iter().enumerate() {
        let host = hosts
            .entry(host_key(integration))
            .or_insert_with(|| Arc::new(Semaphore::new(permits(limits.per_host))))
            .clone();
        let global = global.clone();
        let probe = async move {
            // Checked before the secret is read: a row pointing elsewhere never gets it.
            if let Some(why) = prober.endpoint_refusal(integration) {
                return Some(Prober::endpoint_refused(integration, &why));
            }
            // Host first: waiting for a busy tenant must not hold a global slot.
            let _host = host.acquire_owned().await.expect("semaphore never closed");
            let secret = {
                let _slot = global.acquire().await.expect("semaphore never closed");
                if start_by.is_some_and(|by| tokio::time::Instant::now() >= by) {
                    return None;
                }
                secrets.read(&integration.client_secret).await
            };
            Some(
                prober
                    .probe_gated(integration, secret, Some(&global), Some(secrets))
                    .await,
            )
        };
        pending.push(async move {
            match std::panic::AssertUnwindSafe(probe).catch_unwind().await {
                Ok(Some(outcome)) => Probed::Done(index, outcome),
                Ok(None) => Probed::Deferred(index),
                Err(_) => Probed::Done(index, internal_failure(integration)),
            }
        });
    }
    pending
}

/// Probes every integration concurrently within `limits` and returns the outcomes in the order
/// given. `on_done` is called as each finishes (for progress). A panic while probing one
/// integration is reported as that integration's outcome and never stops the others.
pub async fn probe_all<R: SecretReader>(
    prober: &Prober,
    secrets: &R,
    integrations: &[Integration],
    limits: Concurrency,
    on_done: &(dyn Fn(&ProbeOutcome) + Sync),
) -> Vec<ProbeOutcome> {
    let mut results: Vec<Option<ProbeOutcome>> = vec![None; integrations.len()];
    let mut stream = std::pin::pin!(probe_stream(prober, secrets, integrations, limits, None));
    while let Some(probed) = stream.next().await {
        if let Probed::Done(index, outcome) = probed {
            on_done(&outcome);
            results[index] = Some(outcome);
        }
    }
    results
        .into_iter()
        .map(|o| o.expect("without start_by every integration yields an outcome"))
        .collect()
}

/// The outcome of an integration whose probe panicked: reported, retried next run.
fn internal_failure(integration: &Integration) -> ProbeOutcome {
    tracing::error!(integration = %integration.id, "internal error while probing");
    let attempt = Attempt::failed(
        Failure {
            class: OutcomeClass::MalformedResponse,
            http_status: None,
            message:
                "credwatch hit an internal error while probing this integration; it will retry"
                    .to_string(),
            retry_after: None,
        },
        Duration::ZERO,
    );
    outcome(integration, attempt, 0, false, chrono::Utc::now())
}
