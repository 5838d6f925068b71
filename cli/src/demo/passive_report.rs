//! Step 5 of `credwatch demo`, told: the requests and answers, what opened, the messages the
//! teams receive (the reported failure's email in full, the race's evidence), and the refusals;
//! and the same as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use credwatch::domain::incident::IncidentClass;
use credwatch::jobs::ingest::https::EVENTS_PATH;
use credwatch::secrets::ingest_token::INGEST_TOKEN_PREFIX;
use serde_json::{Value, json};

use super::passive::{Passive, email_of, field_of};

/// The step for people.
pub fn narrate(step: &Passive, team_names: &BTreeMap<String, String>) -> String {
    let team = |id: &str| {
        team_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "`credwatch ingest token create` issued a token for {} ({INGEST_TOKEN_PREFIX}…, printed once; credwatch keeps only its SHA-256).\n\
         Their reporters POST what SFMC answers them to the ingest function's URL ({EVENTS_PATH}):\n",
        step.tokens.join(" and ")
    );
    let mut lines: Vec<(DateTime<Utc>, String)> = step.probes.clone();
    for exchange in step.exchanges.iter().filter(|e| e.status < 400) {
        let who = exchange.integration.as_deref().unwrap_or("?");
        let mut line = format!(
            "{who} reports {}:\n         POST {EVENTS_PATH}  Authorization: Bearer {INGEST_TOKEN_PREFIX}…\n         {}\n         credwatch answers {} {}",
            exchange.what, exchange.shown, exchange.status, exchange.answer
        );
        if exchange.opened.is_empty() {
            line.push_str("\n         nothing opens yet");
        }
        for incident in &exchange.opened {
            let _ = write!(
                line,
                "\n         OPENED   {}: {} ({}) for {}",
                incident.id,
                incident.class,
                incident.severity.as_str(),
                team(&incident.team)
            );
            if exchange.probe_asked && incident.class == IncidentClass::ReportedAuthFailure {
                line.push_str("; credwatch's probe is asked to look now");
            }
        }
        lines.push((exchange.at, line));
    }
    lines.sort_by_key(|(at, _)| *at);
    for (at, line) in &lines {
        let _ = writeln!(text, "  {}  {line}", at.format("%H:%M"));
    }
    let _ = writeln!(text, "\nWhat the teams receive about them:\n");
    for (at, request) in &step.sent {
        let attr = |name: &str| request.attributes.get(name).map_or("", String::as_str);
        let _ = writeln!(
            text,
            "  {}  to {:<14} {:<9} {}",
            at.format("%H:%M"),
            attr("team"),
            attr("event"),
            request.subject
        );
    }
    if let Some((_, request)) = step.sent.iter().find(|(_, r)| {
        r.attributes.get("class").map(String::as_str) == Some("reported_auth_failure")
    }) {
        let _ = writeln!(text, "\nThe `opened` email, as crm-ops receives it:\n");
        let _ = writeln!(text, "  Subject: {}", request.subject);
        for line in email_of(request).lines() {
            let _ = writeln!(text, "  {line}");
        }
    }
    if let Some((_, request)) = step
        .sent
        .iter()
        .find(|(_, r)| r.attributes.get("class").map(String::as_str) == Some("token_refresh_race"))
    {
        let email = email_of(request);
        let details = email
            .lines()
            .find(|l| l.starts_with("Details: "))
            .unwrap_or("");
        let _ = writeln!(
            text,
            "\nThe refresh race, to {} ({}):\n  {details}\n  \
             Low severity: told by email and Slack in the team's business hours (held to the next\n  \
             morning outside them), never paged: only critical goes out whatever the hour.",
            team(request.attributes.get("team").map_or("", String::as_str)),
            request.subject
        );
    }
    let _ = writeln!(
        text,
        "\nRefused, each naming the field, never echoing a value:\n"
    );
    for exchange in step.exchanges.iter().filter(|e| e.status >= 400) {
        let why = field_of(exchange).map_or_else(
            || exchange.answer["error"].as_str().unwrap_or("").to_string(),
            |_| {
                let r = &exchange.answer["rejected"][0];
                format!(
                    "{}: {}",
                    r["field"].as_str().unwrap_or(""),
                    r["problem"].as_str().unwrap_or("")
                )
            },
        );
        let _ = writeln!(text, "  {:<30} {} {why}", exchange.what, exchange.status);
    }
    text
}

/// The step for scripts: `{tokens, requests: [{at, integration, what, events, status, answer}],
/// incidents: [{id, integration, class, severity, team}], refusals: [{what, status, field,
/// problem, error}], messages: [{at, team, event, severity, incident_id, subject}]}`.
pub fn report(step: &Passive) -> Value {
    json!({
        "tokens": step.tokens.iter().map(|i| json!({"integration": i, "token": format!("{INGEST_TOKEN_PREFIX}…")})).collect::<Vec<_>>(),
        "requests": step.exchanges.iter().map(|e| json!({
            "at": e.at,
            "integration": e.integration,
            "what": e.what,
            "events": e.events,
            "status": e.status,
            "answer": e.answer,
        })).collect::<Vec<_>>(),
        "incidents": step.exchanges.iter().flat_map(|e| &e.opened).map(|i| json!({
            "id": i.id.as_str(),
            "integration": i.integration,
            "class": i.class.as_str(),
            "severity": i.severity.as_str(),
            "team": i.team,
        })).collect::<Vec<_>>(),
        "refusals": step.exchanges.iter().filter(|e| e.status >= 400).map(|e| json!({
            "what": e.what,
            "status": e.status,
            "field": field_of(e),
            "problem": e.answer["rejected"][0]["problem"],
            "error": e.answer["error"],
        })).collect::<Vec<_>>(),
        "probes": step.probes.iter().map(|(at, line)| json!({"at": at, "result": line})).collect::<Vec<_>>(),
        "messages": step.sent.iter().map(|(at, r)| {
            let attr = |name: &str| r.attributes.get(name).cloned().unwrap_or_default();
            json!({
                "at": at,
                "team": attr("team"),
                "event": attr("event"),
                "severity": attr("severity"),
                "incident_id": attr("incident_id"),
                "subject": r.subject,
            })
        }).collect::<Vec<_>>(),
    })
}
