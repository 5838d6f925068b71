//! Client-secret expiry: when a secret stops working, from what the inventory and Secrets
//! Manager tell us. SFMC exposes no API for it (only Setup > Installed Packages shows
//! "Client Secret Expires"), so it is computed.

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::inventory::Integration;

/// The day the client secret expires: `secret_expires_at` when given (copied from Setup), else
/// the later of `secret_rotated_at` and the last rotation seen in Secrets Manager, plus
/// `secret_lifetime_days`. `None` when nothing tells.
pub fn expiry_date(
    integration: &Integration,
    rotation_seen: Option<DateTime<Utc>>,
) -> Option<NaiveDate> {
    if let Some(explicit) = integration.secret_expires_at {
        return Some(explicit);
    }
    let rotated = match (
        integration.secret_rotated_at,
        rotation_seen.map(|at| at.date_naive()),
    ) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }?;
    rotated.checked_add_days(Days::new(integration.secret_lifetime_days.into()))
}

/// Whole days from `today` (UTC) until `expiry`: 0 on the day it expires, negative after.
pub fn days_until(expiry: NaiveDate, today: NaiveDate) -> i64 {
    (expiry - today).num_days()
}
