//! How a probe retries inside itself: one more attempt, after SFMC's wait or a backoff.

use std::time::Duration;

use crate::domain::outcome::OutcomeClass;

/// Wait before retrying a transient failure when SFMC gave no wait ([`RetryPolicy::default`]).
pub const DEFAULT_TRANSIENT_BACKOFF: Duration = Duration::from_secs(1);

/// Longest wait SFMC may ask for that a probe honours ([`RetryPolicy::default`]).
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// How a probe retries inside itself.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Wait before retrying a transient failure when SFMC gave no `Retry-After`.
    pub transient_backoff: Duration,
    /// Longest `Retry-After` we honour inside a probe; beyond it we retry after this long.
    pub max_retry_after: Duration,
}

/// How long to wait before the second attempt. SFMC's wait (`Retry-After` or the body's
/// `retryAfter`) is honoured whatever the class, capped at `max_retry_after`; without one, a
/// transient failure waits `transient_backoff` and a definitive one is confirmed at once.
pub fn retry_wait(policy: &RetryPolicy, class: OutcomeClass, asked: Option<Duration>) -> Duration {
    match asked {
        Some(asked) => asked.min(policy.max_retry_after),
        None if class.is_transient() => policy.transient_backoff,
        None => Duration::ZERO,
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            transient_backoff: DEFAULT_TRANSIENT_BACKOFF,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sfmcs_wait_is_honoured_for_every_class_and_capped() {
        let policy = RetryPolicy {
            transient_backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(10),
        };
        for class in OutcomeClass::ALL {
            assert_eq!(
                retry_wait(&policy, class, Some(Duration::from_secs(3))),
                Duration::from_secs(3),
                "{class}"
            );
            assert_eq!(
                retry_wait(&policy, class, Some(Duration::from_secs(3600))),
                Duration::from_secs(10),
                "{class}"
            );
            let unasked = retry_wait(&policy, class, None);
            if class.is_transient() {
                assert_eq!(unasked, Duration::from_secs(1), "{class}");
            } else {
                assert_eq!(unasked, Duration::ZERO, "{class}");
            }
        }
    }
}
