//! `ingest:` of an integration (passive tracking): the CloudWatch Logs groups and EventBridge
//! sources whose SFMC results are this integration's. Each binds to one integration only: a log
//! line or an event must never be counted for two.

use std::collections::HashMap;

use serde_yaml_ng::Value;

use super::bounds::{EVENT_SOURCE_MAX, INGEST_ENTRIES_MAX, LOG_GROUP_NAME_MAX, within};
use super::model::{IngestBinding, Integration};
use super::report::{At, index, join};
use crate::text::printable::first_unprintable;

const INGEST_KEYS: [&str; 2] = ["log_groups", "event_sources"];

/// Why `name` is not a CloudWatch Logs group name (CloudWatch's own rule: 1 to 512 of
/// `[.\-_/#A-Za-z0-9]`), or `None` when it is one.
pub fn log_group_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || !within(name, LOG_GROUP_NAME_MAX) {
        return Some("must be 1 to 512 characters (CloudWatch's limit for a log group name)");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#');
    if !name.chars().all(allowed) {
        return Some(
            "is not a CloudWatch log group name: only letters, digits and . - _ / # are \
             allowed, e.g. /aws/lambda/orders-sync",
        );
    }
    None
}

/// Why `source` is not an EventBridge `source` an integration may publish with (1 to 256
/// printable characters without whitespace, not starting with `aws.`, which EventBridge keeps
/// for AWS's own services), or `None` when it is one.
pub fn event_source_problem(source: &str) -> Option<&'static str> {
    if source.is_empty() || !within(source, EVENT_SOURCE_MAX) {
        return Some("must be 1 to 256 characters (EventBridge's limit for a source)");
    }
    if first_unprintable(source).is_some() || source.chars().any(char::is_whitespace) {
        return Some(
            "must be printable characters without spaces, e.g. com.acme.orders-sync \
             (the `source` the integration gives PutEvents)",
        );
    }
    if source
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws."))
    {
        return Some(
            "starts with aws., which EventBridge keeps for AWS's own services; use your own, \
             e.g. com.acme.orders-sync",
        );
    }
    None
}

/// The `ingest` mapping of one integration; `None` (with its problems reported) when any entry
/// is invalid or listed twice.
pub(super) fn parse_ingest(at: &mut At, value: &Value) -> Option<IngestBinding> {
    let map = at.mapping("ingest", value)?;
    let mut binding = IngestBinding::default();
    let mut valid = true;
    for (key, value) in map {
        let Some(key) = at.key("ingest", key) else {
            valid = false;
            continue;
        };
        let field = join("ingest", key);
        let entries = match key {
            "log_groups" => &mut binding.log_groups,
            "event_sources" => &mut binding.event_sources,
            _ => {
                at.unknown_key("ingest", key, &INGEST_KEYS);
                valid = false;
                continue;
            }
        };
        if value.is_null() {
            continue;
        }
        let problem = if key == "log_groups" {
            log_group_problem
        } else {
            event_source_problem
        };
        let max = if key == "log_groups" {
            LOG_GROUP_NAME_MAX
        } else {
            EVENT_SOURCE_MAX
        };
        match parse_entries(at, &field, value, max, problem) {
            Some(parsed) => *entries = parsed,
            None => valid = false,
        }
    }
    valid.then_some(binding)
}

/// A list of at most [`INGEST_ENTRIES_MAX`] distinct entries that `problem` accepts.
fn parse_entries(
    at: &mut At,
    field: &str,
    value: &Value,
    max_chars: usize,
    problem: fn(&str) -> Option<&'static str>,
) -> Option<Vec<String>> {
    let items = at.list(field, value)?;
    if items.len() > INGEST_ENTRIES_MAX {
        at.error(
            field,
            None,
            format!(
                "lists {} entries; at most {INGEST_ENTRIES_MAX}",
                items.len()
            ),
        );
        return None;
    }
    let mut entries: Vec<String> = Vec::new();
    // Where each accepted entry stands in the list as written (entries skip the bad ones).
    let mut places: Vec<usize> = Vec::new();
    let mut valid = true;
    for (i, item) in items.iter().enumerate() {
        let here = index(field, i);
        let Some(text) = at.bounded_text(&here, item, max_chars) else {
            valid = false;
            continue;
        };
        if let Some(why) = problem(text) {
            at.error(&here, Some(item), why);
            valid = false;
            continue;
        }
        if let Some(first) = entries.iter().position(|seen| seen == text) {
            at.error(
                &here,
                Some(item),
                format!(
                    "is listed twice (also {}); list each once",
                    index(field, places[first])
                ),
            );
            valid = false;
            continue;
        }
        entries.push(text.to_string());
        places.push(i);
    }
    valid.then_some(entries)
}

/// Which integration each log group and event source is bound to so far, in file order.
#[derive(Default)]
pub(super) struct Bindings {
    log_groups: HashMap<String, String>,
    event_sources: HashMap<String, String>,
}

impl Bindings {
    /// Reports every log group and event source of `integration` that an earlier integration
    /// already binds (naming both integrations and the field), then remembers the others.
    pub fn claim(&mut self, at: &mut At, integration: &Integration) {
        let lists = [
            (
                "ingest.log_groups",
                &integration.ingest.log_groups,
                &mut self.log_groups,
                "a log group's lines",
            ),
            (
                "ingest.event_sources",
                &integration.ingest.event_sources,
                &mut self.event_sources,
                "a source's events",
            ),
        ];
        for (field, entries, bound, what) in lists {
            for (i, entry) in entries.iter().enumerate() {
                match bound.get(entry) {
                    Some(owner) => at.error(
                        &index(field, i),
                        Some(&Value::String(entry.clone())),
                        format!(
                            "is also bound to integration {owner} ({field}); {what} belong to one \
                             integration: list it under {owner} or {} only",
                            integration.id
                        ),
                    ),
                    None => {
                        bound.insert(entry.clone(), integration.id.clone());
                    }
                }
            }
        }
    }
}
