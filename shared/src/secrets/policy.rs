//! [`SecretPolicy`]: which secret sources a process may read at all (a deployed function reads
//! only Secrets Manager secrets under its prefix; the local CLI reads every source).

use super::{SecretSource, SecretUnavailable, is_under_prefix};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
