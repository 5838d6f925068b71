//! The Slack message of a notification: a Block Kit payload for an incoming webhook, built
//! from the same facts as the email and the Chatbot view (`render::facts`), escaped for Slack's
//! `mrkdwn` ([`markdown_text`]) and kept within Slack's limits.
//!
//! Layout: a header (severity and integration, or `DRILL`), the verdict (the title), which
//! incident a follow-up follows (reminder, escalation, acknowledgement, change, resolve), one
//! section per fact (what broke, since when, SFMC's words, impact, what depends on it), the next
//! steps, a runbook button when the runbook is a web link, and the routing ids as fields. The
//! top-level `text` is the fallback phones show in a notification.
//!
//! Limits (Slack API docs, "Block Kit" reference: header, section, button and message payload
//! pages): header `plain_text` 150 characters; section `text` 3,000; at most 10 `fields` per
//! section, each 2,000; at most 50 blocks; button text 75; button `url` 3,000. Every text over
//! its limit is cut and ends with [`MARKER`]; a runbook link over the url limit gets no button
//! (a cut link would lead somewhere wrong) and stays in the text, marked as shortened.

use serde_json::{Value, json};

use super::chatbot::{emoji, markdown_text};
use super::facts::facts;
use super::trim::Trim;
use crate::notify::notification::{Event, Notification};
use crate::notify::scrub::scrub;

/// Longest header text, in characters.
pub const MAX_HEADER_CHARS: usize = 150;
/// Longest section text, in characters.
pub const MAX_SECTION_CHARS: usize = 3_000;
/// Most fields in one section.
pub const MAX_FIELDS: usize = 10;
/// Longest field text, in characters.
pub const MAX_FIELD_CHARS: usize = 2_000;
/// Most blocks in one message.
pub const MAX_BLOCKS: usize = 50;
/// Longest button text, in characters.
pub const MAX_BUTTON_CHARS: usize = 75;
/// Longest button url, in characters.
pub const MAX_URL_CHARS: usize = 3_000;
/// Longest top-level `text` fallback kept, in characters (Slack truncates at 40,000; a phone
/// shows a line or two).
pub const MAX_FALLBACK_CHARS: usize = 3_000;
/// What ends a text cut to fit.
pub const MARKER: char = '…';

/// `text` cut to at most `max` characters, ending with [`MARKER`] when cut. A cut never leaves
/// half of an escape (`&am…`): the partial entity goes with the cut.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut kept: String = text.chars().take(max.saturating_sub(1)).collect();
    if let Some(amp) = kept.rfind('&')
        && !kept[amp..].contains(';')
    {
        kept.truncate(amp);
    }
    kept.push(MARKER);
    kept
}

/// The header line: `:red_circle: HIGH · Loyalty feed`, `RESOLVED`, `REMINDER`... before the
/// severity for follow-ups, `DRILL · ... · nothing is wrong` for drills.
fn header_text(n: &Notification, name: &str) -> String {
    let severity = n.severity.as_str().to_uppercase();
    let text = match n.event {
        Event::Drill => format!("DRILL · {name} · no action needed"),
        Event::Opened | Event::Digest => format!("{severity} · {name}"),
        other => format!("{} {severity} · {name}", other.as_str().to_uppercase()),
    };
    format!("{} {}", emoji(n), text)
}

/// Which incident a follow-up follows; `None` for openings and drills.
fn follows(n: &Notification) -> Option<String> {
    match n.event {
        Event::Opened | Event::Drill | Event::Digest => None,
        _ => Some(format!(
            "Follows incident `{}`, opened at {}",
            markdown_text(n.incident_id.as_str()),
            n.opened_at.format("%Y-%m-%d %H:%M UTC")
        )),
    }
}

fn section(text: &str) -> Value {
    json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": fit(text, MAX_SECTION_CHARS) },
    })
}

/// Sections of at most [`MAX_FIELDS`] fields each.
fn field_sections(fields: &[String]) -> Vec<Value> {
    fields
        .chunks(MAX_FIELDS)
        .map(|chunk| {
            let fields: Vec<Value> = chunk
                .iter()
                .map(|text| json!({ "type": "mrkdwn", "text": fit(text, MAX_FIELD_CHARS) }))
                .collect();
            json!({ "type": "section", "fields": fields })
        })
        .collect()
}

/// The runbook as a button's url: an `http(s)` link within [`MAX_URL_CHARS`] that scrubbing
/// leaves as it is (a link cut or redacted by [`scrub`] would lead somewhere wrong); `None`
/// otherwise (the runbook stays in the text).
fn runbook_url(n: &Notification) -> Option<String> {
    let runbook = n.integration.runbook.as_deref()?.trim();
    if scrub(runbook) != runbook {
        return None;
    }
    let parsed = url::Url::parse(runbook).ok()?;
    let web = matches!(parsed.scheme(), "https" | "http") && parsed.host_str().is_some();
    let url = parsed.to_string();
    (web && url.chars().count() <= MAX_URL_CHARS).then_some(url)
}

/// An actions block with one link button: `text` cut to [`MAX_BUTTON_CHARS`].
fn runbook_button(text: &str, url: &str) -> Value {
    json!({
        "type": "actions",
        "elements": [{
            "type": "button",
            "text": { "type": "plain_text", "text": fit(text, MAX_BUTTON_CHARS) },
            "url": url,
        }],
    })
}

/// At most [`MAX_BLOCKS`] blocks: over it, the first 49 and a last one saying how many were
/// left out.
fn limit_blocks(mut blocks: Vec<Value>) -> Vec<Value> {
    if blocks.len() > MAX_BLOCKS {
        let left_out = blocks.len() - (MAX_BLOCKS - 1);
        blocks.truncate(MAX_BLOCKS - 1);
        blocks.push(json!({
            "type": "context",
            "elements": [{
                "type": "mrkdwn",
                "text": format!("{MARKER} {left_out} more parts not shown; the email has them all"),
            }],
        }));
    }
    blocks
}

/// The top-level `text`: what a phone shows. Plain words, escaped, `DRILL:` first for drills.
fn fallback(n: &Notification, title: &str) -> String {
    let text = match n.event {
        Event::Drill => format!("DRILL: no action needed. {title}"),
        _ => format!("[{}] {title}", n.severity.as_str().to_uppercase()),
    };
    fit(&markdown_text(&text), MAX_FALLBACK_CHARS)
}

/// The Slack incoming-webhook payload of `n`: `{"text": ..., "blocks": [...]}`, within
/// Slack's limits. Free text is scrubbed again (no token or webhook URL survives) and escaped,
/// so no name can form a link or a mention.
pub fn slack_value(n: &Notification) -> Value {
    let button = runbook_url(n);
    let n = n.clone().rescrubbed();
    let facts = facts(&n, &Trim::FULL);
    let name = super::facts::name(&n, &Trim::FULL);
    let mut blocks = vec![json!({
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": fit(&markdown_text(&header_text(&n, &name)), MAX_HEADER_CHARS),
            "emoji": true,
        },
    })];
    let verdict = match n.event {
        Event::Drill => format!("*DRILL: {}*", markdown_text(&facts.title)),
        _ => format!("*{}*", markdown_text(&facts.title)),
    };
    blocks.push(section(&verdict));
    if let Some(follows) = follows(&n) {
        blocks.push(json!({
            "type": "context",
            "elements": [{ "type": "mrkdwn", "text": fit(&follows, MAX_SECTION_CHARS) }],
        }));
    }
    for line in &facts.lines {
        blocks.push(section(&format!(
            "*{}:* {}",
            line.label,
            markdown_text(&line.text)
        )));
    }
    if !facts.next_steps.is_empty() {
        let steps: Vec<String> = facts
            .next_steps
            .iter()
            .map(|step| format!("• {}", markdown_text(step)))
            .collect();
        blocks.push(section(&format!("*Next step:*\n{}", steps.join("\n"))));
    }
    if let Some(url) = button {
        blocks.push(runbook_button("Open the runbook", &url));
    }
    let ids: Vec<String> = facts
        .footer
        .iter()
        .map(|line| format!("*{}*\n`{}`", line.label, markdown_text(&line.text)))
        .collect();
    blocks.extend(field_sections(&ids));
    let blocks = limit_blocks(blocks);
    json!({
        "text": fallback(&n, &facts.title),
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// [`slack_value`] as JSON text.
pub fn slack(n: &Notification) -> String {
    slack_value(n).to_string()
}

#[cfg(test)]
mod tests;
