//! Lambda entry point of `credwatch-ingest`: configuration and the store, built once; the work
//! is in the library.

use credwatch::store::dynamo::DynamoStore;
use credwatch::telemetry::logging::{self, LogOutput};
use credwatch_ingest::config::ingest_config;
use credwatch_ingest::{App, handle};
use credwatch_lambda::{Config, aws_sdk_config, serve};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    logging::init(LogOutput::Lambda, &config.log_filter);
    let ingest = ingest_config(|name| std::env::var(name).ok())?;
    let aws = aws_sdk_config().await;
    let app = App {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table.clone()),
        config: ingest,
    };
    let app = &app;
    serve(move |event| async move {
        handle(app, &event.payload, event.account(), chrono::Utc::now()).await
    })
    .await
}
