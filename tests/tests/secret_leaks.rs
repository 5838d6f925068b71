//! Property test: SFMC (or something in front of it) echoes the client secret and the access
//! token back in every encoding such text is found in, and none of those forms reaches the probe
//! outcome, the store (every record, history entry and incident) or the logs at TRACE. The
//! simulator serves the echoes over real HTTP; the store is the in-memory one (the moto-based
//! leak test of the probe function covers DynamoDB). And a Slack webhook URL, echoed back by
//! whatever answers the post, reaches no summary, store or log either.

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

/// The one webhook secret [`webhook_secret_leaks_nowhere`] reads: a stand-in of Secrets
/// Manager holding `name` (the reader itself is tested against moto in slack-notify's tests).
struct OneSecret {
    name: String,
    value: credwatch::secrets::Secret,
}

impl credwatch::secrets::SecretReader for OneSecret {
    async fn read(
        &self,
        source: &credwatch::secrets::SecretSource,
    ) -> Result<credwatch::secrets::Secret, credwatch::secrets::SecretUnavailable> {
        match source {
            credwatch::secrets::SecretSource::AwsSecret { id, .. } if *id == self.name => {
                Ok(self.value.clone())
            }
            other => Err(credwatch::secrets::SecretUnavailable(format!(
                "could not read {other}: ResourceNotFoundException"
            ))),
        }
    }
}

/// A notification of team `crm-ops`, recorded as the fan-out does, and its SNS `lambda` body.
async fn recorded_document(
    store: &MemoryStore,
) -> (credwatch::notify::notification::Notification, String) {
    use credwatch::domain::incident::{
        CheckKind, Incident, IncidentChange, IncidentClass, IncidentId,
    };
    use credwatch::notify::notification::{Event, Notification};
    use credwatch::store::Notifications;
    let now = Utc::now();
    let incident = Incident {
        id: IncidentId::new("loyalty-feed", CheckKind::Auth, 1),
        integration: "loyalty-feed".into(),
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(credwatch::domain::outcome::OutcomeClass::ClientAuthFailed),
        severity: credwatch::domain::severity::Severity::High,
        team: "crm-ops".into(),
        open: true,
        opened_at: now,
        updated_at: now,
        resolved_at: None,
        threshold_days: None,
        message: "SFMC said: Client authentication failed.".into(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    };
    let n = Notification::new(
        Event::Opened,
        &incident,
        &IncidentChange::Opened(incident.clone()),
        None,
        None,
        now,
    );
    let record = credwatch::notify::delivery::NotificationRecord {
        notification: n.clone(),
        created_at: now,
        delivery: credwatch::rules::delivery::first_claim(now),
        slack: None,
    };
    store.record_notification(&record).await.expect("recorded");
    let request = credwatch::notify::publish::build(&n, credwatch::notify::publish::SNS_MAX_BYTES);
    let message: serde_json::Value = serde_json::from_str(&request.message).expect("json");
    (
        n,
        message["lambda"].as_str().expect("lambda body").to_string(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A Slack webhook URL is a credential: whatever answers the post (Slack, or a proxy
    /// echoing the URL back in its page, under any status), no form of the URL or of its
    /// secret part reaches the job's summary, the store (the notification's `slack_post`, the
    /// platform incident) or the logs at TRACE.
    #[test]
    fn webhook_secret_leaks_nowhere(
        secret_part in "[A-Za-z0-9]{24}",
        status in prop::sample::select(vec![200u16, 400, 403, 404, 410, 429, 500, 503]),
    ) {
        use credwatch::jobs::slack_notify::{SlackContext, SnsRecord, handle_records};
        use credwatch::notify::slack::webhook::{HttpTransport, SlackPoster};
        use credwatch::store::Teams;
        use credwatch_tests::slack::{Reply, SlackStandIn};

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
        let (dump, url) = runtime.block_on(async {
            let slack = SlackStandIn::start().await;
            let url = slack.webhook_url("crm-ops", &secret_part);
            slack.script([Reply::Echo(status)]);
            let store = MemoryStore::new();
            let mut team = credwatch::inventory::Team {
                id: "crm-ops".into(),
                name: "CRM".into(),
                timezone: None,
                business_hours: None,
                escalate_after: None,
                escalate_to: None,
                after_hours_to: None,
                notify: credwatch::inventory::Notify::default(),
                maintenance: Vec::new(),
            };
            team.notify.slack_webhook = Some("credwatch/slack/crm-ops".into());
            store.put_team(&team).await.expect("team");
            let secrets = OneSecret {
                name: "credwatch/slack/crm-ops".into(),
                value: credwatch::secrets::Secret::new(url.clone()),
            };
            let poster = SlackPoster::new(HttpTransport::new().expect("client"));
            let ctx = SlackContext {
                store: &store,
                secrets: &secrets,
                poster: &poster,
                prefix: "credwatch/slack/",
                allow_any_endpoint: true,
            };
            let (_, document) = recorded_document(&store).await;
            let records = [SnsRecord { message_id: "m-1".into(), message: document }];
            // A deadline too close for a 429's default wait: the 429 is left to Lambda.
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
            let summary = handle_records(&ctx, &records, Utc::now(), Some(deadline)).await;
            assert_eq!(slack.posts().len(), 1);
            let json = serde_json::to_string(&summary).expect("json");
            (format!("{summary:?}\n{json}\n{store:?}"), url)
        });
        drop(_guard);
        let logs = logs.text();
        prop_assert!(logs.contains("TRACE"), "the logs really are at TRACE");
        prop_assert!(dump.contains("slack_post") || dump.contains("SlackPost"), "{dump}");
        let path = url.split_once("/services/").expect("a path").1.to_string();
        for (what, text) in [("summary and store", &dump), ("logs", &logs)] {
            for form in forms(&secret_part).into_iter().chain(forms(&path)).chain(forms(&url)) {
                prop_assert!(!text.contains(&form), "the webhook as {form:?} in the {what}:\n{text}");
            }
        }
    }
}
