use proptest::prelude::*;

use super::*;

#[test]
fn keeps_sfmc_documented_messages_intact() {
    let text = "Client authentication failed. Make sure that the client ID and client secret are valid and that the package is installed and enabled.";
    assert_eq!(sanitize(text, &[]), text);
    let link = "see https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm";
    assert_eq!(sanitize(link, &[]), link);
    let secret = Secret::new("Hk8sQ2vLm4Xr7Tn1Pz6Wc3Yd");
    assert_eq!(sanitize(text, &[&secret]), text, "nothing to redact");
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

/// An ingest token is removed whatever its random part holds: one in about 1,400 has no digit,
/// which the letters-and-digits rule alone would let through.
#[test]
fn ingest_tokens_are_removed_even_without_a_digit() {
    let no_digit = "cwi_AbCdEfGhIjKlMnOpQrStUvWxYz-_AbCdEfGhIjKlMnO";
    for text in [
        format!("Authorization: Bearer {no_digit}"),
        format!("sent {no_digit}."),
        format!("token=\"{no_digit}\""),
    ] {
        let out = sanitize(&text, &[]);
        assert!(!out.contains("AbCdEfGhIj"), "{out}");
        assert!(out.contains("[redacted]"), "{out}");
    }
    for _ in 0..20 {
        let token = crate::secrets::ingest_token::draw_ingest_token().expect("random bytes");
        let out = sanitize(&format!("bad token {}", token.expose()), &[]);
        assert!(!out.contains(&token.expose()[4..]), "{out}");
    }
    // Short words starting so are ordinary words.
    assert_eq!(sanitize("cwi_short", &[]), "cwi_short");
}

#[test]
fn tokens_in_brackets_or_ending_a_sentence_are_removed() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0dG9rZW4.abcdefghijklmnop";
    for text in [
        format!("SFMC answered 401 (Bearer {jwt})."),
        format!("SFMC answered 401 (token {jwt})."),
        format!("the token was {jwt}."),
        format!("the token was \"{jwt}\"!"),
        "[Bearer: opaque]".to_string(),
    ] {
        let out = sanitize(&text, &[]);
        assert!(
            !out.contains("c2VjcmV0dG9rZW4") && !out.contains("opaque"),
            "{out}"
        );
        assert!(out.contains("[redacted]"), "{out}");
    }
    // Ordinary sentences keep their punctuation and words.
    let plain = "Client authentication failed (see the package). Try again!";
    assert_eq!(sanitize(plain, &[]), plain);
}

#[test]
fn bounds_length_and_strips_control_characters() {
    let long = "x ".repeat(1000);
    assert!(sanitize(&long, &[]).chars().count() <= MAX_SFMC_TEXT_CHARS + 1);
    assert_eq!(sanitize("a\nb\u{7}c\u{202e}d", &[]), "a b c d");
}

/// Each encoding of `a/b"c\d` + newline + `é%+ 😀` that an echo may produce, and the text
/// around it kept as it was.
#[test]
fn finds_a_secret_in_every_encoding() {
    let secret = Secret::new("a/b\"c\\d\nxé%+ 😀z");
    let cases = [
        ("raw", "a/b\"c\\d\nxé%+ 😀z"),
        ("json", r#"a/b\"c\\d\nxé%+ 😀z"#),
        ("json with \\/", r#"a\/b\"c\\d\nxé%+ 😀z"#),
        (
            "json ascii, lower hex",
            r#"a\/b\"c\\d\u000axé%+ \ud83d\ude00z"#,
        ),
        (
            "json ascii, upper hex",
            r#"a\u002Fb\u0022c\u005Cd\u000Ax\u00E9\u0025\u002B\u0020\uD83D\uDE00z"#,
        ),
        (
            "json twice",
            r#"a\\\/b\\\"c\\\\d\\nx\\u00e9%+ \\ud83d\\ude00z"#,
        ),
        (
            "url, upper hex",
            "a%2Fb%22c%5Cd%0Ax%C3%A9%25%2B%20%F0%9F%98%80z",
        ),
        (
            "url, lower hex",
            "a%2fb%22c%5cd%0ax%c3%a9%25%2b%20%f0%9f%98%80z",
        ),
        ("form", "a%2Fb%22c%5Cd%0Ax%C3%A9%25%2B+%F0%9F%98%80z"),
        (
            "url keeping +",
            "a%2Fb%22c%5Cd%0Ax%C3%A9%25+%20%F0%9F%98%80z",
        ),
        (
            "url of json",
            "a%5C%2Fb%5C%22c%5C%5Cd%5Cnx%C3%A9%25%2B%20%F0%9F%98%80z",
        ),
        ("html", "a&#x2F;b&quot;c\\d\nx&#233;%+ 😀z"),
        (
            "html named",
            "a&sol;b&QUOT;c&bsol;d&NewLine;x&eacute;&percnt;&plus; 😀z",
        ),
        ("control normalised", "a/b\"c\\d xé%+ 😀z"),
    ];
    for (name, encoded) in cases {
        let text = format!("before {encoded} after");
        let out = redact_known_secrets(&text, &[&secret]);
        assert_eq!(out, "before [redacted] after", "{name}: {text}");
        let out = sanitize(&text, &[&secret]);
        assert_eq!(out, "before [redacted] after", "{name}: {text}");
    }
}

#[test]
fn redacts_every_occurrence_and_every_secret() {
    let client_secret = Secret::new("Hk8sQ2vLm4Xr7Tn1");
    let token = Secret::new("tok/en+1");
    let text = "Hk8sQ2vLm4Xr7Tn1 then tok%2Fen%2B1 then Hk8sQ2vLm4Xr7Tn1 and tok\\/en+1";
    assert_eq!(
        redact_known_secrets(text, &[&client_secret, &token]),
        "[redacted] then [redacted] then [redacted] and [redacted]"
    );
}

#[test]
fn short_secrets_are_not_searched_for() {
    let short = Secret::new("abc");
    assert_eq!(sanitize("abc abcdef", &[&short]), "abc abcdef");
    let four = Secret::new("abcd");
    assert_eq!(sanitize("x abcd y", &[&four]), "x [redacted] y");
}

#[test]
fn a_secret_cut_at_the_scan_limit_is_still_redacted() {
    let secret = Secret::new("Hk8sQ2vLm4Xr7Tn1");
    let filler = "x".repeat(MAX_SCANNED_CHARS - 5);
    let text = format!("{filler}Hk8sQ2vLm4Xr7Tn1 and more");
    let out = redact_known_secrets(&text, &[&secret]);
    assert!(!out.contains("Hk8sQ"), "{}", &out[out.len() - 40..]);
    assert!(out.ends_with("[redacted]…"), "{}", &out[out.len() - 40..]);
}

/// Security review of issue 8: an RFC 3986 / `encodeURI` echo keeps `+` as itself, and a form
/// echo writes a space as `+`; both are found, whichever the secret holds.
#[test]
fn finds_a_url_encoded_secret_whichever_way_plus_was_written() {
    let secret = Secret::new("Ab3+xYz\"q9Kp2LmN0vWq");
    for echoed in [
        "secret=Ab3+xYz%22q9Kp2LmN0vWq",
        "secret=Ab3%2BxYz%22q9Kp2LmN0vWq",
        "secret=Ab3%2bxYz%22q9Kp2LmN0vWq",
        "secret=Ab3+xYz\"q9Kp2LmN0vWq",
    ] {
        assert_eq!(
            sanitize(echoed, &[&secret]),
            "secret=[redacted]",
            "{echoed}"
        );
    }
    let spaced = Secret::new("Ab3 xYz+q9Kp");
    for echoed in ["Ab3+xYz%2Bq9Kp", "Ab3%20xYz+q9Kp", "Ab3 xYz+q9Kp"] {
        assert_eq!(
            redact_known_secrets(&format!("s={echoed}&x=1"), &[&spaced]),
            "s=[redacted]&x=1",
            "{echoed}"
        );
    }
}

/// Security review of issue 8: named references beyond the basic five.
#[test]
fn finds_a_secret_behind_any_named_html_reference() {
    let secret = Secret::new("abcd/efgh=ijkl0123");
    for echoed in [
        "abcd&sol;efgh&equals;ijkl0123",
        "abcd&#47;efgh&#x3D;ijkl0123",
        "abcd&sol;efgh=ijkl0123",
    ] {
        assert_eq!(
            sanitize(&format!("<p>{echoed}</p>"), &[&secret]),
            "<p>[redacted]</p>",
            "{echoed}"
        );
    }
    let punctuated = Secret::new("x+y\\z:w#v!u");
    assert_eq!(
        redact_known_secrets("[x&plus;y&bsol;z&colon;w&num;v&excl;u]", &[&punctuated]),
        "[[redacted]]"
    );
    // A reference that stands for two characters maps back to the whole reference.
    let pair = Secret::new("ab\u{2242}\u{338}cd");
    assert_eq!(
        redact_known_secrets("<ab&NotEqualTilde;cd>", &[&pair]),
        "<[redacted]>"
    );
    // Unknown names and names without `;` are text, not references.
    let plain = Secret::new("secretvalue");
    for text in ["&nosuchentity;", "&sol", "&&sol;", "&;"] {
        assert_eq!(redact_known_secrets(text, &[&plain]), text);
    }
}

#[test]
fn malformed_escapes_are_left_alone() {
    let secret = Secret::new("secretvalue");
    for text in [
        "%", "%z1", "\\", "\\u12", "&#xZZ;", "&", "%C3", "%FF%FE", "\\ud83d",
    ] {
        assert_eq!(redact_known_secrets(text, &[&secret]), text);
    }
}

/// Test-side encoders, written independently of the decoders under test.
pub(crate) mod encode {
    pub fn json(s: &str) -> String {
        let quoted = serde_json::to_string(s).expect("a string serializes");
        quoted[1..quoted.len() - 1].to_string()
    }

    pub fn json_slashes(s: &str) -> String {
        json(s).replace('/', "\\/")
    }

    pub fn json_ascii(s: &str, upper: bool) -> String {
        let mut out = String::new();
        for c in s.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
                continue;
            }
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                if upper {
                    out.push_str(&format!("\\u{unit:04X}"));
                } else {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
        out
    }

    pub fn url(s: &str, upper: bool, plus_for_space: bool) -> String {
        url_keeping(s, upper, plus_for_space, "")
    }

    /// Like [`url`], but the characters of `kept` are left as written (RFC 3986 / `encodeURI`
    /// leave `+`, `/`, `:`, `=`, `&`, ... unescaped).
    pub fn url_keeping(s: &str, upper: bool, plus_for_space: bool, kept: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(b as char)
                }
                _ if b.is_ascii() && kept.contains(b as char) => out.push(b as char),
                b' ' if plus_for_space => out.push('+'),
                _ if upper => out.push_str(&format!("%{b:02X}")),
                _ => out.push_str(&format!("%{b:02x}")),
            }
        }
        out
    }

    /// HTML with a named reference for each character that has a common one (independent of
    /// the decoder's table: written out here).
    pub fn html_named(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '/' => out.push_str("&sol;"),
                '\\' => out.push_str("&bsol;"),
                '=' => out.push_str("&equals;"),
                '+' => out.push_str("&plus;"),
                ':' => out.push_str("&colon;"),
                '"' => out.push_str("&QUOT;"),
                '\'' => out.push_str("&apos;"),
                '&' => out.push_str("&amp;"),
                '%' => out.push_str("&percnt;"),
                ';' => out.push_str("&semi;"),
                '\n' => out.push_str("&NewLine;"),
                '\t' => out.push_str("&Tab;"),
                'é' => out.push_str("&eacute;"),
                '€' => out.push_str("&euro;"),
                _ => out.push(c),
            }
        }
        out
    }

    pub fn control_normalised(s: &str) -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    }

    /// Every form the property tests echo and then look for.
    pub fn all(s: &str) -> Vec<(&'static str, String)> {
        vec![
            ("raw", s.to_string()),
            ("json", json(s)),
            ("json \\/", json_slashes(s)),
            ("json \\u lower", json_ascii(s, false)),
            ("json \\u upper", json_ascii(s, true)),
            ("json twice", json(&json(s))),
            ("url upper", url(s, true, false)),
            ("url lower", url(s, false, false)),
            ("form", url(s, true, true)),
            // JavaScript's encodeURI keeps these; a form encoder keeping `+` is the mix of both.
            ("encodeURI", url_keeping(s, true, false, ";,/?:@&=+$#")),
            ("form keeping +", url_keeping(s, false, true, "+")),
            ("html named", html_named(s)),
            ("url of json", url(&json(s), true, false)),
            ("control normalised", control_normalised(s)),
        ]
    }
}

/// Secrets with the characters that break naive redaction.
fn secrets() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        '/', '\\', '"', '\'', '\n', '\r', '\t', '%', '+', '+', '+', ' ', '&', ';', ':', '=', 'é',
        'ß', '😀', '€', '\u{7}', '\u{202e}',
    ]);
    let plain =
        prop::char::range('0', 'z').prop_filter("alphanumeric", |c| c.is_ascii_alphanumeric());
    let any = prop::char::any();
    prop::collection::vec(prop_oneof![4 => plain, 3 => tricky, 1 => any], 8..40)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        // A secret that is almost all spaces would make the checks below meaningless.
        .prop_filter("enough distinct characters", |s| {
            s.chars().filter(|c| c.is_alphanumeric()).count() >= 4
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the secret and the encoding, an SFMC-like body that echoes it yields a message
    /// with none of the secret's forms left in it.
    #[test]
    fn no_encoding_of_a_secret_survives_sanitize(secret in secrets(), prefix in "[a-zA-Z ]{0,40}") {
        let known = Secret::new(secret.clone());
        for (name, echoed) in encode::all(&secret) {
            for body in [
                format!("{prefix}Client authentication failed for {echoed}."),
                format!("{{\"message\":\"bad request {echoed}\",\"errorcode\":10003}}"),
                format!("<html><body>client_secret={echoed}&grant_type=client_credentials</body></html>"),
            ] {
                let out = sanitize(&body, &[&known]);
                for (form, encoded) in encode::all(&secret) {
                    // Normalised forms are only meaningful when they still carry the secret's
                    // letters; a form equal to spaces is not a leak.
                    if encoded.trim().chars().count() < MIN_REDACTED_SECRET_CHARS {
                        continue;
                    }
                    prop_assert!(
                        !out.contains(&encoded),
                        "echoed {name}, found {form} in {out:?} (body {body:?})"
                    );
                }
                prop_assert!(out.contains(REDACTED), "echoed {name}: {out:?}");
            }
        }
    }
}
