//! Durations as people write them in the inventory: a positive whole number and one unit,
//! `30s`, `15m`, `2h`, `1d`. No fractions and no combinations (`1h30m` is `90m`), so every value
//! has one obvious spelling and [`format_duration`] can print it back the same way.

use std::time::Duration;

use crate::text::printable::{echo, escape};

const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

const HOW: &str = "write a whole number followed by one unit: s (seconds), m (minutes), \
                   h (hours) or d (days), e.g. 15m";

/// Parses `30s`, `15m`, `2h` or `1d`. Surrounding whitespace is ignored; anything else
/// (a missing unit, `0`, a sign, a fraction, inner spaces, a value too large) is an error whose
/// text says how to write it instead.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("no duration given; {HOW}"));
    }
    // Echoed escaped and cut short: the text may be anything (a hostile environment variable,
    // megabytes of YAML), and a message must stay readable and bounded.
    let shown = echo(text);
    let unit = text.chars().next_back().expect("text is not empty");
    let number = &text[..text.len() - unit.len_utf8()];
    if unit.is_ascii_digit() {
        return Err(format!("\"{shown}\" has no unit; {HOW}"));
    }
    let Some(&(_, seconds_per_unit)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!(
            "\"{shown}\" has an unknown unit \"{}\"; {HOW}",
            escape(unit.encode_utf8(&mut [0; 4]))
        ));
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("\"{shown}\" is not a duration; {HOW}"));
    }
    let too_large = || format!("\"{shown}\" is too large a duration");
    let count: u64 = number.parse().map_err(|_| too_large())?;
    if count == 0 {
        return Err(format!(
            "\"{shown}\" is zero; a duration must be longer than that"
        ));
    }
    let seconds = count.checked_mul(seconds_per_unit).ok_or_else(too_large)?;
    Ok(Duration::from_secs(seconds))
}

/// Prints a duration in the largest unit that divides it exactly: 900s → `15m`, 90s → `90s`,
/// 86400s → `1d`. Zero prints as `0s`; a duration with a fraction of a second (which
/// [`parse_duration`] never produces) falls back to `Duration`'s own notation, e.g. `1.5s`.
pub fn format_duration(duration: Duration) -> String {
    if duration.subsec_nanos() != 0 {
        return format!("{duration:?}");
    }
    let seconds = duration.as_secs();
    if seconds == 0 {
        return "0s".to_string();
    }
    let (unit, per_unit) = UNITS
        .iter()
        .copied()
        .find(|(_, per_unit)| seconds.is_multiple_of(*per_unit))
        .expect("every whole number of seconds is a multiple of 1s");
    format!("{}{unit}", seconds / per_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit() {
        for (text, seconds) in [
            ("30s", 30),
            ("15m", 900),
            ("2h", 7_200),
            ("1d", 86_400),
            ("90s", 90),
            ("015m", 900),
            (" 5m ", 300),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(seconds)),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_what_is_not_one_number_and_one_unit() {
        for (text, expected) in [
            ("", "no duration given"),
            ("  ", "no duration given"),
            ("15", "has no unit"),
            ("0m", "is zero"),
            ("0s", "is zero"),
            ("-5m", "is not a duration"),
            ("+5m", "is not a duration"),
            ("1.5h", "is not a duration"),
            ("1 h", "is not a duration"),
            ("m", "is not a duration"),
            ("1h30m", "is not a duration"),
            ("15M", "unknown unit \"M\""),
            ("15min", "unknown unit \"n\""),
            ("2w", "unknown unit \"w\""),
            ("5µ", "unknown unit \"µ\""),
            ("99999999999999999999s", "too large"),
            ("300000000000000000d", "too large"),
        ] {
            let err = parse_duration(text).expect_err(text);
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn errors_echo_the_text_escaped_and_cut_short() {
        use crate::text::printable::MAX_ECHOED_CHARS;
        // Every kind of error, with a text far longer than a message may echo.
        let long = "7".repeat(100_000);
        for text in [
            long.clone(),
            format!("{long}x"),
            format!("{long}m"),
            format!("-{long}m"),
            format!("{}m", "0".repeat(100_000)),
        ] {
            let err = parse_duration(&text).expect_err("not a duration");
            assert!(
                err.chars().count() < MAX_ECHOED_CHARS + 200,
                "{} characters: {}",
                err.chars().count(),
                &err[..200]
            );
            assert!(err.contains('…'), "{err}");
        }
        // Terminal escapes and bidirectional controls are shown, never sent as is.
        for (text, shown) in [
            ("5\u{1b}[2J", "5\\u{1b}[2J"),
            ("1\u{202e}m", "1\\u{202e}m"),
            ("5\u{1b}", "unknown unit \"\\u{1b}\""),
            ("1\nm", "1\\nm"),
        ] {
            let err = parse_duration(text).expect_err(text);
            assert!(err.contains(shown), "{text:?}: {err}");
            assert!(
                !err.contains('\u{1b}') && !err.contains('\u{202e}') && !err.contains('\n'),
                "{text:?}: {err:?}"
            );
        }
    }

    #[test]
    fn errors_say_how_to_write_a_duration() {
        let err = parse_duration("15").unwrap_err();
        assert!(err.contains("e.g. 15m"), "{err}");
    }

    #[test]
    fn formats_in_the_largest_exact_unit() {
        for (seconds, text) in [
            (0, "0s"),
            (1, "1s"),
            (90, "90s"),
            (120, "2m"),
            (900, "15m"),
            (3_600, "1h"),
            (5_400, "90m"),
            (86_400, "1d"),
            (90_000, "25h"),
            (172_800, "2d"),
        ] {
            assert_eq!(format_duration(Duration::from_secs(seconds)), text);
        }
        assert_eq!(format_duration(Duration::from_millis(1_500)), "1.5s");
    }

    #[test]
    fn format_then_parse_round_trips() {
        for seconds in [1, 59, 60, 61, 3_599, 3_600, 86_399, 86_400, 604_800] {
            let duration = Duration::from_secs(seconds);
            assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }
    }
}
