//! Store failures, sorted by what a caller can do about them.
//!
//! Every message names the table (or the memory store), the item's key and the operation, and
//! never an item's contents: a corrupt item is described by key, attribute and problem only.

use super::model::UnreadableItem;

/// A store failure. The variant tells the caller what to do:
///
/// | variant | what happened | what to do |
/// |---|---|---|
/// | [`Conflict`](StoreError::Conflict) | a condition failed: another writer changed the item first, or it does not exist | re-read, decide again |
/// | [`Retryable`](StoreError::Retryable) | throttling, a timeout, the network, a 5xx, a transaction collision | try the same again later ([`StoreError::is_retryable`]) |
/// | [`Corrupt`](StoreError::Corrupt) | an item that cannot be decoded | skip it and report it; never retry (it stays corrupt until rewritten) |
/// | [`Permanent`](StoreError::Permanent) | access denied, a missing table, a request DynamoDB refuses as invalid, a bad incident id | stop and tell an operator |
///
/// `Display` is the whole message; it is safe to log, print and store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A version conflict or another failed condition: the item is not in the state the write
    /// required (changed by another writer, or absent). Nothing was written.
    #[error("{message}")]
    Conflict {
        /// What failed: table, key, operation.
        message: String,
    },
    /// A failure that may pass: throttling (`ProvisionedThroughputExceededException`,
    /// `ThrottlingException`, `RequestLimitExceeded`, ...), a timeout, a network or dispatch
    /// error, a 5xx answer, a transaction that kept colliding with others.
    #[error("{message}")]
    Retryable {
        /// What failed: table, key, operation, and AWS's error code and message.
        message: String,
    },
    /// An item that cannot be decoded: which item, which attribute, what is wrong (never its
    /// value). Retrying reads the same item again; skip it and report it.
    #[error("{message}")]
    Corrupt {
        /// The whole message: where (table or store), the item's key, attribute and problem.
        message: String,
        /// The item, attribute and problem, for reports.
        item: UnreadableItem,
    },
    /// A failure that will not pass by retrying: access denied, a missing table, a request
    /// refused as invalid, a malformed incident id, an internal error.
    #[error("{message}")]
    Permanent {
        /// What failed: table, key, operation, and AWS's error code and message.
        message: String,
    },
}

/// A store result.
pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// A [`StoreError::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Self {
        StoreError::Conflict {
            message: message.into(),
        }
    }

    /// A [`StoreError::Retryable`].
    pub fn retryable(message: impl Into<String>) -> Self {
        StoreError::Retryable {
            message: message.into(),
        }
    }

    /// A [`StoreError::Permanent`].
    pub fn permanent(message: impl Into<String>) -> Self {
        StoreError::Permanent {
            message: message.into(),
        }
    }

    /// A [`StoreError::Corrupt`] read in `place` (`DynamoDB table credwatch`, `memory store`):
    /// `{place}: item {key} is corrupt: attribute {field} {problem}`.
    pub fn corrupt(place: &str, item: UnreadableItem) -> Self {
        StoreError::Corrupt {
            message: format!(
                "{place}: item {} is corrupt: attribute {} {}",
                item.key, item.field, item.problem
            ),
            item,
        }
    }

    /// Whether trying the same request again later may succeed (throttling, timeouts, network,
    /// 5xx). Never true for a corrupt item, a conflict or a permanent failure.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Retryable { .. })
    }

    /// The unreadable item, when this is a [`StoreError::Corrupt`].
    pub fn corrupt_item(&self) -> Option<&UnreadableItem> {
        match self {
            StoreError::Corrupt { item, .. } => Some(item),
            _ => None,
        }
    }

    /// The message (what `Display` shows).
    pub fn message(&self) -> &str {
        match self {
            StoreError::Conflict { message }
            | StoreError::Retryable { message }
            | StoreError::Corrupt { message, .. }
            | StoreError::Permanent { message } => message,
        }
    }

    /// The same kind of error with `context: ` before its message (the table, the operation).
    pub fn context(self, context: impl std::fmt::Display) -> Self {
        let prefixed = |message: String| format!("{context}: {message}");
        match self {
            StoreError::Conflict { message } => StoreError::conflict(prefixed(message)),
            StoreError::Retryable { message } => StoreError::retryable(prefixed(message)),
            StoreError::Corrupt { message, item } => StoreError::Corrupt {
                message: prefixed(message),
                item,
            },
            StoreError::Permanent { message } => StoreError::permanent(prefixed(message)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> UnreadableItem {
        UnreadableItem {
            key: "pk=INVENTORY sk=INT#alpha".into(),
            integration: Some("alpha".into()),
            field: "auth.health".into(),
            problem: "is not a valid health".into(),
        }
    }

    #[test]
    fn only_retryable_errors_are_retryable() {
        assert!(StoreError::retryable("throttled").is_retryable());
        for err in [
            StoreError::conflict("changed"),
            StoreError::permanent("denied"),
            StoreError::corrupt("memory store", item()),
        ] {
            assert!(!err.is_retryable(), "{err:?}");
        }
    }

    #[test]
    fn corrupt_errors_name_place_key_attribute_and_problem() {
        let err = StoreError::corrupt("DynamoDB table t1", item());
        assert_eq!(
            err.to_string(),
            "DynamoDB table t1: item pk=INVENTORY sk=INT#alpha is corrupt: attribute auth.health \
             is not a valid health"
        );
        assert_eq!(err.corrupt_item(), Some(&item()));
        assert_eq!(StoreError::conflict("x").corrupt_item(), None);
    }

    #[test]
    fn context_keeps_the_kind_and_prefixes_the_message() {
        let cases = [
            StoreError::conflict("m"),
            StoreError::retryable("m"),
            StoreError::permanent("m"),
        ];
        for err in cases {
            let kind = std::mem::discriminant(&err);
            let wrapped = err.context("DynamoDB table t1");
            assert_eq!(std::mem::discriminant(&wrapped), kind);
            assert_eq!(wrapped.message(), "DynamoDB table t1: m");
        }
        let corrupt = StoreError::corrupt("x", item()).context("y");
        assert_eq!(corrupt.corrupt_item(), Some(&item()));
        assert!(corrupt.to_string().starts_with("y: x: item "), "{corrupt}");
    }
}
