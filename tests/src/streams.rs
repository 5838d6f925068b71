//! A table's DynamoDB stream, read from moto's DynamoDB Streams API and shaped as the event
//! Lambda delivers to a stream-triggered function (`Records[].dynamodb.{Keys, NewImage,
//! OldImage, SequenceNumber}`), so the fan-out is fed what a real probe run wrote.

use std::collections::BTreeMap;

use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use serde_json::{Value, json};

/// Reads one table's stream from its start, shard by shard, remembering where it stopped.
pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    /// Each shard's next iterator (`None` once the shard is closed and read to its end).
    iterators: BTreeMap<String, Option<String>>,
}

impl StreamReader {
    /// Opens the stream of `table` (which must have one) at its oldest record.
    pub async fn open(config: &aws_config::SdkConfig, table: &str) -> StreamReader {
        let dynamo = aws_sdk_dynamodb::Client::new(config);
        let described = dynamo
            .describe_table()
            .table_name(table)
            .send()
            .await
            .expect("describe the table");
        let stream_arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .expect("the table has a stream")
            .to_string();
        let mut reader = StreamReader {
            client: aws_sdk_dynamodbstreams::Client::new(config),
            stream_arn,
            iterators: BTreeMap::new(),
        };
        reader.discover_shards().await;
        reader
    }

    /// The stream's ARN (the event's `eventSourceARN`).
    pub fn stream_arn(&self) -> &str {
        &self.stream_arn
    }

    async fn discover_shards(&mut self) {
        let described = self
            .client
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await
            .expect("describe the stream");
        let shards = described
            .stream_description()
            .map(|d| d.shards().to_vec())
            .unwrap_or_default();
        for shard in shards {
            let Some(id) = shard.shard_id() else { continue };
            if self.iterators.contains_key(id) {
                continue;
            }
            let iterator = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.stream_arn)
                .shard_id(id)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("a shard iterator")
                .shard_iterator
                .clone();
            self.iterators.insert(id.to_string(), iterator);
        }
    }

    /// Every record written since the last call (all shards), oldest first per shard.
    pub async fn records(&mut self) -> Vec<Record> {
        self.discover_shards().await;
        let mut records = Vec::new();
        let shard_ids: Vec<String> = self.iterators.keys().cloned().collect();
        for id in shard_ids {
            // Read the shard until it returns nothing new (moto answers at most 1,000 per call).
            while let Some(Some(iterator)) = self.iterators.get(&id).cloned() {
                let page = self
                    .client
                    .get_records()
                    .shard_iterator(iterator)
                    .send()
                    .await
                    .expect("stream records");
                let got = page.records().to_vec();
                self.iterators
                    .insert(id.clone(), page.next_shard_iterator().map(str::to_string));
                if got.is_empty() {
                    break;
                }
                records.extend(got);
            }
        }
        records
    }

    /// [`StreamReader::records`] as the Lambda event of a stream-triggered function.
    pub async fn next_event(&mut self) -> Value {
        let records = self.records().await;
        self.event(&records)
    }

    /// `records` as the Lambda event of a stream-triggered function.
    pub fn event(&self, records: &[Record]) -> Value {
        json!({ "Records": records.iter().map(|r| self.lambda_record(r)).collect::<Vec<_>>() })
    }

    fn lambda_record(&self, record: &Record) -> Value {
        let change = record.dynamodb().expect("a stream record has its change");
        let image = |item: Option<
            &std::collections::HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>,
        >| {
            item.map(|item| {
                let item: serde_dynamo::Item = item.clone().into();
                serde_json::to_value(item).expect("an item is JSON")
            })
        };
        let mut dynamodb = json!({
            "Keys": image(change.keys.as_ref()),
            "SequenceNumber": change.sequence_number(),
            "SizeBytes": change.size_bytes(),
            "StreamViewType": change.stream_view_type().map(|v| v.as_str()),
            "ApproximateCreationDateTime": change
                .approximate_creation_date_time()
                .map(|t| t.secs()),
        });
        if let Some(new) = image(change.new_image.as_ref()) {
            dynamodb["NewImage"] = new;
        }
        if let Some(old) = image(change.old_image.as_ref()) {
            dynamodb["OldImage"] = old;
        }
        json!({
            "eventID": record.event_id(),
            "eventName": record.event_name().map(|n| n.as_str()),
            "eventVersion": record.event_version(),
            "eventSource": "aws:dynamodb",
            "awsRegion": record.aws_region(),
            "eventSourceARN": self.stream_arn,
            "dynamodb": dynamodb,
        })
    }
}
