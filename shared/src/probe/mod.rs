//! Probing: one integration (with its retry or confirmation), and many at once under bounds.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt, stream::FuturesUnordered};
use tokio::sync::Semaphore;

use crate::domain::outcome::{Kind, OutcomeClass, ProbeOutcome};
use crate::inventory::{Integration, is_sfmc_auth_url, lookalike_refusal, userinfo_refusal};
use crate::secrets::fingerprint::secret_fingerprint;
use crate::secrets::{Secret, SecretSource, SecretUnavailable, read_local_secret_bounded};
use crate::sfmc::classify::{classify_context_answer, classify_token_answer, scope_diff};
use crate::sfmc::{EndpointPolicy, Failure, SfmcClient};

/// Reads an integration's client secret from its source. The CLI reads env and file sources;
/// the probe function adds Secrets Manager.
pub trait SecretReader: Send + Sync {
    fn read(
        &self,
        source: &SecretSource,
    ) -> impl Future<Output = Result<Secret, SecretUnavailable>> + Send;

    /// Reads the secret past any cache (and refreshes the cache): to verify a rotation and to
    /// confirm a credential failure with the value the source holds now. Readers without a
    /// cache read as [`SecretReader::read`].
    fn read_fresh(
        &self,
        source: &SecretSource,
    ) -> impl Future<Output = Result<Secret, SecretUnavailable>> + Send {
        self.read(source)
    }

    /// Forgets any cached value of the secret `secret_id` names (it just changed).
    fn invalidate(&self, _secret_id: &str) {}
}

/// Env and file sources, as on a laptop or in CI.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalSecrets;

impl SecretReader for LocalSecrets {
    async fn read(&self, source: &SecretSource) -> Result<Secret, SecretUnavailable> {
        read_local_secret_bounded(source).await
    }
}

/// How a probe retries inside itself.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Wait before retrying a transient failure when SFMC gave no `Retry-After`.
    pub transient_backoff: Duration,
    /// Longest `Retry-After` we honour inside a probe; beyond it we retry after this long.
    pub max_retry_after: Duration,
}

/// How long to wait before the second attempt. SFMC's wait (`Retry-After` or the body's
/// `retryAfter`) is honoured whatever the class, capped at `max_retry_after`; without one, a
/// transient failure waits `transient_backoff` and a definitive one is confirmed at once.
pub fn retry_wait(policy: &RetryPolicy, class: OutcomeClass, asked: Option<Duration>) -> Duration {
    match asked {
        Some(asked) => asked.min(policy.max_retry_after),
        None if class.is_transient() => policy.transient_backoff,
        None => Duration::ZERO,
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            transient_backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

/// Bounds on probing many integrations at once.
#[derive(Debug, Clone, Copy)]
pub struct Concurrency {
    /// Probes in flight overall.
    pub global: usize,
    /// Probes in flight against one auth host, so one tenant is never hammered.
    pub per_host: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency {
            global: 32,
            per_host: 8,
        }
    }
}

/// Probes integrations with one SFMC client and one retry policy.
#[derive(Clone)]
pub struct Prober {
    client: SfmcClient,
    retry: RetryPolicy,
}

/// One token request (and tokenContext call, when a token was issued) and what it showed.
#[derive(Debug, Clone)]
struct Attempt {
    class: OutcomeClass,
    http_status: Option<u16>,
    message: String,
    missing_scopes: Vec<String>,
    unexpected_scopes: Vec<String>,
    latency: Duration,
    token_expires_in: Option<u64>,
    business_unit: Option<u64>,
    retry_after: Option<Duration>,
}

impl Attempt {
    fn failed(failure: Failure, latency: Duration) -> Self {
        Attempt {
            class: failure.class,
            http_status: failure.http_status,
            message: failure.message,
            missing_scopes: Vec::new(),
            unexpected_scopes: Vec::new(),
            latency,
            token_expires_in: None,
            business_unit: None,
            retry_after: failure.retry_after,
        }
    }
}

impl Prober {
    pub fn new(client: SfmcClient, retry: RetryPolicy) -> Self {
        Prober { client, retry }
    }

    /// The longest one probe can take once started: two attempts of two requests (token,
    /// tokenContext) each up to the request timeout, plus the longest wait before a retry.
    /// Secret reads (bounded on their own, see [`crate::secrets::SECRET_READ_TIMEOUT`]) are left
    /// out: they are quick unless Secrets Manager itself hangs, and a probe that overruns the
    /// deadline loses only itself, never what was committed before.
    pub fn worst_case(&self) -> Duration {
        self.client.settings().request_timeout.saturating_mul(4) + self.retry.max_retry_after
    }

    /// Probes one integration whose secret was already read (or could not be).
    ///
    /// A transient failure is retried once after a backoff; a definitive one is confirmed by one
    /// immediate second attempt; either waits first when SFMC asked for a wait (see
    /// [`retry_wait`]). The outcome is the last
    /// attempt's, so a flap that clears on the second attempt reports what SFMC says now.
    pub async fn probe(
        &self,
        integration: &Integration,
        secret: Result<Secret, SecretUnavailable>,
    ) -> ProbeOutcome {
        self.probe_gated(integration, secret, None, None::<&LocalSecrets>)
            .await
    }

    /// Whether this prober may send `integration`'s client secret to its `auth_url`: an SFMC
    /// Authentication Base URI always (the inventory's own rule,
    /// [`crate::inventory::is_sfmc_auth_url`]), anything else only when this process allows any
    /// endpoint, and never a URL with userinfo (`user@host`) or an IDN host imitating SFMC's,
    /// whatever the policy. Checked at probe time because the table may say something no
    /// inventory did.
    pub fn endpoint_allowed(&self, integration: &Integration) -> bool {
        self.endpoint_refusal(integration).is_none()
    }

    /// Why `integration`'s `auth_url` may not be used by this prober (see
    /// [`Prober::endpoint_allowed`]), in words for the platform team; `None` when it may.
    pub fn endpoint_refusal(&self, integration: &Integration) -> Option<String> {
        let url = &integration.auth_url;
        if let Some(why) = userinfo_refusal(url) {
            return Some(why);
        }
        if let Some(why) = url.host_str().and_then(lookalike_refusal) {
            return Some(why);
        }
        let allowed = self.client.settings().endpoint_policy == EndpointPolicy::AnyEndpoint
            || is_sfmc_auth_url(url.as_str());
        (!allowed).then(|| {
            "is not an SFMC Authentication Base URI \
             (https://<subdomain>.auth.marketingcloudapis.com/)"
                .to_string()
        })
    }

    /// The outcome of an integration whose `auth_url` this process may not use (`why`, from
    /// [`Prober::endpoint_refusal`]): nothing read, nothing sent. A monitor-kind verdict, for the
    /// platform team.
    fn endpoint_refused(integration: &Integration, why: &str) -> ProbeOutcome {
        // Only scheme, host and port: a hostile row's URL may carry credentials or a long path.
        let origin = integration.auth_url.origin().ascii_serialization();
        tracing::warn!(integration = %integration.id, auth_url = %origin, "auth_url not allowed; not probed, secret not read");
        let attempt = Attempt::failed(
            Failure {
                class: OutcomeClass::EndpointNotAllowed,
                http_status: None,
                message: format!(
                    "auth_url {origin} {why}; credwatch did not read the client secret or send \
                     anything there"
                ),
                retry_after: None,
            },
            Duration::ZERO,
        );
        outcome(integration, attempt, 0, false, chrono::Utc::now())
    }

    /// [`Prober::probe`], taking a slot of `slots` for each attempt only, so that the backoff
    /// before a retry does not hold up other integrations.
    ///
    /// With `refresh`, the confirming attempt of a credential failure uses a fresh read of a
    /// cached (Secrets Manager) secret, so a container still holding a rotated-away value never
    /// confirms a failure of the new one.
    async fn probe_gated<R: SecretReader>(
        &self,
        integration: &Integration,
        secret: Result<Secret, SecretUnavailable>,
        slots: Option<&Semaphore>,
        refresh: Option<&R>,
    ) -> ProbeOutcome {
        if let Some(why) = self.endpoint_refusal(integration) {
            return Self::endpoint_refused(integration, &why);
        }
        let probed_at = chrono::Utc::now();
        let secret = match secret {
            Ok(secret) => secret,
            Err(why) => {
                let attempt = Attempt::failed(
                    Failure {
                        class: OutcomeClass::SecretUnavailable,
                        http_status: None,
                        message: format!("credwatch could not read the client secret: {why}"),
                        retry_after: None,
                    },
                    Duration::ZERO,
                );
                return outcome(integration, attempt, 0, false, probed_at);
            }
        };
        let first = self.gated_attempt(integration, &secret, slots).await;
        if first.class == OutcomeClass::Ok {
            return with_fingerprint(
                outcome(integration, first, 1, false, probed_at),
                integration,
                &secret,
            );
        }
        let wait = retry_wait(&self.retry, first.class, first.retry_after);
        tracing::debug!(integration = %integration.id, class = %first.class, wait_ms = wait.as_millis() as u64, "probing again");
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        // A warm container may hold a secret that was rotated since it was cached: a credential
        // failure is confirmed only with a fresh read, so the old value never pages anyone.
        let mut secret = secret;
        let cached = matches!(integration.client_secret, SecretSource::AwsSecret { .. });
        if let (Kind::Credential, true, Some(reader)) = (first.class.kind(), cached, refresh) {
            match reader.read_fresh(&integration.client_secret).await {
                Ok(fresh) => secret = fresh,
                Err(why) => {
                    tracing::warn!(integration = %integration.id, %why, "fresh read before confirming failed; confirming with the value read before");
                }
            }
        }
        let second = self.gated_attempt(integration, &secret, slots).await;
        let confirmed = second.class == first.class && second.class.is_definitive();
        with_fingerprint(
            outcome(integration, second, 2, confirmed, probed_at),
            integration,
            &secret,
        )
    }

    async fn gated_attempt(
        &self,
        integration: &Integration,
        secret: &Secret,
        slots: Option<&Semaphore>,
    ) -> Attempt {
        let _slot = match slots {
            Some(slots) => Some(slots.acquire().await.expect("semaphore never closed")),
            None => None,
        };
        self.attempt(integration, secret).await
    }

    async fn attempt(&self, integration: &Integration, secret: &Secret) -> Attempt {
        let started = Instant::now();
        let policy = rest_policy(integration);
        let answer = match self
            .client
            .request_token(
                &integration.auth_url,
                &integration.client_id,
                secret,
                integration.account_id,
            )
            .await
        {
            Ok(answer) => answer,
            Err(transport) => return network(transport.message, started),
        };
        let grant = match classify_token_answer(&answer, policy, &[secret]) {
            Ok(grant) => grant,
            Err(failure) => return Attempt::failed(failure, started.elapsed()),
        };
        let granted = grant.scopes.clone().unwrap_or_default();
        let (missing_scopes, unexpected_scopes) =
            scope_diff(&integration.expected_scopes, &granted);

        let context = match self
            .client
            .token_context(&grant.rest_instance_url, &grant.access_token)
            .await
        {
            Ok(answer) => classify_context_answer(&answer, &[secret, &grant.access_token]),
            Err(transport) => {
                let mut attempt = network(transport.message, started);
                attempt.missing_scopes = missing_scopes;
                attempt.unexpected_scopes = unexpected_scopes;
                attempt.token_expires_in = grant.expires_in;
                return attempt;
            }
        };
        let mut attempt = match context {
            Ok(context) => assess(
                integration,
                &grant,
                context.organization_id,
                &missing_scopes,
            ),
            Err(failure) => Attempt::failed(failure, Duration::ZERO),
        };
        attempt.latency = started.elapsed();
        attempt.token_expires_in = grant.expires_in;
        attempt.missing_scopes = missing_scopes;
        attempt.unexpected_scopes = unexpected_scopes;
        attempt
    }
}

/// Where this integration's token may go. A token from SFMC's own auth host goes only to an
/// `https://` SFMC REST host, whatever the token answer says and whatever the configured policy
/// (even with `CREDWATCH_ALLOW_ANY_ENDPOINT`). An auth URL that is not SFMC's was allowed on
/// purpose when the inventory was validated, so the REST host its answer names is trusted the
/// same way.
fn rest_policy(integration: &Integration) -> EndpointPolicy {
    let sfmc_auth = integration.auth_url.scheme() == "https"
        && integration
            .auth_url
            .host_str()
            .is_some_and(|h| h.ends_with(".auth.marketingcloudapis.com"));
    if sfmc_auth {
        EndpointPolicy::SfmcOnly
    } else {
        EndpointPolicy::AnyEndpoint
    }
}

/// Decides between ok, wrong business unit and missing scopes once both calls succeeded.
/// The business unit comes first: scopes granted in the wrong BU are beside the point.
fn assess(
    integration: &Integration,
    grant: &crate::sfmc::TokenGrant,
    organization_id: u64,
    missing: &[String],
) -> Attempt {
    let mut attempt = Attempt {
        class: OutcomeClass::Ok,
        http_status: Some(200),
        message: String::new(),
        missing_scopes: Vec::new(),
        unexpected_scopes: Vec::new(),
        latency: Duration::ZERO,
        token_expires_in: None,
        business_unit: Some(organization_id),
        retry_after: None,
    };
    if let Some(expected) = integration.account_id.filter(|mid| *mid != organization_id) {
        attempt.class = OutcomeClass::WrongBusinessUnit;
        attempt.message = format!(
            "The token is for business unit {organization_id}, but the inventory expects {expected} (account_id)"
        );
    } else if grant.scopes.is_none() && !integration.expected_scopes.is_empty() {
        attempt.class = OutcomeClass::MalformedResponse;
        attempt.message = "SFMC's token answer did not list the granted scopes".to_string();
    } else if !missing.is_empty() {
        attempt.class = OutcomeClass::MissingScopes;
        attempt.message = format!("The token lacks expected scope(s): {}", missing.join(", "));
    } else {
        attempt.message =
            format!("Token issued for business unit {organization_id}; tokenContext answered");
    }
    attempt
}

/// The outcome, carrying the fingerprint of the secret its deciding attempt used (the state
/// commit keeps it as the baseline a later rotation event is compared with).
fn with_fingerprint(
    mut outcome: ProbeOutcome,
    integration: &Integration,
    secret: &Secret,
) -> ProbeOutcome {
    outcome.secret_fingerprint = Some(secret_fingerprint(&integration.id, secret));
    outcome
}

fn network(message: String, started: Instant) -> Attempt {
    Attempt::failed(
        Failure {
            class: OutcomeClass::Network,
            http_status: None,
            message,
            retry_after: None,
        },
        started.elapsed(),
    )
}

fn outcome(
    integration: &Integration,
    attempt: Attempt,
    attempts: u32,
    confirmed: bool,
    probed_at: chrono::DateTime<chrono::Utc>,
) -> ProbeOutcome {
    ProbeOutcome {
        integration: integration.id.clone(),
        class: attempt.class,
        kind: attempt.class.kind(),
        http_status: attempt.http_status,
        message: attempt.message,
        missing_scopes: attempt.missing_scopes,
        unexpected_scopes: attempt.unexpected_scopes,
        latency_ms: attempt.latency.as_millis() as u64,
        token_expires_in: attempt.token_expires_in,
        business_unit: attempt.business_unit,
        attempts,
        confirmed,
        retry_after_secs: attempt.retry_after.map(|d| d.as_secs()),
        probed_at,
        secret_fingerprint: None,
    }
}

/// The host whose concurrency an integration counts against: its auth host and port.
pub fn host_key(integration: &Integration) -> String {
    let url = &integration.auth_url;
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// What became of one integration handed to [`probe_stream`] (by its index in the slice).
#[derive(Debug, Clone)]
pub enum Probed {
    Done(usize, ProbeOutcome),
    /// Not started: its turn came after `start_by`. It stays due for the next run.
    Deferred(usize),
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
    let global = Arc::new(Semaphore::new(limits.global.max(1)));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let pending = FuturesUnordered::new();
    for (index, integration) in integrations.iter().enumerate() {
        let host = hosts
            .entry(host_key(integration))
            .or_insert_with(|| Arc::new(Semaphore::new(limits.per_host.max(1))))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Severity;
    use crate::secrets::SecretSource;

    fn integration(auth_url: &str) -> Integration {
        Integration {
            id: "crm-sync".into(),
            name: "CRM sync".into(),
            owner: "crm-ops".into(),
            severity: Severity::High,
            auth_url: auth_url.parse().expect("test URL"),
            client_id: "abc".into(),
            client_secret: SecretSource::Env("S".into()),
            account_id: None,
            expected_scopes: vec![],
            secret_rotated_at: None,
            secret_expires_at: None,
            depends_on: vec![],
            records_per_hour: None,
            runbook: None,
            probe_every: Duration::from_secs(900),
            recheck_every: Duration::from_secs(120),
            expiry_warn_days: vec![30, 14, 7, 3, 1],
            secret_lifetime_days: 180,
        }
    }

    #[test]
    fn tokens_from_sfmc_auth_hosts_go_only_to_sfmc_rest_hosts_whatever_the_setting() {
        let sfmc = integration("https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/");
        assert_eq!(rest_policy(&sfmc), EndpointPolicy::SfmcOnly);
        // Not SFMC's auth host (allowed on purpose at validation): its REST host is trusted.
        for other in [
            "http://127.0.0.1:8080/",
            "https://proxy.example.com/sfmc/",
            "http://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/",
        ] {
            assert_eq!(
                rest_policy(&integration(other)),
                EndpointPolicy::AnyEndpoint,
                "{other}"
            );
        }
    }

    #[test]
    fn sfmcs_wait_is_honoured_for_every_class_and_capped() {
        let policy = RetryPolicy {
            transient_backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(10),
        };
        for class in OutcomeClass::ALL {
            assert_eq!(
                retry_wait(&policy, class, Some(Duration::from_secs(3))),
                Duration::from_secs(3),
                "{class}"
            );
            assert_eq!(
                retry_wait(&policy, class, Some(Duration::from_secs(3600))),
                Duration::from_secs(10),
                "{class}"
            );
            let unasked = retry_wait(&policy, class, None);
            if class.is_transient() {
                assert_eq!(unasked, Duration::from_secs(1), "{class}");
            } else {
                assert_eq!(unasked, Duration::ZERO, "{class}");
            }
        }
    }
}
