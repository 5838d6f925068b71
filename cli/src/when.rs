//! Times given on the command line (`--at`, `--until`): RFC 3339 (`2026-12-01T09:00:00-05:00`),
//! `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM` in UTC, or `+DURATION` from now (`+90m`, `+2d`).

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use credwatch::text::duration::parse_duration;
use credwatch::text::printable::echo;

/// What `--help` says about TIME values.
pub const TIME_HELP: &str = "RFC 3339 (2026-12-01T09:00:00-05:00), YYYY-MM-DD HH:MM in UTC, or +DURATION from now (+90m, +2d)";

/// `text` as a UTC instant, relative ones from `now`.
///
/// # Errors
/// A sentence saying what is wrong and which forms are accepted (the input echoed escaped).
pub fn parse_time_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let trimmed = text.trim();
    if let Some(rest) = trimmed.strip_prefix('+') {
        let duration =
            parse_duration(rest).map_err(|problem| format!("{}: {problem}", echo(text)))?;
        return TimeDelta::from_std(duration)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(|| format!("{} is too far in the future", echo(text)));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(at.with_timezone(&Utc));
    }
    for form in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(trimmed, form) {
            return Ok(at.and_utc());
        }
    }
    Err(format!("{} is not a time; use {TIME_HELP}", echo(text)))
}

/// [`parse_time_at`] from the current time.
///
/// # Errors
/// As [`parse_time_at`].
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    parse_time_at(text, Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn every_documented_form_reads_as_its_utc_instant() {
        let now = t("2026-11-30T12:00:00Z");
        for (text, want) in [
            ("2026-12-01T09:00:00-05:00", "2026-12-01T14:00:00Z"),
            ("2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z"),
            ("2026-12-01 09:30", "2026-12-01T09:30:00Z"),
            ("2026-12-01T09:30", "2026-12-01T09:30:00Z"),
            (" 2026-12-01 09:30:15 ", "2026-12-01T09:30:15Z"),
            ("+90m", "2026-11-30T13:30:00Z"),
            ("+2d", "2026-12-02T12:00:00Z"),
        ] {
            assert_eq!(parse_time_at(text, now), Ok(t(want)), "{text}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_forms_and_the_input_escaped() {
        let now = t("2026-11-30T12:00:00Z");
        for text in [
            "tomorrow",
            "2026-13-01 09:00",
            "",
            "+",
            "+soon",
            "12:00",
            "\u{1b}[31m",
        ] {
            let err = parse_time_at(text, now).unwrap_err();
            assert!(!err.contains('\u{1b}'), "{err}");
            assert!(
                err.contains("RFC 3339") || err.contains(':'),
                "{text}: {err}"
            );
        }
    }
}
