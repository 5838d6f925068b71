//! The reported calls behind a passive incident (`credwatch incident show` of an
//! `integration:passive:seq` incident): the failed SFMC calls the integration reported itself,
//! from an hour before the incident opened to its resolve (or now), most recent first.

use chrono::{DateTime, TimeDelta, Utc};
use comfy_table::Color;
use credwatch::domain::incident::Incident;
use credwatch::domain::passive::SfmcCall;
use credwatch::store::{PassiveRecords, StoreError};
use credwatch::text::printable::escape;
use serde::Serialize;

use crate::render::{Grid, lay_out, wrap};

/// At most this many reported calls are shown.
pub const MAX_REPORTED_CALLS: usize = 20;
/// How long before the incident opened its evidence is looked for.
pub const EVIDENCE_BEFORE: TimeDelta = TimeDelta::hours(1);
/// Reports may be stamped a little past the resolve (the ingest function allows 5 minutes of
/// clock skew).
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// One reported failed call (or `count` identical ones) in `reported_calls`.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct ReportedCallRow {
    /// When the call completed, as the reporter observed it.
    pub observed_at: DateTime<Utc>,
    /// `token`, `rest`, `soap` or `other`.
    pub call_kind: &'static str,
    /// The HTTP status SFMC answered; `null` when no answer came.
    pub status: Option<u16>,
    /// SFMC's `errorcode` in decimal, else the OAuth `error`, else the SOAP fault; `null` when
    /// none was reported.
    pub code: Option<String>,
    /// The class credwatch computed with the probe's classifier; `null` when unclassified.
    pub class: Option<&'static str>,
    /// How many identical calls the report stands for.
    pub count: u32,
    /// Who reported it, when the reporter said.
    pub reporter: Option<String>,
    /// SFMC's words, redacted and capped at ingest.
    pub message: Option<String>,
}

impl ReportedCallRow {
    /// The row of a stored call.
    pub fn of(call: &SfmcCall) -> ReportedCallRow {
        ReportedCallRow {
            observed_at: call.observed_at,
            call_kind: call.call_kind.as_str(),
            status: call.status,
            code: call
                .sfmc_errorcode
                .map(|code| code.to_string())
                .or_else(|| call.oauth_error.clone())
                .or_else(|| call.soap_fault.clone()),
            class: call.class.map(|class| class.as_str()),
            count: call.count,
            reporter: call.reporter.clone(),
            message: call.message.clone(),
        }
    }
}

/// The window of a passive incident's evidence: from [`EVIDENCE_BEFORE`] before it opened to
/// its resolve (or `now`), a few minutes more for clock skew.
pub fn evidence_window(incident: &Incident, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = incident.resolved_at.unwrap_or(now);
    (incident.opened_at - EVIDENCE_BEFORE, end + CLOCK_SKEW)
}

/// The failed calls `incident`'s integration reported in its evidence window, most recent
/// first, at most [`MAX_REPORTED_CALLS`].
pub async fn reported_calls<S: PassiveRecords>(
    store: &S,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Result<Vec<ReportedCallRow>, StoreError> {
    let (from, to) = evidence_window(incident, now);
    let calls = store
        .failed_calls(&incident.integration, from, to, MAX_REPORTED_CALLS)
        .await?;
    Ok(calls
        .iter()
        .take(MAX_REPORTED_CALLS)
        .map(ReportedCallRow::of)
        .collect())
}

/// Pure: the section `incident show` adds for a passive incident: its reported calls laid out
/// for `width` (eight columns when they fit, else two, else one), or a line saying there are
/// none. Every reported text is escaped.
pub fn reported_text(rows: &[ReportedCallRow], width: u16, colours: bool) -> String {
    if rows.is_empty() {
        return wrap(
            "Reported calls: none kept from an hour before it opened until now (failed calls \
             are kept 7 days).",
            width,
        ) + "\n";
    }
    let mut wide = Grid::new(vec![
        "Observed", "Call", "Status", "Code", "Class", "Count", "Reporter", "Message",
    ]);
    let mut two = Grid::new(vec!["Observed and call", "What SFMC answered"]);
    let mut one = Grid::new(vec!["Reported calls"]);
    for row in rows {
        let observed = row.observed_at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        let status = row
            .status
            .map_or("none".to_string(), |status| status.to_string());
        let code = row
            .code
            .as_deref()
            .map_or("-".into(), |c| escape(c).into_owned());
        let class = row.class.unwrap_or("-");
        let reporter = row
            .reporter
            .as_deref()
            .map_or("-".into(), |r| escape(r).into_owned());
        let message = row
            .message
            .as_deref()
            .map_or(String::new(), |m| escape(m).into_owned());
        wide.row(
            vec![
                observed.clone(),
                row.call_kind.to_string(),
                status.clone(),
                code.clone(),
                class.to_string(),
                row.count.to_string(),
                reporter.clone(),
                message.clone(),
            ],
            Color::Red,
            &[&[], &[], &[], &[&code], &[class], &[], &[&reporter], &[]],
        );
        let left = format!("{observed}\n{} x{}", row.call_kind, row.count);
        let mut answer = format!("HTTP {status} {code}\n{class}\nreported by {reporter}");
        if !message.is_empty() {
            answer.push_str(&format!("\n{message}"));
        }
        two.row(
            vec![left.clone(), answer.clone()],
            Color::Red,
            &[&[], &[class, &code]],
        );
        one.row(
            vec![format!("{left}\n{answer}")],
            Color::Red,
            &[&[class, &code]],
        );
    }
    let noun = if rows.len() == 1 { "call" } else { "calls" };
    format!(
        "{}\n{}\n",
        wrap(
            &format!(
                "Reported calls behind it ({} failed {noun}, most recent first, at most \
                 {MAX_REPORTED_CALLS}):",
                rows.len()
            ),
            width
        ),
        lay_out(vec![wide, two, one], width, colours)
    )
}
