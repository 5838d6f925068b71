//! The `https` body: an AWS Chatbot (Amazon Q Developer in chat applications) custom
//! notification, which Chatbot posts to Slack or Teams.
//!
//! Schema (AWS docs, "Custom notifications using Amazon Q Developer in chat applications"):
//! `version` must be `1.0`, `source` must be `custom`; `content` holds `textType`
//! (`client-markdown`, the only one supported), `title`, `description`, `nextSteps` and
//! `keywords`; `metadata` holds `threadId` (notifications with the same thread id are threaded
//! together, here one incident), `summary`, `eventType`, `relatedResources` and
//! `additionalContext` (string values).

use serde_json::{Value, json};

use super::facts::facts;
use super::subject::subject;
use super::trim::Trim;
use crate::notify::notification::Notification;

/// Text for Slack's markdown: `&`, `<` and `>` escaped as Slack asks, so a name cannot form a
/// link or a mention.
pub fn markdown_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Slack emoji that leads a message about `n` (Chatbot's title and slack-notify's header):
/// the event's for resolves, drills and acknowledgements, else the severity's.
pub(super) fn emoji(n: &Notification) -> &'static str {
    use crate::domain::severity::Severity;
    use crate::notify::notification::Event;
    match (n.event, n.severity) {
        (Event::Resolved, _) => ":white_check_mark:",
        (Event::Drill, _) => ":information_source:",
        (Event::Acknowledged, _) => ":eyes:",
        (_, Severity::Critical) => ":rotating_light:",
        (_, Severity::High) => ":red_circle:",
        (_, Severity::Medium) => ":large_orange_circle:",
        (_, Severity::Low) => ":large_yellow_circle:",
    }
}

/// The Chatbot custom notification of `n`, as a JSON value.
pub fn chatbot_value(n: &Notification, trim: &Trim) -> Value {
    let facts = facts(n, trim);
    let mut description = String::new();
    for line in &facts.lines {
        description.push_str(&format!(
            "*{}:* {}\n",
            line.label,
            markdown_text(&line.text)
        ));
    }
    let ids: Vec<String> = facts
        .footer
        .iter()
        .map(|line| format!("{} `{}`", line.label, markdown_text(&line.text)))
        .collect();
    description.push_str(&ids.join(" | "));
    let next_steps: Vec<String> = facts.next_steps.iter().map(|s| markdown_text(s)).collect();
    json!({
        "version": "1.0",
        "source": "custom",
        "id": n.id.as_str(),
        "content": {
            "textType": "client-markdown",
            "title": format!("{} {}", emoji(n), markdown_text(&facts.title)),
            "description": description,
            "nextSteps": next_steps,
            "keywords": [n.team.as_str(), n.severity.as_str(), n.class.as_str()],
        },
        "metadata": {
            "threadId": n.incident_id.as_str(),
            "summary": subject(n),
            "eventType": n.event.as_str(),
            "relatedResources": [n.integration.id.as_str()],
            "additionalContext": {
                "team": n.team.as_str(),
                "severity": n.severity.as_str(),
                "event": n.event.as_str(),
                "check": n.check.as_str(),
                "class": n.class.as_str(),
                "integration": n.integration.id.as_str(),
                "incident_id": n.incident_id.as_str(),
                "notification_id": n.id.as_str(),
            },
        },
    })
}

/// The Chatbot custom notification of `n`, as JSON text.
pub fn chatbot(n: &Notification, trim: &Trim) -> String {
    chatbot_value(n, trim).to_string()
}
