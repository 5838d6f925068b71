//! [`CounterKey`]: what one per-minute counter counts, and its text form (the attribute name in
//! the table).

use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{CallKind, CounterKey, SfmcCall};

/// Written for an absent part of a key.
const ABSENT: &str = "-";

impl CounterKey {
    /// The counter a call adds to: its kind, status, code and class. The code is the SFMC
    /// `errorcode` in decimal when given (and not negative), else the OAuth `error` when it is
    /// `[a-z_]+`; so a code is always digits or `[a-z_]` and never holds `|` or `-`.
    pub fn of(call: &SfmcCall) -> CounterKey {
        let code = call
            .sfmc_errorcode
            .filter(|code| *code >= 0)
            .map(|code| code.to_string())
            .or_else(|| call.oauth_error.clone().filter(|e| is_word_code(e)));
        CounterKey {
            call_kind: call.call_kind,
            status: call.status,
            code,
            class: call.class,
        }
    }

    /// `{kind}|{status}|{code}|{class}`, `-` for an absent part: `token|401|invalid_client|
    /// client_auth_failed`, `rest|200|-|ok`, `rest|-|-|network`.
    pub fn to_text(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.call_kind.as_str(),
            self.status.map_or(ABSENT.to_string(), |s| s.to_string()),
            self.code.as_deref().unwrap_or(ABSENT),
            self.class.map_or(ABSENT, OutcomeClass::as_str),
        )
    }

    /// The inverse of [`CounterKey::to_text`]; `None` for text that is not a key's (wrong number
    /// of parts, unknown kind or class, a status that is not a number, a code that is neither
    /// digits nor `[a-z_]+`).
    pub fn parse(text: &str) -> Option<CounterKey> {
        let mut parts = text.split('|');
        let kind = CallKind::parse(parts.next()?)?;
        let status = match parts.next()? {
            ABSENT => None,
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Some(digits.parse().ok()?)
            }
            _ => return None,
        };
        let code = match parts.next()? {
            ABSENT => None,
            code if is_digits(code) || is_word_code(code) => Some(code.to_string()),
            _ => return None,
        };
        let class = match parts.next()? {
            ABSENT => None,
            class => Some(OutcomeClass::parse(class)?),
        };
        if parts.next().is_some() {
            return None;
        }
        Some(CounterKey {
            call_kind: kind,
            status,
            code,
            class,
        })
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_word_code(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}
