//! The input: an SNS event (`Records[].Sns.{MessageId,Message}`), each record read on its own
//! so that one unreadable record is reported and never hides the others.

use aws_lambda_events::event::sns::SnsRecord as LambdaSnsRecord;
use credwatch::jobs::slack_notify::SnsRecord;
use credwatch::text::printable::echo;
use serde_json::Value;

/// One record of the event: readable, or why not (naming the record and the field).
pub type Record = Result<SnsRecord, (String, String)>;

/// The records of an SNS event, in order.
///
/// # Errors
/// The payload is not an SNS event (no `Records` list): a sentence naming what was received.
pub fn parse_event(payload: &Value) -> Result<Vec<Record>, String> {
    let Some(records) = payload.get("Records").and_then(Value::as_array) else {
        let keys = payload
            .as_object()
            .map(|o| {
                o.keys()
                    .take(8)
                    .map(|k| echo(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|| "not an object".to_string());
        return Err(format!(
            "expected an SNS event (an object with a Records list), got {keys}"
        ));
    };
    Ok(records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let name = record
                .pointer("/Sns/MessageId")
                .and_then(Value::as_str)
                .map_or_else(|| format!("record {i}"), echo);
            let parsed: LambdaSnsRecord = serde_json::from_value(record.clone())
                .map_err(|err| (name.clone(), format!("not an SNS record: {err}")))?;
            if parsed.event_source != "aws:sns" {
                return Err((
                    name,
                    format!(
                        "field EventSource: {:?}, not aws:sns",
                        echo(&parsed.event_source)
                    ),
                ));
            }
            let message = parsed.sns.message.clone();
            Ok(SnsRecord {
                message_id: parsed.sns.message_id,
                message,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, message: &str) -> Value {
        json!({
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:credwatch-alerts:0b6941c3-f04d-4d3e-a66d-b1df00e1e381",
            "Sns": {
                "Type": "Notification",
                "MessageId": id,
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:credwatch-alerts",
                "Subject": "[HIGH] x",
                "Message": message,
                "Timestamp": "2026-12-01T00:00:00.000Z",
                "SignatureVersion": "1",
                "Signature": "EXAMPLE",
                "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
                "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                "MessageAttributes": {}
            }
        })
    }

    #[test]
    fn each_record_is_read_on_its_own() {
        let mut bad_source = record("m3", "{}");
        bad_source["EventSource"] = "aws:sqs".into();
        let payload = json!({"Records": [
            record("m1", "{\"schema\":1}"),
            {"Sns": {"MessageId": "m2"}},
            bad_source,
            7,
        ]});
        let records = parse_event(&payload).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(
            records[0],
            Ok(SnsRecord {
                message_id: "m1".into(),
                message: "{\"schema\":1}".into()
            })
        );
        let err = records[1].as_ref().unwrap_err();
        assert_eq!(err.0, "m2");
        assert!(err.1.starts_with("not an SNS record"), "{}", err.1);
        assert!(records[2].as_ref().unwrap_err().1.contains("EventSource"));
        assert_eq!(records[3].as_ref().unwrap_err().0, "record 3");
    }

    #[test]
    fn anything_but_an_sns_event_is_refused_naming_what_came() {
        let err = parse_event(&json!({"source": "aws.events"})).unwrap_err();
        assert!(err.contains("SNS event") && err.contains("source"), "{err}");
        assert!(
            parse_event(&json!([1]))
                .unwrap_err()
                .contains("not an object")
        );
    }
}
