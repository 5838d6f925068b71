//! Makes SFMC's error text safe to show, store and send: bounded, printable, and with anything
//! that looks like a credential replaced.

use crate::secret::Secret;

/// Longest SFMC text we keep, in characters. Enough for every documented message.
pub const MAX_SFMC_TEXT_CHARS: usize = 300;

const REDACTED: &str = "[redacted]";

/// Returns `text` cut to [`MAX_SFMC_TEXT_CHARS`], with control characters removed, the given
/// known secrets replaced, and token-like words (long mixed letter/digit runs, `Bearer x`)
/// replaced. Used on every piece of text that came from the network.
pub fn sanitize(text: &str, known_secrets: &[&Secret]) -> String {
    let mut text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    for secret in known_secrets {
        let value = secret.expose();
        if value.len() >= 4 {
            text = text.replace(value, REDACTED);
        }
    }
    let mut out = Vec::new();
    let mut redact_next = false;
    for word in text.split(' ') {
        if redact_next && !word.is_empty() {
            out.push(REDACTED.to_string());
            redact_next = false;
            continue;
        }
        redact_next = word.eq_ignore_ascii_case("bearer");
        out.push(if looks_like_token(word) {
            REDACTED.to_string()
        } else {
            word.to_string()
        });
    }
    let joined = out.join(" ");
    let trimmed = joined.trim();
    if trimmed.chars().count() > MAX_SFMC_TEXT_CHARS {
        let cut: String = trimmed.chars().take(MAX_SFMC_TEXT_CHARS).collect();
        format!("{cut}…")
    } else {
        trimmed.to_string()
    }
}

/// A word that could be a secret or a token: 20+ characters of token alphabet, with both letters
/// and digits, and not a URL (SFMC's messages carry documentation links we want to keep).
fn looks_like_token(word: &str) -> bool {
    let core = word.trim_matches(|c: char| "\"'`()[]{}<>,;:".contains(c));
    if core.starts_with("http://") || core.starts_with("https://") {
        return false;
    }
    let token_alphabet = |c: char| c.is_ascii_alphanumeric() || "-_.+/=~".contains(c);
    core.len() >= 20
        && core.chars().all(token_alphabet)
        && core.chars().any(|c| c.is_ascii_digit())
        && core.chars().any(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sfmc_documented_messages_intact() {
        let text = "Client authentication failed. Make sure that the client ID and client secret are valid and that the package is installed and enabled.";
        assert_eq!(sanitize(text, &[]), text);
        let link = "see https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm";
        assert_eq!(sanitize(link, &[]), link);
    }

    #[test]
    fn removes_known_secrets_and_token_like_words() {
        let secret = Secret::new("s3cr3tValue");
        let out = sanitize(
            "bad secret s3cr3tValue and token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc123 Bearer abc",
            &[&secret],
        );
        assert!(!out.contains("s3cr3tValue"), "{out}");
        assert!(!out.contains("eyJhbGci"), "{out}");
        assert!(!out.contains("abc"), "{out}");
        assert!(out.contains("[redacted]"));
    }

    #[test]
    fn bounds_length_and_strips_control_characters() {
        let long = "x ".repeat(1000);
        assert!(sanitize(&long, &[]).chars().count() <= MAX_SFMC_TEXT_CHARS + 1);
        assert_eq!(sanitize("a\nb\u{7}c", &[]), "a b c");
    }
}
