//! Maintenance windows as team and integration items hold them: attribute `maintenance`, a list
//! of maps `{days: L of S (mon..sun), start: S HH:MM:SS, duration: N (seconds), timezone: S?}`.

use std::str::FromStr;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{NaiveTime, Weekday};

use super::attributes::{DAYS, DURATION, MAINTENANCE, START, TIMEZONE};
use super::reader::{ReadResult, Reader};
use super::value::{map, n, s};
use crate::inventory::bounds::{MAINTENANCE_DURATION, MAINTENANCE_MAX, TEXT_MAX, within};
use crate::inventory::{MaintenanceWindow, is_valid_timezone};

/// The `maintenance` attribute value of `windows` (an empty list when there are none).
pub fn windows_value(windows: &[MaintenanceWindow]) -> AttributeValue {
    AttributeValue::L(
        windows
            .iter()
            .map(|w| {
                let days = w
                    .days
                    .iter()
                    .map(|d| s(d.to_string().to_lowercase()))
                    .collect();
                map(vec![
                    (DAYS, Some(AttributeValue::L(days))),
                    (START, Some(s(w.start.format("%H:%M:%S").to_string()))),
                    (DURATION, Some(n(w.duration.as_secs()))),
                    (TIMEZONE, w.timezone.as_deref().map(s)),
                ])
            })
            .collect(),
    )
}

/// The windows of attribute `maintenance` under `r` (none when absent: items written before
/// maintenance windows existed), checked as the inventory checks them: at most
/// [`MAINTENANCE_MAX`], each day once, a duration within [`MAINTENANCE_DURATION`], an IANA
/// time zone. A problem names the window, e.g. `maintenance[2].duration`, never the value.
pub fn decode_windows(r: &Reader<'_>) -> ReadResult<Vec<MaintenanceWindow>> {
    let Some(value) = r.get(MAINTENANCE) else {
        return Ok(Vec::new());
    };
    let items = value
        .as_l()
        .map_err(|_| r.corrupt(MAINTENANCE, "is not a list (L)"))?;
    if items.len() > MAINTENANCE_MAX {
        return Err(r.corrupt(
            MAINTENANCE,
            &format!("holds more than {MAINTENANCE_MAX} windows"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(j, item)| decode_window(&r.nested(&format!("{MAINTENANCE}[{j}]"), item)?))
        .collect()
}

fn decode_window(w: &Reader<'_>) -> ReadResult<MaintenanceWindow> {
    let days = w.parsed_list(DAYS, "weekday", |text| Weekday::from_str(text).ok())?;
    if days.iter().enumerate().any(|(i, d)| days[..i].contains(d)) {
        return Err(w.corrupt(DAYS, "holds a weekday twice"));
    }
    let start = w.parsed(START, "time of day", |text| {
        NaiveTime::parse_from_str(text, "%H:%M:%S").ok()
    })?;
    let duration = Duration::from_secs(w.number(DURATION)?);
    let (min, max) = MAINTENANCE_DURATION;
    if !(min..=max).contains(&duration) {
        return Err(w.corrupt(
            DURATION,
            &format!("is outside {}..={} seconds", min.as_secs(), max.as_secs()),
        ));
    }
    let timezone = w.opt_string(TIMEZONE)?;
    if timezone
        .as_deref()
        .is_some_and(|tz| !within(tz, TEXT_MAX) || !is_valid_timezone(tz))
    {
        return Err(w.corrupt(TIMEZONE, "is not an IANA time zone name"));
    }
    Ok(MaintenanceWindow {
        days,
        start,
        duration,
        timezone,
    })
}
