//! The alert topic's subscribers in moto: SQS queues stand in for mailboxes and programs (moto
//! delivers no email), with the filter policy a team's subscription has; what they receive is
//! SNS's JSON envelope (`Message`, `Subject`, `MessageAttributes`).

use std::collections::BTreeMap;

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;

use crate::aws::unique_name;

/// Creates (or, for an existing name, finds) topic `name`; its ARN.
pub async fn create_topic(sns: &aws_sdk_sns::Client, name: &str) -> String {
    sns.create_topic()
        .name(name)
        .send()
        .await
        .expect("create topic")
        .topic_arn()
        .expect("a topic ARN")
        .to_string()
}

/// A new queue subscribed to `topic`, with `policy` as its filter policy (none: everything);
/// its URL.
pub async fn subscribed_queue(
    sqs: &aws_sdk_sqs::Client,
    sns: &aws_sdk_sns::Client,
    topic: &str,
    policy: Option<&str>,
) -> String {
    let url = sqs
        .create_queue()
        .queue_name(unique_name("credwatch-subscriber"))
        .send()
        .await
        .expect("create queue")
        .queue_url()
        .expect("a queue URL")
        .to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .expect("a queue ARN")
        .clone();
    let mut subscribe = sns
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(arn);
    if let Some(policy) = policy {
        subscribe = subscribe.attributes("FilterPolicy", policy);
    }
    subscribe.send().await.expect("subscribe the queue");
    url
}

/// Every SNS envelope waiting in the queue, oldest first as SQS hands them out; the queue is
/// left empty.
pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let messages = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for message in messages {
            out.push(serde_json::from_str(message.body().unwrap_or("null")).expect("an envelope"));
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }
}

/// The String message attribute `name` of an SNS envelope; panics (naming it) when absent.
pub fn attribute<'a>(envelope: &'a Value, name: &str) -> &'a str {
    envelope["MessageAttributes"][name]["Value"]
        .as_str()
        .unwrap_or_else(|| panic!("attribute {name} in {envelope}"))
}

/// The email subscriptions of `topic`: address -> filter policy (JSON text).
pub async fn email_policies(sns: &aws_sdk_sns::Client, topic: &str) -> BTreeMap<String, String> {
    let listed = sns
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .send()
        .await
        .expect("list subscriptions");
    let mut policies = BTreeMap::new();
    for sub in listed.subscriptions() {
        if sub.protocol() != Some("email") {
            continue;
        }
        let attributes = sns
            .get_subscription_attributes()
            .subscription_arn(sub.subscription_arn().expect("an ARN"))
            .send()
            .await
            .expect("attributes");
        let policy = attributes
            .attributes()
            .and_then(|a| a.get("FilterPolicy"))
            .expect("credwatch's subscriptions filter")
            .clone();
        policies.insert(sub.endpoint().expect("an address").to_string(), policy);
    }
    policies
}

/// Every publish moto's SNS accepted for `topic`, from its own record
/// (`/moto-api/data.json`), oldest first: `[message id, message, subject, attributes, group
/// id]` each (attributes as moto keeps them: `{name: {"Type", "Value"}}`).
pub async fn publishes(topic: &str) -> Vec<Value> {
    let url = format!("{}/moto-api/data.json", crate::aws::endpoint());
    let data: Value = reqwest::get(&url)
        .await
        .expect("reach moto")
        .json()
        .await
        .expect("moto's data.json");
    data["sns"]["Topic"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["arn"] == topic)
        .flat_map(|t| {
            t["sent_notifications"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// The event Lambda gives a function subscribed to `topic` (protocol `lambda`, subscription
/// `subscription_arn`) for `publish` (one entry of [`publishes`]): one record whose
/// `Sns.Message` is the publish's `lambda` body (MessageStructure=json) and whose
/// `MessageAttributes` are `{name: {"Type", "Value"}}`, as the Lambda developer guide shows.
pub fn lambda_event(topic: &str, subscription_arn: &str, publish: &Value) -> Value {
    let bodies: Value = serde_json::from_str(publish[1].as_str().expect("the message"))
        .expect("a body per protocol (MessageStructure=json)");
    let lambda = bodies["lambda"]
        .as_str()
        .or_else(|| bodies["default"].as_str())
        .expect("a lambda or default body");
    let attributes: serde_json::Map<String, Value> = publish[3]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, a)| {
            let value = serde_json::json!({"Type": a["Type"], "Value": a["Value"]});
            (name.clone(), value)
        })
        .collect();
    serde_json::json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": subscription_arn,
            "Sns": {
                "Type": "Notification",
                "MessageId": publish[0],
                "TopicArn": topic,
                "Subject": publish[2],
                "Message": lambda,
                "Timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "SignatureVersion": "1",
                "Signature": "EXAMPLE",
                "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem",
                "UnsubscribeUrl": format!("https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"),
                "MessageAttributes": attributes,
            }
        }]
    })
}
