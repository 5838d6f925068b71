//! The probe function against moto (DynamoDB, Secrets Manager) and the SFMC simulator over real
//! HTTP, driven by real event JSON: in-process through `handle_at` for scenarios over simulated
//! time, and as the built binary under a Lambda Runtime API stand-in.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, PLATFORM_TEAM};
use credwatch::domain::outcome::{Kind, OutcomeClass};
use credwatch::domain::state::Health;
use credwatch::inventory::{LoadOptions, parse_inventory};
use credwatch::jobs::expiry_scan::run_scan;
use credwatch::jobs::inventory_sync;
use credwatch::jobs::probe_cycle::CycleSettings;
use credwatch::probe::{Prober, RetryPolicy};
use credwatch::secrets::aws::AwsSecrets;
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::dynamo::create_table;
use credwatch::store::{HistoryReader, Incidents, Integrations, Teams};
use credwatch_probe::{App, handle_at};
use credwatch_sim::{ClientConfig, EchoEncoding, RestBehaviour, Simulator, TokenBehaviour};
use credwatch_tests::aws::{DynamoRequestCounter, child_env, sdk_config, unique_name};
use credwatch_tests::lambda::FunctionProcess;
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory_yaml};
use serde_json::{Value, json};

const SECRET: &str = "Zq4Wm8Rt2Yp6Kx1Nc5Vb9Hd3";
const STALE_SECRET: &str = "Stale7Secret3Nobody2Uses";

fn event(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T09:00:00Z")
        .unwrap()
        .to_utc()
}

fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

fn healthy() -> ClientConfig {
    ClientConfig::healthy(SECRET, SYNC_SCOPES, 7281698)
}

/// A table in moto holding an inventory of `specs` (secrets in files), and an `App` over it.
struct World {
    sim: Simulator,
    table: String,
    app: App<DynamoStore, AwsSecrets>,
    secrets_manager: aws_sdk_secretsmanager::Client,
    /// Counts every DynamoDB request the store makes.
    requests: DynamoRequestCounter,
    /// The inventory applied at the start.
    yaml: String,
    _scratch: Scratch,
}

impl World {
    async fn new(build: impl FnOnce(&Simulator) -> Vec<Spec>) -> World {
        World::from_yaml(|sim, dir| inventory_yaml(dir, &build(sim))).await
    }

    /// A world whose inventory is the YAML `build` writes (files under the given directory).
    async fn from_yaml(build: impl FnOnce(&Simulator, &std::path::Path) -> String) -> World {
        let sim = Simulator::start().await.unwrap();
        let scratch = Scratch::new("probe-fn");
        let yaml = build(&sim, scratch.path());
        let inventory = parse_inventory(
            &yaml,
            &LoadOptions {
                allow_any_endpoint: true,
            },
        )
        .unwrap()
        .inventory;
        let config = sdk_config().await;
        let table = unique_name("probe");
        let requests = DynamoRequestCounter::default();
        let dynamo = requests.client(&config);
        create_table(&dynamo, &table).await.unwrap();
        let store = DynamoStore::new(dynamo, table.clone());
        let plan = inventory_sync::plan(&inventory, &[], &[], &[], false);
        let results = inventory_sync::apply(&store, &inventory, &plan, t0() - minutes(1)).await;
        assert!(results.iter().all(|r| r.error.is_none()), "{results:?}");
        let secrets_manager = aws_sdk_secretsmanager::Client::new(&config);
        // No in-process test waits on a timeout (hanging tenants are the binary tests'), so a
        // generous one: on a loaded machine a confirming attempt that times out would count as a
        // network failure and an incident would not open (seen at load 12 on 2 cores).
        let client = SfmcClient::new(ClientSettings {
            request_timeout: Duration::from_secs(30),
            endpoint_policy: EndpointPolicy::AnyEndpoint,
            ..ClientSettings::default()
        })
        .unwrap();
        let app = App {
            store,
            prober: Prober::new(
                client,
                RetryPolicy {
                    transient_backoff: Duration::from_millis(10),
                    max_retry_after: Duration::from_millis(50),
                },
            ),
            secrets: AwsSecrets::new(secrets_manager.clone(), Duration::from_secs(300)),
            settings: CycleSettings::default(),
        };
        World {
            sim,
            table,
            app,
            secrets_manager,
            requests,
            yaml,
            _scratch: scratch,
        }
    }

    async fn run(&self, payload: &Value, at: DateTime<Utc>) -> Value {
        handle_at(&self.app, payload, at)
            .await
            .expect("invocation succeeds")
    }

    /// `credwatch inventory apply` of `yaml` at `now` (with `--prune` if asked): every item's
    /// result.
    async fn apply(
        &self,
        yaml: &str,
        now: DateTime<Utc>,
        prune: bool,
    ) -> Vec<inventory_sync::ItemResult> {
        let inventory = parse_inventory(
            yaml,
            &LoadOptions {
                allow_any_endpoint: true,
            },
        )
        .unwrap()
        .inventory;
        let listing = self.app.store.list_integrations().await.unwrap();
        let teams = self.app.store.list_teams().await.unwrap();
        let plan = inventory_sync::plan(
            &inventory,
            &listing.records,
            &listing.unreadable,
            &teams,
            prune,
        );
        inventory_sync::apply(&self.app.store, &inventory, &plan, now).await
    }

    /// Writes `value` into attribute `name` of the integration's item, bypassing credwatch.
    /// Environment for the built probe binary to work on this world: its table, the
    /// simulator's endpoint and the file secrets the world uses (which only tests may allow).
    fn binary_env(&self) -> Vec<(&'static str, String)> {
        let mut env = child_env();
        env.push(("CREDWATCH_TABLE", self.table.clone()));
        env.push(("CREDWATCH_ALLOW_ANY_ENDPOINT", "1".into()));
        env.push(("CREDWATCH_SECRET_PREFIX", "sfmc/".into()));
        env.push(("CREDWATCH_ALLOW_LOCAL_SECRETS", "1".into()));
        env
    }

    async fn poison(&self, id: &str, name: &str, value: AttributeValue) {
        aws_sdk_dynamodb::Client::new(&sdk_config().await)
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S("INVENTORY".into()))
            .key("sk", AttributeValue::S(format!("INT#{id}")))
            .update_expression("SET #a = :v")
            .expression_attribute_names("#a", name)
            .expression_attribute_values(":v", value)
            .send()
            .await
            .unwrap();
    }

    async fn health(&self, id: &str) -> Health {
        self.app
            .store
            .get_integration(id)
            .await
            .unwrap()
            .unwrap()
            .state
            .health()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_event_probes_what_is_due_and_a_revoked_secret_fires_once() {
    let world = World::new(|sim| {
        let ok = Spec::on(sim, "crm-sync", &healthy());
        let mut revoked = Spec::on(sim, "loyalty-feed", &healthy());
        revoked.secret = STALE_SECRET.into();
        vec![ok, revoked]
    })
    .await;
    let first = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(first["probed"], 2, "{first}");
    assert_eq!(first["opened"], 1, "{first}");
    assert_eq!(first["by_class"]["client_auth_failed"], 1);

    let open = world.app.store.open_incidents().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].integration, "loyalty-feed");
    assert_eq!(open[0].class, "client_auth_failed");
    assert_eq!(open[0].check, CheckKind::Auth);
    assert_eq!(open[0].team, "marketing-ops");
    assert_eq!(world.health("loyalty-feed").await, Health::Firing);
    assert_eq!(world.health("crm-sync").await, Health::Healthy);

    // Two minutes later only the failing one is due (recheck cadence); it stays one incident.
    let second = world.run(&event("scheduled.json"), t0() + minutes(2)).await;
    assert_eq!(second["probed"], 1, "{second}");
    assert_eq!(second["opened"], 0);
    assert_eq!(world.app.store.open_incidents().await.unwrap().len(), 1);
    assert_eq!(
        world
            .app
            .store
            .history("loyalty-feed", 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_then_fixed_fires_once_and_resolves_over_simulated_time() {
    let world = World::new(|sim| vec![Spec::on(sim, "crm-sync", &healthy())]).await;
    let scheduled = event("scheduled.json");
    world.run(&scheduled, t0()).await;
    assert_eq!(world.health("crm-sync").await, Health::Healthy);

    // The secret is regenerated in SFMC; the integration still holds the old one.
    world.sim.update_client("crm-sync-client", |c| {
        c.secret = "Brand9New4Secret8Elsewhere".into()
    });
    let next_due = world
        .app
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap()
        .state
        .next_probe_at
        .unwrap();
    assert!(
        next_due > t0() + minutes(5),
        "healthy cadence is probe_every, not recheck"
    );
    let at = next_due + TimeDelta::seconds(1);
    let fired = world.run(&scheduled, at).await;
    assert_eq!(fired["opened"], 1, "{fired}");

    let still = world.run(&scheduled, at + minutes(2)).await;
    assert_eq!(still["probed"], 1);
    assert_eq!(still["opened"], 0);

    // Someone puts the new secret where the integration reads it... here: SFMC takes the old one back.
    world
        .sim
        .update_client("crm-sync-client", |c| c.secret = SECRET.into());
    let recovering = world.run(&scheduled, at + minutes(4)).await;
    assert_eq!(recovering["resolved"], 0);
    assert_eq!(world.health("crm-sync").await, Health::Recovering);
    let resolved = world.run(&scheduled, at + minutes(6)).await;
    assert_eq!(resolved["resolved"], 1, "{resolved}");
    assert_eq!(world.health("crm-sync").await, Health::Healthy);

    let incidents = world.app.store.incidents_of("crm-sync").await.unwrap();
    assert_eq!(incidents.len(), 1, "fired exactly once");
    assert!(!incidents[0].open);
    assert_eq!(incidents[0].resolved_at, Some(at + minutes(6)));
    assert!(world.app.store.open_incidents().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_503_blip_fires_nothing() {
    let world = World::new(|sim| vec![Spec::on(sim, "crm-sync", &healthy())]).await;
    // Both attempts of one probe get a 503; the next probe is fine.
    let blip = TokenBehaviour::FailTimes {
        times: 2,
        then_fail_with: Box::new(TokenBehaviour::Status {
            status: 503,
            body: "Service Unavailable".into(),
        }),
    };
    world
        .sim
        .update_client("crm-sync-client", |c| c.token = blip);
    let failed = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(failed["failing"], 1, "{failed}");
    assert_eq!(failed["opened"], 0);
    assert_eq!(world.health("crm-sync").await, Health::Pending);
    let ok = world.run(&event("scheduled.json"), t0() + minutes(2)).await;
    assert_eq!(ok["ok"], 1, "{ok}");
    assert_eq!(world.health("crm-sync").await, Health::Healthy);
    assert!(
        world
            .app
            .store
            .incidents_of("crm-sync")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn three_overlapping_invocations_open_one_incident() {
    let world = World::new(|sim| {
        let mut revoked = Spec::on(sim, "loyalty-feed", &healthy());
        revoked.secret = STALE_SECRET.into();
        vec![revoked]
    })
    .await;
    let scheduled = event("scheduled.json");
    let (a, b, c) = tokio::join!(
        world.run(&scheduled, t0()),
        world.run(&scheduled, t0()),
        world.run(&scheduled, t0())
    );
    let opened: u64 = [&a, &b, &c]
        .iter()
        .map(|s| s["opened"].as_u64().unwrap())
        .sum();
    assert_eq!(opened, 1, "{a}\n{b}\n{c}");
    assert_eq!(
        world
            .app
            .store
            .incidents_of("loyalty-feed")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(world.app.store.open_incidents().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn direct_invocation_probes_named_integrations_even_when_not_due() {
    let world = World::new(|sim| {
        vec![
            Spec::on(sim, "crm-sync", &healthy()),
            Spec::on(sim, "other", &healthy()),
        ]
    })
    .await;
    world.run(&event("scheduled.json"), t0()).await;
    let not_forced = world
        .run(&json!({"integrations": ["crm-sync"]}), t0() + minutes(1))
        .await;
    assert_eq!(
        not_forced["probed"], 0,
        "not due and not forced: {not_forced}"
    );
    let forced = world
        .run(
            &json!({"integrations": ["crm-sync", "nope"], "force": true}),
            t0() + minutes(1),
        )
        .await;
    assert_eq!(forced["probed"], 1, "{forced}");
    assert_eq!(forced["unknown_integrations"], json!(["nope"]));
    assert_eq!(
        world.sim.counts("other-client").token,
        1,
        "the other integration was not probed again"
    );
    let refused = handle_at(&world.app, &json!({"integrations": "crm-sync"}), t0())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("integrations"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secrets_manager_change_records_the_rotation_and_probes_with_the_new_secret() {
    let secret_name = unique_name("sfmc/crm-sync");
    let world =
        World::new(|sim| vec![Spec::on(sim, "crm-sync", &healthy()).with_aws_secret(&secret_name)])
            .await;
    world
        .secrets_manager
        .create_secret()
        .name(&secret_name)
        .secret_string(json!({"client_secret": STALE_SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let fired = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(fired["opened"], 1, "the stale secret is rejected: {fired}");

    world
        .secrets_manager
        .put_secret_value()
        .secret_id(&secret_name)
        .secret_string(json!({"client_secret": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let mut change = event("put-secret-value.json");
    change["detail"]["requestParameters"]["secretId"] = secret_name.clone().into();
    let rotated_at = DateTime::parse_from_rfc3339("2026-11-20T09:15:42Z")
        .unwrap()
        .to_utc();
    let probed = world.run(&change, t0() + minutes(1)).await;
    assert_eq!(probed["rotations_recorded"], 1, "{probed}");
    assert_eq!(
        probed["ok"], 1,
        "the cached old value was dropped: {probed}"
    );
    let record = world
        .app
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.secret_rotated_seen_at, Some(rotated_at));
    assert_eq!(record.state.health(), Health::Recovering);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_secret_is_the_platform_teams_incident_only_when_sustained() {
    let world = World::new(|sim| {
        vec![Spec::on(sim, "crm-sync", &healthy()).with_aws_secret("credwatch-test/does-not-exist")]
    })
    .await;
    let scheduled = event("scheduled.json");
    let first = world.run(&scheduled, t0()).await;
    assert_eq!(first["by_class"]["secret_unavailable"], 1, "{first}");
    assert_eq!(first["opened"], 0, "one failure is not an incident");
    world.run(&scheduled, t0() + minutes(5)).await;
    let third = world.run(&scheduled, t0() + minutes(10)).await;
    assert_eq!(third["opened"], 1, "{third}");
    let open = world.app.store.open_incidents().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].check, CheckKind::Monitor);
    assert_eq!(open[0].team, PLATFORM_TEAM);
    assert_eq!(
        world.sim.counts("crm-sync-client").token,
        0,
        "SFMC was never called without a secret"
    );
}

/// DynamoDB requests per probed integration per cycle: one Query page lists everything, one
/// conditional write per probed integration (an UpdateItem, or a TransactWriteItems when an
/// incident opens), and history in BatchWriteItem requests of 25.
#[tokio::test(flavor = "multi_thread")]
async fn about_one_dynamodb_request_per_probed_integration() {
    let world = World::new(|sim| {
        (0..100)
            .map(|i| {
                let mut spec = Spec::on(sim, &format!("int-{i:03}"), &healthy());
                if i % 10 == 0 {
                    spec.secret = STALE_SECRET.into();
                }
                spec
            })
            .collect()
    })
    .await;
    world.requests.reset();
    let summary = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(summary["probed"], 100, "{summary}");
    assert_eq!(summary["opened"], 10);
    let counts = world.requests.counts();
    let per_integration = world.requests.total() as f64 / 100.0;
    println!(
        "DynamoDB requests for one cycle of 100 integrations (10 opening incidents): {counts:?} = {per_integration:.2} per probed integration"
    );
    assert_eq!(counts.get("Scan"), None, "never a Scan");
    assert_eq!(counts.get("Query"), Some(&1));
    // One conditional write per probed integration (plus any retry the SDK or the store made
    // after a TransactionConflict, which an emulator under concurrent load can report).
    let writes = counts.get("UpdateItem").copied().unwrap_or(0)
        + counts.get("TransactWriteItems").copied().unwrap_or(0);
    assert!((100..=103).contains(&writes), "{counts:?}");
    assert!(
        counts.get("TransactWriteItems").copied().unwrap_or(0) >= 10,
        "the 10 openings are transactions"
    );
    assert_eq!(
        counts.get("BatchWriteItem"),
        Some(&4),
        "history in batches of 25"
    );
    assert!(per_integration <= 1.08, "{per_integration}");
}

/// The built binary, as Lambda runs it: reads its table from the environment, answers a
/// scheduled event, and leaves no secret or token in its logs or in any DynamoDB item.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_under_a_runtime_api_probes_and_never_leaks_secrets() {
    let secret_name = unique_name("sfmc/from-secrets-manager");
    let world = World::new(|sim| {
        let ok = Spec::on(sim, "crm-sync", &healthy());
        let mut revoked = Spec::on(sim, "loyalty-feed", &healthy());
        revoked.secret = STALE_SECRET.into();
        // Read from Secrets Manager, so the SDK's own TRACE logging of GetSecretValue is
        // covered by the leak check too.
        let from_aws = Spec::on(sim, "from-aws", &healthy()).with_aws_secret(&secret_name);
        // SFMC (or a gateway in front of it) echoing the secret and the token back, encoded.
        let echo_secret = Spec::on(
            sim,
            "echo-secret",
            &ClientConfig {
                token: TokenBehaviour::EchoSecret {
                    status: 400,
                    encoding: EchoEncoding::JsonSlashes,
                },
                ..healthy()
            },
        );
        let echo_token = Spec::on(
            sim,
            "echo-token",
            &ClientConfig {
                rest: RestBehaviour::EchoToken {
                    status: 401,
                    encoding: EchoEncoding::UrlLower,
                },
                ..healthy()
            },
        );
        vec![ok, revoked, from_aws, echo_secret, echo_token]
    })
    .await;
    world
        .secrets_manager
        .create_secret()
        .name(&secret_name)
        .secret_string(json!({"client_secret": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let mut env = world.binary_env();
    env.push(("CREDWATCH_LOG", "trace".into()));
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-probe").as_ref(), &env).await;
    let answer = function.invoke(event("scheduled.json")).await;
    let (stdout, stderr) = function.stop().await;
    let summary = answer.unwrap_or_else(|err| panic!("invocation failed: {err}\n{stderr}"));
    assert_eq!(summary["probed"], 5, "{summary}");
    assert_eq!(
        summary["ok"], 2,
        "the Secrets Manager one works too: {summary}"
    );
    assert!(
        summary["opened"].as_u64().is_some_and(|n| n >= 1),
        "the revoked one at least: {summary}"
    );
    assert!(
        stdout.contains("\"Heartbeat\":1"),
        "EMF metrics on stdout:\n{stdout}"
    );
    assert!(stderr.contains("TRACE"), "really logged at TRACE");

    let items = scan_all(&world.table).await;
    assert!(
        items.len() >= 4,
        "integration, incident and history items: {}",
        items.len()
    );
    assert!(
        items.contains("[redacted]"),
        "the echoes were stored, redacted"
    );
    let mut leakable: Vec<String> = vec![SECRET.into(), STALE_SECRET.into()];
    leakable.extend(world.sim.issued_tokens());
    assert!(leakable.len() > 2, "tokens were issued");
    let encoded: Vec<String> = leakable
        .iter()
        .flat_map(|value| EchoEncoding::ALL.iter().map(|e| e.encode(value)))
        .collect();
    leakable.extend(encoded);
    for value in &leakable {
        assert!(
            !stdout.contains(value.as_str()) && !stderr.contains(value.as_str()),
            "leaked into logs"
        );
        assert!(!items.contains(value.as_str()), "leaked into DynamoDB");
    }
}

/// Deployed without `CREDWATCH_SECRET_PREFIX` the probe refuses to start (an init error the
/// heartbeat alarm catches), rather than run with no rule for which secrets it may read.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_refuses_to_start_without_a_secret_prefix() {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_credwatch-probe"));
    command
        .env_clear()
        .envs(child_env())
        .env("CREDWATCH_TABLE", "credwatch-no-prefix")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .kill_on_drop(true);
    // A guard against a hang, not a timing assertion: the binary exits at once.
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the binary exits")
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("CREDWATCH_SECRET_PREFIX is not set"),
        "{stderr}"
    );
}

/// A Secrets Manager value is size-capped too: a client secret over 4 KiB (the field of a JSON
/// secret) is `secret_unavailable`, and SFMC never sees it.
#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_secrets_manager_value_is_secret_unavailable() {
    let secret_name = unique_name("sfmc/huge");
    let world =
        World::new(|sim| vec![Spec::on(sim, "crm-sync", &healthy()).with_aws_secret(&secret_name)])
            .await;
    world
        .secrets_manager
        .create_secret()
        .name(&secret_name)
        .secret_string(json!({"client_secret": "k".repeat(5000)}).to_string())
        .send()
        .await
        .unwrap();
    let summary = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(
        summary["by_class"],
        json!({"secret_unavailable": 1}),
        "{summary}"
    );
    let history = world.app.store.history("crm-sync", 1).await.unwrap();
    assert!(
        history[0].message.contains("longer than 4096 bytes"),
        "{}",
        history[0].message
    );
    assert!(!history[0].message.contains("kkkk"));
    assert_eq!(world.sim.counts("crm-sync-client").token, 0);
}

/// A TCP server on 127.0.0.1 that counts connections and answers none: the "attacker's host".
struct Listener {
    url: String,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Listener {
    async fn start() -> Listener {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", socket.local_addr().unwrap());
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = socket.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(stream);
            }
        });
        Listener { url, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Table rows an attacker (or a careless apply) wrote: an auth_url on a foreign host, with the
/// probe's own AWS key, its environment, and another team's Secrets Manager secret as "client
/// secret". The deployed binary never reads any of them and nothing reaches that host: under
/// the SFMC-only endpoint policy each row is `endpoint_not_allowed`; even where the process
/// allows any endpoint, the secret policy makes each `secret_unavailable`. A legitimate row in
/// the same table is probed normally.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_rows_never_send_a_secret_to_a_foreign_host() {
    let foreign = Listener::start().await;
    let own_secret = unique_name("sfmc/crm-ops/crm-sync");
    let other_team = unique_name("payments/stripe");
    const OTHER_TEAMS_SECRET: &str = "Pay5ments7Secret9NotYours";
    let world = World::from_yaml(|sim, dir| {
        let legit = Spec::on(sim, "crm-sync", &healthy()).with_aws_secret(&own_secret);
        let mut yaml = inventory_yaml(dir, &[legit]);
        for (id, source) in [
            ("steal-aws-key", "{ env: AWS_SECRET_ACCESS_KEY }".to_string()),
            ("steal-environ", "{ file: /proc/self/environ }".to_string()),
            (
                "steal-other-team",
                format!("{{ aws_secret: \"{other_team}\" }}"),
            ),
        ] {
            yaml.push_str(&format!(
                "  - id: {id}\n    name: {id}\n    owner: marketing-ops\n    severity: high\n    auth_url: {url}\n    client_id: attacker-client\n    client_secret: {source}\n",
                url = foreign.url
            ));
        }
        yaml
    })
    .await;
    for (name, value) in [
        (&own_secret, json!({"client_secret": SECRET}).to_string()),
        (&other_team, OTHER_TEAMS_SECRET.to_string()),
    ] {
        world
            .secrets_manager
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .unwrap();
    }

    let run = |allow_any: bool| {
        let table = world.table.clone();
        async move {
            let mut env = child_env();
            env.push(("CREDWATCH_TABLE", table));
            env.push(("CREDWATCH_SECRET_PREFIX", "sfmc/".into()));
            env.push(("CREDWATCH_LOG", "debug".into()));
            if allow_any {
                env.push(("CREDWATCH_ALLOW_ANY_ENDPOINT", "1".into()));
            }
            let function =
                FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-probe").as_ref(), &env).await;
            let payload = json!({"integrations": ["crm-sync", "steal-aws-key", "steal-environ", "steal-other-team"], "force": true});
            let answer = function.invoke(payload).await;
            let (stdout, stderr) = function.stop().await;
            let summary = answer.unwrap_or_else(|err| panic!("invocation failed: {err}\n{stderr}"));
            (summary, format!("{stdout}{stderr}"))
        }
    };

    // The deployed default: SFMC auth hosts only. The simulator is not one either.
    let (summary, logs) = run(false).await;
    assert_eq!(summary["probed"], 4, "{summary}");
    assert_eq!(
        summary["by_class"],
        json!({"endpoint_not_allowed": 4}),
        "{summary}"
    );
    assert_eq!(foreign.connections(), 0, "nothing reached the foreign host");
    assert_eq!(world.sim.counts("crm-sync-client").token, 0);
    assert!(!logs.contains(OTHER_TEAMS_SECRET) && !logs.contains(SECRET));

    // A process that allows any endpoint still reads only Secrets Manager under its prefix.
    let (summary, logs) = run(true).await;
    assert_eq!(
        summary["by_class"],
        json!({"ok": 1, "secret_unavailable": 3}),
        "{summary}"
    );
    assert_eq!(foreign.connections(), 0, "nothing reached the foreign host");
    assert!(!logs.contains(OTHER_TEAMS_SECRET) && !logs.contains(SECRET));

    let history = world
        .app
        .store
        .history("steal-other-team", 10)
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0].class, OutcomeClass::SecretUnavailable);
    assert!(
        history[0].message.contains("outside sfmc/"),
        "{}",
        history[0].message
    );
    assert_eq!(history[1].class, OutcomeClass::EndpointNotAllowed);
    let environ = world.app.store.history("steal-environ", 1).await.unwrap();
    assert!(
        environ[0].message.contains("local CLI"),
        "{}",
        environ[0].message
    );
    let items = scan_all(&world.table).await;
    assert!(!items.contains(OTHER_TEAMS_SECRET));
    // Sustained, these are the platform team's incidents, never the integration owner's.
    assert_eq!(OutcomeClass::EndpointNotAllowed.kind(), Kind::Monitor);
}

/// A PutSecretValue that re-saves the same value is not a rotation: the 5-day expiry warning
/// stays open. A changed value is: the countdown restarts and the warning resolves.
#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_resave_keeps_the_expiry_warning_and_a_changed_value_resets_it() {
    const NEW_SECRET: &str = "New8Secret4After2Rotation";
    let secret_name = unique_name("sfmc/crm-sync");
    let world = World::from_yaml(|sim, dir| {
        let spec = Spec::on(sim, "crm-sync", &healthy()).with_aws_secret(&secret_name);
        // Expires 5 days after t0: inside the 7-day warning.
        inventory_yaml(dir, &[spec]) + "    secret_expires_at: 2026-12-03\n"
    })
    .await;
    let put = |value: &'static str| {
        let client = world.secrets_manager.clone();
        let name = secret_name.clone();
        async move {
            client
                .put_secret_value()
                .secret_id(name)
                .secret_string(json!({"client_secret": value}).to_string())
                .send()
                .await
                .unwrap();
        }
    };
    world
        .secrets_manager
        .create_secret()
        .name(&secret_name)
        .secret_string(json!({"client_secret": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let change_at = |at: DateTime<Utc>| {
        let mut change = event("put-secret-value.json");
        change["detail"]["requestParameters"]["secretId"] = secret_name.clone().into();
        change["detail"]["eventTime"] = at.to_rfc3339().into();
        change["time"] = at.to_rfc3339().into();
        change
    };
    let open_expiry = || async {
        world
            .app
            .store
            .open_incidents()
            .await
            .unwrap()
            .into_iter()
            .filter(|i| i.check == CheckKind::Expiry)
            .collect::<Vec<_>>()
    };

    // The first probe records the baseline; the scan opens the 7-day warning.
    assert_eq!(world.run(&event("scheduled.json"), t0()).await["ok"], 1);
    let scan = run_scan(&world.app.store, t0()).await.unwrap();
    assert_eq!(scan.opened, 1, "{scan:?}");
    let warning = open_expiry().await;
    assert_eq!(warning.len(), 1);
    assert_eq!(warning[0].threshold_days, Some(7));

    // The same value saved again: not a rotation.
    put(SECRET).await;
    let resaved = world
        .run(&change_at(t0() + minutes(5)), t0() + minutes(5))
        .await;
    assert_eq!(resaved["rotations_recorded"], 0, "{resaved}");
    assert_eq!(resaved["secret_changes_not_rotations"], 1, "{resaved}");
    assert_eq!(resaved["ok"], 1, "still probed: {resaved}");
    let record = world
        .app
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.secret_rotated_seen_at, None);
    let scan = run_scan(&world.app.store, t0() + minutes(6)).await.unwrap();
    assert_eq!((scan.resolved, scan.opened), (0, 0), "{scan:?}");
    assert_eq!(open_expiry().await, warning, "the warning stays, unchanged");

    // A new value (SFMC rotated it too): a rotation, the countdown restarts.
    world.sim.set_client(
        "crm-sync-client",
        ClientConfig::healthy(NEW_SECRET, SYNC_SCOPES, 7281698),
    );
    put(NEW_SECRET).await;
    let rotated_at = t0() + minutes(10);
    let rotated = world.run(&change_at(rotated_at), rotated_at).await;
    assert_eq!(rotated["rotations_recorded"], 1, "{rotated}");
    assert_eq!(rotated["ok"], 1, "probed with the new value: {rotated}");
    let record = world
        .app
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.secret_rotated_seen_at, Some(rotated_at));
    let scan = run_scan(&world.app.store, rotated_at + minutes(1))
        .await
        .unwrap();
    assert_eq!(scan.resolved, 1, "{scan:?}");
    assert!(open_expiry().await.is_empty());

    // An older event arriving late never moves the rotation time back.
    put(SECRET).await;
    let late = world
        .run(&change_at(t0() + minutes(7)), t0() + minutes(12))
        .await;
    assert_eq!(late["rotations_recorded"], 0, "{late}");
    let record = world
        .app
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.secret_rotated_seen_at, Some(rotated_at));
}

/// A container that cached the old value when the secret was rotated (its change event lost
/// or not yet delivered) sees SFMC reject it; the confirming attempt reads Secrets Manager past
/// the cache, works with the new value, and nobody is paged.
#[tokio::test(flavor = "multi_thread")]
async fn a_cached_old_secret_never_confirms_a_credential_failure() {
    const NEW_SECRET: &str = "New8Secret4After2Rotation";
    let secret_name = unique_name("sfmc/crm-sync");
    let world =
        World::new(|sim| vec![Spec::on(sim, "crm-sync", &healthy()).with_aws_secret(&secret_name)])
            .await;
    world
        .secrets_manager
        .create_secret()
        .name(&secret_name)
        .secret_string(json!({"client_secret": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(world.run(&event("scheduled.json"), t0()).await["ok"], 1);

    // Rotated in SFMC and in Secrets Manager; this container still caches the old value.
    world.sim.set_client(
        "crm-sync-client",
        ClientConfig::healthy(NEW_SECRET, SYNC_SCOPES, 7281698),
    );
    world
        .secrets_manager
        .put_secret_value()
        .secret_id(&secret_name)
        .secret_string(json!({"client_secret": NEW_SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let now = json!({"integrations": ["crm-sync"], "force": true});
    let summary = world.run(&now, t0() + minutes(1)).await;
    assert_eq!(summary["ok"], 1, "confirmed with a fresh read: {summary}");
    assert_eq!(summary["opened"], 0, "{summary}");
    let history = world.app.store.history("crm-sync", 1).await.unwrap();
    assert_eq!(history[0].attempts, 2, "the old value was rejected first");
    assert_eq!(world.health("crm-sync").await, Health::Healthy);
}

/// Every item of the table as text (a Scan is fine in a test).
async fn scan_all(table: &str) -> String {
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let mut text = String::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in page.items() {
            text.push_str(&format!("{item:?}\n"));
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    text
}

fn hanging() -> ClientConfig {
    ClientConfig {
        token: TokenBehaviour::Hang,
        ..healthy()
    }
}

/// Two healthy integrations, `loyalty-feed`'s item poisoned with the year-20327
/// `next_probe_at` of issue 7 (nobody can read it back).
async fn year_20327_world() -> World {
    let world = World::new(|sim| {
        vec![
            Spec::on(sim, "crm-sync", &healthy()),
            Spec::on(sim, "loyalty-feed", &healthy()),
        ]
    })
    .await;
    world
        .poison(
            "loyalty-feed",
            "next_probe_at",
            AttributeValue::S("+20327-03-01T00:00:00.000Z".into()),
        )
        .await;
    world
}

/// The year-20327 item of issue 7 (`probe_every: 6000000d` wrote a `next_probe_at` nobody
/// could read back): before, every run failed for every integration. Now the item is skipped
/// and reported once to the platform team, the others are probed and scanned, `inventory
/// apply` repairs it (resolving the report) and `--prune` deletes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_poisoned_item_is_reported_once_and_never_stops_the_others() {
    let world = year_20327_world().await;

    let first = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(first["probed"], 1, "the readable one is probed: {first}");
    assert_eq!(first["ok"], 1, "{first}");
    assert_eq!(first["opened"], 1, "the corrupt item is reported: {first}");
    assert_eq!(first["unreadable"][0]["id"], "loyalty-feed", "{first}");
    assert_eq!(first["unreadable"][0]["field"], "next_probe_at", "{first}");
    let open = world.app.store.open_incidents().await.unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].id, "loyalty-feed:monitor:0");
    assert_eq!(open[0].class, "corrupt_item");
    assert_eq!(open[0].check, CheckKind::Monitor);
    assert_eq!(open[0].team, PLATFORM_TEAM);
    assert!(
        open[0].message.contains("inventory apply"),
        "{}",
        open[0].message
    );

    let second = world
        .run(&event("scheduled.json"), t0() + minutes(20))
        .await;
    assert_eq!(second["opened"], 0, "opened once: {second}");
    assert_eq!(world.app.store.open_incidents().await.unwrap().len(), 1);

    // The expiry scan scans the rest and keeps the report open.
    let scan = credwatch::jobs::expiry_scan::run_scan(&world.app.store, t0() + minutes(21))
        .await
        .unwrap();
    assert_eq!((scan.scanned, scan.unreadable.len()), (1, 1), "{scan:?}");
    assert!(scan.errors.is_empty(), "{scan:?}");

    // `inventory apply` rewrites it from the inventory and resolves the report; it is probed.
    let results = world.apply(&world.yaml, t0() + minutes(22), false).await;
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(
        (
            results[0].item.as_str(),
            results[0].action,
            &results[0].error
        ),
        ("integration loyalty-feed", "repaired", &None)
    );
    let open = world.app.store.open_incidents().await.unwrap();
    assert!(
        !open.iter().any(|i| i.class == "corrupt_item"),
        "the report is resolved (the scan's expiry_unknown ones stay): {open:?}"
    );
    let resolved = &world.app.store.incidents_of("loyalty-feed").await.unwrap()[0];
    assert!(
        resolved.message.contains("reads it again"),
        "{}",
        resolved.message
    );
    let third = world
        .run(&event("scheduled.json"), t0() + minutes(23))
        .await;
    assert_eq!(
        third["probed"], 1,
        "the repaired one is due at once: {third}"
    );
    assert_eq!(world.health("loyalty-feed").await, Health::Healthy);

    // Poisoned again and removed from the inventory: --prune deletes it.
    world
        .poison("loyalty-feed", "version", AttributeValue::S("one".into()))
        .await;
    let only_crm: String = world
        .yaml
        .split("  - id: loyalty-feed")
        .next()
        .unwrap()
        .to_string();
    let results = world.apply(&only_crm, t0() + minutes(30), false).await;
    assert!(
        results.is_empty(),
        "without --prune an unreadable item is left alone: {results:?}"
    );
    let results = world.apply(&only_crm, t0() + minutes(31), true).await;
    assert_eq!(results[0].action, "pruned", "{results:?}");
    let listing = world.app.store.list_integrations().await.unwrap();
    assert!(
        listing.unreadable.is_empty() && listing.records.len() == 1,
        "{listing:?}"
    );
}

/// A cycle killed mid-way (the Lambda timeout) keeps every result committed before it died;
/// what was still in flight stays due.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_cycle_keeps_the_results_it_committed() {
    let world = World::new(|sim| {
        vec![
            Spec::on(sim, "a-quick", &healthy()),
            Spec::on(sim, "b-hanging", &hanging()),
        ]
    })
    .await;
    let scheduled = event("scheduled.json");
    let cycle = world.run(&scheduled, t0());
    let committed = async {
        loop {
            let record = world.app.store.get_integration("a-quick").await.unwrap();
            if record.is_some_and(|r| r.state.last_probe_at.is_some()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        summary = cycle => panic!("the cycle should still be waiting for the hanging tenant: {summary}"),
        () = committed => {}
    }
    // The cycle's future is dropped here: the invocation is gone, as when Lambda kills it.
    let quick = world
        .app
        .store
        .get_integration("a-quick")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(quick.state.last_probe_at, Some(t0()));
    assert_eq!(quick.state.health(), Health::Healthy);
    let hanging = world
        .app
        .store
        .get_integration("b-hanging")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hanging.state.last_probe_at, None);
    assert!(
        hanging.state.next_probe_at.is_some_and(|at| at <= t0()),
        "still due"
    );
}

/// The built binary, given a short Lambda deadline while most tenants hang: it commits what it
/// probed, starts nothing it could not finish, leaves the rest due (`deferred`, and the
/// `ProbesDeferred` metric), and answers before the deadline.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_defers_what_it_cannot_finish_before_its_deadline() {
    let world = World::new(|sim| {
        let mut specs: Vec<Spec> = (0..3)
            .map(|i| Spec::on(sim, &format!("a-quick-{i}"), &healthy()))
            .collect();
        specs.extend((0..60).map(|i| Spec::on(sim, &format!("h-hang-{i:02}"), &hanging())));
        specs
    })
    .await;
    let mut env = world.binary_env();
    env.push(("CREDWATCH_REQUEST_TIMEOUT", "1s".into()));
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-probe").as_ref(), &env).await;
    // One probe's worst case is 4 x 1 s + 10 s of retry wait, plus 5 s to commit: 19 s. With a
    // 25 s budget, probes may start for the first 6 s only: the quick ones (first in id order)
    // and a few rounds of 8 hanging ones (about 3 s each), not all 60.
    let budget = Duration::from_secs(25);
    function.runtime.set_budget(budget);
    let answer = function
        .runtime
        .invoke(event("scheduled.json"), budget)
        .await;
    let (stdout, stderr) = function.stop().await;
    let summary =
        answer.unwrap_or_else(|err| panic!("no answer before the deadline: {err}\n{stderr}"));
    assert_eq!(summary["ok"], 3, "the quick ones are probed: {summary}");
    let (probed, deferred) = (
        summary["probed"].as_u64().unwrap(),
        summary["deferred"].as_u64().unwrap(),
    );
    assert!(deferred > 0, "{summary}");
    assert_eq!(probed + deferred, 63, "{summary}");
    assert!(
        stdout.contains(&format!("\"ProbesDeferred\":{deferred}")),
        "{stdout}"
    );

    let listing = world.app.store.list_integrations().await.unwrap();
    let never_probed: Vec<_> = listing
        .records
        .iter()
        .filter(|r| r.state.last_probe_at.is_none())
        .collect();
    assert_eq!(
        never_probed.len() as u64,
        deferred,
        "every deferred one is left as it was"
    );
    assert!(
        never_probed
            .iter()
            .all(|r| r.integration.id.starts_with("h-hang"))
    );
    assert!(
        never_probed.iter().all(|r| r
            .state
            .next_probe_at
            .is_some_and(|at| at <= chrono::Utc::now())),
        "and still due"
    );
    for id in ["a-quick-0", "a-quick-1", "a-quick-2"] {
        assert_eq!(world.health(id).await, Health::Healthy, "{id}");
    }
}

/// `inventory apply` follows through on what a change means: a new owner gets the open
/// incidents, a new cadence reschedules, and retiring resolves every open incident (an auth one
/// too), saying why.
#[tokio::test(flavor = "multi_thread")]
async fn apply_moves_incidents_reschedules_and_retiring_resolves_everything() {
    let world = World::new(|sim| {
        let ok = Spec::on(sim, "crm-sync", &healthy());
        let mut revoked = Spec::on(sim, "loyalty-feed", &healthy());
        revoked.secret = STALE_SECRET.into();
        vec![ok, revoked]
    })
    .await;
    world.run(&event("scheduled.json"), t0()).await;
    let open = world.app.store.open_incidents().await.unwrap();
    assert_eq!((open.len(), open[0].team.as_str()), (1, "marketing-ops"));

    // loyalty-feed moves to another team; crm-sync is probed every 2 hours from now on.
    let moved = world
        .yaml
        .replace(
            "    name: Marketing Operations\n",
            "    name: Marketing Operations\n  - id: loyalty\n    name: Loyalty\n",
        )
        .replace(
            "  - id: loyalty-feed\n    name: loyalty-feed integration\n    owner: marketing-ops",
            "  - id: loyalty-feed\n    name: loyalty-feed integration\n    owner: loyalty",
        )
        .replace(
            "  - id: crm-sync\n    name: crm-sync integration\n",
            "  - id: crm-sync\n    name: crm-sync integration\n    probe_every: 2h\n",
        );
    let now = t0() + minutes(3);
    let results = world.apply(&moved, now, false).await;
    assert!(results.iter().all(|r| r.error.is_none()), "{results:?}");
    let actions: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r.item.as_str(), r.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("team loyalty", "team added"),
            ("integration crm-sync", "changed"),
            ("integration loyalty-feed", "changed")
        ]
    );
    let open = world.app.store.open_incidents().await.unwrap();
    assert_eq!(
        open[0].team, "loyalty",
        "the open incident follows the owner"
    );
    let crm = world
        .app
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap();
    let next = crm.state.next_probe_at.unwrap();
    assert!(
        next >= now + minutes(60) && next <= now + minutes(180),
        "rescheduled to the 2 h cadence: {next}"
    );

    // loyalty-feed leaves the inventory: its auth incident is resolved at once, saying why.
    let without: String = moved
        .split("  - id: loyalty-feed")
        .next()
        .unwrap()
        .to_string();
    let results = world.apply(&without, now + minutes(1), false).await;
    assert_eq!(
        results
            .iter()
            .map(|r| (r.action, r.error.is_none()))
            .collect::<Vec<_>>(),
        [("retired", true)]
    );
    assert!(world.app.store.open_incidents().await.unwrap().is_empty());
    let closed = &world.app.store.incidents_of("loyalty-feed").await.unwrap()[0];
    assert_eq!(closed.check, CheckKind::Auth);
    assert!(
        closed.message.contains("no longer in the inventory"),
        "{}",
        closed.message
    );
    // Brought back, it is watched afresh and fires again rather than updating a closed incident.
    world.apply(&moved, now + minutes(2), false).await;
    let again = world
        .run(
            &json!({"integrations": ["loyalty-feed"], "force": true}),
            now + minutes(3),
        )
        .await;
    assert_eq!(again["opened"], 1, "{again}");
    assert_eq!(again["conflicts"], 0, "{again}");
}

/// The year-20327 item under the built binary, as deployed: the invocation succeeds, probes the
/// rest, reports the item (`CorruptItems` metric, one `corrupt_item` incident) and logs it.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_probes_the_rest_when_one_item_is_unreadable() {
    let world = year_20327_world().await;
    let env = world.binary_env();
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-probe").as_ref(), &env).await;
    let answer = function.invoke(event("scheduled.json")).await;
    let (stdout, stderr) = function.stop().await;
    let summary = answer.unwrap_or_else(|err| panic!("invocation failed: {err}\n{stderr}"));
    assert_eq!(
        (summary["probed"].as_u64(), summary["ok"].as_u64()),
        (Some(1), Some(1)),
        "{summary}"
    );
    assert_eq!(summary["opened"], 1, "{summary}");
    assert_eq!(summary["unreadable"][0]["id"], "loyalty-feed", "{summary}");
    assert!(stdout.contains("\"CorruptItems\":1"), "{stdout}");
    assert!(
        stderr.contains("loyalty-feed") && stderr.contains("next_probe_at"),
        "{stderr}"
    );
    let open = world.app.store.open_incidents().await.unwrap();
    assert_eq!(
        open.iter()
            .map(|i| (i.id.as_str(), i.class.as_str()))
            .collect::<Vec<_>>(),
        [("loyalty-feed:monitor:0", "corrupt_item")]
    );
}

/// A row whose `version` is u64::MAX (written by hand or another tool) made the commit's
/// `version + 1` panic in debug builds, aborting the cycle for every integration (and wrap
/// silently in release). Now every counter read from the table is range-checked: the row is an
/// unreadable item (reported once as `corrupt_item`), every other integration is probed and its
/// result committed; the same holds for an `incident_seq` at u32::MAX.
#[tokio::test(flavor = "multi_thread")]
async fn a_row_with_an_overflowing_version_never_stops_the_others() {
    let world = World::new(|sim| {
        vec![
            Spec::on(sim, "crm-sync", &healthy()),
            Spec::on(sim, "loyalty-feed", &healthy()),
            Spec::on(sim, "preference-sync", &healthy()),
        ]
    })
    .await;
    world
        .poison(
            "loyalty-feed",
            "version",
            AttributeValue::N("18446744073709551615".into()),
        )
        .await;
    world
        .poison(
            "preference-sync",
            "incident_seq",
            AttributeValue::N("4294967295".into()),
        )
        .await;

    let summary = world.run(&event("scheduled.json"), t0()).await;
    assert_eq!(summary["probed"], 1, "{summary}");
    assert_eq!(summary["ok"], 1, "{summary}");
    assert_eq!(summary["errors"], json!([]), "{summary}");
    let unreadable: Vec<(&str, &str)> = summary["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap(), u["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        unreadable,
        [
            ("loyalty-feed", "version"),
            ("preference-sync", "incident_seq")
        ],
        "{summary}"
    );
    for u in summary["unreadable"].as_array().unwrap() {
        assert!(
            u["problem"]
                .as_str()
                .unwrap()
                .starts_with("is outside 0..="),
            "{u}"
        );
    }
    let crm = world
        .app
        .store
        .get_integration("crm-sync")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(crm.state.last_probe_at, Some(t0()), "committed");
    assert_eq!(crm.state.version, 1);
    let open = world.app.store.open_incidents().await.unwrap();
    let reported: Vec<&str> = open.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        reported,
        ["loyalty-feed:monitor:0", "preference-sync:monitor:0"],
        "{open:?}"
    );
}

/// A request the probe cannot parse, or an event it does not handle, fails as `NonRetryable`
/// (sending it again changes nothing), with the library's message; the binary goes on serving
/// the next event.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_reports_a_malformed_request_as_not_retryable() {
    let mut env = child_env();
    env.push((
        credwatch::config::TABLE_VAR,
        unique_name("credwatch-unused"),
    ));
    env.push((credwatch::config::SECRET_PREFIX_VAR, "sfmc/".into()));
    let function =
        FunctionProcess::spawn(env!("CARGO_BIN_EXE_credwatch-probe").as_ref(), &env).await;
    let refused = function.invoke(json!({"integrations": "crm-sync"})).await;
    let unrecognised = function.invoke(json!({"hello": "world"})).await;
    let (_, stderr) = function.stop().await;
    let refused = refused.expect_err("a malformed request fails");
    assert_eq!(refused["errorType"], "NonRetryable", "{refused}\n{stderr}");
    assert!(
        refused["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("integrations")),
        "{refused}"
    );
    let unrecognised = unrecognised.expect_err("an unrecognised event fails");
    assert_eq!(unrecognised["errorType"], "NonRetryable", "{unrecognised}");
    assert!(
        unrecognised["errorMessage"]
            .as_str()
            .is_some_and(|m| m.starts_with("unrecognised event")),
        "{unrecognised}"
    );
}
