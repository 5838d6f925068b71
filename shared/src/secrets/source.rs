//! [`SecretSource`]: where an integration's client secret is read from (inventory field
//! `client_secret`).

use std::fmt;
use std::path::PathBuf;

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
    AwsSecret {
        /// The secret's name or ARN, as written in the inventory.
        id: String,
        /// The field of a JSON secret that holds the client secret; `None`: the whole string.
        key: Option<String>,
    },
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
