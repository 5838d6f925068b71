//! `credwatch-sim`: run a simulated SFMC tenant on 127.0.0.1 until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use credwatch_sim::{Simulator, demo_scenario};

/// A simulated Salesforce Marketing Cloud tenant (token + tokenContext) for trying credwatch locally.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Port to listen on (127.0.0.1 only); 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Latency added to every SFMC response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Clients to configure at start.
    #[arg(long, value_enum, default_value_t = Scenario::Demo)]
    scenario: Scenario,
}

/// Which clients the simulator starts with.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Scenario {
    /// One healthy integration and one per typical failure.
    Demo,
    /// No clients; add them through the control API.
    Empty,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let sim = match Simulator::start_on(addr).await {
        Ok(sim) => sim,
        Err(err) => {
            eprintln!("credwatch-sim: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    sim.set_latency(Duration::from_millis(args.latency_ms));
    let clients = match args.scenario {
        Scenario::Demo => demo_scenario(),
        Scenario::Empty => Vec::new(),
    };
    for client in &clients {
        sim.set_client(&client.client_id, client.config.clone());
    }

    let url = sim.base_url();
    println!("credwatch-sim: simulated SFMC tenant at {url}");
    println!("  auth base URL and REST instance URL: {url}");
    println!("  POST {url}v2/token");
    println!("  GET  {url}platform/v1/tokenContext");
    println!("  latency: {} ms on every response", args.latency_ms);
    println!();
    if clients.is_empty() {
        println!("No clients configured (scenario empty).");
    } else {
        println!("Clients (secrets: see credwatch_sim::demo_scenario()):");
        println!(
            "  {:<24}  {:<20}  {:>8}  {:<28}  {:<8}  description",
            "client_id", "integration", "mid", "token", "rest"
        );
        for client in &clients {
            println!(
                "  {:<24}  {:<20}  {:>8}  {:<28}  {:<8}  {}",
                client.client_id,
                client.id,
                client.config.mid,
                client.config.token.to_string(),
                client.config.rest.to_string(),
                client.description
            );
        }
    }
    println!();
    println!("Control API (JSON):");
    println!(
        "  curl -s {url}_sim/clients                     # clients, behaviours, request counts"
    );
    println!(
        "  curl -s -X PUT {url}_sim/clients/<client_id> -H 'content-type: application/json' \\\n    \
         -d '{{\"secret\":\"...\",\"mid\":7281698,\"scopes\":[\"email_read\"],\"token\":{{\"kind\":\"rate_limited\",\"retry_after_secs\":5}}}}'"
    );
    println!("  curl -s -X DELETE {url}_sim/clients/<client_id>");
    println!("  curl -s -X POST {url}_sim/reset-counts");
    println!("  curl -s -X PUT {url}_sim/latency -d '{{\"latency_ms\":250}}'");
    println!(
        "  token kinds: healthy invalid_client_id client_auth_failed legacy_package ip_not_allowlisted \
         unsupported_grant blocked rate_limited server_error status raw rest_instance_url hang slow \
         malformed_json not_json oversized fail_times"
    );
    println!(
        "  rest kinds:  healthy not_authorized insufficient_privileges rate_limited server_error hang \
         malformed_json status raw"
    );
    println!();
    println!("Press Ctrl-C to stop.");

    wait_for_stop_signal().await;
    println!("credwatch-sim: stopping");
    sim.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM on Unix (so `docker stop` / `kill` also stop it cleanly).
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
