//! The passive view of `credwatch status`: per integration, what it reported itself (passive
//! tracking): calls and failures in the last hour, and its last reported failure with its class.
//! Only integrations that ever reported (a passive state item) are read, a few at a time; one
//! failing read never hides the others.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::passive::{MinuteCounts, SfmcCall};
use credwatch::store::PassiveRecords;
use credwatch::text::printable::{echo, escape};
use futures::StreamExt as _;
use serde::Serialize;

use crate::aws_trouble::store_error_line;
use crate::output::warn;

/// Integrations whose passive records are read at once (two Queries each).
pub const PASSIVE_READS: usize = 8;
/// How far back `status` looks for an integration's last reported failure (failed calls are
/// kept [`PASSIVE_EVENT_RETENTION_DAYS`](credwatch::store::invariants::PASSIVE_EVENT_RETENTION_DAYS)).
pub const LAST_FAILURE_LOOKBACK: TimeDelta = TimeDelta::days(7);
/// Reports may be stamped a little ahead of this machine's clock (the ingest function allows
/// 5 minutes): read that far past now, so they are not missed.
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// `passive` of a `status --format json` row: what the integration reported itself; `null`
/// when it never reported.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct PassiveView {
    /// Calls reported as observed in the last hour (an aggregate event counts `count` calls).
    pub calls_last_hour: u64,
    /// Of those, the failed ones (classified, not `ok`).
    pub failures_last_hour: u64,
    /// When the latest reported failure was observed (within 7 days); `null` when none.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// Its class, computed with the probe's classifier (`client_auth_failed`, ...); `null`
    /// when none or unclassified.
    pub last_failure_class: Option<String>,
}

/// Pure: the view of an integration's counters of the last hour and its latest failed call.
pub fn passive_view(minutes: &[MinuteCounts], last_failure: Option<&SfmcCall>) -> PassiveView {
    let counts = minutes.iter().flat_map(|m| m.counts.iter());
    let (mut calls, mut failures) = (0u64, 0u64);
    for (key, count) in counts {
        calls = calls.saturating_add(*count);
        if key.class.is_some_and(|class| class != OutcomeClass::Ok) {
            failures = failures.saturating_add(*count);
        }
    }
    PassiveView {
        calls_last_hour: calls,
        failures_last_hour: failures,
        last_failure_at: last_failure.map(|call| call.observed_at),
        last_failure_class: last_failure
            .and_then(|call| call.class)
            .map(|class| class.as_str().to_string()),
    }
}

/// Where one status row takes its passive view: the integration, its `passive` and `problem`.
pub struct Slot<'r> {
    /// The integration's id.
    pub id: &'r str,
    /// The row's `passive`, filled when the integration ever reported.
    pub view: &'r mut Option<PassiveView>,
    /// The row's `problem`, which says why when its passive records could not be read.
    pub problem: &'r mut Option<String>,
}

/// Fills the view of every slot whose integration ever reported. A read that fails leaves that
/// slot's view null and says why in its `problem` and on stderr; the result then says how
/// many integrations could not be read (or why none could).
pub async fn fill_passive<S: PassiveRecords>(
    store: &S,
    rows: &mut [Slot<'_>],
    now: DateTime<Utc>,
) -> Result<(), String> {
    let listing = store.passive_states().await.map_err(|err| {
        format!(
            "could not read passive tracking: {}",
            store_error_line(err.message())
        )
    })?;
    let mut reporting: BTreeSet<String> = listing.states.into_iter().map(|(id, _)| id).collect();
    for bad in &listing.unreadable {
        warn(&format!(
            "credwatch: warning: a passive tracking state cannot be read ({}); its patterns are \
             not evaluated until the item is fixed or deleted",
            escape(&bad.to_string())
        ));
        reporting.extend(bad.integration.clone());
    }
    let wanted: Vec<String> = rows
        .iter()
        .map(|row| row.id.to_string())
        .filter(|id| reporting.contains(id))
        .collect();
    let results: Vec<(String, Result<PassiveView, String>)> = futures::stream::iter(wanted)
        .map(|id| async move {
            let read = read_one(store, &id, now).await;
            (id, read)
        })
        .buffer_unordered(PASSIVE_READS)
        .collect()
        .await;
    let mut failed = 0usize;
    for (id, result) in results {
        let Some(row) = rows.iter_mut().find(|row| row.id == id) else {
            continue;
        };
        match result {
            Ok(view) => *row.view = Some(view),
            Err(why) => {
                failed += 1;
                let note = format!("credwatch could not read what it reported: {why}");
                warn(&format!("credwatch: integration {}: {note}", echo(&id)));
                *row.problem = Some(match row.problem.take() {
                    Some(earlier) => format!("{earlier}; {note}"),
                    None => note,
                });
            }
        }
    }
    match failed {
        0 => Ok(()),
        1 => Err("the passive records of 1 integration could not be read".to_string()),
        n => Err(format!(
            "the passive records of {n} integrations could not be read"
        )),
    }
}

/// One integration's counters of the last hour and its latest failure of the last 7 days, read
/// together.
async fn read_one<S: PassiveRecords>(
    store: &S,
    id: &str,
    now: DateTime<Utc>,
) -> Result<PassiveView, String> {
    let until = now + CLOCK_SKEW;
    let (minutes, failed) = tokio::join!(
        store.minutes(id, now - TimeDelta::hours(1), until),
        store.failed_calls(id, now - LAST_FAILURE_LOOKBACK, until, 1)
    );
    let minutes = minutes.map_err(|err| store_error_line(err.message()))?;
    let failed = failed.map_err(|err| store_error_line(err.message()))?;
    Ok(passive_view(&minutes, failed.first()))
}

/// Pure: the status table's words for a view: `-` when the integration never reported.
pub fn passive_words(view: Option<&PassiveView>, ago: impl Fn(DateTime<Utc>) -> String) -> String {
    let Some(view) = view else {
        return "-".to_string();
    };
    let calls = if view.calls_last_hour == 1 {
        "call"
    } else {
        "calls"
    };
    let mut words = format!(
        "{} {calls}, {} failed",
        view.calls_last_hour, view.failures_last_hour
    );
    if let Some(at) = view.last_failure_at {
        words.push_str(&format!("\nlast failure {}", ago(at)));
        if let Some(class) = &view.last_failure_class {
            words.push_str(&format!("\n{}", escape(class)));
        }
    }
    words
}
