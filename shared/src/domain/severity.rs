//! How serious an incident is: the `severity` of the inventory, of incidents and of alerts.

use serde::{Deserialize, Serialize};

/// Severity, most serious first: the derived order makes `Critical < High < Medium < Low`, so
/// the *less* urgent of two is their `max`. Written and read as lowercase words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Business-critical: page now.
    Critical,
    /// Serious: page during working hours, or now for platform trouble.
    High,
    /// Needs attention soon.
    Medium,
    /// Informational.
    Low,
}

impl Severity {
    /// `critical`, `high`, `medium` or `low`: the form stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// The inverse of [`Severity::as_str`]; `None` for any other text (case-sensitive).
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "critical" => Some(Severity::Critical),
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            _ => None,
        }
    }
}
