//! A ready-made tenant with one integration per common failure, for `credwatch-sim --scenario demo`
//! and `credwatch demo`.

use crate::config::{ClientConfig, TokenBehaviour};

/// Enterprise (parent account) id shared by every demo business unit.
pub const DEMO_ENTERPRISE_ID: u64 = 7_281_698;

/// One demo integration: how the simulator is configured, and what the integration's inventory holds.
#[derive(Clone, Debug)]
pub struct DemoClient {
    /// Suggested inventory id of the integration, e.g. `crm-contact-sync`.
    pub id: String,
    /// SFMC client id (24 lowercase alphanumerics, like real ones).
    pub client_id: String,
    /// The secret the integration's config holds (differs from `config.secret` when revoked).
    pub sent_secret: String,
    /// How the simulator treats this client.
    pub config: ClientConfig,
    /// One line saying what is wrong (or not) with this integration.
    pub description: String,
    /// The `account_id` (MID) the inventory sends, if any.
    pub expected_account_id: Option<u64>,
    /// The scopes the inventory expects the token to grant.
    pub expected_scopes: Vec<String>,
    /// The outcome class a correct probe reports (see DESIGN.md "Outcome classes").
    pub expected_class: String,
}

/// The demo tenant: a healthy integration plus one per typical failure.
pub fn demo_scenario() -> Vec<DemoClient> {
    vec![
        demo(
            "crm-contact-sync",
            "0m0het6mqknzv0uebqlvoo41",
            "Healthy: token issued for the right business unit with every expected scope",
            "ok",
            Bu::Same(7_281_698),
            &[
                "data_extensions_read",
                "data_extensions_write",
                "list_and_subscribers_read",
                "list_and_subscribers_write",
            ],
            &[],
            |_| {},
        ),
        demo(
            "loyalty-points-feed",
            "7k2xq9wprt4lm8vbn3hc5jfd",
            "Secret revoked in Installed Packages; the integration still sends the old one",
            "client_auth_failed",
            Bu::Same(7_281_698),
            &["data_extensions_read", "data_extensions_write"],
            &[],
            |config| config.secret = "Qm7Rt2Vx9Lc4Np8Wz1Hk6Jd3".to_owned(),
        ),
        demo(
            "journey-orchestrator",
            "p4n8c2vzq7ty1krm6wsg0hxe",
            "journeys_execute was removed from the package's scopes",
            "missing_scopes",
            Bu::Same(7_281_699),
            &["journeys_read", "automations_read", "automations_execute"],
            &["journeys_execute"],
            |_| {},
        ),
        demo(
            "emea-preference-sync",
            "b9fj3d6tq1ln5xzr8mpk2vwa",
            "Package lost access to the EMEA business unit; tokens land in the parent account",
            "wrong_business_unit",
            Bu::Differs {
                token: DEMO_ENTERPRISE_ID,
                expected: 7_281_705,
            },
            &["data_extensions_read", "data_extensions_write"],
            &[],
            |_| {},
        ),
        demo(
            "analytics-export",
            "h5t0wq8ne3yx7dkc2rvjm9bl",
            "Login IP Allowlist does not include the export server's new IP",
            "ip_not_allowlisted",
            Bu::Same(7_281_698),
            &["tracking_events_read", "data_extensions_read"],
            &[],
            |config| config.token = TokenBehaviour::IpNotAllowlisted,
        ),
        demo(
            "triggered-send-api",
            "r1zc6mv4ks9qp2hy8tlf5nwd",
            "Throttled: token requests answer 429 with Retry-After: 1",
            "throttled",
            Bu::Same(7_281_700),
            &["email_read", "email_send"],
            &[],
            |config| {
                config.token = TokenBehaviour::RateLimited {
                    retry_after_secs: 1,
                }
            },
        ),
        demo(
            "web-collect-forms",
            "e8gy2kp5xw0jt7bq4vnr1mcz",
            "SFMC is down: the token endpoint answers 500",
            "sfmc_unavailable",
            Bu::Same(7_281_698),
            &["data_extensions_write"],
            &[],
            |config| config.token = TokenBehaviour::ServerError,
        ),
    ]
}

/// Which business unit the token lands in, compared with the one the inventory sends.
enum Bu {
    Same(u64),
    Differs { token: u64, expected: u64 },
}

/// Builds a demo client whose secret and scopes match the inventory, then applies `break_it`.
#[allow(clippy::too_many_arguments)] // a private table-row constructor; named fields would be noisier
fn demo(
    id: &str,
    client_id: &str,
    description: &str,
    expected_class: &str,
    bu: Bu,
    granted: &[&str],
    also_expected: &[&str],
    break_it: impl FnOnce(&mut ClientConfig),
) -> DemoClient {
    let (mid, expected_account_id) = match bu {
        Bu::Same(mid) => (mid, mid),
        Bu::Differs { token, expected } => (token, expected),
    };
    // Deterministic secrets so a demo inventory can be written once; derived from the client id.
    let sent_secret: String = client_id
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            if i % 3 == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    let mut config = ClientConfig::healthy(&sent_secret, granted, mid);
    config.enterprise_id = DEMO_ENTERPRISE_ID;
    break_it(&mut config);
    DemoClient {
        id: id.to_owned(),
        client_id: client_id.to_owned(),
        sent_secret,
        config,
        description: description.to_owned(),
        expected_account_id: Some(expected_account_id),
        expected_scopes: granted
            .iter()
            .chain(also_expected)
            .map(|s| (*s).to_owned())
            .collect(),
        expected_class: expected_class.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn client_ids_look_like_sfmc_and_are_unique() {
        let clients = demo_scenario();
        let ids: HashSet<&str> = clients.iter().map(|c| c.client_id.as_str()).collect();
        assert_eq!(ids.len(), clients.len());
        for client in &clients {
            assert_eq!(client.client_id.len(), 24, "{}", client.client_id);
            assert!(
                client
                    .client_id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            );
        }
    }

    #[test]
    fn covers_every_required_situation() {
        let classes: HashSet<String> = demo_scenario()
            .into_iter()
            .map(|c| c.expected_class)
            .collect();
        for class in [
            "ok",
            "client_auth_failed",
            "missing_scopes",
            "wrong_business_unit",
            "ip_not_allowlisted",
            "throttled",
            "sfmc_unavailable",
        ] {
            assert!(classes.contains(class), "{class}");
        }
    }

    #[test]
    fn only_the_revoked_client_has_a_stale_secret() {
        for client in demo_scenario() {
            let stale = client.sent_secret != client.config.secret;
            assert_eq!(
                stale,
                client.expected_class == "client_auth_failed",
                "{}",
                client.id
            );
        }
    }
}
