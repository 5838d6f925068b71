//! Lambda entry point of `credwatch-probe`: configuration and clients, built once; the work is
//! in the library.

use credwatch::jobs::probe_cycle::CycleSettings;
use credwatch::probe::{Prober, RetryPolicy};
use credwatch::secrets::aws::{AwsSecrets, DEFAULT_CACHE_TTL};
use credwatch::sfmc::SfmcClient;
use credwatch::store::dynamo::DynamoStore;
use credwatch::telemetry::logging::{self, LogOutput};
use credwatch_lambda::{Config, aws_sdk_config, serve};
use credwatch_probe::{App, handle_until};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    logging::init(LogOutput::Lambda, &config.log_filter);
    let secret_policy = config.secret_policy()?;
    let aws = aws_sdk_config().await;
    let app = App {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table.clone()),
        prober: Prober::new(
            SfmcClient::new(config.client_settings())?,
            RetryPolicy::default(),
        ),
        secrets: AwsSecrets::with_policy(
            aws_sdk_secretsmanager::Client::new(&aws),
            DEFAULT_CACHE_TTL,
            secret_policy,
        ),
        settings: CycleSettings {
            concurrency: config.concurrency,
            ..CycleSettings::default()
        },
    };
    let app = &app;
    serve(move |event| async move {
        handle_until(
            app,
            &event.payload,
            chrono::Utc::now(),
            Some(event.deadline),
        )
        .await
    })
    .await
}
