//! `credwatch ack ID --by NAME [--note TEXT]` and `credwatch unack ID`: say that someone is on
//! an open incident (reminders and escalation pause until its class changes or it resolves), or
//! take that back. One conditional write on the incident's item; the alert fan-out sees it in
//! the table's stream and tells the team.
//!
//! Exit codes (see [`crate::exit`]): 0 written; 1 no such incident, or it is already resolved
//! (nothing written), or the table could not be written; 2 the id, `--by` or `--note` is not
//! valid (retrying unchanged cannot help).

use chrono::{DateTime, Utc};
use credwatch::domain::incident::{AckError, Acknowledgement, Incident, IncidentId};
use credwatch::notify::scrub::scrub;
use credwatch::store::{AckOutcome, Incidents, StoreError};
use credwatch::text::printable::{self, escape};
use serde::Serialize;

use super::incident::{ack_words, parse_incident_id};
use super::table::{fail, store};
use crate::aws_trouble::{Trouble, store_error_line};
use crate::exit::{EXIT_FAILING, EXIT_INVALID, EXIT_OK};
use crate::output::{Format, Stdout, table_width};
use crate::render::wrap;

/// `credwatch ack|unack --format json`: what the incident is after the write.
#[derive(Serialize)]
pub struct AckReport {
    /// The incident's id.
    pub incident_id: String,
    /// Whether someone is on it now ([`Incident::is_acknowledged`]).
    pub acknowledged: bool,
    /// The acknowledgement written (`ack`), or `null` (`unack`).
    pub ack: Option<Acknowledgement>,
    /// The incident as stored after the write.
    pub incident: Incident,
}

/// `2026-06-01 12:00:00 UTC`.
fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Pure: the acknowledgement `--by` and `--note` ask for at `at`, checked as typed (an
/// unprintable character is refused, not hidden), then kept scrubbed: a token or webhook URL
/// pasted into them never reaches the table or a message.
///
/// # Errors
/// What [`Acknowledgement::new`] refuses.
pub fn acknowledgement(
    by: &str,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Acknowledgement, AckError> {
    let mut ack = Acknowledgement::new(by, note, at)?;
    ack.by = scrub(&ack.by);
    ack.note = ack.note.as_deref().map(scrub);
    Ok(ack)
}

/// `credwatch ack ID --by NAME [--note TEXT] --table T [--format json]`.
pub async fn ack(id: &str, by: &str, note: Option<&str>, table: &str, format: Format) -> u8 {
    let id = match parse_incident_id(id) {
        Ok(id) => id,
        Err(trouble) => return fail(&trouble),
    };
    let ack = match acknowledgement(by, note, Utc::now()) {
        Ok(ack) => ack,
        Err(err) => {
            return fail(&Trouble {
                message: format!("cannot acknowledge {id}: {err}"),
                code: EXIT_INVALID,
            });
        }
    };
    let store = match store(table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let outcome = store.acknowledge(&id, &ack).await;
    finish(&id, table, outcome, format, Ack)
}

/// `credwatch unack ID --table T [--format json]`.
pub async fn unack(id: &str, table: &str, format: Format) -> u8 {
    let id = match parse_incident_id(id) {
        Ok(id) => id,
        Err(trouble) => return fail(&trouble),
    };
    let store = match store(table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    // Whether there is an ack to take back: the fan-out tells the team only then. A failed
    // read is not fatal (the write below says what is wrong); the words then assume there was.
    let had_ack = match store.get_incident(&id).await {
        Ok(Some(incident)) => incident.ack.is_some(),
        Ok(None) | Err(_) => true,
    };
    let outcome = store.unacknowledge(&id).await;
    finish(&id, table, outcome, format, Unack(had_ack))
}

/// What was written: an acknowledgement, or an unack (with whether an ack was there before).
#[derive(Clone, Copy)]
enum Written {
    /// `ack`.
    Ack,
    /// `unack`: `true` when the incident held an acknowledgement before the write.
    Unack(bool),
}
use Written::{Ack, Unack};

/// Says what the write did (stdout) or why nothing was written (stderr); returns the exit code.
fn finish(
    id: &IncidentId,
    table: &str,
    outcome: Result<AckOutcome, StoreError>,
    format: Format,
    written: Written,
) -> u8 {
    let shown = printable::echo(table);
    let verb = match written {
        Ack => "acknowledge",
        Unack(_) => "unacknowledge",
    };
    let incident = match outcome {
        Ok(AckOutcome::Done(incident)) => incident,
        Ok(AckOutcome::NotFound) => {
            return fail(&Trouble {
                message: format!(
                    "cannot {verb} {id}: table {shown} holds no such incident (resolved \
                     incidents are kept about 400 days); `credwatch status` lists the open ones"
                ),
                code: EXIT_FAILING,
            });
        }
        Ok(AckOutcome::Resolved(incident)) => {
            let at = incident
                .resolved_at
                .map(|at| format!(" at {}", when(at)))
                .unwrap_or_default();
            return fail(&Trouble {
                message: format!(
                    "cannot {verb} {id}: it is already resolved{at}, nothing was written; \
                     `credwatch status` lists the open ones"
                ),
                code: EXIT_FAILING,
            });
        }
        Err(err) => {
            return fail(&Trouble {
                message: format!(
                    "could not {verb} {id} in table {shown}: {}",
                    store_error_line(err.message())
                ),
                code: EXIT_FAILING,
            });
        }
    };
    let mut out = Stdout::new();
    match format {
        Format::Json => {
            let report = AckReport {
                incident_id: id.to_string(),
                acknowledged: incident.is_acknowledged(),
                ack: incident.ack.clone().filter(|_| matches!(written, Ack)),
                incident,
            };
            out.line(&serde_json::to_string_pretty(&report).expect("the report serializes"));
        }
        Format::Table => {
            let (acked, had_ack) = match written {
                Ack => (true, true),
                Unack(had_ack) => (false, had_ack),
            };
            out.print(&ack_text(id, &incident, acked, had_ack, table_width()))
        }
    }
    out.finish(EXIT_OK)
}

/// Pure: what `ack` (`acked`) or `unack` prints once written, for `width` columns. For
/// `unack`, `had_ack` says whether an acknowledgement was taken back: only then does the
/// fan-out tell the team (`rules::fanout::ack_change`).
pub fn ack_text(
    id: &IncidentId,
    incident: &Incident,
    acked: bool,
    had_ack: bool,
    width: u16,
) -> String {
    let mut lines = Vec::new();
    let team = escape(&incident.team);
    match (&incident.ack, acked) {
        (Some(ack), true) => {
            lines.push(format!("Incident {id} acknowledged {}.", ack_words(ack)));
            if incident.is_acknowledged() {
                lines.push(
                    "Reminders and escalation are paused until its class changes or it resolves."
                        .to_string(),
                );
            } else {
                // Written, but this computer's clock is behind the incident's last class change.
                lines.push(format!(
                    "Warning: its class changed at {}, after this acknowledgement's time (is \
                     this computer's clock behind?), so reminders and escalation are NOT paused; \
                     run `credwatch ack` again.",
                    when(incident.schedule_since())
                ));
            }
            lines.push(format!("Team {team} is told who is on it within a minute."));
        }
        _ if !had_ack => {
            lines.push(format!(
                "Incident {id} was not acknowledged by anyone: nothing to take back, and the \
                 team is not told."
            ));
            lines.push(
                "Reminders and escalation follow their schedule (`credwatch notifications \
                 preview` shows the next)."
                    .to_string(),
            );
        }
        _ => {
            lines.push(format!("Incident {id} is not acknowledged any more."));
            lines.push(
                "Reminders and escalation follow their schedule again (the next one may be due \
                 at once)."
                    .to_string(),
            );
            lines.push(format!(
                "Team {team} is told within a minute that nobody is on it."
            ));
        }
    }
    lines
        .iter()
        .map(|line| format!("{}\n", wrap(line, width)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwatch::domain::incident::{CheckKind, IncidentClass};
    use credwatch::inventory::Severity;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("a time")
    }

    fn incident(ack: Option<Acknowledgement>, class_since: Option<DateTime<Utc>>) -> Incident {
        Incident {
            id: "crm:auth:3".parse().expect("an id"),
            integration: "crm".into(),
            check: CheckKind::Auth,
            class: IncidentClass::parse("client_auth_failed").expect("a class"),
            severity: Severity::High,
            team: "crm-ops".into(),
            open: true,
            opened_at: at("2026-06-01T12:00:00Z"),
            updated_at: at("2026-06-01T12:00:00Z"),
            resolved_at: None,
            threshold_days: None,
            message: "m".into(),
            http_status: Some(401),
            class_since,
            ack,
        }
    }

    fn dana(note: Option<&str>) -> Acknowledgement {
        Acknowledgement::new("Dana", note, at("2026-06-01T12:10:00Z")).expect("valid")
    }

    #[test]
    fn a_token_or_webhook_url_pasted_into_an_ack_is_kept_redacted() {
        let ack = acknowledgement(
            "Dana Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1",
            Some("posted to https://hooks.slack.com/services/T0A1/B0A2/abcdEFGH1234 ok"),
            at("2026-06-01T12:10:00Z"),
        )
        .expect("valid");
        assert_eq!(ack.by, "Dana [redacted]");
        assert_eq!(
            ack.note.as_deref(),
            Some("posted to [redacted webhook URL] ok")
        );
        // Refused as typed, not hidden by the scrubbing.
        assert!(acknowledgement("Da\u{1b}[2Jna", None, at("2026-06-01T12:10:00Z")).is_err());
    }

    #[test]
    fn ack_words_name_who_when_and_why_escaped() {
        assert_eq!(
            ack_words(&dana(Some("rotating"))),
            "by Dana at 2026-06-01 12:10:00 UTC: rotating"
        );
        assert_eq!(ack_words(&dana(None)), "by Dana at 2026-06-01 12:10:00 UTC");
    }

    #[test]
    fn ack_text_says_who_took_it_what_pauses_and_who_is_told() {
        let id: IncidentId = "crm:auth:3".parse().expect("an id");
        let text = ack_text(
            &id,
            &incident(Some(dana(Some("on it"))), None),
            true,
            true,
            200,
        );
        assert_eq!(
            text,
            "Incident crm:auth:3 acknowledged by Dana at 2026-06-01 12:10:00 UTC: on it.\n\
             Reminders and escalation are paused until its class changes or it resolves.\n\
             Team crm-ops is told who is on it within a minute.\n"
        );
        // The class changed after the ack's time: written, but it does not count.
        let late = incident(Some(dana(None)), Some(at("2026-06-01T12:20:00Z")));
        let text = ack_text(&id, &late, true, true, 200);
        assert!(text.contains("NOT paused"), "{text}");
        assert!(text.contains("2026-06-01 12:20:00 UTC"), "{text}");

        let text = ack_text(&id, &incident(None, None), false, true, 200);
        assert!(text.starts_with("Incident crm:auth:3 is not acknowledged any more.\n"));
        assert!(text.contains("follow their schedule again"), "{text}");
        assert!(
            text.contains("told within a minute that nobody is on it"),
            "{text}"
        );
    }

    #[test]
    fn unack_of_an_incident_nobody_acknowledged_promises_no_message() {
        // The fan-out tells the team only when an ack is taken back (`ack_change`): an unack
        // of an incident without one must not say the team is told.
        let id: IncidentId = "crm:auth:3".parse().expect("an id");
        let text = ack_text(&id, &incident(None, None), false, false, 200);
        assert_eq!(
            text,
            "Incident crm:auth:3 was not acknowledged by anyone: nothing to take back, and the \
             team is not told.\n\
             Reminders and escalation follow their schedule (`credwatch notifications preview` \
             shows the next).\n"
        );
    }
}
