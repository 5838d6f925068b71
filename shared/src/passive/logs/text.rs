//! Reading SFMC's fields out of log text: `key: value` pairs in JSON, Python repr or
//! `key=value` form, XML elements, URLs, HTTP statuses and connection errors.

use super::super::normalise::is_hostname;

/// Longest quoted value read out of text, in bytes.
const MAX_QUOTED_BYTES: usize = 4_096;

/// The value written after `key` in text: `"key": "v"`, `'key': 'v'` (Python's repr), `key=v`,
/// `key: 5`. The key must stand alone (`error` does not match `error_description` or
/// `oauth_error`). Quoted values end at their closing quote, bare ones at `,`, `}`, `;` or space.
pub(super) fn quoted_value(text: &str, key: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find(key) {
        let at = from + found;
        from = at + key.len();
        let before = at.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let mut i = at + key.len();
        if matches!(bytes.get(i), Some(b'"') | Some(b'\'')) {
            i += 1;
        }
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        if !matches!(bytes.get(i), Some(b':') | Some(b'=')) {
            continue;
        }
        i += 1;
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        let rest = &text[i..];
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let body = &rest[1..];
                let mut end = None;
                let mut escaped = false;
                for (j, c) in body.char_indices() {
                    if j > MAX_QUOTED_BYTES {
                        break;
                    }
                    if c == quote && !escaped {
                        end = Some(j);
                        break;
                    }
                    escaped = c == '\\' && !escaped;
                }
                body[..end?].replace("\\\"", "\"").replace("\\'", "'")
            }
            Some(_) => rest
                .split([',', '}', ';', ' ', '\n', '\t', ')'])
                .next()
                .unwrap_or("")
                .to_string(),
            None => continue,
        };
        if !value.is_empty() {
            return Some(value);
        }
    }
    None
}

/// The text of the first `<tag>...</tag>` (any namespace prefix), unescaped of XML's five
/// entities.
pub(super) fn xml_text(text: &str, tag: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let open = lower.find(&format!("{tag}>"))?;
    let start = open + tag.len() + 1;
    let end = start + lower[start..].find("</")?;
    let inner = &text[start..end];
    Some(
        inner
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
            .trim()
            .to_string(),
    )
    .filter(|s| !s.is_empty())
}

/// A URL or host of SFMC in text: the word containing `marketingcloudapis.com`.
pub(super) fn sfmc_url_in_text(line: &str) -> Option<String> {
    let at = line.find("marketingcloudapis.com")?;
    let start = line[..at]
        .rfind(|c: char| c.is_whitespace() || "\"'(<[=,".contains(c))
        .map_or(0, |i| i + 1);
    let end = at
        + line[at..]
            .find(|c: char| c.is_whitespace() || "\"'>)],".contains(c))
            .unwrap_or(line.len() - at);
    Some(line[start..end].to_string())
}

/// The host (lower case) and path of a URL or `host/path` text; the path without query or
/// fragment.
pub(super) fn host_and_path(text: &str) -> Option<(String, Option<String>)> {
    let text = text.trim();
    let rest = match text.find("://") {
        Some(at) => &text[at + 3..],
        None => text,
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], Some(&rest[at..])),
        None => (rest, None),
    };
    let host = authority
        .rsplit('@')
        .next()?
        .split(':')
        .next()?
        .to_ascii_lowercase();
    if !is_hostname(&host) {
        return None;
    }
    let path = path
        .map(|p| p.split(['?', '#']).next().unwrap_or(p).to_string())
        .filter(|p| p.len() > 1);
    Some((host, path))
}

/// A status in text: Python requests' `401 Client Error`, axios' `status code 401`, `HTTP 401`,
/// `HTTP/1.1 401`, `status: 401`, `statusCode=401`, `"status":401`.
pub(super) fn status_in_text(lower: &str) -> Option<u64> {
    let three_digits = |s: &str| -> Option<u64> {
        let s = s.trim_start_matches([' ', ':', '=', '"', '\'']);
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        (digits.len() == 3)
            .then(|| digits.parse().ok())
            .flatten()
            .filter(|n| (100..=599).contains(n))
    };
    for marker in [" client error", " server error"] {
        if let Some(at) = lower.find(marker)
            && at >= 3
            && lower.is_char_boundary(at - 3)
            && let Some(status) = three_digits(&lower[at - 3..at])
        {
            return Some(status);
        }
    }
    for marker in [
        "status code",
        "statuscode",
        "status_code",
        "http/1.1",
        "http/2",
        "http",
        "status",
    ] {
        let mut from = 0;
        while let Some(found) = lower[from..].find(marker) {
            let after = from + found + marker.len();
            if let Some(status) = three_digits(&lower[after..]) {
                return Some(status);
            }
            from = after;
        }
    }
    None
}

/// Node and Python connection errors, as `network_error` values.
pub(super) fn network_error(lower: &str) -> Option<&'static str> {
    [
        ("etimedout", "timeout"),
        ("esockettimedout", "timeout"),
        ("timed out", "timeout"),
        ("enotfound", "dns"),
        ("eai_again", "dns"),
        ("name or service not known", "dns"),
        ("econnrefused", "connect"),
        ("ehostunreach", "connect"),
        ("econnreset", "reset"),
        ("connection reset", "reset"),
        ("certificate", "tls"),
    ]
    .iter()
    .find(|(signature, _)| lower.contains(signature))
    .map(|(_, error)| *error)
}

#[cfg(test)]
mod tests {
    use super::{MAX_QUOTED_BYTES, host_and_path, quoted_value, sfmc_url_in_text, status_in_text};

    #[test]
    fn values_after_a_key_in_each_notation() {
        for (text, value) in [
            (r#"{"error":"invalid_client"}"#, "invalid_client"),
            ("{'error': 'invalid_grant'}", "invalid_grant"),
            ("error=invalid_client, next", "invalid_client"),
            ("error : invalid_client", "invalid_client"),
            ("errorcode: 50200}", "50200"),
            // The key stands alone: not inside `oauth_error` or `error_description`.
            ("oauth_error: x, error_description: d, error: y", "y"),
            (r#""message": "say \"hi\" now", "x": 1"#, r#"say "hi" now"#),
            (r#""message": 'it\'s here'"#, "it's here"),
        ] {
            let key = if text.contains("message") {
                "message"
            } else if text.contains("errorcode") {
                "errorcode"
            } else {
                "error"
            };
            assert_eq!(quoted_value(text, key).as_deref(), Some(value), "{text}");
        }
        assert_eq!(quoted_value("oauth_error: x", "error"), None);
        assert_eq!(quoted_value("error is bad", "error"), None);
        assert_eq!(quoted_value("error=", "error"), None);
        assert_eq!(quoted_value(r#"error: "never closed"#, "error"), None);
    }

    #[test]
    fn quoted_values_are_read_up_to_four_kib() {
        let at_limit = format!(r#"message: "{}""#, "a".repeat(MAX_QUOTED_BYTES));
        assert_eq!(
            quoted_value(&at_limit, "message").map(|v| v.len()),
            Some(MAX_QUOTED_BYTES)
        );
        let over = format!(r#"message: "{}""#, "a".repeat(MAX_QUOTED_BYTES + 1));
        assert_eq!(quoted_value(&over, "message"), None);
    }

    #[test]
    fn sfmc_urls_hosts_and_statuses_in_text() {
        let host = "mc1.rest.marketingcloudapis.com";
        assert_eq!(
            sfmc_url_in_text(&format!("url=https://{host}/x),next")).as_deref(),
            Some(format!("https://{host}/x").as_str())
        );
        assert_eq!(
            sfmc_url_in_text(&format!("for url: https://{host}/v2/token")).as_deref(),
            Some(format!("https://{host}/v2/token").as_str())
        );
        assert_eq!(sfmc_url_in_text("no sfmc here"), None);
        assert_eq!(
            host_and_path(&format!("https://{host}/")),
            Some((host.to_string(), None))
        );
        assert_eq!(
            host_and_path(&format!("https://user@{host}:443/a?q=1#f")),
            Some((host.to_string(), Some("/a".to_string())))
        );
        assert_eq!(status_in_text("401 client error: unauthorized"), Some(401));
        // A multi-byte character just before the words: no status, and no panic.
        assert_eq!(status_in_text("éé client error"), None);
        assert_eq!(status_in_text("é01 client error"), None);
    }
}
