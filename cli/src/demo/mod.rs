//! `credwatch demo`: a simulated SFMC tenant with one integration per common failure. Step 1
//! probes it exactly as `credwatch check` does and explains each finding; step 2 runs the
//! deployed monitor's cycle (state machine, incidents, history) over simulated time on an
//! in-memory store, and shows what opens, what does not, and what resolves; step 3 shows what
//! each team receives (the alert fan-out over the same changes, through the real renderer);
//! step 4 leaves the open incidents for five hours on call (reminders, an acknowledgement);
//! step 5 has two integrations report their own SFMC results to the ingest use case (passive
//! tracking): a green-probed integration's refused token requests open an incident and ask the
//! probe to look, another's 401-then-200 races a low warning, and bad requests are refused.

mod delivery;
mod oncall;
mod passive;
mod passive_report;
mod tenant;
mod timeline;

use std::fmt::Write as _;
use std::time::Duration;

use clap::Args;
use credwatch::domain::outcome::{OutcomeClass, ProbeOutcome};
use credwatch::inventory::{Inventory, LoadOptions, parse_inventory};
use credwatch::probe::{Concurrency, Prober, RetryPolicy};
use credwatch::secrets::LocalSecrets;
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch_sim::{DemoClient, Simulator, demo_scenario};
use serde_json::json;

use crate::check::{CheckSettings, probe};
use crate::exit::{EXIT_FAILING, EXIT_OK};
use crate::output::Format;
use crate::output::{Stdout, stdout_colours, table_width, warn};
use crate::render;
use tenant::{DemoDir, demo_inventory_yaml, demo_start};
use timeline::{CYCLE_MINUTES, CYCLES, monitor_timeline};

/// The options of `credwatch demo`.
#[derive(Args)]
pub struct DemoArgs {
    // How the story is told: a narrated table for people, or one JSON document. (A plain
    // comment: a doc comment would become `--help` text and change the CLI's output.)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `credwatch demo`: starts the simulated tenant, tells the five steps of the story on stdout, and
/// checks it (each scripted failure recognised, the expected incidents open and resolved).
/// Returns [`EXIT_OK`], or [`EXIT_FAILING`] when the simulator or the story went wrong.
pub async fn run(args: DemoArgs) -> u8 {
    let sim = match Simulator::start().await {
        Ok(sim) => sim,
        Err(err) => {
            warn(&format!(
                "credwatch demo: cannot start the SFMC simulator on 127.0.0.1: {err}"
            ));
            return EXIT_FAILING;
        }
    };
    let clients = demo_scenario();
    for client in &clients {
        sim.set_client(&client.client_id, client.config.clone());
    }
    let workdir = DemoDir::create();
    let yaml = demo_inventory_yaml(
        &clients,
        &sim.base_url(),
        workdir.path(),
        demo_start().date_naive(),
    );
    // The simulator is not an SFMC host, so this inventory is loaded with other endpoints allowed.
    let inventory = match parse_inventory(
        &yaml,
        &LoadOptions {
            allow_any_endpoint: true,
        },
    ) {
        Ok(loaded) => loaded.inventory,
        Err(invalid) => {
            warn(&format!(
                "credwatch demo: the demo inventory is invalid (a bug): {invalid}"
            ));
            return EXIT_FAILING;
        }
    };
    let table = args.format == Format::Table;
    let client_settings = ClientSettings {
        request_timeout: Duration::from_secs(5),
        endpoint_policy: EndpointPolicy::AnyEndpoint,
        ..ClientSettings::default()
    };
    // A simulation: SFMC's Retry-After is honoured, but capped short so the demo stays quick.
    let retry = RetryPolicy {
        transient_backoff: Duration::from_millis(100),
        max_retry_after: Duration::from_millis(200),
    };

    let width = table_width();
    let colours = stdout_colours();
    let mut out = Stdout::new();
    if table {
        out.line(&format!(
            "credwatch demo: a simulated SFMC tenant is running at {}",
            sim.base_url()
        ));
        out.line(&format!(
            "It plays {} integrations: one healthy, the others each broken the way real ones break.\n",
            clients.len()
        ));
        out.line("Step 1 of 5: probe them now, exactly as `credwatch check` would.\n");
    }
    let settings = CheckSettings {
        concurrency: Concurrency::default(),
        client: client_settings.clone(),
        retry: retry.clone(),
        show_progress: table,
    };
    let all: Vec<usize> = (0..inventory.integrations.len()).collect();
    let outcomes = match probe(&inventory, &all, &settings, &LocalSecrets).await {
        Ok(outcomes) => outcomes,
        Err(message) => {
            warn(&format!("credwatch demo: {message}"));
            return out.finish(EXIT_FAILING);
        }
    };
    let mut problems = mismatches(&clients, &outcomes);
    if table {
        out.print(&render::outcomes_table(
            &inventory, &outcomes, width, colours,
        ));
        out.line(&format!("\n{}", explain(&inventory, &clients, &outcomes)));
        out.line(&format!(
            "Step 2 of 5: the deployed monitor, over {} simulated minutes (a probe cycle every {CYCLE_MINUTES} minutes).\n\
             Definitive failures open an incident at once; transient ones only if they last 10 minutes;\n\
             an incident resolves after 2 good probes in a row.\n",
            CYCLES * CYCLE_MINUTES
        ));
    }
    let prober = match SfmcClient::new(client_settings) {
        Ok(client) => Prober::new(client, retry),
        Err(err) => {
            warn(&format!(
                "credwatch demo: cannot set up the HTTP client: {err}"
            ));
            return out.finish(EXIT_FAILING);
        }
    };
    if out.is_broken() {
        // Nobody is reading any more: stop here, with the exit code the story so far earned.
        sim.shutdown().await;
        return out.finish(if problems.is_empty() {
            EXIT_OK
        } else {
            EXIT_FAILING
        });
    }
    let layout = (width, colours);
    let mut monitor =
        match monitor_timeline(&sim, &clients, &inventory, &prober, workdir.path(), layout).await {
            Ok(monitor) => monitor,
            Err(message) => {
                warn(&format!("credwatch demo: {message}"));
                return out.finish(EXIT_FAILING);
            }
        };
    problems.extend(monitor.problems.iter().cloned());
    let step5 = passive::passive_step(
        &monitor.store,
        &mut monitor.mailroom,
        &prober,
        monitor.end + chrono::TimeDelta::minutes(12),
    )
    .await;
    problems.extend(step5.problems.iter().cloned());
    let requests = sim.total_counts();
    match args.format {
        Format::Json => {
            let report = json!({
                "check": serde_json::from_str::<serde_json::Value>(&render::outcomes_json(&inventory, &outcomes))
                    .expect("outcomes are JSON"),
                "timeline": monitor.timeline.iter().map(|(at, line)| json!({"at": at, "event": line})).collect::<Vec<_>>(),
                "status": monitor.status,
                "notifications": delivery::report(&monitor.sent),
                "on_call": oncall::report(&monitor.on_call),
                "passive": passive_report::report(&step5),
            });
            out.line(&serde_json::to_string_pretty(&report).expect("report serializes"));
        }
        Format::Table => {
            for (at, line) in &monitor.timeline {
                out.line(&format!("  {}  {line}", at.format("%H:%M")));
            }
            out.line("\nWhere things stand (what `credwatch status` shows for a deployment):\n");
            out.print(&monitor.status_table);
            out.line("\nStep 3 of 5: what each team receives (the alert fan-out, through SNS to email and Slack).\n");
            let teams: std::collections::BTreeMap<String, String> = inventory
                .teams
                .iter()
                .map(|t| (t.id.clone(), t.name.clone()))
                .collect();
            out.print(&delivery::narrate(&monitor.sent, &teams));
            out.line("\nStep 4 of 5: on call (reminders, escalation, an acknowledgement).\n");
            out.print(&oncall::narrate(&monitor.on_call));
            out.line("\nStep 5 of 5: the integrations' own SFMC results (passive tracking, one simulated hour after step 4).\n");
            out.print(&passive_report::narrate(&step5, &teams));
            out.line(&format!(
                "\nThe simulator answered {} token requests and {} tokenContext calls. No secret or token was printed or logged.",
                requests.token, requests.token_context
            ));
        }
    }
    sim.shutdown().await;
    if problems.is_empty() {
        out.finish(EXIT_OK)
    } else {
        for line in &problems {
            warn(&format!("credwatch demo: {line}"));
        }
        out.finish(EXIT_FAILING)
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
        let _ = writeln!(
            text,
            "  Evidence:  {}",
            credwatch::text::printable::escape(&outcome.message)
        );
        let note = if outcome.class.is_definitive()
            && outcome.class.kind() == credwatch::domain::outcome::Kind::Monitor
        {
            "The same answer came twice in a row, so this is real: the monitor opens an incident at once, for the platform team, not the integration's owner."
        } else if outcome.class.is_definitive() {
            "SFMC said no twice in a row, so this is real: the monitor opens an incident at once."
        } else if outcome.class.is_transient() {
            "This can be momentary: the monitor opens an incident only if it lasts (3 failures over 10+ minutes)."
        } else {
            "This is credwatch's own problem, routed to the platform team, not the integration's owner."
        };
        let _ = writeln!(text, "  Alerting:  {note}");
        let _ = writeln!(text, "  Next step: {}", outcome.class.what_to_do());
    }
    text
}
