//! The expiry scan: for every integration, the client-secret expiry countdown and the
//! dead-man's switch, committed through the same state and incident model as the probe.
//! Idempotent: a second scan with nothing new changes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::domain::incident::IncidentChange;
use crate::domain::state::{Health, StateCommit, Threshold};
use crate::jobs::corrupt::reconcile_corrupt_incidents;
use crate::jobs::panic::contain_panic;
use crate::rules::{deadman, expiry};
use crate::store::{
    CommitOutcome, Incidents, IntegrationRecord, Integrations, ProbeResults, StoreError,
    UnreadableIntegration, UnreadableItem,
};
use crate::telemetry::emf::{Metric, MetricSet};
use crate::telemetry::metrics;

/// Attempts to commit one integration when other writers (the probe) keep changing it.
const COMMIT_ATTEMPTS: usize = 3;

/// What a scan found and did: the expiry-scan function's return value and metrics source.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanSummary {
    /// Active integrations scanned (retired ones are committed, not counted).
    pub scanned: usize,
    /// Incidents opened (expiry, dead-man's switch, unreadable items).
    pub opened: usize,
    /// Expiry incidents stepped to a more urgent threshold.
    pub stepped: usize,
    /// Incidents resolved.
    pub resolved: usize,
    /// Secrets inside their warning window, expired, and of unknown expiry.
    pub expiring: usize,
    /// Secrets past their expiry day.
    pub expired: usize,
    /// Secrets whose expiry date nothing tells.
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
    /// Per-integration store failures, each naming the integration; never fatal.
    pub errors: Vec<String>,
    /// Every incident change the scan committed, in order; each serialized as
    /// `{integration, incident, change: opened|stepped|resolved, class, threshold_days}`
    /// ([`change_name`]; `class` is empty for a resolution).
    #[serde(serialize_with = "serialize_changes")]
    pub changes: Vec<IncidentChange>,
    /// Days to expiry of each active integration whose date is known (for metrics).
    #[serde(skip)]
    pub days_to_expiry: Vec<(String, i64)>,
    /// Active integrations per health (`Health::as_str`) as listed at the scan, before its own
    /// commits (for metrics: integrations by health).
    #[serde(skip)]
    pub by_health: BTreeMap<&'static str, usize>,
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
            *summary
                .by_health
                .entry(record.state.health().as_str())
                .or_default() += 1;
            count_expiry(record, now, &mut summary);
        }
        // A panic while committing one integration is its error, never the end of the scan.
        let committed = contain_panic(async { Ok(commit_with_retry(store, record, now).await) })
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

/// Pure: the commit one scan makes for one integration, or `None` when nothing changes.
pub fn plan_scan(record: &IntegrationRecord, now: DateTime<Utc>) -> Option<StateCommit> {
    let integration = &record.integration;
    let mut state = record.state.clone();
    let mut incidents = Vec::new();

    if record.retired {
        incidents = deadman::retire_state(integration, &mut state, now);
    } else {
        let mut seq = state.incident_seq;
        let (expiry, changes) = expiry::evaluate(
            &state.expiry,
            integration,
            record.secret_rotated_seen_at,
            now,
            &mut seq,
        );
        state.expiry = expiry;
        incidents.extend(changes);
        incidents.extend(deadman::check_stale(
            integration,
            &mut state,
            record.added_at,
            now,
            &mut seq,
        ));
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

fn count_expiry(record: &IntegrationRecord, now: DateTime<Utc>, summary: &mut ScanSummary) {
    let integration = &record.integration;
    match expiry::expiry_date(integration, record.secret_rotated_seen_at) {
        None => summary.unknown += 1,
        Some(date) => {
            let days = expiry::days_until(date, now.date_naive());
            summary.days_to_expiry.push((integration.id.clone(), days));
            match expiry::most_urgent_crossed(days, &integration.expiry_warn_days) {
                Some(Threshold::Expired) => summary.expired += 1,
                Some(_) => summary.expiring += 1,
                None => {}
            }
        }
    }
    if deadman::stale_reason(
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
    for change in &commit.incidents {
        match change {
            IncidentChange::Opened(_) => summary.opened += 1,
            IncidentChange::Changed { .. } => summary.stepped += 1,
            IncidentChange::Resolved { .. } => summary.resolved += 1,
        }
        summary.changes.push(change.clone());
    }
}

/// How the scan's output names a change: `opened`, `stepped` (an expiry threshold step; the
/// scan makes no other in-place change) or `resolved`.
pub fn change_name(change: &IncidentChange) -> &'static str {
    match change {
        IncidentChange::Opened(_) => "opened",
        IncidentChange::Changed { .. } => "stepped",
        IncidentChange::Resolved { .. } => "resolved",
    }
}

/// The scan output's line for one change: its class (empty for a resolution, as the scan has
/// always written) and expiry threshold (days) after the change.
pub fn change_class_and_threshold(change: &IncidentChange) -> (&'static str, Option<u32>) {
    match change {
        IncidentChange::Opened(incident) => (incident.class.as_str(), incident.threshold_days),
        IncidentChange::Changed {
            class,
            threshold_days,
            ..
        } => (class.as_str(), *threshold_days),
        IncidentChange::Resolved { .. } => ("", None),
    }
}

/// Serializes [`ScanSummary::changes`] in the scan's output shape.
fn serialize_changes<S: Serializer>(
    changes: &[IncidentChange],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    struct Line<'a>(&'a IncidentChange);
    impl Serialize for Line<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let change = self.0;
            let (class, threshold_days) = change_class_and_threshold(change);
            let mut line = serializer.serialize_struct("ScanChange", 5)?;
            line.serialize_field("integration", change.id().integration())?;
            line.serialize_field("incident", change.id())?;
            line.serialize_field("change", change_name(change))?;
            line.serialize_field("class", class)?;
            line.serialize_field("threshold_days", &threshold_days)?;
            line.end()
        }
    }
    serializer.collect_seq(changes.iter().map(Line))
}

impl ScanSummary {
    /// The metrics of one scan: totals with a `Heartbeat` of 1, then `Integrations` per
    /// `Health` (every health, zeros too, so a dashboard's lines fall to 0 rather than stop),
    /// then `DaysToExpiry` per integration whose date is known (for upcoming rotations).
    pub fn metrics(&self) -> Vec<MetricSet> {
        let mut sets = vec![MetricSet {
            dimensions: vec![],
            metrics: vec![
                Metric::count(metrics::HEARTBEAT, 1),
                Metric::count(metrics::INTEGRATIONS_SCANNED, self.scanned),
                Metric::count(metrics::SECRETS_EXPIRING_SOON, self.expiring),
                Metric::count(metrics::SECRETS_EXPIRED, self.expired),
                Metric::count(metrics::SECRET_EXPIRY_UNKNOWN, self.unknown),
                Metric::count(metrics::STALE_INTEGRATIONS, self.stale),
                Metric::count(metrics::INCIDENTS_OPENED, self.opened),
                Metric::count(metrics::INCIDENTS_STEPPED, self.stepped),
                Metric::count(metrics::INCIDENTS_RESOLVED, self.resolved),
                Metric::count(metrics::STORE_ERRORS, self.errors.len()),
                Metric::count(
                    metrics::CORRUPT_ITEMS,
                    self.unreadable.len() + self.unreadable_incidents.len(),
                ),
            ],
        }];
        sets.extend(Health::ALL.into_iter().map(|health| MetricSet {
            dimensions: vec![(metrics::HEALTH, health.as_str().to_string())],
            metrics: vec![Metric::count(
                metrics::INTEGRATIONS,
                self.by_health.get(health.as_str()).copied().unwrap_or(0),
            )],
        }));
        sets.extend(
            self.days_to_expiry
                .iter()
                .map(|(integration, days)| MetricSet {
                    dimensions: vec![(metrics::INTEGRATION, integration.clone())],
                    metrics: vec![Metric::count(metrics::DAYS_TO_EXPIRY, *days)],
                }),
        );
        sets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::{CheckKind, PLATFORM_TEAM};
    use crate::domain::severity::Severity;
    use crate::domain::state::CheckState;
    use crate::inventory::{LoadOptions, parse_inventory_on};
    use crate::telemetry::emf;
    use serde_json::{Value, json};

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
        let [IncidentChange::Opened(incident)] = commit.incidents.as_slice() else {
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
        let [IncidentChange::Opened(incident)] = commit.incidents.as_slice() else {
            panic!("{commit:?}")
        };
        assert_eq!(
            (incident.check, incident.class.as_str()),
            (CheckKind::Monitor, "not_probed")
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
            matches!(commit.incidents.as_slice(), [IncidentChange::Resolved { id, .. }] if id == "crm:monitor:1")
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
            matches!(commit.incidents.as_slice(), [IncidentChange::Resolved { id, .. }] if id == "crm:expiry:1")
        );
        it.state = commit.state;
        assert_eq!(plan_scan(&it, now()), None);
        // Back in the inventory with the same, still expiring secret: it warns again.
        it.retired = false;
        let commit = plan_scan(&it, now()).unwrap();
        assert!(
            matches!(commit.incidents.as_slice(), [IncidentChange::Opened(incident)] if incident.id == "crm:expiry:2"),
            "{commit:?}"
        );
    }

    #[test]
    fn expiry_scan_emf_reports_days_to_expiry_per_integration() {
        let summary = ScanSummary {
            scanned: 2,
            expiring: 1,
            days_to_expiry: vec![("crm".into(), 12), ("loyalty".into(), -3)],
            ..Default::default()
        };
        let now = DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc();
        let lines = emf::lines("credwatch-expiry-scan", &summary.metrics(), now);
        // Totals, one line per health, one per integration with a known date.
        assert_eq!(lines.len(), 1 + 5 + 2);
        let totals: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(totals["Heartbeat"], 1);
        assert_eq!(totals["SecretsExpiringSoon"], 1);
        let loyalty: Value = serde_json::from_str(&lines[7]).unwrap();
        assert_eq!(loyalty["Integration"], "loyalty");
        assert_eq!(loyalty["DaysToExpiry"], -3);
        assert_eq!(
            loyalty["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function", "Integration"]])
        );
    }

    /// The scan emits exactly the expiry scan's entries of the metric catalogue (the names
    /// the template's alarms and dashboard are checked against).
    #[test]
    fn a_scan_emits_exactly_the_catalogued_expiry_scan_metrics() {
        let summary = ScanSummary {
            days_to_expiry: vec![("crm".into(), 12)],
            ..Default::default()
        };
        assert_eq!(
            metrics::declared(&summary.metrics()),
            metrics::catalogued(metrics::EXPIRY_SCAN)
        );
    }

    /// Integrations by health: the active integrations as listed, by the worse of their two
    /// tracks; a retired one is not counted; every health gets a line, zeros too.
    #[tokio::test]
    async fn the_scan_counts_active_integrations_by_health() {
        use crate::store::memory::MemoryStore;

        let store = MemoryStore::new();
        let base = record("", "2026-11-01T00:00:00Z", Some("2026-11-28T11:55:00Z"));
        let cases = [
            ("a", Health::Healthy, Health::Healthy, false),
            ("b", Health::Healthy, Health::Healthy, false),
            ("c", Health::Firing, Health::Healthy, false),
            ("d", Health::Healthy, Health::Pending, false),
            ("e", Health::Firing, Health::Healthy, true),
        ];
        for (id, auth, monitor, retired) in cases {
            let mut integration = base.integration.clone();
            integration.id = id.to_string();
            let mut state = base.state.clone();
            state.auth.health = auth;
            state.monitor.health = monitor;
            store
                .replace_integration(&integration, now(), &state)
                .await
                .unwrap();
            if retired {
                store.retire_integration(id, now()).await.unwrap();
            }
        }
        let summary = run_scan(&store, now()).await.unwrap();
        assert_eq!(summary.scanned, 4);
        let lines = emf::lines("credwatch-expiry-scan", &summary.metrics(), now());
        let by_health: BTreeMap<String, i64> = lines
            .iter()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|doc| doc.get("Health").is_some())
            .map(|doc| {
                assert_eq!(
                    doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
                    json!([["Function", "Health"]])
                );
                (
                    doc["Health"].as_str().unwrap().to_string(),
                    doc["Integrations"].as_i64().unwrap(),
                )
            })
            .collect();
        let expected: BTreeMap<String, i64> = [
            ("unknown", 0),
            ("healthy", 2),
            ("pending", 1),
            ("firing", 1),
            ("recovering", 0),
        ]
        .into_iter()
        .map(|(health, n)| (health.to_string(), n))
        .collect();
        assert_eq!(by_health, expected);
    }
}
