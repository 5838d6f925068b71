//! Golden shapes of the Slack message, each limit exceeded by a hostile notification,
//! escaping, and the leak test.

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::*;
use crate::domain::incident::{CheckKind, IncidentClass};
use crate::notify::annotations::Step;
use crate::notify::fixtures::{self, auth, opened, resolved};
use crate::notify::notification::{Event, Notification, NotificationId};

fn opened_n() -> Notification {
    let incident = auth();
    Notification::new(
        Event::Opened,
        &incident,
        &opened(&incident),
        Some(&fixtures::integration()),
        None,
        fixtures::now(),
    )
}

fn reminder_n() -> Notification {
    let incident = auth();
    let since = incident.opened_at;
    let mut n = Notification::about(
        NotificationId::step(&incident.id, Event::Reminder, 2, since),
        Event::Reminder,
        &incident,
        Some(&fixtures::integration()),
        None,
        fixtures::now(),
    );
    n.step = Some(Step { n: 2, since });
    n
}

fn resolved_n() -> Notification {
    let (after, change) = resolved(&auth());
    Notification::new(
        Event::Resolved,
        &after,
        &change,
        Some(&fixtures::integration()),
        None,
        fixtures::now(),
    )
}

fn drill_n() -> Notification {
    let incident = auth();
    Notification::about(
        NotificationId::at(&incident.id, Event::Drill, fixtures::now()),
        Event::Drill,
        &incident,
        Some(&fixtures::integration()),
        None,
        fixtures::now(),
    )
}

/// (type, first text) of every block: the message's shape.
fn shape(message: &Value) -> Vec<(String, String)> {
    message["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .map(|block| {
            let kind = block["type"].as_str().unwrap().to_string();
            let text = match kind.as_str() {
                "header" | "section" if block.get("text").is_some() => {
                    block["text"]["text"].as_str().unwrap().to_string()
                }
                "section" => block["fields"][0]["text"].as_str().unwrap().to_string(),
                "context" => block["elements"][0]["text"].as_str().unwrap().to_string(),
                "actions" => block["elements"][0]["url"].as_str().unwrap().to_string(),
                other => panic!("unexpected block {other}"),
            };
            (kind, text)
        })
        .collect()
}

fn texts(message: &Value) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(message, &mut out);
    out
}

/// Every limit of the module doc, checked on a rendered message.
fn assert_within_limits(message: &Value) {
    let blocks = message["blocks"].as_array().expect("blocks");
    assert!(blocks.len() <= MAX_BLOCKS, "{} blocks", blocks.len());
    let chars = |v: &Value| v.as_str().expect("text").chars().count();
    assert!(chars(&message["text"]) <= MAX_FALLBACK_CHARS);
    for block in blocks {
        match block["type"].as_str().unwrap() {
            "header" => assert!(chars(&block["text"]["text"]) <= MAX_HEADER_CHARS),
            "section" => {
                if let Some(text) = block.get("text") {
                    assert!(chars(&text["text"]) <= MAX_SECTION_CHARS);
                }
                if let Some(fields) = block.get("fields") {
                    let fields = fields.as_array().unwrap();
                    assert!(fields.len() <= MAX_FIELDS);
                    for field in fields {
                        assert!(chars(&field["text"]) <= MAX_FIELD_CHARS);
                    }
                }
            }
            "actions" => {
                for button in block["elements"].as_array().unwrap() {
                    assert!(chars(&button["text"]["text"]) <= MAX_BUTTON_CHARS);
                    assert!(chars(&button["url"]) <= MAX_URL_CHARS);
                }
            }
            "context" => {
                for element in block["elements"].as_array().unwrap() {
                    assert!(chars(&element["text"]) <= MAX_SECTION_CHARS);
                }
            }
            other => panic!("unexpected block type {other}"),
        }
    }
}

#[test]
fn golden_shape_of_an_opened_incident() {
    let message = slack_value(&opened_n());
    assert_eq!(
        message["text"],
        "[HIGH] Loyalty points feed: secret rejected by SFMC"
    );
    let shape = shape(&message);
    let expected: Vec<(&str, &str)> = vec![
        ("header", ":red_circle: HIGH · Loyalty points feed"),
        ("section", "*Loyalty points feed: secret rejected by SFMC*"),
        (
            "section",
            "*What broke:* Loyalty points feed (integration loyalty-feed): secret rejected by SFMC.",
        ),
        ("section", "*Since:* 2026-11-30 13:05 UTC (2 h 40 min ago)"),
        (
            "section",
            "*SFMC said:* HTTP 401: Client authentication failed. (invalid_client)",
        ),
        (
            "section",
            "*Depends on it:* Welcome journey enrollment; Nightly preference sync",
        ),
        (
            "section",
            "*Estimated impact so far:* about 20,000 records (an estimate: 7,500 records/hour x 2 h 40 min)",
        ),
    ];
    let got: Vec<(&str, &str)> = shape
        .iter()
        .take(expected.len())
        .map(|(k, t)| (k.as_str(), t.as_str()))
        .collect();
    assert_eq!(got, expected);
    let rest = &shape[expected.len()..];
    assert_eq!(rest[0].0, "section");
    assert!(
        rest[0].1.starts_with("*Next step:*\n• The secret is wrong"),
        "{}",
        rest[0].1
    );
    assert!(
        rest[0]
            .1
            .contains("• Taking it? credwatch ack loyalty-feed:auth:3")
    );
    assert_eq!(
        rest[1],
        (
            "actions".to_string(),
            "https://wiki.example.com/sfmc/loyalty".to_string()
        )
    );
    assert_eq!(
        rest[2],
        ("section".to_string(), "*Team*\n`crm-ops`".to_string())
    );
    assert_eq!(rest.len(), 3);
    assert_eq!(
        message["blocks"][rest.len() + expected.len() - 1]["fields"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_within_limits(&message);
}

#[test]
fn golden_shape_of_a_reminder_and_a_resolve_says_which_incident_they_follow() {
    let reminder = slack_value(&reminder_n());
    let shape_r = shape(&reminder);
    assert_eq!(
        shape_r[0].1,
        ":red_circle: REMINDER HIGH · Loyalty points feed"
    );
    assert_eq!(
        shape_r[1].1,
        "*Still open: Loyalty points feed: secret rejected by SFMC*"
    );
    assert_eq!(
        shape_r[2],
        (
            "context".to_string(),
            "Follows incident `loyalty-feed:auth:3`, opened at 2026-11-30 13:05 UTC".to_string()
        )
    );
    assert!(
        shape_r
            .iter()
            .any(|(_, t)| t.starts_with("*Reminder:* reminder 2: still failing")),
        "{shape_r:?}"
    );
    assert_within_limits(&reminder);

    let resolved = slack_value(&resolved_n());
    let shape_v = shape(&resolved);
    assert_eq!(
        shape_v[0].1,
        ":white_check_mark: RESOLVED HIGH · Loyalty points feed"
    );
    assert_eq!(
        shape_v[2].1,
        "Follows incident `loyalty-feed:auth:3`, opened at 2026-11-30 13:05 UTC"
    );
    assert!(
        shape_v
            .iter()
            .any(|(_, t)| t.starts_with("*Lasted:* 2 h 40 min"))
    );
    assert!(
        shape_v
            .iter()
            .any(|(_, t)| t.starts_with("*What ended it:*"))
    );
    assert_eq!(
        resolved["text"],
        "[HIGH] Resolved: Loyalty points feed: secret rejected by SFMC"
    );
    assert_within_limits(&resolved);
}

#[test]
fn a_drill_says_drill_everywhere_a_person_looks() {
    let message = slack_value(&drill_n());
    let shape = shape(&message);
    assert_eq!(
        shape[0].1,
        ":information_source: DRILL · Loyalty points feed · no action needed"
    );
    assert!(shape[1].1.starts_with("*DRILL: Drill: Loyalty points feed"));
    assert!(
        message["text"]
            .as_str()
            .unwrap()
            .starts_with("DRILL: no action needed.")
    );
    assert!(
        shape
            .iter()
            .any(|(_, t)| t.starts_with("*Drill:* This is a test"))
    );
    // Drills follow nothing.
    assert!(shape.iter().all(|(k, _)| k != "context"));
    assert_within_limits(&message);
}

#[test]
fn cut_text_ends_with_the_marker_and_never_half_an_escape() {
    assert_eq!(fit("abc", 3), "abc");
    assert_eq!(fit("abcd", 3), "ab…");
    assert_eq!(fit("ab&amp;cd", 6), "ab…");
    assert_eq!(fit("ab&amp;cd", 8), "ab&amp;…");
    assert_eq!(fit("ééé", 2), "é…");
}

#[test]
fn a_hostile_notification_stays_within_every_limit() {
    let mut n = opened_n();
    n.integration.name = format!("{}<!channel>", "N".repeat(5_000));
    n.message = format!("SFMC said: {}", "w&".repeat(5_000));
    n.integration.depends_on = (0..500)
        .map(|i| format!("{i}{}", "d".repeat(300)))
        .collect();
    n.integration.runbook = Some(format!("https://wiki.example.com/{}", "page/".repeat(800)));
    n.team = "t".repeat(3_000);
    let message = slack_value(&n);
    assert_within_limits(&message);
    let header = message["blocks"][0]["text"]["text"].as_str().unwrap();
    assert_eq!(header.chars().count(), MAX_HEADER_CHARS);
    assert!(header.ends_with(MARKER));
    // The SFMC words (10,000 characters) were cut by the facts to 2,000, then fit.
    let words = texts(&message)
        .into_iter()
        .find(|t| t.starts_with("*SFMC said:*"))
        .unwrap();
    assert!(words.chars().count() <= MAX_SECTION_CHARS);
    // The runbook is too long to be kept whole: no button to a cut link; the text keeps its
    // start.
    assert!(
        message["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["type"] != "actions")
    );
    assert!(
        texts(&message)
            .iter()
            .any(|t| t.contains("Runbook: https://wiki.example.com/page/"))
    );
    // The team (3,000 characters) is echoed cut by the facts; its field stays within the limit
    // (the field limit itself: `more_than_ten_fields_take_more_sections_and_long_fields_are_cut`).
    assert!(
        texts(&message)
            .iter()
            .any(|t| t.starts_with("*Team*\n`ttt"))
    );
}

#[test]
fn a_section_text_over_the_limit_is_cut_with_the_marker() {
    let block = section(&"x".repeat(MAX_SECTION_CHARS + 10));
    let text = block["text"]["text"].as_str().unwrap();
    assert_eq!(text.chars().count(), MAX_SECTION_CHARS);
    assert!(text.ends_with(MARKER));
}

#[test]
fn more_than_ten_fields_take_more_sections_and_long_fields_are_cut() {
    let fields: Vec<String> = (0..23).map(|i| format!("f{i}")).collect();
    let sections = field_sections(&fields);
    let sizes: Vec<usize> = sections
        .iter()
        .map(|s| s["fields"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![10, 10, 3]);
    let long = field_sections(&["y".repeat(MAX_FIELD_CHARS + 1)]);
    let text = long[0]["fields"][0]["text"].as_str().unwrap();
    assert_eq!(text.chars().count(), MAX_FIELD_CHARS);
    assert!(text.ends_with(MARKER));
}

#[test]
fn more_than_fifty_blocks_keep_forty_nine_and_say_how_many_were_left_out() {
    let blocks: Vec<Value> = (0..73)
        .map(|i| json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("b{i}")}}))
        .collect();
    let limited = limit_blocks(blocks);
    assert_eq!(limited.len(), MAX_BLOCKS);
    assert_eq!(limited[48]["text"]["text"], "b48");
    assert_eq!(
        limited[49]["elements"][0]["text"],
        "… 24 more parts not shown; the email has them all"
    );
    let few: Vec<Value> = (0..3).map(|i| json!({"i": i})).collect();
    assert_eq!(limit_blocks(few.clone()), few);
}

#[test]
fn a_button_text_over_the_limit_is_cut() {
    let button = runbook_button(&"r".repeat(200), "https://wiki.example.com/x");
    let text = button["elements"][0]["text"]["text"].as_str().unwrap();
    assert_eq!(text.chars().count(), MAX_BUTTON_CHARS);
    assert!(text.ends_with(MARKER));
}

#[test]
fn only_web_links_within_the_limit_become_a_button() {
    let mut n = opened_n();
    for (runbook, button) in [
        (Some("https://wiki.example.com/a"), true),
        (Some("http://wiki.example.com/a"), true),
        (Some("javascript:alert(1)"), false),
        (Some("see the wiki"), false),
        (Some("mailto:ops@example.com"), false),
        (None, false),
    ] {
        n.integration.runbook = runbook.map(str::to_string);
        let message = slack_value(&n);
        let has = message["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["type"] == "actions");
        assert_eq!(has, button, "{runbook:?}");
    }
}

#[test]
fn no_name_can_form_a_link_or_a_mention() {
    let mut n = opened_n();
    n.integration.name = "<!channel> <@U123> <https://evil.example|click> & co".to_string();
    n.message = "SFMC said: <!here> <!subteam^S1>".to_string();
    n.integration.depends_on = vec!["<#C123>".to_string()];
    n.team = "<!everyone>".to_string();
    let message = slack_value(&n);
    for text in texts(&message) {
        if text.starts_with("https://") {
            continue;
        }
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        // Every & starts an escape.
        for (at, _) in text.match_indices('&') {
            let rest = &text[at..];
            assert!(
                rest.starts_with("&amp;") || rest.starts_with("&lt;") || rest.starts_with("&gt;"),
                "{text}"
            );
        }
    }
    let header = message["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(header.contains("&lt;!channel&gt;"), "{header}");
}

#[test]
fn no_secret_token_or_webhook_survives() {
    let mut n = opened_n();
    let webhook = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";
    let token = "eyJhbGciOiJIUzI1NiJ9xyz0123456789abcdef";
    // As if a hand-edited document or item carried them past the first scrub.
    n.message = format!("SFMC said Bearer {token} access_token={token} via {webhook}");
    n.integration.name = format!("feed {webhook}");
    n.integration.runbook = Some(webhook.to_string());
    n.integration.depends_on = vec![format!("sync posting to {webhook}")];
    let everything = slack(&n);
    for forbidden in [token, "hooks.slack.com", "XXXXXXXXXXXXXXXXXXXXXXXX"] {
        assert!(
            !everything.contains(forbidden),
            "{forbidden} in {everything}"
        );
    }
}

#[test]
fn every_event_and_check_renders_within_the_limits() {
    for event in Event::ALL {
        for (check, class) in [
            (CheckKind::Auth, auth().class),
            (CheckKind::Expiry, IncidentClass::SecretExpiring),
            (CheckKind::Monitor, IncidentClass::NotProbed),
            (CheckKind::Monitor, IncidentClass::SlackWebhookRefused),
        ] {
            let incident = fixtures::incident(check, class);
            let mut n = Notification::new(
                event,
                &incident,
                &opened(&incident),
                Some(&fixtures::integration()),
                None,
                fixtures::now() + TimeDelta::hours(1),
            );
            n.event = event;
            let message = slack_value(&n);
            assert_within_limits(&message);
            assert!(!message["text"].as_str().unwrap().is_empty());
        }
    }
}
