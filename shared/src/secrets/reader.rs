//! The reader port: [`SecretReader`] reads a [`SecretSource`], or says why it could not
//! ([`SecretUnavailable`]). Adapters: [`super::LocalSecrets`] (env and file) and
//! [`super::aws::AwsSecrets`] (Secrets Manager, cached).

use std::future::Future;

use super::{Secret, SecretSource};

/// Why a secret could not be read. The message names the source, never the value.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SecretUnavailable(pub String);

/// Reads an integration's client secret from its source. The CLI reads env and file sources;
/// the probe function adds Secrets Manager.
pub trait SecretReader: Send + Sync {
    /// Reads the secret `source` names (from a cache, where the reader keeps one).
    ///
    /// # Errors
    /// [`SecretUnavailable`] naming the source and what went wrong, never the value.
    fn read(
        &self,
        source: &SecretSource,
    ) -> impl Future<Output = Result<Secret, SecretUnavailable>> + Send;

    /// Reads the secret past any cache (and refreshes the cache): to verify a rotation and to
    /// confirm a credential failure with the value the source holds now. Readers without a
    /// cache read as [`SecretReader::read`].
    ///
    /// # Errors
    /// As [`SecretReader::read`].
    fn read_fresh(
        &self,
        source: &SecretSource,
    ) -> impl Future<Output = Result<Secret, SecretUnavailable>> + Send {
        self.read(source)
    }

    /// Forgets any cached value of the secret `secret_id` names (it just changed).
    fn invalidate(&self, _secret_id: &str) {}
}
