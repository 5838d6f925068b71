//! The exit codes of the `credwatch` command, a contract scripts rely on: 0 all ok, 1 some
//! integration failing (or AWS unreachable on the way), 2 the command cannot run as given.
//!
//! `incident show`: 0 shown (open or resolved); 2 an id not of the form `integration:check:seq`,
//! or no such incident in the table (as for a missing table: retrying unchanged cannot help);
//! 1 the table could not be read.
//!
//! `silence add`: 0 added; 2 the silence cannot be made as given (no matcher, a bad value, an
//! end not after now, longer than 90 days); 1 the table could not be written. `silence list`:
//! 0 listed; 1 the table could not be read. `silence expire`: 0 ended now; 1 no such silence,
//! or it had already ended (the message says which), or the table could not be written; 2 not
//! a silence id.
//! `ack` / `unack`: 0 written; 1 no such incident, or already resolved (nothing written), or
//! the table could not be written; 2 an id not of the form `integration:check:seq`, or a `--by`
//! / `--note` out of bounds.
//! `drill`: 0 every named team got its drill published and has a confirmed email subscription
//! or a Slack webhook that accepted the post; 1 some team has not (the table names it), or AWS
//! failed on the way; 2 an unknown team, a bad `--wait`, a malformed topic ARN, no such table
//! or topic (nothing written).
//! `ingest token create`: 0 created (the token printed once); 2 a malformed `--integration`, or
//! no such integration (or table); 1 the table could not be read or written, or no random
//! bytes. `ingest token list`: 0 listed; 1 the table could not be read. `ingest token revoke`:
//! 0 revoked (also none); 1 the table could not be written. Both 2 for a malformed
//! `--integration`.
//! `status`: 1 also when what an integration reported (passive tracking) could not be read;
//! everything else is shown first. `incident show` likewise when a passive incident's reported
//! calls could not be read.

/// Exit code: every integration checked is healthy; the command did what it was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code: some integration is failing, or AWS could not be reached or refused on the way.
pub const EXIT_FAILING: u8 = 1;
/// Exit code: the command cannot run as given (invalid input); retrying unchanged cannot help.
pub const EXIT_INVALID: u8 = 2;
