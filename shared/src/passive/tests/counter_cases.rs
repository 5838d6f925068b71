use super::*;
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{CallKind, CounterKey};
use proptest::prelude::*;

#[test]
fn keys_of_calls() {
    let call = accepted(
        json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": "token",
        "status": 401, "oauth_error": "invalid_client",
        "message": "Client authentication failed."}),
    );
    let key = CounterKey::of(&call);
    assert_eq!(key.to_text(), "token|401|invalid_client|client_auth_failed");
    let call = accepted(
        json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": "token",
        "status": 429, "oauth_error": "x", "sfmc_errorcode": 50200}),
    );
    assert_eq!(CounterKey::of(&call).to_text(), "token|429|50200|throttled");
    let call = accepted(event(json!({})));
    assert_eq!(CounterKey::of(&call).to_text(), "rest|200|-|ok");
    let call = accepted(
        json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": "rest",
        "network_error": "dns"}),
    );
    assert_eq!(CounterKey::of(&call).to_text(), "rest|-|-|network");
    let call = accepted(json!({"observed_at": "2026-12-01T02:59:00Z", "call_kind": "other"}));
    assert_eq!(CounterKey::of(&call).to_text(), "other|-|-|-");
    // A negative code of a hand-built call never reaches the key.
    let mut call = call;
    call.sfmc_errorcode = Some(-5);
    assert_eq!(CounterKey::of(&call).code, None);
}

#[test]
fn text_that_is_not_a_key() {
    for text in [
        "",
        "token",
        "token|401|x",
        "token|401|x|ok|extra",
        "TOKEN|401|-|ok",
        "token|4o1|-|ok",
        "token|70000|-|ok",
        "token||-|ok",
        "token|401|Invalid|ok",
        "token|401|a-b|ok",
        "token|401|-|nope",
        "token|401||ok",
        "token|-5|-|ok",
        // Rust's integer parser takes a leading '+': a key's status is digits only.
        "token|+401|-|ok",
    ] {
        assert_eq!(CounterKey::parse(text), None, "{text}");
    }
    assert_eq!(
        CounterKey::parse("soap|500|-|sfmc_unavailable"),
        Some(CounterKey {
            call_kind: CallKind::Soap,
            status: Some(500),
            code: None,
            class: Some(OutcomeClass::SfmcUnavailable)
        })
    );
}

fn arb_key() -> impl Strategy<Value = CounterKey> {
    (
        prop::sample::select(CallKind::ALL.to_vec()),
        prop::option::of(any::<u16>()),
        prop::option::of(prop_oneof!["[0-9]{1,12}", "[a-z_]{1,64}"]),
        prop::option::of(prop::sample::select(OutcomeClass::ALL.to_vec())),
    )
        .prop_map(|(call_kind, status, code, class)| CounterKey {
            call_kind,
            status,
            code,
            class,
        })
}

proptest! {
    #[test]
    fn keys_round_trip(key in arb_key()) {
        let text = key.to_text();
        prop_assert_eq!(text.split('|').count(), 4);
        prop_assert_eq!(CounterKey::parse(&text), Some(key));
    }

    #[test]
    fn parse_never_panics_and_what_it_reads_writes_back(text in "[a-z0-9_|-]{0,40}") {
        if let Some(key) = CounterKey::parse(&text) {
            prop_assert_eq!(CounterKey::parse(&key.to_text()), Some(key));
        }
    }
}
