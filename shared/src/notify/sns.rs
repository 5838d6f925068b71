//! The SNS [`Publisher`]: one `Publish` per request, to one topic, with
//! `MessageStructure=json`, the subject and the String attributes as built.

use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::operation::publish::PublishError as SdkPublishError;
use aws_sdk_sns::types::MessageAttributeValue;

use super::error::{PublishError, PublishErrorKind, classify};
use super::port::{MessageId, Publisher};
use super::publish::{ATTRIBUTE_TYPE, PublishRequest};

/// Publishes to one SNS topic.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsPublisher {
    /// A publisher to `topic_arn` through `client`.
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> SnsPublisher {
        SnsPublisher {
            client,
            topic_arn: topic_arn.into(),
        }
    }

    /// The topic it publishes to.
    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    fn error(
        &self,
        request: &PublishRequest,
        kind: PublishErrorKind,
        detail: String,
    ) -> PublishError {
        PublishError {
            kind,
            topic: self.topic_arn.clone(),
            notification_id: request.notification_id.to_string(),
            detail,
        }
    }
}

/// The kind of a failed `Publish` call: SNS's code and status through [`classify`]; no answer
/// in time and connection failures are retryable; missing credentials or region, and a request
/// that could not be built, are configuration.
pub fn failure_kind(err: &SdkError<SdkPublishError, HttpResponse>) -> PublishErrorKind {
    match err {
        SdkError::ServiceError(service) => {
            classify(err.code(), Some(service.raw().status().as_u16()))
        }
        SdkError::ResponseError(response) => classify(None, Some(response.raw().status().as_u16())),
        SdkError::TimeoutError(_) => PublishErrorKind::Retryable,
        SdkError::DispatchFailure(failure) => {
            let transient = failure
                .as_other()
                .is_some_and(|kind| kind != aws_smithy_types::retry::ErrorKind::ClientError);
            if failure.is_io() || failure.is_timeout() || transient {
                PublishErrorKind::Retryable
            } else {
                PublishErrorKind::Configuration
            }
        }
        SdkError::ConstructionFailure(_) => PublishErrorKind::Configuration,
        _ => PublishErrorKind::Retryable,
    }
}

impl Publisher for SnsPublisher {
    async fn publish(&self, request: &PublishRequest) -> Result<MessageId, PublishError> {
        let mut call = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&request.subject)
            .message(&request.message)
            .message_structure("json");
        for (name, value) in &request.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type(ATTRIBUTE_TYPE)
                .string_value(value)
                .build()
                .map_err(|e| {
                    self.error(
                        request,
                        PublishErrorKind::Payload,
                        format!("attribute {name} could not be built ({e})"),
                    )
                })?;
            call = call.message_attributes(name, attribute);
        }
        match call.send().await {
            Ok(output) => match output.message_id {
                Some(id) if !id.is_empty() => Ok(MessageId(id)),
                // Published, but without an id nothing can mark it sent: try again (the
                // receiver drops the repeat by its notification_id).
                _ => Err(self.error(
                    request,
                    PublishErrorKind::Retryable,
                    "SNS answered without a message id".to_string(),
                )),
            },
            Err(err) => Err(self.error(
                request,
                failure_kind(&err),
                crate::aws_error::describe(&err),
            )),
        }
    }
}
