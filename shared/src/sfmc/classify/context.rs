//! The tokenContext answer (`GET /platform/v1/tokenContext`): which account the token is for.

use serde_json::Value;

use super::answer::{Body, HttpAnswer, Step, complete_json};
use super::failure::{Failure, malformed};
use super::verdict::classify_failure;
use crate::secrets::Secret;

/// `organization.id` / `enterprise.id` from tokenContext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenContext {
    /// The MID of the business unit the token is for (`organization.id`).
    pub organization_id: u64,
    /// The MID of the enterprise (parent) account (`enterprise.id`), when SFMC gives it.
    pub enterprise_id: Option<u64>,
}

/// Reads the tokenContext answer.
pub fn classify_context_answer(
    answer: &HttpAnswer,
    secrets: &[&Secret],
) -> Result<TokenContext, Failure> {
    let status = answer.status;
    let json = complete_json(answer);
    if let Some(failure) = classify_failure(answer, json.as_ref(), secrets, Step::Rest) {
        return Err(failure);
    }
    if let Body::TooLarge { limit, .. } = answer.body {
        return Err(malformed(
            status,
            format!(
                "SFMC's tokenContext answer (HTTP {status}) was larger than {limit} bytes; not read further"
            ),
        ));
    }
    let id_at = |pointer: &str| {
        json.as_ref()
            .and_then(|j| j.pointer(pointer))
            .and_then(as_id)
    };
    let organization_id = id_at("/organization/id");
    match organization_id {
        Some(organization_id) => Ok(TokenContext {
            organization_id,
            enterprise_id: id_at("/enterprise/id"),
        }),
        None => Err(malformed(
            status,
            "SFMC's tokenContext answer had no organization.id",
        )),
    }
}

/// A MID as SFMC documents it (a number), or as a numeric string, which some proxies produce.
pub(super) fn as_id(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}
