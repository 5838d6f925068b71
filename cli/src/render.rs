//! Turning probe outcomes into a table for people and JSON for scripts. Pure functions.

use comfy_table::{
    Cell, Color, ColumnConstraint, ContentArrangement, Table, Width, presets::UTF8_FULL_CONDENSED,
};
use credwatch::inventory::Inventory;
use credwatch::outcome::{OutcomeClass, ProbeOutcome};
use credwatch::printable::escape;
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

/// Below this width the check table has two columns instead of five.
const WIDE_CHECK_TABLE: u16 = 100;

/// The check table, laid out for `width` columns: five columns when wide, two when narrow. Ids
/// and classes are never broken (their column is at least as wide as the longest one); other
/// text wraps at spaces. Every text from the inventory or the network is escaped first.
pub fn outcomes_table(
    inventory: &Inventory,
    outcomes: &[ProbeOutcome],
    width: u16,
    colours: bool,
) -> String {
    let wide = width >= WIDE_CHECK_TABLE;
    let mut table = new_table(width, colours);
    if wide {
        table.set_header(["Integration", "Verdict", "Details", "Latency", "What to do"]);
    } else {
        table.set_header(["Integration", "Finding"]);
    }
    let mut longest_id = 0;
    let mut longest_class = 0;
    for outcome in outcomes {
        let integration = inventory.integration(&outcome.integration);
        let id = escape(&outcome.integration).into_owned();
        let name = integration.map_or(String::new(), |i| escape(&i.name).into_owned());
        longest_id = longest_id.max(id.chars().count());
        longest_class = longest_class.max(outcome.class.as_str().len());
        let color = match outcome.class {
            OutcomeClass::Ok => Color::Green,
            class if class.is_transient() => Color::Yellow,
            _ => Color::Red,
        };
        let confirmed = if outcome.confirmed { "\nconfirmed" } else { "" };
        let what_to_do = if outcome.class == OutcomeClass::Ok {
            ""
        } else {
            outcome.class.what_to_do()
        };
        let who = if name.is_empty() {
            id
        } else {
            format!("{name}\n{id}")
        };
        if wide {
            table.add_row(vec![
                Cell::new(who),
                Cell::new(format!(
                    "{}\n{}{confirmed}",
                    outcome.class.verdict(),
                    outcome.class
                ))
                .fg(color),
                Cell::new(details(outcome)),
                Cell::new(latency(outcome)),
                Cell::new(what_to_do),
            ]);
        } else {
            let mut finding = format!("{}\n{}", outcome.class.verdict(), details(outcome));
            if !what_to_do.is_empty() {
                finding.push_str(&format!("\nNext step: {what_to_do}"));
            }
            table.add_row(vec![
                Cell::new(format!(
                    "{who}\n{}{confirmed}\n{}",
                    outcome.class,
                    latency(outcome)
                ))
                .fg(color),
                Cell::new(finding),
            ]);
        }
    }
    if wide {
        at_least(&mut table, 0, longest_id);
        at_least(&mut table, 1, longest_class.max("confirmed".len()));
    } else {
        at_least(&mut table, 0, longest_id.max(longest_class));
    }
    format!("{table}\n{}\n", summary(outcomes))
}

/// A table with credwatch's look, laid out for `width`, styled only if `colours`.
pub fn new_table(width: u16, colours: bool) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if !colours {
        table.force_no_tty();
    }
    table
}

/// Keeps column `index` at least `chars` wide (plus its padding), so words that long are never
/// broken in the middle.
pub fn at_least(table: &mut Table, index: usize, chars: usize) {
    let chars = u16::try_from(chars).unwrap_or(u16::MAX).saturating_add(2);
    if let Some(column) = table.column_mut(index) {
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(chars)));
    }
}

fn details(outcome: &ProbeOutcome) -> String {
    let mut lines = vec![escape(&outcome.message).into_owned()];
    // A 200 is no news when the problem is in what the token grants.
    if let Some(status) = outcome.http_status.filter(|status| *status >= 300) {
        lines.push(format!("HTTP {status}"));
    }
    if !outcome.missing_scopes.is_empty() && outcome.class != OutcomeClass::MissingScopes {
        lines.push(format!(
            "Missing scopes: {}",
            escape(&outcome.missing_scopes.join(", "))
        ));
    }
    if !outcome.unexpected_scopes.is_empty() {
        lines.push(format!(
            "Security note: also granted {}",
            escape(&outcome.unexpected_scopes.join(", "))
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
