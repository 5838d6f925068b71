//! moto_server, the AWS API emulator the tests run against. `scripts/test.sh` starts one on a
//! free port and exports its URL as `CREDWATCH_TEST_AWS_ENDPOINT`; tests use unique resource
//! names so they can share it.

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the running moto_server.
pub const ENDPOINT_VAR: &str = "CREDWATCH_TEST_AWS_ENDPOINT";

/// The moto endpoint, e.g. `http://127.0.0.1:5123`. Panics with how-to-fix when unset, so a
/// test needing AWS can never pass vacuously.
pub fn endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set: these tests need moto_server. Run ./scripts/test.sh, which starts it, \
             or start one yourself (.venv/bin/moto_server -p 5123) and export {ENDPOINT_VAR}=http://127.0.0.1:5123"
        )
    })
}

/// SDK configuration pointing at moto with test credentials and a fixed region (without them
/// the SDK would probe the EC2 metadata endpoint and fail slowly), and a bound on every
/// attempt: moto answers one request at a time, and a request that never gets an answer must
/// fail the test (after the SDK's retries), never hang the run.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let credentials = aws_sdk_dynamodb::config::Credentials::new(
        "testing",
        "testing",
        None,
        None,
        "credwatch-tests",
    );
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(endpoint())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .operation_attempt_timeout(std::time::Duration::from_secs(60))
                .build(),
        )
        .load()
        .await
}

/// Environment for a child process (the CLI, a function binary) to reach the same moto.
pub fn child_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ]
}

/// A name no other test (or earlier run against the same moto) uses: for tables, secrets and
/// scratch directories.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Counts DynamoDB requests by operation (from the `X-Amz-Target` header of each request sent),
/// to measure requests per probed integration.
#[derive(Debug, Clone, Default)]
pub struct DynamoRequestCounter {
    counts: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, u64>>>,
}

impl DynamoRequestCounter {
    /// Requests per operation so far, e.g. {"Query": 1, "UpdateItem": 100}.
    pub fn counts(&self) -> std::collections::BTreeMap<String, u64> {
        self.counts.lock().unwrap().clone()
    }

    /// Requests of every operation so far.
    pub fn total(&self) -> u64 {
        self.counts.lock().unwrap().values().sum()
    }

    /// Forgets the requests counted so far.
    pub fn reset(&self) {
        self.counts.lock().unwrap().clear();
    }

    /// A DynamoDB client on `config` whose every request is counted here.
    pub fn client(&self, config: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        let dynamo = aws_sdk_dynamodb::config::Builder::from(config)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(dynamo)
    }
}

impl aws_sdk_dynamodb::config::Intercept for DynamoRequestCounter {
    fn name(&self) -> &'static str {
        "DynamoRequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("unknown");
        let operation = target.rsplit('.').next().unwrap_or(target).to_string();
        *self.counts.lock().unwrap().entry(operation).or_default() += 1;
        Ok(())
    }
}
