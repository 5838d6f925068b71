//! Secrets Manager as a secret source (`client_secret: { aws_secret: NAME_OR_ARN, key: FIELD }`),
//! with a short per-container cache so that a warm Lambda reads each secret once per TTL, under
//! a [`SecretPolicy`] of which secrets the process may read at all.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{
    MAX_SECRET_BYTES, Secret, SecretPolicy, SecretReader, SecretSource, SecretUnavailable,
    read_local_secret_bounded, secret_ids_match,
};

/// How long a secret read from Secrets Manager is reused. Short, so a rotation is picked up
/// within minutes even if its change event is missed.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

/// The largest secret string read from Secrets Manager, in bytes: the service's own limit
/// (64 KiB, "SecretString" in the GetSecretValue reference), enforced again here so a
/// misbehaving endpoint cannot hand us more. The client secret taken from it is at most
/// [`MAX_SECRET_BYTES`].
pub const MAX_SECRET_STRING_BYTES: usize = 64 * 1024;

/// How long one GetSecretValue may take before the secret counts as unavailable.
pub const SECRETS_MANAGER_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads `aws_secret` sources from Secrets Manager and, where the policy allows, `env` / `file`
/// sources locally.
pub struct AwsSecrets {
    client: aws_sdk_secretsmanager::Client,
    ttl: Duration,
    policy: SecretPolicy,
    cache: Mutex<HashMap<String, (Instant, Secret)>>,
}

impl AwsSecrets {
    /// Every source, any secret name ([`SecretPolicy::local`]): the local CLI.
    pub fn new(client: aws_sdk_secretsmanager::Client, ttl: Duration) -> Self {
        AwsSecrets::with_policy(client, ttl, SecretPolicy::local())
    }

    /// Only what `policy` allows; anything else is `secret_unavailable` without a request.
    pub fn with_policy(
        client: aws_sdk_secretsmanager::Client,
        ttl: Duration,
        policy: SecretPolicy,
    ) -> Self {
        AwsSecrets {
            client,
            ttl,
            policy,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, id: &str) -> Option<Secret> {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .get(id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, secret)| secret.clone())
    }

    async fn secret_string(&self, id: &str, use_cache: bool) -> Result<Secret, SecretUnavailable> {
        if let Some(secret) = self.cached(id).filter(|_| use_cache) {
            return Ok(secret);
        }
        let request = self.client.get_secret_value().secret_id(id).send();
        let response = tokio::time::timeout(SECRETS_MANAGER_TIMEOUT, request)
            .await
            .map_err(|_| {
                SecretUnavailable(format!(
                    "Secrets Manager did not answer for secret {id} within {} s",
                    SECRETS_MANAGER_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|err| {
                // AWS's code and reason (they name the secret, never the value), in one line.
                SecretUnavailable(format!(
                    "could not read Secrets Manager secret {id}: {}",
                    crate::aws_error::describe(&err)
                ))
            })?;
        let Some(text) = response.secret_string() else {
            return Err(SecretUnavailable(format!(
                "Secrets Manager secret {id} holds binary data; store the client secret as a string"
            )));
        };
        if text.len() > MAX_SECRET_STRING_BYTES {
            return Err(SecretUnavailable(format!(
                "Secrets Manager secret {id} holds more than {MAX_SECRET_STRING_BYTES} bytes; \
                 not read"
            )));
        }
        let secret = Secret::new(text);
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.insert(id.to_string(), (Instant::now(), secret.clone()));
        Ok(secret)
    }
}

impl SecretReader for AwsSecrets {
    /// Drops cached values of the secrets that `changed_id` names (after a rotation event).
    fn invalidate(&self, changed_id: &str) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.retain(|id, _| !secret_ids_match(id, changed_id));
    }

    async fn read(&self, source: &SecretSource) -> Result<Secret, SecretUnavailable> {
        self.read_with(source, true).await
    }

    async fn read_fresh(&self, source: &SecretSource) -> Result<Secret, SecretUnavailable> {
        self.read_with(source, false).await
    }
}

impl AwsSecrets {
    /// Reads `source` if the policy allows it; `use_cache: false` goes to Secrets Manager
    /// (and refreshes the cache).
    async fn read_with(
        &self,
        source: &SecretSource,
        use_cache: bool,
    ) -> Result<Secret, SecretUnavailable> {
        if let Some(refused) = self.policy.refusal(source) {
            return Err(refused);
        }
        let SecretSource::AwsSecret { id, key } = source else {
            return read_local_secret_bounded(source).await;
        };
        let whole = self.secret_string(id, use_cache).await?;
        let secret = match key {
            None => Secret::from_stored(whole.expose()),
            Some(key) => field_of(&whole, key)
                .map(|field| Secret::from_stored(field.expose()))
                .map_err(|why| SecretUnavailable(format!("Secrets Manager secret {id}: {why}")))?,
        };
        if secret.is_empty() {
            return Err(SecretUnavailable(format!(
                "the client secret in {source} is empty"
            )));
        }
        if secret.expose().len() > MAX_SECRET_BYTES {
            return Err(SecretUnavailable(format!(
                "the client secret in {source} is longer than {MAX_SECRET_BYTES} bytes, which is \
                 not an SFMC client secret"
            )));
        }
        Ok(secret)
    }
}

/// The string field `key` of a JSON secret. Errors describe the shape, never the content.
fn field_of(whole: &Secret, key: &str) -> Result<Secret, String> {
    let json: serde_json::Value = serde_json::from_str(whole.expose())
        .map_err(|_| format!("is not JSON, so it has no field {key}"))?;
    match json.get(key) {
        Some(serde_json::Value::String(value)) => Ok(Secret::new(value.clone())),
        Some(_) => Err(format!("field {key} is not a string")),
        None => {
            let fields: Vec<&str> = json
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            Err(format!(
                "has no field {key} (fields: {})",
                fields.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_are_read_without_revealing_values() {
        let whole = Secret::new(r#"{"client_secret":"abc","other":1}"#);
        assert_eq!(field_of(&whole, "client_secret").unwrap().expose(), "abc");
        let err = field_of(&whole, "missing").unwrap_err();
        assert!(
            err.contains("client_secret") && !err.contains("abc"),
            "{err}"
        );
        assert!(
            field_of(&whole, "other")
                .unwrap_err()
                .contains("not a string")
        );
        assert!(
            !field_of(&Secret::new("plain-secret-value"), "k")
                .unwrap_err()
                .contains("plain-secret")
        );
    }
}
