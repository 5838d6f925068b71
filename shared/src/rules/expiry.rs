//! Client-secret expiry: when a secret stops working, which warning threshold that puts it
//! past, and what that does to its expiry incident. Pure functions over plain data.
//!
//! SFMC exposes no API for the date (only Setup > Apps > Installed Packages shows "Client Secret
//! Expires"), so it is computed from the inventory and from rotations seen in Secrets Manager.
//!
//! Rules:
//! - Each secret version (identified by its expiry date) notifies each threshold at most once,
//!   ever; when a run finds several thresholds crossed at once (first scan, missed days), only
//!   the most urgent one notifies.
//! - At most one expiry incident is open per integration: a more urgent threshold *steps* the
//!   open incident (an update), it never opens a second one.
//! - A new expiry date (a rotation, or a corrected date) resolves the open incident and restarts
//!   the countdown; the new version may open its own incident at once if it is already close.
//! - An unknown date opens one low-severity `expiry_unknown` incident saying how to find it.
//!
//! The vocabulary (thresholds, the expiry track) is in [`crate::domain::state`].

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::domain::incident::{
    CheckKind, Incident, IncidentChange, IncidentClass, IncidentFacts, IncidentId,
};
use crate::domain::severity::Severity;
use crate::domain::state::{ExpiryTrack, Threshold};
use crate::inventory::Integration;

/// The version key of a secret whose expiry date is unknown.
const UNKNOWN_VERSION: &str = "unknown";

/// Notification keys kept per integration; older ones are dropped. Far more than the ~6 a
/// version can use, so only a secret re-dated dozens of times could ever notify twice.
const MAX_NOTIFIED: usize = 64;

/// The day the client secret expires. `secret_expires_at` (copied from Setup) wins over
/// `secret_rotated_at`; either is superseded by a later rotation seen in Secrets Manager
/// (rotation + `secret_lifetime_days`), which restarts the countdown. `None` when nothing tells.
pub fn expiry_date(
    integration: &Integration,
    rotation_seen: Option<DateTime<Utc>>,
) -> Option<NaiveDate> {
    let lifetime = Days::new(integration.secret_lifetime_days.into());
    let from_inventory = integration.secret_expires_at.or_else(|| {
        integration
            .secret_rotated_at
            .and_then(|rotated| rotated.checked_add_days(lifetime))
    });
    let from_rotation = rotation_seen.and_then(|at| at.date_naive().checked_add_days(lifetime));
    match (from_inventory, from_rotation) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Whole days from `today` (UTC) until `expiry`: 0 on the day it expires, negative after.
pub fn days_until(expiry: NaiveDate, today: NaiveDate) -> i64 {
    (expiry - today).num_days()
}

/// The most urgent threshold crossed with `days_left` days to go: `Expired` once the expiry
/// day has passed, else the smallest warning with `days_left <= n`, else none.
pub fn most_urgent_crossed(days_left: i64, warn_days: &[u32]) -> Option<Threshold> {
    if days_left < 0 {
        return Some(Threshold::Expired);
    }
    warn_days
        .iter()
        .copied()
        .filter(|&n| days_left <= i64::from(n))
        .min()
        .map(Threshold::Days)
}

/// Severity rises as expiry nears, up to the integration's own severity (an expired secret is
/// exactly as serious as the integration): 15+ days low, 8–14 medium, 4–7 high, 3 or fewer and
/// expired critical. An unknown date is low.
pub fn severity(threshold: Threshold, integration: Severity) -> Severity {
    let by_urgency = match threshold {
        Threshold::Unknown => return Severity::Low,
        Threshold::Expired => Severity::Critical,
        Threshold::Days(days) if days <= 3 => Severity::Critical,
        Threshold::Days(days) if days <= 7 => Severity::High,
        Threshold::Days(days) if days <= 14 => Severity::Medium,
        Threshold::Days(_) => Severity::Low,
    };
    // `Severity` orders Critical < High < ...: the less urgent of the two is the larger.
    by_urgency.max(integration)
}

/// Pure: the next expiry track and the incident changes for one integration at `now` (its UTC
/// day counts). `incident_seq` is the integration's incident counter; a new incident takes the
/// next number. Incidents are the integration owner's.
pub fn evaluate(
    prev: &ExpiryTrack,
    integration: &Integration,
    rotation_seen: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    incident_seq: &mut u32,
) -> (ExpiryTrack, Vec<IncidentChange>) {
    let today = now.date_naive();
    let mut track = prev.clone();
    let mut changes = Vec::new();
    let expiry = expiry_date(integration, rotation_seen);
    let version = expiry.map_or(UNKNOWN_VERSION.to_string(), |date| date.to_string());
    let crossed = match expiry {
        None => Some(Threshold::Unknown),
        Some(date) => most_urgent_crossed(days_until(date, today), &integration.expiry_warn_days),
    };

    // A different version (rotation, corrected date), or nothing crossed any more: the open
    // incident is over.
    if let Some(open) = track.open_incident.clone()
        && (track.version.as_deref() != Some(version.as_str()) || crossed.is_none())
    {
        let message = match expiry {
            Some(date) if track.version.as_deref() != Some(version.as_str()) => {
                format!(
                    "{} has a new client secret expiry date, {date}: the countdown restarts",
                    integration.name
                )
            }
            Some(date) => format!(
                "{}'s client secret expires on {date}, outside the warning window",
                integration.name
            ),
            None => format!(
                "{}'s client secret expiry date is no longer known",
                integration.name
            ),
        };
        changes.push(IncidentChange::Resolved {
            id: open,
            // Only a hand-edited state has an open incident without a threshold.
            class: track
                .threshold
                .map_or(IncidentClass::SecretExpiring, Threshold::class),
            message,
            at: now,
        });
        track.open_incident = None;
        track.version = None;
        track.threshold = None;
    }

    let Some(threshold) = crossed else {
        return (track, changes);
    };
    let key = format!("{version}#{}", threshold.key());
    let already_there = track.open_incident.is_some()
        && track
            .threshold
            .is_some_and(|current| !threshold.more_urgent_than(current));
    if track.notified.contains(&key) || already_there {
        return (track, changes);
    }
    let severity = severity(threshold, integration.severity);
    let message = message(integration, threshold, expiry, today);
    match track.open_incident.clone() {
        Some(id) => {
            // Only a hand-edited state has an open incident without a threshold.
            let before = track.threshold.unwrap_or(Threshold::Unknown);
            changes.push(IncidentChange::Changed {
                id,
                previous: IncidentFacts {
                    class: before.class(),
                    severity: self::severity(before, integration.severity),
                    threshold_days: before.days(),
                },
                class: threshold.class(),
                severity,
                threshold_days: threshold.days(),
                message,
                http_status: None,
                at: now,
            });
        }
        None => {
            *incident_seq = incident_seq.saturating_add(1);
            let id = IncidentId::new(&integration.id, CheckKind::Expiry, *incident_seq);
            track.open_incident = Some(id.clone());
            track.version = Some(version);
            changes.push(IncidentChange::Opened(Incident {
                id,
                integration: integration.id.clone(),
                check: CheckKind::Expiry,
                class: threshold.class(),
                severity,
                team: integration.owner.clone(),
                open: true,
                opened_at: now,
                updated_at: now,
                resolved_at: None,
                threshold_days: threshold.days(),
                message,
                http_status: None,
                class_since: None,
                ack: None,
            }));
        }
    }
    track.threshold = Some(threshold);
    track.notified.push(key);
    if track.notified.len() > MAX_NOTIFIED {
        let excess = track.notified.len() - MAX_NOTIFIED;
        track.notified.drain(..excess);
    }
    (track, changes)
}

/// What the incident says, in the words of someone who has to act on it.
fn message(
    integration: &Integration,
    threshold: Threshold,
    expiry: Option<NaiveDate>,
    today: NaiveDate,
) -> String {
    let name = &integration.name;
    let rotate = "Rotate it in Setup > Apps > Installed Packages (generate, wait 5 minutes, update every consumer, then \
                  activate) and record the new date in the inventory";
    match (threshold, expiry) {
        (Threshold::Unknown, _) => format!(
            "credwatch does not know when {name}'s client secret expires. Copy the date from Setup > Installed \
             Packages > \"Client Secret Expires\" into the inventory as secret_expires_at (or set \
             secret_rotated_at), then run credwatch inventory apply"
        ),
        (Threshold::Expired, Some(date)) => {
            format!("{name}'s client secret expired on {date}; calls with it fail. {rotate}")
        }
        (_, Some(date)) => {
            let days = days_until(date, today);
            let when = match days {
                0 => "today".to_string(),
                1 => "tomorrow".to_string(),
                n => format!("in {n} days"),
            };
            format!("{name}'s client secret expires {when} ({date}). {rotate}")
        }
        (_, None) => format!("{name}'s client secret is about to expire. {rotate}"),
    }
}

#[cfg(test)]
mod tests;
