//! The probe function's inputs: which events it accepts and what each asks for.

use chrono::{DateTime, Utc};
use credwatch::jobs::probe_cycle::Selection;
use serde_json::Value;

/// Secrets Manager API calls (and service events) after which the secret's value may differ.
pub const SECRET_CHANGE_EVENTS: [&str; 3] = ["PutSecretValue", "UpdateSecret", "RotationSucceeded"];

/// What an invocation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Probe this selection: what is due, the integrations named, or the one whose secret changed.
    Probe(Selection),
    /// A well-formed event that needs no work (e.g. an UpdateSecret that changed only the
    /// description); said in the response so nobody wonders.
    Ignore(String),
}

/// Reads an invocation payload:
/// - an EventBridge "Scheduled Event" -> probe what is due;
/// - `{"integrations": ["id", ...], "force": true}` (direct invoke) -> probe those;
/// - a Secrets Manager change delivered by EventBridge from CloudTrail -> record the rotation and
///   probe the integrations using that secret.
pub fn parse_request(payload: &Value, now: DateTime<Utc>) -> Result<Request, String> {
    if let Some(ids) = payload.get("integrations") {
        let ids = ids
            .as_array()
            .filter(|ids| !ids.is_empty())
            .ok_or("`integrations` must be a non-empty list of integration ids")?
            .iter()
            .map(|id| {
                id.as_str()
                    .map(str::to_string)
                    .ok_or("every entry of `integrations` must be a string id")
            })
            .collect::<Result<Vec<_>, _>>()?;
        let force = match payload.get("force") {
            None => false,
            Some(Value::Bool(force)) => *force,
            Some(_) => return Err("`force` must be true or false".to_string()),
        };
        return Ok(Request::Probe(Selection::Only { ids, force }));
    }
    let detail_type = payload
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let source = payload
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if detail_type == "Scheduled Event" {
        return Ok(Request::Probe(Selection::Due));
    }
    if source == "aws.secretsmanager" {
        return secret_change(payload, now);
    }
    Err(format!(
        "unrecognised event (source {source:?}, detail-type {detail_type:?}); expected an EventBridge \
         Scheduled Event, a Secrets Manager change from CloudTrail, or {{\"integrations\": [...], \"force\": true}}"
    ))
}

fn secret_change(payload: &Value, now: DateTime<Utc>) -> Result<Request, String> {
    let detail = payload
        .get("detail")
        .ok_or("Secrets Manager event without `detail`")?;
    let event_name = detail
        .get("eventName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !SECRET_CHANGE_EVENTS.contains(&event_name) {
        return Ok(Request::Ignore(format!(
            "Secrets Manager {event_name} does not change a secret value"
        )));
    }
    let secret_id = secret_id_of(detail).ok_or_else(|| {
        format!("Secrets Manager {event_name} event names no secret (no secretId or SecretId)")
    })?;
    if event_name == "UpdateSecret" && !changes_value(detail) {
        return Ok(Request::Ignore(format!(
            "UpdateSecret of {secret_id} did not change its value"
        )));
    }
    let at = detail
        .get("eventTime")
        .or_else(|| payload.get("time"))
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(now, |t| t.to_utc());
    Ok(Request::Probe(Selection::SecretChanged { secret_id, at }))
}

/// The secret an event is about. API calls carry the caller's `requestParameters.secretId` (a
/// name or an ARN); service events such as RotationSucceeded carry `additionalEventData.SecretId`.
/// Secrets Manager has spelled the response ARN both `arn` and `aRN`.
fn secret_id_of(detail: &Value) -> Option<String> {
    let text = |pointer: &str| {
        detail
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    text("/requestParameters/secretId")
        .or_else(|| text("/additionalEventData/SecretId"))
        .or_else(|| text("/responseElements/arn"))
        .or_else(|| text("/responseElements/aRN"))
        .or_else(|| text("/responseElements/ARN"))
        .map(str::to_string)
}

/// An UpdateSecret changes the value only when it carried one; CloudTrail hides values, but
/// keeps the fact that `secretString` / `secretBinary` was sent, and the new version id.
fn changes_value(detail: &Value) -> bool {
    let request = detail.get("requestParameters");
    let sent = |key: &str| request.and_then(|r| r.get(key)).is_some();
    sent("secretString")
        || sent("secretBinary")
        || detail.pointer("/responseElements/versionId").is_some()
        // Older or trimmed entries say neither: probing once too often is harmless.
        || request.is_none_or(|r| r.get("description").is_none() && r.get("kmsKeyId").is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn scheduled_event_probes_what_is_due() {
        assert_eq!(
            parse_request(&fixture("scheduled.json"), now()),
            Ok(Request::Probe(Selection::Due))
        );
    }

    #[test]
    fn direct_invocation_names_integrations() {
        let payload = serde_json::json!({"integrations": ["a", "b"], "force": true});
        assert_eq!(
            parse_request(&payload, now()),
            Ok(Request::Probe(Selection::Only {
                ids: vec!["a".into(), "b".into()],
                force: true
            }))
        );
        assert!(parse_request(&serde_json::json!({"integrations": []}), now()).is_err());
        assert!(
            parse_request(&serde_json::json!({"integrations": [1]}), now())
                .unwrap_err()
                .contains("string")
        );
        assert!(
            parse_request(
                &serde_json::json!({"integrations": ["a"], "force": "yes"}),
                now()
            )
            .is_err()
        );
    }

    #[test]
    fn secrets_manager_changes_name_the_secret_and_time() {
        let put = parse_request(&fixture("put-secret-value.json"), now()).unwrap();
        let Request::Probe(Selection::SecretChanged { secret_id, at }) = put else {
            panic!("{put:?}")
        };
        assert_eq!(secret_id, "sfmc/crm-contact-sync");
        assert_eq!(at.to_rfc3339(), "2026-11-20T09:15:42+00:00");

        let rotation = parse_request(&fixture("rotation-succeeded.json"), now()).unwrap();
        let Request::Probe(Selection::SecretChanged { secret_id, .. }) = rotation else {
            panic!("{rotation:?}")
        };
        assert!(
            secret_id.starts_with("arn:aws:secretsmanager:")
                && secret_id.contains(":secret:sfmc/crm-contact-sync-")
        );

        let update = parse_request(&fixture("update-secret.json"), now()).unwrap();
        assert!(
            matches!(update, Request::Probe(Selection::SecretChanged { .. })),
            "{update:?}"
        );
    }

    #[test]
    fn unrelated_events_are_refused_or_ignored_with_a_reason() {
        let mut read = fixture("put-secret-value.json");
        read["detail"]["eventName"] = "GetSecretValue".into();
        assert!(matches!(
            parse_request(&read, now()),
            Ok(Request::Ignore(_))
        ));
        let mut description_only = fixture("update-secret.json");
        description_only["detail"]["requestParameters"] =
            serde_json::json!({"secretId": "sfmc/x", "description": "new words"});
        description_only["detail"]["responseElements"] = serde_json::json!({"arn": "arn:aws:secretsmanager:us-east-1:1:secret:sfmc/x-abcdef", "name": "sfmc/x"});
        assert!(matches!(
            parse_request(&description_only, now()),
            Ok(Request::Ignore(_))
        ));
        let err = parse_request(&serde_json::json!({"hello": "world"}), now()).unwrap_err();
        assert!(err.contains("unrecognised event"), "{err}");
    }
}
