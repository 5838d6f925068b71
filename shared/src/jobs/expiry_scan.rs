//! The expiry scan: for every integration, the client-secret expiry countdown and the
//! dead-man's switch, committed through the same state and incident model as the probe.
//! Idempotent: a second scan with nothing new changes nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::jobs::corrupt::reconcile_corrupt_incidents;
use crate::rules::expiry::{self, ExpiryChange};
use crate::rules::health::{CheckKind, CheckState, incident_id};
use crate::store::{
    CommitOutcome, Incident, IncidentWrite, Incidents, IntegrationRecord, Integrations,
    ProbeResults, StateCommit, StoreError, UnreadableIntegration, UnreadableItem,
};

/// Incident class of the dead-man's switch (a `monitor` incident).
pub const NOT_PROBED: &str = "not_probed";

/// Attempts to commit one integration when other writers (the probe) keep changing it.
const COMMIT_ATTEMPTS: usize = 3;

/// One incident change a scan made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanChange {
    pub integration: String,
    pub incident: String,
    /// `opened`, `stepped` or `resolved`.
    pub change: &'static str,
    pub class: String,
    pub threshold_days: Option<u32>,
}

/// What a scan found and did: the expiry-scan function's return value and metrics source.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanSummary {
    pub scanned: usize,
    pub opened: usize,
    pub stepped: usize,
    pub resolved: usize,
    /// Secrets inside their warning window, expired, and of unknown expiry.
    pub expiring: usize,
    pub expired: usize,
    pub unknown: usize,
    /// Integrations credwatch has not checked for too long (dead-man's switch).
    pub stale: usize,
    /// Integrations left for the next scan because other writers kept winning.
    pub conflicts: usize,
    /// Integration items that cannot be read: skipped, reported as `corrupt_item` incidents.
    pub unreadable: Vec<UnreadableIntegration>,
    /// Open incident items that cannot be read: reported as their integration's `corrupt_item`
    /// incident.
    pub unreadable_incidents: Vec<UnreadableItem>,
    pub errors: Vec<String>,
    pub changes: Vec<ScanChange>,
    /// Days to expiry of each active integration whose date is known (for metrics).
    #[serde(skip)]
    pub days_to_expiry: Vec<(String, i64)>,
}

/// Scans every integration at `now`. Fails only if the integrations cannot be listed.
pub async fn run_scan<S: Integrations + ProbeResults + Incidents>(
    store: &S,
    now: DateTime<Utc>,
) -> Result<ScanSummary, StoreError> {
    let listing = store.list_integrations().await?;
    let mut summary = ScanSummary::default();
    let corrupt = reconcile_corrupt_incidents(store, &listing, now).await;
    summary.opened += corrupt.opened;
    summary.resolved += corrupt.resolved;
    summary.errors.extend(corrupt.errors);
    summary.unreadable = listing.unreadable.clone();
    summary.unreadable_incidents = corrupt.unreadable_incidents;
    for record in &listing.records {
        if !record.retired {
            summary.scanned += 1;
            count_expiry(record, now, &mut summary);
        }
        // A panic while committing one integration is its error, never the end of the scan.
        let committed = crate::jobs::probe_cycle::contain_panic(async {
            Ok(commit_with_retry(store, record, now).await)
        })
        .await
        .unwrap_or_else(|err| Err(ScanError::Store(err)));
        match committed {
            Ok(Some(commit)) => record_changes(&commit, &mut summary),
            Ok(None) => {}
            Err(ScanError::Conflict) => summary.conflicts += 1,
            Err(ScanError::Store(err)) => summary
                .errors
                .push(format!("{}: {err}", record.integration.id)),
        }
    }
    Ok(summary)
}

enum ScanError {
    Conflict,
    Store(StoreError),
}

/// Plans and commits one integration, re-reading it when a concurrent probe won the version.
async fn commit_with_retry<S: Integrations + ProbeResults>(
    store: &S,
    record: &IntegrationRecord,
    now: DateTime<Utc>,
) -> Result<Option<StateCommit>, ScanError> {
    let mut current = record.clone();
    for _ in 0..COMMIT_ATTEMPTS {
        let Some(commit) = plan_scan(&current, now) else {
            return Ok(None);
        };
        match store.commit(&commit).await.map_err(ScanError::Store)? {
            CommitOutcome::Applied => return Ok(Some(commit)),
            CommitOutcome::Conflict => {
                current = match store
                    .get_integration(&record.integration.id)
                    .await
                    .map_err(ScanError::Store)?
                {
                    Some(fresh) => fresh,
                    None => return Ok(None),
                };
            }
        }
    }
    Err(ScanError::Conflict)
}

/// Pure: what retiring does to an integration's state: every open incident (auth, monitor,
/// expiry, dead-man's switch) resolved, saying why, and every track forgotten, so that if the
/// integration comes back it is watched afresh (and warns again) rather than staying silent.
pub fn retire_state(
    record: &IntegrationRecord,
    state: &mut CheckState,
    now: DateTime<Utc>,
) -> Vec<IncidentWrite> {
    let message = format!(
        "{} is no longer in the inventory, so credwatch no longer watches it",
        record.integration.name
    );
    let open = [
        state.auth.open_incident.take(),
        state.monitor.open_incident.take(),
        state.expiry.open_incident.take(),
        state.stale_incident.take(),
    ];
    state.auth = Default::default();
    state.monitor = Default::default();
    state.expiry = Default::default();
    open.into_iter()
        .flatten()
        .map(|id| IncidentWrite::Resolve {
            id,
            message: message.clone(),
            at: now,
        })
        .collect()
}

/// Pure: the commit one scan makes for one integration, or `None` when nothing changes.
pub fn plan_scan(record: &IntegrationRecord, now: DateTime<Utc>) -> Option<StateCommit> {
    let integration = &record.integration;
    let mut state = record.state.clone();
    let mut incidents = Vec::new();

    if record.retired {
        incidents = retire_state(record, &mut state, now);
    } else {
        let mut seq = state.incident_seq;
        let (expiry, changes) = expiry::evaluate(
            &state.expiry,
            integration,
            record.secret_rotated_seen_at,
            now.date_naive(),
            &mut seq,
        );
        state.expiry = expiry;
        incidents.extend(
            changes
                .into_iter()
                .map(|change| expiry_write(record, change, now)),
        );

        let stale = expiry::stale_reason(
            &integration.name,
            integration.probe_every,
            state.last_probe_at,
            record.added_at,
            now,
        );
        match (stale, state.stale_incident.clone()) {
            (Some(message), None) => {
                seq = seq.saturating_add(1);
                let id = incident_id(&integration.id, CheckKind::Monitor, seq);
                state.stale_incident = Some(id.clone());
                incidents.push(IncidentWrite::Open(Incident::for_platform(
                    id,
                    &integration.id,
                    NOT_PROBED,
                    message,
                    now,
                )));
            }
            (None, Some(open)) => {
                state.stale_incident = None;
                incidents.push(IncidentWrite::Resolve {
                    id: open,
                    message: format!("credwatch is checking {} again", integration.name),
                    at: now,
                });
            }
            _ => {}
        }
        state.incident_seq = seq;
    }

    if incidents.is_empty() && state == record.state {
        return None;
    }
    Some(StateCommit {
        integration: integration.id.clone(),
        expected_version: record.state.version,
        state,
        incidents,
    })
}

fn expiry_write(
    record: &IntegrationRecord,
    change: ExpiryChange,
    now: DateTime<Utc>,
) -> IncidentWrite {
    let integration = &record.integration;
    match change {
        ExpiryChange::Open {
            incident_id,
            threshold,
            severity,
            message,
        } => IncidentWrite::Open(Incident {
            id: incident_id,
            integration: integration.id.clone(),
            check: CheckKind::Expiry,
            class: threshold.class().to_string(),
            severity,
            team: integration.owner.clone(),
            open: true,
            opened_at: now,
            updated_at: now,
            resolved_at: None,
            threshold_days: threshold.days(),
            message,
            http_status: None,
        }),
        ExpiryChange::Step {
            incident_id,
            threshold,
            severity,
            message,
        } => IncidentWrite::Update {
            id: incident_id,
            class: threshold.class().to_string(),
            message,
            http_status: None,
            severity,
            threshold_days: threshold.days(),
            at: now,
        },
        ExpiryChange::Resolve {
            incident_id,
            message,
        } => IncidentWrite::Resolve {
            id: incident_id,
            message,
            at: now,
        },
    }
}

fn count_expiry(record: &IntegrationRecord, now: DateTime<Utc>, summary: &mut ScanSummary) {
    let integration = &record.integration;
    match expiry::expiry_date(integration, record.secret_rotated_seen_at) {
        None => summary.unknown += 1,
        Some(date) => {
            let days = expiry::days_until(date, now.date_naive());
            summary.days_to_expiry.push((integration.id.clone(), days));
            match expiry::most_urgent_crossed(days, &integration.expiry_warn_days) {
                Some(expiry::Threshold::Expired) => summary.expired += 1,
                Some(_) => summary.expiring += 1,
                None => {}
            }
        }
    }
    if expiry::stale_reason(
        &integration.name,
        integration.probe_every,
        record.state.last_probe_at,
        record.added_at,
        now,
    )
    .is_some()
    {
        summary.stale += 1;
    }
}

fn record_changes(commit: &StateCommit, summary: &mut ScanSummary) {
    for write in &commit.incidents {
        let (incident, change, class, threshold_days) = match write {
            IncidentWrite::Open(incident) => {
                summary.opened += 1;
                (
                    incident.id.clone(),
                    "opened",
                    incident.class.clone(),
                    incident.threshold_days,
                )
            }
            IncidentWrite::Update {
                id,
                class,
                threshold_days,
                ..
            } => {
                summary.stepped += 1;
                (id.clone(), "stepped", class.clone(), *threshold_days)
            }
            IncidentWrite::Resolve { id, .. } => {
                summary.resolved += 1;
                (id.clone(), "resolved", String::new(), None)
            }
        };
        summary.changes.push(ScanChange {
            integration: commit.integration.clone(),
            incident,
            change,
            class,
            threshold_days,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Severity;
    use crate::inventory::{LoadOptions, parse_inventory_on};
    use crate::rules::health::CheckState;
    use crate::store::PLATFORM_TEAM;

    fn record(extra: &str, added: &str, last_probe: Option<&str>) -> IntegrationRecord {
        let yaml = format!(
            "version: 1\nteams: [{{id: ops, name: Ops}}]\nintegrations:\n  - id: crm\n    name: CRM sync\n    owner: ops\n    severity: high\n    auth_url: http://127.0.0.1:1/\n    client_id: c\n    client_secret: {{ env: S }}\n{extra}"
        );
        let today = "2026-11-28".parse().unwrap();
        let inventory = parse_inventory_on(
            &yaml,
            &LoadOptions {
                allow_any_endpoint: true,
            },
            today,
        )
        .unwrap()
        .inventory;
        IntegrationRecord {
            integration: inventory.integrations[0].clone(),
            state: CheckState {
                last_probe_at: last_probe.map(|t| t.parse().unwrap()),
                ..CheckState::default()
            },
            retired: false,
            added_at: added.parse().unwrap(),
            secret_rotated_seen_at: None,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_secret_inside_its_window_opens_an_expiry_incident_for_the_owner() {
        let it = record(
            "    secret_expires_at: 2026-12-08\n",
            "2026-11-01T00:00:00Z",
            Some("2026-11-28T11:55:00Z"),
        );
        let commit = plan_scan(&it, now()).unwrap();
        let [IncidentWrite::Open(incident)] = commit.incidents.as_slice() else {
            panic!("{commit:?}")
        };
        assert_eq!(incident.id, "crm:expiry:1");
        assert_eq!(
            (incident.class.as_str(), incident.threshold_days),
            ("secret_expiring", Some(14))
        );
        assert_eq!(incident.team, "ops");
        assert_eq!(
            incident.severity,
            Severity::Medium,
            "14 days: medium, below the integration's high"
        );
        assert_eq!(commit.state.incident_seq, 1);
        // Applied, the same scan again plans nothing.
        let mut after = it.clone();
        after.state = commit.state;
        assert_eq!(plan_scan(&after, now()), None);
    }

    #[test]
    fn the_dead_mans_switch_opens_for_the_platform_and_resolves_when_probes_resume() {
        let it = record(
            "    secret_expires_at: 2027-06-01\n",
            "2026-11-01T00:00:00Z",
            Some("2026-11-28T10:00:00Z"),
        );
        let commit = plan_scan(&it, now()).unwrap();
        let [IncidentWrite::Open(incident)] = commit.incidents.as_slice() else {
            panic!("{commit:?}")
        };
        assert_eq!(
            (incident.check, incident.class.as_str()),
            (CheckKind::Monitor, NOT_PROBED)
        );
        assert_eq!(incident.team, PLATFORM_TEAM);
        assert!(
            incident
                .message
                .contains("has not checked CRM sync since 2026-11-28 10:00 UTC"),
            "{}",
            incident.message
        );
        let mut resumed = it.clone();
        resumed.state = commit.state;
        resumed.state.last_probe_at = Some("2026-11-28T11:59:00Z".parse().unwrap());
        let commit = plan_scan(&resumed, now()).unwrap();
        assert!(
            matches!(commit.incidents.as_slice(), [IncidentWrite::Resolve { id, .. }] if id == "crm:monitor:1")
        );
        assert_eq!(commit.state.stale_incident, None);
    }

    #[test]
    fn retired_integrations_close_their_expiry_incidents_and_are_not_counted() {
        let mut it = record(
            "    secret_expires_at: 2026-12-01\n",
            "2026-11-01T00:00:00Z",
            Some("2026-11-28T11:55:00Z"),
        );
        let opened = plan_scan(&it, now()).unwrap();
        it.state = opened.state;
        it.retired = true;
        let commit = plan_scan(&it, now()).unwrap();
        assert!(
            matches!(commit.incidents.as_slice(), [IncidentWrite::Resolve { id, .. }] if id == "crm:expiry:1")
        );
        it.state = commit.state;
        assert_eq!(plan_scan(&it, now()), None);
        // Back in the inventory with the same, still expiring secret: it warns again.
        it.retired = false;
        let commit = plan_scan(&it, now()).unwrap();
        assert!(
            matches!(commit.incidents.as_slice(), [IncidentWrite::Open(incident)] if incident.id == "crm:expiry:2"),
            "{commit:?}"
        );
    }
}
