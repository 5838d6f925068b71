//! CloudWatch Logs lines that show an SFMC call.

use chrono::{DateTime, Utc};

use super::{Binding, EventError};
use crate::domain::passive::SfmcCall;

/// Longest part of a log line read, in bytes (256 KiB, CloudWatch Logs' own event cap).
pub const MAX_LOG_LINE_BYTES: usize = 256 * 1024;

/// One CloudWatch Logs line (the integration's, by its log group) as an SFMC call.
pub fn parse_log_line(
    line: &str,
    log_event_id: &str,
    timestamp: DateTime<Utc>,
    binding: &Binding,
) -> Option<Result<SfmcCall, EventError>> {
    let _ = (line, log_event_id, timestamp, binding);
    unimplemented!("H1: next commit")
}
