//! Pattern 7, `identity_mismatch`: the integration reports a client id or account id (MID)
//! other than the inventory's: it runs with another package or business unit than the one
//! credwatch watches, so credwatch's probe says nothing about it. Medium; resolves after
//! [`CLEAR_AFTER`] without one.

use chrono::TimeDelta;

use super::{PassiveInputs, Verdict};
use crate::domain::passive::PassiveState;
use crate::domain::severity::Severity;
use crate::text::printable::echo;

/// Resolves after this long without a mismatching report: 24 hours (research file §3).
pub const CLEAR_AFTER: TimeDelta = TimeDelta::hours(24);

/// The first mismatch of the batch, in words naming both ids.
fn mismatch(inputs: &PassiveInputs) -> Option<String> {
    let integration = inputs.integration;
    inputs.batch.iter().find_map(|call| {
        if let Some(client) = &call.client_id
            && !client.eq_ignore_ascii_case(&integration.client_id)
        {
            return Some(format!(
                "client id {} (the inventory has {})",
                echo(client),
                echo(&integration.client_id)
            ));
        }
        match (call.account_id, integration.account_id) {
            (Some(reported), Some(expected)) if reported != expected => Some(format!(
                "account id (MID) {reported} (the inventory has {expected})"
            )),
            _ => None,
        }
    })
}

/// Remember the latest mismatch and its words.
pub(crate) fn update_state(inputs: &PassiveInputs, state: &mut PassiveState) {
    if let Some(words) = mismatch(inputs) {
        state.last_mismatch_at = Some(inputs.now);
        state.mismatch = Some(words);
    }
}

/// Decide pattern 7 on the state after this batch.
pub(crate) fn check(inputs: &PassiveInputs, state: &PassiveState) -> Verdict {
    if let Some(words) = mismatch(inputs) {
        return Verdict::Firing {
            severity: Severity::Medium,
            message: format!(
                "The integration reported calls made with {words}: it runs with another installed package or business unit than the one credwatch probes. Fix the integration's configuration or the inventory."
            ),
            http_status: None,
        };
    }
    match state.last_mismatch_at {
        Some(last) if inputs.now - last < CLEAR_AFTER => Verdict::Hold,
        _ => {
            Verdict::Clear("No call with another client id or account id for 24 hours.".to_string())
        }
    }
}
