//! The SNS MessageAttributes that subscription filter policies route on: eight String
//! attributes, `team`, `severity`, `event`, `check`, `class`, `integration`, `incident_id`,
//! `notification_id` (SNS allows at most 10 per message, none empty).

use std::collections::BTreeMap;

use crate::notify::notification::Notification;

/// The attribute names, in the contract's order.
pub const NAMES: [&str; 8] = [
    "team",
    "severity",
    "event",
    "check",
    "class",
    "integration",
    "incident_id",
    "notification_id",
];

/// What an attribute holds when its value would be empty (SNS refuses empty values).
pub const EMPTY_VALUE: &str = "unknown";

/// The attributes of `n`: name to String value, never empty, control characters escaped.
pub fn attributes(n: &Notification) -> BTreeMap<String, String> {
    let values = [
        n.team.as_str(),
        n.severity.as_str(),
        n.event.as_str(),
        n.check.as_str(),
        n.class.as_str(),
        n.integration.id.as_str(),
        n.incident_id.as_str(),
        n.id.as_str(),
    ];
    NAMES
        .iter()
        .zip(values)
        .map(|(name, value)| {
            let value = crate::text::printable::escape(value.trim()).into_owned();
            let value = if value.is_empty() {
                EMPTY_VALUE.to_string()
            } else {
                value
            };
            (name.to_string(), value)
        })
        .collect()
}
