//! `credwatch demo`: a simulated SFMC tenant with one integration per common failure, probed by
//! the same code as `credwatch check`, with each finding explained.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use credwatch::inventory::{Inventory, LoadOptions, parse_inventory};
use credwatch::outcome::{OutcomeClass, ProbeOutcome};
use credwatch::probe::{Concurrency, RetryPolicy};
use credwatch::sfmc::{ClientSettings, EndpointPolicy};
use credwatch_sim::{DemoClient, Simulator, demo_scenario};

use crate::check::{CheckSettings, probe, terminal_width};
use crate::{EXIT_FAILING, EXIT_OK, Format, render};

#[derive(Args)]
pub struct DemoArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Which team owns which demo integration (the rest belong to marketing ops).
const OWNERS: &[(&str, &str)] = &[
    ("crm-contact-sync", "crm-ops"),
    ("emea-preference-sync", "crm-ops"),
    ("analytics-export", "it-security"),
];

pub async fn run(args: DemoArgs) -> u8 {
    let sim = match Simulator::start().await {
        Ok(sim) => sim,
        Err(err) => {
            eprintln!("credwatch demo: cannot start the SFMC simulator on 127.0.0.1: {err}");
            return EXIT_FAILING;
        }
    };
    let clients = demo_scenario();
    for client in &clients {
        sim.set_client(&client.client_id, client.config.clone());
    }
    let workdir = DemoDir::create();
    let yaml = demo_inventory_yaml(&clients, &sim.base_url(), workdir.path());
    // The simulator is not an SFMC host, so this inventory is loaded with other endpoints allowed.
    let inventory = match parse_inventory(
        &yaml,
        &LoadOptions {
            allow_any_endpoint: true,
        },
    ) {
        Ok(loaded) => loaded.inventory,
        Err(invalid) => {
            eprintln!("credwatch demo: the demo inventory is invalid (a bug): {invalid}");
            return EXIT_FAILING;
        }
    };
    let table = args.format == Format::Table;
    if table {
        println!(
            "credwatch demo: a simulated SFMC tenant is running at {}",
            sim.base_url()
        );
        println!(
            "It plays {} integrations: one healthy, the others each broken the way real ones break.",
            clients.len()
        );
        println!("Probing them now, exactly as `credwatch check` would...\n");
    }
    let settings = CheckSettings {
        concurrency: Concurrency::default(),
        client: ClientSettings {
            request_timeout: Duration::from_secs(5),
            endpoint_policy: EndpointPolicy::AnyEndpoint,
            ..ClientSettings::default()
        },
        retry: RetryPolicy::default(),
        show_progress: table,
    };
    let all: Vec<usize> = (0..inventory.integrations.len()).collect();
    let outcomes = match probe(&inventory, &all, &settings).await {
        Ok(outcomes) => outcomes,
        Err(message) => {
            eprintln!("credwatch demo: {message}");
            return EXIT_FAILING;
        }
    };
    let mismatches = mismatches(&clients, &outcomes);
    match args.format {
        Format::Json => println!("{}", render::outcomes_json(&inventory, &outcomes)),
        Format::Table => {
            print!(
                "{}",
                render::outcomes_table(&inventory, &outcomes, terminal_width())
            );
            println!("\n{}", explain(&inventory, &clients, &outcomes));
            let requests = sim.total_counts();
            println!(
                "The simulator answered {} token requests and {} tokenContext calls. No secret or token was printed or logged.",
                requests.token, requests.token_context
            );
        }
    }
    sim.shutdown().await;
    if mismatches.is_empty() {
        EXIT_OK
    } else {
        for line in &mismatches {
            eprintln!("credwatch demo: {line}");
        }
        EXIT_FAILING
    }
}

/// Scripted failures the probe did not recognise (the demo checks itself).
fn mismatches(clients: &[DemoClient], outcomes: &[ProbeOutcome]) -> Vec<String> {
    clients
        .iter()
        .zip(outcomes)
        .filter(|(client, outcome)| outcome.class.as_str() != client.expected_class)
        .map(|(client, outcome)| {
            format!(
                "{} was scripted as {} but was classified {}",
                client.id, client.expected_class, outcome.class
            )
        })
        .collect()
}

/// One paragraph per integration: what was simulated, what credwatch concluded, what to do.
fn explain(inventory: &Inventory, clients: &[DemoClient], outcomes: &[ProbeOutcome]) -> String {
    let mut text = String::from("What credwatch found:\n");
    for (client, outcome) in clients.iter().zip(outcomes) {
        let name = inventory
            .integration(&outcome.integration)
            .map_or("", |i| i.name.as_str());
        let _ = writeln!(text, "\n* {name} ({})", outcome.integration);
        let _ = writeln!(text, "  Simulated: {}", client.description);
        let _ = writeln!(
            text,
            "  Verdict:   {} [{}]",
            outcome.class.verdict(),
            outcome.class
        );
        if outcome.class == OutcomeClass::Ok {
            let _ = writeln!(
                text,
                "  The token was issued for business unit {} with every expected scope.",
                outcome
                    .business_unit
                    .map_or("?".to_string(), |b| b.to_string())
            );
            continue;
        }
        let _ = writeln!(text, "  Evidence:  {}", outcome.message);
        let note = if outcome.class.is_definitive() {
            "SFMC said no twice in a row, so this is real: a deployed credwatch alerts the owner now."
        } else if outcome.class.is_transient() {
            "This can be momentary: a deployed credwatch alerts only if it persists (3 failures over 10+ minutes)."
        } else {
            "This is credwatch's own problem, routed to the platform team, not the integration's owner."
        };
        let _ = writeln!(text, "  Alerting:  {note}");
        let _ = writeln!(text, "  Next step: {}", outcome.class.what_to_do());
    }
    text
}

/// The demo inventory: every integration points at the simulator, and its secret sits in a file.
fn demo_inventory_yaml(clients: &[DemoClient], base_url: &str, dir: &Path) -> String {
    let mut yaml = String::from(
        "version: 1\n\
         teams:\n\
         \x20 - { id: crm-ops, name: CRM Operations, timezone: America/New_York }\n\
         \x20 - { id: marketing-ops, name: Marketing Operations, timezone: Europe/London }\n\
         \x20 - { id: it-security, name: IT Security }\n\
         integrations:\n",
    );
    for client in clients {
        let secret_file = dir.join(format!("{}.secret", client.id));
        if let Err(err) = std::fs::write(&secret_file, &client.sent_secret) {
            eprintln!(
                "credwatch demo: cannot write {}: {err}",
                secret_file.display()
            );
        }
        let owner = OWNERS
            .iter()
            .find(|(id, _)| *id == client.id)
            .map_or("marketing-ops", |(_, team)| team);
        let name = title_case(&client.id);
        let _ = writeln!(yaml, "  - id: {}", client.id);
        let _ = writeln!(yaml, "    name: {name}");
        let _ = writeln!(yaml, "    owner: {owner}");
        let _ = writeln!(yaml, "    severity: high");
        let _ = writeln!(yaml, "    auth_url: {base_url}");
        let _ = writeln!(yaml, "    client_id: {}", client.client_id);
        let _ = writeln!(
            yaml,
            "    client_secret: {{ file: {:?} }}",
            secret_file.display().to_string()
        );
        if let Some(mid) = client.expected_account_id {
            let _ = writeln!(yaml, "    account_id: {mid}");
        }
        if !client.expected_scopes.is_empty() {
            let _ = writeln!(
                yaml,
                "    expected_scopes: [{}]",
                client.expected_scopes.join(", ")
            );
        }
    }
    yaml
}

fn title_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A private scratch directory for the demo's secret files, removed when the demo ends.
struct DemoDir(PathBuf);

impl DemoDir {
    fn create() -> DemoDir {
        let path = std::env::temp_dir().join(format!("credwatch-demo-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&path);
        DemoDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
