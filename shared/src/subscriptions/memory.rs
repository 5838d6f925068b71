//! [`TopicSubscriptions`] in memory, for tests of the jobs: subscriptions start pending unless
//! confirmed at once, like SNS's email subscriptions.

use std::sync::Mutex;

use super::{SubscriptionError, TopicSubscriptions};
use crate::domain::subscription::Subscription;

/// One topic's subscriptions in memory.
#[derive(Debug, Default)]
pub struct MemorySubscriptions {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (topic, subscription with its ARN even while pending, confirmed).
    subscriptions: Vec<(String, Subscription, bool)>,
    next: u64,
    confirm_at_once: bool,
    fail_on: Option<String>,
}

impl MemorySubscriptions {
    /// An empty store whose new subscriptions are confirmed at once when `confirm_at_once`.
    pub fn new(confirm_at_once: bool) -> Self {
        MemorySubscriptions {
            inner: Mutex::new(Inner {
                confirm_at_once,
                ..Inner::default()
            }),
        }
    }

    /// Adds a subscription made by someone else (confirmed if it has an ARN).
    pub fn add(&self, topic: &str, subscription: Subscription) {
        let confirmed = subscription.arn.is_some();
        self.lock()
            .subscriptions
            .push((topic.to_string(), subscription, confirmed));
    }

    /// Every call about `endpoint` (or its subscription) fails from now on.
    pub fn fail_on(&self, endpoint: &str) {
        self.lock().fail_on = Some(endpoint.to_string());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-made change: each change is one push
        // or one assignment.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    fn check(&self, endpoint: &str) -> Result<(), SubscriptionError> {
        if self.fail_on.as_deref() == Some(endpoint) {
            return Err(SubscriptionError {
                message: format!("the test made calls about {endpoint} fail"),
            });
        }
        Ok(())
    }

    fn by_arn(&mut self, arn: &str) -> Option<&mut Subscription> {
        self.subscriptions
            .iter_mut()
            .map(|(_, s, _)| s)
            .find(|s| s.arn.as_deref() == Some(arn))
    }
}

impl TopicSubscriptions for MemorySubscriptions {
    async fn list(&self, topic: &str) -> Result<Vec<Subscription>, SubscriptionError> {
        Ok(self
            .lock()
            .subscriptions
            .iter()
            .filter(|(t, _, _)| t == topic)
            .map(|(_, s, confirmed)| match confirmed {
                true => s.clone(),
                false => Subscription {
                    arn: None,
                    filter_policy: None,
                    ..s.clone()
                },
            })
            .collect())
    }

    async fn subscribe(
        &self,
        topic: &str,
        protocol: &str,
        endpoint: &str,
        filter_policy: &str,
    ) -> Result<String, SubscriptionError> {
        let mut inner = self.lock();
        inner.check(endpoint)?;
        inner.next += 1;
        let arn = format!("{topic}:sub-{}", inner.next);
        let confirmed = inner.confirm_at_once;
        inner.subscriptions.push((
            topic.to_string(),
            Subscription {
                arn: Some(arn.clone()),
                protocol: protocol.to_string(),
                endpoint: endpoint.to_string(),
                filter_policy: Some(filter_policy.to_string()),
            },
            confirmed,
        ));
        Ok(arn)
    }

    async fn set_filter_policy(
        &self,
        arn: &str,
        filter_policy: &str,
    ) -> Result<(), SubscriptionError> {
        let mut inner = self.lock();
        let endpoint = inner.by_arn(arn).map(|s| s.endpoint.clone());
        inner.check(endpoint.as_deref().unwrap_or_default())?;
        match inner.by_arn(arn) {
            Some(sub) => {
                sub.filter_policy = Some(filter_policy.to_string());
                Ok(())
            }
            None => Err(SubscriptionError {
                message: format!("SetSubscriptionAttributes on {arn} failed: NotFound"),
            }),
        }
    }

    async fn unsubscribe(&self, arn: &str) -> Result<(), SubscriptionError> {
        let mut inner = self.lock();
        let endpoint = inner.by_arn(arn).map(|s| s.endpoint.clone());
        inner.check(endpoint.as_deref().unwrap_or_default())?;
        inner
            .subscriptions
            .retain(|(_, s, _)| s.arn.as_deref() != Some(arn));
        Ok(())
    }
}
