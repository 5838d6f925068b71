//! Days of the week, times of day and time zones as the inventory writes them, shared by
//! `business_hours` and `maintenance` windows.

use chrono::{NaiveTime, Weekday};
use serde_yaml_ng::Value;

use super::report::{At, index};

/// The day names the inventory accepts, in week order.
pub(super) const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// A list of day names at `field`, each once. An empty list is an error unless `empty_ok`.
pub(super) fn parse_days(
    at: &mut At,
    field: &str,
    value: &Value,
    empty_ok: bool,
) -> Option<Vec<Weekday>> {
    let items = at.list(field, value)?;
    if items.is_empty() && !empty_ok {
        at.error(
            field,
            Some(value),
            "needs at least one day, e.g. [mon, tue, wed, thu, fri]",
        );
        return None;
    }
    if items.len() > DAYS.len() {
        at.error(
            field,
            None,
            format!("lists {} days; a week has 7, list each once", items.len()),
        );
        return None;
    }
    let mut days = Vec::new();
    let mut all_valid = true;
    for (i, item) in items.iter().enumerate() {
        let item_field = index(field, i);
        let day = at.text(&item_field, item).and_then(|name| {
            let day = DAYS.iter().find(|(short, _)| *short == name).map(|d| d.1);
            if day.is_none() {
                at.error(
                    &item_field,
                    Some(item),
                    "is not a day; use mon, tue, wed, thu, fri, sat or sun",
                );
            }
            day
        });
        match day {
            Some(day) if days.contains(&day) => {
                at.error(
                    &item_field,
                    Some(item),
                    "is listed twice; list each day once",
                );
                all_valid = false;
            }
            Some(day) => days.push(day),
            None => all_valid = false,
        }
    }
    all_valid.then_some(days)
}

/// A 24-hour `HH:MM` time.
pub(super) fn parse_time(at: &mut At, field: &str, value: &Value) -> Option<NaiveTime> {
    const HOW: &str = "must be a 24-hour time written HH:MM in quotes, e.g. \"08:00\" or \"18:30\"";
    let time = value.as_str().and_then(|text| {
        let (hours, minutes) = text.split_once(':')?;
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(hours) || !two_digits(minutes) {
            return None;
        }
        NaiveTime::from_hms_opt(hours.parse().ok()?, minutes.parse().ok()?, 0)
    });
    if time.is_none() {
        at.error(field, Some(value), HOW);
    }
    time
}

/// An IANA time zone name at `field`.
pub(super) fn parse_timezone(at: &mut At, field: &str, value: &Value) -> Option<String> {
    let name = at.text(field, value)?;
    if !is_valid_timezone(name) {
        at.error(
            field,
            Some(value),
            "is not a time zone name; use an IANA name such as America/New_York, Europe/London or UTC",
        );
        return None;
    }
    Some(name.to_string())
}

/// Whether `name` is a time zone of the IANA database, e.g. `America/New_York` or `UTC`.
pub fn is_valid_timezone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}
