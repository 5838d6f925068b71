//! The alerts topic's subscriptions: the port (`TopicSubscriptions`), its SNS adapter and an
//! in-memory one for tests. Plain data is [`crate::domain::subscription::Subscription`];
//! what to change is decided by [`crate::rules::subscriptions`].

pub mod memory;
pub mod sns;

use std::future::Future;

use crate::domain::subscription::Subscription;

/// Why a subscription call failed, in one line (the service's code and message, or why AWS
/// could not be reached); never a subscription's contents beyond its address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SubscriptionError {
    /// What went wrong, naming the operation and the topic or subscription.
    pub message: String,
}

/// Reading and changing the subscriptions of one SNS topic.
pub trait TopicSubscriptions: Send + Sync {
    /// Every subscription of `topic`, with the filter policy of each confirmed `email` one.
    fn list(
        &self,
        topic: &str,
    ) -> impl Future<Output = Result<Vec<Subscription>, SubscriptionError>> + Send;

    /// Subscribes `endpoint` over `protocol` with `filter_policy` (applied to message
    /// attributes). Returns the subscription ARN, which SNS gives even while the
    /// subscription is pending confirmation (`ReturnSubscriptionArn`).
    fn subscribe(
        &self,
        topic: &str,
        protocol: &str,
        endpoint: &str,
        filter_policy: &str,
    ) -> impl Future<Output = Result<String, SubscriptionError>> + Send;

    /// Replaces the filter policy of subscription `arn`.
    fn set_filter_policy(
        &self,
        arn: &str,
        filter_policy: &str,
    ) -> impl Future<Output = Result<(), SubscriptionError>> + Send;

    /// Deletes subscription `arn` (absent is fine).
    fn unsubscribe(&self, arn: &str) -> impl Future<Output = Result<(), SubscriptionError>> + Send;
}
