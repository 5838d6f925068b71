//! The SNS `Subject` (also the email's subject line): severity and integration name first,
//! `[HIGH] Loyalty points feed: secret rejected by SFMC`, `[RESOLVED] ...`.
//!
//! SNS refuses a subject that is not ASCII, holds a line break or control character, or is 100
//! characters or longer, and then the whole publish is lost. So whatever the integration's name
//! holds (emoji, right-to-left marks, control characters, kilobytes, nothing printable), the
//! subject is transliterated to printable ASCII, cut, and never empty.

use crate::notify::notification::{Event, Notification};
use crate::notify::words::headline;

/// Longest subject, in characters (SNS: "less than 100 characters").
pub const MAX_SUBJECT_CHARS: usize = 99;

/// `text` as printable ASCII on one line: transliterated (`Ünïcode` -> `Unicode`, emoji to
/// their names), every other character and every run of whitespace as one space, trimmed.
pub fn ascii_line(text: &str) -> String {
    let visible: String = text
        .chars()
        .map(|c| {
            if crate::text::printable::is_unprintable(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let ascii = deunicode::deunicode_with_tofu(&visible, " ");
    ascii
        .split(|c: char| !(' '..='~').contains(&c) || c == ' ')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `[SEVERITY]` or `[RESOLVED]`, `[ACKNOWLEDGED]`, `[DRILL]`.
fn tag(n: &Notification) -> String {
    match n.event {
        Event::Resolved => "[RESOLVED]".to_string(),
        Event::Acknowledged => "[ACKNOWLEDGED]".to_string(),
        Event::Drill => "[DRILL]".to_string(),
        Event::Reminder => format!("[{}] Still open:", n.severity.as_str().to_uppercase()),
        Event::Escalated => format!("[{}] Escalated:", n.severity.as_str().to_uppercase()),
        _ => format!("[{}]", n.severity.as_str().to_uppercase()),
    }
}

/// The subject of `n` (see the module doc): always 1 to [`MAX_SUBJECT_CHARS`] characters of
/// printable ASCII (`' '..='~'`), starting with `[`.
pub fn subject(n: &Notification) -> String {
    let tag = tag(n);
    let what = match (n.event, n.class) {
        (Event::Drill, _) => "test message, nothing is wrong".to_string(),
        _ => headline(n),
    };
    let what = ascii_line(&what);
    let mut name = ascii_line(&n.integration.name);
    if name.is_empty() {
        name = ascii_line(&n.integration.id);
    }
    if name.is_empty() {
        name = "an integration".to_string();
    }
    // Room for the name once the tag and what broke are in: the name is cut first.
    let fixed = tag.len() + 1 + 2 + what.len();
    let room = MAX_SUBJECT_CHARS.saturating_sub(fixed);
    if name.len() > room {
        let keep = room.saturating_sub(3);
        name = if keep >= 8 {
            format!("{}...", name[..keep].trim_end())
        } else {
            String::new()
        };
    }
    let text = if name.is_empty() {
        format!("{tag} {what}")
    } else {
        format!("{tag} {name}: {what}")
    };
    if text.len() <= MAX_SUBJECT_CHARS {
        text
    } else {
        format!("{}...", &text[..MAX_SUBJECT_CHARS - 3])
    }
}

/// Whether `text` is a subject SNS accepts: 1 to 99 characters, all printable ASCII.
pub fn is_valid_subject(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_SUBJECT_CHARS
        && text.chars().all(|c| (' '..='~').contains(&c))
        && !text.starts_with(' ')
}
