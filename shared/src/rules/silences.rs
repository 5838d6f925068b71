//! Whether a notification is silenced, and until when: a pure decision over the stored silences
//! ([`crate::domain::silence`]), the notification's labels and an instant.
//!
//! A notification is silenced at `at` when some silence is active then and all of its matchers
//! match. When several are, the one that ends last ([`silencing`]) decides how long; silences
//! that overlap or touch (one starting before or when another ends) hold the notification back
//! together until the first instant none of them is active ([`silenced_until`]).

use chrono::{DateTime, Utc};

use crate::domain::silence::{Labels, Silence};

/// Among the silences active at `at` whose matchers all match `labels`, the one that ends last
/// (the first of them in `silences` order on a tie); `None` when none does.
pub fn silencing<'a>(
    silences: &'a [Silence],
    labels: &Labels<'_>,
    at: DateTime<Utc>,
) -> Option<&'a Silence> {
    silences
        .iter()
        .filter(|s| s.is_active(at) && s.matches(labels))
        .fold(None, |best: Option<&Silence>, s| match best {
            Some(b) if b.effective_end() >= s.effective_end() => Some(b),
            _ => Some(s),
        })
}

/// When a notification silenced at `at` stops being silenced: following matching silences
/// that overlap or touch, the first instant at which no matching silence is active. `None`
/// when nothing silences it at `at`. Bounded by the number of silences: each step moves past
/// the end of a different one.
pub fn silenced_until(
    silences: &[Silence],
    labels: &Labels<'_>,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut until = silencing(silences, labels, at)?.effective_end();
    // Each step's silence is active at `until`, so its end is later: no silence is chosen twice.
    for _ in 0..silences.len() {
        match silencing(silences, labels, until) {
            Some(next) => until = next.effective_end(),
            None => break,
        }
    }
    Some(until)
}

#[cfg(test)]
mod tests;
