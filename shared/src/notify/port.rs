//! The publisher port: what the fan-out and the sweep publish through.

use std::future::Future;

use super::error::PublishError;
use super::publish::PublishRequest;

/// The id SNS gave a published message (what marks a notification sent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(pub String);

/// Publishes one request to the alerts topic.
pub trait Publisher: Send + Sync {
    /// Sends `request` as is.
    ///
    /// # Errors
    /// [`PublishError`], sorted into retryable, configuration and payload failures, naming the
    /// topic and the notification id, never the body.
    fn publish(
        &self,
        request: &PublishRequest,
    ) -> impl Future<Output = Result<MessageId, PublishError>> + Send;
}
