//! Syncing the inventory file into the store: a pure plan (what would change) and its
//! application. A removed integration is retired (kept with its state, history and incidents,
//! no longer probed) unless pruning was asked for.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::incident::PLATFORM_TEAM;
use crate::domain::state::{CheckState, StateCommit};
use crate::inventory::{Integration, Inventory, Team};
use crate::jobs::corrupt::corrupt_incident_id;
use crate::rules::deadman::retire_state;
use crate::rules::schedule;
use crate::store::{
    CommitOutcome, Incidents, IngestTokens, IntegrationRecord, Integrations, ProbeResults,
    StoreError, Teams, UnreadableIntegration,
};

/// What applying the inventory would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncPlan {
    /// Integrations in the inventory, not in the table: created, first probe spread.
    pub added: Vec<String>,
    /// Integrations whose inventory fields changed, with the names of those fields.
    pub changed: Vec<ChangedIntegration>,
    /// Retired integrations that are back in the inventory.
    pub reactivated: Vec<String>,
    /// In the table, not in the inventory: kept but no longer probed.
    pub retired: Vec<String>,
    /// Deleted with their state, history and incidents (only with `--prune`).
    pub pruned: Vec<String>,
    /// Unreadable items of integrations in the inventory: rewritten from it, checks afresh.
    pub repaired: Vec<String>,
    /// Unreadable items of integrations not in the inventory: left alone (`--prune` deletes).
    pub unreadable: Vec<String>,
    /// Integrations whose table item already matches the inventory.
    pub unchanged: usize,
    /// Teams in the inventory, not in the table.
    pub teams_added: Vec<String>,
    /// Teams whose fields changed.
    pub teams_changed: Vec<String>,
    /// Teams in the table, no longer in the inventory: deleted.
    pub teams_removed: Vec<String>,
}

/// An integration whose inventory fields changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedIntegration {
    /// The integration's id.
    pub id: String,
    /// The inventory field names that changed, e.g. `owner`, `probe_every`.
    pub fields: Vec<&'static str>,
}

impl SyncPlan {
    /// Nothing to add, change, reactivate, retire, prune or repair, and no team changes.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.reactivated.is_empty()
            && self.retired.is_empty()
            && self.pruned.is_empty()
            && self.repaired.is_empty()
            && self.unreadable.is_empty()
            && self.teams_added.is_empty()
            && self.teams_changed.is_empty()
            && self.teams_removed.is_empty()
    }
}

/// Pure: compares the inventory with what the store holds (readable and unreadable items).
pub fn plan(
    desired: &Inventory,
    integrations: &[IntegrationRecord],
    unreadable: &[UnreadableIntegration],
    teams: &[Team],
    prune: bool,
) -> SyncPlan {
    let mut plan = SyncPlan::default();
    for bad in unreadable {
        if desired.integration(&bad.id).is_some() {
            plan.repaired.push(bad.id.clone());
        } else if prune {
            plan.pruned.push(bad.id.clone());
        } else {
            plan.unreadable.push(bad.id.clone());
        }
    }
    for integration in &desired.integrations {
        if plan.repaired.contains(&integration.id) {
            continue;
        }
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
        maintenance,
        ingest,
    )
}

/// The result of one write of an apply: which item, what was done, and the error if it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemResult {
    /// `integration crm-contact-sync` or `team crm-ops`.
    pub item: String,
    /// `added`, `changed`, `reactivated`, `repaired`, `retired`, `pruned`, `team added`...
    pub action: &'static str,
    /// What went wrong (nothing after it was written for this item); `None` when it worked.
    pub error: Option<String>,
}

/// Applies a plan made from `desired`, item by item: one failed write never stops the others,
/// and every item's result is returned. Rerunning after a failure converges (every step is
/// idempotent). New integrations are due at once, so a freshly applied inventory is probed on
/// the next scheduled run; from then on each keeps its own phase.
///
/// Beyond the inventory fields: a changed `owner` moves the open incidents of the owner's
/// checks to the new team; a changed `probe_every` reschedules a healthy integration; retiring
/// resolves every open incident of the integration (saying why); repairing an unreadable item
/// rewrites it from the inventory (checks afresh) and resolves its incidents.
pub async fn apply<S: Integrations + ProbeResults + Incidents + Teams + IngestTokens>(
    store: &S,
    desired: &Inventory,
    plan: &SyncPlan,
    now: DateTime<Utc>,
) -> Vec<ItemResult> {
    let mut results = Vec::new();
    let mut record = |item: String, action: &'static str, result: Result<(), StoreError>| {
        results.push(ItemResult {
            item,
            action,
            error: result.err().map(|e| e.to_string()),
        })
    };
    for team in &desired.teams {
        let action = if plan.teams_added.contains(&team.id) {
            "team added"
        } else if plan.teams_changed.contains(&team.id) {
            "team changed"
        } else {
            continue;
        };
        record(
            format!("team {}", team.id),
            action,
            store.put_team(team).await,
        );
    }
    for integration in &desired.integrations {
        let id = &integration.id;
        let changed = plan.changed.iter().find(|c| &c.id == id);
        let (action, result) = if plan.added.contains(id) {
            ("added", store.put_integration(integration, now, now).await)
        } else if plan.repaired.contains(id) {
            ("repaired", repair(store, integration, now).await)
        } else if plan.reactivated.contains(id) || changed.is_some() {
            let action = if plan.reactivated.contains(id) {
                "reactivated"
            } else {
                "changed"
            };
            let fields = changed.map_or(&[][..], |c| &c.fields[..]);
            (action, update(store, integration, fields, now).await)
        } else {
            continue;
        };
        record(format!("integration {id}"), action, result);
    }
    for id in &plan.retired {
        record(
            format!("integration {id}"),
            "retired",
            retire(store, id, now).await,
        );
    }
    for id in &plan.pruned {
        record(
            format!("integration {id}"),
            "pruned",
            prune(store, id, now).await,
        );
    }
    for id in &plan.teams_removed {
        record(
            format!("team {id}"),
            "team removed",
            store.delete_team(id).await,
        );
    }
    results
}

/// Writes changed inventory fields, then what follows from them: open incidents to a new owner,
/// a new schedule for a new cadence.
async fn update<S: Integrations + ProbeResults + Incidents>(
    store: &S,
    integration: &Integration,
    fields: &[&str],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.put_integration(integration, now, now).await?;
    let id = &integration.id;
    if fields.contains(&"owner") {
        for incident in store.incidents_of(id).await? {
            // Monitor incidents stay with the platform team.
            if incident.open && incident.team != PLATFORM_TEAM && incident.team != integration.owner
            {
                store
                    .reassign_incident(incident.id.as_str(), &integration.owner, now)
                    .await?;
            }
        }
    }
    if fields.contains(&"probe_every") {
        commit_fresh(store, id, |record| {
            let state = &record.state;
            if state.health().needs_recheck() {
                // Failing: the recheck cadence rules until it recovers.
                return None;
            }
            let next = schedule::next_slot(id, now, integration.probe_every);
            (state.next_probe_at != Some(next)).then(|| StateCommit {
                integration: id.clone(),
                expected_version: state.version,
                state: CheckState {
                    next_probe_at: Some(next),
                    ..state.clone()
                },
                incidents: Vec::new(),
            })
        })
        .await?;
    }
    Ok(())
}

/// Resolves every open incident of an integration (so whoever follows them sees them end), then
/// deletes it with its state, history and incidents. Works on unreadable items too.
async fn prune<S: Integrations + Incidents + IngestTokens>(
    store: &S,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let message = format!("integration {id} was deleted from credwatch (inventory apply --prune)");
    for incident in store.incidents_of(id).await?.iter().filter(|i| i.open) {
        store
            .resolve_incident(incident.id.as_str(), &message, now)
            .await?;
    }
    // Its ingest tokens go with it: an integration added back under the same id starts with
    // none (old tokens would report for it again).
    store.revoke_ingest_tokens(id).await?;
    store.prune_integration(id).await
}

/// Retires an integration and resolves every open incident of it.
async fn retire<S: Integrations + ProbeResults + Incidents>(
    store: &S,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.retire_integration(id, now).await?;
    commit_fresh(store, id, |record| {
        let mut state = record.state.clone();
        let incidents = retire_state(&record.integration, &mut state, now);
        (!incidents.is_empty() || state != record.state).then(|| StateCommit {
            integration: id.to_string(),
            expected_version: record.state.version,
            state,
            incidents,
        })
    })
    .await?;
    // Passive incidents are kept by no state of the integration: resolved here, or a retired
    // integration's would stay open (and remind) for ever.
    for incident in store.incidents_of(id).await? {
        if incident.open && incident.check == crate::domain::incident::CheckKind::Passive {
            let message = format!(
                "{id} is no longer in the inventory, so credwatch no longer reads its reports"
            );
            store
                .resolve_incident(incident.id.as_str(), &message, now)
                .await?;
        }
    }
    Ok(())
}

/// Rewrites an unreadable item from the inventory with a fresh state (its incident numbering
/// continued), and resolves its open incidents, which no state tracks any more.
async fn repair<S: Integrations + Incidents>(
    store: &S,
    integration: &Integration,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = &integration.id;
    let incidents = store.incidents_of(id).await?;
    let incident_seq = incidents.iter().map(|i| i.id.seq()).max().unwrap_or(0);
    let state = CheckState {
        incident_seq,
        next_probe_at: Some(now),
        ..CheckState::default()
    };
    store.replace_integration(integration, now, &state).await?;
    for incident in incidents.iter().filter(|i| i.open) {
        let message = if incident.id == corrupt_incident_id(id) {
            format!(
                "the item of integration {id} was rewritten from the inventory; credwatch reads it again"
            )
        } else {
            format!(
                "the item of integration {id} was rewritten from the inventory; its checks start afresh"
            )
        };
        store
            .resolve_incident(incident.id.as_str(), &message, now)
            .await?;
    }
    Ok(())
}

/// Reads the integration and commits what `plan` makes of it, re-reading once if a probe or
/// scan committed in between.
async fn commit_fresh<S: Integrations + ProbeResults>(
    store: &S,
    id: &str,
    plan: impl Fn(&IntegrationRecord) -> Option<StateCommit>,
) -> Result<(), StoreError> {
    for _ in 0..3 {
        let Some(record) = store.get_integration(id).await? else {
            return Ok(());
        };
        let Some(commit) = plan(&record) else {
            return Ok(());
        };
        if store.commit(&commit).await? == CommitOutcome::Applied {
            return Ok(());
        }
    }
    Err(StoreError::conflict(format!(
        "integration {id} kept changing while being applied (probes committing); run apply again"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::state::CheckState;
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

    #[tokio::test]
    async fn apply_reports_every_item_and_one_failure_stops_nothing() {
        use crate::store::memory::MemoryStore;
        let store = MemoryStore::new();
        let desired = inventory(&[("a", "A"), ("b", "B")]);
        // "ghost" is not in the store: retiring it fails, in the middle of the apply.
        let plan = SyncPlan {
            added: vec!["a".into(), "b".into()],
            retired: vec!["ghost".into()],
            teams_added: vec!["ops".into()],
            ..SyncPlan::default()
        };
        let results = apply(&store, &desired, &plan, Utc::now()).await;
        let summary: Vec<(&str, &str, bool)> = results
            .iter()
            .map(|r| (r.item.as_str(), r.action, r.error.is_none()))
            .collect();
        assert_eq!(
            summary,
            [
                ("team ops", "team added", true),
                ("integration a", "added", true),
                ("integration b", "added", true),
                ("integration ghost", "retired", false),
            ]
        );
        assert!(results[3].error.as_deref().unwrap().contains("ghost"));
        assert_eq!(store.list_integrations().await.unwrap().records.len(), 2);
    }

    #[tokio::test]
    async fn retiring_resolves_the_integrations_passive_incidents_too() {
        use crate::domain::passive::{PassiveCommit, PassivePattern, PassiveState};
        use crate::store::PassiveRecords;
        use crate::store::memory::MemoryStore;
        let store = MemoryStore::new();
        let now = Utc::now();
        let desired = inventory(&[("a", "A")]);
        let added = SyncPlan {
            added: vec!["a".into()],
            teams_added: vec!["ops".into()],
            ..SyncPlan::default()
        };
        apply(&store, &desired, &added, now).await;
        use crate::domain::incident::{CheckKind, IncidentChange};
        let mut incident = crate::notify::fixtures::incident(
            CheckKind::Passive,
            PassivePattern::ReportedAuthFailure.class(),
        );
        incident.id = PassivePattern::ReportedAuthFailure.incident_id("a");
        incident.integration = "a".into();
        store
            .commit_passive(&PassiveCommit {
                integration: "a".into(),
                expected_version: 0,
                state: PassiveState::default(),
                incidents: vec![IncidentChange::Opened(incident.clone())],
            })
            .await
            .unwrap();
        let retired = SyncPlan {
            retired: vec!["a".into()],
            ..SyncPlan::default()
        };
        let results = apply(&store, &inventory(&[]), &retired, now).await;
        assert!(results.iter().all(|r| r.error.is_none()), "{results:?}");
        let after = store.incidents_of("a").await.unwrap();
        let passive = after.iter().find(|i| i.id == incident.id).expect("kept");
        assert!(!passive.open, "{passive:?}");
    }

    #[tokio::test]
    async fn pruning_revokes_the_integrations_ingest_tokens() {
        use crate::domain::passive::IngestToken;
        use crate::store::memory::MemoryStore;
        let store = MemoryStore::new();
        let now = Utc::now();
        let added = SyncPlan {
            added: vec!["a".into()],
            teams_added: vec!["ops".into()],
            ..SyncPlan::default()
        };
        apply(&store, &inventory(&[("a", "A")]), &added, now).await;
        let token = IngestToken {
            hash: "ab".repeat(32),
            integration: "a".into(),
            created_at: now,
        };
        store.put_ingest_token(&token).await.unwrap();
        let pruned = SyncPlan {
            pruned: vec!["a".into()],
            ..SyncPlan::default()
        };
        let results = apply(&store, &inventory(&[]), &pruned, now).await;
        assert!(results.iter().all(|r| r.error.is_none()), "{results:?}");
        assert_eq!(store.ingest_token(&token.hash).await.unwrap(), None);
    }

    #[test]
    fn unreadable_items_are_repaired_when_in_the_inventory_else_left_or_pruned() {
        let desired = inventory(&[("a", "A")]);
        let bad = |id: &str| UnreadableIntegration {
            id: id.into(),
            field: "version".into(),
            problem: "is missing".into(),
        };
        let unreadable = [bad("a"), bad("z")];
        let kept = plan(&desired, &[], &unreadable, &desired.teams, false);
        assert_eq!(
            (kept.repaired.as_slice(), kept.unreadable.as_slice()),
            (&["a".to_string()][..], &["z".to_string()][..])
        );
        assert!(
            kept.added.is_empty(),
            "a repaired item is not also added: {kept:?}"
        );
        let pruned = plan(&desired, &[], &unreadable, &desired.teams, true);
        assert_eq!(pruned.pruned, ["z"]);
    }

    #[test]
    fn first_apply_adds_everything() {
        let desired = inventory(&[("a", "A"), ("b", "B")]);
        let plan = plan(&desired, &[], &[], &[], false);
        assert_eq!(plan.added, ["a", "b"]);
        assert_eq!(plan.teams_added, ["ops", "crm"]);
        assert!(!plan.is_empty());
    }

    #[test]
    fn changes_name_their_fields_and_removals_retire_unless_pruned() {
        let before = inventory(&[("a", "A"), ("b", "B"), ("c", "C")]);
        let after = inventory(&[("a", "A renamed"), ("b", "B")]);
        let current = stored(&before, &[]);
        let plan_keep = plan(&after, &current, &[], &before.teams, false);
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

        let plan_prune = plan(&after, &current, &[], &before.teams, true);
        assert_eq!(plan_prune.pruned, ["c"]);
        assert!(plan_prune.retired.is_empty());
    }

    #[test]
    fn a_retired_integration_coming_back_is_reactivated_and_an_applied_inventory_is_a_no_op() {
        let desired = inventory(&[("a", "A")]);
        let plan_back = plan(
            &desired,
            &stored(&desired, &["a"]),
            &[],
            &desired.teams,
            false,
        );
        assert_eq!(plan_back.reactivated, ["a"]);
        let same = plan(&desired, &stored(&desired, &[]), &[], &desired.teams, false);
        assert!(same.is_empty(), "{same:?}");
        assert_eq!(same.unchanged, 1);
        // Already retired and still absent: nothing more to do without --prune.
        let gone = plan(
            &inventory(&[]),
            &stored(&desired, &["a"]),
            &[],
            &desired.teams,
            false,
        );
        assert!(gone.retired.is_empty());
    }

    /// A change of any alert-operations field is a change: an integration's `maintenance` is
    /// named, and a team's notify settings, escalation targets or windows mark it changed.
    #[test]
    fn alerting_fields_are_changes() {
        use crate::inventory::MaintenanceWindow;
        let before = inventory(&[("a", "A")]);
        let window = MaintenanceWindow {
            days: Vec::new(),
            start: chrono::NaiveTime::from_hms_opt(2, 0, 0).expect("a time"),
            duration: std::time::Duration::from_secs(3600),
            timezone: None,
        };
        let mut after = before.clone();
        after.integrations[0].maintenance = vec![window.clone()];
        let changed = plan(&after, &stored(&before, &[]), &[], &before.teams, false);
        assert_eq!(
            changed.changed,
            [ChangedIntegration {
                id: "a".into(),
                fields: vec!["maintenance"]
            }]
        );
        let team_changes: [fn(&mut crate::inventory::Team); 9] = [
            |t| t.notify.slack_webhook = Some("credwatch/slack/x".into()),
            |t| t.notify.remind_after = vec![std::time::Duration::from_secs(3600)],
            |t| t.notify.remind_max = Some(3),
            |t| t.notify.group_wait = std::time::Duration::ZERO,
            |t| t.notify.group_min = 5,
            |t| t.escalate_to = Some("crm".into()),
            |t| t.after_hours_to = Some("crm".into()),
            |t| {
                t.maintenance = vec![MaintenanceWindow {
                    days: Vec::new(),
                    start: chrono::NaiveTime::MIN,
                    duration: std::time::Duration::from_secs(60),
                    timezone: None,
                }]
            },
            |t| t.escalate_after = Some(std::time::Duration::from_secs(60)),
        ];
        for (n, change) in team_changes.iter().enumerate() {
            let mut after = before.clone();
            change(&mut after.teams[0]);
            let plan = plan(&after, &stored(&before, &[]), &[], &before.teams, false);
            assert_eq!(plan.teams_changed, ["ops"], "change {n}");
        }
    }
}
