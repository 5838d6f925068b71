//! Makes SFMC's error text safe to show, store and send: bounded, printable, and with anything
//! that looks like a credential replaced.
//!
//! Known secrets (the client secret sent, the access token received) are found in the text as
//! written and in every form an echo may have given them: JSON-escaped (`\/`, `\n`, `\"`, `\\`,
//! `\uXXXX` in either hex case, surrogate pairs), URL-encoded (`%XX` in either hex case, with `+`
//! read both as a space, as forms write it, and as itself, as RFC 3986 and `encodeURI` leave it),
//! HTML-escaped (every named reference of the WHATWG table such as `&quot;` or `&sol;`, and
//! numeric `&#47;`, `&#x2F;`), nested forms of these (a JSON body quoted
//! inside another JSON string), and with control characters turned into spaces by some system on
//! the way. This happens on the raw text, before any other cleaning, so cleaning can never turn
//! a secret into a form that is no longer found.

use std::ops::Range;

use crate::secrets::Secret;
use crate::text::printable::is_unprintable;

/// Longest SFMC text we keep, in characters. Enough for every documented message.
pub const MAX_SFMC_TEXT_CHARS: usize = 300;

/// Known secrets shorter than this are not searched for. A decision: a one- to three-character
/// "secret" would match inside ordinary words and make every message unreadable, while no real
/// SFMC client secret (24+ characters of `[A-Za-z0-9]`) or access token is that short. Such a
/// value is still never printed by credwatch itself ([`Secret`] cannot be formatted); it could
/// only appear if SFMC echoed it, and then only as three characters.
pub const MIN_REDACTED_SECRET_CHARS: usize = 4;

const REDACTED: &str = "[redacted]";

/// How many decoding layers deep an echoed secret is looked for (e.g. a request body quoted in a
/// JSON string that is itself URL-encoded is three layers).
const MAX_DECODE_DEPTH: usize = 3;

/// Returns `text` with every known secret (in any of the forms above) replaced, control and
/// bidirectional-text characters turned into spaces, token-like words (long mixed letter/digit runs, `Bearer x`)
/// replaced, and the whole cut to [`MAX_SFMC_TEXT_CHARS`] characters. Used on every piece of
/// text that came from the network.
pub fn sanitize(text: &str, known_secrets: &[&Secret]) -> String {
    let trimmed = sanitize_uncapped(text, known_secrets);
    if trimmed.chars().count() > MAX_SFMC_TEXT_CHARS {
        let cut: String = trimmed.chars().take(MAX_SFMC_TEXT_CHARS).collect();
        format!("{cut}…")
    } else {
        trimmed
    }
}

/// [`sanitize`] without its length cap: every redaction and cleaning, trimmed, for callers
/// with their own cap (passive tracking keeps up to 512 characters of a reported message).
pub(crate) fn sanitize_uncapped(text: &str, known_secrets: &[&Secret]) -> String {
    let text = redact_known_secrets(text, known_secrets);
    // Control and bidirectional-text characters could rewrite what a terminal or an alert shows.
    let text: String = text
        .chars()
        .map(|c| if is_unprintable(c) { ' ' } else { c })
        .collect();
    let mut out = Vec::new();
    let mut redact_next = false;
    for word in text.split(' ') {
        if redact_next && !word.is_empty() {
            out.push(REDACTED.to_string());
            redact_next = false;
            continue;
        }
        redact_next = word_core(word).eq_ignore_ascii_case("bearer");
        out.push(if looks_like_token(word) {
            REDACTED.to_string()
        } else {
            word.to_string()
        });
    }
    out.join(" ").trim().to_string()
}

/// Longest prefix of a text that is searched for secrets, in characters (bounds time and
/// memory on hostile bodies; documented SFMC bodies are under 2 KiB). Whatever lies beyond is
/// dropped, and a secret cut in half at that point is still redacted (its beginning, up to the
/// cut, counts as a match).
pub const MAX_SCANNED_CHARS: usize = 16 * 1024;

/// `text` with every occurrence of every known secret replaced by `[redacted]`, in whichever
/// encoding it occurs (see the module documentation). Nothing else is changed, except that text
/// beyond [`MAX_SCANNED_CHARS`] is dropped (marked `…`) when there are secrets to look for.
pub fn redact_known_secrets(text: &str, known_secrets: &[&Secret]) -> String {
    let secrets: Vec<Vec<char>> = known_secrets
        .iter()
        .map(|s| s.expose().chars().collect::<Vec<char>>())
        .filter(|s| s.len() >= MIN_REDACTED_SECRET_CHARS)
        .collect();
    if secrets.is_empty() {
        return text.to_string();
    }
    let (text, cut) = match text.char_indices().nth(MAX_SCANNED_CHARS) {
        Some((at, _)) => (&text[..at], true),
        None => (text, false),
    };
    let mut found: Vec<Range<usize>> = Vec::new();
    for view in views(text) {
        for secret in &secrets {
            found.extend(find_all(&view, secret, cut));
        }
    }
    found.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for range in found {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    let mut out = String::with_capacity(text.len() + 3);
    let mut at = 0;
    for range in merged {
        out.push_str(&text[at..range.start]);
        out.push_str(REDACTED);
        at = range.end;
    }
    out.push_str(&text[at..]);
    if cut {
        out.push('…');
    }
    out
}

/// One character of a reading of the text, with the byte range of the original text it came
/// from (several bytes when it was decoded from an escape). `u32` offsets: texts are bounded.
#[derive(Clone, Copy)]
struct Decoded {
    c: char,
    start: u32,
    end: u32,
}

/// One reading of the text.
type View = Vec<Decoded>;

/// The text as written, and every decoding of it up to [`MAX_DECODE_DEPTH`] layers deep.
fn views(text: &str) -> Vec<View> {
    let plain: View = text
        .char_indices()
        .map(|(i, c)| Decoded {
            c,
            start: i as u32,
            end: (i + c.len_utf8()) as u32,
        })
        .collect();
    let decoders: [fn(&View) -> Option<View>; 3] = [json_unescape, percent_decode, html_unescape];
    let mut all = vec![plain];
    let mut layer = 0..1;
    for _ in 0..MAX_DECODE_DEPTH {
        let start = all.len();
        for i in layer.clone() {
            for decode in decoders {
                // A decoder that changed nothing gives no new reading.
                if let Some(decoded) = decode(&all[i]) {
                    all.push(decoded);
                }
            }
        }
        layer = start..all.len();
        if layer.is_empty() {
            break;
        }
    }
    all
}

/// Byte ranges (of the original text) where `secret` occurs in `view`. A control character of
/// the secret also matches a space or any control character (control-character normalising),
/// and a space of the secret also matches a `+` (form encoding writes a space as `+`, while
/// RFC 3986 keeps `+` as itself: a `+` in the text may be either, even within one echo).
/// When the text was `cut`, a beginning of the secret that runs into the cut counts too.
fn find_all(view: &View, secret: &[char], cut: bool) -> Vec<Range<usize>> {
    let same = |expected: char, found: char| {
        expected == found
            || (expected == ' ' && found == '+')
            || (expected.is_control() && (found == ' ' || found.is_control()))
    };
    let mut ranges = Vec::new();
    for start in 0..view.len() {
        let rest = &view[start..];
        if rest.len() < secret.len() && !cut {
            break;
        }
        let n = rest.len().min(secret.len());
        if secret
            .iter()
            .zip(rest)
            .all(|(&expected, found)| same(expected, found.c))
        {
            ranges.push(rest[0].start as usize..rest[n - 1].end as usize);
        }
    }
    ranges
}

/// One decoded character standing for `view[from..=to]`.
fn joined(view: &View, c: char, from: usize, to: usize) -> Decoded {
    Decoded {
        c,
        start: view[from].start,
        end: view[to].end,
    }
}

fn hex_value(view: &View, at: usize, digits: usize) -> Option<u32> {
    let chars = view.get(at..at + digits)?;
    chars.iter().try_fold(0u32, |acc, d| {
        d.c.to_digit(16).map(|digit| acc * 16 + digit)
    })
}

/// Undoes JSON string escapes (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX` with
/// surrogate pairs). `None` when there was nothing to undo.
fn json_unescape(view: &View) -> Option<View> {
    let at = |i: usize| view.get(i).map(|d| d.c);
    let mut out = Vec::with_capacity(view.len());
    let mut changed = false;
    let mut i = 0;
    while i < view.len() {
        if view[i].c == '\\' {
            let simple = match at(i + 1) {
                Some('"') => Some('"'),
                Some('\\') => Some('\\'),
                Some('/') => Some('/'),
                Some('b') => Some('\u{8}'),
                Some('f') => Some('\u{c}'),
                Some('n') => Some('\n'),
                Some('r') => Some('\r'),
                Some('t') => Some('\t'),
                _ => None,
            };
            if let Some(c) = simple {
                out.push(joined(view, c, i, i + 1));
                changed = true;
                i += 2;
                continue;
            }
            if at(i + 1) == Some('u')
                && let Some(unit) = hex_value(view, i + 2, 4)
            {
                // A high surrogate followed by `\uDCxx` is one character.
                let pair = if (0xD800..0xDC00).contains(&unit)
                    && at(i + 6) == Some('\\')
                    && at(i + 7) == Some('u')
                {
                    hex_value(view, i + 8, 4)
                        .filter(|low| (0xDC00..0xE000).contains(low))
                        .and_then(|low| {
                            char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        })
                } else {
                    None
                };
                if let Some(c) = pair {
                    out.push(joined(view, c, i, i + 11));
                    changed = true;
                    i += 12;
                    continue;
                }
                if let Some(c) = char::from_u32(unit) {
                    out.push(joined(view, c, i, i + 5));
                    changed = true;
                    i += 6;
                    continue;
                }
            }
        }
        out.push(view[i]);
        i += 1;
    }
    changed.then_some(out)
}

/// Undoes URL encoding: `%XX` sequences (either hex case) that form UTF-8. A `+` is left as
/// written: whether it stands for a space (forms) or for itself (RFC 3986, `encodeURI`) is
/// decided per character when matching (see [`find_all`]), so every mix of the two readings is
/// tried at once. `None` when there was nothing to undo.
fn percent_decode(view: &View) -> Option<View> {
    let mut out = Vec::with_capacity(view.len());
    let mut changed = false;
    let mut i = 0;
    while i < view.len() {
        match view[i].c {
            '%' if hex_value(view, i + 1, 2).is_some() => {
                // Consecutive %XX bytes, decoded as the whole characters they hold.
                let mut bytes: Vec<(u8, usize)> = Vec::new();
                let mut j = i;
                while view.get(j).is_some_and(|d| d.c == '%')
                    && let Some(byte) = hex_value(view, j + 1, 2)
                {
                    bytes.push((byte as u8, j));
                    j += 3;
                }
                let mut k = 0;
                while k < bytes.len() {
                    let width = utf8_width(bytes[k].0);
                    let from = bytes[k].1;
                    let decoded = bytes
                        .get(k..k + width)
                        .and_then(|chunk| {
                            String::from_utf8(chunk.iter().map(|(b, _)| *b).collect()).ok()
                        })
                        .and_then(|text| text.chars().next());
                    match decoded {
                        Some(c) => {
                            out.push(joined(view, c, from, from + 3 * width - 1));
                            changed = true;
                            k += width;
                        }
                        None => {
                            // Not UTF-8: keep this escape as written.
                            out.extend_from_slice(&view[from..from + 3]);
                            k += 1;
                        }
                    }
                }
                i = j;
            }
            _ => {
                out.push(view[i]);
                i += 1;
            }
        }
    }
    changed.then_some(out)
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Undoes HTML character references: every named one of the WHATWG table (`&quot;`, `&sol;`,
/// `&equals;`, `&plus;`, `&bsol;`, `&colon;`, ... through the `htmlize` crate's copy of
/// <https://html.spec.whatwg.org/entities.json>), written with its `;`, and numeric `&#NN;` /
/// `&#xHH;`. A name without its `;` (legacy `&amp` forms) is left as written. `None` when there
/// was nothing to undo.
fn html_unescape(view: &View) -> Option<View> {
    let mut out = Vec::with_capacity(view.len());
    let mut changed = false;
    let mut i = 0;
    while i < view.len() {
        if view[i].c == '&'
            && let Some(end) = (i + 2..view.len().min(i + htmlize::ENTITY_MAX_LENGTH))
                .find(|&j| view[j].c == ';' || view[j].c == '&')
                .filter(|&j| view[j].c == ';')
        {
            let reference: String = view[i..=end].iter().map(|d| d.c).collect();
            let decoded: Option<Vec<char>> = match htmlize::ENTITIES.get(reference.as_bytes()) {
                Some(expansion) => std::str::from_utf8(expansion)
                    .ok()
                    .map(|text| text.chars().collect()),
                None => {
                    let name = &reference[1..reference.len() - 1];
                    name.strip_prefix("#x")
                        .or_else(|| name.strip_prefix("#X"))
                        .map(|hex| u32::from_str_radix(hex, 16).ok())
                        .or_else(|| name.strip_prefix('#').map(|dec| dec.parse::<u32>().ok()))
                        .flatten()
                        .and_then(char::from_u32)
                        .map(|c| vec![c])
                }
            };
            if let Some(chars) = decoded.filter(|chars| !chars.is_empty()) {
                // A reference standing for two characters (e.g. `&NotEqualTilde;`) maps both
                // back to the whole reference.
                out.extend(chars.into_iter().map(|c| joined(view, c, i, end)));
                changed = true;
                i = end + 1;
                continue;
            }
        }
        out.push(view[i]);
        i += 1;
    }
    changed.then_some(out)
}

/// A word that could be a secret or a token: 20+ characters of token alphabet, with both letters
/// and digits, and not a URL (SFMC's messages carry documentation links we want to keep); or
/// any word holding a credwatch ingest token (see [`holds_ingest_token`]).
pub(crate) fn looks_like_token(word: &str) -> bool {
    if holds_ingest_token(word) {
        return true;
    }
    let core = word_core(word);
    if core.starts_with("http://") || core.starts_with("https://") {
        return false;
    }
    let token_alphabet = |c: char| c.is_ascii_alphanumeric() || "-_.+/=~".contains(c);
    core.len() >= 20
        && core.chars().all(token_alphabet)
        && core.chars().any(|c| c.is_ascii_digit())
        && core.chars().any(|c| c.is_ascii_alphabetic())
}

/// Whether `word` holds `cwi_` and 20+ base64url characters anywhere (`"token":"cwi_…"`,
/// `key=cwi_…`): an ingest token's random part may hold no digit, and it is recognisable by
/// its prefix wherever it sits.
fn holds_ingest_token(word: &str) -> bool {
    use crate::secrets::ingest_token::INGEST_TOKEN_PREFIX;
    word.match_indices(INGEST_TOKEN_PREFIX).any(|(at, prefix)| {
        word[at + prefix.len()..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .count()
            >= 20
    })
}

/// `word` without the quotes, brackets and punctuation around it (`(Bearer`, `token).`), so
/// that a token at the end of a sentence or in brackets is still seen as one.
fn word_core(word: &str) -> &str {
    word.trim_matches(|c: char| "\"'`()[]{}<>,;:.!?".contains(c))
}

#[cfg(test)]
mod tests;
