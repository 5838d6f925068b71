//! Secrets Manager as a secret source (`client_secret: { aws_secret: NAME_OR_ARN, key: FIELD }`),
//! with a short per-container cache so that a warm Lambda reads each secret once per TTL, and
//! the policy of which secrets a process may read at all ([`SecretPolicy`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::probe::SecretReader;
use crate::secrets::{
    MAX_SECRET_BYTES, Secret, SecretSource, SecretUnavailable, read_local_secret_bounded,
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

/// Which secret sources a process may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPolicy {
    /// Secrets Manager secrets only under this name prefix (e.g. `sfmc/`), checked on the
    /// secret's name (an ARN is checked on the name inside it); `None`: any secret.
    pub prefix: Option<String>,
    /// Whether `env` and `file` sources may be read: on a laptop or in CI, never when deployed
    /// (a row saying `{ env: AWS_SECRET_ACCESS_KEY }` must not make the probe send that).
    pub local_sources: bool,
}

impl SecretPolicy {
    /// The local CLI: every source, any secret name.
    pub fn local() -> Self {
        SecretPolicy {
            prefix: None,
            local_sources: true,
        }
    }

    /// A deployed function: Secrets Manager only, only under `prefix`.
    pub fn deployed(prefix: impl Into<String>) -> Self {
        SecretPolicy {
            prefix: Some(prefix.into()),
            local_sources: false,
        }
    }

    /// Why `source` may not be read under this policy; `None` when it may.
    pub fn refusal(&self, source: &SecretSource) -> Option<SecretUnavailable> {
        let prefix = self.prefix.as_deref().unwrap_or("");
        match source {
            SecretSource::Env(_) | SecretSource::File(_) if !self.local_sources => {
                Some(SecretUnavailable(format!(
                    "the client secret is in {source}, but env and file sources are for the local \
                     CLI; store the secret in Secrets Manager under {prefix} and point \
                     client_secret at it ({{ aws_secret: {prefix}<name> }})"
                )))
            }
            SecretSource::AwsSecret { id, .. } if !is_under_prefix(id, prefix) => {
                Some(SecretUnavailable(format!(
                    "Secrets Manager secret {id} is outside {prefix}, the only prefix this \
                     deployment may read; move the secret under {prefix} and update client_secret"
                )))
            }
            _ => None,
        }
    }
}

/// The name of a secret given as a name or an ARN. A full ARN
/// (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX`) ends in a 6-character suffix
/// Secrets Manager adds to the name; it is dropped. A partial ARN (no suffix) whose name itself
/// ends in `-` and 6 letters or digits loses those too: only ever a shorter name, so a prefix
/// check on the result is never more permissive than on the real name.
pub fn secret_name(id: &str) -> &str {
    // Only a Secrets Manager secret ARN has a name inside; any other ARN is taken whole (and so
    // is under no prefix that does not start with `arn:`).
    let service = id.split(':').nth(2);
    let Some(with_suffix) = arn_name(id).filter(|_| service == Some("secretsmanager")) else {
        return id;
    };
    match with_suffix.rsplit_once('-') {
        Some((name, suffix))
            if suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            name
        }
        _ => with_suffix,
    }
}

/// Whether the secret `id` (a name or an ARN) names a secret under `prefix`.
pub fn is_under_prefix(id: &str, prefix: &str) -> bool {
    secret_name(id).starts_with(prefix)
}

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

/// Whether two ways of naming a secret (a name or an ARN) name the same secret. An ARN ends in
/// `:secret:NAME-xxxxxx`, where Secrets Manager adds the 6-character suffix to the name.
pub fn secret_ids_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (arn_name(a), arn_name(b)) {
        (Some(x), Some(y)) => x == y,
        (Some(with_suffix), None) => name_matches_arn_name(b, with_suffix),
        (None, Some(with_suffix)) => name_matches_arn_name(a, with_suffix),
        (None, None) => false,
    }
}

fn arn_name(id: &str) -> Option<&str> {
    if !id.starts_with("arn:") {
        return None;
    }
    id.split_once(":secret:").map(|(_, name)| name)
}

fn name_matches_arn_name(name: &str, arn_name: &str) -> bool {
    arn_name == name
        || arn_name
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|suffix| {
                suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric())
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns_match_each_other() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfmc/crm-sync-a1B2c3";
        assert!(secret_ids_match("sfmc/crm-sync", arn));
        assert!(secret_ids_match(arn, "sfmc/crm-sync"));
        assert!(secret_ids_match(arn, arn));
        assert!(
            !secret_ids_match("sfmc/crm", arn),
            "a prefix of the name is another secret"
        );
        assert!(!secret_ids_match("sfmc/crm-sync-other", "sfmc/crm-sync"));
        let partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfmc/crm-sync";
        assert!(secret_ids_match(partial, "sfmc/crm-sync"));
    }

    #[test]
    fn arns_are_checked_on_the_secret_name() {
        let arn =
            |name: &str| format!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}");
        assert_eq!(secret_name("sfmc/crm-sync"), "sfmc/crm-sync");
        assert_eq!(secret_name(&arn("sfmc/crm-sync-a1B2c3")), "sfmc/crm-sync");
        assert_eq!(
            secret_name(&arn("sfmc/crm-sync")),
            "sfmc/crm-sync",
            "partial ARN"
        );
        assert!(is_under_prefix(&arn("sfmc/crm-ops/sync-a1B2c3"), "sfmc/"));
        assert!(!is_under_prefix(&arn("other/sync-a1B2c3"), "sfmc/"));
        assert!(!is_under_prefix("other/sfmc/x", "sfmc/"));
        assert!(
            !is_under_prefix("arn:aws:s3:::bucket:secret:sfmc/x-AbC123", "sfmc/"),
            "not a Secrets Manager ARN"
        );
        // The suffix never counts towards the prefix: name "sfmc/a" is not under "sfmc/a-".
        assert!(!is_under_prefix(&arn("sfmc/a-b1C2d3"), "sfmc/a-"));
        assert!(
            is_under_prefix("sfmc/a-b1C2d3", "sfmc/a-"),
            "a name is taken as written"
        );
    }

    #[test]
    fn a_deployed_policy_refuses_local_sources_and_foreign_secrets() {
        let deployed = SecretPolicy::deployed("sfmc/");
        let env = SecretSource::Env("AWS_SECRET_ACCESS_KEY".into());
        let file = SecretSource::File("/proc/self/environ".into());
        for source in [&env, &file] {
            let why = deployed.refusal(source).expect("refused").0;
            assert!(why.contains("local") && why.contains("sfmc/"), "{why}");
        }
        let foreign = SecretSource::AwsSecret {
            id: "arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/stripe-AbC123"
                .into(),
            key: None,
        };
        assert!(
            deployed
                .refusal(&foreign)
                .unwrap()
                .0
                .contains("outside sfmc/")
        );
        let own = SecretSource::AwsSecret {
            id: "sfmc/crm-sync".into(),
            key: None,
        };
        assert!(deployed.refusal(&own).is_none());
        let local = SecretPolicy::local();
        for source in [&env, &file, &foreign, &own] {
            assert!(local.refusal(source).is_none());
        }
    }

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
