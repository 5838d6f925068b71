//! Pure: the `silence add` matchers that name a team or an integration the table does not know.
//! A typo (`--team crm_ops`) would otherwise make a silence that silences nothing, silently.

use credwatch::domain::silence::{MatchField, Matcher};
use credwatch::text::printable::escape;

/// Most known ids listed in one warning (a large tenant has hundreds of integrations).
const KNOWN_SHOWN: usize = 10;

/// One warning line for each `--team` / `--integration` matcher whose value is not among
/// `teams` / `integrations` (the ids the table holds); empty when every one is known. Class
/// and check matchers are checked when parsed.
pub fn unknown_matchers(
    matchers: &[Matcher],
    teams: &[String],
    integrations: &[String],
    table: &str,
) -> Vec<String> {
    matchers
        .iter()
        .filter_map(|matcher| {
            let (kind, known) = match matcher.field {
                MatchField::Team => ("team", teams),
                MatchField::Integration => ("integration", integrations),
                MatchField::Class | MatchField::Check => return None,
            };
            if known.contains(&matcher.value) {
                return None;
            }
            let mut shown: Vec<String> = known
                .iter()
                .take(KNOWN_SHOWN)
                .map(|id| escape(id).into_owned())
                .collect();
            if known.len() > KNOWN_SHOWN {
                shown.push(format!("... and {} more", known.len() - KNOWN_SHOWN));
            }
            let list = if shown.is_empty() {
                "none".to_string()
            } else {
                shown.join(", ")
            };
            Some(format!(
                "credwatch: warning: table {table} has no {kind} {value} ({kind}s: {list}); this \
                 silence matches nothing until one is applied. Check the id, or end it with \
                 `credwatch silence expire`.",
                value = escape(&matcher.value),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|id| id.to_string()).collect()
    }

    fn matcher(field: MatchField, value: &str) -> Matcher {
        Matcher::new(field, value).expect("a valid matcher")
    }

    #[test]
    fn a_team_or_integration_the_table_does_not_know_is_named_with_the_known_ones() {
        let teams = ids(&["crm-ops", "platform"]);
        let integrations = ids(&["crm-sync"]);
        let matchers = [
            matcher(MatchField::Team, "crm-opps"),
            matcher(MatchField::Integration, "crm-sync"),
            matcher(MatchField::Integration, "loyalty"),
            matcher(MatchField::Check, "auth"),
        ];
        assert_eq!(
            unknown_matchers(&matchers, &teams, &integrations, "T"),
            vec![
                "credwatch: warning: table T has no team crm-opps (teams: crm-ops, platform); \
                 this silence matches nothing until one is applied. Check the id, or end it \
                 with `credwatch silence expire`."
                    .to_string(),
                "credwatch: warning: table T has no integration loyalty (integrations: \
                 crm-sync); this silence matches nothing until one is applied. Check the id, \
                 or end it with `credwatch silence expire`."
                    .to_string(),
            ]
        );
    }

    #[test]
    fn known_ids_give_no_warning_and_long_lists_are_cut() {
        let teams = ids(&["crm-ops"]);
        let known = [matcher(MatchField::Team, "crm-ops")];
        assert!(unknown_matchers(&known, &teams, &[], "T").is_empty());

        let many: Vec<String> = (0..12).map(|n| format!("i{n:02}")).collect();
        let lines = unknown_matchers(&[matcher(MatchField::Integration, "x")], &teams, &many, "T");
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("i09, ... and 2 more)"), "{}", lines[0]);
        assert!(!lines[0].contains("i10"), "{}", lines[0]);
        let none = unknown_matchers(&[matcher(MatchField::Team, "x")], &[], &[], "T");
        assert!(none[0].contains("(teams: none)"), "{}", none[0]);
    }
}
