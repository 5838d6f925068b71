//! Ingest tokens: the bearer credentials reporters send to the ingest function's URL
//! (`Authorization: Bearer cwi_…`). credwatch prints a token once, when it is created, and keeps
//! only its SHA-256 hash ([`crate::domain::passive::IngestToken`]); the ingest function hashes
//! what it receives and looks the hash up.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::Secret;

/// What every ingest token starts with, so that one pasted somewhere is recognisable (and a
/// secret scanner can be told about it).
pub const INGEST_TOKEN_PREFIX: &str = "cwi_";

/// Random bytes in a token: 256 bits, beyond any guessing.
pub const INGEST_TOKEN_BYTES: usize = 32;

/// Characters of a token's hash shown to name it (`credwatch ingest token list`).
pub const SHORT_ID_CHARS: usize = 8;

/// A new token: [`INGEST_TOKEN_PREFIX`] and [`INGEST_TOKEN_BYTES`] bytes from the operating
/// system's CSPRNG in base64url without padding (47 characters in all). Errors only when the
/// operating system cannot give random bytes.
pub fn draw_ingest_token() -> Result<Secret, getrandom::Error> {
    let mut bytes = zeroize::Zeroizing::new([0u8; INGEST_TOKEN_BYTES]);
    getrandom::fill(bytes.as_mut())?;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref());
    Ok(Secret::new(format!("{INGEST_TOKEN_PREFIX}{encoded}")))
}

/// Lowercase hex SHA-256 of `token` as sent (the text after `Bearer `): what the table keeps.
pub fn ingest_token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The short id of a token (the first [`SHORT_ID_CHARS`] hex digits of its hash): enough to
/// tell an integration's tokens apart, useless for guessing one.
pub fn short_id(hash: &str) -> &str {
    hash.get(..SHORT_ID_CHARS).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_the_prefix_and_32_random_bytes_in_base64url() {
        let token = draw_ingest_token().expect("the OS gives random bytes");
        let text = token.expose();
        let encoded = text.strip_prefix(INGEST_TOKEN_PREFIX).expect("prefixed");
        assert_eq!(
            encoded.len(),
            43,
            "32 bytes are 43 base64 characters unpadded"
        );
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "base64url alphabet only: {encoded}"
        );
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .expect("decodes");
        assert_eq!(bytes.len(), INGEST_TOKEN_BYTES);
        let other = draw_ingest_token().expect("the OS gives random bytes");
        assert_ne!(text, other.expose(), "two draws differ");
    }

    #[test]
    fn the_hash_is_sha256_hex() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            ingest_token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(short_id(&ingest_token_hash("abc")), "ba7816bf");
        assert_eq!(short_id("abc"), "abc");
    }
}
