//! Limits on every inventory value, shared by validation (what `inventory validate|apply`
//! accepts) and by the store's decoder (what a table item may hold), so one item can never be
//! too large, too slow or too far in the future for the others.
//!
//! Worst case of one integration item: strings are counted in characters (at most 4 bytes each
//! in UTF-8), so the inventory part is at most about 4 x (name 200 + 2 URLs x 2,048 + client
//! id 256 + 2 secret reference parts x 2,048 + 100 scopes x 100 + 50 `depends_on` x 200)
//! = 4 x 28,648 bytes, about 115 KB, plus `ingest` (20 log group names x 512 + 20 sources x 256
//! ASCII characters, about 15 KB) and a few hundred bytes of state: far below DynamoDB's
//! 400 KB item limit. `store::dynamo::integration`'s `worst_case_item_is_far_below_dynamodb_limit` encodes
//! one with every text at its limit in 4-byte characters and measures it (with 20 maintenance
//! windows and every `ingest` entry).

use std::time::Duration;

/// `probe_every`: at least 1 minute (SFMC throttles frequent token requests), at most 7 days.
pub const PROBE_EVERY: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(7 * 86_400));
/// `recheck_every`: 30 seconds to 1 day.
pub const RECHECK_EVERY: (Duration, Duration) =
    (Duration::from_secs(30), Duration::from_secs(86_400));
/// `escalate_after`: at most 30 days.
pub const ESCALATE_AFTER_MAX: Duration = Duration::from_secs(30 * 86_400);
/// `notify.remind_after` entries: 1 minute to 30 days.
pub const REMIND_AFTER: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(30 * 86_400));
/// `notify.remind_after`: at most this many intervals (the last repeats).
pub const REMIND_AFTER_COUNT_MAX: usize = 10;
/// `notify.remind_max`: 1 to this many reminders per incident.
pub const REMIND_MAX_MAX: u64 = 1000;
/// `notify.group_wait`: 0 (no grouping) to 1 hour.
pub const GROUP_WAIT_MAX: Duration = Duration::from_secs(3600);
/// `notify.group_min`: 2 to this many incidents.
pub const GROUP_MIN_MAX: u64 = 1000;
/// A maintenance window's `duration`: 1 minute to 7 days.
pub const MAINTENANCE_DURATION: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(7 * 86_400));
/// `maintenance`: at most this many windows per team or integration.
pub const MAINTENANCE_MAX: usize = 20;
/// `expiry_warn_days` entries: 1 to 365 days.
pub const WARN_DAYS_MAX: u64 = 365;
/// `expiry_warn_days`: at most this many thresholds.
pub const WARN_DAYS_COUNT_MAX: usize = 20;
/// `secret_lifetime_days`: 1 to 10 years.
pub const SECRET_LIFETIME_DAYS_MAX: u64 = 3650;
/// `records_per_hour`: at most a billion (impact estimates multiply it by hours).
pub const RECORDS_PER_HOUR_MAX: u64 = 1_000_000_000;
/// `name` of an integration or a team, and each `depends_on` entry, in characters.
pub const NAME_MAX: usize = 200;
/// `auth_url` and `runbook`, in characters.
pub const URL_MAX: usize = 2048;
/// `client_id`, in characters (SFMC's are 24).
pub const CLIENT_ID_MAX: usize = 256;
/// Each part of a `client_secret` reference (variable name, file path, secret id or ARN, key).
pub const SECRET_REF_MAX: usize = 2048;

/// The longest Secrets Manager secret name (Secrets Manager's own limit, 512 characters).
pub const SECRET_NAME_MAX: usize = 512;
/// `expected_scopes`: entries, and characters per entry.
pub const SCOPES_MAX: usize = 100;
/// `expected_scopes`: characters per entry.
pub const SCOPE_MAX: usize = 100;
/// `depends_on`: entries.
pub const DEPENDS_ON_MAX: usize = 50;
/// `notify.email`: addresses per team (each one SNS subscription to confirm).
pub const EMAILS_MAX: usize = 50;
/// `notify.email` entries, in characters (RFC 5321's limit on a forward path is 254).
pub const EMAIL_MAX: usize = 254;
/// `ingest.log_groups` and `ingest.event_sources`: entries each.
pub const INGEST_ENTRIES_MAX: usize = 20;
/// A CloudWatch Logs group name, in characters (CloudWatch's limit).
pub const LOG_GROUP_NAME_MAX: usize = 512;
/// An EventBridge `source`, in characters (EventBridge's limit).
pub const EVENT_SOURCE_MAX: usize = 256;
/// Any other text (time zone names...), in characters.
pub const TEXT_MAX: usize = 2048;

/// Whether `text` has at most `max` characters (checked without walking a huge text twice).
pub fn within(text: &str, max: usize) -> bool {
    text.len() <= max || text.chars().nth(max).is_none()
}

#[cfg(test)]
mod tests {
    use super::within;

    /// Limits count characters, not bytes: a name in accented or CJK letters may use three
    /// times as many bytes as characters and is still within its limit.
    #[test]
    fn limits_count_characters_not_bytes() {
        assert!(within("", 0));
        assert!(within("abcde", 5));
        assert!(!within("abcdef", 5));
        assert!(within("ééééé", 5), "10 bytes, 5 characters");
        assert!(within("日本語テキ", 5), "15 bytes, 5 characters");
        assert!(!within("ééééééé", 5));
    }
}
