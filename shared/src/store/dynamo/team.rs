//! The team item, encoded and decoded.

use std::str::FromStr;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{NaiveTime, Weekday};

use super::keys::{item_label, keyed, team_key};
use super::reader::{ReadResult, Reader};
use super::value::{Item, map, s, seconds};
use crate::inventory::bounds::EMAILS_MAX;
use crate::inventory::{BusinessHours, Notify, Severity, Team, is_email_address};

/// A team's whole item.
pub fn team_item(team: &Team) -> Item {
    use super::attributes::*;
    let hours = team.business_hours.as_ref().map(|h| {
        let days = h
            .days
            .iter()
            .map(|d| s(d.to_string().to_lowercase()))
            .collect();
        map(vec![
            (DAYS, Some(AttributeValue::L(days))),
            (START, Some(s(h.start.format("%H:%M:%S").to_string()))),
            (END, Some(s(h.end.format("%H:%M:%S").to_string()))),
        ])
    });
    let emails = team.notify.email.iter().map(s).collect();
    let notify = map(vec![
        (EMAIL, Some(AttributeValue::L(emails))),
        (MIN_SEVERITY, Some(s(team.notify.min_severity.as_str()))),
    ]);
    let fields = vec![
        (ID, Some(s(&team.id))),
        (NAME, Some(s(&team.name))),
        (TIMEZONE, team.timezone.as_deref().map(s)),
        (BUSINESS_HOURS, hours),
        (ESCALATE_AFTER, team.escalate_after.map(seconds)),
        (NOTIFY, Some(notify)),
    ];
    keyed(&team_key(&team.id), fields)
}

/// A team item decoded, or where it is wrong (never its values).
pub fn decode_team(item: &Item) -> ReadResult<Team> {
    use super::attributes::*;
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let clock = |text: &str| NaiveTime::parse_from_str(text, "%H:%M:%S").ok();
    let business_hours = match r.opt_map(BUSINESS_HOURS)? {
        None => None,
        Some(h) => Some(BusinessHours {
            days: h.parsed_list(DAYS, "weekday", |text| Weekday::from_str(text).ok())?,
            start: h.parsed(START, "time of day", clock)?,
            end: h.parsed(END, "time of day", clock)?,
        }),
    };
    let notify = match r.opt_map(NOTIFY)? {
        None => Notify::default(),
        Some(n) => {
            let email = n.parsed_list(EMAIL, "email address", |text| {
                is_email_address(text).then(|| text.to_string())
            })?;
            if email.len() > EMAILS_MAX {
                return Err(n.corrupt(EMAIL, &format!("holds more than {EMAILS_MAX} addresses")));
            }
            Notify {
                email,
                min_severity: n.parsed(MIN_SEVERITY, "severity", Severity::parse)?,
            }
        }
    };
    Ok(Team {
        id: r.string(ID)?,
        name: r.string(NAME)?,
        timezone: r.opt_string(TIMEZONE)?,
        business_hours,
        escalate_after: r.opt_number(ESCALATE_AFTER)?.map(Duration::from_secs),
        notify,
    })
}
