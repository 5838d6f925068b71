//! Benchmark of the Lambda artefacts, as Lambda runs them (under a Runtime API stand-in):
//!
//! - init: process start to the first `/runtime/invocation/next`, for `credwatch-probe` and
//!   `credwatch-expiry-scan`, as a ratio to a hello-world `lambda_runtime` binary measured in
//!   the same run (the lower bound);
//! - peak memory (VmHWM) of `credwatch-probe` probing 1,000 integrations in one invocation, as a
//!   share of a 128 MB Lambda (needs moto: `CREDWATCH_TEST_AWS_ENDPOINT`);
//! - binary sizes.
//!
//!   cargo build --release -p credwatch-probe -p credwatch-expiry-scan --bins --examples
//!   cargo bench -p credwatch-tests --bench lambda -- [ROUNDS]

use std::path::{Path, PathBuf};
use std::time::Duration;

use credwatch::jobs::inventory_sync;
use credwatch::store::dynamo::DynamoStore;
use credwatch::store::dynamo::create_table;
use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::aws::{ENDPOINT_VAR, child_env, sdk_config, unique_name};
use credwatch_tests::lambda::FunctionProcess;
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory};

/// The release artefacts: `target/release`, or `CREDWATCH_BENCH_RELEASE_DIR` (to compare builds,
/// e.g. another opt-level built into another target dir).
fn release(name: &str) -> PathBuf {
    std::env::var_os("CREDWATCH_BENCH_RELEASE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release"))
        .join(name)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Median milliseconds from process start to the first poll of the Runtime API.
async fn init_ms(binary: &Path, rounds: usize) -> f64 {
    let mut env = child_env();
    // Init must not need the network: nothing listens here, and nothing should be called.
    env.retain(|(name, _)| *name != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()));
    env.push(("CREDWATCH_TABLE", "credwatch-bench".into()));
    // The probe refuses to start without it (the template always sets it).
    env.push(("CREDWATCH_SECRET_PREFIX", "sfmc/".into()));
    let mut samples = Vec::new();
    for _ in 0..rounds {
        let function = FunctionProcess::spawn(binary, &env).await;
        let polled = function
            .runtime
            .first_poll(Duration::from_secs(10))
            .await
            .expect("the function polled");
        samples.push(polled.duration_since(function.started).as_secs_f64() * 1000.0);
        function.stop().await;
    }
    median(samples)
}

#[tokio::main]
async fn main() {
    let rounds = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(20)
        .max(1);
    let hello = release("examples/hello_runtime");
    let probe = release("credwatch-probe");
    let scan = release("credwatch-expiry-scan");
    for binary in [&hello, &probe, &scan] {
        if !binary.exists() {
            eprintln!(
                "{} is missing; build first:\n  cargo build --release -p credwatch-probe -p credwatch-expiry-scan --bins --examples",
                binary.display()
            );
            std::process::exit(2);
        }
    }

    println!(
        "lambda: {rounds} cold starts each, median init (process start to first Runtime API poll)"
    );
    let baseline = init_ms(&hello, rounds).await;
    println!("  hello_runtime (lower bound)  {baseline:7.2} ms");
    for (name, binary) in [
        ("credwatch-probe", &probe),
        ("credwatch-expiry-scan", &scan),
    ] {
        let ms = init_ms(binary, rounds).await;
        println!("  {name:<28} {ms:7.2} ms  ratio {:.2}", ms / baseline);
    }
    for (name, binary) in [
        ("hello_runtime", &hello),
        ("credwatch-probe", &probe),
        ("credwatch-expiry-scan", &scan),
    ] {
        let bytes = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
        println!("  size {name:<23} {:7.2} MB", bytes as f64 / 1_048_576.0);
    }

    if std::env::var(ENDPOINT_VAR).is_err() {
        println!("peak memory: skipped ({ENDPOINT_VAR} unset; start moto as the README says)");
        return;
    }
    let n = 1000;
    let sims = [
        Simulator::start().await.unwrap(),
        Simulator::start().await.unwrap(),
    ];
    let scratch = Scratch::new("bench-lambda");
    let healthy = ClientConfig::healthy("Bench4Secret8Value2Here6", SYNC_SCOPES, 7281698);
    let specs: Vec<Spec> = (0..n)
        .map(|i| Spec::on(&sims[i % 2], &format!("int-{i:04}"), &healthy))
        .collect();
    let inventory = inventory(scratch.path(), &specs);
    let config = sdk_config().await;
    let table = unique_name("bench");
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    create_table(&dynamo, &table).await.unwrap();
    let store = DynamoStore::new(dynamo, table.clone());
    let plan = inventory_sync::plan(&inventory, &[], &[], &[], false);
    let results = inventory_sync::apply(&store, &inventory, &plan, chrono::Utc::now()).await;
    assert!(results.iter().all(|r| r.error.is_none()), "{results:?}");

    let mut env = child_env();
    env.push(("CREDWATCH_TABLE", table));
    env.push(("CREDWATCH_ALLOW_ANY_ENDPOINT", "1".into()));
    env.push(("CREDWATCH_SECRET_PREFIX", "sfmc/".into()));
    // The generated secrets are files, which only tests and benchmarks may allow.
    env.push(("CREDWATCH_ALLOW_LOCAL_SECRETS", "1".into()));
    let function = FunctionProcess::spawn(&probe, &env).await;
    let event =
        serde_json::json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    let started = std::time::Instant::now();
    let summary = function
        .invoke(event)
        .await
        .expect("the probe cycle succeeds");
    let elapsed = started.elapsed();
    let status = std::fs::read_to_string(format!("/proc/{}/status", function.pid().unwrap()))
        .unwrap_or_default();
    function.stop().await;
    let peak_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN);
    assert_eq!(summary["probed"], n, "{summary}");
    println!(
        "peak memory probing {n} integrations in one invocation: {:.1} MB = {:.2} of a 128 MB Lambda (cycle took {} ms, ok {})",
        peak_kb / 1024.0,
        peak_kb / 1024.0 / 128.0,
        elapsed.as_millis(),
        summary["ok"]
    );
}
