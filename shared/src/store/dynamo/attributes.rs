//! Attribute names: the encoders and decoders of each item kind and the adapter's conditions
//! use these, nothing else. What each holds is documented in [`super`].

/// Integration, team and incident id.
pub const ID: &str = "id";
/// Display name (integration, team); also the variable name of an `env` secret source.
pub const NAME: &str = "name";
/// Owning team id.
pub const OWNER: &str = "owner";
/// `critical`, `high`, `medium` or `low`.
pub const SEVERITY: &str = "severity";
/// SFMC authentication base URI.
pub const AUTH_URL: &str = "auth_url";
/// SFMC installed-package client id.
pub const CLIENT_ID: &str = "client_id";
/// Where the client secret lives (M), never its value.
pub const CLIENT_SECRET: &str = "client_secret";
/// Business unit MID (N).
pub const ACCOUNT_ID: &str = "account_id";
/// Scopes the token must carry (L of S).
pub const EXPECTED_SCOPES: &str = "expected_scopes";
/// Day the secret was last rotated (`YYYY-MM-DD`).
pub const SECRET_ROTATED_AT: &str = "secret_rotated_at";
/// Day the secret expires (`YYYY-MM-DD`).
pub const SECRET_EXPIRES_AT: &str = "secret_expires_at";
/// What depends on the credential (L of S).
pub const DEPENDS_ON: &str = "depends_on";
/// Records moved per hour, for impact estimates (N).
pub const RECORDS_PER_HOUR: &str = "records_per_hour";
/// Runbook URL.
pub const RUNBOOK: &str = "runbook";
/// Probe cadence (N, seconds).
pub const PROBE_EVERY: &str = "probe_every";
/// Cadence while failing (N, seconds).
pub const RECHECK_EVERY: &str = "recheck_every";
/// Expiry warning thresholds (L of N, days).
pub const EXPIRY_WARN_DAYS: &str = "expiry_warn_days";
/// Secret lifetime (N, days).
pub const SECRET_LIFETIME_DAYS: &str = "secret_lifetime_days";
/// Passive tracking's non-token routes (M): `log_groups` and `event_sources` (L of S each);
/// absent in items written before it existed (then none).
pub const INGEST: &str = "ingest";
/// Inside `ingest`: CloudWatch Logs group names (L of S).
pub const LOG_GROUPS: &str = "log_groups";
/// Inside `ingest`: EventBridge sources (L of S).
pub const EVENT_SOURCES: &str = "event_sources";
/// When the integration was added.
pub const ADDED_AT: &str = "added_at";
/// When a Secrets Manager rotation was last seen.
pub const SECRET_ROTATED_SEEN_AT: &str = "secret_rotated_seen_at";

/// The auth track (M).
pub const AUTH: &str = "auth";
/// The monitor track (M).
pub const MONITOR: &str = "monitor";
/// Last probe's outcome class.
pub const LAST_CLASS: &str = "last_class";
/// Last probe time.
pub const LAST_PROBE_AT: &str = "last_probe_at";
/// Next probe due.
pub const NEXT_PROBE_AT: &str = "next_probe_at";
/// Incidents ever opened for the integration (N).
pub const INCIDENT_SEQ: &str = "incident_seq";
/// The expiry track (M).
pub const EXPIRY: &str = "expiry";
/// Open `not_probed` incident id.
pub const STALE_INCIDENT: &str = "stale_incident";
/// Fingerprint of the secret's value (32 hex digits), never the secret.
pub const SECRET_FINGERPRINT: &str = "secret_fingerprint";
/// Inside `expiry`: the threshold last crossed (`30`, `expired`, `unknown`).
pub const THRESHOLD: &str = "threshold";
/// Inside the `expiry` map: the secret version (expiry date) the open incident is about.
pub const VERSION_KEY: &str = "secret_version";
/// Inside `expiry`: thresholds already notified (L of S `{secret_version}#{threshold}`).
pub const NOTIFIED: &str = "notified";

/// Inside a track: its health.
pub const HEALTH: &str = "health";
/// Outcome or incident class.
pub const CLASS: &str = "class";
/// Inside a track: when its health last changed.
pub const SINCE: &str = "since";
/// Inside a track (N).
pub const CONSECUTIVE_FAILURES: &str = "consecutive_failures";
/// Inside a track: first failure of the current run.
pub const FIRST_FAILURE_AT: &str = "first_failure_at";
/// Inside a track (N).
pub const CONSECUTIVE_SUCCESSES: &str = "consecutive_successes";
/// Inside a track or `expiry`: its open incident id.
pub const OPEN_INCIDENT: &str = "open_incident";

/// Inside `client_secret`: `env`, `file` or `aws_secret`.
pub const KIND: &str = "kind";
/// Inside `client_secret`: a file path.
pub const PATH: &str = "path";
/// Inside `client_secret`: the JSON key in the Secrets Manager secret.
pub const KEY: &str = "key";

/// Team time zone (IANA name).
pub const TIMEZONE: &str = "timezone";
/// Team business hours (M).
pub const BUSINESS_HOURS: &str = "business_hours";
/// Inside `business_hours` and a maintenance window: weekdays (L of S).
pub const DAYS: &str = "days";
/// Inside `business_hours` and a maintenance window: start (`HH:MM:SS`).
pub const START: &str = "start";
/// Inside `business_hours`: end (`HH:MM:SS`).
pub const END: &str = "end";
/// Team escalation delay (N, seconds).
pub const ESCALATE_AFTER: &str = "escalate_after";
/// Team `notify` block (M); absent in items written before it existed (then the default).
pub const NOTIFY: &str = "notify";
/// Inside `notify`: email addresses (L of S).
pub const EMAIL: &str = "email";
/// Inside `notify`: the least severe alert the team receives (S).
pub const MIN_SEVERITY: &str = "min_severity";
/// Inside `notify`: reminder intervals (L of N, seconds; empty: the severity's schedule).
pub const REMIND_AFTER: &str = "remind_after";
/// Inside `notify`: most reminders per incident (N)?; absent: 1000 at most.
pub const REMIND_MAX: &str = "remind_max";
/// Inside `notify`: how long incidents of one class are gathered into a digest (N, seconds).
pub const GROUP_WAIT: &str = "group_wait";
/// Inside `notify`: incidents within `group_wait` that make a digest (N).
pub const GROUP_MIN: &str = "group_min";
/// Inside `notify`: the Secrets Manager secret name of the team's Slack webhook (S)?; never the URL.
pub const SLACK_WEBHOOK_SECRET: &str = "slack_webhook_secret";
/// Team an unacknowledged incident is escalated to (a team id).
pub const ESCALATE_TO: &str = "escalate_to";
/// Team that also receives critical alerts after hours (a team id).
pub const AFTER_HOURS_TO: &str = "after_hours_to";
/// Maintenance windows of a team or an integration (L of M: `days`, `start`, `duration`,
/// `timezone`?); absent in items written before them, read as none.
pub const MAINTENANCE: &str = "maintenance";
/// Inside a maintenance window: how long it lasts (N, seconds).
pub const DURATION: &str = "duration";

/// History and incidents: the integration id.
pub const INTEGRATION: &str = "integration";
/// History: probe time.
pub const PROBED_AT: &str = "probed_at";
/// History: SFMC's HTTP status (N); inside a notification's `slack_post`: Slack's.
pub const HTTP_STATUS: &str = "http_status";
/// History: probe duration (N, milliseconds).
pub const LATENCY_MS: &str = "latency_ms";
/// History: requests made (N).
pub const ATTEMPTS: &str = "attempts";
/// History: failure confirmed (BOOL).
pub const CONFIRMED: &str = "confirmed";
/// History: token's business unit (N).
pub const BUSINESS_UNIT: &str = "business_unit";
/// History: expected scopes missing (L of S).
pub const MISSING_SCOPES: &str = "missing_scopes";
/// History and incidents: what happened, in plain words.
pub const MESSAGE: &str = "message";

/// Incident check: `auth`, `expiry` or `monitor`.
pub const CHECK: &str = "check";
/// Incident owner team.
pub const TEAM: &str = "team";
/// Incident opened.
pub const OPENED_AT: &str = "opened_at";
/// Incident last changed.
pub const UPDATED_AT: &str = "updated_at";
/// Incident resolved.
pub const RESOLVED_AT: &str = "resolved_at";
/// Expiry incident threshold (N, days).
pub const THRESHOLD_DAYS: &str = "threshold_days";
/// Incident: when its class last changed while open (absent: not since it opened).
pub const CLASS_SINCE: &str = "class_since";
/// Incident: its acknowledgement (M: `by`, `at`, `note`?), absent when there is none.
pub const ACK: &str = "ack";
/// Inside `ack`: who acknowledged.
pub const BY: &str = "by";
/// Inside `ack`: why, or what they are doing.
pub const NOTE: &str = "note";

/// The integration's optimistic-concurrency counter (N).
pub const VERSION: &str = "version";
/// Incident open (BOOL).
pub const OPEN: &str = "open";
/// Integration removed from the inventory (BOOL).
pub const RETIRED: &str = "retired";
/// When it was first retired.
pub const RETIRED_AT: &str = "retired_at";

/// Notification: the [`Notification`](crate::notify::notification::Notification) as made, a
/// JSON document (S).
pub const NOTIFICATION: &str = "notification";
/// Notification: when it was recorded; silence: when it was created.
pub const CREATED_AT: &str = "created_at";
/// Notification: `pending`, `sent`, `failed`, `held` or `superseded`.
pub const STATE: &str = "state";
/// Notification: when the next attempt is due (pending only).
pub const NEXT_ATTEMPT_AT: &str = "next_attempt_at";
/// Notification: SNS's message id (sent only).
pub const MESSAGE_ID: &str = "message_id";
/// Notification: when it was sent or given up.
pub const FINISHED_AT: &str = "finished_at";
/// Notification: the last failure's kind, `retryable`, `configuration` or `payload`.
pub const ERROR_KIND: &str = "error_kind";
/// Notification: the last failure, in one line.
pub const ERROR_DETAIL: &str = "error_detail";
/// Notification: payload refusals so far (N).
pub const SHRINK: &str = "shrink";
/// Notification: optimistic-concurrency counter (N).
pub const REVISION: &str = "revision";
/// Notification: the decisions taken about it (send, defer, suppress, group, supersede), a
/// JSON array (S); absent on items of earlier versions (none then).
pub const DECISIONS: &str = "decisions";

/// Audit entry: `ignored` or `corrupt`.
pub const DECISION: &str = "decision";
/// Audit entry: the incident concerned, when known.
pub const INCIDENT_ID: &str = "incident_id";
/// Audit entry: the stream record's `eventID`.
pub const SOURCE_ID: &str = "source_id";
/// Audit entry: why, in one line; silence: why, in its creator's words.
pub const REASON: &str = "reason";
/// Audit entry: when it was decided; inside an incident's `ack`: when it was acknowledged;
/// inside a notification's `slack_post`: when Slack answered.
pub const AT: &str = "at";
/// Notification: what the team's Slack webhook answered (M: `state`, `at`, `attempts`,
/// `http_status`?, `error`?), written by slack-notify.
pub const SLACK_POST: &str = "slack_post";
/// Inside `slack_post`: Slack's error token or what failed (S).
pub const SLACK_ERROR: &str = "error";

/// Group window: when it opened.
pub const WINDOW_START: &str = "window_start";
/// Group window: when it closes.
pub const WINDOW_END: &str = "window_end";
/// Group window: how many joined it (N).
pub const JOINED: &str = "joined";
/// Group window: the incident that opened it.
pub const LEADER: &str = "leader";
/// Group window: the incidents that joined it, in order (L of S).
pub const MEMBERS: &str = "members";
/// Silence: its matchers (L of M, each `{field, value}`).
pub const MATCHERS: &str = "matchers";
/// Inside a matcher: `integration`, `team`, `class` or `check`.
pub const FIELD: &str = "field";
/// Inside a matcher: the value the label must equal.
pub const VALUE: &str = "value";
/// Silence: first instant it silences.
pub const STARTS_AT: &str = "starts_at";
/// Silence: first instant it no longer silences (unless expired earlier).
pub const ENDS_AT: &str = "ends_at";
/// Silence: who created it.
pub const CREATED_BY: &str = "created_by";
/// Silence: when `silence expire` ended it.
pub const EXPIRED_AT: &str = "expired_at";
/// Silence: who ended it early, when they said.
pub const EXPIRED_BY: &str = "expired_by";

/// Minute counters: one N attribute per [`CounterKey`](crate::domain::passive::CounterKey),
/// named this prefix and the key's text (`c.token|401|invalid_client|client_auth_failed`).
pub const COUNTER_PREFIX: &str = "c.";
/// Minute counters and ingest quota: the minute's start.
pub const MINUTE: &str = "minute";
/// Minute counters: counter attributes the item's updates may have added (N, an upper bound
/// summed over its updates; see [`super::passive`]).
pub const COUNTERS_ADDED: &str = "counters_added";
/// Ingest quota: events taken in the minute (N).
pub const USED: &str = "used";
/// Ingest token: the SHA-256 hex of the token (never the token).
pub const HASH: &str = "hash";

/// Failed call: the event id (the reporter's or one drawn at ingest).
pub const EVENT_ID: &str = "event_id";
/// Failed call: `https`, `logs` or `eventbridge`.
pub const SOURCE: &str = "source";
/// Failed call: when credwatch received it.
pub const RECEIVED_AT: &str = "received_at";
/// Failed call: when the call completed.
pub const OBSERVED_AT: &str = "observed_at";
/// Failed call: `token`, `rest`, `soap` or `other`.
pub const CALL_KIND: &str = "call_kind";
/// Failed call: identical calls it stands for (N).
pub const COUNT: &str = "count";
/// Failed call: the window an aggregate covers (N, seconds).
pub const WINDOW_SECS: &str = "window_secs";
/// Failed call: the host called.
pub const HOST: &str = "host";
/// Failed call: the HTTP method.
pub const METHOD: &str = "method";
/// Failed call: the low-cardinality path.
pub const PATH_TEMPLATE: &str = "path_template";
/// Failed call: SFMC's HTTP status (N).
pub const STATUS: &str = "status";
/// Failed call: the body's Marketing Cloud `errorcode` (N).
pub const SFMC_ERRORCODE: &str = "sfmc_errorcode";
/// Failed call: the body's OAuth `error`.
pub const OAUTH_ERROR: &str = "oauth_error";
/// Failed call: the SOAP fault string.
pub const SOAP_FAULT: &str = "soap_fault";
/// Failed call: the wait SFMC asked for (N, seconds).
pub const RETRY_AFTER_SECS: &str = "retry_after_secs";
/// Failed call: resends before it (N).
pub const RESEND_COUNT: &str = "resend_count";
/// Failed call: age of the access token used (N, seconds).
pub const TOKEN_AGE_SECS: &str = "token_age_secs";
/// Failed call: why no answer came.
pub const NETWORK_ERROR: &str = "network_error";
/// Failed call: who reported it.
pub const REPORTER: &str = "reporter";
/// Failed call: W3C trace id.
pub const TRACE_ID: &str = "trace_id";

/// Passive state: when the latest report arrived.
pub const LAST_REPORT_AT: &str = "last_report_at";
/// Passive state: distinct minutes with reports (N).
pub const REPORT_MINUTES: &str = "report_minutes";
/// Passive state: the usual gap between reports (N, seconds).
pub const USUAL_GAP_SECS: &str = "usual_gap_secs";
/// Passive state: the latest 403 `20002`.
pub const LAST_SCOPE_DENIED_AT: &str = "last_scope_denied_at";
/// Passive state: the latest report of another client id or MID.
pub const LAST_MISMATCH_AT: &str = "last_mismatch_at";
/// Passive state: what that report said.
pub const MISMATCH: &str = "mismatch";
