//! The probe history item, encoded and decoded.

use super::keys::{TTL_ATTRIBUTE, history_key, item_label, keyed};
use super::reader::{ReadResult, Reader};
use super::value::{Item, boolean, expiry_after, n, s, strings, time};
use crate::domain::outcome::OutcomeClass;
use crate::store::HistoryEntry;

/// Probe history is kept this long (DynamoDB TTL), unless the store is told otherwise.
pub const HISTORY_TTL_DAYS: i64 = 90;

/// A probe's history item, expiring `ttl_days` after the probe.
pub fn history_item(entry: &HistoryEntry, ttl_days: i64) -> Item {
    use super::attributes::*;
    let fields = vec![
        (INTEGRATION, Some(s(&entry.integration))),
        (PROBED_AT, Some(time(entry.probed_at))),
        (CLASS, Some(s(entry.class.as_str()))),
        (HTTP_STATUS, entry.http_status.map(n)),
        (LATENCY_MS, Some(n(entry.latency_ms))),
        (ATTEMPTS, Some(n(entry.attempts))),
        (CONFIRMED, Some(boolean(entry.confirmed))),
        (BUSINESS_UNIT, entry.business_unit.map(n)),
        (MISSING_SCOPES, Some(strings(&entry.missing_scopes))),
        (MESSAGE, Some(s(&entry.message))),
        (TTL_ATTRIBUTE, Some(expiry_after(entry.probed_at, ttl_days))),
    ];
    keyed(&history_key(&entry.integration, entry.probed_at), fields)
}

/// A history item decoded, or where it is wrong (never its values).
pub fn decode_history(item: &Item) -> ReadResult<HistoryEntry> {
    use super::attributes::*;
    let label = item_label(item);
    let r = Reader::new(item, &label);
    Ok(HistoryEntry {
        integration: r.string(INTEGRATION)?,
        probed_at: r.time(PROBED_AT)?,
        class: r.parsed(CLASS, "outcome class", OutcomeClass::parse)?,
        http_status: r.opt_number(HTTP_STATUS)?,
        latency_ms: r.number(LATENCY_MS)?,
        attempts: r.number(ATTEMPTS)?,
        confirmed: r.boolean(CONFIRMED)?,
        business_unit: r.opt_number(BUSINESS_UNIT)?,
        missing_scopes: r.strings(MISSING_SCOPES)?,
        message: r.string(MESSAGE)?,
    })
}
