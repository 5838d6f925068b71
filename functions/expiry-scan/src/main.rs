//! Lambda entry point of `credwatch-expiry-scan`: configuration and clients, built once; the
//! work is in the library.

use credwatch::store::dynamo::DynamoStore;
use credwatch::telemetry::logging::{self, LogOutput};
use credwatch_expiry_scan::handle_at;
use credwatch_lambda::{Config, aws_sdk_config, serve};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    logging::init(LogOutput::Lambda, &config.log_filter);
    let aws = aws_sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table);
    let store = &store;
    serve(move |event| async move { handle_at(store, &event.payload, chrono::Utc::now()).await })
        .await
}
