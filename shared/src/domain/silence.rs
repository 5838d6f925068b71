//! Silences: ad-hoc, time-bound muting of alerts, as Alertmanager has them. A silence holds
//! matchers (all must match a notification's labels, by equality), a time range
//! `[starts_at, ends_at)`, and who created it, when and why; `silence expire` ends it early
//! and records who did. Silences end by themselves and are kept afterwards for the audit.
//!
//! The state names are Alertmanager's: `pending` (not started), `active`, `expired` (ran out
//! or ended early).
//!
//! Matcher values follow the inventory's rules: team and integration values are inventory ids
//! ([`crate::inventory::is_valid_id`]), class values incident classes
//! ([`IncidentClass::parse`]), check values check kinds ([`CheckKind::parse`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::incident::{CheckKind, IncidentClass};
use crate::inventory::is_valid_id;
use crate::text::printable::{code_point, echo, first_unprintable};

/// Most matchers one silence holds.
pub const MATCHERS_MAX: usize = 10;
/// Longest matcher value, in characters.
pub const MATCHER_VALUE_MAX_CHARS: usize = 256;
/// Longest reason, in characters.
pub const REASON_MAX_CHARS: usize = 500;
/// Longest creator (or expirer) name, in characters.
pub const CREATED_BY_MAX_CHARS: usize = 100;
/// Longest a silence lasts, in days: planned work is hours or days; a silence meant "for
/// ever" hides a real outage months later. Add a new one when it ends.
pub const MAX_SILENCE_DAYS: i64 = 90;

/// `sil-`, the prefix of every silence id.
pub const SILENCE_ID_PREFIX: &str = "sil-";
/// Characters after the prefix.
pub const SILENCE_ID_LENGTH: usize = 10;
/// The lowercase base32 alphabet (RFC 4648, lowercased): the characters of a silence id.
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// What a matcher compares: one label of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchField {
    /// The integration id.
    Integration,
    /// The team the notification goes to (the incident's team).
    Team,
    /// The incident class, e.g. `client_auth_failed`.
    Class,
    /// The check: `auth`, `expiry` or `monitor`.
    Check,
}

impl MatchField {
    /// Every field, in the order above.
    pub const ALL: [MatchField; 4] = [
        MatchField::Integration,
        MatchField::Team,
        MatchField::Class,
        MatchField::Check,
    ];

    /// `integration`, `team`, `class` or `check`: the form stored and shown (and the CLI flag).
    pub fn as_str(self) -> &'static str {
        match self {
            MatchField::Integration => "integration",
            MatchField::Team => "team",
            MatchField::Class => "class",
            MatchField::Check => "check",
        }
    }

    /// The inverse of [`MatchField::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<MatchField> {
        MatchField::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

impl fmt::Display for MatchField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MatchField {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One equality matcher: the notification's `field` label equals `value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Matcher {
    /// The label compared.
    pub field: MatchField,
    /// The value it must equal.
    pub value: String,
}

impl Matcher {
    /// A matcher whose value is valid for its field: 1 to [`MATCHER_VALUE_MAX_CHARS`]
    /// characters, an inventory id for `integration` and `team`, an incident class for
    /// `class`, a check for `check`. [`SilenceError::InvalidMatcher`] otherwise.
    pub fn new(field: MatchField, value: impl Into<String>) -> Result<Matcher, SilenceError> {
        let matcher = Matcher {
            field,
            value: value.into(),
        };
        matcher.check()?;
        Ok(matcher)
    }

    /// Whether `labels` has this matcher's value in its field.
    pub fn matches(&self, labels: &Labels<'_>) -> bool {
        let label = match self.field {
            MatchField::Integration => labels.integration,
            MatchField::Team => labels.team,
            MatchField::Class => labels.class,
            MatchField::Check => labels.check,
        };
        label == self.value
    }

    fn check(&self) -> Result<(), SilenceError> {
        let invalid = |problem| SilenceError::InvalidMatcher {
            field: self.field,
            value: echo(&self.value),
            problem,
        };
        let length = self.value.chars().count();
        if length == 0 {
            return Err(invalid(MatcherProblem::Empty));
        }
        if length > MATCHER_VALUE_MAX_CHARS {
            return Err(invalid(MatcherProblem::TooLong));
        }
        let valid = match self.field {
            MatchField::Integration | MatchField::Team => is_valid_id(&self.value),
            MatchField::Class => IncidentClass::parse(&self.value).is_some(),
            MatchField::Check => CheckKind::parse(&self.value).is_some(),
        };
        if valid {
            Ok(())
        } else {
            Err(invalid(MatcherProblem::NotValidForField))
        }
    }
}

impl fmt::Display for Matcher {
    /// `team=crm-ops`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.field, self.value)
    }
}

/// A silence id: `sil-` and [`SILENCE_ID_LENGTH`] lowercase base32 characters, e.g.
/// `sil-k3m9qz2b7d`. Random (50 bits), so ids never collide in practice and the store refuses
/// the rare repeat. Serializes as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SilenceId(String);

impl SilenceId {
    /// A new random id.
    pub fn generate() -> SilenceId {
        SilenceId::from_rng(&mut fastrand::Rng::new())
    }

    /// A new id drawn from `rng` (tests seed it).
    pub fn from_rng(rng: &mut fastrand::Rng) -> SilenceId {
        let mut text = String::with_capacity(SILENCE_ID_PREFIX.len() + SILENCE_ID_LENGTH);
        text.push_str(SILENCE_ID_PREFIX);
        for _ in 0..SILENCE_ID_LENGTH {
            text.push(char::from(BASE32[rng.usize(..BASE32.len())]));
        }
        SilenceId(text)
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SilenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text that is not a silence id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a silence id: a silence id is sil- followed by {SILENCE_ID_LENGTH} \
     lowercase letters and digits 2-7, e.g. sil-k3m9qz2b7d, as `credwatch silence list` shows"
)]
pub struct SilenceIdError(String);

impl FromStr for SilenceId {
    type Err = SilenceIdError;

    /// Exactly `sil-` and [`SILENCE_ID_LENGTH`] characters of the lowercase base32 alphabet;
    /// nothing else (no spaces, no upper case).
    fn from_str(text: &str) -> Result<SilenceId, SilenceIdError> {
        let valid = text.strip_prefix(SILENCE_ID_PREFIX).is_some_and(|rest| {
            rest.len() == SILENCE_ID_LENGTH && rest.bytes().all(|b| BASE32.contains(&b))
        });
        if valid {
            Ok(SilenceId(text.to_string()))
        } else {
            Err(SilenceIdError(echo(text)))
        }
    }
}

impl Serialize for SilenceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SilenceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SilenceId, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How a silence was ended early (`credwatch silence expire`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expired {
    /// When it was ended.
    pub at: DateTime<Utc>,
    /// Who ended it, when they said.
    pub by: Option<String>,
}

/// What a notification is matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels<'a> {
    /// The integration id.
    pub integration: &'a str,
    /// The team the notification goes to.
    pub team: &'a str,
    /// The incident class ([`IncidentClass::as_str`]).
    pub class: &'a str,
    /// The check ([`CheckKind::as_str`]).
    pub check: &'a str,
}

/// Where a silence is at one instant (Alertmanager's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceState {
    /// Not started yet.
    Pending,
    /// Silencing now.
    Active,
    /// Ran out, or was ended early.
    Expired,
}

impl SilenceState {
    /// `pending`, `active` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Pending => "pending",
            SilenceState::Active => "active",
            SilenceState::Expired => "expired",
        }
    }
}

/// A silence (see the module doc). Build one with [`Silence::new`], which holds it to the
/// bounds; a stored one is held to them again when read ([`Silence::check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Silence {
    /// Its id.
    pub id: SilenceId,
    /// 1 to [`MATCHERS_MAX`] matchers; all must match.
    pub matchers: Vec<Matcher>,
    /// First instant it silences.
    pub starts_at: DateTime<Utc>,
    /// First instant it no longer silences (unless ended earlier).
    pub ends_at: DateTime<Utc>,
    /// Why, in the creator's words (1 to [`REASON_MAX_CHARS`] printable characters).
    pub reason: String,
    /// Who created it (1 to [`CREATED_BY_MAX_CHARS`] printable characters).
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Set when it was ended early by `silence expire`.
    pub expired: Option<Expired>,
}

/// Why a silence cannot be made (or a stored one is not valid). Messages speak of the CLI's
/// flags (`--team`, `--until`), the words the person who asked for the silence used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    /// No matcher at all.
    #[error(
        "a silence needs at least one matcher (--integration, --team, --class or --check); \
         without one it would silence every alert"
    )]
    NoMatcher,
    /// More than [`MATCHERS_MAX`] matchers.
    #[error("a silence takes at most {MATCHERS_MAX} matchers; {count} were given")]
    TooManyMatchers {
        /// How many were given.
        count: usize,
    },
    /// A matcher value not valid for its field (the value echoed escaped and cut short).
    #[error("--{field} \"{value}\" {problem}")]
    InvalidMatcher {
        /// The matcher's field.
        field: MatchField,
        /// Its value, escaped and cut short.
        value: String,
        /// What is wrong.
        problem: MatcherProblem,
    },
    /// Two different values for one field: an alert has one value there, so the silence would
    /// never match.
    #[error(
        "--{field} is given twice, \"{first}\" and \"{second}\": an alert has one {field}, so \
         this silence would never match anything; add one silence per {field}"
    )]
    ConflictingMatchers {
        /// The field.
        field: MatchField,
        /// The first value (escaped, cut short).
        first: String,
        /// The other value (escaped, cut short).
        second: String,
    },
    /// It would end at or before it was created.
    #[error(
        "the silence would end at {} UTC, which is not after now ({} UTC); give a later --until, \
         or --for",
        ends_at.format("%Y-%m-%d %H:%M:%S"), now.format("%Y-%m-%d %H:%M:%S")
    )]
    EndsTooEarly {
        /// When it would end.
        ends_at: DateTime<Utc>,
        /// When it was asked for.
        now: DateTime<Utc>,
    },
    /// It would end at or before it starts.
    #[error("the silence would end at {ends_at} before it starts at {starts_at}")]
    EndsBeforeStart {
        /// When it would start.
        starts_at: DateTime<Utc>,
        /// When it would end.
        ends_at: DateTime<Utc>,
    },
    /// It would last longer than [`MAX_SILENCE_DAYS`].
    #[error(
        "a silence lasts at most {MAX_SILENCE_DAYS} days; this one would last {hours} hours \
         (until {} UTC). Add a new silence when this one ends",
        ends_at.format("%Y-%m-%d %H:%M")
    )]
    TooLong {
        /// When it would end.
        ends_at: DateTime<Utc>,
        /// How long it would last, in whole hours.
        hours: i64,
    },
    /// A reason or name that is empty, too long or not printable.
    #[error("--{flag} {problem}")]
    InvalidText {
        /// `reason` or `by`.
        flag: &'static str,
        /// What is wrong (never the text itself).
        problem: String,
    },
}

/// What is wrong with a matcher's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MatcherProblem {
    /// No value.
    #[error("is empty")]
    Empty,
    /// Over [`MATCHER_VALUE_MAX_CHARS`].
    #[error("is longer than {MATCHER_VALUE_MAX_CHARS} characters")]
    TooLong,
    /// Not an id, class or check as the field needs.
    #[error(
        "is not valid here: integration and team values are inventory ids (lowercase letters, \
         digits and dashes), class values incident classes (e.g. client_auth_failed), check \
         values auth, expiry or monitor"
    )]
    NotValidForField,
}

impl SilenceError {
    /// The rule broken, without any value from the silence (for reports about stored items).
    pub fn rule(&self) -> String {
        match self {
            SilenceError::NoMatcher => "holds no matcher".to_string(),
            SilenceError::TooManyMatchers { count } => {
                format!("holds {count} matchers; 1 to {MATCHERS_MAX} are allowed")
            }
            SilenceError::InvalidMatcher { field, problem, .. } => {
                format!("holds a {field} matcher whose value {problem}")
            }
            SilenceError::ConflictingMatchers { field, .. } => {
                format!("holds two different {field} matchers")
            }
            SilenceError::EndsTooEarly { .. } => "is not after created_at".to_string(),
            SilenceError::EndsBeforeStart { .. } => "is not after starts_at".to_string(),
            SilenceError::TooLong { .. } => {
                format!("is more than {MAX_SILENCE_DAYS} days after starts_at")
            }
            SilenceError::InvalidText { problem, .. } => problem.clone(),
        }
    }
}

/// `text` (flag `flag`) within 1..=`max` characters, printable, not only blanks.
fn check_text(flag: &'static str, text: &str, max: usize) -> Result<(), SilenceError> {
    let invalid = |problem: String| SilenceError::InvalidText { flag, problem };
    if text.trim().is_empty() {
        return Err(invalid("is empty; say it in a few words".to_string()));
    }
    let length = text.chars().count();
    if length > max {
        return Err(invalid(format!(
            "is {length} characters long; at most {max} are kept"
        )));
    }
    if let Some(c) = first_unprintable(text) {
        return Err(invalid(format!(
            "holds the control character {}; use plain text on one line",
            code_point(c)
        )));
    }
    Ok(())
}

/// `at` cut to the millisecond, as the store keeps times.
fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

impl Silence {
    /// A new silence, checked: 1 to [`MATCHERS_MAX`] valid matchers (repeats of the same
    /// matcher dropped, two values for one field refused), `starts_at < ends_at`, `ends_at`
    /// after `created_at` ("now"), at most [`MAX_SILENCE_DAYS`] long, `reason` and
    /// `created_by` within their bounds. Times are kept to the millisecond, as stored.
    pub fn new(
        id: SilenceId,
        matchers: Vec<Matcher>,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        reason: String,
        created_by: String,
        created_at: DateTime<Utc>,
    ) -> Result<Silence, SilenceError> {
        let mut unique: Vec<Matcher> = Vec::with_capacity(matchers.len());
        for matcher in matchers {
            if !unique.contains(&matcher) {
                unique.push(matcher);
            }
        }
        let silence = Silence {
            id,
            matchers: unique,
            starts_at: to_millis(starts_at),
            ends_at: to_millis(ends_at),
            reason,
            created_by,
            created_at: to_millis(created_at),
            expired: None,
        };
        silence.check()?;
        Ok(silence)
    }

    /// Whether this silence keeps to the bounds [`Silence::new`] holds it to (a stored one is
    /// read back through this); the expirer's name, when given, to those of `created_by`.
    pub fn check(&self) -> Result<(), SilenceError> {
        match self.matchers.len() {
            0 => return Err(SilenceError::NoMatcher),
            count if count > MATCHERS_MAX => {
                return Err(SilenceError::TooManyMatchers { count });
            }
            _ => {}
        }
        for (i, matcher) in self.matchers.iter().enumerate() {
            matcher.check()?;
            if let Some(other) = self.matchers[..i]
                .iter()
                .find(|m| m.field == matcher.field && m.value != matcher.value)
            {
                return Err(SilenceError::ConflictingMatchers {
                    field: matcher.field,
                    first: echo(&other.value),
                    second: echo(&matcher.value),
                });
            }
        }
        if self.ends_at <= self.created_at {
            return Err(SilenceError::EndsTooEarly {
                ends_at: self.ends_at,
                now: self.created_at,
            });
        }
        if self.ends_at <= self.starts_at {
            return Err(SilenceError::EndsBeforeStart {
                starts_at: self.starts_at,
                ends_at: self.ends_at,
            });
        }
        let length = self.ends_at - self.starts_at;
        if length > TimeDelta::days(MAX_SILENCE_DAYS) {
            return Err(SilenceError::TooLong {
                ends_at: self.ends_at,
                hours: length.num_hours(),
            });
        }
        check_text("reason", &self.reason, REASON_MAX_CHARS)?;
        check_text("by", &self.created_by, CREATED_BY_MAX_CHARS)?;
        if let Some(by) = self.expired.as_ref().and_then(|e| e.by.as_deref()) {
            check_text("by", by, CREATED_BY_MAX_CHARS)?;
        }
        Ok(())
    }

    /// Checks an expirer's name (`silence expire --by`) against the bounds of `created_by`.
    pub fn check_expired_by(by: &str) -> Result<(), SilenceError> {
        check_text("by", by, CREATED_BY_MAX_CHARS)
    }

    /// Whether every matcher matches `labels`.
    pub fn matches(&self, labels: &Labels<'_>) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }

    /// Whether it silences at `at`: `starts_at <= at < effective_end`.
    pub fn is_active(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.effective_end()
    }

    /// When it stops silencing: `ends_at`, or when it was ended early if that is sooner.
    pub fn effective_end(&self) -> DateTime<Utc> {
        match &self.expired {
            Some(expired) => expired.at.min(self.ends_at),
            None => self.ends_at,
        }
    }

    /// Its state at `at`: expired from its effective end on (even if that is before its start),
    /// else pending before its start, else active.
    pub fn state(&self, at: DateTime<Utc>) -> SilenceState {
        if at >= self.effective_end() {
            SilenceState::Expired
        } else if at < self.starts_at {
            SilenceState::Pending
        } else {
            SilenceState::Active
        }
    }
}

#[cfg(test)]
mod tests;
