//! Attribute values as credwatch writes them: strings, numbers, booleans, lists and maps, and
//! timestamps as fixed-width RFC 3339 text.

use std::collections::HashMap;
use std::fmt::Display;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};

use crate::store::invariants::stored_time;

/// A DynamoDB item (or a nested map): attribute name to value, as the SDK holds it.
pub type Item = HashMap<String, AttributeValue>;

/// Attributes to write, `None` meaning "absent" (omitted from a put, REMOVEd by an update).
pub type Fields = Vec<(&'static str, Option<AttributeValue>)>;

/// RFC 3339 UTC with milliseconds (`2026-06-01T12:00:00.000Z`): fixed width, so lexical order
/// is time order. Clamped to years 0000..=9999 ([`stored_time`]), so what is written can always
/// be read back.
pub fn timestamp(at: DateTime<Utc>) -> String {
    stored_time(at).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A string (S).
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number (N), from its decimal text.
pub fn n(value: impl Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A boolean (BOOL).
pub fn boolean(value: bool) -> AttributeValue {
    AttributeValue::Bool(value)
}

/// A time (S, [`timestamp`]).
pub fn time(at: DateTime<Utc>) -> AttributeValue {
    s(timestamp(at))
}

/// A day (S, `YYYY-MM-DD`).
pub fn date(day: NaiveDate) -> AttributeValue {
    s(day.format("%Y-%m-%d").to_string())
}

/// A duration in whole seconds (N).
pub fn seconds(duration: Duration) -> AttributeValue {
    n(duration.as_secs())
}

/// A list of strings (L of S).
pub fn strings(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(s).collect())
}

/// A list of numbers (L of N).
pub fn numbers<T: Display>(values: &[T]) -> AttributeValue {
    AttributeValue::L(values.iter().map(n).collect())
}

/// A map (M) of the present fields.
pub fn map(fields: Fields) -> AttributeValue {
    AttributeValue::M(to_item(fields))
}

/// An item (or map) of the present fields.
pub fn to_item(fields: Fields) -> Item {
    fields
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_string(), value?)))
        .collect()
}

/// `expires_at` (N, epoch seconds) `days` after `at`, saturating.
pub fn expiry_after(at: DateTime<Utc>, days: i64) -> AttributeValue {
    n(at.timestamp().saturating_add(days.saturating_mul(86_400)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::invariants::latest_time;

    fn parse(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn timestamps_are_fixed_width_and_sort_in_time_order() {
        let whole = parse("2026-06-01T12:00:00Z");
        let later = whole + chrono::TimeDelta::milliseconds(5);
        assert_eq!(timestamp(whole), "2026-06-01T12:00:00.000Z");
        assert_eq!(timestamp(later), "2026-06-01T12:00:00.005Z");
        assert!(timestamp(whole) < timestamp(later));
        assert_eq!(parse(&timestamp(later)), later);
    }

    #[test]
    fn timestamps_are_clamped_to_four_digit_years_and_read_back() {
        let far = DateTime::<Utc>::MAX_UTC;
        assert_eq!(timestamp(far), "9999-12-31T23:59:59.999Z");
        assert_eq!(parse(&timestamp(far)), latest_time());
        let early = DateTime::<Utc>::MIN_UTC;
        assert_eq!(timestamp(early), "0000-01-01T00:00:00.000Z");
        assert!(DateTime::parse_from_rfc3339(&timestamp(early)).is_ok());
    }
}
