use super::*;
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{CallKind, NetworkError, SCHEMA};
use proptest::prelude::*;

#[test]
fn a_full_event_is_kept_field_by_field() {
    let call = accepted(json!({
        "schema": SCHEMA,
        "event_id": "orders:42.1-a_b",
        "integration_id": "crm-sync",
        "observed_at": "2026-12-01T04:04:00+01:00",
        "host": "MC123.Auth.marketingcloudapis.com.",
        "method": "POST",
        "path_template": "/v2/token",
        "status": 401,
        "oauth_error": "invalid_client",
        "message": "Client authentication failed. Make sure that the client ID and client secret are valid.",
        "retry_after_secs": 0,
        "resend_count": 1,
        "token_age_secs": 1079,
        "account_id": 7281698,
        "client_id": "abc123DEF",
        "reporter": "orders-sync-lambda",
        "trace_id": "4BF92F3577B34DA6A3CE929D0E0E4736",
        "count": 3,
        "window_secs": 60
    }));
    assert_eq!(call.event_id, "orders:42.1-a_b");
    assert_eq!(call.integration_id, "crm-sync");
    assert_eq!(call.source, EventSource::Https);
    assert_eq!(call.received_at, received());
    assert_eq!(
        call.observed_at,
        Utc.with_ymd_and_hms(2026, 12, 1, 3, 4, 0).unwrap()
    );
    // The host tells the kind; it is kept in lower case without the root dot.
    assert_eq!(call.call_kind, CallKind::Token);
    assert_eq!(
        call.host.as_deref(),
        Some("mc123.auth.marketingcloudapis.com")
    );
    assert_eq!(call.status, Some(401));
    assert_eq!(call.class, Some(OutcomeClass::ClientAuthFailed));
    assert_eq!(call.count, 3);
    assert_eq!(call.window_secs, Some(60));
    assert_eq!(call.token_age_secs, Some(1079));
    assert_eq!(call.account_id, Some(7281698));
    assert_eq!(
        call.trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(call.reporter.as_deref(), Some("orders-sync-lambda"));
}

#[test]
fn defaults_and_drawn_event_ids() {
    let a = normalise_event(&event(json!({})), Some(0), &binding()).unwrap();
    let b = normalise_event(&event(json!({})), Some(0), &binding()).unwrap();
    assert_eq!(a.count, 1);
    assert_eq!(a.window_secs, None);
    assert_eq!(a.class, Some(OutcomeClass::Ok));
    assert!(
        a.event_id
            .starts_with(&format!("{}-0-", received().timestamp_millis()))
    );
    assert_ne!(a.event_id, b.event_id, "drawn ids are unique per call");
    // null counts as absent
    let c = accepted(event(json!({"status": null, "message": null})));
    assert_eq!(c.status, None);
    assert_eq!(c.class, None);
}

#[test]
fn credential_like_keys_are_refused_at_any_depth_and_never_echoed() {
    for (value, field) in [
        (
            event(json!({"client_secret": "s3cr3t-VALUE"})),
            "client_secret",
        ),
        (
            event(json!({"Access_Token": "s3cr3t-VALUE"})),
            "Access_Token",
        ),
        (
            event(json!({"AUTHORIZATION": "Bearer s3cr3t-VALUE"})),
            "AUTHORIZATION",
        ),
        (event(json!({"password": "s3cr3t-VALUE"})), "password"),
        (event(json!({"Cookie": "sid=s3cr3t-VALUE"})), "Cookie"),
        (event(json!({"tokens": ["s3cr3t-VALUE"]})), "tokens"),
        (
            event(json!({"extra": {"deep": [{"refresh_token": "s3cr3t-VALUE"}]}})),
            "extra.deep[0].refresh_token",
        ),
    ] {
        let error = refused(value);
        assert_eq!(error.field, field);
        assert_eq!(error.index, Some(3));
        assert!(error.problem.contains("credential"), "{error}");
        let shown = format!(
            "{error} {error:?} {}",
            serde_json::to_string(&error).unwrap()
        );
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
    // token_age_secs is the one exception
    assert_eq!(
        accepted(event(json!({"token_age_secs": 5}))).token_age_secs,
        Some(5)
    );
}

#[test]
fn bodies_server_fields_and_unknown_fields_are_refused() {
    for key in ["body", "request", "response"] {
        let error = refused(event(json!({key: {"x": 1}})));
        assert_eq!(error.field, key);
        assert!(
            error.problem.contains("bodies are never accepted"),
            "{error}"
        );
    }
    for key in ["source", "received_at", "class"] {
        let error = refused(event(json!({key: "x"})));
        assert_eq!(error.field, key);
        assert!(error.problem.contains("set by credwatch"), "{error}");
    }
    let error = refused(event(json!({"statuz": 200})));
    assert_eq!(error.field, "statuz");
    assert!(error.problem.contains("unknown field"));
    // An unknown key is echoed escaped and capped, a token-like one redacted.
    let error = refused(event(json!({"a\nb\u{1b}[2J": 1})));
    assert!(
        !error.field.contains('\n') && !error.field.contains('\u{1b}'),
        "{:?}",
        error.field
    );
    let error = refused(event(json!({"eyJhbGciOiJIUzI1NiJ9abcdef0123456789": 1})));
    assert!(!error.field.contains("eyJhbGci"), "{}", error.field);
    let long = "k".repeat(10_000);
    assert!(refused(event(json!({long: 1}))).field.chars().count() <= 60);
}

#[test]
fn each_field_rule_names_its_field() {
    let cases: Vec<(Value, &str)> = vec![
        (json!("not an object"), "(event)"),
        (event(json!({"schema": "credwatch.sfmc_call.v2"})), "schema"),
        (
            event(json!({"integration_id": "billing"})),
            "integration_id",
        ),
        (event(json!({"event_id": "has space"})), "event_id"),
        (event(json!({"event_id": "x".repeat(65)})), "event_id"),
        (event(json!({"event_id": ""})), "event_id"),
        (json!({"call_kind": "rest"}), "observed_at"),
        (event(json!({"observed_at": "yesterday"})), "observed_at"),
        (
            event(json!({"observed_at": "2026-12-01T02:59:00"})),
            "observed_at",
        ),
        (
            event(json!({"observed_at": "2026-12-01T03:05:01Z"})),
            "observed_at",
        ),
        (
            event(json!({"observed_at": "2026-12-01T00:59:59Z"})),
            "observed_at",
        ),
        (event(json!({"observed_at": 1764558000})), "observed_at"),
        (json!({"observed_at": "2026-12-01T02:59:00Z"}), "call_kind"),
        (
            json!({"observed_at": "2026-12-01T02:59:00Z", "host": "example.com"}),
            "call_kind",
        ),
        (event(json!({"call_kind": "TOKEN"})), "call_kind"),
        (event(json!({"count": 0})), "count"),
        (event(json!({"count": 100001, "window_secs": 60})), "count"),
        (event(json!({"count": 2})), "window_secs"),
        (
            event(json!({"count": 2, "window_secs": 86401})),
            "window_secs",
        ),
        (event(json!({"count": 2, "window_secs": 0})), "window_secs"),
        (event(json!({"status": 99})), "status"),
        (event(json!({"status": 600})), "status"),
        (event(json!({"status": "401"})), "status"),
        (event(json!({"status": 401.0})), "status"),
        (event(json!({"status": 401.5})), "status"),
        (event(json!({"status": -401})), "status"),
        (event(json!({"status": true})), "status"),
        (event(json!({"sfmc_errorcode": -1})), "sfmc_errorcode"),
        (event(json!({"sfmc_errorcode": "50200"})), "sfmc_errorcode"),
        (
            event(json!({"oauth_error": "Invalid Client"})),
            "oauth_error",
        ),
        (event(json!({"oauth_error": "a".repeat(65)})), "oauth_error"),
        (event(json!({"message": 5})), "message"),
        (event(json!({"path_template": "v2/token"})), "path_template"),
        (
            event(json!({"path_template": "/v2/token?client_id=x"})),
            "path_template",
        ),
        (
            event(json!({"path_template": "/v2/token#x"})),
            "path_template",
        ),
        (event(json!({"path_template": "/a b"})), "path_template"),
        (
            event(json!({"path_template": format!("/{}", "a/".repeat(150))})),
            "path_template",
        ),
        (event(json!({"client_id": "abc-123"})), "client_id"),
        (event(json!({"trace_id": "abc"})), "trace_id"),
        (event(json!({"trace_id": "g".repeat(32)})), "trace_id"),
        (
            event(json!({"host": "https://mc.rest.marketingcloudapis.com/"})),
            "host",
        ),
        (
            event(json!({"host": "mc..rest.marketingcloudapis.com"})),
            "host",
        ),
        (event(json!({"method": "get"})), "method"),
        (event(json!({"method": "A".repeat(17)})), "method"),
        (
            event(json!({"network_error": "ECONNRESET"})),
            "network_error",
        ),
        (event(json!({"account_id": 0})), "account_id"),
        (event(json!({"account_id": 1.5e3})), "account_id"),
        (
            event(json!({"retry_after_secs": 4294967296u64})),
            "retry_after_secs",
        ),
        (event(json!({"resend_count": -1})), "resend_count"),
        (event(json!({"token_age_secs": "5"})), "token_age_secs"),
        (event(json!({"reporter": "a\u{0}b"})), "reporter"),
    ];
    for (value, field) in cases {
        let error = refused(value.clone());
        assert_eq!(error.field, field, "{value} -> {error}");
        assert_eq!(
            error.to_string(),
            format!("event 3: {field}: {}", error.problem)
        );
    }
    let lone = normalise_event(&json!([]), None, &binding()).unwrap_err();
    assert_eq!(lone.to_string(), format!("(event): {}", lone.problem));
}

#[test]
fn the_observed_at_window_bounds_are_inclusive() {
    for at in ["2026-12-01T03:05:00Z", "2026-12-01T01:00:00Z"] {
        accepted(event(json!({"observed_at": at})));
    }
    let error = refused(event(json!({"integration_id": "billing"})));
    assert!(error.problem.contains("\"crm-sync\""), "{error}");
    assert!(!error.problem.contains("billing"), "{error}");
}

#[test]
fn paths_lose_their_ids() {
    for (path, template) in [
        ("/v2/token", "/v2/token"),
        (
            "/hub/v1/dataevents/key:ABC/rowset",
            "/hub/v1/dataevents/key:ABC/rowset",
        ),
        ("/contacts/v1/contacts/123456", "/contacts/v1/contacts/{id}"),
        ("/x/123", "/x/123"),
        (
            "/journeys/3f2504e0-4f89-11d3-9a0c-0305e82c3301/versions",
            "/journeys/{id}/versions",
        ),
        ("/assets/0123456789abcdef", "/assets/{id}"),
        (
            "/data/v1/async/dataextensions/{key}/rows",
            "/data/v1/async/dataextensions/{key}/rows",
        ),
        ("/a/eyJhbGciOiJIUzI1NiJ9xyz123456789", "/a/{id}"),
    ] {
        let call = accepted(event(json!({"path_template": path})));
        assert_eq!(call.path_template.as_deref(), Some(template), "{path}");
    }
}

#[test]
fn call_kind_from_the_host() {
    for (host, kind) in [
        (
            "mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com",
            CallKind::Token,
        ),
        (
            "mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com",
            CallKind::Rest,
        ),
        (
            "mc563885gzs27c5t9-63k636ttgm.soap.marketingcloudapis.com",
            CallKind::Soap,
        ),
    ] {
        let call = accepted(json!({"observed_at": "2026-12-01T02:59:00Z", "host": host}));
        assert_eq!(call.call_kind, kind, "{host}");
    }
    // A given call_kind wins over the host.
    let call = accepted(
        json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": "other",
        "host": "mc1.rest.marketingcloudapis.com"}),
    );
    assert_eq!(call.call_kind, CallKind::Other);
}

#[test]
fn messages_are_redacted_then_capped() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    let text = format!(
        "failed with Bearer abc.def and {jwt} client_secret=hunter and password: pass \
         posting to https://hooks.slack.com/services/T0A1/B0A2/abcdEFGH1234 Authorization: Basic dXNlcjpw"
    );
    let call = accepted(event(
        json!({"message": text, "soap_fault": format!("Token Expired {jwt}")}),
    ));
    let message = call.message.unwrap();
    for secret in [
        "abc.def",
        "eyJhbGci",
        "hunter",
        " pass ",
        "abcdEFGH1234",
        "dXNlcjpw",
    ] {
        assert!(!message.contains(secret), "{secret} in {message}");
    }
    assert!(
        message.starts_with("failed with Bearer [redacted]"),
        "{message}"
    );
    assert_eq!(call.soap_fault.as_deref(), Some("Token Expired [redacted]"));
    let long = "word ".repeat(1000);
    let message = accepted(event(json!({"message": long}))).message.unwrap();
    assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS);
    assert!(message.ends_with('…'));
    // SFMC's own words stay readable.
    let words = "Client authentication failed. Make sure that the client ID and client secret are valid and that the package is installed and enabled.";
    assert_eq!(
        accepted(event(json!({"message": words})))
            .message
            .as_deref(),
        Some(words)
    );
}

#[test]
fn network_errors_classify_as_network() {
    for error in NetworkError::ALL {
        let call = accepted(
            json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": "token",
            "network_error": error.as_str()}),
        );
        assert_eq!(call.network_error, Some(error));
        assert_eq!(call.class, Some(OutcomeClass::Network));
    }
}

#[test]
fn bodies_one_event_or_a_batch() {
    let one = normalise_body(
        br#"{"observed_at":"2026-12-01T02:59:00Z","call_kind":"rest","status":200}"#,
        &binding(),
    )
    .unwrap();
    assert_eq!((one.calls.len(), one.rejected.len()), (1, 0));
    let batch = json!({"events": [event(json!({})), event(json!({"status": "x"})), event(json!({"secret": 1})), event(json!({"status": 401, "sfmc_errorcode": 0}))]});
    let out = normalise_body(batch.to_string().as_bytes(), &binding()).unwrap();
    assert_eq!(out.calls.len(), 2, "one bad event never stops the others");
    assert_eq!(out.calls[1].class, Some(OutcomeClass::RestUnauthorized));
    let indexes: Vec<_> = out
        .rejected
        .iter()
        .map(|e| (e.index, e.field.as_str()))
        .collect();
    assert_eq!(indexes, vec![(Some(1), "status"), (Some(2), "secret")]);
    // A lone refused event is listed, not an error of the body.
    let lone = normalise_body(br#"{"status":200}"#, &binding()).unwrap();
    assert_eq!((lone.calls.len(), lone.rejected[0].index), (0, None));
}

#[test]
fn whole_bodies_refused() {
    let b = binding();
    // Exactly the limit is read (padded with JSON whitespace); one byte more is refused unread.
    let mut full =
        br#"{"observed_at":"2026-12-01T02:59:00Z","call_kind":"rest","status":200}"#.to_vec();
    full.resize(MAX_BODY_BYTES, b' ');
    assert_eq!(normalise_body(&full, &b).unwrap().calls.len(), 1);
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        normalise_body(&big, &b),
        Err(BodyError::TooLarge {
            bytes: MAX_BODY_BYTES + 1,
            limit: MAX_BODY_BYTES
        })
    );
    let many = json!({"events": vec![event(json!({})); MAX_EVENTS_PER_REQUEST + 1]});
    assert_eq!(
        normalise_value(&many, &b),
        Err(BodyError::TooManyEvents {
            events: 501,
            limit: 500
        })
    );
    let exactly = json!({"events": vec![event(json!({})); MAX_EVENTS_PER_REQUEST]});
    assert_eq!(normalise_value(&exactly, &b).unwrap().calls.len(), 500);
    assert_eq!(
        normalise_value(&json!({"events": []}), &b),
        Err(BodyError::NoEvents)
    );
    for value in [
        json!([]),
        json!(5),
        json!({"events": {}}),
        json!({"events": [], "schema": SCHEMA}),
    ] {
        assert!(
            matches!(normalise_value(&value, &b), Err(BodyError::NotAnEvent(_))),
            "{value}"
        );
    }
    for bytes in [
        &b"{\"message\": \"client_secret=hunter2\""[..],
        b"\xff\xfe{}",
        b"",
        b"{\"status\": 1e999}",
        b"{\"status\": NaN}",
    ] {
        match normalise_body(bytes, &b) {
            Err(BodyError::NotJson(why)) => {
                assert!(!why.contains("hunter2") && why.contains("line"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }
    // serde_json's nesting limit bounds deep input.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        normalise_body(deep.as_bytes(), &b),
        Err(BodyError::NotJson(_))
    ));
}

#[test]
fn hostile_events_are_bounded() {
    // 1 MB of keys: refused on the first unknown one, quickly.
    let mut keys = serde_json::Map::new();
    for i in 0..50_000 {
        keys.insert(format!("k{i}"), json!(i));
    }
    let error = normalise_event(&Value::Object(keys), Some(0), &binding()).unwrap_err();
    assert!(error.problem.contains("unknown field"));
    // A huge message is cut, not refused; one endless word is dropped whole (a cut token could
    // otherwise survive as a fragment too short to look like one).
    let huge = "x".repeat(900_000);
    assert_eq!(accepted(event(json!({"message": huge}))).message, None);
    let huge = format!("Not Authorized {}", "x".repeat(900_000));
    let call = accepted(event(json!({"message": huge})));
    assert_eq!(call.message.as_deref(), Some("Not Authorized"));
    // Duplicate keys: serde_json keeps the last.
    let out = normalise_body(
        br#"{"observed_at":"2026-12-01T02:59:00Z","call_kind":"rest","status":500,"status":200}"#,
        &binding(),
    )
    .unwrap();
    assert_eq!(out.calls[0].status, Some(200));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("2026-12-01T02:59:00Z".to_string()),
            Just("rest".to_string()),
            Just("token".to_string()),
            Just("mc1.auth.marketingcloudapis.com".to_string()),
            Just("/v2/token".to_string()),
        ]
        .prop_map(Value::String),
    ];
    let keys = prop_oneof![
        prop::sample::select(vec![
            "observed_at",
            "call_kind",
            "status",
            "count",
            "window_secs",
            "host",
            "message",
            "path_template",
            "oauth_error",
            "sfmc_errorcode",
            "soap_fault",
            "event_id",
            "client_secret",
            "AccessToken",
            "token_age_secs",
            "Cookie",
            "reporter",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z_]{1,12}",
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn has_credential_key(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| {
            let lower = k.to_ascii_lowercase();
            (k != "token_age_secs"
                && ["token", "secret", "authorization", "password", "cookie"]
                    .iter()
                    .any(|w| lower.contains(w)))
                || has_credential_key(v)
        }),
        Value::Array(items) => items.iter().any(has_credential_key),
        _ => false,
    }
}

proptest! {
    #[test]
    fn no_input_panics_or_keeps_a_credential_key(value in arb_json()) {
        let result = normalise_event(&value, Some(0), &binding());
        if has_credential_key(&value) {
            prop_assert!(result.is_err());
        }
        let _ = normalise_value(&value, &binding());
        let _ = normalise_body(value.to_string().as_bytes(), &binding());
    }

    #[test]
    fn no_bytes_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = normalise_body(&bytes, &binding());
    }
}

#[test]
fn the_readme_example_is_accepted() {
    let example = r#"{"observed_at": "2026-12-01T03:04:05Z", "call_kind": "token", "host": "mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com",
 "method": "POST", "path_template": "/v2/token", "status": 401, "oauth_error": "invalid_client",
 "message": "Client authentication failed. Make sure that the client ID and client secret are valid and that the package is installed and enabled.",
 "client_id": "4b2f9c1d8e7a6b5c", "reporter": "orders-sync-lambda", "event_id": "orders-sync:2026-12-01T03:04:05Z:1"}"#;
    let out = normalise_body(example.as_bytes(), &binding()).unwrap();
    assert_eq!(out.rejected, vec![]);
    assert_eq!(out.calls[0].class, Some(OutcomeClass::ClientAuthFailed));
    assert_eq!(out.calls[0].event_id, "orders-sync:2026-12-01T03:04:05Z:1");
}

/// A raw path may be longer than the 200 characters a template may have: ids shrink to `{id}`.
#[test]
fn a_long_raw_path_that_templates_short_is_kept() {
    let path = format!("/asset/v1/content/assets/{}", "ab12".repeat(150));
    let call = accepted(event(json!({ "path_template": path })));
    assert_eq!(
        call.path_template.as_deref(),
        Some("/asset/v1/content/assets/{id}")
    );
}

/// Text beyond a field's byte limit is refused before any other rule reads it, the limit named.
#[test]
fn text_over_its_byte_limit_is_refused_unread() {
    for (field, value, limit) in [
        (
            "path_template",
            format!("/asset/v1/content/assets/{}", "ab12".repeat(200)),
            800,
        ),
        ("oauth_error", "a".repeat(65), 64),
        ("host", format!("{}.example.com", "a".repeat(250)), 253),
    ] {
        let error = refused(event(json!({ field: value })));
        assert_eq!(
            (error.field.as_str(), error.problem.as_str()),
            (
                field,
                format!("is too long (at most {limit} bytes)").as_str()
            ),
        );
    }
}

/// The credential-key search looks at 100,000 keys at most: one more refuses the event whole.
#[test]
fn the_key_search_stops_after_one_hundred_thousand_keys() {
    let with_keys = |keys: usize| {
        let mut value = event(json!({}));
        let object = value.as_object_mut().unwrap();
        let base = object.len();
        for i in 0..keys - base {
            object.insert(format!("x{i}"), json!(1));
        }
        refused(value)
    };
    let at_limit = with_keys(100_000);
    assert!(
        !at_limit.problem.contains("holds more than"),
        "{at_limit:?}"
    );
    let over = with_keys(100_001);
    assert_eq!(over.field, "(event)");
    assert_eq!(
        over.problem,
        "holds more than 100000 values: send only the schema's fields"
    );
}

/// UUIDs become `{id}`; a 36-character segment that is no UUID stays, as does a template of
/// exactly 200 characters.
#[test]
fn uuid_segments_and_the_template_length_limit() {
    // UUIDs without a digit or without a letter: no token shape, only the UUID rule tells.
    for (segment, id) in [
        ("12345678-1234-1234-1234-123456789012", true),
        ("abcdefab-cdef-abcd-efab-cdefabcdefab", true),
        ("ABCDEFAB-CDEF-ABCD-EFAB-CDEFABCDEFAB", true),
        // Not hexadecimal, five dashes, or 35 characters.
        ("abcdefab-cdef-abcd-efab-cdefabcdefag", false),
        ("abcdefab-cdef-abcd-efab-cdef-bcdefab", false),
        ("abcdefab-cdef-abcd-efab-cdefabcdefa", false),
        ("route-name-of-thirty-six-characters", false),
    ] {
        let call = accepted(event(
            json!({ "path_template": format!("/contacts/{segment}") }),
        ));
        let expected = if id {
            "/contacts/{id}".to_string()
        } else {
            format!("/contacts/{segment}")
        };
        assert_eq!(
            call.path_template.as_deref(),
            Some(expected.as_str()),
            "{segment}"
        );
    }
    let exactly = format!("/{}", "route/".repeat(33).trim_end_matches('/'));
    let exactly = format!("{exactly}{}", "x".repeat(200 - exactly.len()));
    assert_eq!(exactly.len(), 200);
    let call = accepted(event(json!({ "path_template": exactly.clone() })));
    assert_eq!(call.path_template.as_deref(), Some(exactly.as_str()));
    let error = refused(event(json!({ "path_template": format!("{exactly}y") })));
    assert_eq!(error.field, "path_template");
}
