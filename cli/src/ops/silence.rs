//! `credwatch silence add|list|expire`: ad-hoc silences (matchers, a time range, who and why),
//! kept in the deployment's table. A silenced alert is recorded as suppressed, never lost.
//!
//! Exit codes (see [`crate::exit`]): `add` 0 added, 2 the silence cannot be made as given (no
//! matcher, a bad value, an end not after now, too long), 1 the table could not be written;
//! `list` 0 listed (unreadable items named on stderr), 1 the table could not be read; `expire`
//! 0 ended now, 1 no such silence or it had already ended (the message says which) or the
//! table could not be written, 2 not a silence id.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use clap::ArgGroup;
use comfy_table::Color;
use credwatch::config::TABLE_VAR;
use credwatch::domain::silence::{
    MatchField, Matcher, Silence, SilenceError, SilenceId, SilenceState,
};
use credwatch::notify::scrub::scrub;
use credwatch::store::invariants::SILENCE_RETENTION_DAYS;
use credwatch::store::{ExpireOutcome, Integrations, Silences, StoreError, Teams};
use credwatch::text::duration::{format_duration, parse_duration};
use credwatch::text::printable::{echo, escape};
use serde::Serialize;

use super::table::{fail, fail_reading, store};
use crate::aws_trouble::{Trouble, store_error_line};
use crate::exit::{EXIT_FAILING, EXIT_INVALID, EXIT_OK};
use crate::output::{Format, Stdout, stdout_colours, table_width, warn};
use crate::render::{Grid, lay_out, wrap};

/// Attempts at drawing an id no stored silence has (50 random bits: one is plenty).
const ID_ATTEMPTS: u32 = 3;

/// `credwatch silence ...`.
#[derive(clap::Subcommand)]
pub enum SilenceCommand {
    /// Silence the alerts that match every given matcher, for a while (planned work, a known
    /// outage). Silenced alerts are recorded as suppressed; if the incident is still open when
    /// the silence ends, its team gets one message then.
    Add(AddArgs),
    /// List silences: pending and active ones, or with --all also those that ended (kept 400
    /// days).
    List(ListArgs),
    /// End a silence now; alerts it matched are sent again from now on.
    Expire(ExpireArgs),
}

/// `credwatch silence add`.
#[derive(clap::Args)]
#[command(group(ArgGroup::new("end").required(true).args(["for", "until"])))]
pub struct AddArgs {
    /// The credwatch DynamoDB table.
    #[arg(long = "table", env = TABLE_VAR, value_name = "NAME")]
    table: String,
    /// Match alerts of this integration (its inventory id). Repeatable; every matcher given
    /// must match.
    #[arg(long, value_name = "ID")]
    integration: Vec<String>,
    /// Match alerts to this team (its inventory id).
    #[arg(long, value_name = "ID")]
    team: Vec<String>,
    /// Match alerts of this incident class, e.g. client_auth_failed or secret_expiring.
    #[arg(long, value_name = "CLASS")]
    class: Vec<String>,
    /// Match alerts of this check: auth, expiry or monitor.
    #[arg(long, value_name = "CHECK")]
    check: Vec<String>,
    /// How long, from now: a whole number and a unit, e.g. 30m, 4h, 2d (at most 90d).
    #[arg(long = "for", id = "for", value_name = "DURATION", value_parser = parse_for)]
    for_: Option<Duration>,
    /// Until when: RFC 3339 (2026-12-01T06:00:00Z, or with an offset), YYYY-MM-DD HH:MM read
    /// as UTC (2026-12-01 06:00), or +DURATION from now (+90m).
    #[arg(long, value_name = "TIME", value_parser = crate::when::parse_time)]
    until: Option<DateTime<Utc>>,
    /// Why, for whoever wonders later why they got no alert (at most 500 characters).
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Who is silencing (a name or an email address).
    #[arg(long, value_name = "NAME")]
    by: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// `credwatch silence list`.
#[derive(clap::Args)]
pub struct ListArgs {
    /// The credwatch DynamoDB table.
    #[arg(long = "table", env = TABLE_VAR, value_name = "NAME")]
    table: String,
    /// Also list the silences that ended (ran out or were expired).
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// `credwatch silence expire`.
#[derive(clap::Args)]
pub struct ExpireArgs {
    /// The silence id, as `silence list` shows it (sil-…).
    id: String,
    /// The credwatch DynamoDB table.
    #[arg(long = "table", env = TABLE_VAR, value_name = "NAME")]
    table: String,
    /// Who is ending it (kept with the silence).
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// `--for`: a duration as the inventory writes them.
fn parse_for(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

/// `credwatch silence ...`: runs the subcommand, returns its exit code.
pub async fn silence(command: SilenceCommand) -> u8 {
    match command {
        SilenceCommand::Add(args) => add(args).await,
        SilenceCommand::List(args) => list(args).await,
        SilenceCommand::Expire(args) => expire(args).await,
    }
}

/// One silence as `list` and `--format json` show it.
#[derive(Debug, Serialize)]
pub struct SilenceRow {
    /// Its id.
    pub id: String,
    /// `pending`, `active` or `expired`, now.
    pub state: &'static str,
    /// Its matchers, `{field, value}`; all must match.
    pub matchers: Vec<Matcher>,
    /// When it starts silencing.
    pub starts_at: DateTime<Utc>,
    /// When it was set to end.
    pub ends_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
    /// Who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was ended early, if it was.
    pub expired_at: Option<DateTime<Utc>>,
    /// Who ended it early, when they said.
    pub expired_by: Option<String>,
}

impl SilenceRow {
    /// The row of `silence` at `now`.
    pub fn of(silence: &Silence, now: DateTime<Utc>) -> SilenceRow {
        SilenceRow {
            id: silence.id.to_string(),
            state: silence.state(now).as_str(),
            matchers: silence.matchers.clone(),
            starts_at: silence.starts_at,
            ends_at: silence.ends_at,
            reason: silence.reason.clone(),
            created_by: silence.created_by.clone(),
            created_at: silence.created_at,
            expired_at: silence.expired.as_ref().map(|e| e.at),
            expired_by: silence.expired.as_ref().and_then(|e| e.by.clone()),
        }
    }
}

/// The matchers of `args`, in flag order (integration, team, class, check).
fn matchers(args: &AddArgs) -> Result<Vec<Matcher>, SilenceError> {
    let given = [
        (MatchField::Integration, &args.integration),
        (MatchField::Team, &args.team),
        (MatchField::Class, &args.class),
        (MatchField::Check, &args.check),
    ];
    given
        .into_iter()
        .flat_map(|(field, values)| values.iter().map(move |v| Matcher::new(field, v.as_str())))
        .collect()
}

/// Pure: the silence `args` ask for at `now`, with `id`; the message of what is wrong.
pub fn new_silence(args: &AddArgs, id: SilenceId, now: DateTime<Utc>) -> Result<Silence, String> {
    let matchers = matchers(args).map_err(|e| e.to_string())?;
    let ends_at = match (args.for_, args.until) {
        (Some(length), _) => TimeDelta::from_std(length)
            .ok()
            .and_then(|length| now.checked_add_signed(length))
            .ok_or_else(|| {
                format!(
                    "--for {} is far too long; a silence lasts at most 90 days",
                    format_duration(length)
                )
            })?,
        (None, Some(until)) => until,
        (None, None) => return Err("give --for DURATION or --until TIME".to_string()),
    };
    let mut silence = Silence::new(
        id,
        matchers,
        now,
        ends_at,
        args.reason.clone(),
        args.by.clone(),
        now,
    )
    .map_err(|e| e.to_string())?;
    // Checked as typed (an unprintable character is refused, not hidden), then kept scrubbed:
    // a token or webhook URL pasted into the reason never reaches the table or a message.
    silence.reason = scrub(&silence.reason);
    silence.created_by = scrub(&silence.created_by);
    Ok(silence)
}

async fn add(args: AddArgs) -> u8 {
    let now = Utc::now();
    let mut silence = match new_silence(&args, SilenceId::generate(), now) {
        Ok(silence) => silence,
        Err(message) => {
            return fail(&Trouble {
                message: format!("cannot add the silence: {message}"),
                code: EXIT_INVALID,
            });
        }
    };
    let store = match store(&args.table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let shown = echo(&args.table);
    for attempt in 1..=ID_ATTEMPTS {
        match store.put_silence(&silence).await {
            Ok(()) => break,
            // Another silence drew the same id: draw again.
            Err(StoreError::Conflict { .. }) if attempt < ID_ATTEMPTS => {
                silence.id = SilenceId::generate();
            }
            Err(err) => {
                return fail(&Trouble {
                    message: format!(
                        "could not add the silence to table {shown}: {}",
                        store_error_line(err.message())
                    ),
                    code: EXIT_FAILING,
                });
            }
        }
    }
    // Best effort: a table that cannot be listed only loses the warning, not the silence.
    if let (Ok(teams), Ok(integrations)) =
        (store.list_teams().await, store.list_integrations().await)
    {
        let teams: Vec<String> = teams.into_iter().map(|team| team.id).collect();
        let integrations: Vec<String> = integrations
            .records
            .into_iter()
            .map(|record| record.integration.id)
            .collect();
        for line in unknown::unknown_matchers(&silence.matchers, &teams, &integrations, &shown) {
            warn(&line);
        }
    }
    let mut out = Stdout::new();
    match args.format {
        Format::Json => out.line(&json(&SilenceRow::of(&silence, now))),
        Format::Table => out.print(&added_text(&silence, now, table_width())),
    }
    out.finish(EXIT_OK)
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("silence rows serialize")
}

/// Pure: what `silence add` says once the silence is stored.
pub fn added_text(silence: &Silence, now: DateTime<Utc>, width: u16) -> String {
    let lines = [
        format!(
            "Added silence {} ({}).",
            silence.id,
            silence.state(now).as_str()
        ),
        format!(
            "Matches:  {} (all must match)",
            escape(&matcher_list(&silence.matchers, ", "))
        ),
        format!("From:     {}", when(silence.starts_at)),
        format!(
            "Until:    {} ({})",
            when(silence.ends_at),
            span(silence.ends_at - silence.starts_at)
        ),
        format!("Reason:   {}", escape(&silence.reason)),
        format!("By:       {}", escape(&silence.created_by)),
        format!(
            "Alerts it matches are recorded as suppressed, not sent, until then; if the incident \
             is still open when it ends, the team gets one message saying so. End it sooner \
             with `credwatch silence expire {}`.",
            silence.id
        ),
    ];
    lines
        .iter()
        .map(|line| wrap(line, width))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

async fn list(args: ListArgs) -> u8 {
    let store = match store(&args.table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let shown = echo(&args.table);
    let listing = match store.silences().await {
        Ok(listing) => listing,
        Err(err) => return fail_reading(&shown, err.message()),
    };
    for bad in &listing.unreadable {
        warn(&format!(
            "credwatch: warning: a silence item cannot be read ({}); it is not listed and \
             silences nothing until rewritten",
            escape(&bad.to_string())
        ));
    }
    let now = Utc::now();
    let rows = listed(&listing.silences, args.all, now);
    let mut out = Stdout::new();
    match args.format {
        Format::Json => out.line(&json(&rows)),
        Format::Table => out.print(&list_text(
            &rows,
            args.all,
            listing.unreadable.len(),
            table_width(),
            stdout_colours(),
        )),
    }
    out.finish(EXIT_OK)
}

/// Pure: the rows `list` shows at `now`: pending and active silences, and with `all` ended
/// ones too, in the store's order (by start, then id).
pub fn listed(silences: &[Silence], all: bool, now: DateTime<Utc>) -> Vec<SilenceRow> {
    silences
        .iter()
        .filter(|s| all || s.state(now) != SilenceState::Expired)
        .map(|s| SilenceRow::of(s, now))
        .collect()
}

/// Pure: the table `list` prints (seven columns when they fit, else two, else one), and a
/// count.
pub fn list_text(
    rows: &[SilenceRow],
    all: bool,
    unreadable: usize,
    width: u16,
    colours: bool,
) -> String {
    let mut text = String::new();
    if rows.is_empty() {
        let what = if all {
            "No silences."
        } else {
            "No pending or active silences (--all also lists those that ended)."
        };
        text.push_str(&wrap(what, width));
        text.push('\n');
    } else {
        let mut wide = Grid::new(vec![
            "ID", "State", "Matchers", "Starts", "Ends", "Reason", "By",
        ]);
        let mut two = Grid::new(vec!["Silence", "Details"]);
        let mut one = Grid::new(vec!["Silences"]);
        for row in rows {
            let color = match row.state {
                "active" => Color::Yellow,
                "pending" => Color::Cyan,
                _ => Color::DarkGrey,
            };
            let shown: Vec<String> = row
                .matchers
                .iter()
                .map(|m| escape(&m.to_string()).into_owned())
                .collect();
            let matchers = shown.join("\n");
            let ends = match (row.expired_at, &row.expired_by) {
                (Some(at), Some(by)) => format!("{} (ended early by {})", when(at), escape(by)),
                (Some(at), None) => format!("{} (ended early)", when(at)),
                (None, _) => when(row.ends_at),
            };
            let (reason, by) = (escape(&row.reason), escape(&row.created_by));
            let whole_matchers: Vec<&str> = shown.iter().map(String::as_str).collect();
            wide.row(
                vec![
                    row.id.clone(),
                    row.state.to_string(),
                    matchers.clone(),
                    when(row.starts_at),
                    ends.clone(),
                    reason.to_string(),
                    by.to_string(),
                ],
                color,
                &[
                    &[&row.id],
                    &[row.state],
                    &whole_matchers,
                    &[],
                    &[],
                    &[],
                    &[],
                ],
            );
            let details = format!(
                "{matchers}\nfrom {} until {ends}\n{reason}\nby {by}",
                when(row.starts_at)
            );
            let left = format!("{}\n{}", row.id, row.state);
            two.row(
                vec![left.clone(), details.clone()],
                color,
                &[&[&row.id], &[]],
            );
            one.row(vec![format!("{left}\n{details}")], color, &[&[&row.id]]);
        }
        text.push_str(&format!(
            "{}\n",
            lay_out(vec![wide, two, one], width, colours)
        ));
        let count = |state: &str| rows.iter().filter(|r| r.state == state).count();
        let mut summary = format!(
            "{} silence{}: {} active, {} pending",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            count("active"),
            count("pending")
        );
        if all {
            summary.push_str(&format!(", {} ended", count("expired")));
        }
        summary.push('.');
        text.push_str(&wrap(&summary, width));
        text.push('\n');
    }
    if unreadable > 0 {
        text.push_str(&wrap(
            &format!(
                "{unreadable} silence item{} could not be read (see the warnings above).",
                if unreadable == 1 { "" } else { "s" }
            ),
            width,
        ));
        text.push('\n');
    }
    text
}

async fn expire(args: ExpireArgs) -> u8 {
    let id: SilenceId = match args.id.trim().parse() {
        Ok(id) => id,
        Err(err) => {
            return fail(&Trouble {
                message: err.to_string(),
                code: EXIT_INVALID,
            });
        }
    };
    if let Some(by) = &args.by
        && let Err(err) = Silence::check_expired_by(by)
    {
        return fail(&Trouble {
            message: format!("cannot expire the silence: {err}"),
            code: EXIT_INVALID,
        });
    }
    let store = match store(&args.table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let shown = echo(&args.table);
    let now = Utc::now();
    let outcome = match store.expire_silence(&id, now, args.by.as_deref()).await {
        Ok(outcome) => outcome,
        Err(err) => {
            return fail(&Trouble {
                message: format!(
                    "could not expire silence {id} in table {shown}: {}",
                    store_error_line(err.message())
                ),
                code: EXIT_FAILING,
            });
        }
    };
    let mut out = Stdout::new();
    let code = match &outcome {
        ExpireOutcome::Expired(silence) => {
            match args.format {
                Format::Json => out.line(&json(&SilenceRow::of(silence, now))),
                Format::Table => out.line(&wrap(
                    &format!(
                        "Expired silence {id} now ({}); it was to end at {}. Alerts it matched \
                         are sent again from now on.",
                        when(silence.effective_end()),
                        when(silence.ends_at)
                    ),
                    table_width(),
                )),
            }
            EXIT_OK
        }
        ExpireOutcome::NotFound => {
            warn(&format!(
                "credwatch: table {shown} holds no silence {id} (ended silences are kept \
                 {SILENCE_RETENTION_DAYS} days); `credwatch silence list --all` lists them"
            ));
            EXIT_FAILING
        }
        ExpireOutcome::AlreadyEnded(silence) => {
            warn(&format!("credwatch: {}", already_ended(silence)));
            if args.format == Format::Json {
                out.line(&json(&SilenceRow::of(silence, now)));
            }
            EXIT_FAILING
        }
    };
    out.finish(code)
}

/// Pure: why an ended silence cannot be expired again, saying how it ended.
pub fn already_ended(silence: &Silence) -> String {
    let how = match &silence.expired {
        Some(expired) => match &expired.by {
            Some(by) => format!("expired by {}", escape(by)),
            None => "expired".to_string(),
        },
        None => "ran out".to_string(),
    };
    format!(
        "silence {} already ended at {} ({how}); nothing changed",
        silence.id,
        when(silence.effective_end())
    )
}

/// `team=crm-ops, check=auth`.
fn matcher_list(matchers: &[Matcher], separator: &str) -> String {
    matchers
        .iter()
        .map(Matcher::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

/// `2026-06-01 12:00 UTC` (seconds shown only when there are some).
fn when(at: DateTime<Utc>) -> String {
    if at.timestamp() % 60 == 0 {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

/// `2 h`, `3 days 4 h`, `45 min`.
fn span(delta: TimeDelta) -> String {
    let minutes = delta.num_minutes().max(0);
    match minutes {
        m if m < 120 => format!("{m} min"),
        m if m < 2 * 1440 => match m % 60 {
            0 => format!("{} h", m / 60),
            rest => format!("{} h {rest} min", m / 60),
        },
        m => match m % 1440 / 60 {
            0 => format!("{} days", m / 1440),
            hours => format!("{} days {hours} h", m / 1440),
        },
    }
}

mod unknown;

#[cfg(test)]
mod tests;
