//! Echoing a credential back, the way verbose gateways, proxies and some error pages reflect the
//! request: the client secret in a token error, the bearer token in a tokenContext error, each in
//! one of the encodings such text is found in.

use serde::{Deserialize, Serialize};

/// How an echoed credential is written into the error text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EchoEncoding {
    /// As sent.
    Raw,
    /// JSON string escaping (`\"`, `\\`, `\n`, `\u0007`), as when a request body is quoted.
    Json,
    /// JSON string escaping that also escapes `/` as `\/` (PHP's and some Java encoders' habit).
    JsonSlashes,
    /// JSON with every character but ASCII letters and digits as `\uXXXX` (lower-case hex,
    /// surrogate pairs beyond the BMP).
    JsonUnicode,
    /// JSON-escaped twice: a JSON body quoted inside another JSON string.
    JsonTwice,
    /// Percent-encoding of the UTF-8 bytes, upper-case hex, space as `%20`.
    UrlUpper,
    /// Percent-encoding, lower-case hex.
    UrlLower,
    /// `application/x-www-form-urlencoded`: space as `+`.
    Form,
    /// JavaScript's `encodeURI` (RFC 3986 reserved characters kept): `+`, `/`, `:`, `=`, `&`,
    /// ... as written, space as `%20`, so a `+` in the value stays a literal `+`.
    EncodeUri,
    /// HTML character references for `& < > " ' /` and every non-ASCII character.
    Html,
    /// Named HTML references beyond the basic five (`&sol;`, `&equals;`, `&plus;`, `&bsol;`,
    /// `&colon;`, `&percnt;`, `&NewLine;`, ...), non-ASCII as `&#N;`.
    HtmlNamed,
    /// Control characters replaced by spaces, as a log pipeline would.
    ControlsAsSpaces,
}

impl EchoEncoding {
    /// Every encoding, for tests that try them all.
    pub const ALL: [EchoEncoding; 12] = [
        EchoEncoding::Raw,
        EchoEncoding::Json,
        EchoEncoding::JsonSlashes,
        EchoEncoding::JsonUnicode,
        EchoEncoding::JsonTwice,
        EchoEncoding::UrlUpper,
        EchoEncoding::UrlLower,
        EchoEncoding::Form,
        EchoEncoding::EncodeUri,
        EchoEncoding::Html,
        EchoEncoding::HtmlNamed,
        EchoEncoding::ControlsAsSpaces,
    ];

    /// `value` written in this encoding.
    pub fn encode(self, value: &str) -> String {
        match self {
            EchoEncoding::Raw => value.to_owned(),
            EchoEncoding::Json => json(value),
            EchoEncoding::JsonSlashes => json(value).replace('/', "\\/"),
            EchoEncoding::JsonUnicode => {
                let mut out = String::new();
                for c in value.chars() {
                    if c.is_ascii_alphanumeric() {
                        out.push(c);
                    } else {
                        let mut units = [0u16; 2];
                        for unit in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                }
                out
            }
            EchoEncoding::JsonTwice => json(&json(value)),
            EchoEncoding::UrlUpper => percent(value, true, false),
            EchoEncoding::UrlLower => percent(value, false, false),
            EchoEncoding::Form => percent(value, true, true),
            EchoEncoding::EncodeUri => value
                .chars()
                .map(|c| {
                    if c.is_ascii() && ";,/?:@&=+$#".contains(c) {
                        c.to_string()
                    } else {
                        percent(c.encode_utf8(&mut [0; 4]), true, false)
                    }
                })
                .collect(),
            EchoEncoding::HtmlNamed => value
                .chars()
                .map(|c| match c {
                    '&' => "&amp;".to_owned(),
                    '<' => "&lt;".to_owned(),
                    '>' => "&gt;".to_owned(),
                    '"' => "&quot;".to_owned(),
                    '\'' => "&apos;".to_owned(),
                    '/' => "&sol;".to_owned(),
                    '\\' => "&bsol;".to_owned(),
                    '=' => "&equals;".to_owned(),
                    '+' => "&plus;".to_owned(),
                    ':' => "&colon;".to_owned(),
                    '%' => "&percnt;".to_owned(),
                    ';' => "&semi;".to_owned(),
                    '\n' => "&NewLine;".to_owned(),
                    '\t' => "&Tab;".to_owned(),
                    c if !c.is_ascii() => format!("&#{};", u32::from(c)),
                    c => c.to_string(),
                })
                .collect(),
            EchoEncoding::Html => value
                .chars()
                .map(|c| match c {
                    '&' => "&amp;".to_owned(),
                    '<' => "&lt;".to_owned(),
                    '>' => "&gt;".to_owned(),
                    '"' => "&quot;".to_owned(),
                    '\'' => "&#39;".to_owned(),
                    '/' => "&#x2F;".to_owned(),
                    c if !c.is_ascii() => format!("&#{};", u32::from(c)),
                    c => c.to_string(),
                })
                .collect(),
            EchoEncoding::ControlsAsSpaces => value
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        }
    }
}

fn json(value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

fn percent(value: &str, upper: bool, plus_for_space: bool) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' if plus_for_space => out.push('+'),
            _ if upper => out.push_str(&format!("%{byte:02X}")),
            _ => out.push_str(&format!("%{byte:02x}")),
        }
    }
    out
}

/// An SFMC-shaped OAuth error whose description carries `echoed` exactly as given (the JSON
/// body itself is valid, so a client that parses it reads `echoed` back).
pub(crate) fn token_error_body(echoed: &str) -> String {
    serde_json::json!({
        "error": "invalid_client",
        "error_description": format!("Request rejected: client_secret={echoed}&grant_type=client_credentials"),
    })
    .to_string()
}

/// An SFMC-shaped REST error whose message carries `echoed` exactly as given.
pub(crate) fn rest_error_body(echoed: &str) -> String {
    serde_json::json!({
        "message": format!("Not Authorized. Authorization: Bearer {echoed}"),
        "errorcode": 0,
        "documentation": "",
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_of_a_tricky_value() {
        let value = "a/b\"c\\d\ne %+😀";
        let expect = [
            (EchoEncoding::Raw, "a/b\"c\\d\ne %+😀"),
            (EchoEncoding::Json, r#"a/b\"c\\d\ne %+😀"#),
            (EchoEncoding::JsonSlashes, r#"a\/b\"c\\d\ne %+😀"#),
            (
                EchoEncoding::JsonUnicode,
                r#"a\u002fb\u0022c\u005cd\u000ae\u0020\u0025\u002b\ud83d\ude00"#,
            ),
            (EchoEncoding::JsonTwice, r#"a/b\\\"c\\\\d\\ne %+😀"#),
            (
                EchoEncoding::UrlUpper,
                "a%2Fb%22c%5Cd%0Ae%20%25%2B%F0%9F%98%80",
            ),
            (
                EchoEncoding::UrlLower,
                "a%2fb%22c%5cd%0ae%20%25%2b%f0%9f%98%80",
            ),
            (EchoEncoding::Form, "a%2Fb%22c%5Cd%0Ae+%25%2B%F0%9F%98%80"),
            (
                EchoEncoding::EncodeUri,
                "a/b%22c%5Cd%0Ae%20%25+%F0%9F%98%80",
            ),
            (EchoEncoding::Html, "a&#x2F;b&quot;c\\d\ne %+&#128512;"),
            (
                EchoEncoding::HtmlNamed,
                "a&sol;b&quot;c&bsol;d&NewLine;e &percnt;&plus;&#128512;",
            ),
            (EchoEncoding::ControlsAsSpaces, "a/b\"c\\d e %+😀"),
        ];
        for (encoding, encoded) in expect {
            assert_eq!(encoding.encode(value), encoded, "{encoding:?}");
        }
        assert_eq!(expect.len(), EchoEncoding::ALL.len());
    }

    #[test]
    fn error_bodies_are_json_that_carries_the_echo_verbatim() {
        let echoed = EchoEncoding::JsonSlashes.encode("x/\"y");
        let body: serde_json::Value = serde_json::from_str(&token_error_body(&echoed)).unwrap();
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(r#"x\/\"y"#), "{description}");
        let body: serde_json::Value = serde_json::from_str(&rest_error_body(&echoed)).unwrap();
        assert!(body["message"].as_str().unwrap().contains(r#"x\/\"y"#));
    }
}
