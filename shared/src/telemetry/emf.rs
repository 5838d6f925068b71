//! CloudWatch metrics as Embedded Metric Format (EMF) log lines: printed to stdout by a Lambda,
//! turned into metrics by CloudWatch Logs, with no API call and no extra permission.
//!
//! Jobs declare what they measure ([`MetricSet`]s, e.g.
//! [`crate::jobs::probe_cycle::CycleSummary::metrics`]); [`lines`] writes them as EMF
//! documents, one per set, each with the `Function` dimension first.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// Metric namespace of every credwatch metric.
pub const NAMESPACE: &str = "credwatch";

/// The CloudWatch unit of a metric (the subset credwatch uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of things.
    Count,
    /// A duration in milliseconds.
    Milliseconds,
}

impl Unit {
    /// The unit's name in EMF (`Count`, `Milliseconds`).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// One metric and its value: a number, or an array of numbers (one sample each).
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The metric name, e.g. `Probes`.
    pub name: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// A JSON number or array of numbers.
    pub value: Value,
}

impl Metric {
    /// A `Count` metric.
    pub fn count(name: &'static str, value: impl Into<Value>) -> Metric {
        Metric {
            name,
            unit: Unit::Count,
            value: value.into(),
        }
    }
}

/// Metrics that share their dimensions: one EMF document. `dimensions` are the dimensions
/// after `Function` (name, value), e.g. `[("Class", "throttled")]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricSet {
    /// Extra dimensions (name, value), after `Function`.
    pub dimensions: Vec<(&'static str, String)>,
    /// The metrics, in declaration order.
    pub metrics: Vec<Metric>,
}

/// The EMF documents (one JSON line each) of `sets`, emitted by `function` at `now`: every
/// metric declared under the dimensions `Function` plus the set's own, with every metric and
/// dimension value at the document root, as EMF requires.
pub fn lines(function: &str, sets: &[MetricSet], now: DateTime<Utc>) -> Vec<String> {
    let timestamp = now.timestamp_millis();
    sets.iter()
        .map(|set| {
            let mut dimensions = vec!["Function"];
            dimensions.extend(set.dimensions.iter().map(|(name, _)| *name));
            let declared: Vec<Value> = set
                .metrics
                .iter()
                .map(|m| json!({"Name": m.name, "Unit": m.unit.as_str()}))
                .collect();
            let mut root = Map::new();
            root.insert(
                "_aws".into(),
                json!({
                    "Timestamp": timestamp,
                    "CloudWatchMetrics": [{
                        "Namespace": NAMESPACE,
                        "Dimensions": [dimensions],
                        "Metrics": declared,
                    }],
                }),
            );
            root.insert("Function".into(), Value::from(function));
            for (name, value) in &set.dimensions {
                root.insert((*name).into(), Value::from(value.as_str()));
            }
            for metric in &set.metrics {
                root.insert(metric.name.into(), metric.value.clone());
            }
            Value::Object(root).to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_declares_its_dimensions_and_carries_every_value() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc();
        let sets = [
            MetricSet {
                dimensions: vec![],
                metrics: vec![
                    Metric::count("Heartbeat", 1),
                    Metric {
                        name: "ProbeLatency",
                        unit: Unit::Milliseconds,
                        value: json!([120, 80]),
                    },
                ],
            },
            MetricSet {
                dimensions: vec![("Class", "throttled".into())],
                metrics: vec![Metric::count("Outcomes", 2)],
            },
        ];
        let lines = lines("credwatch-probe", &sets, now);
        assert_eq!(lines.len(), 2);
        let first: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(
            first,
            json!({
                "_aws": {
                    "Timestamp": now.timestamp_millis(),
                    "CloudWatchMetrics": [{
                        "Namespace": "credwatch",
                        "Dimensions": [["Function"]],
                        "Metrics": [
                            {"Name": "Heartbeat", "Unit": "Count"},
                            {"Name": "ProbeLatency", "Unit": "Milliseconds"},
                        ],
                    }],
                },
                "Function": "credwatch-probe",
                "Heartbeat": 1,
                "ProbeLatency": [120, 80],
            })
        );
        let second: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(
            second["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function", "Class"]])
        );
        assert_eq!(
            (second["Class"].clone(), second["Outcomes"].clone()),
            (json!("throttled"), json!(2))
        );
    }
}
