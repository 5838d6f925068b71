//! `credwatch notifications preview --table T [--at TIME] [--format json]`: what the alert
//! fan-out's sweep would do at TIME (default now) given what the table holds now: releases of
//! held notifications, retries, reminders and escalations, each with its decision (send,
//! defer, suppress, supersede) and why. It is the sweep's own plan
//! ([`credwatch::jobs::fanout::plan::plan_sweep`]), computed without writing or sending
//! anything.
//!
//! Exit codes: 0 the plan was shown (also when it is empty); 1 the table could not be read;
//! 2 a bad `--at` or a missing table.

use chrono::{DateTime, Utc};
use comfy_table::Color;
use credwatch::jobs::fanout::context::AlertingContext;
use credwatch::jobs::fanout::plan::{PlanRow, SweepPlan, plan_sweep};
use credwatch::text::printable::{self, escape};
use serde::Serialize;

use super::table::{fail, fail_reading, store};
use crate::aws_trouble::Trouble;
use crate::exit::{EXIT_INVALID, EXIT_OK};
use crate::output::{Format, Stdout, stdout_colours, table_width, warn};
use crate::render::{Grid, lay_out};

/// The most due notifications one preview looks at (the deployed sweep takes 100 per minute).
const PREVIEW_LIMIT: usize = 1_000;

/// `--format json`: the plan.
#[derive(Serialize)]
pub struct PreviewReport {
    /// The time previewed.
    pub at: DateTime<Utc>,
    /// One object per decision, in the order the sweep takes them.
    pub decisions: Vec<PlanRow>,
    /// When the next reminder or escalation falls due after `at`, if any is scheduled.
    pub next_follow_up: Option<DateTime<Utc>>,
    /// Items that cannot be read (skipped by the sweep too).
    pub unreadable: Vec<String>,
}

/// Pure: the report of `plan` at `at`.
pub fn preview_report(plan: &SweepPlan, at: DateTime<Utc>) -> PreviewReport {
    PreviewReport {
        at,
        decisions: plan.actions.iter().flat_map(|a| a.rows(at)).collect(),
        next_follow_up: plan.next_follow_up,
        unreadable: plan.unreadable.iter().map(|u| u.to_string()).collect(),
    }
}

/// `credwatch notifications preview`.
pub async fn notifications_preview(table: &str, at: Option<&str>, format: Format) -> u8 {
    let at = match at.map(crate::when::parse_time).transpose() {
        Ok(at) => at.unwrap_or_else(Utc::now),
        Err(problem) => {
            return fail(&Trouble {
                message: format!("--at {problem}"),
                code: EXIT_INVALID,
            });
        }
    };
    let store = match store(table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let shown = printable::echo(table);
    let context = match AlertingContext::load(&store).await {
        Ok(context) => context,
        Err(err) => return fail_reading(&shown, err.message()),
    };
    let plan = match plan_sweep(&store, &context, at, PREVIEW_LIMIT).await {
        Ok(plan) => plan,
        Err(err) => return fail_reading(&shown, err.message()),
    };
    let report = preview_report(&plan, at);
    for bad in &report.unreadable {
        warn(&format!(
            "credwatch: warning: an item cannot be read ({}); the sweep skips it too",
            escape(bad)
        ));
    }
    let mut out = Stdout::new();
    match format {
        Format::Json => {
            out.line(&serde_json::to_string_pretty(&report).expect("the report serializes"))
        }
        Format::Table => out.print(&preview_text(&report, table_width(), stdout_colours())),
    }
    out.finish(EXIT_OK)
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Pure: the plan for people.
pub fn preview_text(report: &PreviewReport, width: u16, colours: bool) -> String {
    let mut text = format!(
        "What the sweep would do at {} (nothing is sent or written by this preview)\n",
        when(report.at)
    );
    if report.decisions.is_empty() {
        text.push_str("Nothing to send.\n");
    } else {
        let mut wide = Grid::new(vec!["Incident", "Team", "Event", "Decision", "Why"]);
        let mut narrow = Grid::new(vec!["Decision"]);
        for row in &report.decisions {
            let color = match row.decision.as_str() {
                "send" => Color::Green,
                "supersede" => Color::DarkGrey,
                _ => Color::Yellow,
            };
            let decision = match row.until {
                Some(until) => format!("{} until {}", row.decision, when(until)),
                None => row.decision.clone(),
            };
            let incident = escape(&row.incident_id).into_owned();
            let team = escape(&row.team).into_owned();
            let reason = escape(&row.reason).into_owned();
            wide.row(
                vec![
                    incident.clone(),
                    team.clone(),
                    row.event.clone(),
                    decision.clone(),
                    reason.clone(),
                ],
                color,
                &[&[&incident], &[&team], &[&row.event], &[], &[]],
            );
            narrow.row(
                vec![format!(
                    "{decision}: {} to team {team}\n{incident}\n{reason}",
                    row.event
                )],
                color,
                &[&[&incident]],
            );
        }
        text.push_str(&lay_out(vec![wide, narrow], width, colours).to_string());
        text.push('\n');
    }
    match report.next_follow_up {
        Some(next) => text.push_str(&format!(
            "Next reminder or escalation due: {}\n",
            when(next)
        )),
        None => text.push_str("No reminder or escalation is scheduled.\n"),
    }
    text
}
