//! `credwatch check` and `credwatch inventory validate`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use credwatch::config::{
    DEFAULT_CHECK_TIMEOUT, DEFAULT_CONCURRENCY, DEFAULT_PER_HOST, connect_timeout_for,
};
use credwatch::domain::outcome::ProbeOutcome;
use credwatch::inventory::{
    InvalidInventory, Inventory, LoadOptions, Loaded, Problem, check_secret_layout, load_inventory,
};
use credwatch::probe::{Concurrency, Prober, RetryPolicy, probe_all};
use credwatch::secrets::SecretSource;
use credwatch::secrets::aws::{AwsSecrets, DEFAULT_CACHE_TTL};
use credwatch::secrets::{LocalSecrets, SecretReader};
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch::text::duration::parse_duration;
use credwatch::text::printable;
use indicatif::{ProgressBar, ProgressStyle};

use crate::exit::{EXIT_FAILING, EXIT_INVALID, EXIT_OK};
use crate::output::Format;
use crate::output::{Stdout, stdout_colours, table_width, warn};
use crate::render;

/// Problems (and, separately, warnings) listed on stderr; the rest are counted in one line, so a
/// file with 400,000 problems prints a screenful, not 59 MB.
pub const MAX_PROBLEMS_SHOWN: usize = 100;

/// Problems (and, separately, warnings) in `inventory validate --format json` (as many as the
/// inventory keeps, [`credwatch::inventory::MAX_PROBLEMS_KEPT`]); the total is in
/// `problem_count`, so a script still knows how many there were.
pub const MAX_PROBLEMS_IN_JSON: usize = credwatch::inventory::MAX_PROBLEMS_KEPT;

/// Progress is shown only when probing more than this many integrations.
const PROGRESS_THRESHOLD: usize = 5;

#[derive(Args)]
pub struct CheckArgs {
    /// The inventory YAML file.
    #[arg(long, short = 'i')]
    pub inventory: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Probe only this integration (repeatable).
    #[arg(long = "integration", value_name = "ID")]
    pub integrations: Vec<String>,
    /// Probes in flight at once.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY as u16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Probes in flight against one SFMC tenant (auth host) at once.
    #[arg(long, default_value_t = DEFAULT_PER_HOST as u16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub per_host: u16,
    /// Give up on an SFMC request after this long (e.g. 10s).
    #[arg(long, default_value = DEFAULT_CHECK_TIMEOUT, value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Everything a check run needs besides the inventory.
pub struct CheckSettings {
    pub concurrency: Concurrency,
    pub client: ClientSettings,
    pub retry: RetryPolicy,
    pub show_progress: bool,
}

pub async fn run(args: CheckArgs) -> u8 {
    let options = LoadOptions::from_env();
    let Some(inventory) = load_or_report(&args.inventory, &options) else {
        return EXIT_INVALID;
    };
    let selected = match select(&inventory, &args.integrations) {
        Ok(selected) => selected,
        Err(message) => {
            warn(&format!("credwatch: {message}"));
            return EXIT_INVALID;
        }
    };
    let settings = CheckSettings {
        concurrency: Concurrency {
            global: args.concurrency.into(),
            per_host: args.per_host.into(),
        },
        client: ClientSettings {
            request_timeout: args.timeout,
            connect_timeout: connect_timeout_for(args.timeout),
            endpoint_policy: if options.allow_any_endpoint {
                EndpointPolicy::AnyEndpoint
            } else {
                EndpointPolicy::SfmcOnly
            },
            ..ClientSettings::default()
        },
        retry: RetryPolicy::default(),
        show_progress: true,
    };
    // Secrets Manager sources are read with the standard AWS environment; without them no AWS
    // configuration is loaded at all.
    let uses_secrets_manager = selected.iter().any(|&i| {
        matches!(
            inventory.integrations[i].client_secret,
            SecretSource::AwsSecret { .. }
        )
    });
    let probed = if uses_secrets_manager {
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let secrets = AwsSecrets::new(aws_sdk_secretsmanager::Client::new(&aws), DEFAULT_CACHE_TTL);
        probe(&inventory, &selected, &settings, &secrets).await
    } else {
        probe(&inventory, &selected, &settings, &LocalSecrets).await
    };
    let outcomes = match probed {
        Ok(outcomes) => outcomes,
        Err(message) => {
            warn(&format!("credwatch: {message}"));
            return EXIT_INVALID;
        }
    };
    let mut out = Stdout::new();
    match args.format {
        Format::Json => out.line(&render::outcomes_json(&inventory, &outcomes)),
        Format::Table => out.print(&render::outcomes_table(
            &inventory,
            &outcomes,
            table_width(),
            stdout_colours(),
        )),
    }
    out.finish(exit_code(&outcomes))
}

pub fn exit_code(outcomes: &[ProbeOutcome]) -> u8 {
    if outcomes
        .iter()
        .all(|o| o.class == credwatch::domain::outcome::OutcomeClass::Ok)
    {
        EXIT_OK
    } else {
        EXIT_FAILING
    }
}

/// Probes the selected integrations with a progress bar on stderr when there are many.
pub async fn probe<R: SecretReader>(
    inventory: &Inventory,
    selected: &[usize],
    settings: &CheckSettings,
    secrets: &R,
) -> Result<Vec<ProbeOutcome>, String> {
    let client = SfmcClient::new(settings.client.clone())
        .map_err(|err| format!("cannot set up the HTTP client: {err}"))?;
    let prober = Prober::new(client, settings.retry.clone());
    let integrations: Vec<_> = selected
        .iter()
        .map(|&i| inventory.integrations[i].clone())
        .collect();
    let progress = if settings.show_progress
        && integrations.len() > PROGRESS_THRESHOLD
        && std::io::stderr().is_terminal()
    {
        let bar = ProgressBar::new(integrations.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} probing {pos}/{len} integrations [{bar:30}] {elapsed} {msg}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(bar)
    } else {
        None
    };
    let failing = std::sync::atomic::AtomicUsize::new(0);
    let on_done = |outcome: &ProbeOutcome| {
        if let Some(bar) = &progress {
            if outcome.class != credwatch::domain::outcome::OutcomeClass::Ok {
                let n = failing.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                bar.set_message(format!("{n} failing"));
            }
            bar.inc(1);
        }
    };
    let outcomes = probe_all(
        &prober,
        secrets,
        &integrations,
        settings.concurrency,
        &on_done,
    )
    .await;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Ok(outcomes)
}

/// Indexes of the integrations to probe: all, or those named with `--integration`.
pub fn select(inventory: &Inventory, ids: &[String]) -> Result<Vec<usize>, String> {
    if ids.is_empty() {
        return Ok((0..inventory.integrations.len()).collect());
    }
    let mut selected = Vec::new();
    let mut unknown = Vec::new();
    for id in ids {
        match inventory.integrations.iter().position(|i| &i.id == id) {
            Some(index) if !selected.contains(&index) => selected.push(index),
            Some(_) => {}
            None => unknown.push(id.as_str()),
        }
    }
    if !unknown.is_empty() {
        let known: Vec<&str> = inventory
            .integrations
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        let unknown: Vec<String> = unknown.iter().map(|id| printable::echo(id)).collect();
        return Err(format!(
            "no integration with id {} in the inventory (known: {})",
            unknown.join(", "),
            printable::cap(&known.join(", "), 4 * printable::MAX_ECHOED_CHARS)
        ));
    }
    selected.sort_unstable();
    Ok(selected)
}

/// Loads the inventory, printing warnings; on problems prints every one and returns `None`.
pub fn load_or_report(path: &Path, options: &LoadOptions) -> Option<Inventory> {
    report_loaded(path, load_inventory(path, options), "nothing was probed")
}

/// The inventory, or `None` after printing why it was refused and `consequence` (what the
/// command therefore did not do); warnings are printed either way.
pub fn report_loaded(
    path: &Path,
    result: Result<Loaded, InvalidInventory>,
    consequence: &str,
) -> Option<Inventory> {
    match result {
        Ok(loaded) => {
            print_warnings(&loaded.warnings);
            Some(loaded.inventory)
        }
        Err(invalid) => {
            report_invalid(path, &invalid, consequence);
            None
        }
    }
}

/// Adds the secret-layout pass ([`check_secret_layout`]) to a loaded inventory: its warnings
/// join the others, its errors make the inventory invalid.
pub fn with_secret_layout(
    result: Result<Loaded, InvalidInventory>,
    secret_prefix: Option<&str>,
    for_deployment: bool,
) -> Result<Loaded, InvalidInventory> {
    let mut loaded = result?;
    let layout = check_secret_layout(&loaded.inventory, secret_prefix, for_deployment);
    loaded.warnings.extend(layout.warnings);
    if layout.errors.is_empty() {
        Ok(loaded)
    } else {
        Err(InvalidInventory {
            problems: layout.errors,
            warnings: loaded.warnings,
            more_problems: 0,
        })
    }
}

fn print_warnings(warnings: &[Problem]) {
    for warning in warnings.iter().take(MAX_PROBLEMS_SHOWN) {
        warn(&format!("warning: {warning}"));
    }
    print_more(warnings.len(), "warning");
    // Past the kept ones, the inventory's last warning says how many more it found.
    if warnings.len() > credwatch::inventory::MAX_PROBLEMS_KEPT
        && let Some(last) = warnings.last()
    {
        warn(&format!("warning: {last}"));
    }
}

/// `... and 399,900 more problems (the first 100 are listed)` when some were left out.
fn print_more(total: usize, noun: &str) {
    if let Some(more) = total
        .checked_sub(MAX_PROBLEMS_SHOWN)
        .filter(|&more| more > 0)
    {
        warn(&format!(
            "  ... and {more} more {noun}{} (the first {MAX_PROBLEMS_SHOWN} are listed; fix \
             these and run again)",
            if more == 1 { "" } else { "s" }
        ));
    }
}

/// Lists every problem of an invalid inventory on stderr; `consequence` says what the command
/// therefore did not do (e.g. "nothing was probed"), or is empty.
fn report_invalid(path: &Path, invalid: &InvalidInventory, consequence: &str) {
    print_warnings(&invalid.warnings);
    let n = invalid.problem_count();
    let consequence = if consequence.is_empty() {
        String::new()
    } else {
        format!("; {consequence}")
    };
    warn(&format!(
        "credwatch: {} is not a valid inventory ({n} problem{}){consequence}:",
        printable::echo(&path.display().to_string()),
        if n == 1 { "" } else { "s" }
    ));
    for problem in invalid.problems.iter().take(MAX_PROBLEMS_SHOWN) {
        warn(&format!("  - {problem}"));
    }
    print_more(n, "problem");
}

/// `credwatch inventory validate FILE [--secret-prefix P]`.
pub fn validate(path: &Path, secret_prefix: Option<&str>, format: Format) -> u8 {
    let options = LoadOptions::from_env();
    let result = with_secret_layout(load_inventory(path, &options), secret_prefix, false);
    let mut out = Stdout::new();
    match format {
        Format::Json => {
            let (valid, problems, problem_count, warnings, integrations) = match &result {
                Ok(loaded) => (
                    true,
                    vec![],
                    0,
                    loaded.warnings.clone(),
                    loaded.inventory.integrations.len(),
                ),
                Err(invalid) => (
                    false,
                    invalid.problems.clone(),
                    invalid.problem_count(),
                    invalid.warnings.clone(),
                    0,
                ),
            };
            let first = |list: &[Problem]| list[..list.len().min(MAX_PROBLEMS_IN_JSON)].to_vec();
            let report = serde_json::json!({
                "valid": valid,
                "integrations": integrations,
                "problems": first(&problems),
                "problem_count": problem_count,
                "warnings": first(&warnings),
                "warning_count": warnings.len(),
            });
            out.line(&serde_json::to_string_pretty(&report).expect("plain JSON"));
        }
        Format::Table => match &result {
            Ok(loaded) => {
                print_warnings(&loaded.warnings);
                let inv = &loaded.inventory;
                out.line(&format!(
                    "{} is valid: {} integration{} owned by {} team{}.",
                    printable::echo(&path.display().to_string()),
                    inv.integrations.len(),
                    if inv.integrations.len() == 1 { "" } else { "s" },
                    inv.teams.len(),
                    if inv.teams.len() == 1 { "" } else { "s" },
                ));
            }
            Err(invalid) => report_invalid(path, invalid, ""),
        },
    }
    out.finish(if result.is_ok() {
        EXIT_OK
    } else {
        EXIT_INVALID
    })
}
