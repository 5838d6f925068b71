//! `credwatch ingest token create|revoke|list --integration ID`: the bearer tokens an
//! integration's reporter sends to the ingest function's URL (passive tracking). A token is
//! printed once, when created; the table keeps only its SHA-256 hash, so neither the table nor
//! any later command can show it again.
//!
//! Exit codes (see [`crate::exit`]): `create` 0 created; 2 not an integration id, or no such
//! integration in the table (or no such table); 1 the table could not be read or written, or
//! the operating system gave no random bytes. `revoke` 0 revoked (also when there were none);
//! 2 not an integration id; 1 the table could not be written. `list` 0 listed; 2 not an
//! integration id; 1 the table could not be read.

use chrono::{DateTime, Utc};
use comfy_table::Color;
use credwatch::config::TABLE_VAR;
use credwatch::domain::passive::IngestToken;
use credwatch::inventory::is_valid_id;
use credwatch::secrets::ingest_token::{draw_ingest_token, ingest_token_hash, short_id};
use credwatch::store::{IngestTokens, Integrations, StoreError};
use credwatch::text::printable::echo;
use serde::Serialize;

use super::table::{fail, fail_reading, store};
use crate::aws_trouble::{Trouble, store_error_line};
use crate::exit::{EXIT_FAILING, EXIT_INVALID, EXIT_OK};
use crate::output::{Format, Stdout, stdout_colours, table_width, warn};
use crate::render::{Grid, lay_out, wrap};

/// Attempts at drawing a token whose hash is new (256 random bits: one is plenty).
const DRAW_ATTEMPTS: u32 = 3;

/// `credwatch ingest ...`.
#[derive(clap::Subcommand)]
pub enum IngestCommand {
    /// Bearer tokens of the ingest function's URL: one integration's reporter sends one with
    /// each POST of its SFMC results.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

/// `credwatch ingest token ...`.
#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Create a token for an integration and print it, this once (the table keeps only its
    /// hash). Exit 2 if the table has no such integration.
    Create(TokenArgs),
    /// Revoke every token of an integration: its reporters are refused (401) from now on.
    Revoke(TokenArgs),
    /// List an integration's tokens by creation time, each named by a short id (never the
    /// token).
    List(TokenArgs),
}

/// What every `ingest token` command takes.
#[derive(clap::Args)]
pub struct TokenArgs {
    /// The integration (its inventory id) whose calls the token reports.
    #[arg(long, value_name = "ID")]
    integration: String,
    /// The credwatch DynamoDB table.
    #[arg(long = "table", env = TABLE_VAR, value_name = "NAME")]
    table: String,
    /// The ingest function's URL (the stack's IngestUrl output): `create` prints a curl line
    /// ready to paste. Without it the line says $INGEST_URL.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// `credwatch ingest token create --format json`. The only output that ever holds a token.
#[derive(Serialize)]
pub struct CreatedToken<'a> {
    /// The integration it reports for.
    pub integration: &'a str,
    /// The token itself (`cwi_…`), shown this once.
    pub token: &'a str,
}

/// `credwatch ingest token revoke --format json`.
#[derive(Serialize)]
pub struct RevokedTokens<'a> {
    /// The integration.
    pub integration: &'a str,
    /// How many tokens were deleted.
    pub revoked: usize,
}

/// `credwatch ingest token list --format json`.
#[derive(Serialize)]
pub struct TokenListing<'a> {
    /// The integration.
    pub integration: &'a str,
    /// Its tokens, oldest first.
    pub tokens: Vec<TokenRow>,
}

/// One token as `list` shows it: never the token, never the whole hash.
#[derive(Serialize)]
pub struct TokenRow {
    /// The first 8 hex digits of the token's SHA-256 (what `create` called its id).
    pub id: String,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
}

/// `credwatch ingest ...`: runs the subcommand, returns its exit code.
pub async fn ingest(command: IngestCommand) -> u8 {
    let IngestCommand::Token { command } = command;
    match command {
        TokenCommand::Create(args) => create(args).await,
        TokenCommand::Revoke(args) => revoke(args).await,
        TokenCommand::List(args) => list(args).await,
    }
}

/// `--integration` checked as the inventory checks ids, before any AWS call.
fn checked_id(id: &str) -> Result<(), Trouble> {
    if is_valid_id(id) {
        return Ok(());
    }
    Err(Trouble {
        message: format!(
            "{} is not an integration id: ids are 1 to 64 lowercase letters, digits and dashes, \
             as in the inventory (`credwatch status` lists them)",
            echo(id)
        ),
        code: EXIT_INVALID,
    })
}

async fn create(args: TokenArgs) -> u8 {
    if let Err(trouble) = checked_id(&args.integration) {
        return fail(&trouble);
    }
    let store = match store(&args.table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let shown = echo(&args.table);
    let id = args.integration.as_str();
    match store.get_integration(id).await {
        Ok(Some(record)) if record.retired => warn(&format!(
            "credwatch: warning: integration {id} is retired (no longer in the inventory): its \
             reports are refused (401) until it is back in the inventory"
        )),
        Ok(Some(_)) => {}
        // The item is there, only unreadable: the token is still the integration's.
        Err(StoreError::Corrupt { .. }) => warn(&format!(
            "credwatch: warning: the table item of integration {id} cannot be read; \
             `credwatch inventory apply` rewrites it"
        )),
        Ok(None) => {
            return fail(&Trouble {
                message: format!(
                    "table {shown} holds no integration {id}; add it to the inventory and run \
                     `credwatch inventory apply` first (`credwatch status` lists the \
                     integrations)"
                ),
                code: EXIT_INVALID,
            });
        }
        Err(err) => return fail_reading(&shown, err.message()),
    }
    let now = Utc::now();
    let mut stored = None;
    for attempt in 1..=DRAW_ATTEMPTS {
        let token = match draw_ingest_token() {
            Ok(token) => token,
            Err(err) => {
                return fail(&Trouble {
                    message: format!(
                        "the operating system gave no random bytes for a token: {err}"
                    ),
                    code: EXIT_FAILING,
                });
            }
        };
        let record = IngestToken {
            hash: ingest_token_hash(token.expose()),
            integration: id.to_string(),
            created_at: now,
        };
        match store.put_ingest_token(&record).await {
            Ok(()) => {
                stored = Some((token, record.hash));
                break;
            }
            // A hash already on record (never in practice): draw again.
            Err(StoreError::Conflict { .. }) if attempt < DRAW_ATTEMPTS => {}
            Err(err) => {
                return fail(&Trouble {
                    message: format!(
                        "could not store the ingest token in table {shown}: {}",
                        store_error_line(err.message())
                    ),
                    code: EXIT_FAILING,
                });
            }
        }
    }
    let Some((token, hash)) = stored else {
        return fail(&Trouble {
            message: format!("could not store a new ingest token in table {shown}"),
            code: EXIT_FAILING,
        });
    };
    let mut out = Stdout::new();
    match args.format {
        Format::Json => out.line(
            &serde_json::to_string_pretty(&CreatedToken {
                integration: id,
                token: token.expose(),
            })
            .expect("a created token serializes"),
        ),
        Format::Table => out.print(&created_text(
            id,
            token.expose(),
            short_id(&hash),
            args.url.as_deref(),
            table_width(),
        )),
    }
    out.finish(EXIT_OK)
}

/// Pure: what `create` prints for people: the token on a line of its own and a curl line to
/// paste (neither wrapped, so both copy whole; it reports one successful token call observed
/// now, in POSIX shell), then how to keep and revoke it.
pub fn created_text(
    integration: &str,
    token: &str,
    short: &str,
    url: Option<&str>,
    width: u16,
) -> String {
    let url = url.map_or_else(
        || "$INGEST_URL".to_string(),
        |u| echo(u.trim_end_matches('/')),
    );
    // A success observed now (events older than 24 hours are refused; a failure would open an
    // incident): safe to paste as a first test of the route.
    let example =
        r#"{"observed_at":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","call_kind":"token","status":200}"#;
    let mut text = wrap(
        &format!(
            "Created ingest token {short} for integration {integration}. It is shown this once: \
             credwatch keeps only its hash. Store it where the integration keeps its secrets."
        ),
        width,
    );
    text.push_str(&format!("\n\n  {token}\n\n"));
    text.push_str(&wrap(
        "The integration's reporter sends it with each POST of its SFMC results:",
        width,
    ));
    text.push_str(&format!(
        "\n\n  curl -sS -X POST \"{url}/v1/events\" -H \"Authorization: Bearer {token}\" \
         -H \"Content-Type: application/json\" -d '{example}'\n\n"
    ));
    let mut after = String::new();
    if url == "$INGEST_URL" {
        after.push_str("INGEST_URL is the stack's IngestUrl output (or give --url). ");
    }
    after.push_str(&format!(
        "`credwatch ingest token revoke --integration {integration}` revokes every token of \
         the integration."
    ));
    text.push_str(&wrap(&after, width));
    text.push('\n');
    text
}

async fn revoke(args: TokenArgs) -> u8 {
    if let Err(trouble) = checked_id(&args.integration) {
        return fail(&trouble);
    }
    let store = match store(&args.table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let id = args.integration.as_str();
    let revoked = match store.revoke_ingest_tokens(id).await {
        Ok(n) => n,
        Err(err) => {
            return fail(&Trouble {
                message: format!(
                    "could not revoke the ingest tokens of integration {id} in table {}: {}",
                    echo(&args.table),
                    store_error_line(err.message())
                ),
                code: EXIT_FAILING,
            });
        }
    };
    let mut out = Stdout::new();
    match args.format {
        Format::Json => out.line(
            &serde_json::to_string_pretty(&RevokedTokens {
                integration: id,
                revoked,
            })
            .expect("a count serializes"),
        ),
        Format::Table => out.line(&wrap(&revoked_text(id, revoked), table_width())),
    }
    out.finish(EXIT_OK)
}

/// Pure: what `revoke` says.
pub fn revoked_text(integration: &str, revoked: usize) -> String {
    match revoked {
        0 => format!("Integration {integration} had no ingest tokens; nothing to revoke."),
        1 => format!(
            "Revoked 1 ingest token of integration {integration}; reporters sending it are \
             refused (401) from now on."
        ),
        n => format!(
            "Revoked {n} ingest tokens of integration {integration}; reporters sending them are \
             refused (401) from now on."
        ),
    }
}

async fn list(args: TokenArgs) -> u8 {
    if let Err(trouble) = checked_id(&args.integration) {
        return fail(&trouble);
    }
    let store = match store(&args.table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let id = args.integration.as_str();
    let tokens = match store.ingest_tokens_of(id).await {
        Ok(tokens) => tokens,
        Err(err) => return fail_reading(&echo(&args.table), err.message()),
    };
    let rows = token_rows(&tokens);
    let mut out = Stdout::new();
    match args.format {
        Format::Json => out.line(
            &serde_json::to_string_pretty(&TokenListing {
                integration: id,
                tokens: rows,
            })
            .expect("token rows serialize"),
        ),
        Format::Table => out.print(&list_text(id, &rows, table_width(), stdout_colours())),
    }
    out.finish(EXIT_OK)
}

/// Pure: the rows of `tokens`, oldest first (then by id, so equal times list alike).
pub fn token_rows(tokens: &[IngestToken]) -> Vec<TokenRow> {
    let mut rows: Vec<TokenRow> = tokens
        .iter()
        .map(|t| TokenRow {
            id: short_id(&t.hash).to_string(),
            created_at: t.created_at,
        })
        .collect();
    rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    rows
}

/// Pure: the table `list` prints, and a count.
pub fn list_text(integration: &str, rows: &[TokenRow], width: u16, colours: bool) -> String {
    if rows.is_empty() {
        return wrap(
            &format!(
                "Integration {integration} has no ingest tokens; `credwatch ingest token create \
                 --integration {integration}` makes one."
            ),
            width,
        ) + "\n";
    }
    let mut grid = Grid::new(vec!["Token id", "Created"]);
    for row in rows {
        let created = row.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        grid.row(
            vec![row.id.clone(), created],
            Color::Reset,
            &[&[&row.id], &[]],
        );
    }
    let noun = if rows.len() == 1 { "token" } else { "tokens" };
    format!(
        "{}\n{}\n",
        lay_out(vec![grid], width, colours),
        wrap(
            &format!(
                "{} ingest {noun} of integration {integration} (the token itself is never shown \
                 again).",
                rows.len()
            ),
            width
        )
    )
}

#[cfg(test)]
mod tests;
