//! The pure parts of `credwatch ingest token`: what create, revoke and list print.

use chrono::TimeZone;

use super::*;

const TOKEN: &str = "cwi_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[test]
fn created_text_shows_the_token_and_a_curl_line_unwrapped() {
    let text = created_text("crm-sync", TOKEN, "1a2b3c4d", None, 40);
    assert!(text.contains(&format!("\n  {TOKEN}\n")), "{text}");
    let curl = text
        .lines()
        .find(|l| l.trim_start().starts_with("curl"))
        .expect("a curl line");
    assert!(
        curl.contains(&format!("-H \"Authorization: Bearer {TOKEN}\"")),
        "{curl}"
    );
    assert!(curl.contains("\"$INGEST_URL/v1/events\""), "{curl}");
    // A success observed at the time it is run: never an incident, never too old.
    assert!(
        curl.contains(r#"-d '{"observed_at":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","call_kind":"token","status":200}'"#),
        "{curl}"
    );
    assert!(text.contains("IngestUrl"), "{text}");
    assert!(text.contains("1a2b3c4d"), "{text}");
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("`credwatch ingest token revoke --integration crm-sync`"),
        "{text}"
    );
    // Only the token line and the curl line hold it: exactly twice.
    assert_eq!(text.matches(TOKEN).count(), 2, "{text}");
}

#[test]
fn created_text_uses_the_url_given() {
    let text = created_text(
        "crm-sync",
        TOKEN,
        "1a2b3c4d",
        Some("https://abc.lambda-url.eu-west-1.on.aws/"),
        120,
    );
    assert!(
        text.contains("\"https://abc.lambda-url.eu-west-1.on.aws/v1/events\""),
        "{text}"
    );
    assert!(!text.contains("$INGEST_URL"), "{text}");
}

#[test]
fn revoked_text_says_how_many() {
    assert_eq!(
        revoked_text("crm-sync", 0),
        "Integration crm-sync had no ingest tokens; nothing to revoke."
    );
    assert!(revoked_text("crm-sync", 1).starts_with("Revoked 1 ingest token of"));
    assert!(revoked_text("crm-sync", 3).starts_with("Revoked 3 ingest tokens of"));
}

#[test]
fn rows_are_oldest_first_with_short_ids_only() {
    let at = |h| Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap();
    let token = |hash: &str, h| IngestToken {
        hash: hash.repeat(64 / hash.len()),
        integration: "crm-sync".into(),
        created_at: at(h),
    };
    let rows = token_rows(&[token("bb", 9), token("aa", 7), token("cc", 9)]);
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["aaaaaaaa", "bbbbbbbb", "cccccccc"]);
    let text = list_text("crm-sync", &rows, 80, false);
    assert!(text.contains("aaaaaaaa") && text.contains("2026-12-01 07:00:00 UTC"));
    assert!(
        !text.contains(&"a".repeat(9)),
        "never more of the hash: {text}"
    );
    assert!(
        text.contains("3 ingest tokens of integration crm-sync"),
        "{text}"
    );
    assert!(list_text("crm-sync", &[], 80, false).contains("has no ingest tokens"));
}

#[test]
fn ids_are_checked_before_any_call() {
    assert!(checked_id("crm-sync").is_ok());
    let trouble = checked_id("CRM Sync").unwrap_err();
    assert_eq!(trouble.code, EXIT_INVALID);
    assert!(trouble.message.contains("is not an integration id"));
}

/// The curl line's body, once the shell filled in the time, is one event the ingest function
/// accepts: a successful token call, so pasting it never opens an incident.
#[test]
fn the_example_body_is_an_accepted_success() {
    use credwatch::domain::outcome::OutcomeClass;
    use credwatch::domain::passive::EventSource;
    use credwatch::passive::{Binding, normalise_body};
    let text = created_text("crm-sync", TOKEN, "1a2b3c4d", None, 200);
    let curl = text
        .lines()
        .find(|l| l.trim_start().starts_with("curl"))
        .expect("a curl line");
    let quoted = curl
        .split("-d '")
        .nth(1)
        .expect("a body")
        .trim_end_matches('\'');
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let body = quoted.replace(
        r#"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"#,
        &now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    let binding = Binding {
        integration: "crm-sync".into(),
        source: EventSource::Https,
        received_at: now,
    };
    let normalised = normalise_body(body.as_bytes(), &binding).expect("a usable body");
    assert!(normalised.rejected.is_empty(), "{:?}", normalised.rejected);
    assert_eq!(normalised.calls.len(), 1);
    assert_eq!(normalised.calls[0].class, Some(OutcomeClass::Ok));
}
