//! Lambda entry point of `credwatch-probe`: configuration and clients, built once; the work is
//! in the library.

use std::time::Duration;

use credwatch::jobs::probe_cycle::CycleSettings;
use credwatch::probe::{Concurrency, Prober, RetryPolicy};
use credwatch::secrets::aws::{AwsSecrets, DEFAULT_CACHE_TTL, SecretPolicy};
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch::store::dynamo::DynamoStore;
use credwatch::text::duration::parse_duration;
use credwatch_probe::{App, deadline_instant, handle_until};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    credwatch::telemetry::logging::init_lambda();
    let table = required_env("CREDWATCH_TABLE")?;
    let secret_policy = secret_policy()?;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let request_timeout = optional_duration("CREDWATCH_REQUEST_TIMEOUT", Duration::from_secs(10))?;
    let allow_any_endpoint = std::env::var("CREDWATCH_ALLOW_ANY_ENDPOINT").is_ok_and(|v| v == "1");
    let client = SfmcClient::new(ClientSettings {
        request_timeout,
        connect_timeout: request_timeout.min(Duration::from_secs(5)),
        endpoint_policy: if allow_any_endpoint {
            EndpointPolicy::AnyEndpoint
        } else {
            EndpointPolicy::SfmcOnly
        },
        ..ClientSettings::default()
    })?;
    let concurrency = Concurrency {
        global: optional_number("CREDWATCH_PROBE_CONCURRENCY", 32)?,
        per_host: optional_number("CREDWATCH_PROBE_PER_HOST", 8)?,
    };
    let app = App {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table),
        prober: Prober::new(client, RetryPolicy::default()),
        secrets: AwsSecrets::with_policy(
            aws_sdk_secretsmanager::Client::new(&aws),
            DEFAULT_CACHE_TTL,
            secret_policy,
        ),
        settings: CycleSettings {
            concurrency,
            ..CycleSettings::default()
        },
    };
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = deadline_instant(event.context.deadline);
        handle_until(app, &event.payload, chrono::Utc::now(), Some(deadline))
            .await
            .map_err(Error::from)
    }))
    .await
}

fn required_env(name: &str) -> Result<String, Error> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{name} is not set; it names the credwatch DynamoDB table").into())
}

/// The deployed policy: Secrets Manager only, only under `CREDWATCH_SECRET_PREFIX` (the
/// template sets it from `SecretNamePrefix`). Without a prefix the function refuses to start:
/// a loud init error (and the heartbeat alarm) beats probing with secrets it may not read.
/// `CREDWATCH_ALLOW_LOCAL_SECRETS=1` also allows env and file sources, for tests and
/// benchmarks of the binary; the template never sets it.
fn secret_policy() -> Result<SecretPolicy, Error> {
    let prefix = std::env::var("CREDWATCH_SECRET_PREFIX")
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or(
            "CREDWATCH_SECRET_PREFIX is not set; it names the Secrets Manager prefix (e.g. sfmc/) \
             under which the probe may read client secrets",
        )?;
    let mut policy = SecretPolicy::deployed(prefix);
    policy.local_sources = std::env::var("CREDWATCH_ALLOW_LOCAL_SECRETS").is_ok_and(|v| v == "1");
    Ok(policy)
}

fn optional_duration(name: &str, default: Duration) -> Result<Duration, Error> {
    match std::env::var(name) {
        Ok(text) => parse_duration(&text).map_err(|why| format!("{name}={text:?}: {why}").into()),
        Err(_) => Ok(default),
    }
}

fn optional_number(name: &str, default: usize) -> Result<usize, Error> {
    match std::env::var(name) {
        Ok(text) => match text.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{name}={text:?}: must be a positive whole number").into()),
        },
        Err(_) => Ok(default),
    }
}
