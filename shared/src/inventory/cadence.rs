//! The cadence settings `defaults` and each integration share: `probe_every`, `recheck_every`,
//! `expiry_warn_days`, `secret_lifetime_days`.

use std::time::Duration;

use serde_yaml_ng::Value;

use super::bounds;
use super::model::Defaults;
use super::report::{At, Report, index};

/// The keys of the cadence settings, in `defaults` and in each integration.
pub(super) const CADENCE_KEYS: [&str; 4] = [
    "probe_every",
    "recheck_every",
    "expiry_warn_days",
    "secret_lifetime_days",
];

/// SFMC's own guidance, quoted wherever a cadence is too fast.
const TOKEN_RATE: &str = "SFMC asks callers to request at most about one access token every \
                          20 minutes per app, and apps that ask much more often get throttled";

/// `defaults`: the cadence settings, each falling back to the built-in default.
pub(super) fn parse_defaults(value: &Value, report: &mut Report) -> Defaults {
    let mut at = At::new("defaults", report);
    let mut cadence = Cadence::default();
    if let Some(map) = at.mapping("", value) {
        for (key, value) in map {
            let Some(key) = at.key("", key) else { continue };
            if !cadence.read(&mut at, key, value) {
                at.unknown_key("", key, &CADENCE_KEYS);
            }
        }
    }
    cadence.resolve(&Defaults::default())
}

/// The settings `defaults` and each integration share; `None` means not given (or invalid).
#[derive(Debug, Default)]
pub(super) struct Cadence {
    probe_every: Option<Duration>,
    recheck_every: Option<Duration>,
    expiry_warn_days: Option<Vec<u32>>,
    secret_lifetime_days: Option<u32>,
}

impl Cadence {
    /// Reads `key` if it is one of [`CADENCE_KEYS`]; false if it is not.
    pub fn read(&mut self, at: &mut At, key: &str, value: &Value) -> bool {
        if !CADENCE_KEYS.contains(&key) {
            return false;
        }
        if value.is_null() {
            return true;
        }
        match key {
            "probe_every" => self.probe_every = probe_every(at, value),
            "recheck_every" => self.recheck_every = recheck_every(at, value),
            "expiry_warn_days" => self.expiry_warn_days = expiry_warn_days(at, value),
            _ => {
                self.secret_lifetime_days = at
                    .number_in_range(
                        "secret_lifetime_days",
                        value,
                        bounds::SECRET_LIFETIME_DAYS_MAX,
                        "days",
                    )
                    .map(|days| days as u32);
            }
        }
        true
    }

    /// Fills what was not given from `fallback`.
    pub fn resolve(self, fallback: &Defaults) -> Defaults {
        Defaults {
            probe_every: self.probe_every.unwrap_or(fallback.probe_every),
            recheck_every: self.recheck_every.unwrap_or(fallback.recheck_every),
            expiry_warn_days: self
                .expiry_warn_days
                .unwrap_or_else(|| fallback.expiry_warn_days.clone()),
            secret_lifetime_days: self
                .secret_lifetime_days
                .unwrap_or(fallback.secret_lifetime_days),
        }
    }
}

fn probe_every(at: &mut At, value: &Value) -> Option<Duration> {
    let every = at.duration_in(
        "probe_every",
        value,
        bounds::PROBE_EVERY,
        &format!(" ({TOKEN_RATE}); 15m is a good default"),
        " (a credential that breaks would go unnoticed that long); 15m is a good default",
    )?;
    if every < Duration::from_secs(5 * 60) {
        at.warn(
            "probe_every",
            Some(value),
            format!("is shorter than 5m: {TOKEN_RATE}; 15m is a good default"),
        );
    }
    Some(every)
}

fn recheck_every(at: &mut At, value: &Value) -> Option<Duration> {
    at.duration_in(
        "recheck_every",
        value,
        bounds::RECHECK_EVERY,
        &format!(" ({TOKEN_RATE}); 2m is a good default"),
        " (a failing credential is rechecked this often to confirm it); 2m is a good default",
    )
}

fn expiry_warn_days(at: &mut At, value: &Value) -> Option<Vec<u32>> {
    let items = at.list("expiry_warn_days", value)?;
    if items.is_empty() {
        at.error(
            "expiry_warn_days",
            Some(value),
            "needs at least one number of days, e.g. [30, 14, 7, 3, 1]",
        );
        return None;
    }
    if items.len() > bounds::WARN_DAYS_COUNT_MAX {
        at.error(
            "expiry_warn_days",
            None,
            format!(
                "lists {} thresholds; at most {}",
                items.len(),
                bounds::WARN_DAYS_COUNT_MAX
            ),
        );
        return None;
    }
    let mut days = Vec::new();
    let mut all_valid = true;
    for (i, item) in items.iter().enumerate() {
        let field = index("expiry_warn_days", i);
        match at.number_in_range(&field, item, bounds::WARN_DAYS_MAX, "days") {
            Some(n) if days.contains(&(n as u32)) => {
                at.error(&field, Some(item), "is listed twice; list each number once");
                all_valid = false;
            }
            Some(n) => days.push(n as u32),
            None => all_valid = false,
        }
    }
    // Largest first: the order reminders go out in.
    days.sort_unstable_by(|a, b| b.cmp(a));
    all_valid.then_some(days)
}
