//! Lambda entry point of `credwatch-alert-fanout`: configuration and clients, built once; the
//! work is in the library.

use credwatch::notify::sns::SnsPublisher;
use credwatch::store::dynamo::DynamoStore;
use credwatch::subscriptions::sns::SnsSubscriptions;
use credwatch::telemetry::logging::{self, LogOutput};
use credwatch_alert_fanout::{App, DrillPort, handle_with_drill};
use credwatch_lambda::{Config, aws_sdk_config, serve};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    logging::init(LogOutput::Lambda, &config.log_filter);
    let topic_arn = config.topic_arn()?.to_string();
    let aws = aws_sdk_config().await;
    let app = App {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table.clone()),
        publisher: SnsPublisher::new(aws_sdk_sns::Client::new(&aws), topic_arn.clone()),
        sweep_limit: credwatch_alert_fanout::SWEEP_LIMIT,
    };
    let drill = DrillPort {
        subscriptions: SnsSubscriptions::new(aws_sdk_sns::Client::new(&aws)),
        topic: topic_arn,
    };
    let (app, drill) = (&app, &drill);
    serve(move |event| async move {
        handle_with_drill(
            app,
            drill,
            &event.payload,
            chrono::Utc::now(),
            Some(event.deadline),
        )
        .await
    })
    .await
}
