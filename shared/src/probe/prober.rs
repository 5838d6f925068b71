//! [`Prober`]: probes one integration, with its retry or confirmation, and refuses an
//! `auth_url` this process may not send a secret to.

use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::RetryPolicy;
use super::attempt::{Attempt, assess, network, outcome, with_fingerprint};
use super::retry::retry_wait;
use crate::domain::outcome::{Kind, OutcomeClass, ProbeOutcome};
use crate::inventory::{Integration, is_sfmc_auth_url, lookalike_refusal, userinfo_refusal};
use crate::secrets::{LocalSecrets, Secret, SecretReader, SecretSource, SecretUnavailable};
use crate::sfmc::classify::{classify_context_answer, classify_token_answer, scope_diff};
use crate::sfmc::{EndpointPolicy, Failure, SfmcClient};

/// Probes integrations with one SFMC client and one retry policy.
#[derive(Clone)]
pub struct Prober {
    client: SfmcClient,
    retry: RetryPolicy,
}

impl Prober {
    /// A prober sending its requests with `client` and retrying by `retry`.
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
    pub(super) fn endpoint_refused(integration: &Integration, why: &str) -> ProbeOutcome {
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
    pub(super) async fn probe_gated<R: SecretReader>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::test_support::integration;

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
}
