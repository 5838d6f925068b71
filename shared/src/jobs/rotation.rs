//! Rotations: a Secrets Manager change event counts as a rotation only when the secret's value
//! actually changed. A `PutSecretValue` that re-saves the same value must not restart the expiry
//! countdown (it would silently cancel an expiry warning), so the value read now is compared
//! with a fingerprint of the value the last probe used ([`crate::secrets::fingerprint`]); the
//! decision is [`crate::rules::rotation::verdict`].

use chrono::{DateTime, Utc};

use crate::rules::rotation::{Verdict, verdict};
use crate::secrets::SecretReader;
use crate::secrets::fingerprint::secret_fingerprint;
use crate::store::{IntegrationRecord, ProbeResults};

/// What [`verify_rotations`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Verified rotations written to the store.
    pub recorded: usize,
    /// Change events whose value was unchanged, had no baseline, could not be read, or were
    /// older than a rotation already recorded: nothing written.
    pub not_rotations: usize,
    /// Store failures, each naming the integration.
    pub errors: Vec<String>,
}

/// For each integration whose secret just changed (event time `at`): reads the secret past any
/// cache, compares its fingerprint with the stored baseline, and records a rotation only when
/// the value changed. One integration's failure never stops the others.
pub async fn verify_rotations<S: ProbeResults, R: SecretReader>(
    store: &S,
    secrets: &R,
    records: &[&IntegrationRecord],
    at: DateTime<Utc>,
) -> RotationReport {
    let mut report = RotationReport::default();
    for record in records {
        let id = &record.integration.id;
        let fresh = match secrets.read_fresh(&record.integration.client_secret).await {
            Ok(secret) => secret_fingerprint(id, &secret),
            Err(why) => {
                tracing::warn!(integration = %id, %why, "secret changed but cannot be read; rotation not verified");
                report.not_rotations += 1;
                continue;
            }
        };
        match verdict(record.state.secret_fingerprint.as_deref(), &fresh) {
            Verdict::Rotated => match store.record_rotation(id, at, &fresh).await {
                Ok(true) => {
                    tracing::info!(integration = %id, %at, "secret rotated: value changed");
                    report.recorded += 1;
                }
                Ok(false) => {
                    tracing::info!(integration = %id, %at, "a rotation at or after this change is already recorded");
                    report.not_rotations += 1;
                }
                Err(err) => report
                    .errors
                    .push(format!("{id}: recording the rotation failed: {err}")),
            },
            Verdict::Unchanged => {
                tracing::info!(integration = %id, %at, "secret re-saved with the same value: not a rotation");
                report.not_rotations += 1;
            }
            Verdict::NoBaseline => {
                tracing::info!(integration = %id, %at, "secret changed before any probe read it: not counted as a rotation");
                report.not_rotations += 1;
            }
        }
    }
    report
}
