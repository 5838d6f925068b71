//! What a message says, once, as labelled lines: the email, the Chatbot view and the document
//! all render these. Text is plain (control characters escaped); each output adds its own
//! markup and escaping.

use chrono::{DateTime, Utc};

use super::trim::{Trim, cut, listed};
use crate::domain::incident::{CheckKind, IncidentClass};
use crate::notify::annotations::{HoldKind, Role};
use crate::notify::notification::{Event, Notification};
use crate::notify::words::{
    display_name, headline, humanize, impact_phrase, next_step, what_broke, where_in_sfmc,
};

/// One labelled line: `Since: 2026-11-30 13:05 UTC (2 h ago)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// `What broke`, `Since`, ...
    pub label: &'static str,
    /// The text after the label.
    pub text: String,
}

/// A message's content, before any output's markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// `Loyalty points feed: secret rejected by SFMC`, `Resolved: ...`.
    pub title: String,
    /// The body lines, most important first.
    pub lines: Vec<Line>,
    /// What to do now, one step per entry.
    pub next_steps: Vec<String>,
    /// Routing and ids: team, severity, check, class, incident, notification.
    pub footer: Vec<Line>,
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn line(label: &'static str, text: impl Into<String>) -> Line {
    Line {
        label,
        text: text.into(),
    }
}

/// The integration's name for a body line (escaped, cut to the trim's length).
pub fn name(n: &Notification, trim: &Trim) -> String {
    display_name(&n.integration.name, &n.integration.id, trim.name_chars)
}

/// What broke, in a sentence.
fn broke_sentence(n: &Notification, name: &str) -> String {
    let id = &n.integration.id;
    match (n.check, n.class) {
        (CheckKind::Monitor, IncidentClass::SlackWebhookRefused) => "credwatch cannot post a \
            team's alerts to its Slack channel: Slack refuses the team's incoming webhook, or the \
            webhook's secret cannot be used. The team's email alerts still go out, and each \
            refused message is recorded on its notification; this is for the platform team."
            .to_string(),
        (CheckKind::Monitor, class) => format!(
            "credwatch itself cannot check {name} (integration {id}): {}. Whether the \
             integration works is unknown until this is fixed; this is for the platform team.",
            what_broke(class, n.threshold_days)
        ),
        (CheckKind::Passive, class) => passive_sentence(class, name, id),
        (_, IncidentClass::SecretExpiring) => match n.expiry {
            Some(e) => format!(
                "The client secret of {name} (integration {id}) expires on {} ({} left).",
                e.expires_on,
                days(e.days_left.max(0))
            ),
            None => format!(
                "The client secret of {name} (integration {id}) {}.",
                what_broke(n.class, n.threshold_days).trim_start_matches("client secret ")
            ),
        },
        (_, IncidentClass::SecretExpired) => match n.expiry {
            Some(e) => format!(
                "The client secret of {name} (integration {id}) expired on {} ({} ago): SFMC \
                 refuses it.",
                e.expires_on,
                days(-e.days_left.min(0))
            ),
            None => format!(
                "The client secret of {name} (integration {id}) has expired: SFMC refuses it."
            ),
        },
        (_, IncidentClass::ExpiryUnknown) => format!(
            "credwatch does not know when the client secret of {name} (integration {id}) expires."
        ),
        (_, class) => format!(
            "{name} (integration {id}): {}.",
            what_broke(class, n.threshold_days)
        ),
    }
}

/// What broke for a passive incident: the integration itself reported it (credwatch read it
/// from the calls the integration sends, not from its own probe), per class.
fn passive_sentence(class: IncidentClass, name: &str, id: &str) -> String {
    match class {
        IncidentClass::ReportedAuthFailure => format!(
            "{name} (integration {id}) itself reported that SFMC refuses its credential: its own \
             token requests or API calls fail with a credential or access error."
        ),
        IncidentClass::TokenRefreshRace => format!(
            "{name} (integration {id}) itself reported API calls refused with 401 that succeed \
             moments later: it keeps using its access token until SFMC has expired it."
        ),
        IncidentClass::ScopeDrift => format!(
            "{name} (integration {id}) itself reported calls refused for a missing permission \
             (SFMC code 20002), the first in 7 days."
        ),
        IncidentClass::TokenRequestRate => format!(
            "{name} (integration {id}) itself reported far more token requests than SFMC's one \
             every 20 minutes."
        ),
        IncidentClass::TokenRequestsBlocked => format!(
            "{name} (integration {id}) itself reported that SFMC blocks its token requests (429, \
             code 50200)."
        ),
        IncidentClass::IntegrationSilent => format!(
            "{name} (integration {id}) has stopped reporting its SFMC calls to credwatch: either \
             it stopped working, or the path its reports take broke."
        ),
        IncidentClass::IdentityMismatch => format!(
            "{name} (integration {id}) itself reported calls made with another client id or \
             account id (MID) than the inventory's."
        ),
        class => format!(
            "{name} (integration {id}) itself reported: {}.",
            what_broke(class, None)
        ),
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// What the alert-operations rules add: the reminder or escalation step, for whom a copy is,
/// who acknowledged, why it was held, the credential and the other incidents named.
fn operations_lines(n: &Notification, trim: &Trim) -> Vec<Line> {
    let echo = crate::text::printable::echo;
    let mut lines = Vec::new();
    if let Some(credential) = &n.credential {
        // The notice is about one of the integrations; the others are its members, each
        // named with its team. Name this one's team too: a copy goes to the other owners.
        let owner = if credential.owner.is_empty() {
            String::new()
        } else {
            format!(
                " ({} of team {} and the others named below)",
                cut(&echo(&n.integration.id), trim.name_chars),
                cut(&echo(&credential.owner), trim.name_chars)
            )
        };
        lines.push(line(
            "Credential",
            format!(
                "client id {} on {}, used by {} integrations{owner}: one fix (the installed \
                 package's secret or settings) fixes them all",
                cut(&echo(&credential.client_id), trim.name_chars),
                cut(&echo(&credential.auth_host), trim.name_chars),
                n.members.len() + 1
            ),
        ));
    }
    if let Some(step) = n.step {
        let open_for = humanize((n.at - step.since).max(chrono::TimeDelta::zero()));
        match n.event {
            Event::Reminder => lines.push(line(
                "Reminder",
                format!(
                    "reminder {}: still failing, unacknowledged, for {open_for}",
                    step.n
                ),
            )),
            Event::Escalated => lines.push(line(
                "Escalated",
                format!("nobody acknowledged it for {open_for}"),
            )),
            _ => {}
        }
    }
    if let Some(copy) = &n.on_behalf_of {
        let owner = echo(&copy.owner);
        lines.push(line(
            "Sent to you",
            match copy.role {
                Role::Escalation => {
                    format!("as the escalation team of team {owner}, which has not acknowledged it")
                }
                Role::AfterHours => format!(
                    "as the after-hours team of team {owner}: it is critical and team {owner} \
                     is outside its business hours"
                ),
            },
        ));
    }
    if let Some(ack) = &n.ack {
        let note = ack
            .note
            .as_deref()
            .map(|note| format!(": {}", cut(&echo(note), trim.words_chars)))
            .unwrap_or_default();
        lines.push(line(
            "Acknowledged",
            format!(
                "{} is on it since {}{note}. Reminders and escalation stop until its class \
                 changes or it resolves.",
                cut(&echo(&ack.by), trim.name_chars),
                when(ack.at)
            ),
        ));
    }
    if let Some(held) = &n.held {
        let since = when(held.since);
        let reason = cut(&echo(&held.reason), trim.words_chars);
        lines.push(line(
            "Held",
            match held.kind {
                HoldKind::Deferred => {
                    format!("deferred since {since} to business hours (not critical): {reason}")
                }
                HoldKind::Silenced => {
                    format!(
                        "silenced since {since}; the silence ended and it is still open: {reason}"
                    )
                }
                HoldKind::Maintenance => {
                    format!("held since {since} by a maintenance window that has ended: {reason}")
                }
            },
        ));
    }
    if !n.members.is_empty() {
        let names: Vec<String> = n
            .members
            .iter()
            .map(|m| {
                format!(
                    "{} ({}, team {}, {})",
                    display_name(&m.name, &m.integration, trim.name_chars),
                    m.integration,
                    echo(&m.team),
                    m.class
                )
            })
            .collect();
        lines.push(line(
            "Also affected",
            listed(&names, trim.depends_on_max, trim.depends_on_chars),
        ));
    }
    lines
}

/// The content of `n`, with the long parts limited by `trim`.
pub fn facts(n: &Notification, trim: &Trim) -> Facts {
    let name = name(n, trim);
    let broke = headline(n);
    let duration = n.duration();
    let title = match n.event {
        Event::Resolved => format!("Resolved: {name}: {broke}"),
        Event::Acknowledged => format!("Acknowledged: {name}: {broke}"),
        Event::Drill => format!("Drill: {name}: test message, nothing is wrong"),
        Event::Reminder => format!("Still open: {name}: {broke}"),
        Event::Escalated => format!("Escalated: {name}: {broke}"),
        Event::Digest if n.resolved_at.is_some() => {
            format!("Resolved too: {} more like {name}", n.members.len())
        }
        Event::Digest => format!("{} more failing like {name}: {broke}", n.members.len()),
        _ => format!("{name}: {broke}"),
    };
    let mut lines = Vec::new();
    if n.event == Event::Drill {
        lines.push(line(
            "Drill",
            "This is a test of the alert route: nothing is wrong. If you read this, alerts reach you.",
        ));
    }
    lines.push(line("What broke", broke_sentence(n, &name)));
    if let Some(previous) = n.previous {
        let mut changes = Vec::new();
        if previous.class != n.class {
            changes.push(format!(
                "was {} ({}), now {} ({})",
                what_broke(previous.class, previous.threshold_days),
                previous.class,
                broke,
                n.class
            ));
        }
        if previous.threshold_days != n.threshold_days {
            let show = |t: Option<u32>| match t {
                Some(0) => "expired".to_string(),
                Some(d) => format!("{} or less", days(i64::from(d))),
                None => "none".to_string(),
            };
            changes.push(format!(
                "expiry threshold was {}, now {}",
                show(previous.threshold_days),
                show(n.threshold_days)
            ));
        }
        if previous.severity != n.severity {
            changes.push(format!(
                "severity was {}, now {}",
                previous.severity.as_str(),
                n.severity.as_str()
            ));
        }
        if !changes.is_empty() {
            lines.push(line("Changed", changes.join("; ")));
        }
    }
    lines.extend(operations_lines(n, trim));
    match n.resolved_at {
        Some(end) => lines.push(line(
            "Lasted",
            format!(
                "{} (from {} to {})",
                humanize(duration),
                when(n.opened_at),
                when(end)
            ),
        )),
        None => lines.push(line(
            "Since",
            format!("{} ({} ago)", when(n.opened_at), humanize(duration)),
        )),
    }
    // "SFMC said" only for SFMC's own words (the probe quotes them as `SFMC said: ...`); what
    // credwatch concluded (a missing scope, a gateway's page, the network) is labelled as such.
    let quoted = n.message.strip_prefix("SFMC said: ");
    let words = cut(quoted.unwrap_or(&n.message), trim.words_chars);
    if !words.is_empty() {
        let label = match (n.event, quoted) {
            (Event::Resolved, _) => "What ended it",
            (_, Some(_)) => "SFMC said",
            _ if n.check == CheckKind::Auth => "What credwatch saw",
            _ => "Details",
        };
        let text = match n.http_status {
            // The status, unless the words already give it.
            Some(status) if n.event != Event::Resolved && !words.contains(&status.to_string()) => {
                format!("HTTP {status}: {words}")
            }
            _ => words,
        };
        lines.push(line(label, text));
    }
    let depends = listed(
        &n.integration.depends_on,
        trim.depends_on_max,
        trim.depends_on_chars,
    );
    lines.push(line(
        "Depends on it",
        if depends.is_empty() {
            "nothing recorded (add depends_on to the integration in the inventory)".to_string()
        } else {
            depends
        },
    ));
    // Data stops only while the credential fails: not while a secret merely nears expiry, and
    // not for credwatch's own trouble (whether the integration works is unknown then).
    let failing = n.check == CheckKind::Auth || n.class == IncidentClass::SecretExpired;
    if failing {
        let resolved = n.event == Event::Resolved;
        let impact = impact_phrase(n.integration.records_per_hour, duration).unwrap_or_else(|| {
            "unknown (add records_per_hour to the integration in the inventory)".to_string()
        });
        lines.push(line(
            if resolved {
                "Estimated total impact"
            } else {
                "Estimated impact so far"
            },
            impact,
        ));
        if resolved && n.check == CheckKind::Auth {
            lines.push(line(
                "Re-processing",
                format!(
                    "data that should have flowed between {} and {} may be missing and may need \
                     re-processing.",
                    when(n.opened_at),
                    when(n.resolved_at.unwrap_or(n.at))
                ),
            ));
        }
    }
    let mut next_steps = Vec::new();
    match n.event {
        Event::Resolved => next_steps.push(
            "Nothing is failing now. Check whether data missed while it lasted needs re-processing."
                .to_string(),
        ),
        Event::Drill => next_steps.push("Nothing to do.".to_string()),
        Event::Acknowledged => next_steps.push(format!(
            "Nothing for the rest of the team; to hand it back: credwatch unack {}",
            n.incident_id
        )),
        _ => {
            next_steps.push(next_step(n.class).to_string());
            next_steps.push(format!(
                "Taking it? credwatch ack {} --by YOUR_NAME stops reminders and escalation.",
                n.incident_id
            ));
        }
    }
    if let Some(runbook) = &n.integration.runbook {
        next_steps.push(format!(
            "Runbook: {}",
            cut(runbook.trim(), trim.runbook_chars)
        ));
    }
    if let Some(place) = where_in_sfmc(n.class).filter(|_| n.event != Event::Drill) {
        next_steps.push(format!("Where in SFMC: {place}"));
    }
    let footer = vec![
        line("Team", crate::text::printable::echo(&n.team)),
        line("Severity", n.severity.as_str()),
        line("Check", n.check.as_str()),
        line("Class", n.class.as_str()),
        line("Incident", n.incident_id.as_str()),
        line("Notification", n.id.as_str()),
    ];
    Facts {
        title,
        lines,
        next_steps,
        footer,
    }
}
