//! `maintenance:` of a team or an integration: recurring windows during which notifications
//! are suppressed (see README, "The inventory").

use serde_yaml_ng::Value;

use super::bounds::{MAINTENANCE_DURATION, MAINTENANCE_MAX};
use super::clock::{parse_days, parse_time, parse_timezone};
use super::model::MaintenanceWindow;
use super::report::{At, index, join};

const WINDOW_KEYS: [&str; 4] = ["days", "start", "duration", "timezone"];

/// The `maintenance` list; `None` (with problems reported) if any window is invalid.
pub(super) fn parse_maintenance(at: &mut At, value: &Value) -> Option<Vec<MaintenanceWindow>> {
    let items = at.list("maintenance", value)?;
    if items.len() > MAINTENANCE_MAX {
        at.error(
            "maintenance",
            None,
            format!(
                "lists {} windows; at most {MAINTENANCE_MAX} (a window can cover several days: list them in days)",
                items.len()
            ),
        );
        return None;
    }
    let mut windows = Vec::new();
    let mut valid = true;
    for (j, item) in items.iter().enumerate() {
        match parse_window(at, &index("maintenance", j), item) {
            Some(window) => windows.push(window),
            None => valid = false,
        }
    }
    valid.then_some(windows)
}

fn parse_window(at: &mut At, field: &str, value: &Value) -> Option<MaintenanceWindow> {
    let map = at.mapping(field, value)?;
    let mut given = Vec::new();
    let (mut start, mut duration) = (None, None);
    // Absent means the default; given but invalid means no window.
    let (mut days, mut timezone) = (Some(Vec::new()), Some(None));
    let mut valid = true;
    for (key, value) in map {
        let Some(key) = at.key(field, key) else {
            valid = false;
            continue;
        };
        if value.is_null() && WINDOW_KEYS.contains(&key) {
            continue;
        }
        given.push(key);
        let child = join(field, key);
        match key {
            "days" => days = parse_days(at, &child, value, true),
            "start" => start = parse_time(at, &child, value),
            "duration" => {
                duration = at.duration_in(
                    &child,
                    value,
                    MAINTENANCE_DURATION,
                    "",
                    " (for longer planned work, use a silence)",
                )
            }
            "timezone" => timezone = parse_timezone(at, &child, value).map(Some),
            _ => {
                at.unknown_key(field, key, &WINDOW_KEYS);
                valid = false;
            }
        }
    }
    for (key, example) in [("start", "start: \"02:00\""), ("duration", "duration: 3h")] {
        if !given.contains(&key) {
            at.error(
                &join(field, key),
                None,
                format!("is missing; e.g. {example}"),
            );
        }
    }
    let window = MaintenanceWindow {
        days: days?,
        start: start?,
        duration: duration?,
        timezone: timezone?,
    };
    valid.then_some(window)
}
