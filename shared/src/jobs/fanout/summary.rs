//! What the fan-out did: the summaries of a stream batch and of a sweep, and the metrics each
//! declares.

use serde::Serialize;

use crate::store::UnreadableItem;
use crate::telemetry::emf::{Metric, MetricSet};

/// Publish attempts and their results, in one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Deliveries {
    /// Notifications published and marked sent.
    pub sent: usize,
    /// Notifications left pending after a failed attempt (the sweep retries them).
    pub retried: usize,
    /// Notifications given up (about a day of failures, or refused by SNS however short).
    pub failed: usize,
    /// Failed attempts that may pass (throttling, SNS unavailable).
    pub retryable_errors: usize,
    /// Failed attempts because of the topic, its KMS key or the permissions: an operator must
    /// act (alarmed apart from the topic).
    pub configuration_errors: usize,
    /// Attempts SNS refused for the message itself (resent shortened).
    pub payload_errors: usize,
    /// Notifications another invocation moved first (it publishes them).
    pub conflicts: usize,
    /// Notifications held (deferred to business hours, suppressed by a silence or a
    /// maintenance window), newly or again.
    pub held: usize,
    /// Held notifications not sent because another message told the same.
    pub superseded: usize,
    /// Store failures, one line each (never a message body).
    pub errors: Vec<String>,
}

impl Deliveries {
    /// The metrics of real incidents' deliveries, with `drills` (drill notifications, counted
    /// apart) added only where the count is about the topic or the table, not about incidents:
    /// `NotificationConfigurationErrors` (a drill that finds the topic broken must alarm) and
    /// `StoreErrors`; and their own `DrillNotificationsSent`, `DrillNotificationsFailed`
    /// (left pending or given up).
    fn metrics_with(&self, drills: &Deliveries) -> Vec<Metric> {
        let mut metrics = self.metrics();
        for metric in &mut metrics {
            let drilled = match metric.name {
                "NotificationConfigurationErrors" => drills.configuration_errors,
                "StoreErrors" => drills.errors.len(),
                _ => continue,
            };
            let own = metric.value.as_u64().unwrap_or_default();
            metric.value = (own + drilled as u64).into();
        }
        metrics.extend([
            Metric::count(
                crate::telemetry::metrics::DRILL_NOTIFICATIONS_SENT,
                drills.sent,
            ),
            Metric::count(
                crate::telemetry::metrics::DRILL_NOTIFICATIONS_FAILED,
                drills.retried + drills.failed,
            ),
        ]);
        metrics
    }

    fn metrics(&self) -> Vec<Metric> {
        vec![
            Metric::count("NotificationsSent", self.sent),
            Metric::count("NotificationsRetried", self.retried),
            Metric::count("NotificationsFailed", self.failed),
            Metric::count("NotificationsHeld", self.held),
            Metric::count("NotificationsSuperseded", self.superseded),
            Metric::count("NotificationConfigurationErrors", self.configuration_errors),
            Metric::count("NotificationPayloadErrors", self.payload_errors),
            Metric::count("StoreErrors", self.errors.len()),
        ]
    }
}

/// What one DynamoDB stream batch did ([`super::handle_records`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordsSummary {
    /// Stream records received.
    pub records: usize,
    /// Records that are not incident changes worth considering (other items, TTL deletions,
    /// resolved-to-resolved writes): ignored.
    pub ignored: usize,
    /// Incident changes that call for no message (message text or timestamps only): audited
    /// as `ignored`.
    pub unchanged: usize,
    /// Records whose image could not be decoded: audited as `corrupt`, logged, skipped; and
    /// notifications whose group window could not be read (logged, told on their own).
    pub corrupt: usize,
    /// Notifications already on record (a replayed batch): nothing published.
    pub replayed: usize,
    /// Publishing and its results (real incidents' notifications).
    pub deliveries: Deliveries,
    /// Publishing drills and its results, counted apart from real incidents.
    pub drills: Deliveries,
    /// Sequence numbers of the records to retry (a store failure before their notification
    /// was recorded), in input order: the handler's `batchItemFailures`.
    pub retry: Vec<String>,
}

impl RecordsSummary {
    /// The metrics of one batch: `NotificationsSent`, `NotificationsRetried`,
    /// `NotificationsFailed`, `NotificationConfigurationErrors`, `NotificationPayloadErrors`,
    /// `StoreErrors`, `StreamRecordsIgnored` (other items and no-message changes),
    /// `CorruptRecords`, `StreamRecordsRetried`; drills apart (`DrillNotificationsSent`,
    /// `DrillNotificationsFailed`), never in the counts of real incidents' notifications.
    pub fn metrics(&self) -> Vec<MetricSet> {
        let mut metrics = self.deliveries.metrics_with(&self.drills);
        metrics.extend([
            Metric::count("StreamRecordsIgnored", self.ignored + self.unchanged),
            Metric::count("CorruptRecords", self.corrupt),
            Metric::count("StreamRecordsRetried", self.retry.len()),
        ]);
        vec![MetricSet {
            dimensions: vec![],
            metrics,
        }]
    }
}

/// What one sweep did ([`super::sweep`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    /// Due notifications found.
    pub due: usize,
    /// Due notifications left for the next sweep because the deadline was near.
    pub deferred: usize,
    /// Publishing and its results (give-ups without an attempt included in `failed`), drills
    /// excluded.
    pub deliveries: Deliveries,
    /// Retries of drill notifications, counted apart from real incidents.
    pub drills: Deliveries,
    /// Notification items that could not be read: reported and skipped.
    pub unreadable: Vec<UnreadableItem>,
}

impl SweepSummary {
    /// The metrics of one sweep: `Heartbeat` (1, so an alarm on its absence catches a sweep
    /// that stopped running), the delivery counts as for a batch, `NotificationsDue`,
    /// `NotificationsDeferred` and `CorruptItems` (unreadable notification items).
    pub fn metrics(&self) -> Vec<MetricSet> {
        let mut metrics = vec![Metric::count("Heartbeat", 1)];
        metrics.extend(self.deliveries.metrics_with(&self.drills));
        metrics.extend([
            Metric::count("NotificationsDue", self.due),
            Metric::count("NotificationsDeferred", self.deferred),
            Metric::count("CorruptItems", self.unreadable.len()),
        ]);
        vec![MetricSet {
            dimensions: vec![],
            metrics,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::metrics;

    /// A stream batch and a sweep together emit exactly the fan-out's entries of the metric
    /// catalogue (the names the template's alarms and dashboard are checked against).
    #[test]
    fn batches_and_sweeps_emit_exactly_the_catalogued_fanout_metrics() {
        let mut sets = RecordsSummary::default().metrics();
        sets.extend(SweepSummary::default().metrics());
        // The weekly drill's invocation (alert-fanout runs it too).
        sets.extend(
            crate::jobs::drill::DrillReport {
                started_at: chrono::DateTime::UNIX_EPOCH,
                topic: String::new(),
                teams: Vec::new(),
            }
            .metrics(),
        );
        assert_eq!(
            metrics::declared(&sets),
            metrics::catalogued(metrics::ALERT_FANOUT)
        );
    }
}
