//! Secrets Manager as a secret source (`client_secret: { aws_secret: NAME_OR_ARN, key: FIELD }`),
//! with a short per-container cache so that a warm Lambda reads each secret once per TTL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::probe::SecretReader;
use crate::secret::{Secret, SecretSource, SecretUnavailable, read_local_secret};

/// How long a secret read from Secrets Manager is reused. Short, so a rotation is picked up
/// within minutes even if its change event is missed.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

/// Reads `aws_secret` sources from Secrets Manager and `env` / `file` sources locally.
pub struct AwsSecrets {
    client: aws_sdk_secretsmanager::Client,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Secret)>>,
}

impl AwsSecrets {
    pub fn new(client: aws_sdk_secretsmanager::Client, ttl: Duration) -> Self {
        AwsSecrets {
            client,
            ttl,
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

    async fn secret_string(&self, id: &str) -> Result<Secret, SecretUnavailable> {
        if let Some(secret) = self.cached(id) {
            return Ok(secret);
        }
        let response = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
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
        let SecretSource::AwsSecret { id, key } = source else {
            return read_local_secret(source);
        };
        let whole = self.secret_string(id).await?;
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
