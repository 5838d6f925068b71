//! The team item, encoded and decoded.

use std::str::FromStr;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{NaiveTime, Weekday};

use super::keys::{item_label, keyed, team_key};
use super::maintenance::{decode_windows, windows_value};
use super::reader::{ReadResult, Reader};
use super::value::{Item, map, n, s, seconds};
use crate::inventory::bounds::{self, EMAILS_MAX};
use crate::inventory::{
    BusinessHours, DEFAULT_GROUP_MIN, DEFAULT_GROUP_WAIT, Notify, Severity, Team, is_email_address,
    is_secret_name, is_valid_id,
};

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
    let remind_after = team.notify.remind_after.iter().map(|d| seconds(*d));
    let notify = map(vec![
        (EMAIL, Some(AttributeValue::L(emails))),
        (MIN_SEVERITY, Some(s(team.notify.min_severity.as_str()))),
        (
            REMIND_AFTER,
            Some(AttributeValue::L(remind_after.collect())),
        ),
        (REMIND_MAX, team.notify.remind_max.map(n)),
        (GROUP_WAIT, Some(seconds(team.notify.group_wait))),
        (GROUP_MIN, Some(n(team.notify.group_min))),
        // The secret's name only: the URL never reaches the table.
        (
            SLACK_WEBHOOK_SECRET,
            team.notify.slack_webhook.as_deref().map(s),
        ),
    ]);
    let fields = vec![
        (ID, Some(s(&team.id))),
        (NAME, Some(s(&team.name))),
        (TIMEZONE, team.timezone.as_deref().map(s)),
        (BUSINESS_HOURS, hours),
        (ESCALATE_AFTER, team.escalate_after.map(seconds)),
        (ESCALATE_TO, team.escalate_to.as_deref().map(s)),
        (AFTER_HOURS_TO, team.after_hours_to.as_deref().map(s)),
        (NOTIFY, Some(notify)),
        (MAINTENANCE, Some(windows_value(&team.maintenance))),
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
                remind_after: decode_remind_after(&n)?,
                remind_max: n
                    .opt_number::<u32>(REMIND_MAX)?
                    .map(|max| in_range(&n, REMIND_MAX, max, 1, bounds::REMIND_MAX_MAX))
                    .transpose()?,
                group_wait: match n.opt_number::<u64>(GROUP_WAIT)? {
                    None => DEFAULT_GROUP_WAIT,
                    Some(secs) => Duration::from_secs(in_range(
                        &n,
                        GROUP_WAIT,
                        secs,
                        0,
                        bounds::GROUP_WAIT_MAX.as_secs(),
                    )?),
                },
                group_min: match n.opt_number::<u32>(GROUP_MIN)? {
                    None => DEFAULT_GROUP_MIN,
                    Some(min) => in_range(&n, GROUP_MIN, min, 2, bounds::GROUP_MIN_MAX)?,
                },
                slack_webhook: match n.opt_string(SLACK_WEBHOOK_SECRET)? {
                    Some(name) if !is_secret_name(&name) => {
                        return Err(n.corrupt(
                            SLACK_WEBHOOK_SECRET,
                            "is not a Secrets Manager secret name",
                        ));
                    }
                    name => name,
                },
            }
        }
    };
    Ok(Team {
        id: r.string(ID)?,
        name: r.string(NAME)?,
        timezone: r.opt_string(TIMEZONE)?,
        business_hours,
        escalate_after: r.opt_number(ESCALATE_AFTER)?.map(Duration::from_secs),
        escalate_to: team_ref(&r, ESCALATE_TO)?,
        after_hours_to: team_ref(&r, AFTER_HOURS_TO)?,
        notify,
        maintenance: decode_windows(&r)?,
    })
}

/// `value` of attribute `name` if within `min..=max`.
fn in_range<T: Into<u64> + Copy>(
    r: &Reader<'_>,
    name: &str,
    value: T,
    min: u64,
    max: u64,
) -> ReadResult<T> {
    if (min..=max).contains(&value.into()) {
        Ok(value)
    } else {
        Err(r.corrupt(name, &format!("is outside {min}..={max}")))
    }
}

/// `notify.remind_after`: absent (items written before it) is the severity's schedule.
fn decode_remind_after(n: &Reader<'_>) -> ReadResult<Vec<Duration>> {
    use super::attributes::REMIND_AFTER as NAME;
    if n.get(NAME).is_none() {
        return Ok(Vec::new());
    }
    let secs: Vec<u64> = n.numbers(NAME)?;
    let (min, max) = bounds::REMIND_AFTER;
    let (min, max, count) = (min.as_secs(), max.as_secs(), bounds::REMIND_AFTER_COUNT_MAX);
    if secs.len() > count || secs.iter().any(|s| !(min..=max).contains(s)) {
        return Err(n.corrupt(
            NAME,
            &format!("is outside {min}..={max} seconds (at most {count} of them)"),
        ));
    }
    Ok(secs.into_iter().map(Duration::from_secs).collect())
}

/// An optional team id (`escalate_to`, `after_hours_to`), by the inventory's id rule.
fn team_ref(r: &Reader<'_>, name: &str) -> ReadResult<Option<String>> {
    r.opt_parsed(name, "team id", |text| {
        is_valid_id(text).then(|| text.to_string())
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
            escalate_to: None,
            after_hours_to: None,
            notify: Notify {
                email: vec!["crm-ops@example.com".into(), "On.Call@example.org".into()],
                min_severity: Severity::Medium,
                ..Notify::default()
            },
            maintenance: Vec::new(),
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
        use super::super::attributes::{EMAIL, MIN_SEVERITY, NOTIFY, SLACK_WEBHOOK_SECRET};
        let cases: [(&str, AttributeValue, &str); 7] = [
            (
                SLACK_WEBHOOK_SECRET,
                s("https://hooks.slack.com/services/T0/B0/not-an-address"),
                "notify.slack_webhook_secret",
            ),
            (
                SLACK_WEBHOOK_SECRET,
                AttributeValue::N("1".into()),
                "notify.slack_webhook_secret",
            ),
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

    /// Every alert-operations field away from its default.
    fn alerting_team() -> Team {
        use crate::inventory::MaintenanceWindow;
        Team {
            escalate_after: Some(Duration::from_secs(1800)),
            escalate_to: Some("platform".into()),
            after_hours_to: Some("night-desk".into()),
            notify: Notify {
                remind_after: vec![Duration::from_secs(60), Duration::from_secs(30 * 86_400)],
                remind_max: Some(1000),
                group_wait: Duration::ZERO,
                group_min: 1000,
                slack_webhook: Some("credwatch/slack/crm-ops".into()),
                ..team().notify
            },
            maintenance: vec![
                MaintenanceWindow {
                    days: vec![Weekday::Sun, Weekday::Sat],
                    start: NaiveTime::from_hms_opt(2, 0, 0).expect("a time"),
                    duration: Duration::from_secs(3 * 3600),
                    timezone: Some("Europe/Berlin".into()),
                },
                MaintenanceWindow {
                    days: Vec::new(),
                    start: NaiveTime::from_hms_opt(23, 30, 0).expect("a time"),
                    duration: Duration::from_secs(7 * 86_400),
                    timezone: None,
                },
            ],
            ..team()
        }
    }

    #[test]
    fn alerting_fields_round_trip_and_older_items_read_with_their_defaults() {
        use super::super::attributes::{
            AFTER_HOURS_TO, ESCALATE_TO, GROUP_MIN, GROUP_WAIT, MAINTENANCE, REMIND_AFTER,
            REMIND_MAX, SLACK_WEBHOOK_SECRET,
        };
        let item = team_item(&alerting_team());
        assert_eq!(decode_team(&item), Ok(alerting_team()));
        let mut older = item.clone();
        for name in [ESCALATE_TO, AFTER_HOURS_TO, MAINTENANCE] {
            older.remove(name);
        }
        for name in [
            REMIND_AFTER,
            REMIND_MAX,
            GROUP_WAIT,
            GROUP_MIN,
            SLACK_WEBHOOK_SECRET,
        ] {
            notify_of(&mut older).remove(name);
        }
        let decoded = decode_team(&older).expect("an older item reads");
        assert_eq!(decoded.escalate_to, None);
        assert_eq!(decoded.after_hours_to, None);
        assert!(decoded.maintenance.is_empty());
        assert_eq!(
            decoded.notify,
            Notify {
                email: team().notify.email,
                min_severity: Severity::Medium,
                ..Notify::default()
            }
        );
    }

    /// Each out-of-bounds or mistyped alerting value names its attribute, never the value.
    #[test]
    fn corrupt_alerting_values_name_the_attribute() {
        use super::super::attributes::{
            DAYS, DURATION, ESCALATE_TO, GROUP_MIN, GROUP_WAIT, MAINTENANCE, REMIND_AFTER,
            REMIND_MAX, START, TIMEZONE,
        };
        let num = |v: &str| AttributeValue::N(v.into());
        let notify_cases: Vec<(&str, AttributeValue, &str)> = vec![
            (
                REMIND_AFTER,
                AttributeValue::L(vec![num("59")]),
                "notify.remind_after",
            ),
            (
                REMIND_AFTER,
                AttributeValue::L(vec![num("2592001")]),
                "notify.remind_after",
            ),
            (
                REMIND_AFTER,
                AttributeValue::L(vec![num("3600"); 11]),
                "notify.remind_after",
            ),
            (REMIND_AFTER, s("1h"), "notify.remind_after"),
            (REMIND_MAX, num("0"), "notify.remind_max"),
            (REMIND_MAX, num("1001"), "notify.remind_max"),
            (REMIND_MAX, num("-1"), "notify.remind_max"),
            (GROUP_WAIT, num("3601"), "notify.group_wait"),
            (GROUP_WAIT, s("1m"), "notify.group_wait"),
            (GROUP_MIN, num("1"), "notify.group_min"),
            (GROUP_MIN, num("1001"), "notify.group_min"),
        ];
        for (attribute, value, field) in notify_cases {
            let mut item = team_item(&alerting_team());
            notify_of(&mut item).insert(attribute.to_string(), value);
            let err = decode_team(&item).expect_err("corrupt");
            assert_eq!(err.field, field, "{err}");
        }
        let window = |name: &str, value: AttributeValue| {
            let mut item = team_item(&alerting_team());
            match item.get_mut(MAINTENANCE) {
                Some(AttributeValue::L(windows)) => match &mut windows[1] {
                    AttributeValue::M(w) => {
                        w.insert(name.to_string(), value);
                    }
                    other => panic!("a window is a map: {other:?}"),
                },
                other => panic!("maintenance is a list: {other:?}"),
            }
            item
        };
        let window_cases: Vec<(Item, &str)> = vec![
            (window(DURATION, num("59")), "maintenance[1].duration"),
            (window(DURATION, num("604801")), "maintenance[1].duration"),
            (window(START, s("25:00:00")), "maintenance[1].start"),
            (
                window(DAYS, AttributeValue::L(vec![s("sun"), s("sun")])),
                "maintenance[1].days",
            ),
            (
                window(DAYS, AttributeValue::L(vec![s("someday")])),
                "maintenance[1].days",
            ),
            (
                window(TIMEZONE, s("Mars/Olympus")),
                "maintenance[1].timezone",
            ),
        ];
        for (item, field) in window_cases {
            let err = decode_team(&item).expect_err("corrupt");
            assert_eq!(err.field, field, "{err}");
            assert!(
                !err.to_string().contains("Mars") && !err.to_string().contains("someday"),
                "{err}"
            );
        }
        let mut item = team_item(&alerting_team());
        item.insert(MAINTENANCE.into(), s("sundays"));
        assert_eq!(decode_team(&item).expect_err("corrupt").field, MAINTENANCE);
        let mut item = team_item(&alerting_team());
        let twenty_one = (0..21)
            .map(|_| AttributeValue::M(Default::default()))
            .collect();
        item.insert(MAINTENANCE.into(), AttributeValue::L(twenty_one));
        assert_eq!(decode_team(&item).expect_err("corrupt").field, MAINTENANCE);
        let mut item = team_item(&alerting_team());
        item.insert(ESCALATE_TO.into(), s("Not A Team\u{1b}"));
        let err = decode_team(&item).expect_err("corrupt");
        assert_eq!(err.field, ESCALATE_TO);
        assert!(!err.to_string().contains("Not A Team"), "{err}");
    }
}
