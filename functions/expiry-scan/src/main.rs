//! Lambda entry point of `credwatch-expiry-scan`: configuration and clients, built once; the
//! work is in the library.

use credwatch::store::dynamo::DynamoStore;
use credwatch_expiry_scan::handle_at;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    credwatch::telemetry::logging::init_lambda();
    let table = std::env::var("CREDWATCH_TABLE")
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or("CREDWATCH_TABLE is not set; it names the credwatch DynamoDB table")?;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table);
    let store = &store;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle_at(store, &event.payload, chrono::Utc::now())
            .await
            .map_err(Error::from)
    }))
    .await
}
