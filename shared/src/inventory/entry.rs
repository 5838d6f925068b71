//! What every entry of `teams:` and `integrations:` shares: its location in problems, its id,
//! and its required keys.

use std::collections::HashMap;

use serde_yaml_ng::Value;

use super::report::At;

/// `teams[0] (crm-ops)` when the entry has a usable id, else `teams[0]`.
pub(super) fn entry_location(section: &str, i: usize, item: &Value) -> String {
    match item.get("id").and_then(Value::as_str) {
        Some(id) if is_valid_id(id) => format!("{section}[{i}] ({id})"),
        _ => format!("{section}[{i}]"),
    }
}

/// Reads an entry's `id`: the pattern, and unique within `section` (`ids` maps each id to the
/// index that declared it first).
pub(super) fn entry_id(
    at: &mut At,
    value: &Value,
    section: &str,
    i: usize,
    ids: &mut HashMap<String, usize>,
) -> Option<String> {
    let id = at.text("id", value)?;
    if !is_valid_id(id) {
        let example = if section == "teams" {
            "crm-ops"
        } else {
            "crm-contact-sync"
        };
        at.error(
            "id",
            Some(value),
            format!(
                "must be 1 to 64 lowercase letters, digits and dashes, starting with a letter or \
                 digit, e.g. {example}"
            ),
        );
        return None;
    }
    if let Some(first) = ids.get(id) {
        at.error(
            "id",
            Some(value),
            format!("is already the id of {section}[{first}]; each id must be unique"),
        );
        return None;
    }
    ids.insert(id.to_string(), i);
    Some(id.to_string())
}

/// Whether `id` is a valid integration or team id, `[a-z0-9][a-z0-9-]{0,63}`: the rule of the
/// inventory, also applied to ids read back from the table.
pub fn is_valid_id(id: &str) -> bool {
    let lower_or_digit = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match id.as_bytes() {
        [first, rest @ ..] => {
            lower_or_digit(*first)
                && rest.len() <= 63
                && rest.iter().all(|&b| lower_or_digit(b) || b == b'-')
        }
        [] => false,
    }
}

/// Reports `key` as missing unless it was given.
pub(super) fn require(at: &mut At, given: &[&str], key: &str, message: &str) {
    if !given.contains(&key) {
        at.error(key, None, message);
    }
}
