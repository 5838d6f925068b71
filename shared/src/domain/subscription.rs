//! A subscription to the alerts topic, as plain data: what SNS says about it, nothing of SNS's
//! types (the adapter in `crate::subscriptions` translates).

use serde::Serialize;

/// SNS's `Protocol` of an email subscription (plain text mail; `email-json` is another).
pub const EMAIL_PROTOCOL: &str = "email";

/// One subscription of the alerts topic, as `ListSubscriptionsByTopic` and
/// `GetSubscriptionAttributes` describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// The subscription ARN; `None` while it is pending confirmation (SNS lists it as
    /// `PendingConfirmation`, and a pending subscription's filter policy cannot be read).
    pub arn: Option<String>,
    /// SNS's protocol: `email`, `sqs`, `lambda`, `https`...
    pub protocol: String,
    /// Where SNS delivers: an email address, a queue or function ARN, a URL.
    pub endpoint: String,
    /// The subscription's `FilterPolicy` JSON, if it has one (and it applies to message
    /// attributes, SNS's default scope); `None` for a pending one or one without a policy.
    pub filter_policy: Option<String>,
}

impl Subscription {
    /// Whether the recipient has confirmed it (SNS delivers only to confirmed subscriptions).
    pub fn is_confirmed(&self) -> bool {
        self.arn.is_some()
    }
}
