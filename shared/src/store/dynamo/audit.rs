//! The audit entry item, encoded and decoded: `AUDIT#{source_id}` / `{decision}`, so that the
//! same stream record (replayed on any day) writes the same item again; `expires_at` = `at` +
//! [`AUDIT_RETENTION_DAYS`].

use super::attributes::{AT, DECISION, INCIDENT_ID, REASON, SOURCE_ID};
use super::keys::{AUDIT_PREFIX, PK, SK, TTL_ATTRIBUTE, audit_key, item_label, keyed};
use super::notification::EncodeResult;
use super::reader::{ReadResult, Reader};
use super::value::{Item, expiry_after, s, time};
use crate::domain::incident::IncidentId;
use crate::notify::delivery::{AUDIT_RETENTION_DAYS, AuditDecision, AuditEntry};

/// Longest `source_id` kept, in characters (a DynamoDB Streams `eventID` is 32 hex digits; the
/// partition key must stay far below DynamoDB's 2048 bytes).
pub const SOURCE_ID_MAX_CHARS: usize = 256;

/// Longest `reason` kept, in characters; a longer one is cut (ending in `…`) when written.
pub const REASON_MAX_CHARS: usize = 1000;

/// The item of an audit entry. Refused when `source_id` is empty or over
/// [`SOURCE_ID_MAX_CHARS`]; a reason over [`REASON_MAX_CHARS`] is cut.
pub fn audit_item(entry: &AuditEntry) -> EncodeResult<Item> {
    let length = entry.source_id.chars().count();
    if length == 0 || length > SOURCE_ID_MAX_CHARS {
        return Err(format!(
            "audit entry source id is {length} characters; 1 to {SOURCE_ID_MAX_CHARS} are kept"
        ));
    }
    let reason = if entry.reason.chars().count() > REASON_MAX_CHARS {
        let mut cut: String = entry.reason.chars().take(REASON_MAX_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        entry.reason.clone()
    };
    let key = audit_key(&entry.source_id, entry.decision);
    Ok(keyed(
        &key,
        vec![
            (DECISION, Some(s(entry.decision.as_str()))),
            (
                INCIDENT_ID,
                entry.incident_id.as_ref().map(|id| s(id.as_str())),
            ),
            (SOURCE_ID, Some(s(&entry.source_id))),
            (REASON, Some(s(reason))),
            (AT, Some(time(entry.at))),
            (
                TTL_ATTRIBUTE,
                Some(expiry_after(entry.at, AUDIT_RETENTION_DAYS)),
            ),
        ],
    ))
}

/// An audit item decoded, or where it is wrong (key, attribute, problem; never a value): its
/// `source_id` and `decision` must be the ones of its key, its texts within bounds.
pub fn decode_audit(item: &Item) -> ReadResult<AuditEntry> {
    let label = item_label(item);
    let r = Reader::new(item, &label);
    let decision = r.parsed(DECISION, "audit decision", AuditDecision::parse)?;
    let source_id = r.string(SOURCE_ID)?;
    if r.str(PK)?.strip_prefix(AUDIT_PREFIX) != Some(source_id.as_str()) {
        return Err(r.corrupt(SOURCE_ID, "is not the source id of the item's key (pk)"));
    }
    if r.str(SK)? != decision.as_str() {
        return Err(r.corrupt(DECISION, "is not the decision of the item's key (sk)"));
    }
    let reason = r.string(REASON)?;
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(r.corrupt(
            REASON,
            &format!("is longer than {REASON_MAX_CHARS} characters"),
        ));
    }
    Ok(AuditEntry {
        decision,
        incident_id: r.opt_parsed(INCIDENT_ID, "incident id", |t| t.parse::<IncidentId>().ok())?,
        source_id,
        reason,
        at: r.time(AT)?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::store::dynamo::value::n;

    fn entry() -> AuditEntry {
        AuditEntry {
            decision: AuditDecision::Ignored,
            incident_id: Some("crm-sync:auth:3".parse().expect("an incident id")),
            source_id: "4f2c9e0a".into(),
            reason: "message text only".into(),
            at: DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
                .expect("a time")
                .with_timezone(&Utc),
        }
    }

    #[test]
    fn audit_entries_round_trip_with_their_ttl() {
        for incident_id in [entry().incident_id, None] {
            let entry = AuditEntry {
                incident_id,
                ..entry()
            };
            let item = audit_item(&entry).expect("a valid entry");
            assert_eq!(decode_audit(&item), Ok(entry.clone()));
            let ttl = entry.at.timestamp() + AUDIT_RETENTION_DAYS * 86_400;
            assert_eq!(item.get(TTL_ATTRIBUTE), Some(&n(ttl)));
            assert_eq!(item.get(PK), Some(&s("AUDIT#4f2c9e0a")));
            assert_eq!(item.get(SK), Some(&s("ignored")));
        }
    }

    #[test]
    fn bounds_are_kept_on_write() {
        let long = AuditEntry {
            reason: "x".repeat(REASON_MAX_CHARS + 7),
            ..entry()
        };
        let item = audit_item(&long).expect("a long reason is cut, not refused");
        let reason = decode_audit(&item).expect("decodes").reason;
        assert_eq!(reason.chars().count(), REASON_MAX_CHARS);
        assert!(reason.ends_with('…'));
        let exact = AuditEntry {
            reason: "x".repeat(REASON_MAX_CHARS),
            ..entry()
        };
        let item = audit_item(&exact).expect("a reason at the bound is kept");
        assert_eq!(decode_audit(&item), Ok(exact), "kept as is, not cut");
        for source_id in [String::new(), "e".repeat(SOURCE_ID_MAX_CHARS + 1)] {
            assert!(
                audit_item(&AuditEntry {
                    source_id,
                    ..entry()
                })
                .is_err()
            );
        }
        let longest = "e".repeat(SOURCE_ID_MAX_CHARS);
        assert!(
            audit_item(&AuditEntry {
                source_id: longest,
                ..entry()
            })
            .is_ok()
        );
    }

    #[test]
    fn a_corrupt_audit_item_names_its_attribute() {
        let good = audit_item(&entry()).expect("a valid entry");
        let cases = [
            (DECISION, s("shrugged"), "is not a valid audit decision"),
            (
                DECISION,
                s("corrupt"),
                "is not the decision of the item's key (sk)",
            ),
            (
                SOURCE_ID,
                s("other"),
                "is not the source id of the item's key (pk)",
            ),
            (INCIDENT_ID, s("nope"), "is not a valid incident id"),
            (AT, n(5), "is not a string (S)"),
            (
                REASON,
                s("r".repeat(REASON_MAX_CHARS + 1)),
                "is longer than 1000 characters",
            ),
        ];
        for (name, value, problem) in cases {
            let mut item = good.clone();
            item.insert(name.to_string(), value);
            let bad = decode_audit(&item).expect_err("corrupt");
            assert_eq!((bad.field.as_str(), bad.problem.as_str()), (name, problem));
            assert_eq!(bad.key, "pk=AUDIT#4f2c9e0a sk=ignored");
        }
    }
}
