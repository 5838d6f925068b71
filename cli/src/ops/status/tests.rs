//! Unit tests of the status table's layout.

use super::*;
use crate::render::assert_laid_out;

fn row(id: &str, health: &'static str, class: Option<&str>, incidents: &[&str]) -> StatusRow {
    let now = Utc::now();
    StatusRow {
        integration: id.to_string(),
        name: format!("The long display name of {id} for the journeys"),
        owner: "marketing-ops".into(),
        health,
        class: class.map(str::to_string),
        since: Some(now - chrono::TimeDelta::minutes(12)),
        last_probe_at: Some(now - chrono::TimeDelta::minutes(2)),
        next_probe_at: Some(now + chrono::TimeDelta::minutes(2)),
        days_to_expiry: Some(12),
        retired: false,
        open_incidents: incidents
            .iter()
            .enumerate()
            .map(|(n, class)| IncidentRow {
                id: format!("{id}:auth:{}", n + 1),
                check: "auth",
                class: class.to_string(),
                severity: "critical",
                opened_at: now - chrono::TimeDelta::minutes(10),
                threshold_days: None,
                ack: None,
                notifications: NotificationCounts::default(),
            })
            .collect(),
        problem: None,
    }
}

#[test]
fn status_table_fits_every_width_and_never_breaks_ids_or_classes() {
    let rows = vec![
        row("crm-contact-sync", "healthy", Some("ok"), &[]),
        StatusRow {
            problem: Some("attribute next_probe_at: not a time credwatch can read".into()),
            ..row("loyalty-feed", "unreadable", None, &[])
        },
        row(
            "emea-preference-sync",
            "firing",
            Some("wrong_business_unit"),
            &["wrong_business_unit", "secret_expiring"],
        ),
        row(
            "analytics-export",
            "pending",
            Some("malformed_response"),
            &[],
        ),
    ];
    let whole: Vec<String> = [
        "crm-contact-sync",
        "emea-preference-sync",
        "analytics-export",
        "wrong_business_unit",
        "malformed_response",
        "secret_expiring",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for width in [40u16, 60, 80, 110, 160] {
        let text = status_table(&rows, Utc::now(), width, false);
        assert_laid_out(&text, width, &whole);
    }
    let escaped = status_table(
        &[row("x\u{1b}[2J", "firing", Some("evil\u{202e}"), &[])],
        Utc::now(),
        120,
        false,
    );
    assert!(
        !escaped.contains('\u{1b}') && !escaped.contains('\u{202e}'),
        "{escaped}"
    );
}
