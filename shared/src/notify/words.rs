//! Phrases every rendering shares: durations and counts as people say them, the impact
//! estimate, what broke in a few words, and names cleaned for display.

use chrono::TimeDelta;

use crate::domain::incident::IncidentClass;
use crate::domain::outcome::OutcomeClass;
use crate::notify::notification::{Expiry, Notification};
use crate::text::printable;

/// Longest integration name shown in a body, in characters (the inventory allows 200).
pub const NAME_CHARS: usize = 200;

/// Where an SFMC admin rotates a client secret or changes a package (SFMC's Setup menu).
pub const WHERE_IN_SFMC: &str = "Setup > Apps > Installed Packages";

/// Where in SFMC's Setup the fix for `class` is made; `None` when it is not an SFMC setting
/// (throttling, an outage, the network, credwatch's own trouble). The allowlist path is the
/// one `OutcomeClass::what_to_do` names.
pub fn where_in_sfmc(class: IncidentClass) -> Option<&'static str> {
    match class {
        IncidentClass::Outcome(OutcomeClass::IpNotAllowlisted) => {
            Some("Setup > Security > Login IP Allowlist")
        }
        IncidentClass::Outcome(
            OutcomeClass::InvalidClientId
            | OutcomeClass::ClientAuthFailed
            | OutcomeClass::LegacyPackage
            | OutcomeClass::AuthRejected
            | OutcomeClass::MissingScopes
            | OutcomeClass::WrongBusinessUnit
            | OutcomeClass::RestUnauthorized,
        )
        | IncidentClass::SecretExpiring
        | IncidentClass::SecretExpired
        | IncidentClass::ExpiryUnknown
        | IncidentClass::ReportedAuthFailure
        | IncidentClass::ScopeDrift
        | IncidentClass::IdentityMismatch => Some(WHERE_IN_SFMC),
        IncidentClass::Outcome(_)
        | IncidentClass::NotProbed
        | IncidentClass::CorruptItem
        | IncidentClass::SlackWebhookRefused
        | IncidentClass::TokenRefreshRace
        | IncidentClass::TokenRequestRate
        | IncidentClass::TokenRequestsBlocked
        | IncidentClass::IntegrationSilent => None,
        IncidentClass::Drill => None,
    }
}

/// A duration as people say it, to the minute: `under a minute`, `45 min`, `2 h 5 min`,
/// `3 days 4 h`. Negative durations read as zero.
pub fn humanize(duration: TimeDelta) -> String {
    let minutes = duration.num_minutes().max(0);
    if minutes == 0 {
        return "under a minute".to_string();
    }
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let day_word = |d: i64| if d == 1 { "day" } else { "days" };
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} {}", day_word(d)),
        (d, h, _) => format!("{d} {} {h} h", day_word(d)),
    }
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` rounded to two significant digits (an estimate should not look precise): 7 -> 7,
/// 1,234 -> 1,200, 98,765 -> 99,000.
pub fn round_estimate(n: u64) -> u64 {
    if n < 100 {
        return n;
    }
    let mut scale = 1u64;
    while n / scale >= 100 {
        scale *= 10;
    }
    let rounded_up = n % scale >= scale / 2;
    (n / scale + u64::from(rounded_up)).saturating_mul(scale)
}

/// Records not moved while the incident lasted: `records_per_hour` x `duration`, rounded
/// (see [`round_estimate`]). `None` without a rate.
pub fn impact_records(records_per_hour: Option<u64>, duration: TimeDelta) -> Option<u64> {
    let rate = records_per_hour?;
    let seconds = u64::try_from(duration.num_seconds().max(0)).unwrap_or(0);
    let records = u128::from(rate) * u128::from(seconds) / 3600;
    Some(round_estimate(u64::try_from(records).unwrap_or(u64::MAX)))
}

/// The estimate in words: `about 20,000 records (an estimate: 7,500 records/hour x 2 h 40 min)`.
pub fn impact_phrase(records_per_hour: Option<u64>, duration: TimeDelta) -> Option<String> {
    let rate = records_per_hour?;
    let records = impact_records(Some(rate), duration)?;
    // "about 0 records" reads as a claim; at the very start there is simply nothing to count.
    if records == 0 {
        return Some(format!(
            "none yet: it has just started ({} records/hour pass through it)",
            thousands(rate)
        ));
    }
    Some(format!(
        "about {} records (an estimate: {} records/hour x {})",
        thousands(records),
        thousands(rate),
        humanize(duration)
    ))
}

/// What broke, in a few words, after the integration's name: `secret rejected by SFMC`.
pub fn what_broke(class: IncidentClass, threshold_days: Option<u32>) -> String {
    use OutcomeClass::*;
    let text = match class {
        IncidentClass::Outcome(outcome) => match outcome {
            Ok => "working",
            InvalidClientId => "client ID not recognised by SFMC",
            ClientAuthFailed => "secret rejected by SFMC",
            LegacyPackage => "legacy package refused by SFMC",
            IpNotAllowlisted => "caller IP not allowlisted in SFMC",
            AuthRejected => "login rejected by SFMC",
            MissingScopes => "API permissions missing",
            WrongBusinessUnit => "token for the wrong business unit",
            RestUnauthorized => "token refused by the SFMC REST API",
            Throttled => "throttled by SFMC",
            SfmcUnavailable => "SFMC unavailable",
            Network => "SFMC unreachable",
            MalformedResponse => "unexpected answers from SFMC",
            SecretUnavailable => "credwatch cannot read the secret",
            IntermediaryBlocked => "blocked before reaching SFMC",
            RequestRejected => "SFMC refused credwatch's request",
            ServiceNotFound => "SFMC service not found",
            EndpointNotAllowed => "auth URL not allowed",
        },
        IncidentClass::SecretExpiring => {
            return match threshold_days {
                Some(1) => "client secret expires within 1 day".to_string(),
                Some(days) => format!("client secret expires within {days} days"),
                None => "client secret expires soon".to_string(),
            };
        }
        IncidentClass::SecretExpired => "client secret expired",
        IncidentClass::ExpiryUnknown => "secret expiry date unknown",
        IncidentClass::NotProbed => "credwatch has stopped checking it",
        IncidentClass::CorruptItem => "credwatch cannot read its record",
        IncidentClass::SlackWebhookRefused => "a team's Slack webhook is broken",
        IncidentClass::Drill => "alert drill, nothing is wrong",
        IncidentClass::ReportedAuthFailure => "its own SFMC calls are refused",
        IncidentClass::TokenRefreshRace => "token refresh race in the integration",
        IncidentClass::ScopeDrift => "SFMC now refuses a permission it uses",
        IncidentClass::TokenRequestRate => "too many token requests",
        IncidentClass::TokenRequestsBlocked => "SFMC blocks its requests",
        IncidentClass::IntegrationSilent => "it has stopped reporting its SFMC calls",
        IncidentClass::IdentityMismatch => "it uses another client id or business unit",
    };
    text.to_string()
}

/// What broke, as the subject and the body's title both say it: [`what_broke`], except that an
/// expiring secret whose date is known counts its days left (`client secret expires in 12
/// days`), the same number the body's first line gives, not the threshold crossed.
pub fn headline(n: &Notification) -> String {
    match (n.class, n.expiry) {
        (IncidentClass::SecretExpiring, Some(Expiry { days_left, .. })) => {
            let days = days_left.max(0);
            format!(
                "client secret expires in {days} day{}",
                if days == 1 { "" } else { "s" }
            )
        }
        (class, _) => what_broke(class, n.threshold_days),
    }
}

/// The next step for the owner, per class.
pub fn next_step(class: IncidentClass) -> &'static str {
    match class {
        IncidentClass::Outcome(outcome) => outcome.what_to_do(),
        IncidentClass::SecretExpiring | IncidentClass::SecretExpired => {
            "Generate a new client secret in Setup > Apps > Installed Packages > (the package) > API Integration, update every consumer and the secret's source, then record the rotation (secret_rotated_at) in the inventory."
        }
        IncidentClass::ExpiryUnknown => {
            "Look up \"Client Secret Expires\" in Setup > Apps > Installed Packages and record secret_expires_at (or secret_rotated_at) in the inventory."
        }
        IncidentClass::NotProbed => {
            "Check that the probe function runs (its schedule, errors and logs); this is a monitoring problem, not an SFMC one."
        }
        IncidentClass::CorruptItem => {
            "Run credwatch inventory apply to rewrite the integration's record, and check who changed the table."
        }
        IncidentClass::SlackWebhookRefused => {
            "Create a new incoming webhook for the team's channel in Slack (or restore the channel), store its URL in the secret named in the details (under the Slack secret prefix), then wait for the next alert: an accepted post resolves this."
        }
        IncidentClass::Drill => "Nothing to do: this drill only proves that alerts reach you.",
        IncidentClass::ReportedAuthFailure => {
            "Compare the client id and secret the integration uses with the package's current ones in Setup > Apps > Installed Packages (when credwatch's own probe of the credential works, the integration has an outdated secret or uses another package), update the integration's configuration, and check that its calls succeed again."
        }
        IncidentClass::TokenRefreshRace => {
            "Have the integration refresh its access token before it expires (SFMC's last about 18 minutes: renew after 15) and share one token between its threads; nothing needs changing in SFMC."
        }
        IncidentClass::ScopeDrift => {
            "Check the package's API Integration scopes in Setup > Apps > Installed Packages (one may have been removed) and the business units it may access, and restore the permission the failing calls need."
        }
        IncidentClass::TokenRequestRate => {
            "Have the integration cache its access token and reuse it until shortly before it expires: SFMC asks for at most one token request every 20 minutes and may block clients that ask far more often."
        }
        IncidentClass::TokenRequestsBlocked => {
            "Pause the integration's retries and wait out the block (SFMC's Retry-After), then make it cache and reuse its access token. If the block lasts, contact Salesforce support with the client id."
        }
        IncidentClass::IntegrationSilent => {
            "Check that the integration still runs, and that its reporting still reaches credwatch (its ingest token, log group subscription or EventBridge rule): the integration may have stopped, or only its reports."
        }
        IncidentClass::IdentityMismatch => {
            "Check which installed package and business unit the integration really uses, then correct the integration's configuration or the inventory's client_id / account_id so that they agree."
        }
    }
}

/// A name for a plain-text line: control and bidirectional characters escaped, cut to `max`
/// characters, and the id when nothing printable is left.
pub fn display_name(name: &str, id: &str, max: usize) -> String {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return id.to_string();
    }
    printable::cap(&printable::escape(trimmed), max).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        for (minutes, text) in [
            (-5, "under a minute"),
            (0, "under a minute"),
            (1, "1 min"),
            (45, "45 min"),
            (60, "1 h"),
            (125, "2 h 5 min"),
            (1440, "1 day"),
            (1500, "1 day 1 h"),
            (2 * 1440 + 4 * 60 + 59, "2 days 4 h"),
            (3 * 1440 + 30, "3 days"),
        ] {
            assert_eq!(humanize(TimeDelta::minutes(minutes)), text, "{minutes}");
        }
        assert_eq!(humanize(TimeDelta::seconds(59)), "under a minute");
    }

    #[test]
    fn estimates_are_rounded_to_two_digits_with_separators() {
        for (n, rounded) in [
            (0, 0),
            (7, 7),
            (99, 99),
            (100, 100),
            (1_234, 1_200),
            (1_250, 1_300),
            (98_765, 99_000),
            (u64::MAX, 18_000_000_000_000_000_000),
        ] {
            assert_eq!(round_estimate(n), rounded, "{n}");
        }
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn impact_is_rate_times_duration() {
        let d = TimeDelta::minutes(160);
        assert_eq!(impact_records(Some(7_500), d), Some(20_000));
        assert_eq!(impact_records(None, d), None);
        assert_eq!(
            impact_records(Some(1_000_000_000), TimeDelta::days(3650)).map(|n| n > 0),
            Some(true)
        );
        assert_eq!(
            impact_phrase(Some(7_500), d).as_deref(),
            Some("about 20,000 records (an estimate: 7,500 records/hour x 2 h 40 min)")
        );
        assert_eq!(impact_records(Some(100), TimeDelta::minutes(-30)), Some(0));
        assert_eq!(
            impact_phrase(Some(2_000), TimeDelta::seconds(1)).as_deref(),
            Some("none yet: it has just started (2,000 records/hour pass through it)")
        );
        assert_eq!(
            impact_phrase(Some(2_000), TimeDelta::minutes(1)).as_deref(),
            Some("about 33 records (an estimate: 2,000 records/hour x 1 min)")
        );
    }

    #[test]
    fn names_are_escaped_capped_and_never_empty() {
        assert_eq!(display_name("CRM sync", "crm", 200), "CRM sync");
        assert_eq!(display_name("  ", "crm", 200), "crm");
        assert_eq!(display_name("a\u{1b}[31mb", "crm", 200), "a\\u{1b}[31mb");
        assert_eq!(
            display_name(&"x".repeat(500), "crm", 10),
            format!("{}…", "x".repeat(10))
        );
    }

    #[test]
    fn every_class_has_words_and_a_next_step() {
        for class in OutcomeClass::ALL
            .into_iter()
            .map(IncidentClass::Outcome)
            .chain(IncidentClass::NON_OUTCOME)
        {
            assert!(!what_broke(class, None).is_empty(), "{class}");
            assert!(!next_step(class).is_empty(), "{class}");
        }
        assert_eq!(
            what_broke(IncidentClass::SecretExpiring, Some(7)),
            "client secret expires within 7 days"
        );
        assert_eq!(
            what_broke(IncidentClass::SecretExpiring, Some(1)),
            "client secret expires within 1 day"
        );
    }
}
