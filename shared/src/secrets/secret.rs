//! The [`Secret`] value type: a client secret or access token that never reveals itself.

use std::fmt;

use zeroize::Zeroizing;

/// A client secret or access token. It has no `Display`, its `Debug` is redacted, it is not
/// `Serialize`, and its memory is wiped on drop. The only way to read it is [`Secret::expose`],
/// which is called exactly where the value must go on the wire.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps `value` as it is, byte for byte (see [`Secret::from_stored`] for stored values).
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

    /// Whether the value is empty or only whitespace (never a usable client secret).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
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
}
