//! Turning probe outcomes into a table for people and JSON for scripts. Pure functions.

use comfy_table::{
    Cell, Color, ColumnConstraint, ContentArrangement, Table, Width, presets::UTF8_FULL_CONDENSED,
};
use credwatch::domain::outcome::{OutcomeClass, ProbeOutcome};
use credwatch::inventory::Inventory;
use credwatch::text::printable::escape;
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

/// Words up to this many characters are never broken (their column is at least that wide);
/// longer ones (long URLs) may be, so that a table can still fit.
const MAX_WHOLE_WORD: usize = 24;

/// One way to lay a table out: headers, rows (the first cell coloured), and for each column the
/// longest text that must never be broken whatever its length (ids, classes).
pub struct Grid {
    headers: Vec<&'static str>,
    rows: Vec<(Vec<String>, Color)>,
    /// Per column, in characters.
    whole: Vec<usize>,
}

impl Grid {
    pub fn new(headers: Vec<&'static str>) -> Self {
        let whole = vec![0; headers.len()];
        Grid {
            headers,
            rows: Vec::new(),
            whole,
        }
    }

    /// Adds a row; `whole` names, per cell, texts in it that must stay unbroken.
    pub fn row(&mut self, cells: Vec<String>, color: Color, whole: &[&[&str]]) {
        for (longest, texts) in self.whole.iter_mut().zip(whole) {
            for text in texts.iter() {
                *longest = (*longest).max(text.chars().count());
            }
        }
        self.rows.push((cells, color));
    }

    /// The narrowest each column may be (content, without padding).
    fn minimums(&self) -> Vec<usize> {
        let mut minimums = self.whole.clone();
        let header_cells = self.headers.iter().map(|h| h.to_string()).enumerate();
        let body_cells = self
            .rows
            .iter()
            .flat_map(|(cells, _)| cells.iter().cloned().enumerate());
        for (column, cell) in header_cells.chain(body_cells) {
            let longest = cell
                .split_whitespace()
                .map(|word| word.chars().count().min(MAX_WHOLE_WORD))
                .max()
                .unwrap_or(0);
            if let Some(minimum) = minimums.get_mut(column) {
                *minimum = (*minimum).max(longest);
            }
        }
        minimums
    }

    /// The narrowest the whole table can be: columns, their padding and the borders.
    fn min_width(&self) -> usize {
        let columns = self.headers.len();
        self.minimums().iter().sum::<usize>() + 2 * columns + columns + 1
    }

    fn into_table(self, width: u16, colours: bool) -> Table {
        let minimums = self.minimums();
        let mut table = new_table(width, colours);
        table.set_header(self.headers);
        for (cells, color) in self.rows {
            let mut row: Vec<Cell> = cells.into_iter().map(Cell::new).collect();
            if let Some(first) = row.first_mut() {
                *first = first.clone().fg(color);
            }
            table.add_row(row);
        }
        for (column, minimum) in minimums.into_iter().enumerate() {
            at_least(&mut table, column, minimum);
        }
        table
    }
}

/// The first of `layouts` (widest first) that fits `width`, or the last one.
pub fn lay_out(layouts: Vec<Grid>, width: u16, colours: bool) -> Table {
    let count = layouts.len();
    for (i, grid) in layouts.into_iter().enumerate() {
        if i + 1 == count || grid.min_width() <= usize::from(width) {
            return grid.into_table(width, colours);
        }
    }
    new_table(width, colours)
}

/// The check table, laid out for `width` columns: five columns when they fit, else two, else
/// one. Ids and classes are never broken, nor words up to [`MAX_WHOLE_WORD`] characters; other
/// text wraps at spaces. Every text from the inventory or the network is escaped first.
pub fn outcomes_table(
    inventory: &Inventory,
    outcomes: &[ProbeOutcome],
    width: u16,
    colours: bool,
) -> String {
    let mut wide = Grid::new(vec![
        "Integration",
        "Verdict",
        "Details",
        "Latency",
        "What to do",
    ]);
    let mut two = Grid::new(vec!["Integration", "Finding"]);
    let mut one = Grid::new(vec!["Integration and finding"]);
    for outcome in outcomes {
        let integration = inventory.integration(&outcome.integration);
        let id = escape(&outcome.integration).into_owned();
        let class = outcome.class.as_str();
        let name = integration.map_or(String::new(), |i| escape(&i.name).into_owned());
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
            id.clone()
        } else {
            format!("{name}\n{id}")
        };
        wide.row(
            vec![
                who.clone(),
                format!("{}\n{class}{confirmed}", outcome.class.verdict()),
                details(outcome),
                latency(outcome),
                what_to_do.to_string(),
            ],
            color,
            &[&[&id], &[class]],
        );
        let mut finding = format!("{}\n{}", outcome.class.verdict(), details(outcome));
        if !what_to_do.is_empty() {
            finding.push_str(&format!("\nNext step: {what_to_do}"));
        }
        let left = format!("{who}\n{class}{confirmed}\n{}", latency(outcome));
        two.row(vec![left.clone(), finding.clone()], color, &[&[&id, class]]);
        one.row(vec![format!("{left}\n{finding}")], color, &[&[&id, class]]);
    }
    let table = lay_out(vec![wide, two, one], width, colours);
    format!("{table}\n{}\n", wrap(&summary(outcomes), width))
}

/// `text` wrapped at spaces to `width` columns (comfy-table's wrapping, without borders).
pub fn wrap(text: &str, width: u16) -> String {
    let mut table = Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .force_no_tty()
        .add_row(vec![text]);
    if let Some(column) = table.column_mut(0) {
        column.set_padding((0, 0));
    }
    table
        .lines()
        .map(|line| line.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A table with credwatch's look, laid out for `width`, styled only if `colours`.
pub fn new_table(width: u16, colours: bool) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    // credwatch decides (terminal and NO_COLOR, see `output`); comfy-table would only look at
    // whether stdout is a terminal.
    if colours {
        table.enforce_styling();
    } else {
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

/// Test helper: every line of `text` fits `width` characters, and every one of `whole` appears
/// unbroken (on one line, in one piece).
#[cfg(test)]
pub(crate) fn assert_laid_out(text: &str, width: u16, whole: &[String]) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= usize::from(width),
            "line wider than {width}:\n{line}\n{text}"
        );
    }
    for piece in whole {
        assert!(
            text.contains(piece.as_str()),
            "{piece:?} broken at width {width}:\n{text}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwatch::domain::outcome::Kind;
    use credwatch::inventory::{LoadOptions, parse_inventory};

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

    /// One integration per class, with long names and long SFMC text, as the demo and `check`
    /// show them.
    fn every_class() -> (Inventory, Vec<ProbeOutcome>) {
        let mut yaml = String::from("version: 1\nteams: [{id: ops, name: Ops}]\nintegrations:\n");
        let mut outcomes = Vec::new();
        for (i, class) in OutcomeClass::ALL.iter().enumerate() {
            let id = format!("{}-sync-{i}", class.as_str().replace('_', "-"));
            yaml.push_str(&format!(
                "  - {{ id: {id}, name: The rather long name of integration number {i} for journeys, owner: ops, severity: high, auth_url: \"http://127.0.0.1:1/\", client_id: c{i}, client_secret: {{ env: S{i} }} }}\n"
            ));
            let mut o = outcome(&id, *class);
            o.message = "SFMC said: Client authentication failed. Make sure that the client ID and client secret are valid (invalid_client)".into();
            o.http_status = Some(401);
            o.confirmed = i % 2 == 0;
            o.unexpected_scopes = vec!["data_extensions_write".into(), "journeys_execute".into()];
            outcomes.push(o);
        }
        let inventory = parse_inventory(
            &yaml,
            &LoadOptions {
                allow_any_endpoint: true,
            },
        )
        .expect("valid test inventory")
        .inventory;
        (inventory, outcomes)
    }

    #[test]
    fn check_table_fits_every_width_and_never_breaks_ids_or_classes() {
        let (inventory, outcomes) = every_class();
        let mut whole: Vec<String> = outcomes
            .iter()
            .flat_map(|o| [o.integration.clone(), o.class.as_str().to_string()])
            .collect();
        for width in [40u16, 60, 80, 100, 120, 160] {
            let text = outcomes_table(&inventory, &outcomes, width, false);
            assert_laid_out(&text, width, &whole);
            if width >= 60 {
                // Ordinary words wrap whole once there is room for them.
                for word in [
                    "authentication",
                    "data_extensions_write,",
                    "Installed",
                    "(invalid_client)",
                ] {
                    whole.push(word.to_string());
                }
                assert_laid_out(&text, width, &whole);
                whole.truncate(outcomes.len() * 2);
            }
            assert!(!text.contains('\u{1b}'), "no colours when not asked");
        }
    }

    #[test]
    fn check_table_escapes_network_and_inventory_text() {
        let (inventory, mut outcomes) = every_class();
        outcomes[1].message = "evil \u{1b}[2J\u{202e}reversed".into();
        outcomes[1].unexpected_scopes = vec!["x\u{1b}]8;;".into()];
        let text = outcomes_table(&inventory, &outcomes, 120, false);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("\\u{1b}[2J"), "{text}");
    }

    #[test]
    fn colours_only_when_asked() {
        let (inventory, outcomes) = every_class();
        assert!(outcomes_table(&inventory, &outcomes, 120, true).contains('\u{1b}'));
        assert!(!outcomes_table(&inventory, &outcomes, 120, false).contains('\u{1b}'));
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
