//! Syncing the inventory file into the store: a pure plan (what would change) and its
//! application. A removed integration is retired (kept with its state, history and incidents,
//! no longer probed) unless pruning was asked for.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::inventory::{Integration, Inventory, Team};
use crate::store::{IntegrationRecord, Store, StoreError};

/// What applying the inventory would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncPlan {
    pub added: Vec<String>,
    /// Integrations whose inventory fields changed, with the names of those fields.
    pub changed: Vec<ChangedIntegration>,
    /// Retired integrations that are back in the inventory.
    pub reactivated: Vec<String>,
    /// In the table, not in the inventory: kept but no longer probed.
    pub retired: Vec<String>,
    /// Deleted with their state, history and incidents (only with `--prune`).
    pub pruned: Vec<String>,
    pub unchanged: usize,
    pub teams_added: Vec<String>,
    pub teams_changed: Vec<String>,
    pub teams_removed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedIntegration {
    pub id: String,
    pub fields: Vec<&'static str>,
}

impl SyncPlan {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.reactivated.is_empty()
            && self.retired.is_empty()
            && self.pruned.is_empty()
            && self.teams_added.is_empty()
            && self.teams_changed.is_empty()
            && self.teams_removed.is_empty()
    }
}

/// Pure: compares the inventory with what the store holds.
pub fn plan(
    desired: &Inventory,
    integrations: &[IntegrationRecord],
    teams: &[Team],
    prune: bool,
) -> SyncPlan {
    let mut plan = SyncPlan::default();
    for integration in &desired.integrations {
        match integrations
            .iter()
            .find(|r| r.integration.id == integration.id)
        {
            None => plan.added.push(integration.id.clone()),
            Some(record) => {
                let fields = changed_fields(&record.integration, integration);
                if record.retired {
                    plan.reactivated.push(integration.id.clone());
                }
                if !fields.is_empty() {
                    plan.changed.push(ChangedIntegration {
                        id: integration.id.clone(),
                        fields,
                    });
                } else if !record.retired {
                    plan.unchanged += 1;
                }
            }
        }
    }
    for record in integrations {
        let id = &record.integration.id;
        if desired.integration(id).is_none() {
            if prune {
                plan.pruned.push(id.clone());
            } else if !record.retired {
                plan.retired.push(id.clone());
            }
        }
    }
    for team in &desired.teams {
        match teams.iter().find(|t| t.id == team.id) {
            None => plan.teams_added.push(team.id.clone()),
            Some(current) if current != team => plan.teams_changed.push(team.id.clone()),
            Some(_) => {}
        }
    }
    for team in teams {
        if desired.team(&team.id).is_none() {
            plan.teams_removed.push(team.id.clone());
        }
    }
    plan
}

/// Names of the inventory fields that differ between the stored and the desired entry.
pub fn changed_fields(stored: &Integration, desired: &Integration) -> Vec<&'static str> {
    macro_rules! differing {
        ($($field:ident),+ $(,)?) => {{
            let mut fields = Vec::new();
            $(if stored.$field != desired.$field {
                fields.push(stringify!($field));
            })+
            fields
        }};
    }
    differing!(
        name,
        owner,
        severity,
        auth_url,
        client_id,
        client_secret,
        account_id,
        expected_scopes,
        secret_rotated_at,
        secret_expires_at,
        depends_on,
        records_per_hour,
        runbook,
        probe_every,
        recheck_every,
        expiry_warn_days,
        secret_lifetime_days,
    )
}

/// Applies a plan made from `desired`. New integrations are due at once, so a freshly applied
/// inventory is probed on the next scheduled run; from then on each keeps its own phase.
pub async fn apply<S: Store>(
    store: &S,
    desired: &Inventory,
    plan: &SyncPlan,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for team in &desired.teams {
        if plan.teams_added.contains(&team.id) || plan.teams_changed.contains(&team.id) {
            store.put_team(team).await?;
        }
    }
    let touched = |id: &String| {
        plan.added.contains(id)
            || plan.reactivated.contains(id)
            || plan.changed.iter().any(|c| &c.id == id)
    };
    for integration in desired.integrations.iter().filter(|i| touched(&i.id)) {
        store.put_integration(integration, now, now).await?;
    }
    for id in &plan.retired {
        store.retire_integration(id, now).await?;
    }
    for id in &plan.pruned {
        store.prune_integration(id).await?;
    }
    for id in &plan.teams_removed {
        store.delete_team(id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckState;
    use crate::inventory::{LoadOptions, parse_inventory};

    fn inventory(integrations: &[(&str, &str)]) -> Inventory {
        let mut yaml = String::from(
            "version: 1\nteams:\n  - { id: ops, name: Ops }\n  - { id: crm, name: CRM }\nintegrations:\n",
        );
        for (id, name) in integrations {
            yaml.push_str(&format!(
                "  - id: {id}\n    name: {name}\n    owner: ops\n    severity: high\n    auth_url: http://127.0.0.1:1/\n    client_id: c-{id}\n    client_secret: {{ env: S }}\n"
            ));
        }
        parse_inventory(
            &yaml,
            &LoadOptions {
                allow_any_endpoint: true,
            },
        )
        .unwrap()
        .inventory
    }

    fn stored(inventory: &Inventory, retired: &[&str]) -> Vec<IntegrationRecord> {
        inventory
            .integrations
            .iter()
            .map(|integration| IntegrationRecord {
                integration: integration.clone(),
                state: CheckState::default(),
                retired: retired.contains(&integration.id.as_str()),
                added_at: Utc::now(),
                secret_rotated_seen_at: None,
            })
            .collect()
    }

    #[test]
    fn first_apply_adds_everything() {
        let desired = inventory(&[("a", "A"), ("b", "B")]);
        let plan = plan(&desired, &[], &[], false);
        assert_eq!(plan.added, ["a", "b"]);
        assert_eq!(plan.teams_added, ["ops", "crm"]);
        assert!(!plan.is_empty());
    }

    #[test]
    fn changes_name_their_fields_and_removals_retire_unless_pruned() {
        let before = inventory(&[("a", "A"), ("b", "B"), ("c", "C")]);
        let after = inventory(&[("a", "A renamed"), ("b", "B")]);
        let current = stored(&before, &[]);
        let plan_keep = plan(&after, &current, &before.teams, false);
        assert_eq!(
            plan_keep.changed,
            [ChangedIntegration {
                id: "a".into(),
                fields: vec!["name"]
            }]
        );
        assert_eq!(plan_keep.retired, ["c"]);
        assert!(plan_keep.pruned.is_empty());
        assert_eq!(plan_keep.unchanged, 1);
        assert!(plan_keep.teams_added.is_empty() && plan_keep.teams_removed.is_empty());

        let plan_prune = plan(&after, &current, &before.teams, true);
        assert_eq!(plan_prune.pruned, ["c"]);
        assert!(plan_prune.retired.is_empty());
    }

    #[test]
    fn a_retired_integration_coming_back_is_reactivated_and_an_applied_inventory_is_a_no_op() {
        let desired = inventory(&[("a", "A")]);
        let plan_back = plan(&desired, &stored(&desired, &["a"]), &desired.teams, false);
        assert_eq!(plan_back.reactivated, ["a"]);
        let same = plan(&desired, &stored(&desired, &[]), &desired.teams, false);
        assert!(same.is_empty(), "{same:?}");
        assert_eq!(same.unchanged, 1);
        // Already retired and still absent: nothing more to do without --prune.
        let gone = plan(
            &inventory(&[]),
            &stored(&desired, &["a"]),
            &desired.teams,
            false,
        );
        assert!(gone.retired.is_empty());
    }
}
