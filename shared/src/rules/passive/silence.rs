//! Pattern 6, `integration_silent`: an integration that normally reports has gone quiet for
//! more than [`SILENCE_FACTOR`] times its usual gap (and at least [`MIN_SILENCE`]). Either the
//! integration stopped, or its reporting path broke; the message says to check both.
//! Resolves when a report arrives.

use chrono::TimeDelta;

use super::common::{PassiveInputs, Verdict, minutes_text};
use crate::domain::passive::{PassivePattern, PassiveState};
use crate::domain::severity::Severity;

/// Report minutes needed before silence means anything (a usual gap is known by then).
pub const MIN_REPORT_MINUTES: u32 = 10;
/// Quiet for more than this many usual gaps is silence.
pub const SILENCE_FACTOR: i32 = 3;
/// Never silent before this: reports batched every few minutes are normal.
pub const MIN_SILENCE: TimeDelta = TimeDelta::minutes(15);
/// Weight of the newest gap in the moving average: 1/8 (an exponential moving average that
/// forgets one odd gap quickly enough).
pub const GAP_WEIGHT: u64 = 8;
/// Bounds of the usual gap, in seconds: a minute (reports are counted per minute) to a day (a
/// longer gap is not "usual" traffic to watch).
pub const GAP_BOUNDS_SECS: (u32, u32) = (60, 86_400);

/// Keep `last_report_at`, `report_minutes` and `usual_gap_secs` up to date: a non-empty batch
/// is a report arriving now; a report in a later minute than the last one counts a minute and a
/// gap.
pub(crate) fn update_state(inputs: &PassiveInputs, state: &mut PassiveState) {
    if inputs.batch.is_empty() {
        return;
    }
    let now = inputs.now;
    let minute = |t: chrono::DateTime<chrono::Utc>| t.timestamp().div_euclid(60);
    match state.last_report_at {
        Some(last) if minute(last) >= minute(now) => {}
        Some(last) => {
            state.report_minutes = state.report_minutes.saturating_add(1);
            let gap = u64::try_from((now - last).num_seconds()).unwrap_or(0);
            let gap = gap.clamp(u64::from(GAP_BOUNDS_SECS.0), u64::from(GAP_BOUNDS_SECS.1));
            let average = match state.usual_gap_secs {
                None => gap,
                Some(old) => {
                    let old = u64::from(old);
                    (old.saturating_mul(GAP_WEIGHT - 1).saturating_add(gap)) / GAP_WEIGHT
                }
            };
            let bounded = average.clamp(u64::from(GAP_BOUNDS_SECS.0), u64::from(GAP_BOUNDS_SECS.1));
            state.usual_gap_secs = u32::try_from(bounded).ok();
        }
        None => state.report_minutes = state.report_minutes.saturating_add(1),
    }
    // Once per minute: later reports of the same minute change nothing, so a busy reporter's
    // requests do not each rewrite the state (one write per integration and minute, not per
    // request).
    if state
        .last_report_at
        .is_none_or(|last| minute(last) < minute(now))
    {
        state.last_report_at = Some(now);
    }
}

/// Decide pattern 6 on the state after this batch.
pub(crate) fn check(inputs: &PassiveInputs, state: &PassiveState) -> Verdict {
    if !inputs.batch.is_empty() {
        return Verdict::Clear("The integration reports again.".to_string());
    }
    let (Some(last), Some(gap)) = (state.last_report_at, state.usual_gap_secs) else {
        return Verdict::Hold;
    };
    if state.report_minutes < MIN_REPORT_MINUTES {
        return Verdict::Hold;
    }
    let usual = TimeDelta::seconds(i64::from(gap));
    let limit = (usual * SILENCE_FACTOR).max(MIN_SILENCE);
    let quiet = inputs.now - last;
    if quiet > limit {
        Verdict::Firing {
            severity: Severity::Medium,
            message: format!(
                "The integration has reported no SFMC calls for {} (it usually reports every {}). Either it stopped calling SFMC, or its reporting path broke (ingest token, log subscription or EventBridge rule): check both.",
                minutes_text(quiet),
                minutes_text(usual),
            ),
            http_status: None,
        }
    } else if open_before(inputs, last) {
        // A report arrived after it opened (the batch was decided elsewhere): it is over.
        Verdict::Clear("The integration reports again.".to_string())
    } else {
        Verdict::Hold
    }
}

/// The open silence incident opened before `last` (a report since).
fn open_before(inputs: &PassiveInputs, last: chrono::DateTime<chrono::Utc>) -> bool {
    let id = PassivePattern::IntegrationSilent.incident_id(&inputs.integration.id);
    inputs
        .open
        .iter()
        .any(|i| i.id == id && i.open && i.opened_at < last)
}
