//! Acknowledgements: someone said "I'm on it" about an open incident (`credwatch ack`). The
//! type, its bounds and the one validation every writer and reader uses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest [`Acknowledgement::by`], in characters: room for a full name, an email address or a
/// chat handle with a team, short enough for a Slack line and an SMS.
pub const ACK_BY_MAX_CHARS: usize = 100;

/// Longest [`Acknowledgement::note`], in characters: a sentence or two ("rotating the secret,
/// ETA 30 min"), kept short so it fits every notification body.
pub const ACK_NOTE_MAX_CHARS: usize = 500;

/// Someone said "I'm on it" about an open incident (`credwatch ack`): reminders and escalation
/// pause until the class changes or the incident resolves. Build one with
/// [`Acknowledgement::new`], which holds it to its bounds; every store reads it back through
/// [`Acknowledgement::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// Who is on it: a name, email address or handle, 1..=[`ACK_BY_MAX_CHARS`] printable
    /// characters, no surrounding spaces.
    pub by: String,
    /// When it was acknowledged.
    pub at: DateTime<Utc>,
    /// Why, or what they are doing: at most [`ACK_NOTE_MAX_CHARS`] printable characters, one
    /// line; `None` when not given (an empty note is none).
    pub note: Option<String>,
}

/// Why an acknowledgement is refused. The messages name the part (`--by`, `--note`) and say
/// what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// `by` is empty or only spaces.
    #[error("who acknowledges (--by) is empty: give a name, email address or handle")]
    EmptyBy,
    /// `by` is longer than [`ACK_BY_MAX_CHARS`].
    #[error("who acknowledges (--by) is {chars} characters long; at most {max} are allowed")]
    ByTooLong {
        /// Its length, in characters.
        chars: usize,
        /// [`ACK_BY_MAX_CHARS`].
        max: usize,
    },
    /// The note is longer than [`ACK_NOTE_MAX_CHARS`].
    #[error("the note (--note) is {chars} characters long; at most {max} are allowed")]
    NoteTooLong {
        /// Its length, in characters.
        chars: usize,
        /// [`ACK_NOTE_MAX_CHARS`].
        max: usize,
    },
    /// `by` holds a control character (a line break, an escape) or a bidirectional control.
    #[error(
        "who acknowledges (--by) holds the unprintable character {code_point}; use one line \
         of plain text"
    )]
    ByUnprintable {
        /// The character, as `U+001B`.
        code_point: String,
    },
    /// The note holds a control character or a bidirectional control.
    #[error(
        "the note (--note) holds the unprintable character {code_point}; use one line of \
         plain text"
    )]
    NoteUnprintable {
        /// The character, as `U+001B`.
        code_point: String,
    },
}

impl Acknowledgement {
    /// An acknowledgement by `by` at `at`, with an optional `note`. Both are trimmed of
    /// surrounding whitespace; an empty note is none. Refused (with the reason) when `by` is
    /// empty or longer than [`ACK_BY_MAX_CHARS`], the note longer than [`ACK_NOTE_MAX_CHARS`],
    /// or either holds an unprintable character.
    pub fn new(
        by: &str,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Acknowledgement, AckError> {
        let ack = Acknowledgement {
            by: by.trim().to_string(),
            at,
            note: note
                .map(str::trim)
                .filter(|note| !note.is_empty())
                .map(str::to_string),
        };
        ack.check()?;
        Ok(ack)
    }

    /// Whether this acknowledgement keeps to the bounds [`Acknowledgement::new`] enforces
    /// (stores check what they read back with it: a hand-edited item is refused alike).
    pub fn check(&self) -> Result<(), AckError> {
        use crate::text::printable::{code_point, first_unprintable};
        if self.by.trim().is_empty() {
            return Err(AckError::EmptyBy);
        }
        let chars = self.by.chars().count();
        if chars > ACK_BY_MAX_CHARS {
            return Err(AckError::ByTooLong {
                chars,
                max: ACK_BY_MAX_CHARS,
            });
        }
        if let Some(c) = first_unprintable(&self.by) {
            return Err(AckError::ByUnprintable {
                code_point: code_point(c),
            });
        }
        let Some(note) = &self.note else {
            return Ok(());
        };
        let chars = note.chars().count();
        if chars > ACK_NOTE_MAX_CHARS {
            return Err(AckError::NoteTooLong {
                chars,
                max: ACK_NOTE_MAX_CHARS,
            });
        }
        if let Some(c) = first_unprintable(note) {
            return Err(AckError::NoteUnprintable {
                code_point: code_point(c),
            });
        }
        Ok(())
    }
}
