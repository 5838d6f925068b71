//! Logging set-up of the Lambda functions: JSON lines on stderr (CloudWatch Logs), no ANSI
//! colours, level from `CREDWATCH_LOG` or `RUST_LOG` (default `info`). Secrets never reach a
//! log: they are [`crate::secrets::Secret`]s, which cannot be formatted.

use tracing_subscriber::EnvFilter;

pub fn init_lambda() {
    let filter = EnvFilter::try_from_env("CREDWATCH_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
}
