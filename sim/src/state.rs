//! The simulator's mutable state and the pure decision of how to answer each request.
//!
//! Handlers lock the state, ask it for a [`Plan`], unlock, and only then sleep and answer: the lock is never
//! held across an `.await`, so thousands of slow or hanging requests do not serialise each other.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{
    ClientConfig, RequestCounts, RestBehaviour, TokenBehaviour, TokenRequestShape,
};
use crate::fixtures;

/// Lifetime of an issued token, as SFMC reports it.
pub(crate) const TOKEN_EXPIRES_IN: u64 = 1079;

/// Body of the 400 for a token request that is not a JSON object (not a recorded fixture).
pub const INVALID_REQUEST_BODY: &str = r#"{"error":"invalid_request","error_description":"The request body is not valid JSON.","error_uri":"https://developer.salesforce.com/docs"}"#;

/// Body of [`TokenBehaviour::NotJson`]: a 200 HTML page such as a proxy or maintenance page returns.
pub const NOT_JSON_BODY: &str = "<!DOCTYPE html>\n<html><head><title>Marketing Cloud - Scheduled Maintenance</title></head>\
<body><h1>We'll be back soon</h1><p>Marketing Cloud is undergoing scheduled maintenance. Please try again later.</p>\
</body></html>\n";

/// Cap on [`TokenBehaviour::Oversized`], so a control-API typo cannot exhaust memory.
pub const MAX_OVERSIZED_BYTES: usize = 64 * 1024 * 1024;

pub(crate) const JSON: &str = "application/json";
const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// What a handler should do: wait `delay`, then answer (or hang).
#[derive(Debug)]
pub(crate) struct Plan {
    pub delay: Duration,
    pub reply: Reply,
}

/// The answer part of a [`Plan`].
#[derive(Debug)]
pub(crate) enum Reply {
    Respond {
        status: StatusCode,
        content_type: &'static str,
        body: Cow<'static, str>,
        retry_after: Option<u64>,
    },
    /// Exactly this status, these headers and this body (checked when the answer is built).
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Answer nothing until shutdown.
    Hang,
}

impl Reply {
    fn json(status: StatusCode, body: impl Into<Cow<'static, str>>) -> Self {
        Self::Respond {
            status,
            content_type: JSON,
            body: body.into(),
            retry_after: None,
        }
    }

    fn rate_limited(retry_after_secs: u64) -> Self {
        Self::Respond {
            status: StatusCode::TOO_MANY_REQUESTS,
            content_type: JSON,
            body: fixtures::REST_RATE_LIMITED.into(),
            retry_after: Some(retry_after_secs),
        }
    }

    fn html(body: &'static str) -> Self {
        Self::Respond {
            status: StatusCode::OK,
            content_type: HTML,
            body: body.into(),
            retry_after: None,
        }
    }

    /// `Status { status, body }`: sniff the content type; an invalid code must not panic the handler.
    fn arbitrary(status: u16, body: &str) -> Self {
        let Ok(status) = StatusCode::from_u16(status) else {
            return Self::Respond {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                content_type: TEXT,
                body: format!(
                    "credwatch-sim: configured status {status} is not a valid HTTP status"
                )
                .into(),
                retry_after: None,
            };
        };
        let is_json = serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok();
        Self::Respond {
            status,
            content_type: if is_json { JSON } else { TEXT },
            body: body.to_owned().into(),
            retry_after: None,
        }
    }
}

impl Plan {
    fn new(delay: Duration, reply: Reply) -> Self {
        Self { delay, reply }
    }
}

/// One configured client plus the progress of its `FailTimes` script.
#[derive(Debug)]
pub(crate) struct ClientSlot {
    pub config: ClientConfig,
    failures_served: u32,
}

#[derive(Debug)]
pub(crate) struct IssuedToken {
    client_id: String,
    expires_at: Instant,
}

/// Everything the simulator knows; guarded by one `std::sync::Mutex`.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub clients: HashMap<String, ClientSlot>,
    pub tokens: HashMap<String, IssuedToken>,
    pub counts: HashMap<String, RequestCounts>,
    /// Requests that named no client (body not JSON, no / unknown bearer token).
    pub unattributed: RequestCounts,
    pub last_token_requests: HashMap<String, TokenRequestShape>,
    pub latency: Duration,
    /// Token-map size at which expired tokens are next pruned (doubles, so pruning stays amortised O(1)).
    prune_tokens_at: usize,
}

/// The parts of a parsed token request the simulator looks at.
pub(crate) struct TokenRequest<'a> {
    pub content_type: Option<String>,
    /// `None` when the body was not a JSON object.
    pub body: Option<&'a Map<String, Value>>,
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    scope: &'a str,
    soap_instance_url: &'a str,
    rest_instance_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    padding: &'a str,
}

impl State {
    /// Creates or replaces a client; a replaced client's `FailTimes` progress starts over.
    pub fn set_client(&mut self, client_id: &str, config: ClientConfig) -> bool {
        let slot = ClientSlot {
            config,
            failures_served: 0,
        };
        self.clients.insert(client_id.to_owned(), slot).is_none()
    }

    /// Replaces a client's config, keeping `FailTimes` progress unless the token behaviour changed.
    pub fn update_client(&mut self, client_id: &str, config: ClientConfig) {
        match self.clients.get_mut(client_id) {
            Some(slot) => {
                if slot.config.token != config.token {
                    slot.failures_served = 0;
                }
                slot.config = config;
            }
            None => {
                self.set_client(client_id, config);
            }
        }
    }

    /// Zeroes every request count.
    pub fn reset_counts(&mut self) {
        self.counts.clear();
        self.unattributed = RequestCounts::default();
    }

    /// Sum of all per-client and unattributed counts.
    pub fn total_counts(&self) -> RequestCounts {
        let mut total = self.unattributed;
        for counts in self.counts.values() {
            total += *counts;
        }
        total
    }

    /// Decides the answer to `POST /v2/token`, counting the request and recording its shape first.
    pub fn plan_token(&mut self, request: TokenRequest<'_>, base_url: &str) -> Plan {
        let Some(body) = request.body else {
            self.unattributed.token += 1;
            return Plan::new(
                self.latency,
                Reply::json(StatusCode::BAD_REQUEST, INVALID_REQUEST_BODY),
            );
        };
        let client_id = body.get("client_id").and_then(Value::as_str);
        let grant_type = body.get("grant_type").and_then(Value::as_str);
        match client_id {
            Some(id) => {
                self.counts.entry(id.to_owned()).or_default().token += 1;
                let shape = TokenRequestShape {
                    content_type: request.content_type,
                    account_id: body.get("account_id").cloned(),
                    has_scope_field: body.contains_key("scope"),
                    grant_type: grant_type.map(str::to_owned),
                };
                self.last_token_requests.insert(id.to_owned(), shape);
            }
            None => self.unattributed.token += 1,
        }

        let slot = client_id.and_then(|id| self.clients.get_mut(id));
        // Saturating: latencies come from the control API and must not overflow into a panic.
        let delay = self
            .latency
            .saturating_add(slot.as_ref().map_or(Duration::ZERO, |s| s.config.latency));
        let fixture = |status, body: &'static str| Plan::new(delay, Reply::json(status, body));

        if grant_type != Some("client_credentials") {
            return fixture(StatusCode::BAD_REQUEST, fixtures::TOKEN_UNSUPPORTED_GRANT);
        }
        let (Some(client_id), Some(slot)) = (client_id, slot) else {
            return fixture(StatusCode::UNAUTHORIZED, fixtures::TOKEN_INVALID_CLIENT_ID);
        };
        let sent_secret = body.get("client_secret").and_then(Value::as_str);
        if sent_secret != Some(slot.config.secret.as_str()) {
            return fixture(StatusCode::UNAUTHORIZED, fixtures::TOKEN_CLIENT_AUTH_FAILED);
        }

        let behaviour = slot.next_token_behaviour();
        let scope = slot.config.scopes.join(" ");
        let issue = |state: &mut Self, padded_to: usize| {
            let token = state.issue_token(client_id);
            token_body(&token, &scope, base_url, padded_to)
        };
        let reply = match behaviour {
            TokenBehaviour::Healthy => Reply::json(StatusCode::OK, issue(self, 0)),
            TokenBehaviour::Slow { delay_ms } => {
                let reply = Reply::json(StatusCode::OK, issue(self, 0));
                return Plan::new(delay.saturating_add(Duration::from_millis(delay_ms)), reply);
            }
            TokenBehaviour::Oversized { bytes } => {
                Reply::json(StatusCode::OK, issue(self, bytes.min(MAX_OVERSIZED_BYTES)))
            }
            TokenBehaviour::MalformedJson => {
                // Cut a real body in half: no closing brace, so it can never parse.
                let mut body = token_body(&new_token(), &scope, base_url, 0);
                body.truncate(body.len() / 2);
                Reply::json(StatusCode::OK, body)
            }
            TokenBehaviour::NotJson => Reply::html(NOT_JSON_BODY),
            TokenBehaviour::InvalidClientId => {
                Reply::json(StatusCode::UNAUTHORIZED, fixtures::TOKEN_INVALID_CLIENT_ID)
            }
            TokenBehaviour::ClientAuthFailed => {
                Reply::json(StatusCode::UNAUTHORIZED, fixtures::TOKEN_CLIENT_AUTH_FAILED)
            }
            TokenBehaviour::LegacyPackage => {
                Reply::json(StatusCode::UNAUTHORIZED, fixtures::TOKEN_LEGACY_PACKAGE)
            }
            TokenBehaviour::IpNotAllowlisted => {
                Reply::json(StatusCode::BAD_REQUEST, fixtures::TOKEN_IP_NOT_ALLOWLISTED)
            }
            TokenBehaviour::UnsupportedGrant => {
                Reply::json(StatusCode::BAD_REQUEST, fixtures::TOKEN_UNSUPPORTED_GRANT)
            }
            TokenBehaviour::Blocked => {
                Reply::json(StatusCode::TOO_MANY_REQUESTS, fixtures::TOKEN_BLOCKED)
            }
            TokenBehaviour::RateLimited { retry_after_secs } => {
                Reply::rate_limited(retry_after_secs)
            }
            TokenBehaviour::ServerError => {
                Reply::json(StatusCode::INTERNAL_SERVER_ERROR, fixtures::SERVER_ERROR)
            }
            TokenBehaviour::Status { status, body } => Reply::arbitrary(status, &body),
            TokenBehaviour::Raw {
                status,
                headers,
                body,
            } => Reply::Raw {
                status,
                headers,
                body,
            },
            TokenBehaviour::RestInstanceUrl { url } => {
                let token = self.issue_token(client_id);
                Reply::json(StatusCode::OK, token_body(&token, &scope, &url, 0))
            }
            TokenBehaviour::Hang => Reply::Hang,
            TokenBehaviour::EchoSecret { status, encoding } => Reply::arbitrary(
                status,
                &crate::echo::token_error_body(&encoding.encode(sent_secret.unwrap_or_default())),
            ),
            // `next_token_behaviour` never returns FailTimes.
            TokenBehaviour::FailTimes { .. } => {
                Reply::json(StatusCode::INTERNAL_SERVER_ERROR, fixtures::SERVER_ERROR)
            }
        };
        Plan::new(delay, reply)
    }

    /// Decides the answer to `GET /platform/v1/tokenContext` for the given bearer token.
    pub fn plan_token_context(&mut self, bearer: Option<&str>) -> Plan {
        let now = Instant::now();
        let client_id = bearer
            .and_then(|token| self.tokens.get(token))
            .filter(|issued| issued.expires_at > now)
            .map(|issued| issued.client_id.clone());
        let not_authorized = |delay| {
            Plan::new(
                delay,
                Reply::json(StatusCode::UNAUTHORIZED, fixtures::REST_NOT_AUTHORIZED),
            )
        };
        let Some(client_id) = client_id else {
            self.unattributed.token_context += 1;
            return not_authorized(self.latency);
        };
        self.counts
            .entry(client_id.clone())
            .or_default()
            .token_context += 1;
        // The client may have been removed since the token was issued.
        let Some(slot) = self.clients.get(&client_id) else {
            return not_authorized(self.latency);
        };
        let config = &slot.config;
        let delay = self.latency.saturating_add(config.latency);
        let reply = match &config.rest {
            RestBehaviour::Healthy => {
                Reply::json(StatusCode::OK, token_context_body(&client_id, config))
            }
            RestBehaviour::NotAuthorized => {
                Reply::json(StatusCode::UNAUTHORIZED, fixtures::REST_NOT_AUTHORIZED)
            }
            RestBehaviour::InsufficientPrivileges => Reply::json(
                StatusCode::FORBIDDEN,
                fixtures::REST_INSUFFICIENT_PRIVILEGES,
            ),
            RestBehaviour::RateLimited { retry_after_secs } => {
                Reply::rate_limited(*retry_after_secs)
            }
            RestBehaviour::ServerError => {
                Reply::json(StatusCode::INTERNAL_SERVER_ERROR, fixtures::SERVER_ERROR)
            }
            RestBehaviour::Hang => Reply::Hang,
            RestBehaviour::MalformedJson => {
                let mut body = token_context_body(&client_id, config);
                body.truncate(body.len() / 2);
                Reply::json(StatusCode::OK, body)
            }
            RestBehaviour::Status { status, body } => Reply::arbitrary(*status, body),
            RestBehaviour::Raw {
                status,
                headers,
                body,
            } => Reply::Raw {
                status: *status,
                headers: headers.clone(),
                body: body.clone(),
            },
            RestBehaviour::EchoToken { status, encoding } => Reply::arbitrary(
                *status,
                &crate::echo::rest_error_body(&encoding.encode(bearer.unwrap_or_default())),
            ),
        };
        Plan::new(delay, reply)
    }

    fn issue_token(&mut self, client_id: &str) -> String {
        if self.tokens.len() >= self.prune_tokens_at {
            let now = Instant::now();
            self.tokens.retain(|_, issued| issued.expires_at > now);
            self.prune_tokens_at = (self.tokens.len() * 2).max(1024);
        }
        let token = new_token();
        let issued = IssuedToken {
            client_id: client_id.to_owned(),
            expires_at: Instant::now() + Duration::from_secs(TOKEN_EXPIRES_IN),
        };
        self.tokens.insert(token.clone(), issued);
        token
    }
}

impl ClientSlot {
    /// The behaviour for this request, advancing a `FailTimes` script.
    fn next_token_behaviour(&mut self) -> TokenBehaviour {
        let TokenBehaviour::FailTimes {
            times,
            then_fail_with,
        } = &self.config.token
        else {
            return self.config.token.clone();
        };
        if self.failures_served >= *times {
            return TokenBehaviour::Healthy;
        }
        self.failures_served += 1;
        let mut inner = then_fail_with.as_ref();
        while let TokenBehaviour::FailTimes { then_fail_with, .. } = inner {
            inner = then_fail_with;
        }
        inner.clone()
    }
}

/// An opaque access token: recognisably the simulator's, unguessable enough for tests.
fn new_token() -> String {
    let mut token = String::with_capacity(44);
    token.push_str("sim.");
    token.extend(std::iter::repeat_with(fastrand::alphanumeric).take(40));
    token
}

/// A token response body; with `padded_to > 0`, a `padding` field makes it at least that long.
fn token_body(token: &str, scope: &str, base_url: &str, padded_to: usize) -> String {
    let mut body = TokenBody {
        access_token: token,
        token_type: "Bearer",
        expires_in: TOKEN_EXPIRES_IN,
        scope,
        soap_instance_url: base_url,
        rest_instance_url: base_url,
        padding: "",
    };
    let plain = to_json(&body);
    if plain.len() >= padded_to {
        return plain;
    }
    // `,"padding":""` adds 13 bytes; ASCII padding needs no escaping, so the length is exact.
    let padding = "x".repeat(padded_to.saturating_sub(plain.len() + 13).max(1));
    body.padding = &padding;
    to_json(&body)
}

fn token_context_body(client_id: &str, config: &ClientConfig) -> String {
    format!(
        r#"{{"enterprise":{{"id":{}}},"organization":{{"id":{}}},"user":{{"id":{}}}}}"#,
        config.enterprise_id,
        config.mid,
        user_id(client_id)
    )
}

/// A stable, realistic-looking API user id per client (FNV-1a of the client id).
fn user_id(client_id: &str) -> u64 {
    let hash = client_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    700_000_000 + hash % 100_000_000
}

/// Serialising these plain structs cannot fail (string keys, no custom serialisers that error).
fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn request(map: &Map<String, Value>) -> TokenRequest<'_> {
        TokenRequest {
            content_type: Some("application/json".into()),
            body: Some(map),
        }
    }

    fn status_and_body(plan: &Plan) -> (StatusCode, &str) {
        match &plan.reply {
            Reply::Respond { status, body, .. } => (*status, body),
            Reply::Raw { .. } | Reply::Hang => panic!("unexpected reply {:?}", plan.reply),
        }
    }

    #[test]
    fn oversized_body_is_exactly_the_requested_length_and_valid() {
        let plain = token_body("sim.tok", "email_read", "http://127.0.0.1:1/", 0).len();
        for wanted in [
            0,
            10,
            plain,
            plain + 1,
            plain + 14,
            plain + 15,
            4096,
            100_000,
        ] {
            let body = token_body("sim.tok", "email_read", "http://127.0.0.1:1/", wanted);
            assert!(body.len() >= wanted);
            if wanted >= plain + 14 {
                assert_eq!(body.len(), wanted);
            }
            let parsed: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(parsed["token_type"], "Bearer");
        }
    }

    #[test]
    fn fail_times_fails_then_heals_and_restarts_when_changed() {
        let mut state = State::default();
        let mut config = ClientConfig::healthy("s", &[], 1);
        config.token = TokenBehaviour::FailTimes {
            times: 2,
            then_fail_with: Box::new(TokenBehaviour::ServerError),
        };
        state.set_client("c", config.clone());
        let map = body(serde_json::json!({
            "grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}));
        let statuses: Vec<StatusCode> = (0..4)
            .map(|_| status_and_body(&state.plan_token(request(&map), "http://x/")).0)
            .collect();
        assert_eq!(
            statuses,
            [
                StatusCode::INTERNAL_SERVER_ERROR,
                StatusCode::INTERNAL_SERVER_ERROR,
                StatusCode::OK,
                StatusCode::OK
            ]
        );

        // Same behaviour again keeps progress; a different one restarts it.
        state.update_client("c", config.clone());
        assert_eq!(
            status_and_body(&state.plan_token(request(&map), "http://x/")).0,
            StatusCode::OK
        );
        config.token = TokenBehaviour::FailTimes {
            times: 1,
            then_fail_with: Box::new(TokenBehaviour::Blocked),
        };
        state.update_client("c", config);
        assert_eq!(
            status_and_body(&state.plan_token(request(&map), "http://x/")),
            (StatusCode::TOO_MANY_REQUESTS, fixtures::TOKEN_BLOCKED)
        );
        assert_eq!(state.counts["c"].token, 6);
    }

    #[test]
    fn invalid_configured_status_answers_500_instead_of_panicking() {
        let reply = Reply::arbitrary(1000, "{}");
        assert!(matches!(
            reply,
            Reply::Respond {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                ..
            }
        ));
    }

    #[test]
    fn user_id_is_stable_and_nine_digits() {
        assert_eq!(user_id("abc"), user_id("abc"));
        assert!((700_000_000..800_000_000).contains(&user_id("0m0het6mqknzv0uebqlvoo41")));
    }
}
