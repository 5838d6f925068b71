//! `credwatch drill --table T --topic ARN [--team ID]... [--wait 2m] [--format table|json]`:
//! a marked drill ("DRILL: no action needed") through the deployment's real alert path for
//! each named team (default: every team), then a table (or JSON) of what it proved
//! ([`credwatch::jobs::drill`]). Progress goes to stderr while it waits.
//!
//! Exit codes (see [`crate::exit`]): 0 every named team passed (published, and a confirmed
//! email subscription or a post Slack accepted); 1 some team did not, or AWS failed on the way;
//! 2 bad input (an unknown team, a bad `--wait`, a malformed topic ARN, no such table or
//! topic): nothing was written then.

use std::time::Duration;

use chrono::Utc;
use comfy_table::Color;
use credwatch::jobs::drill::{DrillError, DrillOptions, DrillReport, run_drill, slack_words};
use credwatch::rules::drill::{Publication, TeamDrill};
use credwatch::text::duration::parse_duration;
use credwatch::text::printable::{echo, escape};
use serde_json::json;

use super::table::{fail, store};
use crate::aws_trouble::{self, Trouble, one_line};
use crate::exit::{EXIT_FAILING, EXIT_INVALID, EXIT_OK};
use crate::output::{Format, Stdout, stdout_colours, table_width, warn};
use crate::render::{Grid, lay_out};
use crate::routing;

/// The shortest `--wait` accepted.
pub const MIN_WAIT: Duration = Duration::from_secs(1);
/// The longest `--wait` accepted: a drill that has not arrived in an hour will not.
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

/// Pure: `--wait` as a duration from 1 second to 1 hour (`30s`, `2m`, `1h`).
///
/// # Errors
/// A sentence naming `--wait`, the value (escaped) and how to write it.
pub fn parse_wait(text: &str) -> Result<Duration, String> {
    let wait = parse_duration(text).map_err(|problem| format!("--wait: {problem}"))?;
    if !(MIN_WAIT..=MAX_WAIT).contains(&wait) {
        return Err(format!(
            "--wait {} is out of range: give 1s to 1h (e.g. 2m)",
            echo(text)
        ));
    }
    Ok(wait)
}

/// `credwatch drill`.
pub async fn drill(table: &str, topic: &str, teams: &[String], wait: &str, format: Format) -> u8 {
    let wait = match parse_wait(wait) {
        Ok(wait) => wait,
        Err(message) => {
            return fail(&Trouble {
                message,
                code: EXIT_INVALID,
            });
        }
    };
    let port = match routing::port(topic).await {
        Ok(port) => port,
        Err(trouble) => return fail(&trouble),
    };
    if let Err(trouble) = topic_exists(topic).await {
        return fail(&trouble);
    }
    let store = match store(table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let options = DrillOptions {
        teams: teams.to_vec(),
        wait,
        wait_for_slack: true,
    };
    let mut progress = |line: &str| warn(&format!("credwatch: drill: {}", escape(line)));
    let report = match Box::pin(run_drill(
        &store,
        &port,
        topic,
        &options,
        Utc::now(),
        &mut progress,
    ))
    .await
    {
        Ok(report) => report,
        Err(error) => return fail(&drill_trouble(&error)),
    };
    let code = if report.ok() { EXIT_OK } else { EXIT_FAILING };
    let mut out = Stdout::new();
    match format {
        Format::Json => out.line(
            &serde_json::to_string_pretty(&report_json(&report)).expect("a report serializes"),
        ),
        Format::Table => {
            out.print(&format!(
                "{}\n",
                report_table(&report, table_width(), stdout_colours())
            ));
            out.line(&summary(&report));
        }
    }
    out.finish(code)
}

/// The exit code and words of a drill that could not start.
fn drill_trouble(error: &DrillError) -> Trouble {
    let code = match error {
        DrillError::UnknownTeams { .. } | DrillError::NoTeams => EXIT_INVALID,
        DrillError::Teams(_) | DrillError::Subscriptions(_) => EXIT_FAILING,
    };
    Trouble {
        message: format!("drill not started: {}", one_line(&error.to_string())),
        code,
    }
}

/// Pure: why `topic` (a well-formed SNS topic ARN) cannot be the deployment reached in
/// `region` (the region credwatch's AWS calls go to): its region differs. SNS answers such a
/// call with a bare `InvalidParameter` (or, in emulators, "not found"), which says nothing of
/// the cause; the table is looked for in the same wrong region. `None` when they agree.
pub fn topic_region_mismatch(topic: &str, region: Option<&str>) -> Option<String> {
    let topic_region = topic.split(':').nth(3)?;
    let region = region?;
    (topic_region != region).then(|| {
        format!(
            "--topic {} is in region {}, but credwatch is talking to AWS in {} (AWS_REGION, \
             AWS_DEFAULT_REGION or your profile); the drill's table and topic are in the \
             stack's region: run with AWS_REGION={}",
            echo(topic),
            echo(topic_region),
            echo(region),
            echo(topic_region)
        )
    })
}

/// Whether the topic exists (`GetTopicAttributes`): a missing one is exit 2, as a missing
/// table is, so that nothing is written to a table whose drills could never be published.
async fn topic_exists(topic: &str) -> Result<(), Trouble> {
    let config = aws_trouble::configured().await?;
    if let Some(message) = topic_region_mismatch(topic, config.region().map(|r| r.as_ref())) {
        return Err(Trouble {
            message,
            code: EXIT_INVALID,
        });
    }
    let sns = aws_sdk_sns::Client::new(&config);
    match sns.get_topic_attributes().topic_arn(topic).send().await {
        Ok(_) => Ok(()),
        Err(err) => {
            use aws_sdk_sns::error::ProvideErrorMetadata;
            let code = err.code().unwrap_or_default().to_string();
            let message = err.message().unwrap_or_default().to_string();
            if code == "NotFound" || code == "NotFoundException" {
                return Err(Trouble {
                    message: format!(
                        "SNS topic {} does not exist; give the stack's AlertTopicArn output",
                        echo(topic)
                    ),
                    code: EXIT_INVALID,
                });
            }
            if code.is_empty() {
                // Not SNS's answer (unreachable, timed out, not AWS): said as for the table,
                // in one line, never with the SDK's debug output.
                let target = aws_trouble::Target::new(&config, "-");
                return Err(Trouble {
                    message: one_line(&format!(
                        "could not read SNS topic {} at {}: {}; check the network and any \
                         proxy, AWS_REGION, or AWS_ENDPOINT_URL",
                        echo(topic),
                        target.endpoint,
                        credwatch::aws_error::innermost(&err)
                    )),
                    code: EXIT_FAILING,
                });
            }
            let why = format!("{code}: {message}");
            Err(Trouble {
                message: one_line(&format!("could not read SNS topic {}: {why}", echo(topic))),
                code: EXIT_FAILING,
            })
        }
    }
}

/// `--format json`: `{"ok", "started_at", "topic", "teams": [{..., "ok", "what_to_do"}]}`.
pub fn report_json(report: &DrillReport) -> serde_json::Value {
    let teams: Vec<serde_json::Value> = report
        .teams
        .iter()
        .map(|team| {
            let mut value = serde_json::to_value(team).expect("a team's drill serializes");
            value["ok"] = json!(team.ok());
            value["what_to_do"] = json!(team.what_to_do());
            value
        })
        .collect();
    json!({
        "ok": report.ok(),
        "started_at": report.started_at,
        "topic": report.topic,
        "teams": teams,
    })
}

/// Pure: the published cell: `yes (message id)` or `no: why`.
pub fn published_words(publication: &Publication) -> String {
    match publication {
        Publication::Published { message_id } => format!("yes ({})", escape(message_id)),
        Publication::Failed { error } => format!("no: gave up ({})", escape(error)),
        Publication::Retrying { error } => format!("no: failed, being retried ({})", escape(error)),
        Publication::NotSeen => "no: the fan-out recorded nothing in time".to_string(),
        Publication::NotWritten { error } => {
            format!("no: drill not written ({})", escape(error))
        }
    }
}

/// Pure: the email cell: `confirmed: a@x` and `pending: b@y`, or `none`.
pub fn email_words(team: &TeamDrill) -> String {
    let list = |addresses: &[String]| {
        addresses
            .iter()
            .map(|a| echo(a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !team.confirmed.is_empty() {
        parts.push(format!("confirmed: {}", list(&team.confirmed)));
    }
    if !team.pending.is_empty() {
        parts.push(format!("pending: {}", list(&team.pending)));
    }
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join("; ")
    }
}

/// Pure: the report as a table for `width` columns (six when they fit, else three).
pub fn report_table(report: &DrillReport, width: u16, colours: bool) -> String {
    let mut wide = Grid::new(vec![
        "Team",
        "Published",
        "Email",
        "Slack",
        "Verdict",
        "What to do",
    ]);
    let mut narrow = Grid::new(vec!["Team", "Verdict", "Details"]);
    for team in &report.teams {
        let id = echo(&team.team);
        let (verdict, color) = if team.ok() {
            ("ok", Color::Green)
        } else {
            ("FAILED", Color::Red)
        };
        let published = published_words(&team.publication);
        let email = email_words(team);
        let slack = escape(&slack_words(&team.slack)).into_owned();
        let what = escape(&team.what_to_do()).into_owned();
        wide.row(
            vec![
                id.clone(),
                published.clone(),
                email.clone(),
                slack.clone(),
                verdict.to_string(),
                what.clone(),
            ],
            color,
            &[&[id.as_str()], &[], &[], &[], &[verdict]],
        );
        let mut details = vec![
            format!("published: {published}"),
            format!("email: {email}"),
            format!("slack: {slack}"),
        ];
        if !what.is_empty() {
            details.push(format!("to do: {what}"));
        }
        narrow.row(
            vec![id.clone(), verdict.to_string(), details.join("\n")],
            color,
            &[&[id.as_str()], &[verdict]],
        );
    }
    lay_out(vec![wide, narrow], width, colours).to_string()
}

/// Pure: the line under the table.
pub fn summary(report: &DrillReport) -> String {
    let failed = report.failed_teams();
    if failed.is_empty() {
        format!(
            "Drill ok: {} team(s) reached. Every drill incident was resolved; run it weekly.",
            report.teams.len()
        )
    } else {
        format!(
            "Drill FAILED for {} of {} team(s): {}. Their alerts may reach nobody; see \"What to do\".",
            failed.len(),
            report.teams.len(),
            failed
                .iter()
                .map(|t| echo(t))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwatch::rules::drill::SlackCheck;

    #[test]
    fn a_topic_of_another_region_is_named_with_the_region_to_use() {
        let topic = "arn:aws:sns:eu-west-1:123456789012:credwatch-alerts";
        assert_eq!(topic_region_mismatch(topic, Some("eu-west-1")), None);
        assert_eq!(topic_region_mismatch(topic, None), None);
        let message = topic_region_mismatch(topic, Some("us-east-1")).expect("a mismatch");
        assert!(
            message.contains("is in region eu-west-1")
                && message.contains("talking to AWS in us-east-1")
                && message.ends_with("AWS_REGION=eu-west-1"),
            "{message}"
        );
        // A hostile region is echoed escaped, never raw.
        let message = topic_region_mismatch("arn:aws:sns:e\u{1b}[2J:1:t", Some("us-east-1"))
            .expect("a mismatch");
        assert!(!message.contains('\u{1b}'), "{message}");
    }

    fn team(id: &str, confirmed: &[&str], publication: Publication) -> TeamDrill {
        TeamDrill {
            team: id.to_string(),
            incident_id: format!("drill.{id}:monitor:0"),
            publication,
            confirmed: confirmed.iter().map(|s| s.to_string()).collect(),
            pending: Vec::new(),
            slack: SlackCheck::NoWebhook,
            resolved: true,
        }
    }

    fn report(teams: Vec<TeamDrill>) -> DrillReport {
        DrillReport {
            started_at: "2026-12-01T09:00:00Z".parse().unwrap(),
            topic: "arn:aws:sns:us-east-1:123456789012:alerts".to_string(),
            teams,
        }
    }

    #[test]
    fn wait_takes_one_unit_within_bounds() {
        assert_eq!(parse_wait("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_wait("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_wait("2h").unwrap_err().contains("out of range"));
        assert!(parse_wait("soon").unwrap_err().starts_with("--wait"));
        assert!(parse_wait("0s").is_err());
    }

    #[test]
    fn the_table_names_each_team_its_verdict_and_what_to_do() {
        let published = Publication::Published {
            message_id: "m-1".to_string(),
        };
        let shown = report(vec![
            team("crm-ops", &["a@example.com"], published.clone()),
            team("finance", &[], published),
        ]);
        let text = report_table(&shown, 200, false);
        assert!(
            text.contains("crm-ops") && text.contains("yes (m-1)"),
            "{text}"
        );
        assert!(text.contains("confirmed: a@example.com"), "{text}");
        assert!(
            text.contains("FAILED") && text.contains("notify.email"),
            "{text}"
        );
        let narrow = report_table(&shown, 40, false);
        assert!(
            narrow.contains("finance") && narrow.contains("FAILED"),
            "{narrow}"
        );
        assert_eq!(
            summary(&shown),
            "Drill FAILED for 1 of 2 team(s): finance. Their alerts may reach nobody; see \"What to do\"."
        );
    }

    #[test]
    fn json_carries_the_verdict_per_team() {
        let shown = report(vec![team("crm-ops", &[], Publication::NotSeen)]);
        let value = report_json(&shown);
        assert_eq!(value["ok"], false);
        assert_eq!(value["teams"][0]["ok"], false);
        assert_eq!(value["teams"][0]["publication"]["state"], "not_seen");
        assert_eq!(value["teams"][0]["slack"]["state"], "no_webhook");
        assert!(
            value["teams"][0]["what_to_do"]
                .as_str()
                .unwrap()
                .contains("alert-fanout")
        );
    }

    #[test]
    fn a_drill_that_cannot_start_is_bad_input_or_failing_by_its_cause() {
        let unknown = DrillError::UnknownTeams {
            unknown: vec!["nope".to_string()],
            known: vec!["crm-ops".to_string()],
        };
        assert_eq!(drill_trouble(&unknown).code, EXIT_INVALID);
        assert_eq!(drill_trouble(&DrillError::NoTeams).code, EXIT_INVALID);
        assert_eq!(
            drill_trouble(&DrillError::Teams("throttled".to_string())).code,
            EXIT_FAILING
        );
    }
}
