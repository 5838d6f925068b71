//! Per-client configuration: the valid secret, what a token grants, and scripted misbehaviour.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::echo::EchoEncoding;

/// One simulated installed-package API integration (keyed by client id in the simulator).
///
/// `Debug` redacts the secret; `Serialize` includes it so a config can be sent to `PUT /_sim/clients/{id}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ClientConfigWire")]
pub struct ClientConfig {
    /// The currently valid secret; changing it is how a test rotates or revokes the credential.
    pub secret: String,
    /// Scopes a token grants, returned as one space-separated `scope` string.
    pub scopes: Vec<String>,
    /// MID of the business unit the token belongs to (`organization.id` in tokenContext).
    pub mid: u64,
    /// Enterprise (parent account) id (`enterprise.id` in tokenContext).
    pub enterprise_id: u64,
    /// How `POST /v2/token` answers for this client once grant type, client id and secret are valid.
    pub token: TokenBehaviour,
    /// How `GET /platform/v1/tokenContext` answers for this client's tokens.
    pub rest: RestBehaviour,
    /// Extra latency for this client's requests, on top of the simulator-wide latency.
    #[serde(rename = "latency_ms", serialize_with = "duration_ms::serialize")]
    pub latency: Duration,
}

impl ClientConfig {
    /// A client that gets tokens with `scopes` for business unit `mid` (which is also its enterprise id).
    pub fn healthy(secret: &str, scopes: &[&str], mid: u64) -> Self {
        Self {
            secret: secret.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            mid,
            enterprise_id: mid,
            token: TokenBehaviour::Healthy,
            rest: RestBehaviour::Healthy,
            latency: Duration::ZERO,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .field("mid", &self.mid)
            .field("enterprise_id", &self.enterprise_id)
            .field("token", &self.token)
            .field("rest", &self.rest)
            .field("latency", &self.latency)
            .finish()
    }
}

/// The JSON form accepted by the control API: everything but `secret` and `mid` is optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientConfigWire {
    secret: String,
    #[serde(default)]
    scopes: Vec<String>,
    mid: u64,
    enterprise_id: Option<u64>,
    #[serde(default)]
    token: TokenBehaviour,
    #[serde(default)]
    rest: RestBehaviour,
    #[serde(default, deserialize_with = "duration_ms::deserialize")]
    latency_ms: Duration,
}

impl From<ClientConfigWire> for ClientConfig {
    fn from(wire: ClientConfigWire) -> Self {
        Self {
            secret: wire.secret,
            scopes: wire.scopes,
            mid: wire.mid,
            enterprise_id: wire.enterprise_id.unwrap_or(wire.mid),
            token: wire.token,
            rest: wire.rest,
            latency: wire.latency_ms,
        }
    }
}

/// Scripted answer of `POST /v2/token` for a client whose request is otherwise valid.
///
/// JSON form: `{"kind": "rate_limited", "retry_after_secs": 5}`, `{"kind": "healthy"}`, ...
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TokenBehaviour {
    /// 200 with a fresh token.
    #[default]
    Healthy,
    /// 401 `token-invalid-client-id` (even though the client exists).
    InvalidClientId,
    /// 401 `token-client-auth-failed`, whatever secret was sent.
    ClientAuthFailed,
    /// 401 `token-legacy-package`.
    LegacyPackage,
    /// 400 `token-ip-not-allowlisted`.
    IpNotAllowlisted,
    /// 400 `token-unsupported-grant`.
    UnsupportedGrant,
    /// 429 `token-blocked` (errorcode 50200).
    Blocked,
    /// 429 `rest-rate-limited` with `Retry-After: retry_after_secs`.
    RateLimited {
        /// Value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// 500 `server-error`.
    ServerError,
    /// Any status with any body, for cases SFMC has not documented.
    Status {
        /// HTTP status code (an invalid code makes the simulator answer 500 with an explanation).
        status: u16,
        /// Response body, served as JSON if it parses as JSON, else as plain text.
        body: String,
    },
    /// Any status with exactly these headers and body (no content-type sniffing): proxy block
    /// pages, redirects, `Retry-After` on any status, SFMC's undocumented answers.
    ///
    /// JSON form: `{"kind": "raw", "status": 302, "headers": [["Location", "http://portal/"]], "body": ""}`.
    /// An invalid status, header name or header value makes the simulator answer 500 with an
    /// explanation.
    Raw {
        /// HTTP status code (100-999).
        status: u16,
        /// Response headers in order; a repeated name is sent repeatedly.
        #[serde(default)]
        headers: Vec<(String, String)>,
        /// Response body, sent as is.
        #[serde(default)]
        body: String,
    },
    /// 200 with a fresh token whose `rest_instance_url` is exactly `url` (e.g. a bare host, as
    /// one SFMC doc example shows, or a foreign host).
    RestInstanceUrl {
        /// The `rest_instance_url` value, verbatim.
        url: String,
    },
    /// Never answers (until the simulator shuts down).
    Hang,
    /// `status` with an SFMC-shaped OAuth error (`invalid_client`) whose description echoes the
    /// client secret that was sent, written in `encoding` (a reflecting gateway or proxy).
    EchoSecret {
        /// HTTP status code.
        status: u16,
        /// How the secret is written into the description.
        encoding: EchoEncoding,
    },
    /// Healthy, after an extra delay.
    Slow {
        /// Extra delay in milliseconds, on top of any configured latency.
        delay_ms: u64,
    },
    /// 200 with a truncated JSON body and `Content-Type: application/json`.
    MalformedJson,
    /// 200 with an HTML page (`Content-Type: text/html`), like a proxy or maintenance page.
    NotJson,
    /// 200 with a valid token body padded (with a `padding` field) to at least `bytes` bytes.
    Oversized {
        /// Minimum body length in bytes (capped at [`crate::MAX_OVERSIZED_BYTES`]).
        bytes: usize,
    },
    /// The first `times` requests answer as `then_fail_with`, later ones are healthy (for retry tests).
    ///
    /// The count restarts whenever the client's token behaviour is set or changed.
    FailTimes {
        /// How many requests fail.
        times: u32,
        /// How they fail (a nested `FailTimes` fails as its own `then_fail_with`).
        then_fail_with: Box<TokenBehaviour>,
    },
}

/// Scripted answer of `GET /platform/v1/tokenContext` for a valid token of this client.
///
/// JSON form: `{"kind": "insufficient_privileges"}`, ...
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RestBehaviour {
    /// 200 with the client's enterprise, organization (MID) and user ids.
    #[default]
    Healthy,
    /// 401 `rest-not-authorized`.
    NotAuthorized,
    /// 403 `rest-insufficient-privileges`.
    InsufficientPrivileges,
    /// 429 `rest-rate-limited` with `Retry-After: retry_after_secs`.
    RateLimited {
        /// Value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// 500 `server-error`.
    ServerError,
    /// Never answers (until the simulator shuts down).
    Hang,
    /// 200 with a truncated JSON body and `Content-Type: application/json`.
    MalformedJson,
    /// `status` with an SFMC-shaped REST error whose message echoes the bearer token that was
    /// sent, written in `encoding`.
    EchoToken {
        /// HTTP status code.
        status: u16,
        /// How the token is written into the message.
        encoding: EchoEncoding,
    },
    /// Any status with any body.
    Status {
        /// HTTP status code (an invalid code makes the simulator answer 500 with an explanation).
        status: u16,
        /// Response body, served as JSON if it parses as JSON, else as plain text.
        body: String,
    },
    /// Any status with exactly these headers and body (no content-type sniffing): proxy block
    /// pages, redirects, `Retry-After` on any status, SFMC's undocumented answers.
    ///
    /// JSON form: `{"kind": "raw", "status": 302, "headers": [["Location", "http://portal/"]], "body": ""}`.
    /// An invalid status, header name or header value makes the simulator answer 500 with an
    /// explanation.
    Raw {
        /// HTTP status code (100-999).
        status: u16,
        /// Response headers in order; a repeated name is sent repeatedly.
        #[serde(default)]
        headers: Vec<(String, String)>,
        /// Response body, sent as is.
        #[serde(default)]
        body: String,
    },
}

/// Short human-readable form, e.g. `rate_limited(retry_after=1s)`, used by the binary's listing.
impl fmt::Display for TokenBehaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Healthy => f.write_str("healthy"),
            Self::InvalidClientId => f.write_str("invalid_client_id"),
            Self::ClientAuthFailed => f.write_str("client_auth_failed"),
            Self::LegacyPackage => f.write_str("legacy_package"),
            Self::IpNotAllowlisted => f.write_str("ip_not_allowlisted"),
            Self::UnsupportedGrant => f.write_str("unsupported_grant"),
            Self::Blocked => f.write_str("blocked"),
            Self::RateLimited { retry_after_secs } => {
                write!(f, "rate_limited(retry_after={retry_after_secs}s)")
            }
            Self::ServerError => f.write_str("server_error"),
            Self::Status { status, .. } => write!(f, "status({status})"),
            Self::Raw { status, .. } => write!(f, "raw({status})"),
            Self::RestInstanceUrl { .. } => f.write_str("rest_instance_url"),
            Self::Hang => f.write_str("hang"),
            Self::EchoSecret { status, encoding } => {
                write!(f, "echo_secret({status}, {encoding:?})")
            }
            Self::Slow { delay_ms } => write!(f, "slow({delay_ms}ms)"),
            Self::MalformedJson => f.write_str("malformed_json"),
            Self::NotJson => f.write_str("not_json"),
            Self::Oversized { bytes } => write!(f, "oversized({bytes} bytes)"),
            Self::FailTimes {
                times,
                then_fail_with,
            } => write!(f, "fail_times({times}x {then_fail_with}, then healthy)"),
        }
    }
}

/// Short human-readable form, e.g. `insufficient_privileges`, used by the binary's listing.
impl fmt::Display for RestBehaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Healthy => f.write_str("healthy"),
            Self::NotAuthorized => f.write_str("not_authorized"),
            Self::InsufficientPrivileges => f.write_str("insufficient_privileges"),
            Self::RateLimited { retry_after_secs } => {
                write!(f, "rate_limited(retry_after={retry_after_secs}s)")
            }
            Self::ServerError => f.write_str("server_error"),
            Self::Hang => f.write_str("hang"),
            Self::MalformedJson => f.write_str("malformed_json"),
            Self::Status { status, .. } => write!(f, "status({status})"),
            Self::Raw { status, .. } => write!(f, "raw({status})"),
            Self::EchoToken { status, encoding } => {
                write!(f, "echo_token({status}, {encoding:?})")
            }
        }
    }
}

/// How many requests a client made to each endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Requests to `POST /v2/token`.
    pub token: u64,
    /// Requests to `GET /platform/v1/tokenContext`.
    pub token_context: u64,
}

impl std::ops::AddAssign for RequestCounts {
    fn add_assign(&mut self, other: Self) {
        self.token += other.token;
        self.token_context += other.token_context;
    }
}

/// What a token request looked like (never the secret), so tests can check how a client calls SFMC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequestShape {
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `account_id` field exactly as sent (SFMC expects a JSON number).
    pub account_id: Option<serde_json::Value>,
    /// Whether the body had a `scope` field.
    pub has_scope_field: bool,
    /// The `grant_type` field, if it was a string.
    pub grant_type: Option<String>,
}

/// `Duration` as whole milliseconds in JSON.
mod duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn behaviours_use_a_snake_case_kind_tag() {
        let behaviour = TokenBehaviour::FailTimes {
            times: 2,
            then_fail_with: Box::new(TokenBehaviour::RateLimited {
                retry_after_secs: 3,
            }),
        };
        let value = serde_json::to_value(&behaviour).unwrap();
        assert_eq!(
            value,
            json!({"kind": "fail_times", "times": 2,
                   "then_fail_with": {"kind": "rate_limited", "retry_after_secs": 3}})
        );
        assert_eq!(
            serde_json::from_value::<TokenBehaviour>(value).unwrap(),
            behaviour
        );
        assert_eq!(
            serde_json::to_value(RestBehaviour::InsufficientPrivileges).unwrap(),
            json!({"kind": "insufficient_privileges"})
        );
    }

    #[test]
    fn config_json_defaults_and_round_trip() {
        let config: ClientConfig =
            serde_json::from_value(json!({"secret": "s", "mid": 42, "latency_ms": 250})).unwrap();
        assert_eq!(config.enterprise_id, 42);
        assert_eq!(config.token, TokenBehaviour::Healthy);
        assert_eq!(config.rest, RestBehaviour::Healthy);
        assert_eq!(config.latency, Duration::from_millis(250));
        assert!(config.scopes.is_empty());

        let mut full = ClientConfig::healthy("s3cret", &["email_read", "journeys_execute"], 7);
        full.enterprise_id = 1;
        full.token = TokenBehaviour::Oversized { bytes: 10 };
        full.latency = Duration::from_millis(5);
        let value = serde_json::to_value(&full).unwrap();
        assert_eq!(value["latency_ms"], json!(5));
        assert_eq!(serde_json::from_value::<ClientConfig>(value).unwrap(), full);
    }

    #[test]
    fn config_json_rejects_unknown_fields() {
        let result: Result<ClientConfig, _> =
            serde_json::from_value(json!({"secret": "s", "mid": 1, "latency": 5}));
        assert!(result.is_err());
    }

    #[test]
    fn debug_redacts_the_secret() {
        let config = ClientConfig::healthy("hunter2-very-secret", &[], 1);
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
