//! Secrets: a value type that never reveals itself, and where a secret comes from.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// The longest client secret credwatch reads, in bytes. SFMC client secrets are a few dozen
/// characters; anything longer than this is not one (a log file, a device, a wrong path).
pub const MAX_SECRET_BYTES: usize = 4 * 1024;

/// How long reading one local secret may take before it is given up as unavailable.
pub const SECRET_READ_TIMEOUT: Duration = Duration::from_secs(5);

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
        SecretSource::File(path) => read_secret_file(path)?,
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
    if secret.expose().len() > MAX_SECRET_BYTES {
        return Err(too_large(source));
    }
    Ok(secret)
}

/// [`read_local_secret`] off the async runtime (a blocking thread) and within
/// [`SECRET_READ_TIMEOUT`], so a slow or stuck source never stalls other probes.
pub async fn read_local_secret_bounded(source: &SecretSource) -> Result<Secret, SecretUnavailable> {
    let owned = source.clone();
    let read = tokio::task::spawn_blocking(move || read_local_secret(&owned));
    match tokio::time::timeout(SECRET_READ_TIMEOUT, read).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(SecretUnavailable(format!(
            "reading the client secret from {source} failed unexpectedly"
        ))),
        Err(_) => Err(SecretUnavailable(format!(
            "reading the client secret from {source} took longer than {} s; gave up",
            SECRET_READ_TIMEOUT.as_secs()
        ))),
    }
}

fn too_large(source: &SecretSource) -> SecretUnavailable {
    SecretUnavailable(format!(
        "{source} holds more than {MAX_SECRET_BYTES} bytes, which is not a client secret; \
         point client_secret at the secret alone"
    ))
}

/// Reads a secret file: only a regular file (a FIFO, device or directory is refused before it
/// is read), opened without blocking, and at most [`MAX_SECRET_BYTES`] + 1 bytes of it.
fn read_secret_file(path: &Path) -> Result<Secret, SecretUnavailable> {
    let source = || SecretSource::File(path.to_path_buf());
    let failed = |what: String| {
        SecretUnavailable(format!(
            "could not read the client secret from file {}: {what}",
            path.display()
        ))
    };
    let not_regular = || failed("it is not a regular file (a pipe, device or directory)".into());
    let metadata = std::fs::metadata(path).map_err(|err| failed(err.kind().to_string()))?;
    if !metadata.is_file() {
        return Err(not_regular());
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Non-blocking open: if the path became a FIFO after the check, opening it must not wait
    // for a writer.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options
        .open(path)
        .map_err(|err| failed(err.kind().to_string()))?;
    // What was opened is what counts (the path may have been swapped after the first check).
    if !file
        .metadata()
        .map_err(|err| failed(err.kind().to_string()))?
        .is_file()
    {
        return Err(not_regular());
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(64));
    file.take(MAX_SECRET_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| failed(err.kind().to_string()))?;
    if bytes.len() > MAX_SECRET_BYTES {
        return Err(too_large(&source()));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| failed("it is not UTF-8 text".into()))?;
    Ok(Secret::new(text.trim_end_matches(['\r', '\n']).to_string()))
}

pub mod aws;
pub mod fingerprint;

pub use fingerprint::secret_fingerprint;

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

    /// Each of these gives `secret_unavailable` at once: a FIFO no one writes to (opening it
    /// would wait forever), endless devices, a directory, and a 10 MB file (never read whole).
    #[tokio::test(flavor = "multi_thread")]
    async fn files_that_are_not_small_regular_files_are_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("credwatch-hostile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        let huge = dir.join("huge");
        std::fs::write(&huge, vec![b'a'; 10 * 1024 * 1024]).unwrap();
        let cases = [
            (fifo.clone(), "not a regular file"),
            (PathBuf::from("/dev/zero"), "not a regular file"),
            (PathBuf::from("/dev/urandom"), "not a regular file"),
            (dir.clone(), "not a regular file"),
            (huge.clone(), "more than 4096 bytes"),
        ];
        for (path, why) in cases {
            let source = SecretSource::File(path.clone());
            let err = read_local_secret_bounded(&source).await.unwrap_err();
            assert!(err.0.contains(why), "{}: {err}", path.display());
            assert!(err.0.contains(&path.display().to_string()), "{err}");
        }
        // Exactly at the cap is still a secret.
        let at_cap = dir.join("at-cap");
        std::fs::write(&at_cap, vec![b'k'; MAX_SECRET_BYTES]).unwrap();
        let secret = read_local_secret_bounded(&SecretSource::File(at_cap))
            .await
            .unwrap();
        assert_eq!(secret.expose().len(), MAX_SECRET_BYTES);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn an_oversized_environment_value_is_refused() {
        // A variable this process sets for itself and no other test reads.
        let name = "CREDWATCH_TEST_OVERSIZED_SECRET";
        // SAFETY: set once, before any thread of this test reads the environment.
        unsafe { std::env::set_var(name, "x".repeat(MAX_SECRET_BYTES + 1)) };
        let err = read_local_secret_bounded(&SecretSource::Env(name.into()))
            .await
            .unwrap_err();
        assert!(err.0.contains("more than 4096 bytes"), "{err}");
        assert!(!err.0.contains("xxxx"), "the value is never echoed");
    }
}
