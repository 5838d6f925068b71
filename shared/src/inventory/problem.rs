//! What validation reports: one problem, a loaded inventory with its warnings, a refusal.

use std::fmt;

use super::model::Inventory;

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
    /// The inventory, defaults applied.
    pub inventory: Inventory,
    /// What is allowed but worth a look (at most [`MAX_PROBLEMS_KEPT`](super::MAX_PROBLEMS_KEPT)), in file order.
    pub warnings: Vec<Problem>,
}

/// The inventory was refused. `problems` is never empty; both lists are in file order.
#[derive(Debug, Clone, thiserror::Error)]
pub struct InvalidInventory {
    /// The first [`MAX_PROBLEMS_KEPT`](super::MAX_PROBLEMS_KEPT) problems.
    pub problems: Vec<Problem>,
    /// The warnings found as well, in file order.
    pub warnings: Vec<Problem>,
    /// Problems found beyond `problems`, counted but not kept (so a hostile file cannot fill
    /// memory): the total is `problems.len() + more_problems`.
    pub more_problems: usize,
}

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
