//! One entry of `teams:` (who owns integrations, their time zone and business hours).

use std::collections::HashMap;

use std::time::Duration;

use chrono::{NaiveTime, Weekday};
use serde_yaml_ng::Value;

use super::bounds::{self, NAME_MAX};
use super::entry::{entry_id, entry_location, require};
use super::model::{BusinessHours, Notify, Team};
use super::notify::parse_notify;
use super::report::{At, Report, index, join};

const TEAM_KEYS: [&str; 6] = [
    "id",
    "name",
    "timezone",
    "business_hours",
    "escalate_after",
    "notify",
];
/// Team keys of DESIGN's routing list that later versions read: refused, never ignored.
const LATER_TEAM_KEYS: [&str; 3] = ["escalate_to", "after_hours_to", "maintenance"];
const BUSINESS_HOURS_KEYS: [&str; 3] = ["days", "start", "end"];
const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// The teams, and every id declared: valid or not, so that one bad team does not also make
/// every integration it owns an error; `None` if `teams` is not even a list.
pub(super) fn parse_teams(value: &Value, report: &mut Report) -> (Vec<Team>, Option<Vec<String>>) {
    let Some(items) = At::new("inventory", report).list("teams", value) else {
        return (Vec::new(), None);
    };
    let team_ids = items
        .iter()
        .filter_map(|team| team.get("id")?.as_str().map(str::to_string))
        .collect();
    let mut ids = HashMap::new();
    let mut owners: HashMap<String, String> = HashMap::new();
    let mut teams = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(team) = parse_team(i, item, &mut ids, report) else {
            continue;
        };
        // SNS keeps one subscription per address and topic, with one filter policy: an
        // address cannot follow two teams' thresholds at once.
        let mut at = At::new(entry_location("teams", i, item), report);
        for (n, email) in team.notify.email.iter().enumerate() {
            match owners.get(&email.to_lowercase()) {
                Some(first) if *first != team.id => at.error(
                    &index("notify.email", n),
                    None,
                    format!(
                        "{} is already listed by team {first}; an address can receive one team's alerts (SNS keeps one subscription per address), so use a separate address or list it under one team",
                        crate::text::printable::echo(email)
                    ),
                ),
                _ => {
                    owners.insert(email.to_lowercase(), team.id.clone());
                }
            }
        }
        teams.push(team);
    }
    (teams, Some(team_ids))
}

fn parse_team(
    i: usize,
    item: &Value,
    ids: &mut HashMap<String, usize>,
    report: &mut Report,
) -> Option<Team> {
    let mut at = At::new(entry_location("teams", i, item), report);
    let map = at.mapping("", item)?;
    let mut given = Vec::new();
    let (mut id, mut name, mut timezone, mut business_hours, mut escalate_after) =
        (None, None, None, None, None);
    // Absent means the default; given but invalid means no team (its problems are reported).
    let mut notify = Some(Notify::default());
    for (key, value) in map {
        let Some(key) = at.key("", key) else { continue };
        if value.is_null() && TEAM_KEYS.contains(&key) {
            continue;
        }
        given.push(key);
        match key {
            "id" => id = entry_id(&mut at, value, "teams", i, ids),
            "name" => name = at.bounded_text("name", value, NAME_MAX).map(str::to_string),
            "timezone" => timezone = parse_timezone(&mut at, value),
            "business_hours" => business_hours = parse_business_hours(&mut at, value),
            "escalate_after" => {
                escalate_after = at.duration_in(
                    "escalate_after",
                    value,
                    (Duration::from_secs(1), bounds::ESCALATE_AFTER_MAX),
                    "",
                    " (an unacknowledged incident should reach a backup within days, not weeks)",
                )
            }
            "notify" => notify = parse_notify(&mut at, value),
            later if LATER_TEAM_KEYS.contains(&later) => at.error(
                later,
                None,
                "is not supported yet by this credwatch; remove it",
            ),
            _ => at.unknown_key("", key, &TEAM_KEYS),
        }
    }
    require(
        &mut at,
        &given,
        "id",
        "is missing; give the team a short unique id such as crm-ops",
    );
    require(
        &mut at,
        &given,
        "name",
        "is missing; give the team a name people recognise, e.g. CRM Operations",
    );
    Some(Team {
        id: id?,
        name: name?,
        timezone,
        business_hours,
        escalate_after,
        notify: notify?,
    })
}

fn parse_timezone(at: &mut At, value: &Value) -> Option<String> {
    let name = at.text("timezone", value)?;
    if !is_valid_timezone(name) {
        at.error(
            "timezone",
            Some(value),
            "is not a time zone name; use an IANA name such as America/New_York, Europe/London or UTC",
        );
        return None;
    }
    Some(name.to_string())
}

fn parse_business_hours(at: &mut At, value: &Value) -> Option<BusinessHours> {
    let map = at.mapping("business_hours", value)?;
    let mut given = Vec::new();
    let (mut days, mut start, mut end) = (None, None, None);
    for (key, value) in map {
        let Some(key) = at.key("business_hours", key) else {
            continue;
        };
        if value.is_null() && BUSINESS_HOURS_KEYS.contains(&key) {
            continue;
        }
        given.push(key);
        match key {
            "days" => days = parse_days(at, value),
            "start" => start = parse_time(at, "business_hours.start", value),
            "end" => end = parse_time(at, "business_hours.end", value),
            _ => at.unknown_key("business_hours", key, &BUSINESS_HOURS_KEYS),
        }
    }
    for (key, example) in [
        ("days", "[mon, tue, wed, thu, fri]"),
        ("start", "\"08:00\""),
        ("end", "\"18:00\""),
    ] {
        if !given.contains(&key) {
            let field = join("business_hours", key);
            at.error(&field, None, format!("is missing; e.g. {key}: {example}"));
        }
    }
    let (start, end) = (start?, end?);
    if start >= end {
        at.error(
            "business_hours.end",
            map.get("end"),
            format!(
                "must be later than start ({}); business hours that run past midnight are not supported",
                start.format("%H:%M")
            ),
        );
        return None;
    }
    Some(BusinessHours {
        days: days?,
        start,
        end,
    })
}

fn parse_days(at: &mut At, value: &Value) -> Option<Vec<Weekday>> {
    let items = at.list("business_hours.days", value)?;
    if items.is_empty() {
        at.error(
            "business_hours.days",
            Some(value),
            "needs at least one day, e.g. [mon, tue, wed, thu, fri]",
        );
        return None;
    }
    let mut days = Vec::new();
    let mut all_valid = true;
    for (i, item) in items.iter().enumerate() {
        let field = index("business_hours.days", i);
        let day = at.text(&field, item).and_then(|name| {
            let day = DAYS.iter().find(|(short, _)| *short == name).map(|d| d.1);
            if day.is_none() {
                at.error(
                    &field,
                    Some(item),
                    "is not a day; use mon, tue, wed, thu, fri, sat or sun",
                );
            }
            day
        });
        match day {
            Some(day) if days.contains(&day) => {
                at.error(&field, Some(item), "is listed twice; list each day once");
                all_valid = false;
            }
            Some(day) => days.push(day),
            None => all_valid = false,
        }
    }
    all_valid.then_some(days)
}

/// A 24-hour `HH:MM` time.
fn parse_time(at: &mut At, field: &str, value: &Value) -> Option<NaiveTime> {
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

/// Whether `name` is a time zone of the IANA database, e.g. `America/New_York` or `UTC`.
pub fn is_valid_timezone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}
