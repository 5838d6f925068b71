//! The exact response bodies SFMC returns, one constant per file in `fixtures/` (see its README.md).
//!
//! The simulator serves these bytes unchanged (including the trailing newline), so tests can compare
//! response bodies with `==`.

/// 200 from `/v2/token`: the shape of a token response (the simulator generates its own values).
pub const TOKEN_SUCCESS: &str = include_str!("../fixtures/token-success.json");
/// 401 from `/v2/token`: the client id is unknown.
pub const TOKEN_INVALID_CLIENT_ID: &str =
    include_str!("../fixtures/token-invalid-client-id.401.json");
/// 401 from `/v2/token`: wrong / expired / rotated / revoked secret, or package disabled.
pub const TOKEN_CLIENT_AUTH_FAILED: &str =
    include_str!("../fixtures/token-client-auth-failed.401.json");
/// 401 from `/v2/token`: a legacy package may not use `/v2/token`.
pub const TOKEN_LEGACY_PACKAGE: &str = include_str!("../fixtures/token-legacy-package.401.json");
/// 400 from `/v2/token`: the caller's IP is not on the Login IP Allowlist.
pub const TOKEN_IP_NOT_ALLOWLISTED: &str =
    include_str!("../fixtures/token-ip-not-allowlisted.400.json");
/// 400 from `/v2/token`: `grant_type` is not one SFMC supports.
pub const TOKEN_UNSUPPORTED_GRANT: &str =
    include_str!("../fixtures/token-unsupported-grant.400.json");
/// 429 from `/v2/token`: token creation is temporarily blocked (errorcode 50200).
pub const TOKEN_BLOCKED: &str = include_str!("../fixtures/token-blocked.429.json");
/// 429 with a `Retry-After` header: REST rate limit (errorcode 50100).
pub const REST_RATE_LIMITED: &str = include_str!("../fixtures/rest-rate-limited.429.json");
/// 401 from a REST route: token missing, invalid or expired.
pub const REST_NOT_AUTHORIZED: &str = include_str!("../fixtures/rest-not-authorized.401.json");
/// 403 from a REST route: a scope the route needs was not granted (errorcode 20002).
pub const REST_INSUFFICIENT_PRIVILEGES: &str =
    include_str!("../fixtures/rest-insufficient-privileges.403.json");
/// 500 from either endpoint: an intermittent server fault.
pub const SERVER_ERROR: &str = include_str!("../fixtures/server-error.500.json");
/// 200 from `/platform/v1/tokenContext`: the shape of a token context (ids illustrative).
pub const TOKEN_CONTEXT: &str = include_str!("../fixtures/token-context.json");

/// Every fixture with its file name, for tests that want to iterate over all of them.
pub const ALL: &[(&str, &str)] = &[
    ("token-success.json", TOKEN_SUCCESS),
    ("token-invalid-client-id.401.json", TOKEN_INVALID_CLIENT_ID),
    (
        "token-client-auth-failed.401.json",
        TOKEN_CLIENT_AUTH_FAILED,
    ),
    ("token-legacy-package.401.json", TOKEN_LEGACY_PACKAGE),
    (
        "token-ip-not-allowlisted.400.json",
        TOKEN_IP_NOT_ALLOWLISTED,
    ),
    ("token-unsupported-grant.400.json", TOKEN_UNSUPPORTED_GRANT),
    ("token-blocked.429.json", TOKEN_BLOCKED),
    ("rest-rate-limited.429.json", REST_RATE_LIMITED),
    ("rest-not-authorized.401.json", REST_NOT_AUTHORIZED),
    (
        "rest-insufficient-privileges.403.json",
        REST_INSUFFICIENT_PRIVILEGES,
    ),
    ("server-error.500.json", SERVER_ERROR),
    ("token-context.json", TOKEN_CONTEXT),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_is_valid_json() {
        for (name, body) in ALL {
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(body);
            assert!(parsed.is_ok(), "{name} is not valid JSON");
        }
    }

    #[test]
    fn all_lists_every_fixture_file() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("fixtures dir")
            .map(|entry| {
                entry
                    .expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".json"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = ALL.iter().map(|(name, _)| name.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }
}
