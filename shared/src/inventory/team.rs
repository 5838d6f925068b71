//! One entry of `teams:` (who owns integrations, their time zone and business hours).

use std::collections::HashMap;

use std::time::Duration;

use serde_yaml_ng::Value;

use super::bounds::{self, NAME_MAX};
use super::clock::{parse_days, parse_time, parse_timezone};
use super::entry::{entry_id, entry_location, require};
use super::maintenance::parse_maintenance;
use super::model::{BusinessHours, Notify, Team};
use super::notify::parse_notify;
use super::report::{At, Report, index, join};

const TEAM_KEYS: [&str; 9] = [
    "id",
    "name",
    "timezone",
    "business_hours",
    "escalate_after",
    "escalate_to",
    "after_hours_to",
    "notify",
    "maintenance",
];
const BUSINESS_HOURS_KEYS: [&str; 3] = ["days", "start", "end"];

/// The teams, and every id declared: valid or not, so that one bad team does not also make
/// every integration it owns an error; `None` if `teams` is not even a list.
pub(super) fn parse_teams(value: &Value, report: &mut Report) -> (Vec<Team>, Option<Vec<String>>) {
    let Some(items) = At::new("inventory", report).list("teams", value) else {
        return (Vec::new(), None);
    };
    let team_ids: Vec<String> = items
        .iter()
        .filter_map(|team| team.get("id")?.as_str().map(str::to_string))
        .collect();
    let mut ids = HashMap::new();
    let mut owners: HashMap<String, String> = HashMap::new();
    let mut teams = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(team) = parse_team(i, item, &mut ids, &team_ids, report) else {
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
    team_ids: &[String],
    report: &mut Report,
) -> Option<Team> {
    let mut at = At::new(entry_location("teams", i, item), report);
    let map = at.mapping("", item)?;
    let mut given = Vec::new();
    let (mut id, mut name, mut timezone, mut business_hours, mut escalate_after) =
        (None, None, None, None, None);
    let (mut escalate_to, mut after_hours_to) = (None, None);
    // Absent means the default; given but invalid means no team (its problems are reported).
    let mut notify = Some(Notify::default());
    let mut maintenance = Some(Vec::new());
    let mut refs_valid = true;
    for (key, value) in map {
        let Some(key) = at.key("", key) else { continue };
        if value.is_null() && TEAM_KEYS.contains(&key) {
            continue;
        }
        given.push(key);
        match key {
            "id" => id = entry_id(&mut at, value, "teams", i, ids),
            "name" => name = at.bounded_text("name", value, NAME_MAX).map(str::to_string),
            "timezone" => timezone = parse_timezone(&mut at, "timezone", value),
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
            "escalate_to" => {
                escalate_to = parse_team_ref(&mut at, "escalate_to", value, team_ids);
                refs_valid &= escalate_to.is_some();
            }
            "after_hours_to" => {
                after_hours_to = parse_team_ref(&mut at, "after_hours_to", value, team_ids);
                refs_valid &= after_hours_to.is_some();
            }
            "notify" => notify = parse_notify(&mut at, value),
            "maintenance" => maintenance = parse_maintenance(&mut at, value),
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
    let team = Team {
        id: id?,
        name: name?,
        timezone,
        business_hours,
        escalate_after,
        escalate_to,
        after_hours_to,
        notify: notify?,
        maintenance: maintenance?,
    };
    let escalate_after_given = given.contains(&"escalate_after");
    (check_team_refs(&mut at, map, &team, escalate_after_given) && refs_valid).then_some(team)
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
            "days" => days = parse_days(at, "business_hours.days", value, false),
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

/// `escalate_to` or `after_hours_to`: the id of a team declared under `teams` (`team_ids`,
/// every id declared, valid team or not, as integration owners are checked).
fn parse_team_ref(at: &mut At, field: &str, value: &Value, team_ids: &[String]) -> Option<String> {
    let id = at.text(field, value)?;
    if !team_ids.iter().any(|t| t == id) {
        at.error(
            field,
            Some(value),
            format!(
                "is not the id of a team under `teams:` (declared teams: {})",
                team_ids.join(", ")
            ),
        );
        return None;
    }
    Some(id.to_string())
}

/// What holds between keys of one team: `escalate_to` needs `escalate_after` and neither team
/// reference may name the team itself; `after_hours_to` without business hours never applies.
fn check_team_refs(
    at: &mut At,
    map: &serde_yaml_ng::Mapping,
    team: &Team,
    escalate_after_given: bool,
) -> bool {
    let mut valid = true;
    for (field, target) in [
        ("escalate_to", &team.escalate_to),
        ("after_hours_to", &team.after_hours_to),
    ] {
        if target.as_deref() == Some(team.id.as_str()) {
            at.error(
                field,
                map.get(field),
                "names this team itself; name another team (a backup who is not already receiving these alerts)",
            );
            valid = false;
        }
    }
    // An escalate_after given but invalid is reported already.
    if team.escalate_to.is_some() && !escalate_after_given {
        at.error(
            "escalate_to",
            map.get("escalate_to"),
            "escalate_to needs escalate_after: how long an unacknowledged incident waits before it goes to the other team, e.g. escalate_after: 30m",
        );
        valid = false;
    }
    if team.after_hours_to.is_some() && team.business_hours.is_none() {
        at.warn(
            "after_hours_to",
            map.get("after_hours_to"),
            "has no effect: the team has no business_hours, so it is never after hours; add business_hours or remove after_hours_to",
        );
    }
    valid
}
