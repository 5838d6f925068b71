//! A hello-world `lambda_runtime` function: the baseline that `credwatch-probe`'s init time is
//! compared with (`cargo bench -p credwatch-tests --bench lambda_init`).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
