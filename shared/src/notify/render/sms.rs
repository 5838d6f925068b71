//! The `sms` body: at most 140 characters of printable ASCII.

use super::subject::{ascii_line, subject};
use crate::notify::notification::Notification;

/// Longest SMS body, in characters (one 140-byte SMS segment).
pub const MAX_SMS_CHARS: usize = 140;

/// The subject and the incident id: `[HIGH] CRM sync: secret rejected by SFMC. Incident
/// crm-sync:auth:3`, cut to [`MAX_SMS_CHARS`].
pub fn sms(n: &Notification) -> String {
    let text = format!(
        "{}. Incident {}",
        subject(n),
        ascii_line(n.incident_id.as_str())
    );
    if text.len() <= MAX_SMS_CHARS {
        text
    } else {
        format!("{}...", &text[..MAX_SMS_CHARS - 3])
    }
}
