//! CloudWatch metrics as Embedded Metric Format (EMF) log lines: printed to stdout by a Lambda,
//! turned into metrics by CloudWatch Logs, with no API call and no extra permission.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::jobs::expiry_scan::ScanSummary;
use crate::jobs::probe_cycle::CycleSummary;

/// Metric namespace of every credwatch metric.
pub const NAMESPACE: &str = "credwatch";

/// One EMF document: `metrics` (name, unit) declared under `dimensions`, with `values` (which
/// must hold every metric and dimension) at the root.
fn emf(timestamp: i64, dimensions: &[&str], metrics: &[(&str, &str)], values: Value) -> String {
    let mut root = json!({
        "_aws": {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions],
                "Metrics": metrics.iter().map(|(name, unit)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
            }],
        },
    });
    if let (Value::Object(root), Value::Object(values)) = (&mut root, values) {
        root.extend(values);
    }
    root.to_string()
}

/// EMF documents for one expiry scan: totals with a `Heartbeat`, then `DaysToExpiry` per
/// integration whose date is known (for a dashboard of upcoming rotations).
pub fn expiry_scan_emf(function: &str, summary: &ScanSummary, now: DateTime<Utc>) -> Vec<String> {
    let timestamp = now.timestamp_millis();
    let mut lines = vec![emf(
        timestamp,
        &["Function"],
        &[
            ("Heartbeat", "Count"),
            ("IntegrationsScanned", "Count"),
            ("SecretsExpiringSoon", "Count"),
            ("SecretsExpired", "Count"),
            ("SecretExpiryUnknown", "Count"),
            ("StaleIntegrations", "Count"),
            ("IncidentsOpened", "Count"),
            ("IncidentsStepped", "Count"),
            ("IncidentsResolved", "Count"),
            ("StoreErrors", "Count"),
            ("CorruptItems", "Count"),
        ],
        json!({
            "Function": function,
            "Heartbeat": 1,
            "CorruptItems": summary.unreadable.len() + summary.unreadable_incidents.len(),
            "IntegrationsScanned": summary.scanned,
            "SecretsExpiringSoon": summary.expiring,
            "SecretsExpired": summary.expired,
            "SecretExpiryUnknown": summary.unknown,
            "StaleIntegrations": summary.stale,
            "IncidentsOpened": summary.opened,
            "IncidentsStepped": summary.stepped,
            "IncidentsResolved": summary.resolved,
            "StoreErrors": summary.errors.len(),
        }),
    )];
    for (integration, days) in &summary.days_to_expiry {
        lines.push(emf(
            timestamp,
            &["Function", "Integration"],
            &[("DaysToExpiry", "Count")],
            json!({"Function": function, "Integration": integration, "DaysToExpiry": days}),
        ));
    }
    lines
}

/// EMF documents for one probe cycle: totals (with a `Heartbeat` of 1, so an alarm on its
/// absence catches a probe function that stopped running; `ProbesDeferred`, due integrations
/// left for the next run because the deadline was near; `CorruptItems`, unreadable table
/// items), then one document per outcome class.
pub fn probe_cycle_emf(function: &str, summary: &CycleSummary, now: DateTime<Utc>) -> Vec<String> {
    let timestamp = now.timestamp_millis();
    let mut lines = vec![emf(
        timestamp,
        &["Function"],
        &[
            ("Heartbeat", "Count"),
            ("Probes", "Count"),
            ("ProbesOk", "Count"),
            ("ProbesFailing", "Count"),
            ("IncidentsOpened", "Count"),
            ("IncidentsResolved", "Count"),
            ("CommitConflicts", "Count"),
            ("StoreErrors", "Count"),
            ("ProbeLatency", "Milliseconds"),
            ("ProbesDeferred", "Count"),
            ("CorruptItems", "Count"),
        ],
        json!({
            "Function": function,
            "Heartbeat": 1,
            "ProbesDeferred": summary.deferred,
            "CorruptItems": summary.unreadable.len(),
            "Probes": summary.probed,
            "ProbesOk": summary.ok,
            "ProbesFailing": summary.failing,
            "IncidentsOpened": summary.opened,
            "IncidentsResolved": summary.resolved,
            "CommitConflicts": summary.conflicts,
            "StoreErrors": summary.errors.len(),
            "ProbeLatency": summary.latencies_ms,
        }),
    )];
    for (class, count) in &summary.by_class {
        lines.push(emf(
            timestamp,
            &["Function", "Class"],
            &[("Outcomes", "Count")],
            json!({"Function": function, "Class": class, "Outcomes": count}),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_documents_declare_what_they_carry() {
        let mut summary = CycleSummary {
            probed: 3,
            ok: 2,
            failing: 1,
            ..Default::default()
        };
        summary.by_class.insert("ok".into(), 2);
        summary.by_class.insert("throttled".into(), 1);
        summary.latencies_ms = vec![120, 80];
        let now = DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc();
        let lines = probe_cycle_emf("credwatch-probe", &summary, now);
        assert_eq!(lines.len(), 3);
        let totals: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(totals["_aws"]["Timestamp"], now.timestamp_millis());
        assert_eq!(
            totals["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "credwatch"
        );
        assert_eq!(totals["Heartbeat"], 1);
        assert_eq!(totals["Probes"], 3);
        assert_eq!(totals["ProbeLatency"], json!([120, 80]));
        // Every declared metric has a value at the root, as EMF requires.
        for metric in totals["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
        {
            assert!(
                totals.get(metric["Name"].as_str().unwrap()).is_some(),
                "{metric}"
            );
        }
        assert_eq!(totals["Function"], "credwatch-probe");
        let throttled: Value = serde_json::from_str(&lines[2]).unwrap();
        assert_eq!(throttled["Class"], "throttled");
        assert_eq!(throttled["Outcomes"], 1);
        assert_eq!(
            throttled["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function", "Class"]])
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
        let lines = expiry_scan_emf("credwatch-expiry-scan", &summary, now);
        assert_eq!(lines.len(), 3);
        let totals: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(totals["Heartbeat"], 1);
        assert_eq!(totals["SecretsExpiringSoon"], 1);
        let loyalty: Value = serde_json::from_str(&lines[2]).unwrap();
        assert_eq!(loyalty["Integration"], "loyalty");
        assert_eq!(loyalty["DaysToExpiry"], -3);
        assert_eq!(
            loyalty["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function", "Integration"]])
        );
    }
}
