//! CloudWatch Logs lines that show an SFMC call: a JSON `credwatch.sfmc_call.v1` event, a
//! structured JSON log carrying SFMC's error fields, or plain text with SFMC's signatures
//! (`context/passive-tracking-research.md` §2.3; the SDK texts of `sfmc-api-research.md` §1.4).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::model::{Binding, EventError};
use super::normalise::{is_event_id, kind_of_host, normalise_event, path_template};
use crate::domain::passive::{CallKind, SCHEMA, SfmcCall};

mod text;

use text::{
    host_and_path, network_error, quoted_value, sfmc_url_in_text, status_in_text, xml_text,
};

/// Longest part of a log line read, in bytes (256 KiB, CloudWatch Logs' own event size limit);
/// whatever follows is ignored.
pub const MAX_LOG_LINE_BYTES: usize = 256 * 1024;

/// Most JSON values looked at in one structured log line.
const MAX_JSON_VALUES: usize = 2_000;

/// Keys that carry an HTTP status in structured logs (Powertools, pino, winston, Mule, Java
/// frameworks, OpenTelemetry's attribute name), compared without case.
const STATUS_KEYS: [&str; 8] = [
    "status",
    "statuscode",
    "status_code",
    "httpstatus",
    "http_status",
    "http.response.status_code",
    "responsestatus",
    "response_status",
];

/// SFMC's own words (the `fixtures/sfmc/` bodies) that identify a failure in plain text.
struct Signature {
    /// The words, lower case.
    words: &'static str,
    /// The OAuth `error` SFMC answers them with.
    oauth_error: Option<&'static str>,
    /// The Marketing Cloud `errorcode` SFMC answers them with.
    errorcode: Option<i64>,
    /// Whether the words are SFMC's alone; words other APIs use too ("Rate limit exceeded")
    /// count only in a line that names an SFMC host.
    sfmc_only: bool,
}

const fn signature(
    words: &'static str,
    oauth_error: Option<&'static str>,
    errorcode: Option<i64>,
    sfmc_only: bool,
) -> Signature {
    Signature {
        words,
        oauth_error,
        errorcode,
        sfmc_only,
    }
}

const SIGNATURES: [Signature; 7] = [
    signature(
        "client authentication failed",
        Some("invalid_client"),
        None,
        true,
    ),
    signature("invalid client id", Some("invalid_client"), None, true),
    signature(
        "not eligible to use the /v2/token",
        Some("invalid_client"),
        None,
        true,
    ),
    signature(
        "ip address is unauthorized",
        Some("invalid_grant"),
        None,
        true,
    ),
    signature(
        "your requests are temporarily blocked",
        None,
        Some(50200),
        true,
    ),
    signature("rate limit exceeded", None, Some(50100), false),
    signature("insufficient privileges", None, Some(20002), false),
];

/// The OAuth error codes of RFC 6749 §5.2 / §4.1.2.1 and RFC 6750 §3.1: an `error` field holding
/// one of these is an OAuth answer (other `error` values are ordinary log fields).
const OAUTH_CODES: [&str; 11] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "unsupported_response_type",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
];

/// The status SFMC documents for a Marketing Cloud `errorcode` ("Handle Errors in REST API",
/// `sfmc-api-research.md` §4.2), for a line that gives the code without the status.
fn status_of_errorcode(code: i64) -> Option<u16> {
    match code {
        0 | 40004 => Some(401),
        20000 | 20001 | 20002 | 40000 | 40001 | 40002 | 40003 => Some(403),
        50100 | 50200 => Some(429),
        50300 => Some(503),
        _ => None,
    }
}

/// One CloudWatch Logs line of the integration bound to the log group, as an SFMC call.
///
/// - `Some(Ok)` for a line that shows an SFMC call: a JSON `credwatch.sfmc_call.v1` event
///   (`schema` set; anywhere in the line, or one level down in a structured log), a
///   structured JSON log with SFMC's error fields (`error`/`error_description`,
///   `errorcode`/`message`, a SOAP `faultstring`) or an SFMC host, or plain text with SFMC's
///   signatures (FuelSDK's "Unable to validate App Keys ... {...}", sfmc-sdk's `RestError`,
///   Python requests' "401 Client Error ... for url: `https://x.auth.marketingcloudapis.com/...`",
///   a SOAP fault, SFMC's own words).
/// - `Some(Err)` for a line that carries an event but is refused by the event rules (or a
///   derived call whose time is outside the accepted window).
/// - `None` for anything else: Lambda's `START`/`END`/`REPORT` lines, other logs.
///
/// A derived call's `observed_at` is the log event's `timestamp`, its `event_id` the log event's
/// id (so a redelivered line is kept raw once; counters count it again), `call_kind` from the host or path (an auth host or
/// `/v2/token` is a token call) or else the signature; a status missing from the line is the one
/// SFMC answers the recognised body with (`fixtures/sfmc/`). The message goes through the same
/// redaction as a reported one. Only the first [`MAX_LOG_LINE_BYTES`] bytes are read.
pub fn parse_log_line(
    line: &str,
    log_event_id: &str,
    timestamp: DateTime<Utc>,
    binding: &Binding,
) -> Option<Result<SfmcCall, EventError>> {
    let line = prefix(line, MAX_LOG_LINE_BYTES);
    let trimmed = line.trim_start();
    if [
        "START RequestId:",
        "END RequestId:",
        "REPORT RequestId:",
        "INIT_START",
        "INIT_REPORT",
    ]
    .iter()
    .any(|platform| trimmed.starts_with(platform))
    {
        return None;
    }
    let json = first_json_object(line);
    if let Some(object) = json.as_ref()
        && let Some(event) = schema_event(object)
    {
        let mut event = event.clone();
        event
            .entry("observed_at")
            .or_insert_with(|| json!(timestamp.to_rfc3339_opts(SecondsFormat::Millis, true)));
        if is_event_id(log_event_id) {
            event
                .entry("event_id")
                .or_insert_with(|| json!(log_event_id));
        }
        return Some(normalise_event(&Value::Object(event), None, binding));
    }
    let mut found = Found::default();
    if let Some(object) = json.as_ref() {
        found.read_json(object);
    }
    found.read_text(line);
    let event = found.into_event(log_event_id, timestamp)?;
    Some(normalise_event(&Value::Object(event), None, binding))
}

/// What a line says of an SFMC call.
#[derive(Default)]
struct Found {
    status: Option<u64>,
    oauth_error: Option<String>,
    description: Option<String>,
    errorcode: Option<i64>,
    fault: Option<String>,
    url: Option<String>,
    network: Option<&'static str>,
    /// A token request by its words (FuelSDK's "requestToken", "App Keys").
    token_words: bool,
}

impl Found {
    /// Fields of a structured log (and of JSON quoted in its strings, one level down).
    fn read_json(&mut self, object: &Map<String, Value>) {
        self.read_mc_error(object);
        let mut pending: Vec<(&str, &Value)> =
            object.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let mut owned: Vec<Value> = Vec::new();
        let mut seen = 0;
        while let Some((key, value)) = pending.pop() {
            seen += 1;
            if seen > MAX_JSON_VALUES {
                break;
            }
            let lower = key.to_ascii_lowercase();
            match value {
                Value::Object(map) => {
                    self.read_mc_error(map);
                    pending.extend(map.iter().map(|(k, v)| (k.as_str(), v)));
                }
                Value::Array(items) => pending.extend(items.iter().take(64).map(|v| (key, v))),
                Value::Number(n) if STATUS_KEYS.contains(&lower.as_str()) => {
                    if let Some(s) = n.as_u64().filter(|s| (100..=599).contains(s)) {
                        self.status.get_or_insert(s);
                    }
                }
                Value::String(s) if STATUS_KEYS.contains(&lower.as_str()) => {
                    if let Some(s) = s
                        .trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|s| (100..=599).contains(s))
                    {
                        self.status.get_or_insert(s);
                    }
                }
                Value::String(s) if lower == "error" && is_oauth_code(s) => {
                    self.oauth_error.get_or_insert(s.clone());
                }
                Value::String(s) if lower == "error_description" => {
                    self.description.get_or_insert(s.clone());
                }
                Value::String(s) if lower == "faultstring" => {
                    self.fault.get_or_insert(s.clone());
                }
                Value::String(s) => {
                    if self.url.is_none() && s.contains("marketingcloudapis.com") {
                        self.url = Some(s.clone());
                    }
                    if owned.len() < 8
                        && let Some(Value::Object(inner)) = first_json_object(s).map(Value::Object)
                    {
                        owned.push(Value::Object(inner));
                    }
                }
                _ => {}
            }
        }
        // JSON quoted inside a string (a body logged as text): its fields, at the top level.
        for value in &owned {
            if let Value::Object(inner) = value {
                let mut nested = Found::default();
                nested.read_json(inner);
                self.merge(nested);
            }
        }
    }

    /// SFMC's Marketing Cloud error form in one object: a numeric `errorcode` and its `message`.
    fn read_mc_error(&mut self, map: &Map<String, Value>) {
        if self.errorcode.is_some() {
            return;
        }
        if let Some(code) = map
            .get("errorcode")
            .and_then(Value::as_i64)
            .filter(|c| *c >= 0)
        {
            self.errorcode = Some(code);
            if let Some(message) = map.get("message").and_then(Value::as_str) {
                self.description = Some(message.to_string());
            }
        }
    }

    fn merge(&mut self, other: Found) {
        self.status = self.status.or(other.status);
        self.oauth_error = self.oauth_error.take().or(other.oauth_error);
        self.description = self.description.take().or(other.description);
        self.errorcode = self.errorcode.or(other.errorcode);
        self.fault = self.fault.take().or(other.fault);
        self.url = self.url.take().or(other.url);
    }

    /// Signatures in the text, for whatever the JSON did not say.
    fn read_text(&mut self, line: &str) {
        let lower = line.to_ascii_lowercase();
        if self.status.is_none() {
            self.status = status_in_text(&lower);
        }
        if self.oauth_error.is_none() {
            self.oauth_error = quoted_value(line, "error").filter(|e| is_oauth_code(e));
        }
        if self.description.is_none() {
            self.description = quoted_value(line, "error_description");
        }
        if self.errorcode.is_none()
            && let Some(code) = quoted_value(line, "errorcode").and_then(|c| c.parse().ok())
        {
            self.errorcode = Some(code);
            if self.description.is_none() {
                self.description = quoted_value(line, "message");
            }
        }
        if self.fault.is_none() {
            self.fault = xml_text(line, "faultstring");
        }
        if self.url.is_none() {
            self.url = sfmc_url_in_text(line);
        }
        // sfmc-sdk's RestError: SFMC's message as the error's, its code as `code: ...`.
        if let Some(at) = line.find("RestError: ") {
            let rest = &line[at + "RestError: ".len()..];
            let message = rest.split(['\n', '\t']).next().unwrap_or("").trim();
            if self.description.is_none() && !message.is_empty() {
                self.description = Some(message.to_string());
            }
            if let Some(code) = quoted_value(rest, "code") {
                match code.parse::<i64>() {
                    Ok(n) if self.errorcode.is_none() && n >= 0 => self.errorcode = Some(n),
                    _ if self.oauth_error.is_none() && is_oauth_code(&code) => {
                        self.oauth_error = Some(code)
                    }
                    _ => {}
                }
            }
        }
        self.token_words =
            lower.contains("requesttoken") || lower.contains("unable to validate app keys");
        // SFMC's own words, when no field said it.
        if self.oauth_error.is_none() && self.errorcode.is_none() {
            let sfmc_host = self.url.is_some();
            for signature in &SIGNATURES {
                if !signature.sfmc_only && !sfmc_host {
                    continue;
                }
                if let Some(at) = lower.find(signature.words) {
                    self.oauth_error = signature.oauth_error.map(str::to_string);
                    self.errorcode = signature.errorcode;
                    if self.description.is_none() {
                        let text = &line[at..];
                        self.description = Some(
                            text.split(['\n', '"', '\'', '}'])
                                .next()
                                .unwrap_or(text)
                                .to_string(),
                        );
                    }
                    break;
                }
            }
        }
        if self.status.is_none() && self.url.is_some() {
            self.network = network_error(&lower);
        }
    }

    /// The event the line stands for; `None` when nothing in it is SFMC's.
    fn into_event(
        self,
        log_event_id: &str,
        timestamp: DateTime<Utc>,
    ) -> Option<Map<String, Value>> {
        let host_and_path = self.url.as_deref().and_then(host_and_path);
        let sfmc_host = host_and_path
            .as_ref()
            .is_some_and(|(host, _)| host.ends_with("marketingcloudapis.com"));
        let evidence = self.oauth_error.is_some()
            || self.errorcode.is_some()
            || self.fault.is_some()
            || sfmc_host
            || self.token_words && self.description.is_some();
        if !evidence {
            return None;
        }
        let (host, path) = match host_and_path {
            Some((host, path)) => (Some(host), path),
            None => (None, None),
        };
        let call_kind = host
            .as_deref()
            .and_then(kind_of_host)
            .or_else(|| {
                path.as_deref()
                    .filter(|p| p.starts_with("/v2/token") || p.starts_with("/v1/requesttoken"))
                    .map(|_| CallKind::Token)
            })
            .or_else(|| {
                if self.token_words || self.oauth_error.is_some() {
                    Some(CallKind::Token)
                } else if self.fault.is_some() {
                    Some(CallKind::Soap)
                } else if self.errorcode.is_some() {
                    Some(CallKind::Rest)
                } else {
                    None
                }
            })
            .unwrap_or(CallKind::Other);
        let status = self.status.or_else(|| {
            if self.network.is_some() {
                return None;
            }
            // SFMC's statuses: `invalid_client` 401 (fixtures), other OAuth errors 400 (RFC 6749
            // §5.2; the IP-allowlist fixture), Marketing Cloud codes by SFMC's table.
            match (self.oauth_error.as_deref(), self.errorcode) {
                (Some("invalid_client"), _) => Some(401),
                (Some("server_error"), _) => Some(500),
                (Some("temporarily_unavailable"), _) => Some(503),
                (Some(_), _) => Some(400),
                (None, Some(code)) => status_of_errorcode(code),
                // SFMC answers SOAP faults with HTTP 500 (`sfmc-api-research.md` §4.2).
                (None, None) if self.fault.is_some() => Some(500),
                (None, None) => None,
            }
            .map(u64::from)
        });
        let mut event = Map::new();
        event.insert(
            "observed_at".into(),
            json!(timestamp.to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        if is_event_id(log_event_id) {
            event.insert("event_id".into(), json!(log_event_id));
        }
        event.insert("call_kind".into(), json!(call_kind.as_str()));
        if let Some(status) = status {
            event.insert("status".into(), json!(status));
        }
        if let Some(error) = self.oauth_error {
            event.insert("oauth_error".into(), json!(error));
        }
        if let Some(code) = self.errorcode {
            event.insert("sfmc_errorcode".into(), json!(code));
        }
        if let Some(fault) = self.fault {
            event.insert("soap_fault".into(), json!(fault));
        }
        if let Some(network) = self.network {
            event.insert("network_error".into(), json!(network));
        }
        if let Some(host) = host {
            event.insert("host".into(), json!(host));
        }
        if let Some(path) = path.and_then(|p| path_template(&p).ok()) {
            event.insert("path_template".into(), json!(path));
        }
        // SFMC's own words only: a line without them is never kept as the message (the rest of
        // a log line can hold anything, a request body with the client secret included).
        if let Some(message) = self.description {
            event.insert("message".into(), json!(message));
        }
        Some(event)
    }
}

/// The first `max_bytes` bytes of `text`, cut on a character boundary.
fn prefix(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The first JSON object in `text` (a Lambda line puts its JSON after a time, request id and
/// level): the first `{` that starts a complete object. Tries at most a few starts.
fn first_json_object(text: &str) -> Option<Map<String, Value>> {
    let mut from = 0;
    for _ in 0..4 {
        let at = from + text[from..].find('{')?;
        let mut values = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Value>();
        if let Some(Ok(Value::Object(object))) = values.next() {
            return Some(object);
        }
        from = at + 1;
    }
    None
}

/// The `credwatch.sfmc_call.*` event in a JSON line: the object itself, or one of its values
/// (a logger that wraps what it logs, e.g. `{"level":"INFO","message":{...}}`).
fn schema_event(object: &Map<String, Value>) -> Option<&Map<String, Value>> {
    // Another version of the schema still claims to be an event: it is refused by name.
    let family = SCHEMA.trim_end_matches(|c: char| c != '.');
    let is_event = |o: &Map<String, Value>| {
        o.get("schema")
            .and_then(Value::as_str)
            .is_some_and(|schema| schema.starts_with(family))
    };
    if is_event(object) {
        return Some(object);
    }
    object.values().find_map(|v| match v {
        Value::Object(inner) if is_event(inner) => Some(inner),
        _ => None,
    })
}

fn is_oauth_code(text: &str) -> bool {
    OAUTH_CODES.contains(&text)
}

#[cfg(test)]
mod tests {
    use super::prefix;

    #[test]
    fn prefix_cuts_on_a_character_boundary() {
        assert_eq!(prefix("abc", 5), "abc");
        assert_eq!(prefix("abc", 3), "abc");
        assert_eq!(prefix("abc", 2), "ab");
        // 'é' is two bytes: a cut inside it keeps the text before it.
        assert_eq!(prefix("aéb", 2), "a");
        assert_eq!(prefix("aéb", 3), "aé");
        assert_eq!(prefix("日本", 5), "日");
    }
}
