//! The `email` and `default` bodies: readable plain text.

use super::facts::{Facts, facts};
use super::trim::Trim;
use crate::notify::notification::Notification;

/// Plain text: the title, the labelled lines, what to do, then the routing and ids.
pub fn email(n: &Notification, trim: &Trim) -> String {
    render(&facts(n, trim))
}

fn render(facts: &Facts) -> String {
    let mut out = String::new();
    out.push_str(&facts.title);
    out.push_str("\n\n");
    for line in &facts.lines {
        out.push_str(&format!("{}: {}\n", line.label, line.text));
    }
    out.push_str("\nWhat to do:\n");
    for step in &facts.next_steps {
        out.push_str(&format!("- {step}\n"));
    }
    out.push('\n');
    let footer: Vec<String> = facts
        .footer
        .iter()
        .map(|line| format!("{}: {}", line.label, line.text))
        .collect();
    out.push_str(&footer.join("\n"));
    out.push_str("\n\nSent by credwatch. Receivers may drop a repeated Notification id.\n");
    out
}
