//! Pattern 1, `reported_auth_failure`: the integration's own credential or access failures.
//!
//! A token call refused as a credential or access failure (`invalid_client_id`,
//! `client_auth_failed`, `legacy_package`, `auth_rejected`, `ip_not_allowlisted`) in SFMC's own
//! words (an OAuth `error` or SFMC `errorcode` reported) opens at once: SFMC's "no" is definitive
//! (DESIGN.md's outcome table), whatever the probe says. A bare 401 (status only: a proxy could
//! have said it) counts like REST/SOAP ones, after [`SUSTAINED_UNAUTHORIZED`]. REST/SOAP
//! calls refused with 401 (`rest_unauthorized`) open once they span
//! [`SUSTAINED_UNAUTHORIZED`] with no success in between (the research file's "sustained 401
//! responses over 10+ minutes": a single 401 is usually an expired token, pattern 2). Resolves
//! when the integration's token calls succeed after the last failure (REST/SOAP calls for
//! REST-only evidence) and no failure came for [`QUIET_BEFORE_RESOLVE`], not merely when reports
//! stop (and not while one worker still uses an old secret and another a new one).

use chrono::{DateTime, TimeDelta, Utc};

use super::common::{
    LOOKBACK, PassiveInputs, Verdict, at, count, is_api, minutes_text, recent, thousands,
};
use crate::domain::outcome::{Kind, OutcomeClass};
use crate::domain::passive::{CallKind, CounterKey, SfmcCall};
use crate::domain::state::Health;
use crate::text::printable::echo;

/// How long REST/SOAP 401s must go on with no success before they are an incident: 10 minutes
/// (`context/passive-tracking-research.md` §3, "sustained 401 responses over 10+ minutes").
pub const SUSTAINED_UNAUTHORIZED: TimeDelta = TimeDelta::minutes(10);

/// How long after the last reported failure a success may resolve the incident: 30 minutes,
/// so that workers of one integration on an old and a new secret (failing, succeeding, failing
/// again at each token refresh) keep one incident open instead of paging at every refresh.
pub const QUIET_BEFORE_RESOLVE: TimeDelta = TimeDelta::minutes(30);

fn is_credential(class: Option<OutcomeClass>) -> bool {
    class.is_some_and(|c| matches!(c.kind(), Kind::Credential | Kind::Access))
}

fn token_failure(key: &CounterKey) -> bool {
    key.call_kind == CallKind::Token && is_credential(key.class)
}

/// A token failure in SFMC's own words: the reporter gave an OAuth `error` or an `errorcode`.
fn token_failure_in_sfmc_words(key: &CounterKey) -> bool {
    token_failure(key) && key.code.is_some()
}

fn token_success(key: &CounterKey) -> bool {
    key.call_kind == CallKind::Token && key.class == Some(OutcomeClass::Ok)
}

fn api_unauthorized(key: &CounterKey) -> bool {
    is_api(key.call_kind)
        && (key.class == Some(OutcomeClass::RestUnauthorized) || key.status == Some(401))
}

fn api_success(key: &CounterKey) -> bool {
    is_api(key.call_kind) && key.class == Some(OutcomeClass::Ok)
}

/// True when the batch holds a reported credential or access failure (the probe should look now).
pub(crate) fn new_in_batch(batch: &[SfmcCall]) -> bool {
    batch.iter().any(|call| is_credential(call.class))
}

/// What the counters of the lookback say of one kind of evidence.
#[derive(Default)]
struct Evidence {
    /// Last minute with a failure.
    last_failure: Option<DateTime<Utc>>,
    /// Last minute with a success.
    last_success: Option<DateTime<Utc>>,
    /// First minute with a failure after the last success before it (start of the streak).
    streak_start: Option<DateTime<Utc>>,
    /// Failures in the streak (saturating).
    failures: u64,
    /// The key with the most failures in the streak (its status and code are the evidence).
    top: Option<(CounterKey, u64)>,
}

impl Evidence {
    fn read(
        inputs: &PassiveInputs,
        failure: fn(&CounterKey) -> bool,
        success: fn(&CounterKey) -> bool,
    ) -> Evidence {
        let mut ev = Evidence::default();
        let mut tally: std::collections::BTreeMap<&CounterKey, u64> = Default::default();
        for minute in recent(inputs, LOOKBACK) {
            let ok = count(minute, success);
            let bad = count(minute, failure);
            if ok > 0 {
                ev.last_success = Some(minute.minute);
                // Any success ends the streak of failures "with no success between". The order
                // within a minute is unknown: its failures count as the later ones (they start
                // the next streak), so a 401 retried with success in the same minute (a token
                // race) never adds up to a sustained failure.
                ev.streak_start = None;
                ev.failures = 0;
                tally.clear();
            }
            if bad > 0 {
                ev.last_failure = Some(minute.minute);
                ev.streak_start.get_or_insert(minute.minute);
                ev.failures = ev.failures.saturating_add(bad);
                for (key, n) in minute.counts.iter().filter(|(k, _)| failure(k)) {
                    let slot = tally.entry(key).or_insert(0);
                    *slot = slot.saturating_add(*n);
                }
            }
        }
        ev.top = tally
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(k, n)| (k.clone(), n));
        ev
    }

    /// A failure with no success after it (a success in the same minute does not count).
    fn failing(&self) -> bool {
        match (self.last_failure, self.last_success) {
            (Some(bad), Some(ok)) => bad >= ok,
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// A success after the last failure.
    fn recovered(&self) -> bool {
        match (self.last_failure, self.last_success) {
            (Some(bad), Some(ok)) => ok > bad,
            _ => false,
        }
    }

    fn span(&self) -> TimeDelta {
        match (self.streak_start, self.last_failure) {
            (Some(start), Some(last)) => last - start,
            _ => TimeDelta::zero(),
        }
    }
}

/// Decide pattern 1.
pub(crate) fn check(inputs: &PassiveInputs) -> Verdict {
    let token = Evidence::read(inputs, token_failure, token_success);
    let worded = Evidence::read(inputs, token_failure_in_sfmc_words, token_success);
    let api = Evidence::read(inputs, api_unauthorized, api_success);
    if worded.failing() || (token.failing() && token.span() >= SUSTAINED_UNAUTHORIZED) {
        return firing(inputs, &token, "token request", "refused the credential");
    }
    if api.failing() && api.span() >= SUSTAINED_UNAUTHORIZED {
        return firing(inputs, &api, "REST/SOAP call", "refused its access token");
    }
    let recovered = if token.last_failure.is_some() {
        token.recovered()
    } else if api.last_failure.is_some() {
        api.recovered()
    } else {
        token.last_success.is_some() || api.last_success.is_some()
    };
    let last_failure = token.last_failure.max(api.last_failure);
    let quiet = last_failure.is_none_or(|last| inputs.now - last >= QUIET_BEFORE_RESOLVE);
    if recovered && quiet {
        Verdict::Clear(
            "The integration reports successful calls to SFMC again after the failures."
                .to_string(),
        )
    } else {
        Verdict::Hold
    }
}

fn firing(inputs: &PassiveInputs, ev: &Evidence, what: &str, refused: &str) -> Verdict {
    let (status, detail) = match &ev.top {
        Some((key, _)) => {
            let class = key.class.map(|c| c.as_str()).unwrap_or("refused");
            let code = key
                .code
                .as_deref()
                .map(|c| format!(", SFMC code {}", echo(c)))
                .unwrap_or_default();
            (key.status, format!(" ({class}{code})"))
        }
        None => (None, String::new()),
    };
    let since = ev.streak_start.map(at).unwrap_or_default();
    let plural = if ev.failures == 1 { "" } else { "s" };
    let mut message = format!(
        "The integration itself reported {} failed {what}{plural} since {since}: SFMC {refused}{detail}",
        thousands(ev.failures),
    );
    if ev.span() >= TimeDelta::minutes(1) {
        message.push_str(&format!(
            ", over {} with no success",
            minutes_text(ev.span())
        ));
    }
    message.push_str(". ");
    message.push_str(&probe_sentence(inputs));
    Verdict::Firing {
        severity: inputs.integration.severity,
        message,
        http_status: status,
    }
}

/// What credwatch's own probe says of the same credential, in one sentence.
pub(crate) fn probe_sentence(inputs: &PassiveInputs) -> String {
    let probe = inputs.probe;
    let when = probe
        .last_probe_at
        .map(|t| format!(" (last at {})", at(t)))
        .unwrap_or_default();
    let failing = matches!(probe.health, Health::Pending | Health::Firing)
        || probe.last_class.is_some_and(|c| c != OutcomeClass::Ok)
            && probe.health != Health::Healthy;
    if failing {
        let class = probe
            .last_class
            .map(|c| format!(": {}", c.as_str()))
            .unwrap_or_default();
        format!(
            "credwatch's own probe of this credential fails too{when}{class}; the auth incident has the details."
        )
    } else if probe.health == Health::Healthy || probe.last_class == Some(OutcomeClass::Ok) {
        format!(
            "credwatch's own probe of this credential succeeds{when}: the integration likely uses an outdated secret or another package."
        )
    } else {
        "credwatch has not probed this credential yet; it will now.".to_string()
    }
}
