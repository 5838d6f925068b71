//! Pattern 2, `token_refresh_race`: REST/SOAP calls refused with 401 and then succeeding within
//! [`RACE_FOLLOW_UP`]: the integration keeps using a token until SFMC expires it (tokens last
//! about 1,079 s, `context/sfmc-api-research.md`) instead of refreshing it a little early. Low
//! severity, never a page; resolves once the last hour is below the threshold again.

use chrono::TimeDelta;

use super::{PassiveInputs, Verdict, count, is_api, recent, thousands, window};
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::CounterKey;
use crate::domain::severity::Severity;

/// How soon after a 401 a success makes it a race: 2 minutes (research file §3), counted in
/// whole minute buckets.
pub const RACE_FOLLOW_UP: TimeDelta = TimeDelta::minutes(2);
/// The window the race is measured over: the last hour (research file §3).
pub const RACE_WINDOW: TimeDelta = TimeDelta::hours(1);
/// At least this many raced 401s in [`RACE_WINDOW`] (one or two are chance).
pub const MIN_RACED: u64 = 3;
/// And at least this share of all calls of [`RACE_WINDOW`], in percent.
pub const MIN_RACED_PERCENT: u64 = 1;
/// How long SFMC's access tokens last, in seconds (`expires_in` of the token answer is 1,080;
/// the research file measured ~1,079 s).
pub const TOKEN_LIFETIME_SECS: u64 = 1_079;

fn unauthorized(key: &CounterKey) -> bool {
    is_api(key.call_kind)
        && (key.status == Some(401) || key.class == Some(OutcomeClass::RestUnauthorized))
}

fn success(key: &CounterKey) -> bool {
    is_api(key.call_kind) && key.class == Some(OutcomeClass::Ok)
}

/// Raced 401s and all calls of the last hour.
pub(crate) fn measure(inputs: &PassiveInputs) -> (u64, u64) {
    let mut raced = 0u64;
    let mut total = 0u64;
    for minute in recent(inputs, RACE_WINDOW) {
        total = total.saturating_add(count(minute, |_| true));
        let refused = count(minute, unauthorized);
        if refused == 0 {
            continue;
        }
        let before = minute.minute - TimeDelta::seconds(1);
        let until = (minute.minute + RACE_FOLLOW_UP).min(inputs.now);
        if window(inputs.minutes, before, until).any(|m| count(m, success) > 0) {
            raced = raced.saturating_add(refused);
        }
    }
    (raced, total)
}

/// Decide pattern 2.
pub(crate) fn check(inputs: &PassiveInputs) -> Verdict {
    let (raced, total) = measure(inputs);
    let above =
        raced >= MIN_RACED && raced.saturating_mul(100) >= total.saturating_mul(MIN_RACED_PERCENT);
    if !above {
        return Verdict::Clear(format!(
            "Fewer than {MIN_RACED} REST/SOAP calls raced an expiring token in the last hour."
        ));
    }
    let percent = raced.saturating_mul(100) / total.max(1);
    let mut message = format!(
        "The integration reported {} REST/SOAP calls refused with 401 and then succeeding within 2 minutes in the last hour ({percent}% of {} calls): it refreshes its access token only after SFMC has expired it.",
        thousands(raced),
        thousands(total),
    );
    let ages: Vec<u64> = inputs
        .batch
        .iter()
        .filter(|c| is_api(c.call_kind) && c.status == Some(401))
        .filter_map(|c| c.token_age_secs.map(u64::from))
        .collect();
    if let (Some(lo), Some(hi)) = (ages.iter().min(), ages.iter().max()) {
        let range = if lo == hi {
            thousands(*lo)
        } else {
            format!("{}-{}", thousands(*lo), thousands(*hi))
        };
        message.push_str(&format!(
            " The tokens were {range} s old: SFMC's tokens last ~{} s; refresh a minute or two before that.",
            thousands(TOKEN_LIFETIME_SECS)
        ));
    } else {
        message.push_str(" Refresh the token a minute or two before `expires_in` runs out.");
    }
    Verdict::Firing {
        severity: Severity::Low,
        message,
        http_status: Some(401),
    }
}
