//! How strictly an inventory is loaded, decided by the caller.

/// The environment variable that lets `auth_url` point anywhere (a simulator, a proxy).
pub const ALLOW_ANY_ENDPOINT_VAR: &str = "CREDWATCH_ALLOW_ANY_ENDPOINT";

/// How strictly to load. Decided by the caller, so parsing itself never reads the environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Accept any http(s) `auth_url`, not only `https://<subdomain>.auth.marketingcloudapis.com/`.
    pub allow_any_endpoint: bool,
}

impl LoadOptions {
    /// `allow_any_endpoint` is on iff `CREDWATCH_ALLOW_ANY_ENDPOINT` is exactly `1`.
    pub fn from_env() -> Self {
        LoadOptions {
            allow_any_endpoint: std::env::var(ALLOW_ANY_ENDPOINT_VAR).is_ok_and(|v| v == "1"),
        }
    }
}
