//! Step 5 of `credwatch demo`: the integrations' own SFMC results (passive tracking). Two
//! integrations get an ingest token (as `credwatch ingest token create` issues one); their
//! reporters POST `credwatch.sfmc_call.v1` events to the ingest use case exactly as the function
//! URL hands them over (`jobs::ingest::https::handle_request`: token check, normaliser, rules,
//! store), over one simulated hour on the demo's store, with the alert fan-out running every
//! minute. CRM contact sync, whose probe is green, reports token requests refused with
//! `invalid_client` (its deployed copy still has the old secret): a `reported_auth_failure`
//! opens and credwatch's probe looks again at once. Web collect forms reports REST 401-then-200
//! pairs (it refreshes its token only after SFMC expired it): a low `token_refresh_race`. Then
//! three refusals: no token, a `client_secret` key, another integration's id.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, Incident, IncidentClass};
use credwatch::domain::passive::IngestToken;
use credwatch::domain::severity::Severity;
use credwatch::jobs::ingest::IngestConfig;
use credwatch::jobs::ingest::https::{EVENTS_PATH, HttpRequest, handle_request};
use credwatch::jobs::probe_cycle::{CycleSettings, Selection, run_cycle};
use credwatch::notify::publish::PublishRequest;
use credwatch::notify::words::thousands;
use credwatch::probe::Prober;
use credwatch::secrets::ingest_token::{draw_ingest_token, ingest_token_hash};
use credwatch::secrets::{LocalSecrets, Secret};
use credwatch::store::memory::MemoryStore;
use credwatch::store::{Incidents, IngestTokens, Integrations};
use serde_json::{Value, json};
use tracing::instrument::WithSubscriber as _;

use super::delivery::Mailroom;

/// The integration whose probe is green but whose deployed copy uses the old secret.
pub const REPORTS_FAILURES: &str = "crm-contact-sync";
/// The integration that refreshes its token only after SFMC expired it.
pub const RACES: &str = "web-collect-forms";
/// Simulated minutes of the step.
pub const MINUTES: i64 = 62;
/// What the refused event carries under `client_secret` (never shown, never echoed).
const LEAKED: &str = "Zt8-not-shown-3Qw";

/// One request a reporter sent and credwatch's answer.
pub struct Exchange {
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// Whose token it carried (`None`: no token).
    pub integration: Option<String>,
    /// What it is, in a few words.
    pub what: String,
    /// The body as shown (shortened; a refused value replaced by `…`).
    pub shown: String,
    /// Events in the body.
    pub events: usize,
    /// The HTTP status answered.
    pub status: u16,
    /// The JSON body answered.
    pub answer: Value,
    /// Incidents the request opened.
    pub opened: Vec<Incident>,
    /// Whether credwatch's probe was asked to look now.
    pub probe_asked: bool,
}

/// What step 5 produced.
#[derive(Default)]
pub struct Passive {
    /// Integrations that got a token (each printed as `cwi_…`).
    pub tokens: Vec<String>,
    /// The requests, in order: the reports first, the refusals last.
    pub exchanges: Vec<Exchange>,
    /// Lines about credwatch's own probe (time, words).
    pub probes: Vec<(DateTime<Utc>, String)>,
    /// Messages published about the passive incidents, with their simulated time.
    pub sent: Vec<(DateTime<Utc>, PublishRequest)>,
    /// Where the step differs from the story (empty when it went as scripted).
    pub problems: Vec<String>,
}

/// Runs the step from `start` on `store` (the demo's, after step 4), through `mailroom`;
/// `prober` is credwatch's probe against the simulator.
pub async fn passive_step(
    store: &MemoryStore,
    mailroom: &mut Mailroom,
    prober: &Prober,
    start: DateTime<Utc>,
) -> Passive {
    let mut step = Passive::default();
    let mut tokens = BTreeMap::new();
    for integration in [REPORTS_FAILURES, RACES] {
        match issue_token(store, integration, start).await {
            Ok(token) => {
                tokens.insert(integration, token);
                step.tokens.push(integration.to_string());
            }
            Err(problem) => step.problems.push(problem),
        }
    }
    let mut seen = mailroom.sent().len();
    for minute in 0..=MINUTES {
        let now = start + TimeDelta::minutes(minute);
        let token = |id: &'static str| tokens.get(id).map(|t: &Secret| (id, t.expose()));
        match minute {
            0 => probe(store, prober, now, true, &mut step).await,
            5 => {
                let body = json!({"events": (0..6).map(|i| token_refused(now, 170 - 30 * i)).collect::<Vec<_>>()});
                let what = "6 token requests refused with 401 invalid_client";
                send(
                    store,
                    &mut step,
                    now,
                    token(REPORTS_FAILURES),
                    what,
                    body,
                    None,
                )
                .await;
            }
            6 => probe(store, prober, now, false, &mut step).await,
            30 | 60 => {
                let ages = if minute == 30 {
                    [1_077, 1_079]
                } else {
                    [1_075, 1_078]
                };
                let body = race_batch(now, ages);
                let what = format!(
                    "2 REST 401-then-200 pairs (token_age_secs {} and {}) and 90 successful calls",
                    thousands(u64::from(ages[0])),
                    thousands(u64::from(ages[1]))
                );
                send(store, &mut step, now, token(RACES), &what, body, None).await;
            }
            61 => refusals(store, &mut step, now, token(REPORTS_FAILURES)).await,
            _ => {}
        }
        mailroom.deliver(store, now).await;
        let all = mailroom.sent();
        step.sent.extend(
            all[seen..]
                .iter()
                .filter(|r| r.attributes.get("check").map(String::as_str) == Some("passive"))
                .cloned()
                .map(|r| (now, r)),
        );
        seen = all.len();
    }
    let problems = check(&step);
    step.problems.extend(problems);
    step
}

/// Draws a token and stores its hash, as `credwatch ingest token create` does; the token
/// stays a [`Secret`] (zeroed when dropped), sent only in the requests' `Authorization`.
async fn issue_token(
    store: &MemoryStore,
    integration: &str,
    now: DateTime<Utc>,
) -> Result<Secret, String> {
    let token = draw_ingest_token()
        .map_err(|e| format!("no random bytes for an ingest token of {integration}: {e}"))?;
    store
        .put_ingest_token(&IngestToken {
            hash: ingest_token_hash(token.expose()),
            integration: integration.to_string(),
            created_at: now,
        })
        .await
        .map_err(|e| format!("the ingest token of {integration} was not stored: {e}"))?;
    Ok(token)
}

/// credwatch's own probe of [`REPORTS_FAILURES`] at `now`: forced (as every cycle would have
/// probed it), or only if due (after the report asked for it).
async fn probe(
    store: &MemoryStore,
    prober: &Prober,
    now: DateTime<Utc>,
    force: bool,
    step: &mut Passive,
) {
    let selection = Selection::Only {
        ids: vec![REPORTS_FAILURES.to_string()],
        force,
    };
    let settings = CycleSettings::default();
    match run_cycle(store, prober, &LocalSecrets, &selection, now, &settings).await {
        Ok(summary) if summary.probed == 1 => {
            let class = match store.get_integration(REPORTS_FAILURES).await {
                Ok(Some(record)) => record.state.last_class.map(|c| c.to_string()),
                _ => None,
            };
            let class = class.unwrap_or_else(|| "?".to_string());
            let words = if force {
                format!("credwatch's probe of CRM contact sync (its usual cycle): {class}")
            } else {
                format!(
                    "credwatch's probe of CRM contact sync, due at once after the report: {class}; \
                     the secret credwatch holds works, so the deployed copy is outdated"
                )
            };
            step.probes.push((now, words));
            if class != "ok" {
                step.problems.push(format!(
                    "passive: the probe of {REPORTS_FAILURES} should be ok, was {class}"
                ));
            }
        }
        Ok(_) => step.problems.push(format!(
            "passive: credwatch's probe of {REPORTS_FAILURES} did not run at {now}"
        )),
        Err(error) => step
            .problems
            .push(format!("passive: the probe cycle failed: {error}")),
    }
}

/// One token request refused, `secs_ago` seconds before `now`.
fn token_refused(now: DateTime<Utc>, secs_ago: i64) -> Value {
    json!({
        "observed_at": (now - TimeDelta::seconds(secs_ago)).to_rfc3339(),
        "call_kind": "token",
        "status": 401,
        "oauth_error": "invalid_client",
        "message": "Client authentication failed. Please verify that you are using a valid client id and client secret.",
        "reporter": "crm-sync/4.2",
    })
}

/// A reporter's half-hour batch: two REST 401-then-200 pairs with the token's age, and the
/// half hour's other successful calls as one aggregate.
fn race_batch(now: DateTime<Utc>, ages: [u32; 2]) -> Value {
    let at = |ago: i64| (now - TimeDelta::seconds(ago)).to_rfc3339();
    let mut events = Vec::new();
    for (ago, age) in [(1_500, ages[0]), (420, ages[1])] {
        for (status, delay) in [(401, 0), (200, 2)] {
            events.push(json!({
                "observed_at": at(ago - delay),
                "call_kind": "rest",
                "method": "POST",
                "path_template": "/hub/v1/dataevents/key:{key}/rowset",
                "status": status,
                "token_age_secs": age + u32::try_from(delay).unwrap_or(0),
            }));
        }
    }
    events.push(json!({
        "observed_at": at(60),
        "call_kind": "rest",
        "status": 200,
        "count": 90,
        "window_secs": 1_800,
    }));
    json!({ "events": events })
}

/// Sends one request with `reporter`'s (integration, token) (none: no `Authorization`) and
/// keeps the exchange.
async fn send(
    store: &MemoryStore,
    step: &mut Passive,
    now: DateTime<Utc>,
    reporter: Option<(&str, &str)>,
    what: &str,
    body: Value,
    shown: Option<String>,
) {
    let before = open_passive(store).await;
    let request = HttpRequest {
        method: "POST".to_string(),
        path: EVENTS_PATH.to_string(),
        authorization: reporter.map(|(_, t)| format!("Bearer {t}")),
        body: serde_json::to_vec(&body).expect("a JSON value serializes"),
    };
    // The deployed function logs each refused event (field and problem, never a value); the
    // demo shows the same refusals on stdout, so its stderr stays for the demo's own problems.
    let (response, summary) = handle_request(store, &IngestConfig::default(), &request, now)
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await;
    let opened = open_passive(store)
        .await
        .into_iter()
        .filter(|i| !before.iter().any(|b| b.id == i.id))
        .collect();
    let events = body["events"].as_array().map_or(1, Vec::len);
    step.exchanges.push(Exchange {
        at: now,
        integration: reporter.map(|(id, _)| id.to_string()),
        what: what.to_string(),
        shown: shown.unwrap_or_else(|| shorten(&body)),
        events,
        status: response.status,
        answer: response.body,
        opened,
        probe_asked: summary.probes_requested > 0,
    });
}

/// The passive incidents open now.
async fn open_passive(store: &MemoryStore) -> Vec<Incident> {
    store
        .open_incidents()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.check == CheckKind::Passive)
        .collect()
}

/// A body as shown: the first event (long words cut), the others counted.
fn shorten(body: &Value) -> String {
    let short = |event: &Value| -> String {
        let mut event = event.clone();
        if let Some(fields) = event.as_object_mut() {
            for value in fields.values_mut() {
                if let Some(text) = value.as_str().filter(|t| t.chars().count() > 32) {
                    *value = json!(format!("{}…", text.chars().take(29).collect::<String>()));
                }
            }
        }
        event.to_string()
    };
    match body["events"].as_array() {
        Some(events) if events.len() > 1 => format!(
            "{{\"events\": [{}, … {} more]}}",
            short(&events[0]),
            events.len() - 1
        ),
        _ => short(body),
    }
}

/// The refusals: no token, a `client_secret` key, another integration's `integration_id`.
async fn refusals(
    store: &MemoryStore,
    step: &mut Passive,
    now: DateTime<Utc>,
    token: Option<(&str, &str)>,
) {
    let event = json!({"observed_at": now.to_rfc3339(), "call_kind": "token", "status": 200});
    send(store, step, now, None, "no token", event.clone(), None).await;
    let mut with_secret = event.clone();
    with_secret["client_secret"] = json!(LEAKED);
    let shown = Some(
        json!({"observed_at": now.to_rfc3339(), "call_kind": "token", "status": 200, "client_secret": "…"})
            .to_string(),
    );
    send(
        store,
        step,
        now,
        token,
        "an event with a client_secret",
        with_secret,
        shown,
    )
    .await;
    let mut foreign = event;
    foreign["integration_id"] = json!(RACES);
    send(
        store,
        step,
        now,
        token,
        "another integration's id",
        foreign,
        None,
    )
    .await;
}

/// The demo checks its own step.
fn check(step: &Passive) -> Vec<String> {
    let mut problems = Vec::new();
    let opened: Vec<&Incident> = step.exchanges.iter().flat_map(|e| &e.opened).collect();
    let find = |class: IncidentClass| opened.iter().find(|i| i.class == class);
    match find(IncidentClass::ReportedAuthFailure) {
        Some(i) if i.integration == REPORTS_FAILURES && i.team == "crm-ops" => {
            if !i.message.contains("outdated secret or another package") {
                problems.push(format!(
                    "passive: {} does not say the secret is likely outdated: {}",
                    i.id, i.message
                ));
            }
        }
        _ => problems.push(format!(
            "passive: no reported_auth_failure opened for {REPORTS_FAILURES} (crm-ops)"
        )),
    }
    let email = |class: &str| {
        step.sent
            .iter()
            .find(|(_, r)| r.attributes.get("class").map(String::as_str) == Some(class))
            .map(|(_, r)| email_of(r))
            .unwrap_or_default()
    };
    if !email("reported_auth_failure").contains("outdated secret or another package") {
        problems.push(
            "passive: the team's email does not say the secret is likely outdated".to_string(),
        );
    }
    if !email("token_refresh_race").contains("1,075-1,078 s old") {
        problems.push("passive: the race's email does not give the tokens' age".to_string());
    }
    if !step.exchanges.iter().any(|e| e.probe_asked) {
        problems.push(
            "passive: the reported failures did not ask credwatch's probe to look".to_string(),
        );
    }
    match find(IncidentClass::TokenRefreshRace) {
        Some(i) if i.integration == RACES && i.severity == Severity::Low => {}
        _ => problems.push(format!(
            "passive: no low token_refresh_race opened for {RACES}"
        )),
    }
    for incident in &opened {
        let told = step.sent.iter().any(|(_, r)| {
            r.attributes.get("incident_id").map(String::as_str) == Some(incident.id.as_str())
                && r.attributes.get("event").map(String::as_str) == Some("opened")
                && r.attributes.get("team") == Some(&incident.team)
        });
        if !told {
            problems.push(format!(
                "passive: {} opened but {} was not told",
                incident.id, incident.team
            ));
        }
    }
    let refused: Vec<&Exchange> = step.exchanges.iter().filter(|e| e.status >= 400).collect();
    let expected = [
        (401, None),
        (400, Some("client_secret")),
        (400, Some("integration_id")),
    ];
    if refused.len() != expected.len() {
        problems.push(format!(
            "passive: {} requests were refused, 3 expected",
            refused.len()
        ));
    }
    for (exchange, (status, field)) in refused.iter().zip(expected) {
        let named = field.is_none_or(|f| field_of(exchange).is_some_and(|got| got.contains(f)));
        if exchange.status != status || !named {
            problems.push(format!(
                "passive: `{}` answered {} {}",
                exchange.what, exchange.status, exchange.answer
            ));
        }
        if exchange.answer.to_string().contains(LEAKED) {
            problems.push(format!(
                "passive: `{}` echoed the refused value",
                exchange.what
            ));
        }
    }
    problems
}

/// The email body of a published message.
pub fn email_of(request: &PublishRequest) -> String {
    let bodies: Value = serde_json::from_str(&request.message).unwrap_or(Value::Null);
    bodies["email"].as_str().unwrap_or("").to_string()
}

/// The field the first refused event of an answer names.
pub fn field_of(exchange: &Exchange) -> Option<&str> {
    exchange.answer["rejected"][0]["field"].as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_check_names_every_finding_that_did_not_happen() {
        let problems = check(&Passive::default());
        for expected in [
            "passive: no reported_auth_failure opened for crm-contact-sync (crm-ops)",
            "passive: the team's email does not say the secret is likely outdated",
            "passive: the race's email does not give the tokens' age",
            "passive: the reported failures did not ask credwatch's probe to look",
            "passive: no low token_refresh_race opened for web-collect-forms",
            "passive: 0 requests were refused, 3 expected",
        ] {
            assert!(
                problems.iter().any(|p| p == expected),
                "{expected}: {problems:?}"
            );
        }
    }

    #[test]
    fn a_refusal_that_echoes_the_value_or_names_another_field_is_a_problem() {
        let refused = |status: u16, answer: Value| Exchange {
            at: DateTime::<Utc>::MIN_UTC,
            integration: None,
            what: "x".to_string(),
            shown: String::new(),
            events: 1,
            status,
            answer,
            opened: Vec::new(),
            probe_asked: false,
        };
        let step = Passive {
            exchanges: vec![
                refused(401, json!({"error": "no token"})),
                refused(
                    400,
                    json!({"rejected": [{"field": "status", "problem": LEAKED}]}),
                ),
                refused(400, json!({"rejected": [{"field": "integration_id"}]})),
            ],
            ..Passive::default()
        };
        let problems = check(&step);
        let about_refusals: Vec<&String> = problems
            .iter()
            .filter(|p| p.starts_with("passive: `x`"))
            .collect();
        assert_eq!(about_refusals.len(), 2, "{problems:?}");
        assert!(
            about_refusals[1].ends_with("echoed the refused value"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_shown_body_keeps_the_first_event_and_counts_the_rest() {
        let body = json!({"events": [
            {"message": "Client authentication failed. Please verify", "status": 401},
            {"status": 401},
        ]});
        assert_eq!(
            shorten(&body),
            r#"{"events": [{"message":"Client authentication failed.…","status":401}, … 1 more]}"#
        );
    }
}
