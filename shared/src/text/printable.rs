//! Text from a person (the inventory, flags) or from the network, made safe to print on a
//! terminal: control characters and bidirectional-text controls escaped, and anything echoed
//! back cut to a readable length.
//!
//! Control characters (ANSI escapes, carriage returns, backspaces) can rewrite what a terminal
//! shows, and bidirectional controls (the "Trojan Source" characters) can make text read
//! differently from what it is; neither belongs in a name or a message.

use std::borrow::Cow;

/// Longest piece of user input echoed in a message, in characters (then `…`).
pub const MAX_ECHOED_CHARS: usize = 80;

/// The Unicode bidirectional controls: LRM, RLM, ALM, the embeddings and overrides
/// (U+202A..U+202E) and the isolates (U+2066..U+2069).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `c` must never reach a terminal as is: a control character (C0, DEL, C1), a
/// bidirectional control, or a line / paragraph separator (U+2028, U+2029).
pub fn is_unprintable(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The first character of `text` that [`is_unprintable`], if any.
pub fn first_unprintable(text: &str) -> Option<char> {
    text.chars().find(|&c| is_unprintable(c))
}

/// `U+001B`: how a refused character is named in messages.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// `text` with every unprintable character written as an escape (`\n`, `\t`, `\r`, else
/// `\u{202e}`), so a person sees that it is there and it cannot act on the terminal.
pub fn escape(text: &str) -> Cow<'_, str> {
    if first_unprintable(text).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unprintable(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` cut to `max` characters, with `…` when something was cut.
pub fn cap(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((at, _)) => Cow::Owned(format!("{}…", &text[..at])),
    }
}

/// User input as it may be echoed in a message: escaped, then cut to [`MAX_ECHOED_CHARS`].
pub fn echo(text: &str) -> String {
    cap(&escape(text), MAX_ECHOED_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_characters_only() {
        assert_eq!(escape("CRM sync — Ünïcode 😀"), "CRM sync — Ünïcode 😀");
        assert_eq!(escape("a\u{1b}[31mred\n"), "a\\u{1b}[31mred\\n");
        assert_eq!(
            escape("x\u{202e}y\u{2066}z\u{200f}"),
            "x\\u{202e}y\\u{2066}z\\u{200f}"
        );
        assert_eq!(
            escape("\u{61c}\u{85}\u{7f}\u{2028}"),
            "\\u{61c}\\u{85}\\u{7f}\\u{2028}"
        );
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{200e}',
        ] {
            assert!(is_bidi_control(c), "{c:?}");
        }
        assert!(!is_bidi_control('\u{2070}') && !is_bidi_control('\u{2065}'));
    }

    #[test]
    fn caps_echoed_input() {
        assert_eq!(cap("abc", 3), "abc");
        assert_eq!(cap("abcd", 3), "abc…");
        assert_eq!(cap("ééééé", 2), "éé…");
        let long = "x".repeat(500);
        let echoed = echo(&long);
        assert_eq!(echoed.chars().count(), MAX_ECHOED_CHARS + 1);
        assert!(echoed.ends_with('…'));
        assert_eq!(echo("a\u{1b}b"), "a\\u{1b}b");
    }
}
