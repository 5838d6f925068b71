//! The invocation loop: [`serve`] hands each Lambda event to a handler as an [`Invocation`].

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use crate::InvocationError;

/// The longest an invocation's deadline is taken to be away: Lambda's own limit is 15 minutes,
/// so anything further is a clock or runtime fault, not a budget.
const MAX_BUDGET: Duration = Duration::from_secs(86_400);

/// One Lambda invocation as a handler sees it.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The event, as JSON (an EventBridge event, or a direct invoke's payload).
    pub payload: Value,
    /// When Lambda stops the invocation, on this process's monotonic clock.
    pub deadline: tokio::time::Instant,
    /// The ARN the function was invoked by (`arn:aws:lambda:{region}:{account}:function:{name}`,
    /// perhaps with a qualifier): its account is the function's own.
    pub function_arn: String,
}

impl Invocation {
    /// The account of [`Invocation::function_arn`] (its fifth `:`-separated part); `None` when
    /// the ARN has none.
    pub fn account(&self) -> Option<&str> {
        account_of_arn(&self.function_arn)
    }
}

/// The account of an ARN (`arn:{partition}:{service}:{region}:{account}:...`): twelve digits,
/// else `None`.
pub fn account_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    let account = (parts.next() == Some("arn"))
        .then(|| parts.nth(3))
        .flatten()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// The Lambda deadline (`LambdaEvent.context.deadline`, milliseconds since the Unix epoch) as
/// an instant of this process's clock; a deadline already past is now, one more than a day away
/// is a day away.
pub fn deadline_instant(deadline_ms: u64) -> tokio::time::Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    tokio::time::Instant::now() + remaining(deadline_ms, now_ms)
}

/// Time left until `deadline_ms` at `now_ms` (both milliseconds since the Unix epoch): zero
/// once past, at most [`MAX_BUDGET`].
fn remaining(deadline_ms: u64, now_ms: u128) -> Duration {
    let left = u128::from(deadline_ms).saturating_sub(now_ms);
    Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX)).min(MAX_BUDGET)
}

/// Runs the Lambda runtime loop until the runtime stops: each event goes to `handler`, whose
/// JSON answer is the invocation's response and whose [`InvocationError`] is its failure
/// (`errorType` `Retryable` or `NonRetryable`).
///
/// # Errors
/// What `lambda_runtime::run` returns when the Runtime API fails (not a handler's failure,
/// which is reported and the loop goes on).
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Invocation) -> Fut,
    Fut: Future<Output = Result<Value, InvocationError>>,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler(Invocation {
            payload: event.payload,
            deadline: deadline_instant(event.context.deadline),
            function_arn: event.context.invoked_function_arn,
        })
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_is_zero_once_past_and_at_most_a_day() {
        let now: u128 = 1_700_000_000_000;
        let at = |ms: u128| u64::try_from(ms).expect("test instants fit in u64");
        let cases = [
            (at(now + 60_000), Duration::from_secs(60)),
            (at(now + 1), Duration::from_millis(1)),
            (at(now), Duration::ZERO),
            (at(now - 1), Duration::ZERO),
            (0, Duration::ZERO),
            (at(now) + 86_400_000, MAX_BUDGET),
            (at(now) + 86_400_001, MAX_BUDGET),
            (u64::MAX, MAX_BUDGET),
        ];
        for (deadline, left) in cases {
            assert_eq!(remaining(deadline, now), left, "deadline {deadline}");
        }
    }

    #[test]
    fn the_account_is_the_fifth_part_of_the_arn() {
        let cases = [
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:cw-ingest",
                Some("123456789012"),
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:cw-ingest:live",
                Some("123456789012"),
            ),
            (
                "arn:aws-cn:lambda:cn-north-1:210987654321:function:f",
                Some("210987654321"),
            ),
            ("arn:aws:lambda:eu-west-1:12345:function:f", None),
            ("arn:aws:lambda:eu-west-1", None),
            (
                "not-an-arn:aws:lambda:eu-west-1:123456789012:function:f",
                None,
            ),
            ("", None),
        ];
        for (arn, account) in cases {
            assert_eq!(account_of_arn(arn), account, "{arn}");
        }
    }

    #[test]
    fn deadlines_ahead_are_instants_ahead_and_past_ones_are_now() {
        let before = tokio::time::Instant::now();
        assert!(deadline_instant(u64::MAX) >= before + MAX_BUDGET);
        let past = deadline_instant(0);
        assert!(past >= before && past <= tokio::time::Instant::now());
    }
}
