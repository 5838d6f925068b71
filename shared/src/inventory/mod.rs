//! The inventory file: which SFMC integrations to watch, who owns them, and how often to look.
//!
//! [`parse_inventory`] validates the whole file and reports every problem at once (see DESIGN.md,
//! "Inventory file"); what it returns has all defaults applied, so nothing downstream re-checks.

mod auth_url;
pub mod bounds;
mod cadence;
mod clock;
mod entry;
mod ingest;
mod integration;
mod maintenance;
pub mod model;
mod notify;
mod options;
mod parse;
mod problem;
mod report;
mod secret_layout;
mod secret_ref;
mod team;
#[cfg(test)]
mod tests;
mod yaml;

use std::path::Path;

use chrono::NaiveDate;

pub use auth_url::{is_sfmc_auth_url, lookalike_refusal, userinfo_refusal};
pub use clock::is_valid_timezone;
pub use entry::is_valid_id;
pub use ingest::{event_source_problem, log_group_problem};
pub use model::*;
pub use notify::{is_email_address, is_secret_name};
pub use options::{ALLOW_ANY_ENDPOINT_VAR, LoadOptions};
pub use problem::{InvalidInventory, Loaded, MAX_PROBLEMS_DISPLAYED, Problem};
pub use report::MAX_PROBLEMS_KEPT;
pub use secret_layout::{DEFAULT_SECRET_PREFIX, SecretLayout, check_secret_layout};

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

/// Reads and validates an inventory file. At most `MAX_FILE_BYTES` (1 MiB) (plus one, to tell)
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
    let (bytes, regular) = match read_capped(path, yaml::MAX_FILE_BYTES as u64 + 1) {
        Ok(read) => read,
        Err(err) => {
            return Err(refuse(format!(
                "could not read the file {}: {err}",
                shown()
            )));
        }
    };
    if bytes.len() > yaml::MAX_FILE_BYTES {
        return Err(refuse(format!(
            "the file {} is larger than {} bytes (1 MiB), the most an inventory may be",
            shown(),
            yaml::MAX_FILE_BYTES
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
