//! Passive tracking's items, encoded and decoded: per-minute call counters, failed calls kept
//! raw, the passive state, ingest tokens and the ingest allowance.
//!
//! - minute counters (`CALLS#{integration}` / `{minute}`): `integration`, `minute`, one N
//!   attribute per counter key, `c.{key text}` ([`COUNTER_PREFIX`]), written with `ADD`;
//!   `counters_added` (N) and `expires_at` (minute + [`PASSIVE_COUNTER_RETENTION_DAYS`]).
//!   Size: an item grows only by new counter keys. One update adds at most
//!   [`MAX_COUNTERS_PER_UPDATE`] exact keys (the rest folded by kind and class), and
//!   `counters_added` sums what updates may have added: past
//!   [`MAX_COUNTERS_ADDED_PER_MINUTE`] an update is written only if every key it adds to
//!   already exists, else with coarse keys only (kind and class; at most 76 of them). So an
//!   item stays around 125 KB at worst, far under DynamoDB's 400 KB.
//! - failed call (`CALLEV#{integration}` / `{observed_at}#{event_id}`): every
//!   [`SfmcCall`] field under its own name (`event_id`, `integration`, `source`,
//!   `received_at`, `class`?, `observed_at`, `call_kind`, `count`, `window_secs`?, `host`?,
//!   `method`?, `path_template`?, `status`?, `sfmc_errorcode`?, `oauth_error`?,
//!   `soap_fault`?, `message`?, `retry_after_secs`?, `resend_count`?, `token_age_secs`?,
//!   `network_error`?, `account_id`?, `client_id`?, `reporter`?, `trace_id`?), `expires_at`
//!   (observed_at + [`PASSIVE_EVENT_RETENTION_DAYS`]). Texts are bounded again on read.
//! - passive state (`PASSIVE` / `STATE#{integration}`): `integration`, `last_report_at`?,
//!   `report_minutes` (N), `usual_gap_secs` (N)?, `last_scope_denied_at`?,
//!   `last_mismatch_at`?, `mismatch`?, `version` (N).
//! - ingest token (`INGEST` / `TOKEN#{hash}`): `hash` (64 lowercase hex), `integration`,
//!   `created_at`. Never the token.
//! - ingest allowance (`QUOTA#{integration}` / `{minute}`): `integration`, `minute`, `used`
//!   (N), `expires_at` (minute + 1 hour).
//!
//! Decoders trust nothing: a wrong type, a counter attribute that is not a number or whose
//! name is not a counter key, a number out of range, a text past its bound, an item whose
//! attributes disagree with its key: each names the item's key and attribute, never a value.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::attributes::*;
use super::expr::UpdateSpec;
use super::keys::{
    CALL_EVENT_PREFIX, CALLS_PREFIX, INGEST_TOKEN_PREFIX, PASSIVE_STATE_PREFIX, PK, QUOTA_PREFIX,
    SK, TTL_ATTRIBUTE, call_event_key, ingest_token_key, item_key, item_label, keyed, minute_key,
    passive_state_key, quota_key,
};
use super::reader::{ReadResult, Reader};
use super::value::{Fields, Item, expiry_after, n, s, time, timestamp};
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{
    CallKind, CounterKey, EventSource, IngestToken, MinuteCounts, NetworkError, PassiveState,
    SfmcCall,
};
use crate::store::invariants::{
    self, Counts, MAX_COUNTERS_ADDED_PER_MINUTE, MAX_COUNTERS_PER_UPDATE, MAX_VERSION,
    PASSIVE_COUNTER_RETENTION_DAYS, PASSIVE_EVENT_RETENTION_DAYS, minute_of,
};

/// Largest count a counter or an allowance may hold when read: 2^53 - 1 (what every DynamoDB
/// client reads exactly); a larger one is an unreadable item.
pub const MAX_COUNT: u64 = (1 << 53) - 1;

/// An ingest allowance item is kept this long after its minute.
pub const QUOTA_TTL_HOURS: i64 = 1;

/// Longest `message` or `soap_fault` a failed-call item may hold, in characters (the
/// normaliser cuts them to 512 and 200): a longer one is an unreadable item.
pub const CALL_TEXT_MAX_CHARS: usize = 1_024;

/// Longest of the short texts of a failed call (`event_id`, `integration`, `host`, `method`,
/// `path_template`, `oauth_error`, `client_id`, `reporter`, `trace_id`), in characters.
pub const CALL_FIELD_MAX_CHARS: usize = 256;

/// The attribute name of counter `key`: `c.{key text}`.
pub fn counter_attribute(key: &CounterKey) -> String {
    format!("{COUNTER_PREFIX}{}", key.to_text())
}

/// How a minute's counters are added to its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterGuard {
    /// The usual update: adds the number of keys to `counters_added`, if it stays within
    /// [`MAX_COUNTERS_ADDED_PER_MINUTE`].
    Counted,
    /// Past the bound: only if every key already exists (the item does not grow).
    Existing,
    /// Past the bound, with coarse keys (a bounded set): unconditional.
    Coarse,
}

/// The UpdateItem of `integration`'s minute `minute` adding `counts` (one clause per key),
/// guarded as `guard` says. `None` for [`CounterGuard::Counted`] when the keys alone pass the
/// bound (go straight to the next guard).
pub fn minute_update(
    integration: &str,
    minute: DateTime<Utc>,
    counts: &Counts,
    guard: CounterGuard,
) -> Option<UpdateSpec> {
    let coarse;
    let counts = match guard {
        CounterGuard::Coarse => {
            coarse = invariants::coarse_counts(counts);
            &coarse
        }
        _ => counts,
    };
    let mut update = UpdateSpec::new(minute_key(integration, minute))
        .set(INTEGRATION, s(integration))
        .set(MINUTE, time(minute))
        .set(
            TTL_ATTRIBUTE,
            expiry_after(minute, PASSIVE_COUNTER_RETENTION_DAYS),
        );
    let names: Vec<String> = counts.keys().map(counter_attribute).collect();
    for (name, count) in names.iter().zip(counts.values()) {
        update = update.add(name, n(count));
    }
    match guard {
        CounterGuard::Counted => {
            let added = counts.len() as u64;
            let room = MAX_COUNTERS_ADDED_PER_MINUTE.checked_sub(added)?;
            update = update.add(COUNTERS_ADDED, n(added)).condition(|e| {
                let name = e.name(COUNTERS_ADDED);
                format!(
                    "attribute_not_exists({name}) OR {name} <= {}",
                    e.value(n(room))
                )
            });
        }
        CounterGuard::Existing => {
            update = update.condition(|e| {
                names
                    .iter()
                    .map(|name| format!("attribute_exists({})", e.name(name)))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            });
        }
        CounterGuard::Coarse => {}
    }
    Some(update)
}

/// How many counter attributes at most one update writes (exact keys plus the coarse ones they
/// may fold into): what keeps its expression under DynamoDB's 4 KB.
pub const MAX_CLAUSES_PER_UPDATE: usize = MAX_COUNTERS_PER_UPDATE + 4 * 19;

/// A minute item decoded, or where it is wrong.
pub fn decode_minute(item: &Item) -> ReadResult<MinuteCounts> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let (pk, sk) = item_key(item).ok_or_else(|| r.corrupt(PK, "is not a string (S)"))?;
    let integration = r.string(INTEGRATION)?;
    if pk.strip_prefix(CALLS_PREFIX) != Some(integration.as_str()) {
        return Err(r.corrupt(INTEGRATION, "is not the integration of the item's key"));
    }
    let minute = r.time(MINUTE)?;
    if minute_of(minute) != minute || timestamp(minute) != sk {
        return Err(r.corrupt(MINUTE, "is not the minute of the item's key"));
    }
    let mut counts = BTreeMap::new();
    for (name, value) in item {
        let Some(text) = name.strip_prefix(COUNTER_PREFIX) else {
            continue;
        };
        let shown = crate::text::printable::echo(name);
        let key = CounterKey::parse(text)
            .ok_or_else(|| r.corrupt(&shown, "is not a counter key (kind|status|code|class)"))?;
        let count: u64 = r.number_of(&shown, value)?;
        if count > MAX_COUNT {
            return Err(r.corrupt(&shown, &format!("is outside 0..={MAX_COUNT}")));
        }
        counts.insert(key, count);
    }
    Ok(MinuteCounts {
        integration,
        minute,
        counts,
    })
}

/// The whole item of a failed call, expiring [`PASSIVE_EVENT_RETENTION_DAYS`] after it was
/// observed.
pub fn failed_call_item(call: &SfmcCall) -> Item {
    let fields: Fields = vec![
        (EVENT_ID, Some(s(&call.event_id))),
        (INTEGRATION, Some(s(&call.integration_id))),
        (SOURCE, Some(s(call.source.as_str()))),
        (RECEIVED_AT, Some(time(call.received_at))),
        (CLASS, call.class.map(|c| s(c.as_str()))),
        (OBSERVED_AT, Some(time(call.observed_at))),
        (CALL_KIND, Some(s(call.call_kind.as_str()))),
        (COUNT, Some(n(call.count))),
        (WINDOW_SECS, call.window_secs.map(n)),
        (HOST, call.host.as_deref().map(s)),
        (METHOD, call.method.as_deref().map(s)),
        (PATH_TEMPLATE, call.path_template.as_deref().map(s)),
        (STATUS, call.status.map(n)),
        (SFMC_ERRORCODE, call.sfmc_errorcode.map(n)),
        (OAUTH_ERROR, call.oauth_error.as_deref().map(s)),
        (SOAP_FAULT, call.soap_fault.as_deref().map(s)),
        (MESSAGE, call.message.as_deref().map(s)),
        (RETRY_AFTER_SECS, call.retry_after_secs.map(n)),
        (RESEND_COUNT, call.resend_count.map(n)),
        (TOKEN_AGE_SECS, call.token_age_secs.map(n)),
        (NETWORK_ERROR, call.network_error.map(|e| s(e.as_str()))),
        (ACCOUNT_ID, call.account_id.map(n)),
        (CLIENT_ID, call.client_id.as_deref().map(s)),
        (REPORTER, call.reporter.as_deref().map(s)),
        (TRACE_ID, call.trace_id.as_deref().map(s)),
        (
            TTL_ATTRIBUTE,
            Some(expiry_after(call.observed_at, PASSIVE_EVENT_RETENTION_DAYS)),
        ),
    ];
    keyed(
        &call_event_key(&call.integration_id, call.observed_at, &call.event_id),
        fields,
    )
}

fn parse_source(text: &str) -> Option<EventSource> {
    [
        EventSource::Https,
        EventSource::Logs,
        EventSource::Eventbridge,
    ]
    .into_iter()
    .find(|source| source.as_str() == text)
}

/// A failed-call item decoded, or where it is wrong (its key must be the one its
/// `integration`, `observed_at` and `event_id` make; texts within bounds).
pub fn decode_failed_call(item: &Item) -> ReadResult<SfmcCall> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let short = |name: &str| -> ReadResult<Option<String>> {
        let text = r.opt_string(name)?;
        bounded(&r, name, text, CALL_FIELD_MAX_CHARS)
    };
    let call = SfmcCall {
        event_id: short(EVENT_ID)?.ok_or_else(|| r.corrupt(EVENT_ID, "is missing"))?,
        integration_id: short(INTEGRATION)?.ok_or_else(|| r.corrupt(INTEGRATION, "is missing"))?,
        source: r.parsed(SOURCE, "event source", parse_source)?,
        received_at: r.time(RECEIVED_AT)?,
        class: r.opt_parsed(CLASS, "outcome class", OutcomeClass::parse)?,
        observed_at: r.time(OBSERVED_AT)?,
        call_kind: r.parsed(CALL_KIND, "call kind", CallKind::parse)?,
        count: r.number(COUNT)?,
        window_secs: r.opt_number(WINDOW_SECS)?,
        host: short(HOST)?,
        method: short(METHOD)?,
        path_template: short(PATH_TEMPLATE)?,
        status: r.opt_number(STATUS)?,
        sfmc_errorcode: r.opt_number(SFMC_ERRORCODE)?,
        oauth_error: short(OAUTH_ERROR)?,
        soap_fault: bounded(
            &r,
            SOAP_FAULT,
            r.opt_string(SOAP_FAULT)?,
            CALL_TEXT_MAX_CHARS,
        )?,
        message: bounded(&r, MESSAGE, r.opt_string(MESSAGE)?, CALL_TEXT_MAX_CHARS)?,
        retry_after_secs: r.opt_number(RETRY_AFTER_SECS)?,
        resend_count: r.opt_number(RESEND_COUNT)?,
        token_age_secs: r.opt_number(TOKEN_AGE_SECS)?,
        network_error: r.opt_parsed(NETWORK_ERROR, "network error", NetworkError::parse)?,
        account_id: r.opt_number(ACCOUNT_ID)?,
        client_id: short(CLIENT_ID)?,
        reporter: short(REPORTER)?,
        trace_id: short(TRACE_ID)?,
    };
    let key = call_event_key(&call.integration_id, call.observed_at, &call.event_id);
    if Some(key) != item_key(item) {
        return Err(r.corrupt(
            EVENT_ID,
            &format!(
                "with integration and observed_at is not the item's key \
                 ({CALL_EVENT_PREFIX}{{integration}}, {{observed_at}}#{{event_id}})"
            ),
        ));
    }
    if call.count == 0 {
        return Err(r.corrupt(COUNT, "is 0"));
    }
    Ok(call)
}

/// `text` if within `max` characters, else where the item is wrong.
fn bounded(
    r: &Reader<'_>,
    name: &str,
    text: Option<String>,
    max: usize,
) -> ReadResult<Option<String>> {
    match text {
        Some(text) if text.chars().nth(max).is_some() => {
            Err(r.corrupt(name, &format!("is longer than {max} characters")))
        }
        text => Ok(text),
    }
}

/// The attributes of a passive state (all but `version`, which the store sets).
pub fn passive_state_fields(integration: &str, state: &PassiveState) -> Fields {
    vec![
        (INTEGRATION, Some(s(integration))),
        (LAST_REPORT_AT, state.last_report_at.map(time)),
        (REPORT_MINUTES, Some(n(state.report_minutes))),
        (USUAL_GAP_SECS, state.usual_gap_secs.map(n)),
        (LAST_SCOPE_DENIED_AT, state.last_scope_denied_at.map(time)),
        (LAST_MISMATCH_AT, state.last_mismatch_at.map(time)),
        (MISMATCH, state.mismatch.as_deref().map(s)),
    ]
}

/// A whole passive-state item (what a test or a repair writes; commits update in place).
pub fn passive_state_item(integration: &str, state: &PassiveState) -> Item {
    let mut fields = passive_state_fields(integration, state);
    fields.push((VERSION, Some(n(state.version))));
    keyed(&passive_state_key(integration), fields)
}

/// A passive-state item decoded: `(integration, state)`, or where it is wrong.
pub fn decode_passive_state(item: &Item) -> ReadResult<(String, PassiveState)> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let integration = r.string(INTEGRATION)?;
    let sk = r.str(SK)?;
    if sk.strip_prefix(PASSIVE_STATE_PREFIX) != Some(integration.as_str()) {
        return Err(r.corrupt(INTEGRATION, "is not the integration of the item's key"));
    }
    let state = PassiveState {
        last_report_at: r.opt_time(LAST_REPORT_AT)?,
        report_minutes: r.number(REPORT_MINUTES)?,
        usual_gap_secs: r.opt_number(USUAL_GAP_SECS)?,
        last_scope_denied_at: r.opt_time(LAST_SCOPE_DENIED_AT)?,
        last_mismatch_at: r.opt_time(LAST_MISMATCH_AT)?,
        mismatch: bounded(&r, MISMATCH, r.opt_string(MISMATCH)?, CALL_TEXT_MAX_CHARS)?,
        version: r.number_at_most(VERSION, MAX_VERSION)?,
    };
    Ok((integration, state))
}

/// Whether `hash` is a SHA-256 in lowercase hex (64 digits).
pub fn is_token_hash(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The item of an ingest token (its hash only).
pub fn ingest_token_item(token: &IngestToken) -> Item {
    keyed(
        &ingest_token_key(&token.hash),
        vec![
            (HASH, Some(s(&token.hash))),
            (INTEGRATION, Some(s(&token.integration))),
            (CREATED_AT, Some(time(token.created_at))),
        ],
    )
}

/// An ingest-token item decoded, or where it is wrong (its hash must be a SHA-256 hex and the
/// one of its key).
pub fn decode_ingest_token(item: &Item) -> ReadResult<IngestToken> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let hash = r.string(HASH)?;
    if !is_token_hash(&hash) {
        return Err(r.corrupt(HASH, "is not a SHA-256 in lowercase hex"));
    }
    if r.str(SK)?.strip_prefix(INGEST_TOKEN_PREFIX) != Some(hash.as_str()) {
        return Err(r.corrupt(HASH, "is not the hash of the item's key"));
    }
    let integration = r.string(INTEGRATION)?;
    if integration.is_empty() || integration.chars().nth(CALL_FIELD_MAX_CHARS).is_some() {
        return Err(r.corrupt(INTEGRATION, "is not an integration id"));
    }
    Ok(IngestToken {
        hash,
        integration,
        created_at: r.time(CREATED_AT)?,
    })
}

/// The UpdateItem taking `events` from `integration`'s allowance of `limit` in `minute`:
/// `None` when `events` alone exceed it.
pub fn quota_update(
    integration: &str,
    minute: DateTime<Utc>,
    events: u32,
    limit: u32,
) -> Option<UpdateSpec> {
    let room = limit.checked_sub(events)?;
    let expires = minute + TimeDelta::hours(QUOTA_TTL_HOURS);
    Some(
        UpdateSpec::new(quota_key(integration, minute))
            .set(INTEGRATION, s(integration))
            .set(MINUTE, time(minute))
            .set(TTL_ATTRIBUTE, n(expires.timestamp()))
            .add(USED, n(events))
            .condition(|e| {
                let used = e.name(USED);
                format!(
                    "attribute_not_exists({used}) OR {used} <= {}",
                    e.value(n(room))
                )
            }),
    )
}

/// An allowance item decoded: `(integration, minute, used)`.
pub fn decode_quota(item: &Item) -> ReadResult<(String, DateTime<Utc>, u64)> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let integration = r.string(INTEGRATION)?;
    if r.str(PK)?.strip_prefix(QUOTA_PREFIX) != Some(integration.as_str()) {
        return Err(r.corrupt(INTEGRATION, "is not the integration of the item's key"));
    }
    let minute = r.time(MINUTE)?;
    if r.str(SK)? != timestamp(minute) {
        return Err(r.corrupt(MINUTE, "is not the minute of the item's key"));
    }
    Ok((integration, minute, r.number_at_most(USED, MAX_COUNT)?))
}

/// The sort-key bounds (both included) of the minutes in `[from, to)`: `None` when empty.
pub fn minute_bounds(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<(String, String)> {
    // A minute item's sort key is its start; the last minute starting before `to` is included.
    let last = to - TimeDelta::milliseconds(1);
    (from <= last).then(|| (timestamp(from), timestamp(last)))
}

/// The sort-key bounds (both included) of failed calls observed in `[from, to)`.
pub fn failed_call_bounds(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<(String, String)> {
    let last = to - TimeDelta::milliseconds(1);
    // `{observed_at}#{event_id}`: `$` sorts after `#`, so every id of the last millisecond is in.
    (from <= last).then(|| (timestamp(from), format!("{}$", timestamp(last))))
}

#[cfg(test)]
mod tests;
