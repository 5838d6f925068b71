//! When to probe: the cadence of a healthy or failing integration, with jitter, and the stable
//! slot of each integration so a freshly applied inventory does not fall due all at once.
//! Randomness (`jitter`) and `now` (`at`) are parameters.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::state::CheckState;

/// However short the configured interval, probes of one integration stay this far apart.
const MIN_PROBE_GAP: Duration = Duration::from_secs(30);

/// Probes may come up to this fraction of the interval early, so integrations that fell due
/// together drift apart instead of hitting SFMC in bursts forever.
const MAX_JITTER: f64 = 0.1;

/// When to probe next after a probe at `at`: `probe_every` later while the integration is
/// healthy or unknown, `recheck_every` later while it is not, minus up to 10% of that interval
/// (`jitter` in `[0, 1)`, supplied by the caller so tests are deterministic; anything outside
/// is clamped, NaN counts as 0), and never sooner than 30 seconds after `at`.
pub fn schedule(
    state: &CheckState,
    at: DateTime<Utc>,
    probe_every: Duration,
    recheck_every: Duration,
    jitter: f64,
) -> DateTime<Utc> {
    let interval = if state.health().needs_recheck() {
        recheck_every
    } else {
        probe_every
    };
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    let early = interval.mul_f64(jitter * MAX_JITTER);
    let delay = interval.saturating_sub(early).max(MIN_PROBE_GAP);
    TimeDelta::from_std(delay)
        .ok()
        .and_then(|delay| at.checked_add_signed(delay))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A stable offset in `[0, probe_every)` (whole seconds; zero when `probe_every` is under a
/// second) for the first probe of a newly added integration, so that a freshly applied
/// inventory does not fall due all in the same minute. Derived from the id alone, so every
/// invocation and every version of credwatch computes the same offset.
pub fn first_probe_offset(integration: &str, probe_every: Duration) -> Duration {
    match probe_every.as_secs() {
        0 => Duration::ZERO,
        seconds => Duration::from_secs(fnv1a(integration.as_bytes()) % seconds),
    }
}

/// When a healthy integration is probed next: the first of its own slots (one every
/// `probe_every`, at phase [`first_probe_offset`] of the id) at least half an interval after
/// `at`. Integrations keep stable phases spread over the whole interval, whenever they were
/// added, so they never all fall due in the same minute; and the cadence is exactly
/// `probe_every` once on phase.
pub fn next_slot(integration: &str, at: DateTime<Utc>, probe_every: Duration) -> DateTime<Utc> {
    let period = i64::try_from(probe_every.as_secs())
        .unwrap_or(i64::MAX)
        .max(1);
    let phase = i64::try_from(first_probe_offset(integration, probe_every).as_secs()).unwrap_or(0);
    let earliest = at.timestamp().saturating_add(period / 2);
    let slots_before = (earliest - phase).div_euclid(period);
    let mut slot = slots_before.saturating_mul(period).saturating_add(phase);
    if slot < earliest {
        slot = slot.saturating_add(period);
    }
    DateTime::from_timestamp(slot, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// 64-bit FNV-1a: tiny, well spread for short ids, and fixed forever (unlike `std`'s
/// `DefaultHasher`, whose output may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests;
