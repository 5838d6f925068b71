//! The silence item, encoded and decoded: `SILENCE` / `{id}`, with `expires_at` = effective
//! end + [`SILENCE_RETENTION_DAYS`] (kept for an audit look-back, then deleted by TTL).
//!
//! Attributes: `id`, `matchers` (L of M `{field, value}`), `starts_at`, `ends_at`, `reason`,
//! `created_by`, `created_at`, `expired_at`? and `expired_by`? (ended early), `expires_at` (N).

use aws_sdk_dynamodb::types::AttributeValue;

use super::attributes::{
    CREATED_AT, CREATED_BY, ENDS_AT, EXPIRED_AT, EXPIRED_BY, FIELD, ID, MATCHERS, REASON,
    STARTS_AT, VALUE,
};
use super::keys::{SK, TTL_ATTRIBUTE, item_label, keyed, silence_key};
use super::reader::{ReadResult, Reader};
use super::value::{Item, expiry_after, map, s, time};
use crate::domain::silence::{Expired, MatchField, Matcher, Silence, SilenceError, SilenceId};
use crate::store::invariants::SILENCE_RETENTION_DAYS;

/// A silence's whole item.
pub fn silence_item(silence: &Silence) -> Item {
    let matchers = silence
        .matchers
        .iter()
        .map(|m| {
            map(vec![
                (FIELD, Some(s(m.field.as_str()))),
                (VALUE, Some(s(&m.value))),
            ])
        })
        .collect();
    let expired = silence.expired.as_ref();
    keyed(
        &silence_key(&silence.id),
        vec![
            (ID, Some(s(silence.id.as_str()))),
            (MATCHERS, Some(AttributeValue::L(matchers))),
            (STARTS_AT, Some(time(silence.starts_at))),
            (ENDS_AT, Some(time(silence.ends_at))),
            (REASON, Some(s(&silence.reason))),
            (CREATED_BY, Some(s(&silence.created_by))),
            (CREATED_AT, Some(time(silence.created_at))),
            (EXPIRED_AT, expired.map(|e| time(e.at))),
            (EXPIRED_BY, expired.and_then(|e| e.by.as_deref()).map(s)),
            (TTL_ATTRIBUTE, Some(silence_ttl(silence))),
        ],
    )
}

/// `expires_at` of a silence: its effective end + [`SILENCE_RETENTION_DAYS`].
pub fn silence_ttl(silence: &Silence) -> AttributeValue {
    expiry_after(silence.effective_end(), SILENCE_RETENTION_DAYS)
}

/// A silence item decoded, or where it is wrong (key, attribute, problem; never a value): its
/// `id` must be the one of its key, and it must keep to the bounds a new silence is held to
/// ([`Silence::check`]).
pub fn decode_silence(item: &Item) -> ReadResult<Silence> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let id = r.parsed(ID, "silence id", |t| t.parse::<SilenceId>().ok())?;
    if r.str(SK)? != id.as_str() {
        return Err(r.corrupt(ID, "is not the silence id of the item's key (sk)"));
    }
    let matchers = r
        .list(MATCHERS)?
        .iter()
        .map(|value| {
            let m = r.nested(MATCHERS, value)?;
            Ok(Matcher {
                field: m.parsed(FIELD, "match field", MatchField::parse)?,
                value: m.string(VALUE)?,
            })
        })
        .collect::<ReadResult<Vec<_>>>()?;
    let expired_at = r.opt_time(EXPIRED_AT)?;
    let expired_by = r.opt_string(EXPIRED_BY)?;
    let expired = match (expired_at, expired_by) {
        (Some(at), by) => Some(Expired { at, by }),
        (None, None) => None,
        (None, Some(_)) => {
            return Err(r.corrupt(EXPIRED_BY, "is set but expired_at is missing"));
        }
    };
    if let Some(by) = expired.as_ref().and_then(|e| e.by.as_deref()) {
        Silence::check_expired_by(by).map_err(|err| r.corrupt(EXPIRED_BY, &err.rule()))?;
    }
    let silence = Silence {
        id,
        matchers,
        starts_at: r.time(STARTS_AT)?,
        ends_at: r.time(ENDS_AT)?,
        reason: r.string(REASON)?,
        created_by: r.string(CREATED_BY)?,
        created_at: r.time(CREATED_AT)?,
        expired,
    };
    silence
        .check()
        .map_err(|err| r.corrupt(attribute_of(&err), &err.rule()))?;
    Ok(silence)
}

/// The attribute a broken silence rule is about (`expired_by` is checked before).
fn attribute_of(err: &SilenceError) -> &'static str {
    match err {
        SilenceError::NoMatcher
        | SilenceError::TooManyMatchers { .. }
        | SilenceError::InvalidMatcher { .. }
        | SilenceError::ConflictingMatchers { .. } => MATCHERS,
        SilenceError::EndsTooEarly { .. }
        | SilenceError::EndsBeforeStart { .. }
        | SilenceError::TooLong { .. } => ENDS_AT,
        SilenceError::InvalidText { flag: "reason", .. } => REASON,
        SilenceError::InvalidText { .. } => CREATED_BY,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, Utc};

    use super::*;
    use crate::store::dynamo::keys::PK;
    use crate::store::dynamo::value::n;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-30T13:00:00Z")
            .expect("a time")
            .with_timezone(&Utc)
    }

    fn silence() -> Silence {
        Silence::new(
            "sil-abcdefgh23".parse().expect("an id"),
            vec![
                Matcher::new(MatchField::Team, "crm-ops").expect("valid"),
                Matcher::new(MatchField::Class, "client_auth_failed").expect("valid"),
            ],
            t0(),
            t0() + TimeDelta::hours(2),
            "SFMC maintenance".into(),
            "dana".into(),
            t0(),
        )
        .expect("a valid silence")
    }

    #[test]
    fn silences_round_trip_with_their_ttl() {
        let open = silence();
        let ended = Silence {
            expired: Some(Expired {
                at: t0() + TimeDelta::minutes(30),
                by: Some("lee".into()),
            }),
            ..silence()
        };
        let anonymous = Silence {
            expired: Some(Expired {
                at: t0() + TimeDelta::minutes(30),
                by: None,
            }),
            ..silence()
        };
        for s in [open, ended, anonymous] {
            let item = silence_item(&s);
            assert_eq!(decode_silence(&item), Ok(s.clone()));
            let ttl = s.effective_end().timestamp() + SILENCE_RETENTION_DAYS * 86_400;
            assert_eq!(item.get(TTL_ATTRIBUTE), Some(&n(ttl)));
            assert_eq!(
                item.get(PK).and_then(|v| v.as_s().ok()).map(String::as_str),
                Some("SILENCE")
            );
            assert_eq!(item.get(SK), Some(&s_text("sil-abcdefgh23")));
        }
    }

    fn s_text(text: &str) -> AttributeValue {
        s(text)
    }

    /// Each wrong attribute is named with its problem; the value never appears.
    #[test]
    fn a_corrupt_silence_item_names_its_attribute_and_never_its_value() {
        let good = silence_item(&silence());
        let leak = "zz-leaky-value";
        let matcher =
            |field: &str, value: &str| map(vec![(FIELD, Some(s(field))), (VALUE, Some(s(value)))]);
        let cases: Vec<(&str, AttributeValue, &str, &str)> = vec![
            (
                ID,
                s("sil-zzzzzzzz22"),
                "id",
                "is not the silence id of the item's key (sk)",
            ),
            (ID, s(leak), "id", "is not a valid silence id"),
            (MATCHERS, s(leak), "matchers", "is not a list (L)"),
            (
                MATCHERS,
                AttributeValue::L(vec![]),
                "matchers",
                "holds no matcher",
            ),
            (
                MATCHERS,
                AttributeValue::L(vec![s(leak)]),
                "matchers",
                "is not a map (M)",
            ),
            (
                MATCHERS,
                AttributeValue::L(vec![matcher(leak, "crm-ops")]),
                "matchers.field",
                "is not a valid match field",
            ),
            (
                MATCHERS,
                AttributeValue::L(vec![matcher("class", leak)]),
                "matchers",
                "holds a class matcher whose value is not valid here",
            ),
            (
                MATCHERS,
                AttributeValue::L(vec![matcher("team", "a"), matcher("team", leak)]),
                "matchers",
                "holds two different team matchers",
            ),
            (
                STARTS_AT,
                s(leak),
                "starts_at",
                "is not a valid RFC 3339 timestamp",
            ),
            (
                ENDS_AT,
                time(t0() - TimeDelta::hours(1)),
                "ends_at",
                "is not after created_at",
            ),
            (
                ENDS_AT,
                time(t0() + TimeDelta::days(91)),
                "ends_at",
                "is more than 90 days",
            ),
            (REASON, s(""), "reason", "is empty"),
            (
                REASON,
                AttributeValue::N("5".into()),
                "reason",
                "is not a string (S)",
            ),
            (
                CREATED_BY,
                s(format!("{leak}\u{7}")),
                "created_by",
                "holds the control character U+0007",
            ),
            (
                EXPIRED_BY,
                s("lee"),
                "expired_by",
                "is set but expired_at is missing",
            ),
        ];
        for (name, value, field, problem) in cases {
            let mut item = good.clone();
            item.insert(name.to_string(), value);
            let bad = decode_silence(&item).expect_err("corrupt");
            assert_eq!(bad.field, field, "{bad}");
            assert!(bad.problem.starts_with(problem), "{bad} / {problem}");
            assert_eq!(bad.key, "pk=SILENCE sk=sil-abcdefgh23");
            assert!(!bad.to_string().contains(leak), "{bad}");
        }
        let mut item = good.clone();
        item.insert(EXPIRED_AT.to_string(), time(t0()));
        item.insert(EXPIRED_BY.to_string(), s(format!("{leak}\u{1b}")));
        let bad = decode_silence(&item).expect_err("corrupt");
        assert_eq!(bad.field, "expired_by", "{bad}");
        assert!(!bad.to_string().contains(leak), "{bad}");
        for name in [
            ID, MATCHERS, STARTS_AT, ENDS_AT, REASON, CREATED_BY, CREATED_AT,
        ] {
            let mut item = good.clone();
            item.remove(name);
            let bad = decode_silence(&item).expect_err("corrupt");
            assert_eq!(
                (bad.field.as_str(), bad.problem.as_str()),
                (name, "is missing")
            );
        }
    }
}
