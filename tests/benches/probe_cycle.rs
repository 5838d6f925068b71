//! Benchmark: one probe cycle of N healthy integrations spread over H simulated tenants, each
//! answering every request after a fixed latency. Printed as a ratio to the lower bound
//! ceil(N / concurrency) x 2 requests x latency, measured in the same run.
//!
//!   cargo bench -p credwatch-tests --bench probe_cycle -- [N] [HOSTS] [LATENCY_MS] [ROUNDS]
//!
//! Defaults: 200 integrations, 50 hosts, 200 ms, 3 rounds (the acceptance scenario).

use std::time::{Duration, Instant};

use credwatch::probe::{Concurrency, Prober, RetryPolicy, probe_all};
use credwatch::secrets::LocalSecrets;
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch_sim::{ClientConfig, Simulator};
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory};

fn arg(position: usize, default: u64) -> u64 {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .nth(position)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let n = arg(0, 200) as usize;
    let hosts = arg(1, 50).max(1) as usize;
    let latency = Duration::from_millis(arg(2, 200));
    let rounds = arg(3, 3).max(1);
    let limits = Concurrency::default();

    let mut sims = Vec::new();
    for _ in 0..hosts {
        let sim = Simulator::start().await.expect("start simulator");
        sim.set_latency(latency);
        sims.push(sim);
    }
    let scratch = Scratch::new("bench");
    let config = ClientConfig::healthy("bench-secret-0123456789abcdef", SYNC_SCOPES, 7281698);
    let specs: Vec<Spec> = (0..n)
        .map(|i| Spec::on(&sims[i % hosts], &format!("int-{i:05}"), &config))
        .collect();
    let inventory = inventory(scratch.path(), &specs);
    let client = SfmcClient::new(ClientSettings {
        endpoint_policy: EndpointPolicy::AnyEndpoint,
        ..Default::default()
    })
    .expect("http client");
    let prober = Prober::new(client, RetryPolicy::default());

    let waves = n.div_ceil(limits.global) as u32;
    let lower_bound = latency * 2 * waves;
    println!(
        "probe_cycle: {n} integrations, {hosts} hosts, {} ms per request, concurrency {} (per host {})",
        latency.as_millis(),
        limits.global,
        limits.per_host
    );
    println!(
        "lower bound ceil({n}/{}) x 2 x {} ms = {} ms",
        limits.global,
        latency.as_millis(),
        lower_bound.as_millis()
    );
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let started = Instant::now();
        let outcomes = probe_all(
            &prober,
            &LocalSecrets,
            &inventory.integrations,
            limits,
            &|_| {},
        )
        .await;
        let elapsed = started.elapsed();
        let failing = outcomes
            .iter()
            .filter(|o| o.class != credwatch::domain::outcome::OutcomeClass::Ok)
            .count();
        assert_eq!(failing, 0, "benchmark integrations must all be healthy");
        let ratio = elapsed.as_secs_f64() / lower_bound.as_secs_f64();
        println!(
            "round {round}: {} ms, ratio {ratio:.3}",
            elapsed.as_millis()
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "ratio to lower bound: best {:.3}, median {:.3}, worst {:.3}",
        ratios[0],
        ratios[ratios.len() / 2],
        ratios[ratios.len() - 1]
    );
}
