//! Lambda entry point of `credwatch-slack-notify`: configuration and clients, built once; the
//! work is in the library.

use credwatch::notify::slack::webhook::{HttpTransport, SlackPoster};
use credwatch::secrets::SecretPolicy;
use credwatch::secrets::aws::{AwsSecrets, DEFAULT_CACHE_TTL};
use credwatch::store::dynamo::DynamoStore;
use credwatch::telemetry::logging::{self, LogOutput};
use credwatch_lambda::{Config, aws_sdk_config, serve};
use credwatch_slack_notify::{App, handle_until};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    logging::init(LogOutput::Lambda, &config.log_filter);
    let prefix = config.slack_secret_prefix()?.to_string();
    let aws = aws_sdk_config().await;
    let app = App {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table.clone()),
        secrets: AwsSecrets::with_policy(
            aws_sdk_secretsmanager::Client::new(&aws),
            DEFAULT_CACHE_TTL,
            SecretPolicy::deployed(prefix.clone()),
        ),
        poster: SlackPoster::new(HttpTransport::new()?),
        prefix,
        allow_any_endpoint: config.allow_any_endpoint,
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
