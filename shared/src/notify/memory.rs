//! An in-memory [`Publisher`]: records every request it accepts (for the demo and unit tests),
//! and fails the next publishes with the kinds it is told to.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::error::{PublishError, PublishErrorKind};
use super::port::{MessageId, Publisher};
use super::publish::PublishRequest;

/// Records what it publishes; see the module doc.
#[derive(Debug, Default)]
pub struct MemoryPublisher {
    sent: Mutex<Vec<PublishRequest>>,
    failures: Mutex<VecDeque<PublishErrorKind>>,
}

impl MemoryPublisher {
    /// An empty publisher that accepts everything.
    pub fn new() -> MemoryPublisher {
        MemoryPublisher::default()
    }

    /// Every request accepted so far, in order.
    pub fn sent(&self) -> Vec<PublishRequest> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Makes the next publish fail with `kind` (calls queue up).
    pub fn fail_next(&self, kind: PublishErrorKind) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.push_back(kind);
        }
    }
}

impl Publisher for MemoryPublisher {
    async fn publish(&self, request: &PublishRequest) -> Result<MessageId, PublishError> {
        let failure = self.failures.lock().ok().and_then(|mut f| f.pop_front());
        if let Some(kind) = failure {
            return Err(PublishError {
                kind,
                topic: "memory".to_string(),
                notification_id: request.notification_id.to_string(),
                detail: "a failure the test asked for".to_string(),
            });
        }
        let mut sent = self.sent.lock().map_err(|_| PublishError {
            kind: PublishErrorKind::Retryable,
            topic: "memory".to_string(),
            notification_id: request.notification_id.to_string(),
            detail: "the in-memory publisher was poisoned by a panic".to_string(),
        })?;
        sent.push(request.clone());
        Ok(MessageId(format!("memory-{}", sent.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::notification::NotificationId;

    fn request() -> PublishRequest {
        PublishRequest {
            notification_id: serde_json::from_str::<NotificationId>("\"x:auth:1/opened\"")
                .expect("a notification id reads from its text"),
            subject: "[HIGH] x: y".to_string(),
            message: "{}".to_string(),
            attributes: Default::default(),
            shortened: false,
        }
    }

    #[tokio::test]
    async fn records_what_it_accepts_and_fails_when_told() {
        let publisher = MemoryPublisher::new();
        publisher.fail_next(PublishErrorKind::Configuration);
        let err = publisher.publish(&request()).await.unwrap_err();
        assert_eq!(err.kind, PublishErrorKind::Configuration);
        assert!(publisher.sent().is_empty());
        let id = publisher.publish(&request()).await.unwrap();
        assert_eq!(id, MessageId("memory-1".to_string()));
        assert_eq!(publisher.sent(), vec![request()]);
    }
}
