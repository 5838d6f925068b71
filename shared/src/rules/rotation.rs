//! Whether a Secrets Manager change event is a rotation: only when the secret's value actually
//! changed, judged by comparing fingerprints ([`crate::secrets::fingerprint`]), never values.

/// What a change event means for one integration, given its stored baseline and the
/// fingerprint of the value read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The value changed: a rotation.
    Rotated,
    /// The same value was saved again: not a rotation.
    Unchanged,
    /// No probe has read the secret yet, so there is nothing to compare with: not counted as a
    /// rotation (the probe that follows records the baseline).
    NoBaseline,
}

/// Pure: compares the stored baseline with the fingerprint of the value read now.
pub fn verdict(baseline: Option<&str>, now: &str) -> Verdict {
    match baseline {
        None => Verdict::NoBaseline,
        Some(before) if before == now => Verdict::Unchanged,
        Some(_) => Verdict::Rotated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_changed_value_is_a_rotation() {
        assert_eq!(verdict(Some("aa"), "bb"), Verdict::Rotated);
        assert_eq!(verdict(Some("aa"), "aa"), Verdict::Unchanged);
        assert_eq!(verdict(None, "aa"), Verdict::NoBaseline);
    }
}
