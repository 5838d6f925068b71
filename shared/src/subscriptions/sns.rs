//! [`TopicSubscriptions`] over Amazon SNS.

use aws_sdk_sns::Client;

use super::{SubscriptionError, TopicSubscriptions};
use crate::aws_error::describe;
use crate::domain::subscription::{EMAIL_PROTOCOL, Subscription};

/// What `ListSubscriptionsByTopic` gives as the ARN of a subscription not confirmed yet.
pub const PENDING_ARN: &str = "PendingConfirmation";
/// SNS's subscription attribute holding the filter policy.
const FILTER_POLICY: &str = "FilterPolicy";
/// SNS's subscription attribute saying what the policy applies to (`MessageAttributes`, the
/// default, or `MessageBody`).
const FILTER_POLICY_SCOPE: &str = "FilterPolicyScope";

/// The SNS adapter: one client, any topic.
#[derive(Debug, Clone)]
pub struct SnsSubscriptions {
    client: Client,
}

impl SnsSubscriptions {
    /// An adapter over `client` (built from the standard AWS configuration).
    pub fn new(client: Client) -> Self {
        SnsSubscriptions { client }
    }
}

fn failed(operation: &str, on: &str, why: String) -> SubscriptionError {
    SubscriptionError {
        message: format!("{operation} on {on} failed: {why}"),
    }
}

impl TopicSubscriptions for SnsSubscriptions {
    async fn list(&self, topic: &str) -> Result<Vec<Subscription>, SubscriptionError> {
        let mut found = Vec::new();
        let mut pages = self
            .client
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed("ListSubscriptionsByTopic", topic, describe(&e)))?;
            for sub in page.subscriptions() {
                let arn = sub
                    .subscription_arn()
                    .filter(|arn| *arn != PENDING_ARN && !arn.is_empty())
                    .map(str::to_string);
                found.push(Subscription {
                    arn,
                    protocol: sub.protocol().unwrap_or_default().to_string(),
                    endpoint: sub.endpoint().unwrap_or_default().to_string(),
                    filter_policy: None,
                });
            }
        }
        // Only confirmed email subscriptions can be credwatch's: read their policies alone.
        for sub in found.iter_mut().filter(|s| s.protocol == EMAIL_PROTOCOL) {
            let Some(arn) = sub.arn.clone() else { continue };
            let attributes = self
                .client
                .get_subscription_attributes()
                .subscription_arn(&arn)
                .send()
                .await
                .map_err(|e| failed("GetSubscriptionAttributes", &arn, describe(&e)))?;
            let attributes = attributes.attributes();
            let on_attributes = attributes
                .and_then(|a| a.get(FILTER_POLICY_SCOPE))
                .is_none_or(|scope| scope == "MessageAttributes");
            sub.filter_policy = attributes
                .and_then(|a| a.get(FILTER_POLICY))
                .filter(|_| on_attributes)
                .cloned();
        }
        Ok(found)
    }

    async fn subscribe(
        &self,
        topic: &str,
        protocol: &str,
        endpoint: &str,
        filter_policy: &str,
    ) -> Result<String, SubscriptionError> {
        let answer = self
            .client
            .subscribe()
            .topic_arn(topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .attributes(FILTER_POLICY, filter_policy)
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(|e| failed("Subscribe", topic, describe(&e)))?;
        Ok(answer.subscription_arn().unwrap_or_default().to_string())
    }

    async fn set_filter_policy(
        &self,
        arn: &str,
        filter_policy: &str,
    ) -> Result<(), SubscriptionError> {
        self.client
            .set_subscription_attributes()
            .subscription_arn(arn)
            .attribute_name(FILTER_POLICY)
            .attribute_value(filter_policy)
            .send()
            .await
            .map_err(|e| failed("SetSubscriptionAttributes", arn, describe(&e)))?;
        Ok(())
    }

    async fn unsubscribe(&self, arn: &str) -> Result<(), SubscriptionError> {
        self.client
            .unsubscribe()
            .subscription_arn(arn)
            .send()
            .await
            .map_err(|e| failed("Unsubscribe", arn, describe(&e)))?;
        Ok(())
    }
}
