//! What arrived, told by its shape: a Lambda function URL request (payload 2.0), a CloudWatch
//! Logs subscription (`awslogs`), the EventBridge schedule (`Scheduled Event` from `aws.events`)
//! or an EventBridge event, and their plain forms for the use case.

use aws_lambda_events::event::cloudwatch_logs::LogsEvent;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use chrono::{DateTime, Utc};
use credwatch::jobs::ingest::eventbridge::BusEvent;
use credwatch::jobs::ingest::https::HttpRequest;
use credwatch::jobs::ingest::logs::{LogBatch, LogLine};
use serde_json::Value;

/// `detail-type` of the events an EventBridge schedule sends.
pub const SCHEDULED_EVENT: &str = "Scheduled Event";

/// One invocation's event.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestEvent {
    /// A function URL request.
    Http(HttpRequest),
    /// A CloudWatch Logs subscription's batch (data messages; a control message has no lines).
    Logs(LogBatch),
    /// An EventBridge event.
    Bus(BusEvent),
    /// The schedule: run the sweep.
    Sweep,
}

/// Tells the event by its shape and reads it.
///
/// # Errors
/// What is wrong, naming the field: an event of no known shape, or one that does not decode
/// (never echoing its values).
pub fn parse_event(payload: &Value) -> Result<IngestEvent, String> {
    if payload.get("awslogs").is_some() {
        return parse_logs(payload);
    }
    if payload.pointer("/requestContext/http").is_some() {
        return parse_http(payload);
    }
    if payload.get("detail-type").is_some() {
        let event: EventBridgeEvent<Value> = serde_json::from_value(payload.clone())
            .map_err(|e| format!("EventBridge event: {}", shape_error(&e)))?;
        if event.detail_type == SCHEDULED_EVENT && event.source == "aws.events" {
            return Ok(IngestEvent::Sweep);
        }
        return Ok(IngestEvent::Bus(BusEvent {
            id: event.id.unwrap_or_default(),
            detail_type: event.detail_type,
            source: event.source,
            account: event.account.unwrap_or_default(),
            detail: event.detail,
        }));
    }
    Err("not an event the ingest function handles (a function URL request, a CloudWatch Logs subscription or an EventBridge event)".to_string())
}

/// serde's error without the input it quotes: the field and the line/column only.
fn shape_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    // serde_json quotes at most the offending token; keep its words but not beyond 200 chars.
    text.chars().take(200).collect()
}

fn parse_http(payload: &Value) -> Result<IngestEvent, String> {
    let request: LambdaFunctionUrlRequest = serde_json::from_value(payload.clone())
        .map_err(|e| format!("function URL request: {}", shape_error(&e)))?;
    let method = request
        .request_context
        .http
        .method
        .clone()
        .ok_or("function URL request: requestContext.http.method is missing")?;
    let path = request
        .raw_path
        .clone()
        .or_else(|| request.request_context.http.path.clone())
        .unwrap_or_default();
    let authorization = request
        .headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let body = match request.body {
        None => Vec::new(),
        Some(body) if request.is_base64_encoded => decode_base64(&body)
            .ok_or("function URL request: body is marked base64 but is not base64")?,
        Some(body) => body.into_bytes(),
    };
    Ok(IngestEvent::Http(HttpRequest {
        method,
        path,
        authorization,
        body,
    }))
}

/// Standard base64 (RFC 4648, as Lambda encodes a binary body); `None` when malformed.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn parse_logs(payload: &Value) -> Result<IngestEvent, String> {
    // From text, not from the Value: aws_lambda_events decodes `awslogs.data` from a borrowed
    // string, which a `serde_json::Value` cannot lend.
    let event: LogsEvent = serde_json::from_str(&payload.to_string())
        .map_err(|e| format!("CloudWatch Logs event (awslogs.data): {}", shape_error(&e)))?;
    let data = event.aws_logs.data;
    let lines = if data.message_type == "DATA_MESSAGE" {
        data.log_events
            .into_iter()
            .map(|entry| LogLine {
                id: entry.id,
                timestamp: DateTime::<Utc>::from_timestamp_millis(entry.timestamp)
                    .unwrap_or(DateTime::UNIX_EPOCH),
                message: entry.message,
            })
            .collect()
    } else {
        // CONTROL_MESSAGE: CloudWatch checking the destination; no lines.
        Vec::new()
    };
    Ok(IngestEvent::Logs(LogBatch {
        log_group: data.log_group,
        lines,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_as_rfc4648() {
        let cases: [(&str, Option<&[u8]>); 7] = [
            ("", Some(b"")),
            ("Zg==", Some(b"f")),
            ("Zm8=", Some(b"fo")),
            ("Zm9v", Some(b"foo")),
            ("Zm9vYg==", Some(b"foob")),
            ("Zm9v!", None),
            ("Z", None),
        ];
        for (text, bytes) in cases {
            assert_eq!(decode_base64(text).as_deref(), bytes, "{text}");
        }
    }

    #[test]
    fn an_unknown_shape_is_refused() {
        assert!(parse_event(&serde_json::json!({"Records": []})).is_err());
        assert!(parse_event(&serde_json::json!(42)).is_err());
    }
}
