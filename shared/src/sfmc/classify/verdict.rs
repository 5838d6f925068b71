//! Which failure an answer shows, if any: the order of the checks (see [`super`]).

use serde_json::Value;

use super::answer::{HttpAnswer, Step};
use super::failure::Failure;
use super::intermediary::{classify_non_sfmc_body, intermediary};
use super::retry_after::with_retry_after;
use super::sfmc_error::classify_error_body;
use crate::secrets::Secret;

/// The failure an answer shows, or `None` for a 2xx that is not an SFMC error body (then the
/// caller reads it as a success). Carries the wait SFMC asked for, whatever the class.
pub(super) fn classify_failure(
    answer: &HttpAnswer,
    json: Option<&Value>,
    secrets: &[&Secret],
    step: Step,
) -> Option<Failure> {
    let status = answer.status;
    // A redirect or a proxy's own challenge (407) is never SFMC's API, whatever the body says.
    let failure = if (300..400).contains(&status) || status == 407 {
        Some(intermediary(answer, secrets, step))
    } else if let Some(failure) = json.and_then(|j| classify_error_body(j, status, secrets, step)) {
        Some(failure)
    } else if (200..300).contains(&status) {
        None
    } else {
        Some(classify_non_sfmc_body(answer, secrets, step))
    }?;
    Some(with_retry_after(failure, answer, json))
}
