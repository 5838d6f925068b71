//! Property test: SFMC (or something in front of it) echoes the client secret and the access
//! token back in every encoding such text is found in, and none of those forms reaches the probe
//! outcome, the store (every record, history entry and incident) or the logs at TRACE. The
//! simulator serves the echoes over real HTTP; the store is the in-memory one (the moto-based
//! leak test of the probe function covers DynamoDB).

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use credwatch::jobs::inventory_sync;
use credwatch::jobs::probe_cycle::{CycleSettings, Selection, run_cycle};
use credwatch::probe::{Prober, RetryPolicy};
use credwatch::secrets::LocalSecrets;
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch::store::memory::MemoryStore;
use credwatch_sim::{ClientConfig, EchoEncoding, RestBehaviour, Simulator, TokenBehaviour};
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory};
use proptest::prelude::*;

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

/// Every form a secret is looked for in, written independently of the simulator's encoders.
fn forms(secret: &str) -> Vec<String> {
    let json = |s: &str| {
        let q = serde_json::to_string(s).expect("string");
        q[1..q.len() - 1].to_string()
    };
    let url = |s: &str, plus: bool| {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(b as char)
                }
                b' ' if plus => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    let mut all = vec![
        secret.to_string(),
        json(secret),
        json(secret).replace('/', "\\/"),
        json(&json(secret)),
        url(secret, false),
        url(secret, false).to_lowercase(),
        url(secret, true),
        secret
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
    ];
    all.extend(EchoEncoding::ALL.iter().map(|e| e.encode(secret)));
    all.sort();
    all.dedup();
    all
}

fn secrets() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        '/', '\\', '"', '\'', '\n', '\r', '\t', '%', '+', '+', ' ', '&', '<', ':', '=', 'é', '😀',
        '€', '\u{1b}', '\u{202e}',
    ]);
    let plain = prop::sample::select(
        ('a'..='z')
            .chain('A'..='Z')
            .chain('0'..='9')
            .collect::<Vec<char>>(),
    );
    (
        prop::collection::vec(prop_oneof![3 => plain.clone(), 2 => tricky], 8..32),
        prop::collection::vec(plain, 4),
    )
        // Letters at both ends: a file source drops trailing line endings, and four plain
        // characters keep every form of the secret distinctive.
        .prop_map(|(middle, ends)| {
            let mut s: String = ends[..2].iter().collect();
            s.extend(middle);
            s.extend(&ends[2..]);
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn echoed_secrets_and_tokens_reach_no_outcome_store_or_log(
        secret in secrets(),
        encoding in prop::sample::select(EchoEncoding::ALL.to_vec()),
        status in prop::sample::select(vec![400u16, 401, 403, 500]),
    ) {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let (dump, issued) = runtime.block_on(async {
            let sim = Simulator::start().await.expect("simulator");
            let scratch = Scratch::new("leak-prop");
            let config = ClientConfig::healthy(&secret, SYNC_SCOPES, 7281698);
            let echo_secret = Spec::on(&sim, "echo-secret", &ClientConfig {
                token: TokenBehaviour::EchoSecret { status, encoding },
                ..config.clone()
            });
            let echo_token = Spec::on(&sim, "echo-token", &ClientConfig {
                rest: RestBehaviour::EchoToken { status, encoding },
                ..config.clone()
            });
            let inventory = inventory(scratch.path(), &[echo_secret, echo_token]);
            let store = MemoryStore::new();
            let now = Utc::now();
            let plan = inventory_sync::plan(&inventory, &[], &[], &[], false);
            let results = inventory_sync::apply(&store, &inventory, &plan, now).await;
            assert!(results.iter().all(|r| r.error.is_none()), "apply");
            let client = SfmcClient::new(ClientSettings {
                endpoint_policy: EndpointPolicy::AnyEndpoint,
                ..ClientSettings::default()
            })
            .expect("client");
            let prober = Prober::new(client, RetryPolicy::default());
            let summary = run_cycle(&store, &prober, &LocalSecrets, &Selection::Due, now, &CycleSettings::default())
                .await
                .expect("cycle");
            let issued = sim.issued_tokens();
            sim.shutdown().await;
            (format!("{summary:?}\n{store:?}"), issued)
        });
        drop(_guard);
        let logs = logs.text();
        prop_assert!(logs.contains("TRACE"), "the logs really are at TRACE");
        prop_assert!(dump.contains("echo-secret") && dump.contains("echo-token"), "{dump}");
        prop_assert!(!issued.is_empty(), "a token was issued and echoed");
        for (what, text) in [("store", &dump), ("logs", &logs)] {
            for form in forms(&secret) {
                prop_assert!(!text.contains(&form), "client secret as {form:?} in the {what}:\n{text}");
            }
            for token in &issued {
                for form in forms(token) {
                    prop_assert!(!text.contains(&form), "token as {form:?} in the {what}:\n{text}");
                }
            }
        }
    }
}
