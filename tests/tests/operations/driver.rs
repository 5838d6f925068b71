//! The alert fan-out run in process, one simulated minute at a time: the scenario's writes to
//! the in-memory store, the incident changes they make handed to `handle_records` (what the
//! table's stream delivers), then a sweep, as the deployed functions do every minute. Every
//! published message is kept with the minute it went out.

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{
    Acknowledgement, CheckKind, Incident, IncidentChange, IncidentClass, IncidentId,
};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::severity::Severity;
use credwatch::domain::state::StateCommit;
use credwatch::inventory::{Integration, Notify, Team};
use credwatch::jobs::fanout::{StreamChange, StreamContent, handle_records, sweep};
use credwatch::notify::memory::MemoryPublisher;
use credwatch::secrets::SecretSource;
use credwatch::store::memory::MemoryStore;
use credwatch::store::{AckOutcome, CommitOutcome, Incidents, Integrations, ProbeResults, Teams};

/// One published message as a team receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The sweep or stream minute it was published at.
    pub at: DateTime<Utc>,
    /// The `team` attribute (who receives it).
    pub team: String,
    /// The `event` attribute.
    pub event: String,
    /// The `integration` attribute.
    pub integration: String,
    /// The `incident_id` attribute.
    pub incident_id: String,
    /// The `notification_id` attribute.
    pub notification_id: String,
    /// The subject and the message body, as published.
    pub text: String,
}

/// The store, the publisher and what was sent so far.
pub struct World {
    pub store: MemoryStore,
    pub publisher: MemoryPublisher,
    pub sent: Vec<Sent>,
    records: u64,
}

/// A team with no business hours, no escalation and the default notify block.
pub fn team(id: &str) -> Team {
    Team {
        id: id.to_string(),
        name: format!("team {id}"),
        timezone: None,
        business_hours: None,
        escalate_after: None,
        escalate_to: None,
        after_hours_to: None,
        maintenance: Vec::new(),
        notify: Notify::default(),
    }
}

/// Integration `id` of `owner` with its own Client Id on the usual auth host.
pub fn integration(id: &str, owner: &str, severity: Severity) -> Integration {
    Integration {
        id: id.to_string(),
        name: format!("{id} feed"),
        owner: owner.to_string(),
        severity,
        auth_url: url::Url::parse(
            "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/",
        )
        .expect("a valid URL"),
        client_id: format!("client-{id}"),
        client_secret: SecretSource::Env(format!("SECRET_{id}")),
        account_id: Some(7281698),
        expected_scopes: Vec::new(),
        secret_rotated_at: None,
        secret_expires_at: None,
        depends_on: Vec::new(),
        records_per_hour: None,
        runbook: None,
        probe_every: std::time::Duration::from_secs(900),
        recheck_every: std::time::Duration::from_secs(120),
        expiry_warn_days: vec![30, 14, 7, 3, 1],
        secret_lifetime_days: 180,
        maintenance: Vec::new(),
        ingest: Default::default(),
    }
}

/// The auth incident `seq` of `integration` owned by `team`, opening at `at`.
pub fn incident(
    integration: &str,
    seq: u32,
    team: &str,
    class: OutcomeClass,
    severity: Severity,
    at: DateTime<Utc>,
) -> Incident {
    Incident {
        id: IncidentId::new(integration, CheckKind::Auth, seq),
        integration: integration.to_string(),
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(class),
        severity,
        team: team.to_string(),
        open: true,
        opened_at: at,
        updated_at: at,
        resolved_at: None,
        threshold_days: None,
        message: format!("SFMC refused {integration}'s token request."),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

impl World {
    /// An empty store with `teams` and `integrations` on record.
    pub async fn new(teams: &[Team], integrations: &[Integration], t0: DateTime<Utc>) -> World {
        let store = MemoryStore::new();
        for team in teams {
            store
                .put_team(team)
                .await
                .expect("the memory store keeps teams");
        }
        for integration in integrations {
            store
                .put_integration(integration, t0, t0)
                .await
                .expect("the memory store keeps integrations");
        }
        World {
            store,
            publisher: MemoryPublisher::new(),
            sent: Vec::new(),
            records: 0,
        }
    }

    /// Opens `incident` (its integration must be on record), as a probe's state commit does.
    pub async fn open(&self, incident: &Incident) {
        self.commit(
            &incident.integration,
            IncidentChange::Opened(incident.clone()),
        )
        .await;
    }

    /// Changes open incident `id`'s class at `at`, as a probe's state commit does.
    pub async fn change(&self, id: &IncidentId, class: OutcomeClass, at: DateTime<Utc>) {
        let now = self.incident(id).await;
        let change = IncidentChange::Changed {
            id: id.clone(),
            previous: credwatch::rules::fanout::facts(&now),
            class: IncidentClass::Outcome(class),
            severity: now.severity,
            threshold_days: None,
            message: format!("SFMC now answers {}.", class.as_str()),
            http_status: Some(403),
            at,
        };
        self.commit(id.integration(), change).await;
    }

    /// Resolves open incident `id` at `at`.
    pub async fn resolve(&self, id: &IncidentId, at: DateTime<Utc>) {
        let now = self.incident(id).await;
        let change = IncidentChange::Resolved {
            id: id.clone(),
            class: now.class,
            message: "A token was issued again.".to_string(),
            at,
        };
        self.commit(id.integration(), change).await;
    }

    /// `credwatch ack ID --by BY` at `at`; false when the incident is not open.
    pub async fn ack(&self, id: &IncidentId, by: &str, at: DateTime<Utc>) -> bool {
        let ack = Acknowledgement::new(by, Some("on it"), at).expect("a valid ack");
        matches!(
            self.store.acknowledge(id, &ack).await.expect("memory ack"),
            AckOutcome::Done(_)
        )
    }

    /// Incident `id` as stored.
    pub async fn incident(&self, id: &IncidentId) -> Incident {
        self.store
            .get_incident(id)
            .await
            .expect("the memory store reads incidents")
            .expect("the scenario writes only incidents it opened")
    }

    async fn commit(&self, integration: &str, change: IncidentChange) {
        let record = self
            .store
            .get_integration(integration)
            .await
            .expect("the memory store reads integrations")
            .expect("the scenario's integrations are on record");
        let commit = StateCommit {
            integration: integration.to_string(),
            expected_version: record.state.version,
            state: record.state.clone(),
            incidents: vec![change],
        };
        let outcome = self.store.commit(&commit).await.expect("memory commit");
        assert_eq!(outcome, CommitOutcome::Applied, "{commit:?}");
    }

    /// One minute of the deployed system at `now`: the stream batch of the writes since the
    /// last step, then the sweep; what was published is kept with `now`.
    pub async fn step(&mut self, now: DateTime<Utc>) {
        let records: Vec<StreamChange> = self
            .store
            .take_incident_changes()
            .into_iter()
            .map(|(old, new)| {
                self.records += 1;
                let key = new
                    .as_ref()
                    .or(old.as_ref())
                    .map_or_else(String::new, |i| i.id.to_string());
                StreamChange {
                    source_id: format!("week-{}", self.records),
                    sequence_number: self.records.to_string(),
                    key,
                    content: StreamContent::Incident { old, new },
                }
            })
            .collect();
        if !records.is_empty() {
            let summary = handle_records(&self.store, &self.publisher, records, now).await;
            assert!(summary.retry.is_empty(), "{now}: {summary:?}");
            assert!(summary.deliveries.errors.is_empty(), "{now}: {summary:?}");
        }
        let swept = sweep(&self.store, &self.publisher, now, 100, None)
            .await
            .expect("the memory store lists");
        assert!(swept.deliveries.errors.is_empty(), "{now}: {swept:?}");
        let published = self.publisher.sent();
        for request in &published[self.sent.len()..] {
            let a = |name: &str| request.attributes.get(name).cloned().unwrap_or_default();
            self.sent.push(Sent {
                at: now,
                team: a("team"),
                event: a("event"),
                integration: a("integration"),
                incident_id: a("incident_id"),
                notification_id: a("notification_id"),
                text: format!("{}\n{}", request.subject, default_body(&request.message)),
            });
        }
    }
}

/// The `default` body of a message published with per-protocol bodies (the message as is when
/// it is not such JSON).
fn default_body(message: &str) -> String {
    serde_json::from_str::<serde_json::Value>(message)
        .ok()
        .and_then(|v| v["default"].as_str().map(str::to_string))
        .unwrap_or_else(|| message.to_string())
}

/// `t` plus `minutes`.
pub fn plus(t: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    t + TimeDelta::minutes(minutes)
}
