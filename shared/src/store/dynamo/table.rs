//! The table's definition (keys, the open-incidents index, TTL, the stream) and its creation.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TableStatus, TimeToLiveSpecification,
};

use super::error::{error_detail, request_error};
use super::keys::{GSI_NAME, GSI_PK, GSI_SK, PK, SK, TTL_ATTRIBUTE};
use crate::store::error::{StoreError, StoreResult};

/// The table's definition as plain data: [`create_table`] builds the table from it, and a test
/// compares it with the SAM template. Every key attribute is a string (`S`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// The partition key attribute, [`PK`].
    pub partition_key: &'static str,
    /// The sort key attribute, [`SK`].
    pub sort_key: &'static str,
    /// The open-incidents index, [`GSI_NAME`].
    pub gsi_name: &'static str,
    /// Its partition key attribute, [`GSI_PK`].
    pub gsi_partition_key: &'static str,
    /// Its sort key attribute, [`GSI_SK`].
    pub gsi_sort_key: &'static str,
    /// `ALL`: the open-incidents listing needs whole incidents.
    pub gsi_projection: &'static str,
    /// The TTL attribute, [`TTL_ATTRIBUTE`] (N, epoch seconds).
    pub ttl_attribute: &'static str,
    /// `PAY_PER_REQUEST`.
    pub billing_mode: &'static str,
    /// `NEW_AND_OLD_IMAGES`: the alert fan-out compares an incident before and after.
    pub stream_view_type: &'static str,
}

impl TableSpec {
    /// `AttributeDefinitions`: the four key attributes, all strings.
    pub fn attribute_definitions(&self) -> [(&'static str, &'static str); 4] {
        [
            (self.partition_key, "S"),
            (self.sort_key, "S"),
            (self.gsi_partition_key, "S"),
            (self.gsi_sort_key, "S"),
        ]
    }
}

/// The table credwatch uses (see [`TableSpec`]).
pub fn table_spec() -> TableSpec {
    TableSpec {
        partition_key: PK,
        sort_key: SK,
        gsi_name: GSI_NAME,
        gsi_partition_key: GSI_PK,
        gsi_sort_key: GSI_SK,
        gsi_projection: "ALL",
        ttl_attribute: TTL_ATTRIBUTE,
        billing_mode: "PAY_PER_REQUEST",
        stream_view_type: "NEW_AND_OLD_IMAGES",
    }
}

/// How long [`create_table`] waits for the new table to become ACTIVE.
const CREATE_TIMEOUT: Duration = Duration::from_secs(180);

/// Creates the table from [`table_spec`], waits until it is ACTIVE, then enables TTL (which
/// DynamoDB only accepts on an existing table). An existing table of that name is
/// [`StoreError::Permanent`]; a table still not ACTIVE after 3 minutes is
/// [`StoreError::Retryable`]; a failed request is sorted by [`request_error`].
pub async fn create_table(client: &Client, name: &str) -> StoreResult<()> {
    let spec = table_spec();
    let message =
        |op: &str, detail: String| format!("DynamoDB {op} of table {name} failed: {detail}");
    let invalid = |err: aws_sdk_dynamodb::error::BuildError| {
        StoreError::permanent(message("CreateTable", err.to_string()))
    };
    let key = |attribute: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(attribute)
            .key_type(key_type)
            .build()
            .map_err(invalid)
    };

    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::from(spec.billing_mode))
        .key_schema(key(spec.partition_key, KeyType::Hash)?)
        .key_schema(key(spec.sort_key, KeyType::Range)?)
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(spec.gsi_name)
                .key_schema(key(spec.gsi_partition_key, KeyType::Hash)?)
                .key_schema(key(spec.gsi_sort_key, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(spec.gsi_projection))
                        .build(),
                )
                .build()
                .map_err(invalid)?,
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(spec.stream_view_type))
                .build()
                .map_err(invalid)?,
        );
    for (attribute, kind) in spec.attribute_definitions() {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::from(kind))
                .build()
                .map_err(invalid)?,
        );
    }
    if let Err(err) = request.send().await {
        if err
            .as_service_error()
            .is_some_and(|e| e.is_resource_in_use_exception())
        {
            return Err(StoreError::permanent(format!(
                "DynamoDB table {name} already exists; use it as is, or choose another name"
            )));
        }
        return Err(request_error(
            &err,
            message("CreateTable", error_detail(&err)),
        ));
    }

    let deadline = tokio::time::Instant::now() + CREATE_TIMEOUT;
    loop {
        let described = client.describe_table().table_name(name).send().await;
        let described = described
            .map_err(|err| request_error(&err, message("DescribeTable", error_detail(&err))))?;
        let table = described.table();
        let active = table.and_then(|t| t.table_status()) == Some(&TableStatus::Active)
            && table.is_some_and(|t| {
                t.global_secondary_indexes()
                    .iter()
                    .all(|i| i.index_status() == Some(&IndexStatus::Active))
            });
        if active {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::retryable(format!(
                "DynamoDB table {name} was created but is not ACTIVE after {}s",
                CREATE_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let ttl = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(spec.ttl_attribute)
        .build()
        .map_err(|err| StoreError::permanent(message("UpdateTimeToLive", err.to_string())))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|err| request_error(&err, message("UpdateTimeToLive", error_detail(&err))))?;
    Ok(())
}
