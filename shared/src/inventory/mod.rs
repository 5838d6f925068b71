//! The inventory file: which SFMC integrations to watch, who owns them, and how often to look.
//!
//! [`parse_inventory`] validates the whole file and reports every problem at once (see DESIGN.md,
//! "Inventory file"); what it returns has all defaults applied, so nothing downstream re-checks.

pub mod bounds;
mod integration;
pub mod model;
mod parse;
mod report;
mod secret_layout;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;

use chrono::NaiveDate;

pub use integration::{is_sfmc_auth_url, lookalike_refusal, userinfo_refusal};
pub use model::*;
pub use parse::is_valid_id;
pub use secret_layout::{DEFAULT_SECRET_PREFIX, SecretLayout, check_secret_layout};

/// The environment variable that lets `auth_url` point anywhere (a simulator, a proxy).
pub const ALLOW_ANY_ENDPOINT_VAR: &str = "CREDWATCH_ALLOW_ANY_ENDPOINT";

/// How strictly to load. Decided by the caller, so parsing itself never reads the environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Accept any http(s) `auth_url`, not only `https://<subdomain>.auth.marketingcloudapis.com/`.
    pub allow_any_endpoint: bool,
}

impl LoadOptions {
    /// `allow_any_endpoint` is on iff `CREDWATCH_ALLOW_ANY_ENDPOINT` is exactly `1`.
    pub fn from_env() -> Self {
        LoadOptions {
            allow_any_endpoint: std::env::var(ALLOW_ANY_ENDPOINT_VAR).is_ok_and(|v| v == "1"),
        }
    }
}

/// One thing wrong with (or worth a second look in) the inventory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// `integrations[3] (crm-contact-sync)`, `integrations[3]` (no usable id),
    /// `teams[0] (crm-ops)`, `defaults` or `inventory`.
    pub location: String,
    /// The YAML path inside `location`, e.g. `auth_url`, `business_hours.start`,
    /// `expected_scopes[2]`; empty when the problem is about the location as a whole.
    pub field: String,
    /// The offending value as written, cut to
    /// [`crate::text::printable::MAX_ECHOED_CHARS`] characters. Always `None` under `client_secret`:
    /// a secret is never echoed.
    pub value: Option<String>,
    /// What is wrong and how to fix it, for the person editing the file.
    pub message: String,
}

/// One line, safe for a terminal: the value is quoted with Rust's escapes (control and
/// bidirectional characters show as `\u{..}`), everything else goes through
/// [`crate::text::printable::escape`].
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::text::printable::escape;
        write!(f, "{}: ", escape(&self.location))?;
        match (&self.field[..], &self.value) {
            ("", _) => {}
            (field, Some(value)) => write!(f, "{} = {value:?}: ", escape(field))?,
            (field, None) => write!(f, "{}: ", escape(field))?,
        }
        f.write_str(&escape(&self.message))
    }
}

/// A valid inventory and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub inventory: Inventory,
    pub warnings: Vec<Problem>,
}

/// The inventory was refused. `problems` is never empty; both lists are in file order.
#[derive(Debug, Clone, thiserror::Error)]
pub struct InvalidInventory {
    /// The first [`MAX_PROBLEMS_KEPT`] problems.
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
    /// Problems found beyond `problems`, counted but not kept (so a hostile file cannot fill
    /// memory): the total is `problems.len() + more_problems`.
    pub more_problems: usize,
}

pub use report::MAX_PROBLEMS_KEPT;

impl InvalidInventory {
    /// Every problem found, listed or not.
    pub fn problem_count(&self) -> usize {
        self.problems.len() + self.more_problems
    }
}

/// Problems [`InvalidInventory`]'s `Display` lists before `... and N more`.
pub const MAX_PROBLEMS_DISPLAYED: usize = 100;

/// The first [`MAX_PROBLEMS_DISPLAYED`] problems, one per line, then how many more there are.
impl fmt::Display for InvalidInventory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problem_count();
        let noun = if n == 1 { "problem" } else { "problems" };
        write!(f, "{n} {noun} in the inventory")?;
        for problem in self.problems.iter().take(MAX_PROBLEMS_DISPLAYED) {
            write!(f, "\n  {problem}")?;
        }
        if n > MAX_PROBLEMS_DISPLAYED {
            write!(f, "\n  ... and {} more", n - MAX_PROBLEMS_DISPLAYED)?;
        }
        Ok(())
    }
}

/// Validates an inventory given as YAML text. "Today" (for `secret_rotated_at`) is the UTC date.
pub fn parse_inventory(yaml: &str, options: &LoadOptions) -> Result<Loaded, InvalidInventory> {
    parse_inventory_on(yaml, options, chrono::Utc::now().date_naive())
}

/// [`parse_inventory`] with an explicit "today", for deterministic tests and replays.
pub fn parse_inventory_on(
    yaml: &str,
    options: &LoadOptions,
    today: NaiveDate,
) -> Result<Loaded, InvalidInventory> {
    let (inventory, mut report) = parse::parse(yaml, options, today);
    match inventory {
        Some(inventory) if report.problems.is_empty() => Ok(Loaded {
            inventory,
            warnings: report.warnings_listed(),
        }),
        _ => Err(InvalidInventory {
            problems: std::mem::take(&mut report.problems),
            more_problems: report.more_problems,
            warnings: report.warnings_listed(),
        }),
    }
}

/// Reads and validates an inventory file. At most [`parse::MAX_FILE_BYTES`] (plus one, to tell)
/// are read, so a huge file or a device never fills memory. The file is opened without waiting
/// for a writer, so a FIFO nobody writes to reads as empty (refused at once) instead of hanging,
/// while `/dev/stdin` and `<(cat inventory.yaml)` (pipes with a writer) are read normally.
pub fn load_inventory(path: &Path, options: &LoadOptions) -> Result<Loaded, InvalidInventory> {
    let refuse = |message: String| InvalidInventory {
        problems: vec![Problem {
            location: "inventory".into(),
            field: String::new(),
            value: None,
            message,
        }],
        warnings: Vec::new(),
        more_problems: 0,
    };
    let shown = || crate::text::printable::echo(&path.display().to_string());
    let (bytes, regular) = match read_capped(path, parse::MAX_FILE_BYTES as u64 + 1) {
        Ok(read) => read,
        Err(err) => {
            return Err(refuse(format!(
                "could not read the file {}: {err}",
                shown()
            )));
        }
    };
    if bytes.len() > parse::MAX_FILE_BYTES {
        return Err(refuse(format!(
            "the file {} is larger than {} bytes (1 MiB), the most an inventory may be",
            shown(),
            parse::MAX_FILE_BYTES
        )));
    }
    if bytes.is_empty() && !regular {
        return Err(refuse(format!(
            "nothing could be read from {}: it is a pipe or device with nothing writing to it; \
             give the path of the inventory file",
            shown()
        )));
    }
    match String::from_utf8(bytes) {
        Ok(yaml) => parse_inventory(&yaml, options),
        Err(_) => Err(refuse(format!(
            "the file {} is not UTF-8 text; save it as UTF-8",
            shown()
        ))),
    }
}

/// At most `cap` bytes of `path`, and whether it is a regular file. Opened with `O_NONBLOCK` (so
/// opening a FIFO never waits for a writer), which is then cleared so a pipe with a writer is
/// read to its end like a file; a FIFO without a writer reads as empty.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<(Vec<u8>, bool)> {
    use std::io::Read as _;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd as _;
        let fd = file.as_raw_fd();
        // SAFETY: `fd` is owned by `file`, open for the whole block; F_GETFL/F_SETFL only read
        // and change its status flags.
        let cleared = unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) >= 0
        };
        if !cleared {
            return Err(std::io::Error::last_os_error());
        }
    }
    let regular = file.metadata()?.is_file();
    let mut bytes = Vec::new();
    file.take(cap).read_to_end(&mut bytes)?;
    Ok((bytes, regular))
}

/// Whether `name` is a time zone of the IANA database, e.g. `America/New_York` or `UTC`.
pub fn is_valid_timezone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}
