//! `credwatch`: check SFMC API credentials from a laptop, validate an inventory, or watch the
//! whole pipeline run against a simulated SFMC tenant.

mod aws_trouble;
mod check;
mod demo;
mod exit;
mod ops;
mod output;
mod render;
mod routing;
mod when;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use credwatch::config::{SECRET_PREFIX_VAR, TABLE_VAR, TOPIC_ARN_VAR};
use credwatch::telemetry::logging::{self, LogOutput};

use crate::exit::{EXIT_INVALID, EXIT_OK};
use crate::output::Format;

#[derive(Parser)]
#[command(
    name = "credwatch",
    version,
    about = "Watches the API credentials your integrations use to reach Salesforce Marketing Cloud"
)]
#[command(
    after_help = "Logging: set CREDWATCH_LOG (or RUST_LOG), e.g. CREDWATCH_LOG=debug. Secrets are never logged."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Probe integrations now and report whether each credential works.
    Check(check::CheckArgs),
    /// Work with the inventory file.
    Inventory {
        #[command(subcommand)]
        command: InventoryCommand,
    },
    /// Run credwatch against a simulated SFMC tenant and explain what it finds (no AWS, no SFMC needed).
    Demo(demo::DemoArgs),
    /// Show every integration's health and open incidents from a deployment's table.
    Status {
        #[command(flatten)]
        table: TableArg,
        /// The alerts topic (the stack's AlertTopicArn): also show pending subscriptions and
        /// teams no confirmed subscription reaches.
        #[arg(long = "topic", env = TOPIC_ARN_VAR, value_name = "ARN")]
        topic: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Look at one incident from a deployment's table.
    Incident {
        #[command(subcommand)]
        command: IncidentCommand,
    },
    /// What the alert fan-out will send: `preview` shows the sweep's decisions at a time.
    Notifications {
        #[command(subcommand)]
        command: NotificationsCommand,
    },
    /// Silence alerts for planned work or a known outage: add, list and expire silences.
    Silence {
        #[command(subcommand)]
        command: ops::SilenceCommand,
    },
    /// Say you are on an open incident: reminders and escalation pause until its class changes
    /// or it resolves, and the team is told who is on it. Exit 1 if there is no such open
    /// incident.
    Ack {
        /// The incident id, `integration:check:seq` (e.g. crm-contact-sync:auth:3), as `status`
        /// lists it.
        id: String,
        /// Who is on it: a name, email address or handle (at most 100 characters).
        #[arg(long, value_name = "NAME")]
        by: String,
        /// Why, or what you are doing (one line, at most 500 characters).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[command(flatten)]
        table: TableArg,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Take back an acknowledgement: reminders and escalation follow their schedule again.
    /// Exit 1 if there is no such open incident.
    Unack {
        /// The incident id, `integration:check:seq`.
        id: String,
        #[command(flatten)]
        table: TableArg,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Send a marked drill ("DRILL: no action needed") through the real alert path to each team,
    /// and show whether it was published and reached a confirmed email address or Slack. Exit 0
    /// when every team was reached, 1 when one was not, 2 for bad input.
    Drill {
        #[command(flatten)]
        table: TableArg,
        /// The alerts topic (the stack's AlertTopicArn).
        #[arg(long = "topic", env = TOPIC_ARN_VAR, value_name = "ARN")]
        topic: String,
        /// A team to drill (repeat for several); default: every team in the table.
        #[arg(long = "team", value_name = "ID")]
        teams: Vec<String>,
        /// How long to wait for the fan-out's delivery records and Slack's answers (1s to 1h).
        #[arg(long, default_value = "2m", value_name = "DURATION")]
        wait: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Passive tracking: the bearer tokens an integration's reporter sends its SFMC results with
    /// (`ingest token create|revoke|list --integration ID`).
    Ingest {
        #[command(subcommand)]
        command: ops::IngestCommand,
    },
    /// Manage the DynamoDB table (for local and test use; deployments get it from the SAM template).
    Table {
        #[command(subcommand)]
        command: TableCommand,
    },
}

#[derive(clap::Args)]
struct TableArg {
    /// The credwatch DynamoDB table.
    #[arg(long = "table", env = TABLE_VAR, value_name = "NAME")]
    name: String,
}

#[derive(clap::Args)]
struct SecretPrefixArg {
    /// The deployment's Secrets Manager prefix (the template's SecretNamePrefix). Given, an
    /// aws_secret outside it (or, for plan/apply, an env or file source) is refused, exit 2;
    /// without it those are warnings against the default prefix sfmc/.
    #[arg(
        long = "secret-prefix",
        env = SECRET_PREFIX_VAR,
        value_name = "PREFIX"
    )]
    value: Option<String>,
}

#[derive(Subcommand)]
enum TableCommand {
    /// Create the table with the schema the SAM template declares.
    Create {
        #[command(flatten)]
        table: TableArg,
    },
}

#[derive(Subcommand)]
enum NotificationsCommand {
    /// What the sweep would send at a time (default now) given what the table holds now:
    /// reminders, escalations, held notifications released (deferred, silenced, grouped),
    /// retries; each with its decision (send, defer, suppress, group, supersede) and why.
    /// Sends and writes nothing, so what it shows is shown again at a later --at until the
    /// sweep has sent it. Times are UTC.
    Preview {
        #[command(flatten)]
        table: TableArg,
        /// The time to preview (default now): RFC 3339 (2026-12-01T09:00:00-05:00),
        /// YYYY-MM-DD HH:MM in UTC (no offset means UTC), or +DURATION from now (+90m, +2d).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Subcommand)]
enum IncidentCommand {
    /// Show one incident and its timeline: opened, each notification with its delivery (state,
    /// attempts, SNS message id, last error, next attempt), resolved.
    Show {
        /// The incident id, `integration:check:seq` (e.g. crm-contact-sync:auth:3), as `status`
        /// lists it.
        id: String,
        #[command(flatten)]
        table: TableArg,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Subcommand)]
enum InventoryCommand {
    /// Check an inventory file and report every problem at once.
    Validate {
        /// The inventory YAML file.
        file: PathBuf,
        #[command(flatten)]
        secret_prefix: SecretPrefixArg,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show what `apply` would change in the table: added, changed, retired integrations and teams.
    Plan(SyncArgs),
    /// Write the inventory into the table. Removed integrations are retired (kept), unless --prune.
    Apply(SyncArgs),
}

#[derive(clap::Args)]
struct SyncArgs {
    /// The inventory YAML file.
    file: PathBuf,
    #[command(flatten)]
    table: TableArg,
    /// Delete integrations that are not in the inventory, with their state, history and incidents.
    #[arg(long)]
    prune: bool,
    #[command(flatten)]
    secret_prefix: SecretPrefixArg,
    /// The alerts topic (the stack's AlertTopicArn): also create, update and remove the email
    /// subscriptions credwatch owns so each team receives its alerts. Without it, no
    /// subscription changes.
    #[arg(long = "topic", value_name = "ARN")]
    topic: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return ExitCode::from(explain_arguments(&err)),
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            output::warn(&format!("credwatch: cannot start the async runtime: {err}"));
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Check(args) => check::run(args).await,
            Command::Inventory {
                command:
                    InventoryCommand::Validate {
                        file,
                        secret_prefix,
                        format,
                    },
            } => check::validate(&file, secret_prefix.value.as_deref(), format),
            Command::Inventory {
                command: InventoryCommand::Plan(args),
            } => {
                ops::inventory_sync(
                    &args.file,
                    &args.table.name,
                    args.secret_prefix.value.as_deref(),
                    args.prune,
                    args.topic.as_deref(),
                    false,
                    args.format,
                )
                .await
            }
            Command::Inventory {
                command: InventoryCommand::Apply(args),
            } => {
                ops::inventory_sync(
                    &args.file,
                    &args.table.name,
                    args.secret_prefix.value.as_deref(),
                    args.prune,
                    args.topic.as_deref(),
                    true,
                    args.format,
                )
                .await
            }
            Command::Status {
                table,
                topic,
                format,
            } => ops::status(&table.name, topic.as_deref(), format).await,
            Command::Incident {
                command: IncidentCommand::Show { id, table, format },
            } => ops::incident_show(&id, &table.name, format).await,
            Command::Notifications {
                command: NotificationsCommand::Preview { table, at, format },
            } => ops::notifications_preview(&table.name, at.as_deref(), format).await,
            Command::Ack {
                id,
                by,
                note,
                table,
                format,
            } => ops::ack(&id, &by, note.as_deref(), &table.name, format).await,
            Command::Unack { id, table, format } => ops::unack(&id, &table.name, format).await,
            Command::Table {
                command: TableCommand::Create { table },
            } => ops::table_create(&table.name).await,
            Command::Silence { command } => ops::silence(command).await,
            Command::Ingest { command } => ops::ingest(command).await,
            Command::Drill {
                table,
                topic,
                teams,
                wait,
                format,
            } => ops::drill(&table.name, &topic, &teams, &wait, format).await,
            Command::Demo(args) => demo::run(args).await,
        }
    });
    ExitCode::from(code)
}

/// `--help` and `--version` (stdout, exit 0) or a usage error (stderr, exit 2), written like
/// every other output: a closed or full stdout does not go unnoticed.
fn explain_arguments(err: &clap::Error) -> u8 {
    let text = err.render().to_string();
    if err.use_stderr() {
        output::warn(text.trim_end());
        EXIT_INVALID
    } else {
        let mut out = output::Stdout::new();
        out.print(&text);
        out.finish(EXIT_OK)
    }
}

/// Logs go to stderr so that `--format json` output on stdout stays parseable. By default only
/// credwatch's own warnings are shown ([`logging::DEFAULT_CLI_LOG_FILTER`]); `CREDWATCH_LOG` /
/// `RUST_LOG` ask for more. Colours only on a terminal and without `NO_COLOR`.
fn init_logging() {
    let filter = logging::log_filter(
        |name| std::env::var(name).ok(),
        logging::DEFAULT_CLI_LOG_FILTER,
    );
    let ansi = output::stderr_colours();
    logging::init(LogOutput::Terminal { ansi }, &filter);
}
