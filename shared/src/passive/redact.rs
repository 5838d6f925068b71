//! Reported text made safe to keep: the codebase's scrubbers (`sfmc::sanitize` for token-like
//! words, `Bearer x` and control characters; `notify::scrub`'s webhook-URL test), plus values
//! written after a credential-like name (`client_secret=...`, `"password": "..."`,
//! `Authorization: Basic ...`), then a length cap.

use crate::notify::scrub::{REDACTED_WEBHOOK, is_webhook_url};
use crate::sfmc::sanitize::{looks_like_token, sanitize_uncapped};

const REDACTED: &str = "[redacted]";

/// Longest raw text looked at, in bytes, before redaction (bounds time on hostile input). The
/// cut falls on a space, so no half-word (a token cut short) survives it.
const MAX_SCANNED_BYTES: usize = 16 * 1024;

/// Names whose value is a credential when written `name=value` or `name: value` (lower case,
/// matched inside a word: `client_secret`, `x-api-key`, `access_token`).
const SECRET_NAMES: [&str; 9] = [
    "secret",
    "token",
    "password",
    "passwd",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "api-key",
];

/// `text` redacted and cut to `max_chars` characters (with `…` when cut): known token shapes
/// (JWTs, long letter-and-digit runs, `Bearer x`, `Basic x`), webhook URLs, and the value after a
/// credential-like name are replaced by `[redacted]`; control characters become spaces.
/// Never fails; an empty result stays empty.
pub fn redact_message(text: &str, max_chars: usize) -> String {
    let text = unescaped(bounded(text));
    let cleaned = sanitize_uncapped(&text, &[]);
    let mut out: Vec<String> = Vec::new();
    let mut redact_next = false;
    for word in cleaned.split(' ') {
        if redact_next && !word.is_empty() {
            out.push(REDACTED.to_string());
            // `Authorization: Basic abc`: the scheme, then its credential.
            redact_next = is_auth_scheme(word);
            continue;
        }
        if is_webhook_url(word) {
            out.push(REDACTED_WEBHOOK.to_string());
            continue;
        }
        let (kept, dangling) = after_secret_name(word);
        redact_next = dangling || is_auth_scheme(word);
        out.push(without_token_core(&kept));
    }
    cap(out.join(" ").trim(), max_chars)
}

/// Text to echo in an error: redacted, escaped (`\n`, `\"`, `\u{..}`), capped at 40 characters.
pub(crate) fn echo(text: &str) -> String {
    let redacted = redact_message(text, 40);
    let escaped: String = redacted.chars().flat_map(char::escape_debug).collect();
    cap(&escaped, 60)
}

/// `text` cut to at most `max_chars` characters, `…` marking a cut.
pub(crate) fn cap(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => {
            let cut: String = text[..at]
                .chars()
                .take(max_chars.saturating_sub(1))
                .collect();
            format!("{cut}…")
        }
        None => text.to_string(),
    }
}

fn bounded(text: &str) -> &str {
    if text.len() <= MAX_SCANNED_BYTES {
        return text;
    }
    let mut end = MAX_SCANNED_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    // Drop the last, possibly cut, word.
    match head.rfind(char::is_whitespace) {
        Some(at) => &head[..at],
        None => "",
    }
}

/// Reported text with the escapes that hide a secret from word-by-word redaction undone: JSON
/// string escapes (`{\"client_secret\":\"...\"}` logged as a string), percent-encoding
/// (`client_secret%3D...` of a logged form body), and spaces before a `:` or `=`
/// (`"client_secret" : "..."`, Jackson's pretty printer; `password = ...`).
fn unescaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("\\\"") || rest.starts_with("\\/") || rest.starts_with("\\\\") {
            out.push(char::from(bytes[i + 1]));
            i += 2;
            continue;
        }
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
            && (0x20..0x7f).contains(&byte)
        {
            out.push(char::from(byte));
            i += 3;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        i += c.len_utf8();
    }
    let mut tight = String::with_capacity(out.len());
    for c in out.chars() {
        if matches!(c, ':' | '=') {
            while tight.ends_with(' ') {
                tight.pop();
            }
        }
        tight.push(c);
    }
    tight
}

/// `word` with its core (the word without surrounding quotes, brackets and punctuation)
/// replaced when the core looks like a token: a JWT or key glued to JSON punctuation
/// (`eyJ...abc"}`) is still a token.
fn without_token_core(word: &str) -> String {
    let keep =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '~' | '+' | '/');
    let Some(start) = word.find(keep) else {
        return word.to_string();
    };
    let end = word.rfind(keep).map_or(word.len(), |at| at + 1);
    let core = &word[start..end];
    if core != REDACTED.trim_matches(['[', ']']) && looks_like_token(core) {
        format!("{}{REDACTED}{}", &word[..start], &word[end..])
    } else {
        word.to_string()
    }
}

/// `Bearer`, `Basic`, `Digest`: the next word is a credential.
fn is_auth_scheme(word: &str) -> bool {
    let core = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    ["bearer", "basic", "digest"]
        .iter()
        .any(|scheme| core.eq_ignore_ascii_case(scheme))
        && !word.contains(['=', ':'])
}

/// The word with whatever follows a credential-like name and `=`/`:` replaced, and whether the
/// word ends right after such a name (`client_secret:`), so the value is the next word.
fn after_secret_name(word: &str) -> (String, bool) {
    let lower = word.to_ascii_lowercase();
    let mut search = 0;
    while let Some(found) = SECRET_NAMES
        .iter()
        .filter_map(|name| {
            lower[search..]
                .find(name)
                .map(|at| (search + at, name.len()))
        })
        .min()
    {
        let (at, len) = found;
        let mut end = at + len;
        // The rest of the name (`_id`, `_age_secs`, quotes) up to a separator.
        let rest = &lower[end..];
        let name_tail = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '"' || c == '\'')
            })
            .unwrap_or(rest.len());
        end += name_tail;
        let name = &lower[at..end];
        let is_id_like =
            name.contains("_id") || name.contains("age_secs") || name.contains("_type");
        let separator = lower[end..].chars().next();
        if matches!(separator, Some('=') | Some(':')) && !is_id_like {
            let value_start = end + 1;
            let value = &word[value_start..];
            let value_core = value.trim_start_matches(['"', '\'', ' ']);
            if value_core
                .trim_end_matches(['"', '\'', ',', '}', ';'])
                .is_empty()
            {
                return (word.to_string(), true);
            }
            let quote = &value[..value.len() - value_core.len()];
            let closing: String = value_core
                .chars()
                .rev()
                .take_while(|c| matches!(c, '"' | '\'' | ',' | '}' | ';'))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            // `"Authorization":"Bearer` then the credential as the next word.
            let scheme = is_auth_scheme(value_core.trim_end_matches(['"', '\'', ',', '}', ';']));
            return (
                format!("{}{quote}{REDACTED}{closing}", &word[..value_start]),
                scheme,
            );
        }
        // Names are 5+ bytes: `end` is past `at`, so the search always moves on.
        search = end;
        if search >= lower.len() {
            break;
        }
    }
    (word.to_string(), false)
}

#[cfg(test)]
mod tests {
    use super::{MAX_SCANNED_BYTES, bounded, redact_message, unescaped, without_token_core};

    #[test]
    fn escapes_that_hide_a_secret_are_undone() {
        assert_eq!(
            unescaped(r#"{\"client_secret\":\"a\/b\\c\"}"#),
            r#"{"client_secret":"a/b\c"}"#
        );
        assert_eq!(
            unescaped("client_secret%3Dabc%2Fd%zz%0A"),
            "client_secret=abc/d%zz%0A"
        );
        assert_eq!(
            unescaped("password  = x, \"k\" : v"),
            "password= x, \"k\": v"
        );
        assert_eq!(unescaped("é%3D\\\""), "é=\"");
    }

    #[test]
    fn a_token_glued_to_punctuation_is_replaced_and_the_punctuation_kept() {
        let token = "AbC123xYz456QwE789rTy012";
        assert_eq!(
            without_token_core(&format!("\"{token}\"}},")),
            "\"[redacted]\"},"
        );
        assert_eq!(without_token_core(token), "[redacted]");
        assert_eq!(without_token_core("[redacted],"), "[redacted],");
        assert_eq!(without_token_core("\"hello\","), "\"hello\",");
        assert_eq!(without_token_core("{}"), "{}");
    }

    #[test]
    fn a_long_text_is_cut_on_a_character_and_a_word() {
        let short = "a b";
        assert_eq!(bounded(short), short);
        // The limit falls inside 'é': the cut word goes, whole words stay.
        let long = format!("{}xé tail", "a ".repeat((MAX_SCANNED_BYTES - 2) / 2));
        let cut = bounded(&long);
        assert!(cut.len() < MAX_SCANNED_BYTES);
        assert!(cut.ends_with('a'), "{}", &cut[cut.len() - 4..]);
        assert!(!cut.contains('x'));
        assert_eq!(bounded(&"x".repeat(MAX_SCANNED_BYTES + 1)), "");
    }

    #[test]
    fn values_after_secret_names_in_every_spelling() {
        for (text, kept) in [
            ("secret-v2=hunter", "secret-v2=[redacted]"),
            ("'password'='hunter2'", "'password'='[redacted]'"),
            ("\"password\"=\"hunter2\"", "\"password\"=\"[redacted]\""),
            ("password=\"'x'\"", "password=\"'[redacted]'\""),
            (
                "token-less,password=hunter2",
                "token-less,password=[redacted]",
            ),
            // Names of ids, ages and types are not credentials.
            ("token_age_secs=1070", "token_age_secs=1070"),
            ("token_type=Bearer", "token_type=Bearer"),
            ("secret_id=42", "secret_id=42"),
        ] {
            assert_eq!(redact_message(text, 200), kept, "{text}");
        }
    }
}
