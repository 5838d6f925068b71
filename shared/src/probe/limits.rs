//! Bounds on probing many integrations at once: overall, and per SFMC tenant (auth host).

use crate::inventory::Integration;

/// Probes in flight overall, by default: the function's `CREDWATCH_PROBE_CONCURRENCY` and the
/// CLI's `--concurrency`.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Probes in flight against one auth host, by default: the function's
/// `CREDWATCH_PROBE_PER_HOST` and the CLI's `--per-host`.
pub const DEFAULT_PER_HOST: usize = 8;

/// Bounds on probing many integrations at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency {
    /// Probes in flight overall.
    pub global: usize,
    /// Probes in flight against one auth host, so one tenant is never hammered.
    pub per_host: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency {
            global: DEFAULT_CONCURRENCY,
            per_host: DEFAULT_PER_HOST,
        }
    }
}

/// The host whose concurrency an integration counts against: its auth host and port.
pub fn host_key(integration: &Integration) -> String {
    let url = &integration.auth_url;
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::test_support::integration;

    #[test]
    fn the_host_key_is_the_auth_host_and_its_port() {
        let cases = [
            (
                "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/",
                "mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com:443",
            ),
            (
                "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com:443/v2/",
                "mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com:443",
            ),
            ("http://127.0.0.1:8080/", "127.0.0.1:8080"),
            ("http://localhost/", "localhost:80"),
        ];
        for (url, key) in cases {
            assert_eq!(host_key(&integration(url)), key, "{url}");
        }
    }
}
