//! The store on DynamoDB: one table, and the one place that knows key names and item shapes.
//!
//! # Architecture
//!
//! - [`table`]: the table's definition ([`TableSpec`]) and [`create_table`].
//! - [`keys`]: the key layout, one constant per key prefix ([`keys::INCIDENT_PREFIX`], ...).
//! - [`attributes`]: attribute names. [`value`]: attribute values (timestamps, numbers, lists).
//! - [`reader`]: the typed attribute reader every decoder uses; a problem names the item's key,
//!   the attribute and what is wrong, never the value ([`UnreadableItem`](crate::store::UnreadableItem)).
//! - [`expr`]: expression helpers (placeholders, conditions, partial updates, Queries).
//! - One file per item kind with its encoder and decoder: [`integration`], [`team`],
//!   [`history`], [`incident`], [`notification`], [`audit`], [`silence`], [`group`];
//!   [`maintenance`]: the windows both teams and integrations hold.
//! - [`image`]: DynamoDB stream images decoded by those same decoders (the alert fan-out's
//!   input).
//! - [`error`]: request failures sorted into [`crate::store::StoreError`] kinds.
//! - [`DynamoStore`] (`adapter/`): the role traits on these, one file per role.
//!
//! # Layout
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
//! | notification | `NTF#{incident_id}` | `{notification_id}` | while pending: `gsi1pk`, `gsi1sk` | once sent or failed: `expires_at` |
//! | audit entry | `AUDIT#{source_id}` | `{decision}` | | `expires_at` |
//! | silence | `SILENCE` | `{id}` | | `expires_at` |
//! | minute counters | `CALLS#{integration}` | `{minute}` | | `expires_at` (minute + 8 d) |
//! | failed call | `CALLEV#{integration}` | `{observed_at}#{event_id}` | | `expires_at` (observed_at + 7 d) |
//! | passive state | `PASSIVE` | `STATE#{integration}` | | |
//! | ingest token | `INGEST` | `TOKEN#{sha256 hex}` | | |
//! | ingest allowance | `QUOTA#{integration}` | `{minute}` | | `expires_at` (minute + 1 h) |
//!
//! Attributes (`?`: optional, absent, never NULL, when the value is `None`; S unless noted):
//!
//! - integration, inventory part (what `inventory apply` writes): `id`, `name`, `owner`,
//!   `severity`, `auth_url`, `client_id`, `client_secret` (M), `account_id` (N)?,
//!   `expected_scopes` (L of S), `secret_rotated_at`?, `secret_expires_at`? (`YYYY-MM-DD`),
//!   `depends_on` (L of S), `records_per_hour` (N)?, `runbook`?, `probe_every`,
//!   `recheck_every` (N, seconds), `expiry_warn_days` (L of N), `secret_lifetime_days` (N),
//!   `maintenance` (L of M, [`maintenance`]; absent in older items: none), `ingest` (M:
//!   `log_groups`, `event_sources`, L of S each; absent in older items: none).
//! - integration, life: `retired` (BOOL), `retired_at`?, `added_at`, `secret_rotated_seen_at`?.
//! - integration, state (what a commit writes): `version` (N), `auth`, `monitor` (M, a track
//!   each), `last_class`?, `last_probe_at`?, `next_probe_at`?, `incident_seq` (N), `expiry`
//!   (M: `open_incident`?, `secret_version`?, `threshold`? (`30`, `expired`, `unknown`),
//!   `notified` L of S `{secret_version}#{threshold}`), `stale_incident`?,
//!   `secret_fingerprint`? (32 hex digits, a fingerprint of the value; never the
//!   secret).
//! - team: `id`, `name`, `timezone`?, `business_hours` (M: `days` L of S `mon`..`sun`,
//!   `start`, `end` `HH:MM:SS`)?, `escalate_after` (N, seconds)?, `escalate_to`?,
//!   `after_hours_to`? (team ids), `notify` (M: `email` L of S (addresses), `min_severity` S,
//!   `remind_after` L of N (seconds), `remind_max` N?, `group_wait` N (seconds), `group_min` N;
//!   absent in items written before it, read as no addresses and `low`; each of the last four
//!   absent in items written before it, read as its default), `maintenance` (L of M, absent:
//!   none).
//! - probe history: `integration`, `probed_at`, `class`, `http_status` (N)?, `latency_ms` (N),
//!   `attempts` (N), `confirmed` (BOOL), `business_unit` (N)?, `missing_scopes` (L of S),
//!   `message`, `expires_at` (N, epoch seconds: probed_at + [`history::HISTORY_TTL_DAYS`] days).
//! - incident: `id`, `integration`, `check`, `class`, `severity`, `team`, `open` (BOOL),
//!   `opened_at`, `updated_at`, `resolved_at`?, `threshold_days` (N)?, `message`,
//!   `http_status` (N)?, `class_since`? (set by a change of class), `ack`? (M: `by`, `at`,
//!   `note`?; written and removed only by `acknowledge` / `unacknowledge`, never touching
//!   `updated_at`); while open only `gsi1pk` = `OPEN`, `gsi1sk` = `{opened_at}#{id}`;
//!   once resolved `expires_at` (N, epoch seconds: resolved_at + [`incident::RESOLVED_INCIDENT_TTL_DAYS`]).
//! - notification: `notification` (the [`crate::notify::notification::Notification`] as JSON,
//!   at most [`notification::NOTIFICATION_JSON_MAX_BYTES`]), `created_at`, `state` (`pending`,
//!   `sent`, `failed`), `attempts` (N), `next_attempt_at`? (pending only), `message_id`? (sent
//!   only), `finished_at`? (sent or failed), `error_kind`? + `error_detail`? (the last failure,
//!   at most 500 characters), `shrink` (N), `revision` (N); while pending `gsi1pk` = `PENDING`,
//!   `gsi1sk` = `{next_attempt_at}#{notification_id}`; once finished `expires_at` (N:
//!   finished_at + [`crate::notify::delivery::AUDIT_RETENTION_DAYS`]).
//! - audit entry: `decision` (`ignored`, `corrupt`), `incident_id`?, `source_id` (the stream
//!   record's `eventID`), `reason`, `at`, `expires_at` (N: at +
//!   [`crate::notify::delivery::AUDIT_RETENTION_DAYS`]).
//! - silence: `id`, `matchers` (L of M `{field, value}`), `starts_at`, `ends_at`, `reason`,
//!   `created_by`, `created_at`, `expired_at`?, `expired_by`?, `expires_at` (N: the effective
//!   end + [`crate::store::invariants::SILENCE_RETENTION_DAYS`]); see [`silence`].
//! - passive tracking's items (minute counters, failed calls, passive state, ingest tokens and
//!   allowance): see [`passive`].
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
//!   ([`crate::inventory::bounds`]), is listed apart ([`crate::store::UnreadableIntegration`]).
//!   Classes are [`crate::domain::outcome::OutcomeClass::as_str`], health
//!   [`crate::domain::state::Health::as_str`], severity [`crate::inventory::Severity::as_str`],
//!   check [`crate::domain::incident::CheckKind::as_str`]. An incident item must also hold the id
//!   its key stands for, and texts within bounds ([`incident::decode_incident`]).
//! - Index `open-incidents` (keys `gsi1pk` / `gsi1sk`, projection ALL) is sparse: only open
//!   incidents (`gsi1pk` = `OPEN`) and pending notifications (`gsi1pk` = `PENDING`) carry its
//!   keys, resolving or finishing REMOVEs them, so listing open incidents or due notifications
//!   reads only those, and whole (no GetItem after the Query).
//! - An integration's inventory and state share one item so the probe's hot path is one Query
//!   and one conditional write per probed integration. State commits never write inventory
//!   attributes (an `inventory apply` may run concurrently), nor `secret_rotated_seen_at`.
//! - An incident id `{integration}:{check}:{seq}` maps to its key and back
//!   ([`keys::incident_key`], [`keys::incident_id_of_key`]).
//! - `version` is 0 for a new integration; each applied commit sets it to expected + 1, up to
//!   [`crate::store::invariants::MAX_VERSION`].
//!   `retired_at` is the first retirement's time; coming back into the inventory removes it.

mod adapter;
pub mod attributes;
pub mod audit;
pub mod error;
pub mod expr;
pub mod group;
pub mod history;
pub mod image;
pub mod incident;
pub mod integration;
pub mod keys;
pub mod maintenance;
pub mod notification;
pub mod passive;
pub mod reader;
pub mod silence;
pub mod table;
pub mod team;
pub mod value;

pub use adapter::DynamoStore;
pub use history::HISTORY_TTL_DAYS;
pub use image::{StoredItem, decode_image, decode_item, incident_of_image};
pub use table::{TableSpec, create_table, table_spec};
