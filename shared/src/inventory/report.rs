//! Collecting problems while walking the YAML tree, and reading typed values out of it.
//!
//! Every reader reports what is wrong with a value and returns `None`, so a walk never stops at
//! the first problem: the person fixing the file sees everything at once.

use std::time::Duration;

use serde_yaml_ng::{Mapping, Value};

use super::Problem;
use super::bounds::{self, TEXT_MAX};
use crate::text::duration::parse_duration;
use crate::text::printable::{
    self, MAX_ECHOED_CHARS, code_point, first_unprintable, is_bidi_control,
};

/// Problems (and, separately, warnings) kept in full; more are only counted, so a hostile 1 MiB
/// file with 1.5 million problems (`- {}` repeated: 7 missing keys each) needs kilobytes, not
/// half a gigabyte.
pub const MAX_PROBLEMS_KEPT: usize = 1000;

/// Problems (the inventory is refused) and warnings (it is accepted), each in file order: the
/// first [`MAX_PROBLEMS_KEPT`] of each, and how many more there were.
#[derive(Debug, Default)]
pub(super) struct Report {
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
    pub more_problems: usize,
    pub more_warnings: usize,
}

impl Report {
    pub fn append(&mut self, other: Report) {
        for problem in other.problems {
            self.push_problem(problem);
        }
        for warning in other.warnings {
            self.push_warning(warning);
        }
        self.more_problems += other.more_problems;
        self.more_warnings += other.more_warnings;
    }

    pub fn push_problem(&mut self, problem: Problem) {
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(problem);
        } else {
            self.more_problems += 1;
        }
    }

    pub fn push_warning(&mut self, warning: Problem) {
        if self.warnings.len() < MAX_PROBLEMS_KEPT {
            self.warnings.push(warning);
        } else {
            self.more_warnings += 1;
        }
    }

    /// The warnings, with one last line saying how many more were found when some were not
    /// kept.
    pub fn warnings_listed(mut self) -> Vec<Problem> {
        if self.more_warnings > 0 {
            self.warnings.push(Problem {
                location: "inventory".into(),
                field: String::new(),
                value: None,
                message: format!(
                    "... and {} more warnings, not listed (the first {MAX_PROBLEMS_KEPT} are)",
                    self.more_warnings
                ),
            });
        }
        self.warnings
    }
}

/// One place problems are reported against, e.g. `integrations[3] (crm-contact-sync)`.
pub(super) struct At<'r> {
    location: String,
    report: &'r mut Report,
}

impl<'r> At<'r> {
    pub fn new(location: impl Into<String>, report: &'r mut Report) -> Self {
        At {
            location: location.into(),
            report,
        }
    }

    pub fn error(&mut self, field: &str, value: Option<&Value>, message: impl Into<String>) {
        let problem = self.problem(field, value, message.into());
        self.report.push_problem(problem);
    }

    pub fn warn(&mut self, field: &str, value: Option<&Value>, message: impl Into<String>) {
        let problem = self.problem(field, value, message.into());
        self.report.push_warning(problem);
    }

    fn problem(&self, field: &str, value: Option<&Value>, message: String) -> Problem {
        // Whatever sits under client_secret may be the secret itself (pasted by mistake): it is
        // never echoed, whichever check complains about it.
        // Echoed values are cut to a readable length; `Problem`'s Display escapes what is left.
        let value = value
            .filter(|_| !is_secret_field(field))
            .map(|v| printable::cap(&as_written(v), MAX_ECHOED_CHARS).into_owned());
        Problem {
            location: self.location.clone(),
            field: printable::cap(field, MAX_ECHOED_CHARS).into_owned(),
            value,
            message,
        }
    }

    /// A mapping key as text; any other kind of key is reported.
    pub fn key<'v>(&mut self, parent: &str, key: &'v Value) -> Option<&'v str> {
        if let Value::String(name) = key {
            return Some(name);
        }
        let found = kind(key);
        let message = if is_secret_field(parent) {
            format!("a key must be a name (text), found {found}")
        } else {
            format!(
                "a key must be a name (text), found {found}: {}",
                printable::echo(&as_written(key))
            )
        };
        self.error(parent, Some(key), message);
        None
    }

    pub fn unknown_key(&mut self, parent: &str, key: &str, allowed: &[&str]) {
        let key = printable::echo(key);
        let field = join(parent, &key);
        let allowed = allowed.join(", ");
        // The value is not echoed: an unknown key is often a misplaced secret or a typo'd one.
        self.error(
            &field,
            None,
            format!("unknown key \"{key}\"; check the spelling (allowed here: {allowed})"),
        );
    }

    /// Reports that `value` is not the `expected` kind ("a list", "text", ...).
    pub fn wrong_type(&mut self, field: &str, value: &Value, expected: &str) {
        let found = kind(value);
        let hint = match value {
            Value::Number(_) | Value::Bool(_) if expected == "text" => {
                "; put it in quotes if it is meant as text"
            }
            _ => "",
        };
        self.error(
            field,
            Some(value),
            format!("expected {expected}, found {found}{hint}"),
        );
    }

    pub fn mapping<'v>(&mut self, field: &str, value: &'v Value) -> Option<&'v Mapping> {
        match value {
            Value::Mapping(mapping) => Some(mapping),
            other => {
                self.wrong_type(field, other, "a mapping (key: value lines)");
                None
            }
        }
    }

    pub fn list<'v>(&mut self, field: &str, value: &'v Value) -> Option<&'v [Value]> {
        match value {
            Value::Sequence(items) => Some(items),
            other => {
                self.wrong_type(field, other, "a list");
                None
            }
        }
    }

    /// Non-blank text of at most [`TEXT_MAX`] characters, without control or bidirectional-text
    /// characters: every text of the inventory ends up printed (terminal, alerts), where such
    /// characters could rewrite or disguise what people read.
    pub fn text<'v>(&mut self, field: &str, value: &'v Value) -> Option<&'v str> {
        self.bounded_text(field, value, TEXT_MAX)
    }

    /// Non-blank text of at most `max` characters.
    pub fn bounded_text<'v>(
        &mut self,
        field: &str,
        value: &'v Value,
        max: usize,
    ) -> Option<&'v str> {
        match value {
            Value::String(text) if text.trim().is_empty() => {
                self.error(field, Some(value), "is blank; give it a value");
                None
            }
            Value::String(text) if !bounds::within(text, max) => {
                self.error(
                    field,
                    Some(value),
                    format!("is too long; at most {max} characters"),
                );
                None
            }
            Value::String(text) => {
                if let Some(c) = first_unprintable(text) {
                    let what = if is_bidi_control(c) {
                        "a text-direction control character"
                    } else {
                        "a control character (a line break, tab or terminal escape)"
                    };
                    self.error(
                        field,
                        Some(value),
                        format!(
                            "contains {}, {what}, which could change how it reads on a terminal or in an alert; remove it (write it on one line)",
                            code_point(c)
                        ),
                    );
                    return None;
                }
                Some(text)
            }
            other => {
                self.wrong_type(field, other, "text");
                None
            }
        }
    }

    /// A whole number, zero or more.
    pub fn whole_number(&mut self, field: &str, value: &Value) -> Option<u64> {
        match value {
            Value::Number(n) if n.is_u64() => n.as_u64(),
            Value::Number(n) if n.is_i64() => {
                self.error(field, Some(value), "must not be negative");
                None
            }
            Value::Number(_) => {
                self.error(field, Some(value), "must be a whole number");
                None
            }
            other => {
                self.wrong_type(field, other, "a whole number");
                None
            }
        }
    }

    /// A whole number in `1..=max`; `unit` says what it counts ("days"), for the message.
    pub fn number_in_range(
        &mut self,
        field: &str,
        value: &Value,
        max: u64,
        unit: &str,
    ) -> Option<u64> {
        let n = self.whole_number(field, value)?;
        if n == 0 || n > max {
            self.error(
                field,
                Some(value),
                format!("must be a number of {unit} from 1 to {max}"),
            );
            return None;
        }
        Some(n)
    }

    /// A duration from `min` to `max`; `hint` says what a good value is.
    /// A duration within `(min, max)`. Out of range, the message gives the range and the hint
    /// for its side: `too_short` says why short values hurt (SFMC's token rate), `too_long`
    /// why long ones do (a broken credential unnoticed for that long).
    pub fn duration_in(
        &mut self,
        field: &str,
        value: &Value,
        (min, max): (Duration, Duration),
        too_short: &str,
        too_long: &str,
    ) -> Option<Duration> {
        use crate::text::duration::format_duration;
        let duration = self.duration(field, value)?;
        if duration < min || duration > max {
            let hint = if duration < min { too_short } else { too_long };
            self.error(
                field,
                Some(value),
                format!(
                    "must be from {} to {}{hint}",
                    format_duration(min),
                    format_duration(max)
                ),
            );
            return None;
        }
        Some(duration)
    }

    pub fn duration(&mut self, field: &str, value: &Value) -> Option<Duration> {
        match value {
            Value::String(text) => match parse_duration(text) {
                Ok(duration) => Some(duration),
                Err(why) => {
                    self.error(field, Some(value), why);
                    None
                }
            },
            Value::Number(_) => {
                self.error(
                    field,
                    Some(value),
                    "has no unit; add one: s (seconds), m (minutes), h (hours) or d (days), e.g. 15m",
                );
                None
            }
            other => {
                self.wrong_type(field, other, "a duration such as 15m");
                None
            }
        }
    }
}

/// `parent.child`, or `child` at the top of a location.
pub(super) fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

pub(super) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

fn is_secret_field(field: &str) -> bool {
    field == "client_secret"
        || field.starts_with("client_secret.")
        || field.starts_with("client_secret[")
}

/// What kind of value this is, in words for people who are not programmers.
pub(super) fn kind(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(_) => "true/false".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "text".into(),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping (key: value lines)".into(),
        Value::Tagged(tagged) => format!("a value tagged {}", tagged.tag),
    }
}

/// A value roughly as it was written: scalars as themselves, lists and mappings on one line.
pub(super) fn as_written(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Tagged(tagged) => format!("{} {}", tagged.tag, as_written(&tagged.value)),
        // JSON is YAML's flow style; fall back to YAML for mappings with non-text keys.
        Value::Sequence(_) | Value::Mapping(_) => serde_json::to_string(value)
            .or_else(|_| serde_yaml_ng::to_string(value).map(|s| s.trim_end().to_string()))
            .unwrap_or_default(),
    }
}
