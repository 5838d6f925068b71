//! One `credwatch.sfmc_call.v1` event checked field by field (the contract's "Event rules").

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};

use super::classify::classify_reported;
use super::model::{Binding, EventError, MAX_MESSAGE_CHARS};
use super::redact::{cap, echo, redact_message};
use crate::domain::passive::{CallKind, NetworkError, SCHEMA, SfmcCall};
use crate::sfmc::sanitize::looks_like_token;

/// How far `observed_at` may lie after `received_at` (clocks disagree a little): 5 minutes.
pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// How far `observed_at` may lie before `received_at`: 2 hours, the window the pattern rules
/// read (`rules::passive::LOOKBACK`). Older reports are refused, naming the field, rather than
/// accepted and never read (a reporter sending local time marked `Z` learns it at once).
pub const MAX_EVENT_AGE: TimeDelta = TimeDelta::hours(2);

/// Longest `path_template` accepted, in characters (after ids are replaced by `{id}`).
pub const MAX_PATH_TEMPLATE_CHARS: usize = 200;

/// Longest `soap_fault` kept, in characters (after redaction).
pub const MAX_SOAP_FAULT_CHARS: usize = 200;

/// Largest `count` of one aggregate event.
const MAX_COUNT: u64 = 100_000;

/// Longest `window_secs` of an aggregate: one day.
const MAX_WINDOW_SECS: u64 = 86_400;

/// Every field of the schema a reporter may send.
const FIELDS: [&str; 25] = [
    "schema",
    "event_id",
    "integration_id",
    "observed_at",
    "call_kind",
    "count",
    "window_secs",
    "host",
    "method",
    "path_template",
    "status",
    "sfmc_errorcode",
    "oauth_error",
    "soap_fault",
    "message",
    "retry_after_secs",
    "resend_count",
    "token_age_secs",
    "network_error",
    "account_id",
    "client_id",
    "reporter",
    "trace_id",
    // Set by credwatch: refused with their own reason below.
    "source",
    "received_at",
];

/// Parts of a key that mark a credential (lower case); any key holding one is refused.
const CREDENTIAL_WORDS: [&str; 5] = ["token", "secret", "authorization", "password", "cookie"];

/// Most JSON values looked at when searching an event for credential-like keys (bounds time
/// on hostile input; serde_json already bounds nesting to 128 levels).
const MAX_WALKED_VALUES: usize = 100_000;

/// Checks one event and returns it normalised and classified.
///
/// `index` is the event's place in the body's `events` (for the error). `event_id` is the
/// reporter's when given, else drawn: `{received_at millis}-{index}-{random hex}`.
///
/// # Errors
/// The first rule the event breaks (see the module documentation of [`super`] and the
/// contract's rules): a credential-like key, a body, a field credwatch sets, an unknown field,
/// or a field's value; each naming the field.
pub fn normalise_event(
    value: &Value,
    index: Option<usize>,
    binding: &Binding,
) -> Result<SfmcCall, EventError> {
    let err = |field: &str, problem: String| EventError::new(index, field, problem);
    let Value::Object(object) = value else {
        return Err(err(
            "(event)",
            "must be a JSON object with the fields of credwatch.sfmc_call.v1".to_string(),
        ));
    };
    match credential_key(object) {
        Walk::Clean => {}
        Walk::Credential(path) => {
            return Err(err(
                &path,
                "looks like a credential and is never accepted: remove it (credwatch needs no \
                 token, secret or password to track calls)"
                    .to_string(),
            ));
        }
        Walk::TooBig => {
            return Err(err(
                "(event)",
                format!(
                    "holds more than {MAX_WALKED_VALUES} values: send only the schema's fields"
                ),
            ));
        }
    }
    for key in object.keys() {
        match key.as_str() {
            "body" | "request" | "response" => {
                return Err(err(
                    key,
                    "request and response bodies are never accepted: send only the fields of \
                     credwatch.sfmc_call.v1 (status, sfmc_errorcode, oauth_error, message, ...)"
                        .to_string(),
                ));
            }
            "source" | "received_at" | "class" => {
                return Err(err(
                    key,
                    "is set by credwatch, not by the reporter: leave it out".to_string(),
                ));
            }
            known if FIELDS.contains(&known) => {}
            other => {
                return Err(EventError::new(
                    index,
                    echo(other),
                    "unknown field: credwatch.sfmc_call.v1 has no such field".to_string(),
                ));
            }
        }
    }
    let fields = Fields { object, index };
    if let Some(schema) = fields.text("schema", 64)?
        && schema != SCHEMA
    {
        return Err(err("schema", format!("must be \"{SCHEMA}\"")));
    }
    if let Some(id) = fields.text("integration_id", 256)?
        && id != binding.integration
    {
        return Err(err(
            "integration_id",
            format!(
                "must be \"{}\", the integration this token or source reports for, or left out",
                binding.integration
            ),
        ));
    }
    let event_id = match fields.text("event_id", 256)? {
        Some(id) if is_event_id(&id) => id,
        Some(_) => {
            return Err(err(
                "event_id",
                "must be 1 to 64 letters, digits, '_', '.', ':' or '-'".to_string(),
            ));
        }
        None => drawn_event_id(binding, index),
    };
    let observed_at = observed_at(&fields, binding)?;
    let host = fields
        .text("host", 253)?
        .map(|h| {
            let host = h.trim_end_matches('.').to_ascii_lowercase();
            if is_hostname(&host) {
                Ok(host)
            } else {
                Err(err(
                    "host",
                    "must be a host name such as mc123.rest.marketingcloudapis.com (no scheme, \
                     port or path)"
                        .to_string(),
                ))
            }
        })
        .transpose()?;
    let call_kind = match fields.text("call_kind", 16)? {
        Some(kind) => CallKind::parse(&kind).ok_or_else(|| {
            err(
                "call_kind",
                "must be \"token\", \"rest\", \"soap\" or \"other\"".to_string(),
            )
        })?,
        None => host.as_deref().and_then(kind_of_host).ok_or_else(|| {
            err(
                "call_kind",
                "is required (\"token\", \"rest\", \"soap\" or \"other\") unless host is an SFMC \
                 auth, rest or soap host"
                    .to_string(),
            )
        })?,
    };
    let count = fields.int("count", 1, MAX_COUNT)?.unwrap_or(1);
    let window_secs = fields.int("window_secs", 1, MAX_WINDOW_SECS)?;
    if count > 1 && window_secs.is_none() {
        return Err(err(
            "window_secs",
            "is required when count is more than 1: the seconds the count covers (1 to 86400)"
                .to_string(),
        ));
    }
    let method = fields
        .text("method", 16)?
        .map(|m| {
            if !m.is_empty() && m.len() <= 16 && m.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(m)
            } else {
                Err(err(
                    "method",
                    "must be an HTTP method in capitals, such as GET or POST".to_string(),
                ))
            }
        })
        .transpose()?;
    let path_template = fields
        .text("path_template", 4 * MAX_PATH_TEMPLATE_CHARS)?
        .map(|p| path_template(&p).map_err(|problem| err("path_template", problem)))
        .transpose()?;
    let status = fields.int("status", 100, 599)?.map(|s| s as u16);
    let sfmc_errorcode = fields
        .int("sfmc_errorcode", 0, i64::MAX as u64)?
        .map(|c| c as i64);
    let oauth_error = fields
        .text("oauth_error", 64)?
        .map(|e| {
            if !e.is_empty()
                && e.len() <= 64
                && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            {
                Ok(e)
            } else {
                Err(err(
                    "oauth_error",
                    "must be SFMC's OAuth error code, such as invalid_client (lower-case letters \
                     and '_')"
                        .to_string(),
                ))
            }
        })
        .transpose()?;
    let soap_fault = fields
        .free_text("soap_fault")?
        .map(|t| redact_message(&t, MAX_SOAP_FAULT_CHARS))
        .filter(|t| !t.is_empty());
    let message = fields
        .free_text("message")?
        .map(|t| redact_message(&t, MAX_MESSAGE_CHARS))
        .filter(|t| !t.is_empty());
    let retry_after_secs = fields
        .int("retry_after_secs", 0, u32::MAX.into())?
        .map(|n| n as u32);
    let resend_count = fields
        .int("resend_count", 0, u32::MAX.into())?
        .map(|n| n as u32);
    let token_age_secs = fields
        .int("token_age_secs", 0, u32::MAX.into())?
        .map(|n| n as u32);
    let network_error = fields
        .text("network_error", 16)?
        .map(|e| {
            NetworkError::parse(&e).ok_or_else(|| {
                err(
                    "network_error",
                    "must be \"timeout\", \"dns\", \"tls\", \"connect\", \"reset\" or \"other\""
                        .to_string(),
                )
            })
        })
        .transpose()?;
    let account_id = fields.int("account_id", 1, u64::MAX)?;
    let client_id = fields
        .text("client_id", 64)?
        .map(|c| {
            if !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Ok(c)
            } else {
                Err(err(
                    "client_id",
                    "must be the installed package's client id: 1 to 64 letters and digits"
                        .to_string(),
                ))
            }
        })
        .transpose()?;
    let reporter = fields
        .text("reporter", 64)?
        .map(|r| {
            if is_reporter(&r) {
                Ok(r)
            } else {
                Err(err(
                    "reporter",
                    "must be 1 to 64 letters, digits, spaces or '_', '.', ':', '@', '/', '-'"
                        .to_string(),
                ))
            }
        })
        .transpose()?;
    let trace_id = fields
        .text("trace_id", 32)?
        .map(|t| {
            if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(t.to_ascii_lowercase())
            } else {
                Err(err(
                    "trace_id",
                    "must be a W3C trace id: 32 hexadecimal digits".to_string(),
                ))
            }
        })
        .transpose()?;
    let mut call = SfmcCall {
        event_id,
        integration_id: binding.integration.clone(),
        source: binding.source,
        received_at: binding.received_at,
        class: None,
        observed_at,
        call_kind,
        count: count as u32,
        window_secs: window_secs.map(|w| w as u32),
        host,
        method,
        path_template,
        status,
        sfmc_errorcode,
        oauth_error,
        soap_fault,
        message,
        retry_after_secs,
        resend_count,
        token_age_secs,
        network_error,
        account_id,
        client_id,
        reporter,
        trace_id,
    };
    call.class = classify_reported(&call);
    Ok(call)
}

/// The event's fields, read with errors that name them.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    index: Option<usize>,
}

impl Fields<'_> {
    fn err(&self, field: &str, problem: impl Into<String>) -> EventError {
        EventError::new(self.index, field, problem)
    }

    /// A text field of at most `max_bytes` bytes; `null` counts as absent. The value is never
    /// echoed.
    fn text(&self, field: &str, max_bytes: usize) -> Result<Option<String>, EventError> {
        match self.object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() <= max_bytes => Ok(Some(s.clone())),
            Some(Value::String(_)) => {
                Err(self.err(field, format!("is too long (at most {max_bytes} bytes)")))
            }
            Some(_) => Err(self.err(field, "must be text (a JSON string)")),
        }
    }

    /// Free text (`message`, `soap_fault`): any length, redacted and capped by the caller.
    fn free_text(&self, field: &str) -> Result<Option<String>, EventError> {
        self.text(field, usize::MAX)
    }

    /// A whole JSON number in `min..=max`; `null` counts as absent. Text such as `"401"`, a
    /// fraction such as `401.5` and a number written with a fraction (`401.0`) are refused.
    fn int(&self, field: &str, min: u64, max: u64) -> Result<Option<u64>, EventError> {
        let range = || format!("must be a whole number from {min} to {max}");
        match self.object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                _ => Err(self.err(field, range())),
            },
            Some(Value::String(_)) => {
                Err(self.err(field, format!("{} (a JSON number, not text)", range())))
            }
            Some(_) => Err(self.err(field, range())),
        }
    }
}

fn observed_at(fields: &Fields<'_>, binding: &Binding) -> Result<DateTime<Utc>, EventError> {
    let Some(text) = fields.text("observed_at", 64)? else {
        return Err(fields.err(
            "observed_at",
            "is required: when the call completed, as RFC 3339 (2026-12-01T03:04:05Z)",
        ));
    };
    let at = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|_| {
            fields.err(
                "observed_at",
                "must be an RFC 3339 time with its offset, such as 2026-12-01T03:04:05Z",
            )
        })?
        .with_timezone(&Utc);
    if at > binding.received_at + MAX_CLOCK_SKEW {
        return Err(fields.err(
            "observed_at",
            "is more than 5 minutes in the future: check the reporter's clock",
        ));
    }
    if at < binding.received_at - MAX_EVENT_AGE {
        return Err(fields.err(
            "observed_at",
            "is more than 2 hours old: credwatch reads the last 2 hours of calls (send reports as they happen, with observed_at in UTC)",
        ));
    }
    Ok(at)
}

/// What the search for credential-like keys found.
enum Walk {
    /// No such key.
    Clean,
    /// The path of the first one, echoed safely.
    Credential(String),
    /// More than [`MAX_WALKED_VALUES`] values to look at.
    TooBig,
}

/// The path of the first key, at any depth, that names a credential (`client_secret`,
/// `Authorization`, `reporter.access_token`), `token_age_secs` excepted.
fn credential_key(object: &Map<String, Value>) -> Walk {
    let mut stack: Vec<(String, &Map<String, Value>)> = vec![(String::new(), object)];
    let mut walked = 0usize;
    while let Some((prefix, map)) = stack.pop() {
        for (key, value) in map {
            walked += 1;
            if walked > MAX_WALKED_VALUES {
                return Walk::TooBig;
            }
            let path = if prefix.is_empty() {
                echo(key)
            } else {
                format!("{prefix}.{}", echo(key))
            };
            let lower = key.to_ascii_lowercase();
            if key != "token_age_secs" && CREDENTIAL_WORDS.iter().any(|w| lower.contains(w)) {
                return Walk::Credential(path);
            }
            push_children(value, path, &mut stack);
        }
    }
    Walk::Clean
}

fn push_children<'a>(
    value: &'a Value,
    path: String,
    stack: &mut Vec<(String, &'a Map<String, Value>)>,
) {
    let mut values = vec![(path, value)];
    while let Some((path, value)) = values.pop() {
        match value {
            Value::Object(map) => stack.push((path, map)),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().take(MAX_WALKED_VALUES) {
                    values.push((format!("{path}[{i}]"), item));
                }
            }
            _ => {}
        }
    }
}

/// `[A-Za-z0-9_.:-]{1,64}`.
pub(crate) fn is_event_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// `{received_at millis}-{index}-{16 random hex digits}`: unique per call (64 random bits).
fn drawn_event_id(binding: &Binding, index: Option<usize>) -> String {
    format!(
        "{}-{}-{:016x}",
        binding.received_at.timestamp_millis(),
        index.unwrap_or(0),
        fastrand::u64(..)
    )
}

/// A DNS host name (lower case): dot-separated labels of letters, digits and `-`, each 1 to
/// 63 long, not starting or ending with `-`; at most 253 in all.
pub(crate) fn is_hostname(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// The call kind an SFMC host name tells (SFMC's tenant-specific hosts,
/// `sfmc-api-research.md` §1.1): `{sub}.auth.marketingcloudapis.com` the token endpoint,
/// `.rest.` the REST API, `.soap.` the SOAP API.
pub(crate) fn kind_of_host(host: &str) -> Option<CallKind> {
    let sub = host.strip_suffix(".marketingcloudapis.com")?;
    let (_, service) = sub.rsplit_once('.')?;
    match service {
        "auth" => Some(CallKind::Token),
        "rest" => Some(CallKind::Rest),
        "soap" => Some(CallKind::Soap),
        _ => None,
    }
}

fn is_reporter(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b' ' | b'_' | b'.' | b':' | b'@' | b'/' | b'-')
        })
}

/// A low-cardinality path: starts with `/`, no query or fragment, printable ASCII, id-like
/// segments (4+ digits, UUIDs, 12+ hex digits, token-like runs) replaced by `{id}`, at most
/// [`MAX_PATH_TEMPLATE_CHARS`] characters.
pub(crate) fn path_template(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err("must start with '/', such as /v2/token".to_string());
    }
    if path.contains(['?', '#']) {
        return Err(
            "must not carry a query string or fragment (they may hold ids or secrets)".to_string(),
        );
    }
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be printable ASCII without spaces".to_string());
    }
    let template = path
        .split('/')
        .map(|segment| if is_id_like(segment) { "{id}" } else { segment })
        .collect::<Vec<_>>()
        .join("/");
    if template.chars().count() > MAX_PATH_TEMPLATE_CHARS {
        return Err(format!(
            "is longer than {MAX_PATH_TEMPLATE_CHARS} characters: send the route, not the URL"
        ));
    }
    Ok(cap(&template, MAX_PATH_TEMPLATE_CHARS))
}

fn is_id_like(segment: &str) -> bool {
    let digits = segment.len() >= 4 && segment.bytes().all(|b| b.is_ascii_digit());
    let hex_only: String = segment.chars().filter(|c| *c != '-').collect();
    let uuid = segment.len() == 36
        && segment.bytes().filter(|b| *b == b'-').count() == 4
        && hex_only.bytes().all(|b| b.is_ascii_hexdigit());
    let long_hex = segment.len() >= 12
        && segment.bytes().all(|b| b.is_ascii_hexdigit())
        && segment.bytes().any(|b| b.is_ascii_digit());
    digits || uuid || long_hex || looks_like_token(segment)
}
