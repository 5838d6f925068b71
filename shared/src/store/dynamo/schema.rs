//! The DynamoDB layout: the one place that knows key names and item shapes.
//!
//! One table, string keys `pk` / `sk`, billed per request, with a stream of new and old images
//! (the alert fan-out consumes incident changes) and TTL on `expires_at`.
//!
//! | item | `pk` | `sk` | index keys | TTL |
//! |---|---|---|---|---|
//! | integration | `INVENTORY` | `INT#{id}` | | |
//! | team | `INVENTORY` | `TEAM#{id}` | | |
//! | probe history | `HIST#{integration}` | `{probed_at}` | | `expires_at` |
//! | incident | `INC#{integration}` | `{check}#{seq:06}` | while open: `gsi1pk`, `gsi1sk` | once resolved: `expires_at` |
//!
//! Attributes (`?`: optional, absent, never NULL, when the value is `None`; S unless noted):
//!
//! - integration, inventory part (what `inventory apply` writes): `id`, `name`, `owner`,
//!   `severity`, `auth_url`, `client_id`, `client_secret` (M), `account_id` (N)?,
//!   `expected_scopes` (L of S), `secret_rotated_at`?, `secret_expires_at`? (`YYYY-MM-DD`),
//!   `depends_on` (L of S), `records_per_hour` (N)?, `runbook`?, `probe_every`,
//!   `recheck_every` (N, seconds), `expiry_warn_days` (L of N), `secret_lifetime_days` (N).
//! - integration, life: `retired` (BOOL), `retired_at`?, `added_at`, `secret_rotated_seen_at`?.
//! - integration, state (what a commit writes): `version` (N), `auth`, `monitor` (M, a track
//!   each), `last_class`?, `last_probe_at`?, `next_probe_at`?, `incident_seq` (N), `expiry`
//!   (M: `open_incident`?, `secret_version`?, `threshold`? (`30`, `expired`, `unknown`),
//!   `notified` L of S `{secret_version}#{threshold}`), `stale_incident`?,
//!   `secret_fingerprint`? (32 hex digits, see [`crate::secrets::fingerprint::secret_fingerprint`]; never the
//!   secret).
//! - team: `id`, `name`, `timezone`?, `business_hours` (M: `days` L of S `mon`..`sun`,
//!   `start`, `end` `HH:MM:SS`)?, `escalate_after` (N, seconds)?.
//! - probe history: `integration`, `probed_at`, `class`, `http_status` (N)?, `latency_ms` (N),
//!   `attempts` (N), `confirmed` (BOOL), `business_unit` (N)?, `missing_scopes` (L of S),
//!   `message`, `expires_at` (N, epoch seconds: probed_at + [`HISTORY_TTL_DAYS`] days).
//! - incident: `id`, `integration`, `check`, `class`, `severity`, `team`, `open` (BOOL),
//!   `opened_at`, `updated_at`, `resolved_at`?, `threshold_days` (N)?, `message`,
//!   `http_status` (N)?; while open only `gsi1pk` = `OPEN`, `gsi1sk` = `{opened_at}#{id}`;
//!   once resolved `expires_at` (N, epoch seconds: resolved_at + [`RESOLVED_INCIDENT_TTL_DAYS`]).
//!
//! Notes:
//!
//! - `client_secret` is a *reference* to where the secret lives, never its value:
//!   `{kind: env, name}`, `{kind: file, path}` or `{kind: aws_secret, id, key?}`.
//! - A track (`auth`, `monitor`) is a map `{health, class?, since?, consecutive_failures,
//!   first_failure_at?, consecutive_successes, open_incident?}`.
//! - Timestamps are RFC 3339 UTC strings with exactly three fractional digits
//!   (`2026-06-01T12:00:00.000Z`), so lexical order is time order (history sort keys, GSI);
//!   clamped to years 0000..=9999 when written, so they always read back.
//! - An item that does not decode, or holds values outside the inventory's bounds
//!   ([`crate::inventory::bounds`]), is listed apart ([`super::UnreadableIntegration`]).
//!   Classes are [`OutcomeClass::as_str`], health [`Health::as_str`], severity
//!   [`Severity::as_str`], check [`CheckKind::as_str`].
//! - Index `open-incidents` (keys `gsi1pk` / `gsi1sk`, projection ALL) is sparse: only open
//!   incidents carry its keys, resolving REMOVEs them, so listing open incidents reads only those.
//! - An integration's inventory and state share one item so the probe's hot path is one Query
//!   and one conditional write per probed integration. State commits never write inventory
//!   attributes (an `inventory apply` may run concurrently), nor `secret_rotated_seen_at`.
//! - An incident id `{integration}:{check}:{seq}` maps to its key and back
//!   ([`incident_key`], [`incident_id_of_key`]).
//! - `version` is 0 for a new integration; each applied commit sets it to expected + 1.
//!   `retired_at` is the first retirement's time; coming back into the inventory removes it.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::domain::state::{ExpiryTrack, Threshold};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, IndexStatus,
    KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TableStatus, TimeToLiveSpecification,
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};

use super::error_detail;
use crate::domain::incident::{CheckKind, IncidentClass, IncidentId};
use crate::domain::outcome::OutcomeClass;
use crate::domain::state::{CheckState, Health, Track};
use crate::inventory::{BusinessHours, Integration, Severity, Team};
use crate::secrets::SecretSource;
use crate::store::{
    HistoryEntry, Incident, IncidentChange, IntegrationRecord, StateCommit, StoreError, StoreResult,
};

/// Probe history is kept this long (DynamoDB TTL), unless the store is told otherwise.
pub const HISTORY_TTL_DAYS: i64 = 90;

/// A resolved incident is kept this long after it resolved (DynamoDB TTL on `expires_at`): a
/// year of look-back plus a margin. Open incidents never expire.
pub const RESOLVED_INCIDENT_TTL_DAYS: i64 = 400;

/// `expires_at` of an incident resolved at `at`.
pub fn resolved_expiry(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp()
        .saturating_add(RESOLVED_INCIDENT_TTL_DAYS * 86_400))
}

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI_NAME: &str = "open-incidents";
pub const GSI_PK: &str = "gsi1pk";
pub const GSI_SK: &str = "gsi1sk";
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// Partition of integrations and teams (few, small items: one Query lists them).
pub const INVENTORY_PK: &str = "INVENTORY";
pub const INTEGRATION_PREFIX: &str = "INT#";
pub const TEAM_PREFIX: &str = "TEAM#";
/// `gsi1pk` of every open incident.
pub const OPEN_GSI_PK: &str = "OPEN";

/// Attributes the adapter names in conditions and partial updates.
pub const VERSION: &str = "version";

/// Largest `version` an item may hold: 2^53 - 1, the largest integer every DynamoDB client
/// (JavaScript's included) reads exactly; at one commit a minute, billions of years away. A
/// larger one is an unreadable item, never an overflow.
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// Largest `incident_seq` an item may hold (incidents ever opened for one integration): far
/// beyond any real count, and far enough below `u32::MAX` that the next number always exists.
pub const MAX_INCIDENT_SEQ: u32 = i32::MAX as u32;
pub const OPEN: &str = "open";
pub const RETIRED: &str = "retired";
pub const RETIRED_AT: &str = "retired_at";

/// Every other attribute name: only the encoders and decoders below (and the DynamoDB
/// adapter's conditions) use them.
pub(crate) mod attr {
    pub const ID: &str = "id";
    pub const NAME: &str = "name";
    pub const OWNER: &str = "owner";
    pub const SEVERITY: &str = "severity";
    pub const AUTH_URL: &str = "auth_url";
    pub const CLIENT_ID: &str = "client_id";
    pub const CLIENT_SECRET: &str = "client_secret";
    pub const ACCOUNT_ID: &str = "account_id";
    pub const EXPECTED_SCOPES: &str = "expected_scopes";
    pub const SECRET_ROTATED_AT: &str = "secret_rotated_at";
    pub const SECRET_EXPIRES_AT: &str = "secret_expires_at";
    pub const DEPENDS_ON: &str = "depends_on";
    pub const RECORDS_PER_HOUR: &str = "records_per_hour";
    pub const RUNBOOK: &str = "runbook";
    pub const PROBE_EVERY: &str = "probe_every";
    pub const RECHECK_EVERY: &str = "recheck_every";
    pub const EXPIRY_WARN_DAYS: &str = "expiry_warn_days";
    pub const SECRET_LIFETIME_DAYS: &str = "secret_lifetime_days";
    pub const ADDED_AT: &str = "added_at";
    pub const SECRET_ROTATED_SEEN_AT: &str = "secret_rotated_seen_at";

    pub const AUTH: &str = "auth";
    pub const MONITOR: &str = "monitor";
    pub const LAST_CLASS: &str = "last_class";
    pub const LAST_PROBE_AT: &str = "last_probe_at";
    pub const NEXT_PROBE_AT: &str = "next_probe_at";
    pub const INCIDENT_SEQ: &str = "incident_seq";
    pub const EXPIRY: &str = "expiry";
    pub const STALE_INCIDENT: &str = "stale_incident";
    pub const SECRET_FINGERPRINT: &str = "secret_fingerprint";
    pub const THRESHOLD: &str = "threshold";
    /// Inside the `expiry` map: the secret version (expiry date) the open incident is about.
    pub const VERSION_KEY: &str = "secret_version";
    pub const NOTIFIED: &str = "notified";

    pub const HEALTH: &str = "health";
    pub const CLASS: &str = "class";
    pub const SINCE: &str = "since";
    pub const CONSECUTIVE_FAILURES: &str = "consecutive_failures";
    pub const FIRST_FAILURE_AT: &str = "first_failure_at";
    pub const CONSECUTIVE_SUCCESSES: &str = "consecutive_successes";
    pub const OPEN_INCIDENT: &str = "open_incident";

    pub const KIND: &str = "kind";
    pub const PATH: &str = "path";
    pub const KEY: &str = "key";

    pub const TIMEZONE: &str = "timezone";
    pub const BUSINESS_HOURS: &str = "business_hours";
    pub const DAYS: &str = "days";
    pub const START: &str = "start";
    pub const END: &str = "end";
    pub const ESCALATE_AFTER: &str = "escalate_after";

    pub const INTEGRATION: &str = "integration";
    pub const PROBED_AT: &str = "probed_at";
    pub const HTTP_STATUS: &str = "http_status";
    pub const LATENCY_MS: &str = "latency_ms";
    pub const ATTEMPTS: &str = "attempts";
    pub const CONFIRMED: &str = "confirmed";
    pub const BUSINESS_UNIT: &str = "business_unit";
    pub const MISSING_SCOPES: &str = "missing_scopes";
    pub const MESSAGE: &str = "message";

    pub const CHECK: &str = "check";
    pub const TEAM: &str = "team";
    pub const OPENED_AT: &str = "opened_at";
    pub const UPDATED_AT: &str = "updated_at";
    pub const RESOLVED_AT: &str = "resolved_at";
    pub const THRESHOLD_DAYS: &str = "threshold_days";
}

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Attributes to write, `None` meaning "absent" (omitted from a put, REMOVEd by an update).
pub type Fields = Vec<(&'static str, Option<AttributeValue>)>;

// ---------------------------------------------------------------------------------------------
// The table

/// The table's definition as plain data: [`create_table`] builds the table from it, and a test
/// compares it with the SAM template. Every key attribute is a string (`S`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    pub gsi_name: &'static str,
    pub gsi_partition_key: &'static str,
    pub gsi_sort_key: &'static str,
    /// `ALL`: the open-incidents listing needs whole incidents.
    pub gsi_projection: &'static str,
    pub ttl_attribute: &'static str,
    pub billing_mode: &'static str,
    pub stream_view_type: &'static str,
}

impl TableSpec {
    /// `AttributeDefinitions`: the four key attributes, all strings.
    pub fn attribute_definitions(&self) -> [(&'static str, &'static str); 4] {
        [
            (self.partition_key, "S"),
            (self.sort_key, "S"),
            (self.gsi_partition_key, "S"),
            (self.gsi_sort_key, "S"),
        ]
    }
}

pub fn table_spec() -> TableSpec {
    TableSpec {
        partition_key: PK,
        sort_key: SK,
        gsi_name: GSI_NAME,
        gsi_partition_key: GSI_PK,
        gsi_sort_key: GSI_SK,
        gsi_projection: "ALL",
        ttl_attribute: TTL_ATTRIBUTE,
        billing_mode: "PAY_PER_REQUEST",
        stream_view_type: "NEW_AND_OLD_IMAGES",
    }
}

/// How long [`create_table`] waits for the new table to become ACTIVE.
const CREATE_TIMEOUT: Duration = Duration::from_secs(180);

/// Creates the table from [`table_spec`], waits until it is ACTIVE, then enables TTL (which
/// DynamoDB only accepts on an existing table). An existing table of that name is an error.
pub async fn create_table(client: &Client, name: &str) -> StoreResult<()> {
    let spec = table_spec();
    let fail = |op: &str, detail: String| {
        StoreError(format!("DynamoDB {op} of table {name} failed: {detail}"))
    };
    let invalid = |err: aws_sdk_dynamodb::error::BuildError| fail("CreateTable", err.to_string());
    let key = |attribute: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(attribute)
            .key_type(key_type)
            .build()
            .map_err(invalid)
    };

    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::from(spec.billing_mode))
        .key_schema(key(spec.partition_key, KeyType::Hash)?)
        .key_schema(key(spec.sort_key, KeyType::Range)?)
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(spec.gsi_name)
                .key_schema(key(spec.gsi_partition_key, KeyType::Hash)?)
                .key_schema(key(spec.gsi_sort_key, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(spec.gsi_projection))
                        .build(),
                )
                .build()
                .map_err(invalid)?,
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(spec.stream_view_type))
                .build()
                .map_err(invalid)?,
        );
    for (attribute, kind) in spec.attribute_definitions() {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::from(kind))
                .build()
                .map_err(invalid)?,
        );
    }
    if let Err(err) = request.send().await {
        if err
            .as_service_error()
            .is_some_and(|e| e.is_resource_in_use_exception())
        {
            return Err(StoreError(format!(
                "DynamoDB table {name} already exists; use it as is, or choose another name"
            )));
        }
        return Err(fail("CreateTable", error_detail(&err)));
    }

    let deadline = tokio::time::Instant::now() + CREATE_TIMEOUT;
    loop {
        let described = client.describe_table().table_name(name).send().await;
        let described = described.map_err(|err| fail("DescribeTable", error_detail(&err)))?;
        let table = described.table();
        let active = table.and_then(|t| t.table_status()) == Some(&TableStatus::Active)
            && table.is_some_and(|t| {
                t.global_secondary_indexes()
                    .iter()
                    .all(|i| i.index_status() == Some(&IndexStatus::Active))
            });
        if active {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError(format!(
                "DynamoDB table {name} was created but is not ACTIVE after {}s",
                CREATE_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let ttl = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(spec.ttl_attribute)
        .build()
        .map_err(|err| fail("UpdateTimeToLive", err.to_string()))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|err| fail("UpdateTimeToLive", error_detail(&err)))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Keys

/// `(pk, sk)` of an item.
pub type Key = (String, String);

pub fn integration_key(id: &str) -> Key {
    (
        INVENTORY_PK.to_string(),
        format!("{INTEGRATION_PREFIX}{id}"),
    )
}

pub fn team_key(id: &str) -> Key {
    (INVENTORY_PK.to_string(), format!("{TEAM_PREFIX}{id}"))
}

pub fn history_pk(integration: &str) -> String {
    format!("HIST#{integration}")
}

pub fn history_key(integration: &str, probed_at: DateTime<Utc>) -> Key {
    (history_pk(integration), timestamp(probed_at))
}

pub fn incident_pk(integration: &str) -> String {
    format!("INC#{integration}")
}

/// The key of incident `{integration}:{check}:{seq}`: `INC#{integration}`, `{check}#{seq:06}`.
/// `None` if the id is not of that form.
pub fn incident_key(id: &str) -> Option<Key> {
    let mut parts = id.rsplitn(3, ':');
    let seq: u32 = parts.next()?.parse().ok()?;
    let check = CheckKind::parse(parts.next()?)?;
    let integration = parts.next().filter(|i| !i.is_empty())?;
    Some((
        incident_pk(integration),
        format!("{}#{seq:06}", check.as_str()),
    ))
}

/// The incident id stored under `(pk, sk)`, the inverse of [`incident_key`].
pub fn incident_id_of_key(pk: &str, sk: &str) -> Option<IncidentId> {
    let integration = pk.strip_prefix("INC#").filter(|i| !i.is_empty())?;
    let (check, seq) = sk.split_once('#')?;
    let check = CheckKind::parse(check)?;
    let seq: u32 = seq.parse().ok()?;
    Some(IncidentId::new(integration, check, seq))
}

/// The key attributes of an item.
pub fn key_item((pk, sk): &Key) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

/// `pk=… sk=…`, for messages.
pub fn describe_key((pk, sk): &Key) -> String {
    format!("pk={pk} sk={sk}")
}

/// The keys of a commit's incident writes, checked: every id well-formed, none twice (one
/// transaction cannot touch an item twice, and the in-memory store refuses the same).
pub fn commit_incident_keys(commit: &StateCommit) -> StoreResult<Vec<Key>> {
    let mut seen = HashSet::new();
    commit
        .incidents
        .iter()
        .map(|write| {
            let id = incident_write_id(write);
            let key = incident_key(id).ok_or_else(|| {
                StoreError(format!(
                    "commit of {}: incident id {id:?} is not of the form integration:check:seq",
                    commit.integration
                ))
            })?;
            if !seen.insert(key.clone()) {
                return Err(StoreError(format!(
                    "commit of {}: incident {id} is written twice in one commit",
                    commit.integration
                )));
            }
            Ok(key)
        })
        .collect()
}

/// The id of the incident a change is about, as text.
pub fn incident_write_id(write: &IncidentChange) -> &str {
    write.id().as_str()
}

// ---------------------------------------------------------------------------------------------
// Values

/// The latest time credwatch writes: the last millisecond of year 9999. Later times (a
/// schedule past any real date) are written as this, so every timestamp has a 4-digit year
/// and reads back.
pub fn latest_time() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(253_402_300_799_999).expect("9999-12-31 is representable")
}

/// RFC 3339 UTC with milliseconds: fixed width, so lexical order is time order. Clamped to
/// years 0000..=9999 ([`latest_time`]), so what is written can always be read back.
pub fn timestamp(at: DateTime<Utc>) -> String {
    let earliest =
        DateTime::from_timestamp_millis(-62_167_219_200_000).expect("year 0 is representable");
    at.clamp(earliest, latest_time())
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn boolean(value: bool) -> AttributeValue {
    AttributeValue::Bool(value)
}

pub fn time(at: DateTime<Utc>) -> AttributeValue {
    s(timestamp(at))
}

fn date(day: NaiveDate) -> AttributeValue {
    s(day.format("%Y-%m-%d").to_string())
}

fn seconds(duration: Duration) -> AttributeValue {
    n(duration.as_secs())
}

fn strings(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(s).collect())
}

fn numbers<T: Display>(values: &[T]) -> AttributeValue {
    AttributeValue::L(values.iter().map(n).collect())
}

fn map(fields: Fields) -> AttributeValue {
    AttributeValue::M(to_item(fields))
}

/// An item (or map) of the present fields.
fn to_item(fields: Fields) -> Item {
    fields
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_string(), value?)))
        .collect()
}

fn keyed(key: &Key, fields: Fields) -> Item {
    let mut item = to_item(fields);
    item.extend(key_item(key));
    item
}

// ---------------------------------------------------------------------------------------------
// Integrations

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
        (VERSION, Some(n(0))),
        (RETIRED, Some(boolean(false))),
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
        (VERSION, Some(n(0))),
        (RETIRED, Some(boolean(false))),
        (attr::ADDED_AT, Some(time(now))),
    ]);
    keyed(&integration_key(&integration.id), fields)
}

/// An open incident handed to another team.
pub fn reassign_fields(team: &str, at: DateTime<Utc>) -> Fields {
    vec![
        (attr::TEAM, Some(s(team))),
        (attr::UPDATED_AT, Some(time(at))),
    ]
}

/// The inventory attributes (what `inventory apply` owns).
pub fn inventory_fields(i: &Integration) -> Fields {
    use attr::*;
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
    ]
}

/// Back in the inventory: not retired any more.
pub fn unretired_fields() -> Fields {
    vec![(RETIRED, Some(boolean(false))), (RETIRED_AT, None)]
}

/// The state attributes a commit writes, all but `version` (which the store sets). Never the
/// inventory, never `secret_rotated_seen_at`.
pub fn state_fields(state: &CheckState) -> Fields {
    use attr::*;
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
    use attr::*;
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
    use attr::*;
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
    use attr::*;
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

pub fn decode_integration(item: &Item) -> Result<IntegrationRecord, Corrupt> {
    use attr::*;
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
    };
    check_bounds(&r, &integration)?;
    let state = CheckState {
        auth: decode_track(&r.map(AUTH)?)?,
        monitor: decode_track(&r.map(MONITOR)?)?,
        last_class: r.opt_parsed(LAST_CLASS, "outcome class", OutcomeClass::parse)?,
        last_probe_at: r.opt_time(LAST_PROBE_AT)?,
        next_probe_at: r.opt_time(NEXT_PROBE_AT)?,
        incident_seq: r.number_at_most(INCIDENT_SEQ, MAX_INCIDENT_SEQ)?,
        // Items written before expiry tracking existed have neither attribute.
        expiry: r
            .opt_map(EXPIRY)?
            .map(|t| decode_expiry_track(&t))
            .transpose()?
            .unwrap_or_default(),
        stale_incident: r.opt_parsed(STALE_INCIDENT, "incident id", |t| t.parse().ok())?,
        secret_fingerprint: r.opt_string(SECRET_FINGERPRINT)?,
        version: r.number_at_most(VERSION, MAX_VERSION)?,
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
    use crate::inventory::bounds::{
        CLIENT_ID_MAX, DEPENDS_ON_MAX, NAME_MAX, PROBE_EVERY, RECHECK_EVERY, RECORDS_PER_HOUR_MAX,
        SCOPE_MAX, SCOPES_MAX, SECRET_LIFETIME_DAYS_MAX, SECRET_REF_MAX, URL_MAX,
        WARN_DAYS_COUNT_MAX, WARN_DAYS_MAX, within,
    };
    use attr::{
        AUTH_URL, CLIENT_ID, CLIENT_SECRET, DEPENDS_ON, EXPECTED_SCOPES, EXPIRY_WARN_DAYS, NAME,
        OWNER, RECORDS_PER_HOUR, RUNBOOK, SECRET_LIFETIME_DAYS,
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

fn decode_expiry_track(r: &Reader<'_>) -> ReadResult<ExpiryTrack> {
    use attr::*;
    Ok(ExpiryTrack {
        open_incident: r.opt_parsed(OPEN_INCIDENT, "incident id", |t| t.parse().ok())?,
        version: r.opt_string(VERSION_KEY)?,
        threshold: r.opt_parsed(THRESHOLD, "expiry threshold", Threshold::parse)?,
        notified: r.strings(NOTIFIED)?,
    })
}

fn decode_track(r: &Reader<'_>) -> ReadResult<Track> {
    use attr::*;
    Ok(Track {
        health: r.parsed(HEALTH, "health", Health::parse)?,
        class: r.opt_parsed(CLASS, "outcome class", OutcomeClass::parse)?,
        since: r.opt_time(SINCE)?,
        consecutive_failures: r.number(CONSECUTIVE_FAILURES)?,
        first_failure_at: r.opt_time(FIRST_FAILURE_AT)?,
        consecutive_successes: r.number(CONSECUTIVE_SUCCESSES)?,
        open_incident: r.opt_parsed(OPEN_INCIDENT, "incident id", |t| t.parse().ok())?,
    })
}

fn decode_secret_source(r: &Reader<'_>) -> ReadResult<SecretSource> {
    use attr::*;
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

// ---------------------------------------------------------------------------------------------
// Teams

pub fn team_item(team: &Team) -> Item {
    use attr::*;
    let hours = team.business_hours.as_ref().map(|h| {
        let days = h
            .days
            .iter()
            .map(|d| s(d.to_string().to_lowercase()))
            .collect();
        map(vec![
            (DAYS, Some(AttributeValue::L(days))),
            (START, Some(s(h.start.format("%H:%M:%S").to_string()))),
            (END, Some(s(h.end.format("%H:%M:%S").to_string()))),
        ])
    });
    let fields = vec![
        (ID, Some(s(&team.id))),
        (NAME, Some(s(&team.name))),
        (TIMEZONE, team.timezone.as_deref().map(s)),
        (BUSINESS_HOURS, hours),
        (ESCALATE_AFTER, team.escalate_after.map(seconds)),
    ];
    keyed(&team_key(&team.id), fields)
}

pub fn decode_team(item: &Item) -> StoreResult<Team> {
    use attr::*;
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let clock = |text: &str| NaiveTime::parse_from_str(text, "%H:%M:%S").ok();
    let business_hours = match r.opt_map(BUSINESS_HOURS)? {
        None => None,
        Some(h) => Some(BusinessHours {
            days: h.parsed_list(DAYS, "weekday", |text| Weekday::from_str(text).ok())?,
            start: h.parsed(START, "time of day", clock)?,
            end: h.parsed(END, "time of day", clock)?,
        }),
    };
    Ok(Team {
        id: r.string(ID)?,
        name: r.string(NAME)?,
        timezone: r.opt_string(TIMEZONE)?,
        business_hours,
        escalate_after: r.opt_number(ESCALATE_AFTER)?.map(Duration::from_secs),
    })
}

// ---------------------------------------------------------------------------------------------
// History

pub fn history_item(entry: &HistoryEntry, ttl_days: i64) -> Item {
    use attr::*;
    let expires_at = entry
        .probed_at
        .timestamp()
        .saturating_add(ttl_days.saturating_mul(86_400));
    let fields = vec![
        (INTEGRATION, Some(s(&entry.integration))),
        (PROBED_AT, Some(time(entry.probed_at))),
        (CLASS, Some(s(entry.class.as_str()))),
        (HTTP_STATUS, entry.http_status.map(n)),
        (LATENCY_MS, Some(n(entry.latency_ms))),
        (ATTEMPTS, Some(n(entry.attempts))),
        (CONFIRMED, Some(boolean(entry.confirmed))),
        (BUSINESS_UNIT, entry.business_unit.map(n)),
        (MISSING_SCOPES, Some(strings(&entry.missing_scopes))),
        (MESSAGE, Some(s(&entry.message))),
        (TTL_ATTRIBUTE, Some(n(expires_at))),
    ];
    keyed(&history_key(&entry.integration, entry.probed_at), fields)
}

pub fn decode_history(item: &Item) -> StoreResult<HistoryEntry> {
    use attr::*;
    let label = item_label(item);
    let r = Reader::new(item, &label);
    Ok(HistoryEntry {
        integration: r.string(INTEGRATION)?,
        probed_at: r.time(PROBED_AT)?,
        class: r.parsed(CLASS, "outcome class", OutcomeClass::parse)?,
        http_status: r.opt_number(HTTP_STATUS)?,
        latency_ms: r.number(LATENCY_MS)?,
        attempts: r.number(ATTEMPTS)?,
        confirmed: r.boolean(CONFIRMED)?,
        business_unit: r.opt_number(BUSINESS_UNIT)?,
        missing_scopes: r.strings(MISSING_SCOPES)?,
        message: r.string(MESSAGE)?,
    })
}

// ---------------------------------------------------------------------------------------------
// Incidents

/// The whole item of an incident (`None` if its id is malformed), with the open-incidents
/// index keys while it is open.
pub fn incident_item(incident: &Incident) -> Option<Item> {
    use attr::*;
    let key = incident_key(incident.id.as_str())?;
    let mut fields = vec![
        (ID, Some(s(incident.id.as_str()))),
        (INTEGRATION, Some(s(&incident.integration))),
        (CHECK, Some(s(incident.check.as_str()))),
        (CLASS, Some(s(incident.class.as_str()))),
        (SEVERITY, Some(s(incident.severity.as_str()))),
        (TEAM, Some(s(&incident.team))),
        (OPEN, Some(boolean(incident.open))),
        (OPENED_AT, Some(time(incident.opened_at))),
        (UPDATED_AT, Some(time(incident.updated_at))),
        (RESOLVED_AT, incident.resolved_at.map(time)),
        (THRESHOLD_DAYS, incident.threshold_days.map(n)),
        (MESSAGE, Some(s(&incident.message))),
        (HTTP_STATUS, incident.http_status.map(n)),
    ];
    if incident.open {
        fields.extend(open_index_fields(incident.opened_at, incident.id.as_str()));
    } else if let Some(resolved_at) = incident.resolved_at {
        fields.push((TTL_ATTRIBUTE, Some(resolved_expiry(resolved_at))));
    }
    Some(keyed(&key, fields))
}

fn open_index_fields(opened_at: DateTime<Utc>, id: &str) -> Fields {
    vec![
        (GSI_PK, Some(s(OPEN_GSI_PK))),
        (GSI_SK, Some(s(format!("{}#{id}", timestamp(opened_at))))),
    ]
}

/// What an `Update` or `Resolve` writes onto the open incident (`None` for `Open`, which puts
/// a whole item). Resolving removes the open-incidents index keys.
pub fn incident_change_fields(write: &IncidentChange) -> Option<Fields> {
    use attr::*;
    match write {
        IncidentChange::Opened(_) => None,
        IncidentChange::Changed {
            class,
            message,
            http_status,
            severity,
            threshold_days,
            at,
            ..
        } => Some(vec![
            (CLASS, Some(s(class.as_str()))),
            (MESSAGE, Some(s(message))),
            (HTTP_STATUS, http_status.map(n)),
            (SEVERITY, Some(s(severity.as_str()))),
            (THRESHOLD_DAYS, threshold_days.map(n)),
            (UPDATED_AT, Some(time(*at))),
        ]),
        IncidentChange::Resolved { message, at, .. } => Some(resolved_fields(message, *at)),
    }
}

/// What resolving writes onto an open incident: closed at `at` with `message`, its TTL set and
/// its open-incidents index keys removed.
pub fn resolved_fields(message: &str, at: DateTime<Utc>) -> Fields {
    use attr::*;
    vec![
        (TTL_ATTRIBUTE, Some(resolved_expiry(at))),
        (OPEN, Some(boolean(false))),
        (MESSAGE, Some(s(message))),
        (RESOLVED_AT, Some(time(at))),
        (UPDATED_AT, Some(time(at))),
        (GSI_PK, None),
        (GSI_SK, None),
    ]
}

pub fn decode_incident(item: &Item) -> StoreResult<Incident> {
    Ok(decode_incident_item(item)?)
}

/// [`decode_incident`], saying which attribute is wrong and why (never its value).
pub fn decode_incident_item(item: &Item) -> Result<Incident, Corrupt> {
    use attr::*;
    let label = item_label(item);
    let r = Reader::new(item, &label);
    Ok(Incident {
        id: r.parsed(ID, "incident id", |t| t.parse().ok())?,
        integration: r.string(INTEGRATION)?,
        check: r.parsed(CHECK, "check", CheckKind::parse)?,
        class: r.parsed(CLASS, "incident class", IncidentClass::parse)?,
        severity: r.parsed(SEVERITY, "severity", Severity::parse)?,
        team: r.string(TEAM)?,
        open: r.boolean(OPEN)?,
        opened_at: r.time(OPENED_AT)?,
        updated_at: r.time(UPDATED_AT)?,
        resolved_at: r.opt_time(RESOLVED_AT)?,
        threshold_days: r.opt_number(THRESHOLD_DAYS)?,
        message: r.string(MESSAGE)?,
        http_status: r.opt_number(HTTP_STATUS)?,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading attributes

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The version a commit writes after `expected`: an error naming the integration when
/// `expected` is already [`MAX_VERSION`] (a hand-edited item), never an overflow.
pub fn next_version(integration: &str, expected: u64) -> StoreResult<u64> {
    expected
        .checked_add(1)
        .filter(|&next| next <= MAX_VERSION)
        .ok_or_else(|| {
            StoreError(format!(
                "integration {integration}: attribute {VERSION} is outside 0..={MAX_VERSION}; \
                 `credwatch inventory apply` rewrites the item"
            ))
        })
}

/// The integration id in a raw integration item's sort key `INT#{id}`, if it has one.
pub fn item_key_id(item: &Item) -> Option<&str> {
    item.get(SK)?.as_s().ok()?.strip_prefix(INTEGRATION_PREFIX)
}

/// The integration id in a raw incident item's partition key `INC#{id}`, if it has one.
pub fn item_incident_integration(item: &Item) -> Option<&str> {
    item.get(PK)?.as_s().ok()?.strip_prefix("INC#")
}

/// `pk=… sk=…` of a raw item, for messages (keys are ids and timestamps, never secrets).
fn item_label(item: &Item) -> String {
    // Keys are whatever was written to the table: escaped and capped wherever they are shown.
    let key = |name| {
        item.get(name).and_then(|v| v.as_s().ok()).map_or_else(
            || "?".to_string(),
            |text| crate::text::printable::echo(text),
        )
    };
    format!("pk={} sk={}", key(PK), key(SK))
}

/// Why an item cannot be decoded: its key, the attribute's path and the problem, never the
/// value (which might be anything, in a corrupt item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt {
    /// `pk=… sk=…`.
    pub label: String,
    /// The attribute's path, e.g. `next_probe_at`, `auth.health`.
    pub field: String,
    /// What is wrong with it, e.g. `is missing`, `is not a number (N)`.
    pub problem: String,
}

impl From<Corrupt> for StoreError {
    fn from(c: Corrupt) -> Self {
        StoreError(format!(
            "item {} is corrupt: attribute {} {}",
            c.label, c.field, c.problem
        ))
    }
}

type ReadResult<T> = Result<T, Corrupt>;

/// Typed access to an item's (or a nested map's) attributes. Errors name the item's key and
/// the attribute's path, never the value (which might be anything, in a corrupt item).
struct Reader<'a> {
    attributes: &'a Item,
    label: &'a str,
    /// `""` at the top, `"auth."` inside the `auth` map.
    path: String,
}

impl<'a> Reader<'a> {
    fn new(attributes: &'a Item, label: &'a str) -> Self {
        Reader {
            attributes,
            label,
            path: String::new(),
        }
    }

    fn corrupt(&self, name: &str, problem: &str) -> Corrupt {
        Corrupt {
            label: self.label.to_string(),
            field: format!("{}{name}", self.path),
            problem: problem.to_string(),
        }
    }

    /// `None` when absent; NULL counts as absent.
    fn get(&self, name: &str) -> Option<&'a AttributeValue> {
        self.attributes.get(name).filter(|v| !v.is_null())
    }

    fn required(&self, name: &str) -> ReadResult<&'a AttributeValue> {
        self.get(name)
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    fn str_of(&self, name: &str, value: &'a AttributeValue) -> ReadResult<&'a str> {
        value
            .as_s()
            .map(String::as_str)
            .map_err(|_| self.corrupt(name, "is not a string (S)"))
    }

    fn str(&self, name: &str) -> ReadResult<&'a str> {
        self.str_of(name, self.required(name)?)
    }

    fn string(&self, name: &str) -> ReadResult<String> {
        self.str(name).map(str::to_string)
    }

    fn opt_string(&self, name: &str) -> ReadResult<Option<String>> {
        self.get(name)
            .map(|v| self.str_of(name, v).map(str::to_string))
            .transpose()
    }

    fn parsed<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> ReadResult<T> {
        parse(self.str(name)?).ok_or_else(|| self.corrupt(name, &format!("is not a valid {what}")))
    }

    fn opt_parsed<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> ReadResult<Option<T>> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.parsed(name, what, parse).map(Some),
        }
    }

    fn time(&self, name: &str) -> ReadResult<DateTime<Utc>> {
        self.parsed(name, "RFC 3339 timestamp", parse_time)
    }

    fn opt_time(&self, name: &str) -> ReadResult<Option<DateTime<Utc>>> {
        self.opt_parsed(name, "RFC 3339 timestamp", parse_time)
    }

    fn number_of<T: FromStr>(&self, name: &str, value: &AttributeValue) -> ReadResult<T> {
        let text = value
            .as_n()
            .map_err(|_| self.corrupt(name, "is not a number (N)"))?;
        text.parse()
            .map_err(|_| self.corrupt(name, "is out of range"))
    }

    fn number<T: FromStr>(&self, name: &str) -> ReadResult<T> {
        self.number_of(name, self.required(name)?)
    }

    /// A required number in `0..=max` (counters that are incremented: never an overflow).
    fn number_at_most<T: FromStr + PartialOrd + Display>(
        &self,
        name: &str,
        max: T,
    ) -> ReadResult<T> {
        let value: T = self.number(name)?;
        if value > max {
            return Err(self.corrupt(name, &format!("is outside 0..={max}")));
        }
        Ok(value)
    }

    fn opt_number<T: FromStr>(&self, name: &str) -> ReadResult<Option<T>> {
        self.get(name).map(|v| self.number_of(name, v)).transpose()
    }

    fn boolean(&self, name: &str) -> ReadResult<bool> {
        self.required(name)?
            .as_bool()
            .copied()
            .map_err(|_| self.corrupt(name, "is not a boolean (BOOL)"))
    }

    fn list(&self, name: &str) -> ReadResult<&'a [AttributeValue]> {
        self.required(name)?
            .as_l()
            .map(Vec::as_slice)
            .map_err(|_| self.corrupt(name, "is not a list (L)"))
    }

    fn strings(&self, name: &str) -> ReadResult<Vec<String>> {
        self.list(name)?
            .iter()
            .map(|v| self.str_of(name, v).map(str::to_string))
            .collect()
    }

    fn parsed_list<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> ReadResult<Vec<T>> {
        let parse_one = |v| {
            parse(self.str_of(name, v)?)
                .ok_or_else(|| self.corrupt(name, &format!("holds an invalid {what}")))
        };
        self.list(name)?.iter().map(parse_one).collect()
    }

    fn numbers<T: FromStr>(&self, name: &str) -> ReadResult<Vec<T>> {
        self.list(name)?
            .iter()
            .map(|v| self.number_of(name, v))
            .collect()
    }

    fn nested(&self, name: &str, value: &'a AttributeValue) -> ReadResult<Reader<'a>> {
        let attributes = value
            .as_m()
            .map_err(|_| self.corrupt(name, "is not a map (M)"))?;
        Ok(Reader {
            attributes,
            label: self.label,
            path: format!("{}{name}.", self.path),
        })
    }

    fn map(&self, name: &str) -> ReadResult<Reader<'a>> {
        self.nested(name, self.required(name)?)
    }

    fn opt_map(&self, name: &str) -> ReadResult<Option<Reader<'a>>> {
        self.get(name).map(|v| self.nested(name, v)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_ids_map_to_keys_and_back() {
        let key = incident_key("crm-contact-sync:auth:3").unwrap();
        assert_eq!(
            key,
            (
                "INC#crm-contact-sync".to_string(),
                "auth#000003".to_string()
            )
        );
        assert_eq!(
            incident_id_of_key(&key.0, &key.1)
                .as_ref()
                .map(IncidentId::as_str),
            Some("crm-contact-sync:auth:3")
        );
        for bad in [
            "",
            "x",
            "a:auth",
            "a:bogus:1",
            ":auth:1",
            "a:auth:-1",
            "a:auth:one",
        ] {
            assert_eq!(incident_key(bad), None, "{bad}");
        }
        assert_eq!(incident_id_of_key("INC#a", "auth"), None);
        assert_eq!(incident_id_of_key("HIST#a", "auth#000001"), None);
    }

    #[test]
    fn timestamps_are_fixed_width_and_sort_in_time_order() {
        let whole = DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let later = whole + chrono::TimeDelta::milliseconds(5);
        assert_eq!(timestamp(whole), "2026-06-01T12:00:00.000Z");
        assert_eq!(timestamp(later), "2026-06-01T12:00:00.005Z");
        assert!(timestamp(whole) < timestamp(later));
        assert_eq!(parse_time(&timestamp(later)), Some(later));
    }

    /// DynamoDB's item size: attribute names plus values (strings and numbers by length, lists
    /// and maps by their elements plus 3 bytes each, booleans 1 byte).
    fn item_size(item: &Item) -> usize {
        fn value_size(value: &AttributeValue) -> usize {
            match value {
                AttributeValue::S(text) | AttributeValue::N(text) => text.len(),
                AttributeValue::Bool(_) => 1,
                AttributeValue::L(values) => {
                    3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>()
                }
                AttributeValue::M(map) => {
                    3 + map
                        .iter()
                        .map(|(k, v)| 1 + k.len() + value_size(v))
                        .sum::<usize>()
                }
                _ => 0,
            }
        }
        item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
    }

    #[test]
    fn worst_case_item_is_far_below_dynamodb_limit() {
        use crate::inventory::bounds::*;
        // Every text at its limit, in 4-byte characters (the worst UTF-8 can do).
        let wide = |chars: usize| "😀".repeat(chars);
        let url = |chars: usize| {
            url::Url::parse(&format!(
                "https://example.com/{}",
                "%F0%9F%98%80".repeat(chars / 12)
            ))
            .unwrap()
        };
        let integration = Integration {
            id: "a".repeat(64),
            name: wide(NAME_MAX),
            owner: "o".repeat(64),
            severity: Severity::Critical,
            auth_url: url(URL_MAX),
            client_id: wide(CLIENT_ID_MAX),
            client_secret: SecretSource::AwsSecret {
                id: wide(SECRET_REF_MAX),
                key: Some(wide(SECRET_REF_MAX)),
            },
            account_id: Some(u64::MAX),
            expected_scopes: (0..SCOPES_MAX).map(|_| wide(SCOPE_MAX)).collect(),
            secret_rotated_at: NaiveDate::from_ymd_opt(2026, 1, 1),
            secret_expires_at: NaiveDate::from_ymd_opt(2026, 1, 1),
            depends_on: (0..DEPENDS_ON_MAX).map(|_| wide(NAME_MAX)).collect(),
            records_per_hour: Some(RECORDS_PER_HOUR_MAX),
            runbook: Some(url(URL_MAX).to_string()),
            probe_every: PROBE_EVERY.1,
            recheck_every: RECHECK_EVERY.1,
            expiry_warn_days: (1..=WARN_DAYS_COUNT_MAX as u32).collect(),
            secret_lifetime_days: SECRET_LIFETIME_DAYS_MAX as u32,
        };
        let now = DateTime::<Utc>::MAX_UTC;
        let size = item_size(&new_integration_item(&integration, now, now));
        println!("worst-case integration item: {size} bytes");
        assert!(
            size < 140_000,
            "worst-case integration item is {size} bytes"
        );
        assert!(
            size * 2 < 400 * 1024,
            "{size} bytes is not far below 400 KB"
        );
    }

    #[test]
    fn timestamps_are_clamped_to_four_digit_years_and_read_back() {
        let far = DateTime::<Utc>::MAX_UTC;
        assert_eq!(timestamp(far), "9999-12-31T23:59:59.999Z");
        assert_eq!(parse_time(&timestamp(far)), Some(latest_time()));
        let early = DateTime::<Utc>::MIN_UTC;
        assert_eq!(timestamp(early), "0000-01-01T00:00:00.000Z");
        assert!(parse_time(&timestamp(early)).is_some());
    }

    #[test]
    fn corrupt_attributes_are_named_without_their_value() {
        let mut item = key_item(&integration_key("broken"));
        item.insert(
            "auth".into(),
            AttributeValue::M(HashMap::from([("health".into(), s("s3cr3t-ish"))])),
        );
        let label = item_label(&item);
        let r = Reader::new(&item, &label);
        let err = StoreError::from(decode_track(&r.map("auth").unwrap()).unwrap_err());
        assert!(err.0.contains("pk=INVENTORY sk=INT#broken"), "{err}");
        assert!(err.0.contains("auth.health"), "{err}");
        assert!(!err.0.contains("s3cr3t-ish"), "{err}");
        let err = StoreError::from(r.number::<u64>("version").unwrap_err());
        assert!(err.0.contains("version is missing"), "{err}");
    }
}
