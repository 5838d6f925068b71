//! Containing a panic to the one integration it happened for: the probe cycle and the expiry
//! scan both commit integration by integration, and neither may stop for one bad item.

use std::future::Future;

use crate::store::StoreError;

/// Runs one integration's commit so that a panic inside it (a decision or a store adapter
/// meeting data nobody foresaw) becomes that integration's error and never stops the run for
/// the others, as probing already does with its own `catch_unwind`. A panic becomes a
/// [`StoreError`] saying nothing was saved; every other result passes through unchanged.
pub(crate) async fn contain_panic<T>(
    committing: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    use futures::FutureExt as _;
    match std::panic::AssertUnwindSafe(committing)
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(_) => Err(StoreError::permanent(
            "saving the result failed unexpectedly (an internal error, logged); nothing was \
             saved for this integration and it is tried again next run",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_while_committing_is_that_integrations_error() {
        let panicking = async {
            if "alpha".len() == 5 {
                panic!("a decision met data nobody foresaw");
            }
            Ok::<u32, StoreError>(1)
        };
        let err = contain_panic(panicking).await.unwrap_err();
        assert!(err.to_string().contains("nothing was saved"), "{err}");
        let failed = async { Err::<u32, _>(StoreError::retryable("throttled")) };
        assert_eq!(
            contain_panic(failed).await,
            Err(StoreError::retryable("throttled"))
        );
        let fine = async { Ok::<u32, StoreError>(7) };
        assert_eq!(contain_panic(fine).await, Ok(7));
    }
}
