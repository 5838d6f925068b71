//! Secret-id matching: the name inside a Secrets Manager ARN, whether a secret is under a name
//! prefix, and whether two ways of naming a secret (a name or an ARN) name the same one.

/// The name of a secret given as a name or an ARN. A full ARN
/// (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX`) ends in a 6-character suffix
/// Secrets Manager adds to the name; it is dropped. A partial ARN (no suffix) whose name itself
/// ends in `-` and 6 letters or digits loses those too: only ever a shorter name, so a prefix
/// check on the result is never more permissive than on the real name.
pub fn secret_name(id: &str) -> &str {
    // Only a Secrets Manager secret ARN has a name inside; any other ARN is taken whole (and so
    // is under no prefix that does not start with `arn:`).
    let service = id.split(':').nth(2);
    let Some(with_suffix) = arn_name(id).filter(|_| service == Some("secretsmanager")) else {
        return id;
    };
    match with_suffix.rsplit_once('-') {
        Some((name, suffix))
            if suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            name
        }
        _ => with_suffix,
    }
}

/// Whether the secret `id` (a name or an ARN) names a secret under `prefix`.
pub fn is_under_prefix(id: &str, prefix: &str) -> bool {
    secret_name(id).starts_with(prefix)
}

/// Whether two ways of naming a secret (a name or an ARN) name the same secret. An ARN ends in
/// `:secret:NAME-xxxxxx`, where Secrets Manager adds the 6-character suffix to the name.
pub fn secret_ids_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (arn_name(a), arn_name(b)) {
        (Some(x), Some(y)) => x == y,
        (Some(with_suffix), None) => name_matches_arn_name(b, with_suffix),
        (None, Some(with_suffix)) => name_matches_arn_name(a, with_suffix),
        (None, None) => false,
    }
}

fn arn_name(id: &str) -> Option<&str> {
    if !id.starts_with("arn:") {
        return None;
    }
    id.split_once(":secret:").map(|(_, name)| name)
}

fn name_matches_arn_name(name: &str, arn_name: &str) -> bool {
    arn_name == name
        || arn_name
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|suffix| {
                suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric())
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns_match_each_other() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfmc/crm-sync-a1B2c3";
        assert!(secret_ids_match("sfmc/crm-sync", arn));
        assert!(secret_ids_match(arn, "sfmc/crm-sync"));
        assert!(secret_ids_match(arn, arn));
        assert!(
            !secret_ids_match("sfmc/crm", arn),
            "a prefix of the name is another secret"
        );
        assert!(!secret_ids_match("sfmc/crm-sync-other", "sfmc/crm-sync"));
        let partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfmc/crm-sync";
        assert!(secret_ids_match(partial, "sfmc/crm-sync"));
    }

    #[test]
    fn arns_are_checked_on_the_secret_name() {
        let arn =
            |name: &str| format!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}");
        assert_eq!(secret_name("sfmc/crm-sync"), "sfmc/crm-sync");
        assert_eq!(secret_name(&arn("sfmc/crm-sync-a1B2c3")), "sfmc/crm-sync");
        assert_eq!(
            secret_name(&arn("sfmc/crm-sync")),
            "sfmc/crm-sync",
            "partial ARN"
        );
        assert!(is_under_prefix(&arn("sfmc/crm-ops/sync-a1B2c3"), "sfmc/"));
        assert!(!is_under_prefix(&arn("other/sync-a1B2c3"), "sfmc/"));
        assert!(!is_under_prefix("other/sfmc/x", "sfmc/"));
        assert!(
            !is_under_prefix("arn:aws:s3:::bucket:secret:sfmc/x-AbC123", "sfmc/"),
            "not a Secrets Manager ARN"
        );
        // The suffix never counts towards the prefix: name "sfmc/a" is not under "sfmc/a-".
        assert!(!is_under_prefix(&arn("sfmc/a-b1C2d3"), "sfmc/a-"));
        assert!(
            is_under_prefix("sfmc/a-b1C2d3", "sfmc/a-"),
            "a name is taken as written"
        );
    }
}
