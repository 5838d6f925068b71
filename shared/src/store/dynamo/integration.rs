//! The integration item: inventory fields, the monitoring state and the integration's life,
//! encoded and decoded.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::attributes as attr;
use super::keys::{integration_key, item_key_id, item_label, keyed};
use super::maintenance::{decode_windows, windows_value};
use super::reader::{ReadResult, Reader, parse_date};
use super::value::{Fields, Item, boolean, date, map, n, numbers, s, seconds, strings, time};
use crate::domain::incident::{CheckKind, IncidentId};
use crate::domain::outcome::OutcomeClass;
use crate::domain::state::{CheckState, Health, Track};
use crate::domain::state::{ExpiryTrack, Threshold};
use crate::inventory::{IngestBinding, Integration, Severity};
use crate::secrets::SecretSource;
use crate::store::IntegrationRecord;
use crate::store::invariants;

/// A new integration's whole item: inventory, a fresh state due at `first_probe_at`, version 0.
pub fn new_integration_item(
    integration: &Integration,
    now: DateTime<Utc>,
    first_probe_at: DateTime<Utc>,
) -> Item {
    let state = CheckState {
        next_probe_at: Some(first_probe_at),
        ..CheckState::default()
    };
    let mut fields = inventory_fields(integration);
    fields.extend(state_fields(&state));
    fields.extend([
        (attr::VERSION, Some(n(0))),
        (attr::RETIRED, Some(boolean(false))),
        (attr::ADDED_AT, Some(time(now))),
    ]);
    keyed(&integration_key(&integration.id), fields)
}

/// A whole item written over an existing (possibly unreadable) one: inventory, `state` as
/// version 0, not retired, added at `now`.
pub fn replacement_item(integration: &Integration, now: DateTime<Utc>, state: &CheckState) -> Item {
    let mut fields = inventory_fields(integration);
    fields.extend(state_fields(state));
    fields.extend([
        (attr::VERSION, Some(n(0))),
        (attr::RETIRED, Some(boolean(false))),
        (attr::ADDED_AT, Some(time(now))),
    ]);
    keyed(&integration_key(&integration.id), fields)
}

/// The inventory attributes (what `inventory apply` owns).
pub fn inventory_fields(i: &Integration) -> Fields {
    use super::attributes::*;
    vec![
        (ID, Some(s(&i.id))),
        (NAME, Some(s(&i.name))),
        (OWNER, Some(s(&i.owner))),
        (SEVERITY, Some(s(i.severity.as_str()))),
        (AUTH_URL, Some(s(i.auth_url.as_str()))),
        (CLIENT_ID, Some(s(&i.client_id))),
        (CLIENT_SECRET, Some(secret_source(&i.client_secret))),
        (ACCOUNT_ID, i.account_id.map(n)),
        (EXPECTED_SCOPES, Some(strings(&i.expected_scopes))),
        (SECRET_ROTATED_AT, i.secret_rotated_at.map(date)),
        (SECRET_EXPIRES_AT, i.secret_expires_at.map(date)),
        (DEPENDS_ON, Some(strings(&i.depends_on))),
        (RECORDS_PER_HOUR, i.records_per_hour.map(n)),
        (RUNBOOK, i.runbook.as_deref().map(s)),
        (PROBE_EVERY, Some(seconds(i.probe_every))),
        (RECHECK_EVERY, Some(seconds(i.recheck_every))),
        (EXPIRY_WARN_DAYS, Some(numbers(&i.expiry_warn_days))),
        (SECRET_LIFETIME_DAYS, Some(n(i.secret_lifetime_days))),
        (MAINTENANCE, Some(windows_value(&i.maintenance))),
        (INGEST, Some(ingest_value(&i.ingest))),
    ]
}

/// The `ingest` attribute: `{log_groups: L of S, event_sources: L of S}`.
fn ingest_value(binding: &IngestBinding) -> AttributeValue {
    use super::attributes::*;
    map(vec![
        (LOG_GROUPS, Some(strings(&binding.log_groups))),
        (EVENT_SOURCES, Some(strings(&binding.event_sources))),
    ])
}

/// The `ingest` attribute read back (none when absent: items written before passive
/// tracking), checked as the inventory checks it: at most
/// [`INGEST_ENTRIES_MAX`](crate::inventory::bounds::INGEST_ENTRIES_MAX) entries per list, each
/// valid and listed once. A problem names the list (`ingest.log_groups`), never the value.
fn decode_ingest(r: &Reader<'_>) -> ReadResult<IngestBinding> {
    use super::attributes::*;
    use crate::inventory::bounds::INGEST_ENTRIES_MAX;
    use crate::inventory::{event_source_problem, log_group_problem};
    let Some(ingest) = r.opt_map(INGEST)? else {
        return Ok(IngestBinding::default());
    };
    let list = |name: &str, what: &str, problem: fn(&str) -> Option<&'static str>| {
        let entries = ingest.strings(name)?;
        if entries.len() > INGEST_ENTRIES_MAX {
            return Err(ingest.corrupt(
                name,
                &format!("holds more than {INGEST_ENTRIES_MAX} entries"),
            ));
        }
        if entries.iter().any(|e| problem(e).is_some()) {
            return Err(ingest.corrupt(name, &format!("holds an invalid {what}")));
        }
        if entries
            .iter()
            .enumerate()
            .any(|(i, e)| entries[..i].contains(e))
        {
            return Err(ingest.corrupt(name, &format!("holds a {what} twice")));
        }
        Ok(entries)
    };
    Ok(IngestBinding {
        log_groups: list(LOG_GROUPS, "log group name", log_group_problem)?,
        event_sources: list(EVENT_SOURCES, "EventBridge source", event_source_problem)?,
    })
}

/// Back in the inventory: not retired any more.
pub fn unretired_fields() -> Fields {
    vec![
        (attr::RETIRED, Some(boolean(false))),
        (attr::RETIRED_AT, None),
    ]
}

/// The state attributes a commit writes, all but `version` (which the store sets). Never the
/// inventory, never `secret_rotated_seen_at`.
pub fn state_fields(state: &CheckState) -> Fields {
    use super::attributes::*;
    vec![
        (AUTH, Some(track(&state.auth))),
        (MONITOR, Some(track(&state.monitor))),
        (LAST_CLASS, state.last_class.map(|c| s(c.as_str()))),
        (LAST_PROBE_AT, state.last_probe_at.map(time)),
        (NEXT_PROBE_AT, state.next_probe_at.map(time)),
        (INCIDENT_SEQ, Some(n(state.incident_seq))),
        (EXPIRY, Some(expiry_track(&state.expiry))),
        (
            STALE_INCIDENT,
            state.stale_incident.as_ref().map(|id| s(id.as_str())),
        ),
        (
            SECRET_FINGERPRINT,
            state.secret_fingerprint.as_deref().map(s),
        ),
    ]
}

fn expiry_track(t: &ExpiryTrack) -> AttributeValue {
    use super::attributes::*;
    map(vec![
        (
            OPEN_INCIDENT,
            t.open_incident.as_ref().map(|id| s(id.as_str())),
        ),
        (VERSION_KEY, t.version.as_deref().map(s)),
        (THRESHOLD, t.threshold.map(|th| s(th.key()))),
        (NOTIFIED, Some(strings(&t.notified))),
    ])
}

/// A verified secret rotation seen at `at` (the secret's value changed to one with
/// `fingerprint`): remembered with the new baseline, and the integration due now.
pub fn rotation_fields(at: DateTime<Utc>, fingerprint: &str) -> Fields {
    vec![
        (attr::SECRET_ROTATED_SEEN_AT, Some(time(at))),
        (attr::NEXT_PROBE_AT, Some(time(at))),
        (attr::SECRET_FINGERPRINT, Some(s(fingerprint))),
    ]
}

fn track(t: &Track) -> AttributeValue {
    use super::attributes::*;
    map(vec![
        (HEALTH, Some(s(t.health.as_str()))),
        (CLASS, t.class.map(|c| s(c.as_str()))),
        (SINCE, t.since.map(time)),
        (CONSECUTIVE_FAILURES, Some(n(t.consecutive_failures))),
        (FIRST_FAILURE_AT, t.first_failure_at.map(time)),
        (CONSECUTIVE_SUCCESSES, Some(n(t.consecutive_successes))),
        (
            OPEN_INCIDENT,
            t.open_incident.as_ref().map(|id| s(id.as_str())),
        ),
    ])
}

/// A reference to the secret (variable name, file path, Secrets Manager id), never its value.
fn secret_source(source: &SecretSource) -> AttributeValue {
    use super::attributes::*;
    map(match source {
        SecretSource::Env(name) => vec![(KIND, Some(s("env"))), (NAME, Some(s(name)))],
        // Inventory paths come from YAML text, so they are UTF-8 and survive the round trip.
        SecretSource::File(path) => vec![
            (KIND, Some(s("file"))),
            (PATH, Some(s(path.to_string_lossy()))),
        ],
        SecretSource::AwsSecret { id, key } => {
            vec![
                (KIND, Some(s("aws_secret"))),
                (ID, Some(s(id))),
                (KEY, key.as_deref().map(s)),
            ]
        }
    })
}

/// An integration item decoded, or where it is wrong (never its values). Besides types, it
/// checks what inventory validation guarantees ([`crate::inventory::bounds`], the id rule, the
/// id agreeing with the key), so a hand-written item cannot carry megabytes or escapes into
/// messages, nor schedule past year 9999.
pub fn decode_integration(item: &Item) -> ReadResult<IntegrationRecord> {
    use super::attributes::*;
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let id = r.string(ID)?;
    if item_key_id(item).is_some_and(|key_id| key_id != id) {
        return Err(r.corrupt(ID, "differs from the id in the item's key (sk)"));
    }
    // The inventory's rule, so a hand-written id can never carry terminal escapes or
    // megabytes into logs, tables and incident ids.
    if !crate::inventory::is_valid_id(&id) {
        return Err(r.corrupt(
            ID,
            "is not a valid integration id (a-z, 0-9 and -, starting with a letter or digit, at most 64)",
        ));
    }
    let integration = Integration {
        id,
        name: r.string(NAME)?,
        owner: r.string(OWNER)?,
        severity: r.parsed(SEVERITY, "severity", Severity::parse)?,
        auth_url: r.parsed(AUTH_URL, "URL", |text| url::Url::parse(text).ok())?,
        client_id: r.string(CLIENT_ID)?,
        client_secret: decode_secret_source(&r.map(CLIENT_SECRET)?)?,
        account_id: r.opt_number(ACCOUNT_ID)?,
        expected_scopes: r.strings(EXPECTED_SCOPES)?,
        secret_rotated_at: r.opt_parsed(SECRET_ROTATED_AT, "date", parse_date)?,
        secret_expires_at: r.opt_parsed(SECRET_EXPIRES_AT, "date", parse_date)?,
        depends_on: r.strings(DEPENDS_ON)?,
        records_per_hour: r.opt_number(RECORDS_PER_HOUR)?,
        runbook: r.opt_string(RUNBOOK)?,
        probe_every: Duration::from_secs(r.number(PROBE_EVERY)?),
        recheck_every: Duration::from_secs(r.number(RECHECK_EVERY)?),
        expiry_warn_days: r.numbers(EXPIRY_WARN_DAYS)?,
        secret_lifetime_days: r.number(SECRET_LIFETIME_DAYS)?,
        maintenance: decode_windows(&r)?,
        ingest: decode_ingest(&r)?,
    };
    check_bounds(&r, &integration)?;
    let id = integration.id.as_str();
    let state = CheckState {
        auth: decode_track(&r.map(AUTH)?, id, CheckKind::Auth)?,
        monitor: decode_track(&r.map(MONITOR)?, id, CheckKind::Monitor)?,
        last_class: r.opt_parsed(LAST_CLASS, "outcome class", OutcomeClass::parse)?,
        last_probe_at: r.opt_time(LAST_PROBE_AT)?,
        next_probe_at: r.opt_time(NEXT_PROBE_AT)?,
        incident_seq: r.number_at_most(INCIDENT_SEQ, invariants::MAX_INCIDENT_SEQ)?,
        // Items written before expiry tracking existed have neither attribute.
        expiry: r
            .opt_map(EXPIRY)?
            .map(|t| decode_expiry_track(&t, id))
            .transpose()?
            .unwrap_or_default(),
        stale_incident: own_incident(&r, STALE_INCIDENT, id, CheckKind::Monitor)?,
        secret_fingerprint: r.opt_string(SECRET_FINGERPRINT)?,
        version: r.number_at_most(VERSION, invariants::MAX_VERSION)?,
    };
    Ok(IntegrationRecord {
        integration,
        state,
        retired: r.boolean(RETIRED)?,
        added_at: r.time(ADDED_AT)?,
        secret_rotated_seen_at: r.opt_time(SECRET_ROTATED_SEEN_AT)?,
    })
}

/// What the inventory validation guarantees, checked again on what the table holds: an item
/// written by hand (or by an older credwatch) cannot make credwatch schedule past year 9999,
/// overflow a computation, or carry megabytes of text into every message.
fn check_bounds(r: &Reader<'_>, i: &Integration) -> ReadResult<()> {
    use super::attributes::{
        AUTH_URL, CLIENT_ID, CLIENT_SECRET, DEPENDS_ON, EXPECTED_SCOPES, EXPIRY_WARN_DAYS, NAME,
        OWNER, RECORDS_PER_HOUR, RUNBOOK, SECRET_LIFETIME_DAYS,
    };
    use crate::inventory::bounds::{
        CLIENT_ID_MAX, DEPENDS_ON_MAX, NAME_MAX, PROBE_EVERY, RECHECK_EVERY, RECORDS_PER_HOUR_MAX,
        SCOPE_MAX, SCOPES_MAX, SECRET_LIFETIME_DAYS_MAX, SECRET_REF_MAX, URL_MAX,
        WARN_DAYS_COUNT_MAX, WARN_DAYS_MAX, within,
    };
    let out_of = |name: &str, range: String| Err(r.corrupt(name, &format!("is outside {range}")));
    let seconds =
        |(min, max): (Duration, Duration)| format!("{}..={} seconds", min.as_secs(), max.as_secs());
    if !(PROBE_EVERY.0..=PROBE_EVERY.1).contains(&i.probe_every) {
        return out_of(attr::PROBE_EVERY, seconds(PROBE_EVERY));
    }
    if !(RECHECK_EVERY.0..=RECHECK_EVERY.1).contains(&i.recheck_every) {
        return out_of(attr::RECHECK_EVERY, seconds(RECHECK_EVERY));
    }
    if i.expiry_warn_days.len() > WARN_DAYS_COUNT_MAX
        || i.expiry_warn_days
            .iter()
            .any(|&d| d == 0 || u64::from(d) > WARN_DAYS_MAX)
    {
        return out_of(
            EXPIRY_WARN_DAYS,
            format!("1..={WARN_DAYS_MAX} days (at most {WARN_DAYS_COUNT_MAX} of them)"),
        );
    }
    if i.secret_lifetime_days == 0 || u64::from(i.secret_lifetime_days) > SECRET_LIFETIME_DAYS_MAX {
        return out_of(
            SECRET_LIFETIME_DAYS,
            format!("1..={SECRET_LIFETIME_DAYS_MAX} days"),
        );
    }
    if i.records_per_hour.is_some_and(|n| n > RECORDS_PER_HOUR_MAX) {
        return out_of(RECORDS_PER_HOUR, format!("0..={RECORDS_PER_HOUR_MAX}"));
    }
    let secret_parts: Vec<String> = match &i.client_secret {
        SecretSource::Env(name) => vec![name.clone()],
        SecretSource::File(path) => vec![path.to_string_lossy().into_owned()],
        SecretSource::AwsSecret { id, key } => [Some(id.clone()), key.clone()]
            .into_iter()
            .flatten()
            .collect(),
    };
    let texts = [
        (NAME, vec![i.name.as_str()], NAME_MAX, 1),
        (AUTH_URL, vec![i.auth_url.as_str()], URL_MAX, 1),
        (
            RUNBOOK,
            i.runbook.iter().map(String::as_str).collect(),
            URL_MAX,
            1,
        ),
        (CLIENT_ID, vec![i.client_id.as_str()], CLIENT_ID_MAX, 1),
        (
            CLIENT_SECRET,
            secret_parts.iter().map(String::as_str).collect(),
            SECRET_REF_MAX,
            2,
        ),
        (
            EXPECTED_SCOPES,
            i.expected_scopes.iter().map(String::as_str).collect(),
            SCOPE_MAX,
            SCOPES_MAX,
        ),
        (
            DEPENDS_ON,
            i.depends_on.iter().map(String::as_str).collect(),
            NAME_MAX,
            DEPENDS_ON_MAX,
        ),
        (OWNER, vec![i.owner.as_str()], NAME_MAX, 1),
    ];
    for (name, values, max_chars, max_count) in texts {
        if values.len() > max_count {
            return out_of(name, format!("{max_count} entries"));
        }
        if values.iter().any(|v| !within(v, max_chars)) {
            return Err(r.corrupt(name, &format!("is longer than {max_chars} characters")));
        }
    }
    Ok(())
}

/// An optional incident id (attribute `name`) that must be one of integration `id`'s `check`
/// incidents: a pointer at another integration's (or check's) incident would make this
/// integration's probes update or resolve that incident.
fn own_incident(
    r: &Reader<'_>,
    name: &str,
    id: &str,
    check: CheckKind,
) -> ReadResult<Option<IncidentId>> {
    let incident: Option<IncidentId> = r.opt_parsed(name, "incident id", |t| t.parse().ok())?;
    match incident {
        Some(incident) if incident.integration() != id || incident.check() != check => Err(r
            .corrupt(
                name,
                &format!(
                    "is not an incident of this integration's {} check",
                    check.as_str()
                ),
            )),
        incident => Ok(incident),
    }
}

fn decode_expiry_track(r: &Reader<'_>, id: &str) -> ReadResult<ExpiryTrack> {
    use super::attributes::*;
    Ok(ExpiryTrack {
        open_incident: own_incident(r, OPEN_INCIDENT, id, CheckKind::Expiry)?,
        version: r.opt_string(VERSION_KEY)?,
        threshold: r.opt_parsed(THRESHOLD, "expiry threshold", Threshold::parse)?,
        notified: r.strings(NOTIFIED)?,
    })
}

fn decode_track(r: &Reader<'_>, id: &str, check: CheckKind) -> ReadResult<Track> {
    use super::attributes::*;
    Ok(Track {
        health: r.parsed(HEALTH, "health", Health::parse)?,
        class: r.opt_parsed(CLASS, "outcome class", OutcomeClass::parse)?,
        since: r.opt_time(SINCE)?,
        consecutive_failures: r.number(CONSECUTIVE_FAILURES)?,
        first_failure_at: r.opt_time(FIRST_FAILURE_AT)?,
        consecutive_successes: r.number(CONSECUTIVE_SUCCESSES)?,
        open_incident: own_incident(r, OPEN_INCIDENT, id, check)?,
    })
}

fn decode_secret_source(r: &Reader<'_>) -> ReadResult<SecretSource> {
    use super::attributes::*;
    match r.str(KIND)? {
        "env" => Ok(SecretSource::Env(r.string(NAME)?)),
        "file" => Ok(SecretSource::File(PathBuf::from(r.string(PATH)?))),
        "aws_secret" => Ok(SecretSource::AwsSecret {
            id: r.string(ID)?,
            key: r.opt_string(KEY)?,
        }),
        _ => Err(r.corrupt(KIND, "is not a known secret source kind")),
    }
}

#[cfg(test)]
mod tests;
