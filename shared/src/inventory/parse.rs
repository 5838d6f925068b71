//! Walking the document: the top level. `defaults` is in `cadence.rs`, teams in `team.rs`,
//! integrations in `integration.rs`, the YAML reading itself in `yaml.rs`.
//!
//! Conventions: every mapping is walked in file order so problems come out in the order a reader
//! meets them; an empty value (`runbook:`) counts as not given; a required key that is not given
//! is reported after the keys that are, once.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_yaml_ng::{Mapping, Value};

use super::cadence::parse_defaults;
use super::integration::{self, Context};
use super::model::{Defaults, Inventory};
use super::options::LoadOptions;
use super::report::{At, Report};
use super::team::parse_teams;
use super::yaml::read_yaml;
use crate::domain::incident::PLATFORM_TEAM;

const TOP_KEYS: [&str; 4] = ["version", "defaults", "teams", "integrations"];

/// The whole document. The inventory is `Some` when the structure was complete enough to build
/// one; it is only valid if the report has no problems.
pub(super) fn parse(
    yaml: &str,
    options: &LoadOptions,
    today: NaiveDate,
) -> (Option<Inventory>, Report) {
    let mut report = Report::default();
    // Windows editors save UTF-8 with a byte-order mark; it is not part of the document.
    let yaml = yaml.strip_prefix('\u{feff}').unwrap_or(yaml);
    let root = match read_yaml(yaml) {
        Ok(root) => root,
        Err(problem) => {
            report.push_problem(problem);
            return (None, report);
        }
    };
    let mut at = At::new("inventory", &mut report);
    let root = match &root {
        Value::Null => {
            at.error(
                "",
                None,
                "the file is empty; an inventory needs at least `version: 1` and `integrations:`",
            );
            return (None, report);
        }
        other => match at.mapping("", other) {
            Some(root) => root,
            None => return (None, report),
        },
    };
    parse_top(root, options, today)
}

fn parse_top(
    root: &Mapping,
    options: &LoadOptions,
    today: NaiveDate,
) -> (Option<Inventory>, Report) {
    // Sections depend on each other (integrations need the team ids and defaults), but their
    // problems must come out in file order: each top-level entry reports into its own chunk,
    // and the chunks are joined in file order at the end.
    let mut chunks: Vec<Report> = std::iter::repeat_with(Report::default)
        .take(root.len())
        .collect();
    let mut sections: HashMap<&str, (usize, &Value)> = HashMap::new();
    for (position, (key, value)) in root.iter().enumerate() {
        let mut at = At::new("inventory", &mut chunks[position]);
        let Some(key) = at.key("", key) else { continue };
        if TOP_KEYS.contains(&key) {
            sections.insert(key, (position, value));
        } else {
            at.unknown_key("", key, &TOP_KEYS);
        }
    }
    let given = |key: &str| sections.get(key).copied().filter(|(_, v)| !v.is_null());

    let version = given("version").and_then(|(position, value)| {
        parse_version(&mut At::new("inventory", &mut chunks[position]), value)
    });
    let defaults = match given("defaults") {
        Some((position, value)) => parse_defaults(value, &mut chunks[position]),
        None => Defaults::default(),
    };
    let (teams, team_ids) = match given("teams") {
        Some((position, value)) => parse_teams(value, &mut chunks[position]),
        None => (Vec::new(), Some(Vec::new())),
    };
    let context = Context {
        options,
        today,
        defaults: &defaults,
        team_ids: team_ids.as_deref(),
    };
    // Not `given`: `integrations:` with nothing under it is an empty list (a warning).
    let integrations = sections.get("integrations").and_then(|&(position, value)| {
        integration::parse_integrations(value, &context, &mut chunks[position])
    });

    let mut report = Report::default();
    for chunk in chunks {
        report.append(chunk);
    }
    let mut at = At::new("inventory", &mut report);
    let has_platform = team_ids
        .as_deref()
        .is_some_and(|ids| ids.iter().any(|id| id == PLATFORM_TEAM));
    // Only once alerts are routed (a team lists addresses): before that nobody receives
    // anything, and the warning would be noise for `check` on a laptop.
    let routed = teams.iter().any(|t| !t.notify.email.is_empty());
    if routed && !has_platform {
        at.warn(
            "teams",
            None,
            format!(
                "no team has id {PLATFORM_TEAM}: alerts about credwatch itself (a secret it cannot read, a proxy answering instead of SFMC) go to team {PLATFORM_TEAM}, so nobody would receive them; add a team with id {PLATFORM_TEAM} and a notify block"
            ),
        );
    }
    if given("version").is_none() {
        at.error(
            "version",
            None,
            "is missing; start the file with `version: 1`",
        );
    }
    if !sections.contains_key("integrations") {
        at.error(
            "integrations",
            None,
            "is missing; list the SFMC integrations to watch under `integrations:`",
        );
    }

    let inventory = match (version, integrations) {
        (Some(version), Some(integrations)) => Some(Inventory {
            version,
            defaults,
            teams,
            integrations,
        }),
        _ => None,
    };
    (inventory, report)
}

fn parse_version(at: &mut At, value: &Value) -> Option<u32> {
    match value.as_u64() {
        Some(1) => Some(1),
        Some(_) => {
            at.error(
                "version",
                Some(value),
                "this credwatch reads inventory version 1 only; write `version: 1`",
            );
            None
        }
        None => {
            at.wrong_type("version", value, "the number 1");
            None
        }
    }
}
