//! What one probe concludes: the outcome classes of DESIGN.md and the result record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Exactly the outcome classes of the design contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    /// Token issued, business unit matches `account_id`, every expected scope granted.
    Ok,
    /// The token endpoint answered 401 `invalid_client` "Invalid client ID".
    InvalidClientId,
    /// 401 `invalid_client` "Client authentication failed": a wrong, expired, rotated or revoked
    /// secret, or a disabled package.
    ClientAuthFailed,
    /// `invalid_client` "not eligible to use the /v2/token endpoint": a legacy package.
    LegacyPackage,
    /// `invalid_grant` with "IP address is unauthorized" (Login IP Allowlist).
    IpNotAllowlisted,
    /// Any other 400/401/403 from the token endpoint (SFMC's text kept, sanitized).
    AuthRejected,
    /// A token was issued but an expected scope is missing.
    MissingScopes,
    /// tokenContext `organization.id` differs from the inventory's `account_id`.
    WrongBusinessUnit,
    /// A token was issued but tokenContext answered 401/403.
    RestUnauthorized,
    /// 429 (SFMC errorcode 50100 / 50200); `Retry-After` is honoured.
    Throttled,
    /// A 5xx from SFMC.
    SfmcUnavailable,
    /// Connect, DNS or TLS error, or a timeout.
    Network,
    /// A 2xx body that is not the JSON SFMC's API documents.
    MalformedResponse,
    /// The client secret could not be read (env unset, Secrets Manager error, ...).
    SecretUnavailable,
    /// Something that is not SFMC answered (HTML or another non-SFMC body on a 3xx/4xx, a
    /// redirect): a proxy, firewall, CDN or captive portal.
    IntermediaryBlocked,
    /// SFMC refused the token request itself (not the credential): altered on the way, or sent
    /// to the wrong place.
    RequestRejected,
    /// SFMC could not route the call to a service (wrong Authentication or REST Base URI).
    ServiceNotFound,
    /// The integration's `auth_url`, as stored in the table, is not one this process may send a
    /// client secret to (not an SFMC auth host, and other endpoints are not allowed here).
    EndpointNotAllowed,
}

/// How a class is treated: definitive kinds fire after one confirming attempt, transient ones
/// only when sustained, monitor ones go to the platform owner instead of the integration's team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Working.
    Ok,
    /// SFMC refused the credential (client id or secret); definitive.
    Credential,
    /// SFMC refused the caller's network (IP allowlist); definitive.
    Access,
    /// The credential works but lacks what the integration needs (scopes, business unit, REST);
    /// definitive.
    Permission,
    /// Momentary trouble (throttling, outages, network); fires only when sustained.
    Transient,
    /// credwatch's own trouble probing; goes to the platform team.
    Monitor,
}

impl Kind {
    /// The snake_case name, as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ok => "ok",
            Kind::Credential => "credential",
            Kind::Access => "access",
            Kind::Permission => "permission",
            Kind::Transient => "transient",
            Kind::Monitor => "monitor",
        }
    }
}

impl OutcomeClass {
    /// Every class, in the order of DESIGN.md's outcome table.
    pub const ALL: [OutcomeClass; 18] = [
        OutcomeClass::Ok,
        OutcomeClass::InvalidClientId,
        OutcomeClass::ClientAuthFailed,
        OutcomeClass::LegacyPackage,
        OutcomeClass::IpNotAllowlisted,
        OutcomeClass::AuthRejected,
        OutcomeClass::MissingScopes,
        OutcomeClass::WrongBusinessUnit,
        OutcomeClass::RestUnauthorized,
        OutcomeClass::Throttled,
        OutcomeClass::SfmcUnavailable,
        OutcomeClass::Network,
        OutcomeClass::MalformedResponse,
        OutcomeClass::SecretUnavailable,
        OutcomeClass::IntermediaryBlocked,
        OutcomeClass::RequestRejected,
        OutcomeClass::ServiceNotFound,
        OutcomeClass::EndpointNotAllowed,
    ];

    /// How the class is treated (see [`Kind`]), per DESIGN.md's outcome table.
    pub fn kind(self) -> Kind {
        use OutcomeClass::*;
        match self {
            Ok => Kind::Ok,
            InvalidClientId | ClientAuthFailed | LegacyPackage | AuthRejected => Kind::Credential,
            IpNotAllowlisted => Kind::Access,
            MissingScopes | WrongBusinessUnit | RestUnauthorized | ServiceNotFound => {
                Kind::Permission
            }
            Throttled | SfmcUnavailable | Network | MalformedResponse => Kind::Transient,
            SecretUnavailable | IntermediaryBlocked | RequestRejected | EndpointNotAllowed => {
                Kind::Monitor
            }
        }
    }

    /// Credential, access and permission failures are SFMC telling us "no" on purpose: one
    /// immediate second attempt confirms them, and then they are real. So are the two monitor
    /// classes that are a standing answer rather than a read failure: something that is not SFMC
    /// answering in its place (`intermediary_blocked`) and SFMC refusing the request credwatch
    /// built (`request_rejected`); they go to the platform owner, but as fast.
    pub fn is_definitive(self) -> bool {
        matches!(
            self.kind(),
            Kind::Credential | Kind::Access | Kind::Permission
        ) || matches!(
            self,
            OutcomeClass::IntermediaryBlocked | OutcomeClass::RequestRejected
        )
    }

    /// Momentary: fires only when sustained.
    pub fn is_transient(self) -> bool {
        self.kind() == Kind::Transient
    }

    /// The snake_case name of DESIGN.md, e.g. `client_auth_failed`.
    pub fn as_str(self) -> &'static str {
        use OutcomeClass::*;
        match self {
            Ok => "ok",
            InvalidClientId => "invalid_client_id",
            ClientAuthFailed => "client_auth_failed",
            LegacyPackage => "legacy_package",
            IpNotAllowlisted => "ip_not_allowlisted",
            AuthRejected => "auth_rejected",
            MissingScopes => "missing_scopes",
            WrongBusinessUnit => "wrong_business_unit",
            RestUnauthorized => "rest_unauthorized",
            Throttled => "throttled",
            SfmcUnavailable => "sfmc_unavailable",
            Network => "network",
            MalformedResponse => "malformed_response",
            SecretUnavailable => "secret_unavailable",
            IntermediaryBlocked => "intermediary_blocked",
            RequestRejected => "request_rejected",
            ServiceNotFound => "service_not_found",
            EndpointNotAllowed => "endpoint_not_allowed",
        }
    }

    /// The inverse of [`OutcomeClass::as_str`]; `None` for any other text.
    pub fn parse(text: &str) -> Option<OutcomeClass> {
        OutcomeClass::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The verdict in plain words, for a marketing-ops person reading a table or an alert.
    pub fn verdict(self) -> &'static str {
        use OutcomeClass::*;
        match self {
            Ok => "Working",
            InvalidClientId => "Client ID not recognised",
            ClientAuthFailed => "Secret rejected",
            LegacyPackage => "Legacy package cannot use v2 auth",
            IpNotAllowlisted => "Caller IP not allowlisted",
            AuthRejected => "Login rejected by SFMC",
            MissingScopes => "Permissions removed",
            WrongBusinessUnit => "Wrong business unit",
            RestUnauthorized => "Token refused by the REST API",
            Throttled => "Throttled by SFMC",
            SfmcUnavailable => "SFMC unavailable",
            Network => "Could not reach SFMC",
            MalformedResponse => "Unexpected answer from SFMC",
            SecretUnavailable => "Secret could not be read",
            IntermediaryBlocked => "Blocked before reaching SFMC",
            RequestRejected => "SFMC refused credwatch's request",
            ServiceNotFound => "SFMC service not found",
            EndpointNotAllowed => "Auth URL not allowed",
        }
    }

    /// The next step for the owner.
    pub fn what_to_do(self) -> &'static str {
        use OutcomeClass::*;
        match self {
            Ok => "Nothing.",
            InvalidClientId => {
                "Check the client ID against Setup > Apps > Installed Packages > API Integration; the package may have been deleted."
            }
            ClientAuthFailed => {
                "The secret is wrong, expired, rotated or revoked, or the package is disabled. Rotate or copy the active secret from Setup > Apps > Installed Packages and update every consumer."
            }
            LegacyPackage => {
                "This package predates enhanced OAuth; create a new installed package with an API integration and move consumers to it."
            }
            IpNotAllowlisted => {
                "Add the caller's egress IP to Setup > Security > Login IP Allowlist (or probe from an allowlisted address)."
            }
            AuthRejected => {
                "SFMC refused the login; read SFMC's words in the message and check the package and its settings."
            }
            MissingScopes => {
                "Re-grant the missing scopes on the package's API integration (changes take up to 5 minutes to reach new tokens)."
            }
            WrongBusinessUnit => {
                "Enable the integration for the expected business unit (Installed Packages > Access), or fix account_id in the inventory."
            }
            RestUnauthorized => {
                "A token was issued but the REST API refused it; check the package's access to this business unit and its REST permissions."
            }
            Throttled => {
                "SFMC is rate-limiting this app; if it persists, reduce token requests from other consumers of this package."
            }
            SfmcUnavailable => {
                "SFMC answered with a server error; check status.salesforce.com. Alerts fire only if it persists."
            }
            Network => {
                "Could not connect to SFMC in time; check the auth URL, DNS and outbound network. Alerts fire only if it persists."
            }
            MalformedResponse => {
                "SFMC's answer was not what its API documents; usually momentary. Alerts fire only if it persists."
            }
            SecretUnavailable => {
                "credwatch could not read the client secret from its configured source; fix the source (this is a monitoring problem, not an SFMC one)."
            }
            IntermediaryBlocked => {
                "Something between credwatch and SFMC answered instead of SFMC (a proxy, firewall, CDN, TLS-inspection device or captive portal). Allow outbound HTTPS from the probe's network to *.auth.marketingcloudapis.com and *.rest.marketingcloudapis.com (proxy and firewall rules, egress/NAT, TLS-inspection bypass). The credential itself was not judged."
            }
            RequestRejected => {
                "SFMC refused the token request itself (not the credential): it was altered on the way (a proxy rewriting the body or headers) or sent to the wrong place. Check the egress path and that auth_url is the package's Authentication Base URI."
            }
            ServiceNotFound => {
                "SFMC could not route the call to a service: check that auth_url is the package's Authentication Base URI and that the tenant's REST Base URI (Setup > Apps > Installed Packages > API Integration) serves this package and business unit."
            }
            EndpointNotAllowed => {
                "The stored auth_url is not an SFMC Authentication Base URI (https://<subdomain>.auth.marketingcloudapis.com/), so credwatch did not read the secret or send it anywhere. Correct auth_url in the inventory and run credwatch inventory apply; check who changed the table."
            }
        }
    }
}

impl std::fmt::Display for OutcomeClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of probing one integration: the JSON object of `credwatch check --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeOutcome {
    /// The integration's id.
    pub integration: String,
    /// What the probe concluded.
    pub class: OutcomeClass,
    /// The class's kind.
    pub kind: Kind,
    /// Status of the HTTP answer that decided the class; null when there was none.
    pub http_status: Option<u16>,
    /// Plain words, with SFMC's own (sanitized) text where it gave one.
    pub message: String,
    /// Expected scopes the token lacks.
    pub missing_scopes: Vec<String>,
    /// Scopes granted beyond the expected set (a security note, not a failure).
    pub unexpected_scopes: Vec<String>,
    /// Wall time of the deciding attempt (token request plus tokenContext).
    pub latency_ms: u64,
    /// `expires_in` of the issued token, in seconds.
    pub token_expires_in: Option<u64>,
    /// `organization.id` (MID) the token is for, from tokenContext.
    pub business_unit: Option<u64>,
    /// Attempts made inside this probe (a retry of a transient class, or a confirmation).
    pub attempts: u32,
    /// True when a definitive class was seen on two consecutive attempts.
    pub confirmed: bool,
    /// Seconds the answer asked us to wait (`Retry-After`, else SFMC's body `retryAfter`), when
    /// it said; at most 86,400 (one day), the cap the SFMC classifier applies.
    pub retry_after_secs: Option<u64>,
    /// When the probe completed.
    pub probed_at: DateTime<Utc>,
    /// Fingerprint ([`crate::secrets::fingerprint::secret_fingerprint`]) of the client secret the deciding
    /// attempt used; `None` when no secret was read. Kept in the check state, never output.
    #[serde(skip)]
    pub secret_fingerprint: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_round_trip_and_match_serde() {
        for class in OutcomeClass::ALL {
            assert_eq!(OutcomeClass::parse(class.as_str()), Some(class));
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.as_str()));
        }
    }

    #[test]
    fn kinds_follow_the_design_table() {
        assert!(OutcomeClass::ClientAuthFailed.is_definitive());
        assert!(OutcomeClass::IpNotAllowlisted.is_definitive());
        assert!(OutcomeClass::WrongBusinessUnit.is_definitive());
        assert!(!OutcomeClass::Throttled.is_definitive());
        assert!(OutcomeClass::Network.is_transient());
        assert_eq!(OutcomeClass::SecretUnavailable.kind(), Kind::Monitor);
        assert!(!OutcomeClass::SecretUnavailable.is_definitive());
        assert_eq!(OutcomeClass::EndpointNotAllowed.kind(), Kind::Monitor);
        assert!(!OutcomeClass::Ok.is_definitive());
    }

    #[test]
    fn answers_not_from_sfmc_and_requests_sfmc_refused_go_to_the_platform_team_at_once() {
        use OutcomeClass::*;
        for class in [IntermediaryBlocked, RequestRejected] {
            assert_eq!(class.kind(), Kind::Monitor, "{class}");
            assert!(class.is_definitive(), "{class}");
            assert!(!class.is_transient(), "{class}");
        }
        assert_eq!(ServiceNotFound.kind(), Kind::Permission);
        assert!(ServiceNotFound.is_definitive());
        for class in OutcomeClass::ALL {
            assert!(!class.verdict().is_empty() && !class.what_to_do().is_empty());
        }
        assert!(IntermediaryBlocked.what_to_do().contains("proxy"));
        assert!(!IntermediaryBlocked.what_to_do().contains("secret"));
    }
}
