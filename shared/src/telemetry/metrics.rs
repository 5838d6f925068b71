//! The name of every metric credwatch emits, and which function emits it with which dimensions
//! ([`EMITTED`]): the reference the SAM template's alarms and dashboard are checked against
//! (tests/tests/template.rs). Each job's tests check that it emits exactly its function's
//! entries, none missing and none unlisted, so a renamed or new metric cannot go unnoticed.

use super::emf::MetricSet;

/// The `Function` dimension of the probe function's metrics (its binary's name).
pub const PROBE: &str = "credwatch-probe";
/// The `Function` dimension of the expiry scan's metrics.
pub const EXPIRY_SCAN: &str = "credwatch-expiry-scan";
/// The `Function` dimension of the alert fan-out's metrics.
pub const ALERT_FANOUT: &str = "credwatch-alert-fanout";
/// The `Function` dimension of slack-notify's metrics.
pub const SLACK_NOTIFY: &str = "credwatch-slack-notify";
/// The `Function` dimension of the ingest function's metrics.
pub const INGEST: &str = "credwatch-ingest";

/// 1 per completed run: an alarm on its absence catches a function that stopped running.
pub const HEARTBEAT: &str = "Heartbeat";
/// Table items that could not be read (skipped and reported).
pub const CORRUPT_ITEMS: &str = "CorruptItems";
/// Store failures (one per item or write).
pub const STORE_ERRORS: &str = "StoreErrors";
/// Incidents opened.
pub const INCIDENTS_OPENED: &str = "IncidentsOpened";
/// Incidents resolved.
pub const INCIDENTS_RESOLVED: &str = "IncidentsResolved";

/// Probes made in a cycle.
pub const PROBES: &str = "Probes";
/// Probes whose outcome was `ok`.
pub const PROBES_OK: &str = "ProbesOk";
/// Probes whose outcome was not `ok`.
pub const PROBES_FAILING: &str = "ProbesFailing";
/// Probe results not committed because another writer moved the integration first.
pub const COMMIT_CONFLICTS: &str = "CommitConflicts";
/// One sample per probe that made a request: its duration, in milliseconds.
pub const PROBE_LATENCY: &str = "ProbeLatency";
/// Due integrations left for the next cycle (the deadline was near).
pub const PROBES_DEFERRED: &str = "ProbesDeferred";
/// Probes per outcome class (dimension [`CLASS`]).
pub const OUTCOMES: &str = "Outcomes";
/// The dimension of [`OUTCOMES`]: the outcome class (`ok`, `auth_failed`, ...).
pub const CLASS: &str = "Class";

/// Active integrations the expiry scan went through.
pub const INTEGRATIONS_SCANNED: &str = "IntegrationsScanned";
/// Active integrations per health at the scan (dimension [`HEALTH`]; every health, zeros too).
pub const INTEGRATIONS: &str = "Integrations";
/// The dimension of [`INTEGRATIONS`]: `unknown`, `healthy`, `pending`, `firing`, `recovering`.
pub const HEALTH: &str = "Health";
/// Secrets inside their warning window.
pub const SECRETS_EXPIRING_SOON: &str = "SecretsExpiringSoon";
/// Secrets past their expiry day.
pub const SECRETS_EXPIRED: &str = "SecretsExpired";
/// Secrets whose expiry date nothing tells.
pub const SECRET_EXPIRY_UNKNOWN: &str = "SecretExpiryUnknown";
/// Integrations not checked for too long (the dead-man's switch).
pub const STALE_INTEGRATIONS: &str = "StaleIntegrations";
/// Expiry incidents stepped to a more urgent threshold.
pub const INCIDENTS_STEPPED: &str = "IncidentsStepped";
/// Days to expiry of one integration's secret (dimension [`INTEGRATION`]).
pub const DAYS_TO_EXPIRY: &str = "DaysToExpiry";
/// The dimension of [`DAYS_TO_EXPIRY`]: the integration's id.
pub const INTEGRATION: &str = "Integration";

/// Notifications published and marked sent.
pub const NOTIFICATIONS_SENT: &str = "NotificationsSent";
/// Notifications left pending after a failed attempt.
pub const NOTIFICATIONS_RETRIED: &str = "NotificationsRetried";
/// Notifications given up.
pub const NOTIFICATIONS_FAILED: &str = "NotificationsFailed";
/// Notifications held (business hours, silences, maintenance windows).
pub const NOTIFICATIONS_HELD: &str = "NotificationsHeld";
/// Held notifications not sent because another message told the same.
pub const NOTIFICATIONS_SUPERSEDED: &str = "NotificationsSuperseded";
/// Failed attempts an operator must fix (topic, key, permissions).
pub const NOTIFICATION_CONFIGURATION_ERRORS: &str = "NotificationConfigurationErrors";
/// Attempts SNS refused for the message itself.
pub const NOTIFICATION_PAYLOAD_ERRORS: &str = "NotificationPayloadErrors";
/// Stream records that call for no message.
pub const STREAM_RECORDS_IGNORED: &str = "StreamRecordsIgnored";
/// Stream records that could not be decoded.
pub const CORRUPT_RECORDS: &str = "CorruptRecords";
/// Stream records handed back to Lambda to retry.
pub const STREAM_RECORDS_RETRIED: &str = "StreamRecordsRetried";
/// Pending notifications due at a sweep (a retry or a release): the delivery backlog.
pub const NOTIFICATIONS_DUE: &str = "NotificationsDue";
/// Due notifications left for the next sweep (the deadline was near).
pub const NOTIFICATIONS_DEFERRED: &str = "NotificationsDeferred";
/// Drill notifications sent (counted apart from real incidents' notifications).
pub const DRILL_NOTIFICATIONS_SENT: &str = "DrillNotificationsSent";
/// Drill notifications that failed or are retried.
pub const DRILL_NOTIFICATIONS_FAILED: &str = "DrillNotificationsFailed";
/// Teams a scheduled drill ran for (the weekly drill rule's invocation).
pub const DRILL_TEAMS: &str = "DrillTeams";
/// Teams whose scheduled drill did not pass.
pub const DRILL_TEAMS_FAILED: &str = "DrillTeamsFailed";

/// Slack posts per outcome (dimension [`OUTCOME`]).
pub const SLACK_POSTS: &str = "SlackPosts";
/// The dimension of [`SLACK_POSTS`]: what Slack answered, as
/// [`SlackPostState::as_str`](crate::notify::delivery::SlackPostState::as_str) writes it
/// (`accepted`, `refused` or `retrying`).
pub const OUTCOME: &str = "Outcome";

/// Alerts slack-notify had nothing to post for (no webhook for the team, or not a message for
/// Slack).
pub const SLACK_SKIPPED: &str = "SlackSkipped";
/// SNS records slack-notify could not read.
pub const SLACK_UNREADABLE: &str = "SlackUnreadable";

/// Reported SFMC calls accepted (dimension [`SOURCE`]).
pub const EVENTS_ACCEPTED: &str = "EventsAccepted";
/// Reported SFMC calls refused: a bad field, a body refused whole, an unmapped or own log
/// group, a foreign account (dimension [`SOURCE`]).
pub const EVENTS_REFUSED: &str = "EventsRefused";
/// The dimension of [`EVENTS_ACCEPTED`] and [`EVENTS_REFUSED`]: `https`, `logs` or `eventbridge`.
pub const SOURCE: &str = "Source";
/// Requests to the ingest endpoint, by answer (dimension [`STATUS`]).
pub const INGEST_REQUESTS: &str = "IngestRequests";
/// The dimension of [`INGEST_REQUESTS`]: the HTTP status answered (`202`, `401`, `429`, ...).
pub const STATUS: &str = "Status";
/// Passive incidents opened.
pub const PASSIVE_INCIDENTS_OPENED: &str = "PassiveIncidentsOpened";
/// Passive incidents resolved.
pub const PASSIVE_INCIDENTS_RESOLVED: &str = "PassiveIncidentsResolved";
/// Log groups sending to the ingest function that no integration is bound to.
pub const UNMAPPED_LOG_GROUPS: &str = "UnmappedLogGroups";

/// One metric a function emits: under `Function` = `function`, then `dimensions` in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emitted {
    /// The `Function` dimension's value (the binary's name).
    pub function: &'static str,
    /// The metric's name.
    pub metric: &'static str,
    /// The dimensions after `Function`, by name.
    pub dimensions: &'static [&'static str],
}

const fn totals(function: &'static str, metric: &'static str) -> Emitted {
    Emitted {
        function,
        metric,
        dimensions: &[],
    }
}

/// Every metric credwatch's functions emit, in the namespace [`super::emf::NAMESPACE`].
pub const EMITTED: &[Emitted] = &[
    totals(PROBE, HEARTBEAT),
    totals(PROBE, PROBES),
    totals(PROBE, PROBES_OK),
    totals(PROBE, PROBES_FAILING),
    totals(PROBE, INCIDENTS_OPENED),
    totals(PROBE, INCIDENTS_RESOLVED),
    totals(PROBE, COMMIT_CONFLICTS),
    totals(PROBE, STORE_ERRORS),
    totals(PROBE, PROBE_LATENCY),
    totals(PROBE, PROBES_DEFERRED),
    totals(PROBE, CORRUPT_ITEMS),
    Emitted {
        function: PROBE,
        metric: OUTCOMES,
        dimensions: &[CLASS],
    },
    totals(EXPIRY_SCAN, HEARTBEAT),
    totals(EXPIRY_SCAN, INTEGRATIONS_SCANNED),
    totals(EXPIRY_SCAN, SECRETS_EXPIRING_SOON),
    totals(EXPIRY_SCAN, SECRETS_EXPIRED),
    totals(EXPIRY_SCAN, SECRET_EXPIRY_UNKNOWN),
    totals(EXPIRY_SCAN, STALE_INTEGRATIONS),
    totals(EXPIRY_SCAN, INCIDENTS_OPENED),
    totals(EXPIRY_SCAN, INCIDENTS_STEPPED),
    totals(EXPIRY_SCAN, INCIDENTS_RESOLVED),
    totals(EXPIRY_SCAN, STORE_ERRORS),
    totals(EXPIRY_SCAN, CORRUPT_ITEMS),
    Emitted {
        function: EXPIRY_SCAN,
        metric: INTEGRATIONS,
        dimensions: &[HEALTH],
    },
    Emitted {
        function: EXPIRY_SCAN,
        metric: DAYS_TO_EXPIRY,
        dimensions: &[INTEGRATION],
    },
    totals(ALERT_FANOUT, HEARTBEAT),
    totals(ALERT_FANOUT, NOTIFICATIONS_SENT),
    totals(ALERT_FANOUT, NOTIFICATIONS_RETRIED),
    totals(ALERT_FANOUT, NOTIFICATIONS_FAILED),
    totals(ALERT_FANOUT, NOTIFICATIONS_HELD),
    totals(ALERT_FANOUT, NOTIFICATIONS_SUPERSEDED),
    totals(ALERT_FANOUT, NOTIFICATION_CONFIGURATION_ERRORS),
    totals(ALERT_FANOUT, NOTIFICATION_PAYLOAD_ERRORS),
    totals(ALERT_FANOUT, STORE_ERRORS),
    totals(ALERT_FANOUT, STREAM_RECORDS_IGNORED),
    totals(ALERT_FANOUT, CORRUPT_RECORDS),
    totals(ALERT_FANOUT, STREAM_RECORDS_RETRIED),
    totals(ALERT_FANOUT, NOTIFICATIONS_DUE),
    totals(ALERT_FANOUT, NOTIFICATIONS_DEFERRED),
    totals(ALERT_FANOUT, CORRUPT_ITEMS),
    totals(ALERT_FANOUT, DRILL_NOTIFICATIONS_SENT),
    totals(ALERT_FANOUT, DRILL_NOTIFICATIONS_FAILED),
    totals(ALERT_FANOUT, DRILL_TEAMS),
    totals(ALERT_FANOUT, DRILL_TEAMS_FAILED),
    Emitted {
        function: SLACK_NOTIFY,
        metric: SLACK_POSTS,
        dimensions: &[OUTCOME],
    },
    totals(SLACK_NOTIFY, SLACK_SKIPPED),
    totals(SLACK_NOTIFY, SLACK_UNREADABLE),
    totals(INGEST, HEARTBEAT),
    Emitted {
        function: INGEST,
        metric: EVENTS_ACCEPTED,
        dimensions: &[SOURCE],
    },
    Emitted {
        function: INGEST,
        metric: EVENTS_REFUSED,
        dimensions: &[SOURCE],
    },
    Emitted {
        function: INGEST,
        metric: INGEST_REQUESTS,
        dimensions: &[STATUS],
    },
    totals(INGEST, PASSIVE_INCIDENTS_OPENED),
    totals(INGEST, PASSIVE_INCIDENTS_RESOLVED),
    totals(INGEST, UNMAPPED_LOG_GROUPS),
    totals(INGEST, STORE_ERRORS),
    totals(INGEST, CORRUPT_ITEMS),
];

/// Whether `function` emits `metric` with exactly `dimensions` after `Function`.
pub fn is_emitted(function: &str, metric: &str, dimensions: &[&str]) -> bool {
    EMITTED
        .iter()
        .any(|e| e.function == function && e.metric == metric && e.dimensions == dimensions)
}

/// The `(metric, dimensions after Function)` pairs `sets` declare, sorted and deduplicated: what
/// a job's tests compare with the [`EMITTED`] entries of its function ([`catalogued`]).
pub fn declared(sets: &[MetricSet]) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut found: Vec<(&'static str, Vec<&'static str>)> = sets
        .iter()
        .flat_map(|set| {
            let dimensions: Vec<&'static str> =
                set.dimensions.iter().map(|(name, _)| *name).collect();
            set.metrics
                .iter()
                .map(move |metric| (metric.name, dimensions.clone()))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The [`EMITTED`] entries of `function` as [`declared`] lists them, sorted.
pub fn catalogued(function: &str) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut found: Vec<(&'static str, Vec<&'static str>)> = EMITTED
        .iter()
        .filter(|e| e.function == function)
        .map(|e| (e.metric, e.dimensions.to_vec()))
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::emf::Metric;

    #[test]
    fn each_metric_is_catalogued_once_per_function() {
        for (i, entry) in EMITTED.iter().enumerate() {
            assert!(
                !EMITTED[..i]
                    .iter()
                    .any(|e| e.function == entry.function && e.metric == entry.metric),
                "{entry:?} twice"
            );
        }
    }

    #[test]
    fn is_emitted_needs_the_function_the_metric_and_the_exact_dimensions() {
        assert!(is_emitted(PROBE, OUTCOMES, &[CLASS]));
        assert!(!is_emitted(PROBE, OUTCOMES, &[]));
        assert!(!is_emitted(EXPIRY_SCAN, OUTCOMES, &[CLASS]));
        assert!(!is_emitted(PROBE, "Outcome", &[CLASS]));
        assert!(is_emitted(SLACK_NOTIFY, SLACK_POSTS, &[OUTCOME]));
    }

    #[test]
    fn declared_lists_each_metric_with_its_sets_dimensions() {
        let sets = [
            MetricSet {
                dimensions: vec![],
                metrics: vec![Metric::count(HEARTBEAT, 1), Metric::count(PROBES, 2)],
            },
            MetricSet {
                dimensions: vec![(CLASS, "ok".into())],
                metrics: vec![Metric::count(OUTCOMES, 1)],
            },
            MetricSet {
                dimensions: vec![(CLASS, "throttled".into())],
                metrics: vec![Metric::count(OUTCOMES, 1)],
            },
        ];
        assert_eq!(
            declared(&sets),
            [
                (HEARTBEAT, vec![]),
                (OUTCOMES, vec![CLASS]),
                (PROBES, vec![]),
            ]
        );
    }
}
