//! Unit tests of the passive intake: normalisation rules, classification of reported calls by
//! the fixtures' bodies, counter keys.

mod classify_cases;
mod counter_cases;
mod logs_cases;
mod normalise_cases;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::*;
use crate::domain::passive::EventSource;

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap()
}

fn binding() -> Binding {
    Binding {
        integration: "crm-sync".to_string(),
        source: EventSource::Https,
        received_at: received(),
    }
}

/// A minimal valid event plus `extra` fields.
fn event(extra: Value) -> Value {
    let mut base =
        json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": "rest", "status": 200});
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn refused(value: Value) -> EventError {
    normalise_event(&value, Some(3), &binding()).unwrap_err()
}

fn accepted(value: Value) -> crate::domain::passive::SfmcCall {
    normalise_event(&value, None, &binding()).unwrap()
}
