//! Where the CLI's words go, and how: stdout written without panicking (a closed pipe or a full
//! disk ends the command with its documented exit code and one line on stderr), the table width,
//! and whether colours are wanted.
//!
//! Exit codes after a failed write (README, "Exit codes"): a closed pipe (`credwatch check | head
//! -1`) keeps the command's own code, because the reader stopped reading on purpose; any other
//! write failure (`> /dev/full`) turns a `0` into `1`, so a run whose report was lost never looks
//! like a clean one, and keeps `1` and `2`.

use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;

use crate::exit::{EXIT_FAILING, EXIT_OK};

/// How a command prints its result (`--format`).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people, sized to the terminal.
    Table,
    /// JSON for scripts (the contract's shapes).
    Json,
}

/// Table width when stdout is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_WIDTH: u16 = 120;
/// Narrowest width credwatch lays tables out for; a smaller `COLUMNS` is raised to it.
pub const MIN_WIDTH: u16 = 20;

/// Stdout for one command. The first failed write is remembered and later writes are skipped,
/// so a command can print as it goes and decide its exit code once, in [`Stdout::finish`].
#[derive(Default)]
pub struct Stdout {
    failed: Option<io::Error>,
}

impl Stdout {
    pub fn new() -> Self {
        Stdout::default()
    }

    /// Writes `text` as is (no newline added) and flushes it.
    pub fn print(&mut self, text: &str) {
        if self.failed.is_some() {
            return;
        }
        let mut out = io::stdout().lock();
        if let Err(err) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            self.failed = Some(err);
        }
    }

    /// Writes `line` and a newline.
    pub fn line(&mut self, line: &str) {
        self.print(&format!("{line}\n"));
    }

    /// Whether an earlier write failed (nothing more will reach the reader).
    pub fn is_broken(&self) -> bool {
        self.failed.is_some()
    }

    /// The exit code of the command whose own result is `code`, after saying on stderr, in one
    /// line, that the output did not arrive whole.
    pub fn finish(self, code: u8) -> u8 {
        let Some(err) = self.failed else {
            return code;
        };
        if err.kind() == io::ErrorKind::BrokenPipe {
            warn("credwatch: the output was closed before everything was written (broken pipe)");
            return code;
        }
        warn(&format!(
            "credwatch: could not write the output: {}",
            describe_io(&err)
        ));
        if code == EXIT_OK { EXIT_FAILING } else { code }
    }
}

/// The OS's words for an I/O error without its code number ("No space left on device").
fn describe_io(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// One line on stderr. If stderr itself cannot be written there is nowhere left to say so, and
/// the exit code still tells.
pub fn warn(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Width to lay tables out for: `COLUMNS` when set to a number, else the terminal's width when
/// stdout is one, else [`DEFAULT_WIDTH`].
pub fn table_width() -> u16 {
    width_from(
        std::env::var("COLUMNS").ok().as_deref(),
        io::stdout().is_terminal(),
    )
}

/// [`table_width`] from its inputs.
pub fn width_from(columns: Option<&str>, stdout_is_terminal: bool) -> u16 {
    if let Some(columns) = columns.and_then(|c| c.trim().parse::<u16>().ok()) {
        return columns.max(MIN_WIDTH);
    }
    if stdout_is_terminal {
        // comfy-table asks the terminal (through crossterm) when no width is set.
        if let Some(width) = comfy_table::Table::new().width() {
            return width.max(MIN_WIDTH);
        }
    }
    DEFAULT_WIDTH
}

/// Colours on stdout: only on a terminal, and never when `NO_COLOR` is set (no-color.org).
pub fn stdout_colours() -> bool {
    colours_from(
        std::env::var_os("NO_COLOR").as_deref(),
        io::stdout().is_terminal(),
    )
}

/// Colours on stderr (logs), by the same rule.
pub fn stderr_colours() -> bool {
    colours_from(
        std::env::var_os("NO_COLOR").as_deref(),
        io::stderr().is_terminal(),
    )
}

/// `NO_COLOR` set to anything but the empty string turns colours off.
pub fn colours_from(no_color: Option<&std::ffi::OsStr>, is_terminal: bool) -> bool {
    is_terminal && no_color.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn width_prefers_columns_then_terminal_then_default() {
        assert_eq!(width_from(Some("80"), false), 80);
        assert_eq!(width_from(Some(" 60 "), true), 60);
        assert_eq!(width_from(Some("5"), false), MIN_WIDTH);
        assert_eq!(width_from(Some("wide"), false), DEFAULT_WIDTH);
        assert_eq!(width_from(None, false), DEFAULT_WIDTH);
    }

    #[test]
    fn colours_need_a_terminal_and_no_no_color() {
        assert!(colours_from(None, true));
        assert!(colours_from(Some(OsStr::new("")), true));
        assert!(!colours_from(Some(OsStr::new("1")), true));
        assert!(!colours_from(None, false));
    }

    #[test]
    fn io_errors_lose_their_code_number() {
        let err = io::Error::from_raw_os_error(28);
        assert_eq!(describe_io(&err), "No space left on device");
    }
}
