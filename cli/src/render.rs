//! Turning probe outcomes into a table for people and JSON for scripts. Pure functions.

use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use credwatch::inventory::Inventory;
use credwatch::outcome::{OutcomeClass, ProbeOutcome};
use serde::Serialize;

/// One element of `credwatch check --format json`: the contract fields of the probe outcome,
/// plus who owns the integration and what to do.
#[derive(Serialize)]
struct CheckRow<'a> {
    #[serde(flatten)]
    outcome: &'a ProbeOutcome,
    name: &'a str,
    owner: &'a str,
    severity: &'a str,
    verdict: &'a str,
    what_to_do: &'a str,
}

pub fn outcomes_json(inventory: &Inventory, outcomes: &[ProbeOutcome]) -> String {
    let rows: Vec<CheckRow> = outcomes
        .iter()
        .map(|outcome| {
            let integration = inventory.integration(&outcome.integration);
            CheckRow {
                outcome,
                name: integration.map_or("", |i| i.name.as_str()),
                owner: integration.map_or("", |i| i.owner.as_str()),
                severity: integration.map_or("", |i| i.severity.as_str()),
                verdict: outcome.class.verdict(),
                what_to_do: outcome.class.what_to_do(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("outcomes serialize")
}

pub fn outcomes_table(inventory: &Inventory, outcomes: &[ProbeOutcome], width: u16) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .set_header(["Integration", "Verdict", "Details", "Latency", "What to do"]);
    for outcome in outcomes {
        let name = inventory
            .integration(&outcome.integration)
            .map_or(outcome.integration.clone(), |i| {
                format!("{}\n{}", i.name, i.id)
            });
        let color = match outcome.class {
            OutcomeClass::Ok => Color::Green,
            class if class.is_transient() => Color::Yellow,
            _ => Color::Red,
        };
        let confirmed = if outcome.confirmed { ", confirmed" } else { "" };
        let verdict = format!(
            "{}\n({}{confirmed})",
            outcome.class.verdict(),
            outcome.class
        );
        table.add_row(vec![
            Cell::new(name),
            Cell::new(verdict).fg(color),
            Cell::new(details(outcome)),
            Cell::new(latency(outcome)),
            Cell::new(if outcome.class == OutcomeClass::Ok {
                ""
            } else {
                outcome.class.what_to_do()
            }),
        ]);
    }
    format!("{table}\n{}\n", summary(outcomes))
}

fn details(outcome: &ProbeOutcome) -> String {
    let mut lines = vec![outcome.message.clone()];
    // A 200 is no news when the problem is in what the token grants.
    if let Some(status) = outcome.http_status.filter(|status| *status >= 300) {
        lines.push(format!("HTTP {status}"));
    }
    if !outcome.missing_scopes.is_empty() && outcome.class != OutcomeClass::MissingScopes {
        lines.push(format!(
            "Missing scopes: {}",
            outcome.missing_scopes.join(", ")
        ));
    }
    if !outcome.unexpected_scopes.is_empty() {
        lines.push(format!(
            "Security note: also granted {}",
            outcome.unexpected_scopes.join(", ")
        ));
    }
    if let Some(secs) = outcome.retry_after_secs {
        lines.push(format!("SFMC asked to retry after {secs}s"));
    }
    lines.join("\n")
}

fn latency(outcome: &ProbeOutcome) -> String {
    if outcome.attempts == 0 {
        "-".to_string()
    } else {
        format!("{} ms", outcome.latency_ms)
    }
}

/// "7 integrations checked: 1 working, 6 not working (5 need action, 1 may be temporary)."
pub fn summary(outcomes: &[ProbeOutcome]) -> String {
    let total = outcomes.len();
    let ok = outcomes
        .iter()
        .filter(|o| o.class == OutcomeClass::Ok)
        .count();
    let transient = outcomes.iter().filter(|o| o.class.is_transient()).count();
    let action = total - ok - transient;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if ok == total {
        return format!("{total} integration{} checked: all working.", plural(total));
    }
    let mut parts = Vec::new();
    if action > 0 {
        parts.push(format!(
            "{action} need{} action",
            if action == 1 { "s" } else { "" }
        ));
    }
    if transient > 0 {
        parts.push(format!("{transient} may be temporary"));
    }
    format!(
        "{total} integration{} checked: {ok} working, {} not working ({}).",
        plural(total),
        total - ok,
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwatch::outcome::Kind;

    fn outcome(id: &str, class: OutcomeClass) -> ProbeOutcome {
        ProbeOutcome {
            integration: id.to_string(),
            class,
            kind: class.kind(),
            http_status: None,
            message: String::new(),
            missing_scopes: vec![],
            unexpected_scopes: vec![],
            latency_ms: 10,
            token_expires_in: None,
            business_unit: None,
            attempts: 1,
            confirmed: false,
            retry_after_secs: None,
            probed_at: chrono::Utc::now(),
            secret_fingerprint: None,
        }
    }

    #[test]
    fn summary_separates_action_from_temporary() {
        let all_ok = [outcome("a", OutcomeClass::Ok)];
        assert_eq!(summary(&all_ok), "1 integration checked: all working.");
        let mixed = [
            outcome("a", OutcomeClass::Ok),
            outcome("b", OutcomeClass::ClientAuthFailed),
            outcome("c", OutcomeClass::Throttled),
        ];
        assert_eq!(
            summary(&mixed),
            "3 integrations checked: 1 working, 2 not working (1 needs action, 1 may be temporary)."
        );
        assert_eq!(mixed[1].kind, Kind::Credential);
    }
}
