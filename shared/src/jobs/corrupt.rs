//! Unreadable integration items (and, found by the expiry scan, unreadable open incident items):
//! reported to the platform team as one `monitor` incident per integration,
//! never allowed to stop the others. The probe and the expiry scan open the incident (the probe
//! every run, so it opens within a minute); the expiry scan also resolves those whose item
//! became readable again or was deleted (an extra Query it can afford hourly, which the probe's
//! one-Query hot path cannot); `inventory apply` resolves it when it repairs the item.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::incident::{CheckKind, Incident, IncidentClass, IncidentId, STANDALONE_SEQ};
use crate::store::{
    IncidentListing, Incidents, IntegrationListing, UnreadableIntegration, UnreadableItem,
};

/// The one incident id of integration `id`'s unreadable item: sequence 0, which the check
/// state never uses (its incidents start at 1), so it is the same id in every run and opens
/// once while the item stays unreadable.
pub fn corrupt_incident_id(id: &str) -> IncidentId {
    IncidentId::new(id, CheckKind::Monitor, STANDALONE_SEQ)
}

/// Pure: the incident for one unreadable item, in words for the platform team.
pub fn corrupt_incident(unreadable: &UnreadableIntegration, now: DateTime<Utc>) -> Incident {
    platform_report(
        &unreadable.id,
        format!(
            "credwatch cannot read its table item for integration {} ({unreadable}), so it is \
             not probed or scanned; every other integration still is. Run `credwatch inventory \
             apply` to rewrite it from the inventory, or apply with --prune to delete it",
            unreadable.id
        ),
        now,
    )
}

/// Pure: the incident for an integration whose open incident items cannot be read (the first
/// of them named): the integration may be firing with no incident anyone can see.
pub fn corrupt_incidents_incident(
    integration: &str,
    unreadable: &[&UnreadableItem],
    now: DateTime<Utc>,
) -> Incident {
    let first = unreadable
        .first()
        .map(|u| u.to_string())
        .unwrap_or_default();
    let more = match unreadable.len() {
        0 | 1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    platform_report(
        integration,
        format!(
            "credwatch cannot read an open incident of integration {integration} ({first}{more}), \
             so that incident is not shown or updated; the integration is still probed. Fix or \
             delete that table item, or run `credwatch inventory apply --prune` without the \
             integration to delete everything of it"
        ),
        now,
    )
}

/// The open `corrupt_item` incident of `integration`, for the platform team.
fn platform_report(integration: &str, message: String, now: DateTime<Utc>) -> Incident {
    let id = corrupt_incident_id(integration);
    Incident::for_platform(id, integration, IncidentClass::CorruptItem, message, now)
}

/// What reporting unreadable items did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CorruptReport {
    /// Incidents opened this run (0 while they stay open).
    pub opened: usize,
    /// Incidents resolved this run (their item is readable again, or gone).
    pub resolved: usize,
    /// Open incident items that cannot be read (counted in `CorruptItems`).
    pub unreadable_incidents: Vec<UnreadableItem>,
    /// Store failures, each naming the integration; never fatal.
    pub errors: Vec<String>,
}

/// Opens the incident of every unreadable item (once: an open one is left alone).
pub async fn open_corrupt_incidents<S: Incidents>(
    store: &S,
    listing: &IntegrationListing,
    now: DateTime<Utc>,
) -> CorruptReport {
    let mut report = CorruptReport::default();
    for unreadable in &listing.unreadable {
        match store
            .open_incident(&corrupt_incident(unreadable, now))
            .await
        {
            Ok(true) => report.opened += 1,
            Ok(false) => {}
            Err(err) => report.errors.push(format!(
                "{}: reporting the unreadable item failed: {err}",
                unreadable.id
            )),
        }
    }
    report
}

/// [`open_corrupt_incidents`], then resolves the open `corrupt_item` incidents whose item is
/// readable again or gone. One Query of the open-incidents index.
pub async fn reconcile_corrupt_incidents<S: Incidents>(
    store: &S,
    listing: &IntegrationListing,
    now: DateTime<Utc>,
) -> CorruptReport {
    let mut report = open_corrupt_incidents(store, listing, now).await;
    let IncidentListing {
        incidents: open,
        unreadable: unreadable_incidents,
    } = match store.open_incident_listing().await {
        Ok(found) => found,
        Err(err) => {
            report
                .errors
                .push(format!("listing open incidents failed: {err}"));
            return report;
        }
    };
    // Unreadable open incidents, by integration (one report each, unless its integration item
    // is unreadable too and already reported).
    let mut by_integration: BTreeMap<&str, Vec<&UnreadableItem>> = BTreeMap::new();
    for bad in &unreadable_incidents {
        if let Some(integration) = bad.integration.as_deref() {
            by_integration.entry(integration).or_default().push(bad);
        }
    }
    for (integration, items) in &by_integration {
        if listing.unreadable.iter().any(|u| u.id == *integration) {
            continue;
        }
        match store
            .open_incident(&corrupt_incidents_incident(integration, items, now))
            .await
        {
            Ok(true) => report.opened += 1,
            Ok(false) => {}
            Err(err) => report.errors.push(format!(
                "{integration}: reporting the unreadable incident failed: {err}"
            )),
        }
    }
    let mut unreadable: HashSet<&str> = listing.unreadable.iter().map(|u| u.id.as_str()).collect();
    unreadable.extend(by_integration.keys());
    for incident in open
        .iter()
        .filter(|i| i.class == IncidentClass::CorruptItem)
    {
        if unreadable.contains(incident.integration.as_str()) {
            continue;
        }
        let readable = listing
            .records
            .iter()
            .any(|r| r.integration.id == incident.integration);
        let message = if readable {
            // Its item and its open incidents all read.
            format!(
                "credwatch can read the item of integration {} again",
                incident.integration
            )
        } else {
            format!(
                "the item of integration {} is no longer in the table",
                incident.integration
            )
        };
        match store
            .resolve_incident(incident.id.as_str(), &message, now)
            .await
        {
            Ok(true) => report.resolved += 1,
            Ok(false) => {}
            Err(err) => report.errors.push(format!(
                "{}: resolving the unreadable-item incident failed: {err}",
                incident.integration
            )),
        }
    }
    report.unreadable_incidents = unreadable_incidents;
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::PLATFORM_TEAM;
    use crate::domain::state::CheckState;
    use crate::inventory::{LoadOptions, parse_inventory};
    use crate::store::Integrations;
    use crate::store::memory::MemoryStore;

    fn at(minute: u32) -> DateTime<Utc> {
        format!("2026-11-28T10:{minute:02}:00Z").parse().unwrap()
    }

    fn unreadable(id: &str) -> UnreadableIntegration {
        UnreadableIntegration {
            id: id.into(),
            field: "next_probe_at".into(),
            problem: "is not a valid RFC 3339 timestamp".into(),
        }
    }

    #[tokio::test]
    async fn reported_once_and_resolved_when_readable_again_or_gone() {
        let store = MemoryStore::new();
        let yaml = "version: 1\nteams: [{ id: ops, name: Ops }]\nintegrations:\n  - { id: alpha, name: A, owner: ops, severity: high, auth_url: http://127.0.0.1:1/, client_id: c, client_secret: { env: S } }\n";
        let inventory = parse_inventory(
            yaml,
            &LoadOptions {
                allow_any_endpoint: true,
            },
        )
        .unwrap()
        .inventory;
        store.insert_unreadable(unreadable("alpha"));
        store.insert_unreadable(unreadable("bravo"));

        let listing = store.list_integrations().await.unwrap();
        assert!(listing.records.is_empty());
        let first = reconcile_corrupt_incidents(&store, &listing, at(0)).await;
        assert_eq!((first.opened, first.resolved), (2, 0), "{first:?}");
        let again = reconcile_corrupt_incidents(&store, &listing, at(1)).await;
        assert_eq!(
            (again.opened, again.resolved),
            (0, 0),
            "opened once: {again:?}"
        );
        let open = store.open_incidents().await.unwrap();
        assert_eq!(open[0].id, "alpha:monitor:0");
        assert_eq!(
            (open[0].class.as_str(), open[0].team.as_str()),
            ("corrupt_item", PLATFORM_TEAM)
        );
        assert!(
            open[0].message.contains("next_probe_at"),
            "{}",
            open[0].message
        );

        // alpha is rewritten (readable again), bravo deleted.
        store
            .replace_integration(&inventory.integrations[0], at(2), &CheckState::default())
            .await
            .unwrap();
        store.prune_integration("bravo").await.unwrap();
        let listing = store.list_integrations().await.unwrap();
        let fixed = reconcile_corrupt_incidents(&store, &listing, at(3)).await;
        assert_eq!((fixed.opened, fixed.resolved), (0, 1), "{fixed:?}");
        let alpha = &store.incidents_of("alpha").await.unwrap()[0];
        assert!(!alpha.open && alpha.message.contains("again"), "{alpha:?}");
        assert!(store.open_incidents().await.unwrap().is_empty());
    }
}
