//! Step 3 of `credwatch demo`: what each team receives. The deployed alert fan-out runs over
//! the in-memory store's incident changes (what the table's stream would carry) after every
//! simulated cycle, through the real renderer, into an in-memory publisher; the step shows
//! what each team got, one opened and one resolved email in full, and the Slack (slack-notify's Block Kit)
//! view, and checks that every incident change was told once.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use credwatch::jobs::fanout::{StreamChange, StreamContent, handle_records, sweep};
use credwatch::notify::memory::MemoryPublisher;
use credwatch::notify::publish::PublishRequest;
use credwatch::store::memory::MemoryStore;
use serde_json::{Value, json};

/// Runs the alert fan-out over the in-memory store's incident changes, as the deployed
/// function runs over the table's stream, and keeps what was published.
#[derive(Default)]
pub struct Mailroom {
    publisher: MemoryPublisher,
    /// Stream records handed over so far (their sequence numbers).
    records: u64,
    /// Problems with the delivery itself (the demo checks its own story).
    pub problems: Vec<String>,
}

impl Mailroom {
    /// Hands the store's incident changes since the last call to the fan-out at `now`.
    pub async fn deliver(&mut self, store: &MemoryStore, now: DateTime<Utc>) {
        let changes = store.take_incident_changes();
        let records: Vec<StreamChange> = changes
            .into_iter()
            .map(|(old, new)| {
                self.records += 1;
                let key = new
                    .as_ref()
                    .or(old.as_ref())
                    .map_or_else(String::new, |i| i.id.to_string());
                StreamChange {
                    source_id: format!("demo-{}", self.records),
                    sequence_number: self.records.to_string(),
                    key,
                    content: StreamContent::Incident { old, new },
                }
            })
            .collect();
        let summary = handle_records(store, &self.publisher, records, now).await;
        if !summary.retry.is_empty() || summary.deliveries.failed > 0 {
            self.problems.push(format!(
                "the fan-out could not deliver everything at {now}: {} records to retry, {} failed",
                summary.retry.len(),
                summary.deliveries.failed
            ));
        }
        // The deployed sweep runs every minute: held notifications (grouped, deferred) and
        // reminders go out as they come due.
        match sweep(store, &self.publisher, now, 100, None).await {
            Ok(swept) if swept.deliveries.failed > 0 => self.problems.push(format!(
                "the sweep at {now} gave up {} notifications",
                swept.deliveries.failed
            )),
            Ok(_) => {}
            Err(error) => self
                .problems
                .push(format!("the sweep at {now} failed: {error}")),
        }
    }

    /// Everything published, in order.
    pub fn sent(&self) -> Vec<PublishRequest> {
        self.publisher.sent()
    }
}

/// One message as a team sees it.
struct Message<'a> {
    request: &'a PublishRequest,
    bodies: Value,
}

impl<'a> Message<'a> {
    fn of(request: &'a PublishRequest) -> Message<'a> {
        Message {
            request,
            bodies: serde_json::from_str(&request.message).unwrap_or(Value::Null),
        }
    }

    fn attribute(&self, name: &str) -> &str {
        self.request.attributes.get(name).map_or("", String::as_str)
    }

    fn body(&self, protocol: &str) -> &str {
        self.bodies[protocol].as_str().unwrap_or("")
    }
}

/// The step's text: per team, what it received; then one opened email, one resolved email
/// and the Slack view of the opened one, in full.
pub fn narrate(sent: &[PublishRequest], team_names: &BTreeMap<String, String>) -> String {
    let messages: Vec<Message> = sent.iter().map(Message::of).collect();
    let mut text = String::new();
    let mut by_team: BTreeMap<&str, Vec<&Message>> = BTreeMap::new();
    for message in &messages {
        by_team
            .entry(message.attribute("team"))
            .or_default()
            .push(message);
    }
    for (team, received) in &by_team {
        let name = team_names.get(*team).map_or(*team, String::as_str);
        let _ = writeln!(text, "{name} ({team}) received {}:", plural(received.len()));
        for message in received {
            let _ = writeln!(text, "  {}", message.request.subject);
        }
    }
    let _ = writeln!(
        text,
        "\nOne message per incident change, each with its notification id (a repeat can be dropped);\n\
         SNS routes each to the team's own email subscriptions (their filter policies)."
    );
    // The story of one incident: its opening and its resolve (an auth one, when there is).
    let resolved = messages
        .iter()
        .find(|m| m.attribute("event") == "resolved" && m.attribute("check") == "auth")
        .or_else(|| messages.iter().find(|m| m.attribute("event") == "resolved"));
    let opened = resolved
        .and_then(|r| {
            messages.iter().find(|m| {
                m.attribute("event") == "opened"
                    && m.attribute("incident_id") == r.attribute("incident_id")
            })
        })
        .or_else(|| messages.iter().find(|m| m.attribute("event") == "opened"));
    for (example, heading) in [
        (opened, "An `opened` email"),
        (resolved, "The `resolved` email that followed"),
    ] {
        if let Some(message) = example {
            let _ = writeln!(
                text,
                "\n{heading}, as {} receives it:\n",
                message.attribute("team")
            );
            let _ = writeln!(text, "  Subject: {}", message.request.subject);
            for line in message.body("email").lines() {
                let _ = writeln!(text, "  {line}");
            }
        }
    }
    if let Some(message) = opened {
        slack_view(&mut text, message);
    }
    text
}

/// The step as JSON: one entry per message.
pub fn report(sent: &[PublishRequest]) -> Value {
    Value::Array(
        sent.iter()
            .map(|request| {
                let message = Message::of(request);
                json!({
                    "notification_id": request.notification_id.as_str(),
                    "team": message.attribute("team"),
                    "event": message.attribute("event"),
                    "severity": message.attribute("severity"),
                    "subject": request.subject,
                    "email": message.body("email"),
                })
            })
            .collect(),
    )
}

/// The demo checks its own story: every incident opened during the timeline was told once
/// (`opened`) to its team, every resolved one once (`resolved`), and nothing twice.
pub fn check(
    sent: &[PublishRequest],
    opened: &[(String, String)],
    resolved: &[String],
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for request in sent {
        *seen.entry(request.notification_id.as_str()).or_default() += 1;
    }
    for (id, count) in &seen {
        if *count > 1 {
            problems.push(format!("notification {id} was published {count} times"));
        }
    }
    // Told on its own (`{id}/opened`, or the notice of its credential `{id}/opened/...`), or
    // named in a group notice (a digest, or another integration's credential notice).
    let told = |id: &str, event: &str| -> Option<&PublishRequest> {
        let own = format!("{id}/{event}");
        sent.iter()
            .find(|r| {
                let nid = r.notification_id.as_str();
                nid == own || nid.starts_with(&format!("{own}/"))
            })
            .or_else(|| {
                sent.iter().find(|r| {
                    let told_by = r.attributes.get("event").map(String::as_str);
                    groups_of(event).contains(&told_by.unwrap_or("")) && named_in(r, id)
                })
            })
    };
    for (id, team) in opened {
        match told(id, "opened") {
            Some(request) if request.attributes.get("team") == Some(team) => {}
            Some(_) => problems.push(format!("incident {id} was told to the wrong team")),
            None => problems.push(format!("incident {id} opened but nobody was told")),
        }
    }
    for id in resolved {
        if told(id, "resolved").is_none() {
            problems.push(format!("incident {id} resolved but nobody was told"));
        }
    }
    problems
}

/// The events of the group notices that can tell an `event`: digests tell openings and
/// resolves alike; a credential notice is an `opened`.
fn groups_of(event: &str) -> &'static [&'static str] {
    match event {
        "resolved" => &["digest"],
        _ => &["digest", "opened"],
    }
}

/// Whether `request`'s document names incident `id` among its members.
fn named_in(request: &PublishRequest, id: &str) -> bool {
    let bodies: Value = serde_json::from_str(&request.message).unwrap_or(Value::Null);
    let document: Value = bodies["lambda"]
        .as_str()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    document["members"]
        .as_array()
        .is_some_and(|members| members.iter().any(|m| m["incident_id"] == id))
}

/// The `opened` message as slack-notify posts it to the team's Slack webhook: the message's
/// `lambda` document read back as slack-notify reads it, rendered to Block Kit, each block
/// shown as Slack lays it out (header, sections, fields, the runbook button).
fn slack_view(text: &mut String, message: &Message<'_>) {
    use credwatch::notify::render::slack::slack_value;
    use credwatch::notify::slack::document::read_document;
    let Ok(notification) = read_document(message.body("lambda")) else {
        let _ = writeln!(
            text,
            "\n(the `lambda` document of this message cannot be read)"
        );
        return;
    };
    let posted = slack_value(&notification);
    let _ = writeln!(
        text,
        "\nThe same `opened` message in Slack, as slack-notify posts it to {}'s webhook (Block Kit; a phone shows \"{}\"):\n",
        message.attribute("team"),
        posted["text"].as_str().unwrap_or("")
    );
    for block in posted["blocks"].as_array().into_iter().flatten() {
        let shown = |value: &Value| as_slack_shows(value.as_str().unwrap_or(""));
        match block["type"].as_str() {
            Some("header") => {
                let _ = writeln!(text, "  {}", shown(&block["text"]["text"]));
            }
            Some("section") => {
                for line in shown(&block["text"]["text"]).lines() {
                    let _ = writeln!(text, "  {line}");
                }
                let fields: Vec<String> = block["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|field| shown(&field["text"]).replace('\n', " "))
                    .collect();
                if !fields.is_empty() {
                    let _ = writeln!(text, "  {}", fields.join(" | "));
                }
            }
            Some("context") => {
                for element in block["elements"].as_array().into_iter().flatten() {
                    let _ = writeln!(text, "  {}", shown(&element["text"]));
                }
            }
            Some("actions") => {
                for element in block["elements"].as_array().into_iter().flatten() {
                    let _ = writeln!(
                        text,
                        "  [{}] -> {}",
                        shown(&element["text"]["text"]),
                        shown(&element["url"])
                    );
                }
            }
            Some("divider") => {
                let _ = writeln!(text, "  ---");
            }
            _ => {}
        }
    }
    let _ = writeln!(
        text,
        "  (AWS Chatbot, the other way into Slack, shows the same facts threaded by incident {}.)",
        message.attribute("incident_id")
    );
}

/// Slack's markdown escapes `&`, `<` and `>` (they would start links and mentions); Slack
/// shows them as the characters, and so does the demo.
fn as_slack_shows(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 message".to_string()
    } else {
        format!("{n} messages")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwatch::notify::notification::NotificationId;

    fn request(id: &str, team: &str, event: &str) -> PublishRequest {
        PublishRequest {
            notification_id: serde_json::from_value::<NotificationId>(json!(id)).unwrap(),
            subject: format!("[HIGH] {id}"),
            message: json!({"default": "d", "email": "Hello\nteam", "https": "{}"}).to_string(),
            attributes: [("team", team), ("event", event), ("check", "auth")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            shortened: false,
        }
    }

    #[test]
    fn the_story_check_finds_silence_wrong_teams_and_repeats() {
        let sent = vec![
            request("a:auth:1/opened", "ops", "opened"),
            request("b:auth:1/opened", "crm", "opened"),
            request("b:auth:1/opened", "crm", "opened"),
        ];
        let opened = vec![
            ("a:auth:1".to_string(), "ops".to_string()),
            ("b:auth:1".to_string(), "ops".to_string()),
            ("c:auth:1".to_string(), "ops".to_string()),
        ];
        let problems = check(&sent, &opened, &["a:auth:1".to_string()]);
        assert_eq!(
            problems,
            [
                "notification b:auth:1/opened was published 2 times",
                "incident b:auth:1 was told to the wrong team",
                "incident c:auth:1 opened but nobody was told",
                "incident a:auth:1 resolved but nobody was told",
            ]
        );
        assert!(check(&sent[..1], &opened[..1], &[]).is_empty());
    }

    #[test]
    fn each_team_sees_its_subjects_and_one_email_in_full() {
        let sent = vec![
            request("a:auth:1/opened", "ops", "opened"),
            request("a:auth:1/resolved", "ops", "resolved"),
        ];
        let names = BTreeMap::from([("ops".to_string(), "Operations".to_string())]);
        let text = narrate(&sent, &names);
        assert!(
            text.contains("Operations (ops) received 2 messages:"),
            "{text}"
        );
        assert!(text.contains("  Subject: [HIGH] a:auth:1/opened"), "{text}");
        assert!(text.contains("  Hello\n  team"), "{text}");
        assert_eq!(report(&sent)[1]["event"], "resolved");
    }
}
