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

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> Team {
        Team {
            id: "crm-ops".into(),
            name: "CRM Operations".into(),
            timezone: None,
            business_hours: None,
            escalate_after: None,
            notify: Notify {
                email: vec!["crm-ops@example.com".into(), "On.Call@example.org".into()],
                min_severity: Severity::Medium,
            },
        }
    }

    fn notify_of(item: &mut Item) -> &mut std::collections::HashMap<String, AttributeValue> {
        match item.get_mut(super::super::attributes::NOTIFY) {
            Some(AttributeValue::M(notify)) => notify,
            other => panic!("notify is a map: {other:?}"),
        }
    }

    #[test]
    fn the_notify_block_round_trips_and_an_item_without_one_reads_as_the_default() {
        let item = team_item(&team());
        assert_eq!(decode_team(&item), Ok(team()));
        let mut older = item.clone();
        older.remove(super::super::attributes::NOTIFY);
        assert_eq!(decode_team(&older).map(|t| t.notify), Ok(Notify::default()));
    }

    /// Each wrong notify value names its attribute and never echoes the value.
    #[test]
    fn a_corrupt_notify_block_names_the_attribute() {
        use super::super::attributes::{EMAIL, MIN_SEVERITY, NOTIFY};
        let cases: [(&str, AttributeValue, &str); 5] = [
            (EMAIL, s("not-an-address"), "notify.email"),
            (
                EMAIL,
                AttributeValue::L(vec![s("not-an-address")]),
                "notify.email",
            ),
            (
                EMAIL,
                AttributeValue::L(
                    (0..=EMAILS_MAX)
                        .map(|i| s(format!("a{i}@example.com")))
                        .collect(),
                ),
                "notify.email",
            ),
            (MIN_SEVERITY, s("urgent"), "notify.min_severity"),
            (
                MIN_SEVERITY,
                AttributeValue::N("1".into()),
                "notify.min_severity",
            ),
        ];
        for (attribute, value, field) in cases {
            let mut item = team_item(&team());
            notify_of(&mut item).insert(attribute.to_string(), value);
            let err = decode_team(&item).expect_err("corrupt");
            assert_eq!(err.field, field, "{err}");
            assert!(!err.to_string().contains("not-an-address"), "{err}");
        }
        let mut item = team_item(&team());
        item.insert(NOTIFY.to_string(), s("crm-ops@example.com"));
        assert_eq!(decode_team(&item).expect_err("corrupt").field, "notify");
        let mut item = team_item(&team());
        notify_of(&mut item).remove(MIN_SEVERITY);
        assert_eq!(
            decode_team(&item).expect_err("corrupt").field,
            "notify.min_severity"
        );
    }
}
