//! Secrets: a value type that never reveals itself, and where a secret comes from.

use std::fmt;
use std::path::PathBuf;

use zeroize::Zeroizing;

/// A client secret or access token. It has no `Display`, its `Debug` is redacted, it is not
/// `Serialize`, and its memory is wiped on drop. The only way to read it is [`Secret::expose`],
/// which is called exactly where the value must go on the wire.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// A secret as stored in an environment variable, a file or Secrets Manager, with any
    /// trailing CR and LF removed: `echo`, editors and `--secret-string file://...` add a line
    /// ending that SFMC would take as part of the secret. Only trailing `\r` and `\n` are
    /// removed; spaces, tabs and everything else are kept (SFMC's own secrets are `[A-Za-z0-9]`).
    pub fn from_stored(value: &str) -> Self {
        Secret::new(value.trim_end_matches(['\r', '\n']))
    }

    /// The raw value. Call only to put it on the wire, or to redact it from text.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Where an integration's client secret is read from (inventory field `client_secret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `{ env: NAME }`: an environment variable of the process that probes (a trailing line
    /// ending is ignored).
    Env(String),
    /// `{ file: PATH }`: a file holding only the secret (a trailing newline is ignored).
    File(PathBuf),
    /// `{ aws_secret: NAME_OR_ARN, key: FIELD }`: AWS Secrets Manager (a trailing line ending of
    /// the value is ignored). Without `key` the whole
    /// secret string is the client secret; with it, the secret is JSON and `key` names the field.
    AwsSecret { id: String, key: Option<String> },
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "environment variable {name}"),
            SecretSource::File(path) => write!(f, "file {}", path.display()),
            SecretSource::AwsSecret { id, key: Some(key) } => {
                write!(f, "Secrets Manager secret {id} (field {key})")
            }
            SecretSource::AwsSecret { id, key: None } => write!(f, "Secrets Manager secret {id}"),
        }
    }
}

/// Why a secret could not be read. The message names the source, never the value.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SecretUnavailable(pub String);

/// Reads secrets from the sources a laptop or CI job has: environment variables and files.
/// (`aws_secret` sources are read by the deployed probe function through Secrets Manager.)
pub fn read_local_secret(source: &SecretSource) -> Result<Secret, SecretUnavailable> {
    let secret = match source {
        SecretSource::Env(name) => match std::env::var(name) {
            Ok(value) => Secret::from_stored(&value),
            Err(std::env::VarError::NotPresent) => {
                return Err(SecretUnavailable(format!(
                    "the client secret should be in environment variable {name}, which is not set"
                )));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(SecretUnavailable(format!(
                    "environment variable {name} does not hold valid UTF-8 text"
                )));
            }
        },
        SecretSource::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => Secret::new(text.trim_end_matches(['\r', '\n']).to_string()),
            Err(err) => {
                return Err(SecretUnavailable(format!(
                    "could not read the client secret from file {}: {}",
                    path.display(),
                    err.kind()
                )));
            }
        },
        SecretSource::AwsSecret { .. } => {
            return Err(SecretUnavailable(format!(
                "the client secret is in {source}; run this check where AWS credentials are set up, \
                 or point client_secret at an env or file source for local checks"
            )));
        }
    };
    if secret.is_empty() {
        return Err(SecretUnavailable(format!(
            "the client secret in {source} is empty"
        )));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
    }

    #[test]
    fn missing_env_names_the_variable_not_a_value() {
        let err = read_local_secret(&SecretSource::Env("CREDWATCH_TEST_SURELY_UNSET_VAR".into()))
            .unwrap_err();
        assert!(err.0.contains("CREDWATCH_TEST_SURELY_UNSET_VAR"), "{err}");
    }

    #[test]
    fn stored_secrets_lose_only_trailing_line_endings() {
        let cases = [
            ("abc123\n", "abc123"),
            ("abc123\r\n", "abc123"),
            ("abc123\n\n\r", "abc123"),
            ("abc123 ", "abc123 "),
            ("abc123\t", "abc123\t"),
            ("abc\n123", "abc\n123"),
            ("\nabc123", "\nabc123"),
            ("abc123", "abc123"),
        ];
        for (stored, sent) in cases {
            assert_eq!(Secret::from_stored(stored).expose(), sent, "{stored:?}");
        }
        assert!(Secret::from_stored("\r\n").is_empty());
    }

    #[test]
    fn file_secret_drops_trailing_newline_and_rejects_empty() {
        let dir = std::env::temp_dir().join(format!("credwatch-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret");
        std::fs::write(&path, "abc123\n").unwrap();
        let s = read_local_secret(&SecretSource::File(path.clone())).unwrap();
        assert_eq!(s.expose(), "abc123");
        std::fs::write(&path, "\n").unwrap();
        let err = read_local_secret(&SecretSource::File(path.clone())).unwrap_err();
        assert!(err.0.contains("empty"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
