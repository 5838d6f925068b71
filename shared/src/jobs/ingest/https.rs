//! The HTTPS entry: `POST /v1/events` with `Authorization: Bearer <token>` (the Lambda function
//! URL). The token is hashed (SHA-256, hex) and looked up; it is never logged, stored or echoed.
//!
//! Answers: 202 `{"integration", "accepted", "rejected"}` when at least one event is accepted;
//! 400 `{"error", "rejected"}` when none is or the body is unusable; 413 for a body over
//! [`MAX_BODY_BYTES`] or more than [`MAX_EVENTS_PER_REQUEST`](crate::passive::MAX_EVENTS_PER_REQUEST)
//! events; 401 with `WWW-Authenticate: Bearer` without a valid token (the same answer whether or
//! not the integration exists); 404 / 405 for other paths / methods; 429 with `Retry-After`
//! (seconds to the next minute) when the integration's allowance for the minute is spent; 503
//! with `Retry-After` when the store fails in a way that may pass.

use chrono::{DateTime, Timelike, Utc};
use serde_json::{Value, json};

use crate::domain::passive::EventSource;
use crate::passive::{Binding, BodyError, MAX_BODY_BYTES, normalise_body};
use crate::secrets::ingest_token::ingest_token_hash;
use crate::store::StoreError;

use super::evaluate::record_and_evaluate;
use super::model::{IngestConfig, IngestStore, IngestSummary, log_refused};

/// The one path the endpoint serves.
pub const EVENTS_PATH: &str = "/v1/events";

/// Seconds a client is asked to wait after a store failure that may pass.
pub const STORE_RETRY_AFTER_SECS: u32 = 5;

/// One HTTP request, as the function URL delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `POST`, `GET`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The `Authorization` header's value, if any.
    pub authorization: Option<String>,
    /// The body's bytes (base64 already decoded).
    pub body: Vec<u8>,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers besides `Content-Type: application/json` (always set).
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Value,
}

impl HttpResponse {
    fn json(status: u16, body: Value) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body,
        }
    }

    fn with_header(mut self, name: &str, value: impl Into<String>) -> HttpResponse {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The value of header `name` (case-insensitive), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive, RFC 6750);
/// `None` for any other form.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// Seconds from `now` to the next minute (1 to 60): when a spent allowance is renewed.
pub fn seconds_to_next_minute(now: DateTime<Utc>) -> u32 {
    60 - now.second().min(59)
}

fn unauthorized() -> HttpResponse {
    HttpResponse::json(
        401,
        json!({"error": "a valid ingest token is required: Authorization: Bearer <token> (credwatch ingest token create)"}),
    )
    .with_header("WWW-Authenticate", "Bearer")
}

fn store_failure(error: &StoreError, summary: &mut IngestSummary) -> HttpResponse {
    tracing::error!(error = %error, "ingest request: store failure");
    summary.errors.push(error.to_string());
    if error.is_retryable() {
        HttpResponse::json(
            503,
            json!({"error": "credwatch's store is busy; send the same events again shortly"}),
        )
        .with_header("Retry-After", STORE_RETRY_AFTER_SECS.to_string())
    } else {
        HttpResponse::json(
            500,
            json!({"error": "credwatch could not record the events; its operators are told"}),
        )
    }
}

/// Answers one request at `now` (see the module's statuses), with what it did.
pub async fn handle_request<S: IngestStore>(
    store: &S,
    config: &IngestConfig,
    request: &HttpRequest,
    now: DateTime<Utc>,
) -> (HttpResponse, IngestSummary) {
    let mut summary = IngestSummary {
        source: Some(EventSource::Https),
        ..IngestSummary::default()
    };
    let response = answer(store, config, request, now, &mut summary).await;
    summary.http_status = Some(response.status);
    (response, summary)
}

async fn answer<S: IngestStore>(
    store: &S,
    config: &IngestConfig,
    request: &HttpRequest,
    now: DateTime<Utc>,
    summary: &mut IngestSummary,
) -> HttpResponse {
    // `{IngestUrl}/v1/events` and `{IngestUrl}v1/events` both work (the URL ends in `/`).
    if format!("/{}", request.path.trim_matches('/')) != EVENTS_PATH {
        return HttpResponse::json(
            404,
            json!({"error": format!("no such path; events are sent with POST {EVENTS_PATH}")}),
        );
    }
    if !request.method.eq_ignore_ascii_case("POST") {
        return HttpResponse::json(
            405,
            json!({"error": format!("{EVENTS_PATH} takes POST only")}),
        )
        .with_header("Allow", "POST");
    }
    let Some(token) = request.authorization.as_deref().and_then(bearer_token) else {
        return unauthorized();
    };
    let token = match store.ingest_token(&ingest_token_hash(token)).await {
        Ok(Some(token)) => token,
        Ok(None) => return unauthorized(),
        Err(error) => return store_failure(&error, summary),
    };
    // A token outliving its integration (retired or pruned) reports for nothing.
    match store.get_integration(&token.integration).await {
        Ok(Some(record)) if !record.retired => {}
        Ok(_) => return unauthorized(),
        Err(error) => return store_failure(&error, summary),
    }
    let integration = token.integration;
    if request.body.len() > MAX_BODY_BYTES {
        summary.refused = 1;
        return body_refused(&BodyError::TooLarge {
            bytes: request.body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    let binding = Binding {
        integration: integration.clone(),
        source: EventSource::Https,
        received_at: now,
    };
    let normalised = match normalise_body(&request.body, &binding) {
        Ok(normalised) => normalised,
        Err(error) => {
            summary.refused = 1;
            return body_refused(&error);
        }
    };
    log_refused("https", &integration, &normalised.rejected);
    summary.refused = normalised.rejected.len();
    if normalised.calls.is_empty() {
        return HttpResponse::json(
            400,
            json!({"error": "no event was accepted", "rejected": normalised.rejected}),
        );
    }
    let events = u32::try_from(normalised.calls.len()).unwrap_or(u32::MAX);
    let minute = now
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    match store
        .take_ingest_quota(&integration, minute, events, config.events_per_minute)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            summary.refused += normalised.calls.len();
            tracing::warn!(
                integration,
                events,
                "ingest allowance spent for this minute"
            );
            return HttpResponse::json(
                429,
                json!({"error": format!(
                    "{integration} reported more than {} events this minute; send them again after Retry-After seconds",
                    config.events_per_minute
                )}),
            )
            .with_header("Retry-After", seconds_to_next_minute(now).to_string());
        }
        Err(error) => return store_failure(&error, summary),
    }
    match record_and_evaluate(store, &normalised.calls, now).await {
        Ok((done, errors)) => {
            for outcome in &done {
                summary.add(outcome);
            }
            summary.errors.extend(errors);
        }
        Err(error) => return store_failure(&error, summary),
    }
    summary.accepted = normalised.calls.len();
    HttpResponse::json(
        202,
        json!({
            "integration": integration,
            "accepted": normalised.calls.len(),
            "rejected": normalised.rejected,
        }),
    )
}

/// 413 for a body too large or with too many events, 400 otherwise.
fn body_refused(error: &BodyError) -> HttpResponse {
    let status = match error {
        BodyError::TooLarge { .. } | BodyError::TooManyEvents { .. } => 413,
        BodyError::NotJson(_) | BodyError::NotAnEvent(_) | BodyError::NoEvents => 400,
    };
    HttpResponse::json(status, json!({"error": error.to_string(), "rejected": []}))
}
