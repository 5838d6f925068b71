//! Classification of SFMC answers into outcome classes: pure functions over status, headers and
//! body.
//!
//! Only SFMC's own answers can make a credential, access or permission verdict. The order is:
//! 1. a redirect (3xx) is never SFMC's API answering (it does not redirect API calls), nor is a
//!    proxy's own challenge (407), so both are `intermediary_blocked` whatever the body says;
//! 2. an SFMC error body decides by its words and codes, then by its status. Only SFMC's own
//!    shapes count, strictly: OAuth `{error, error_description, error_uri}` with an RFC 6749
//!    code SFMC uses and SFMC's `error_uri` if any, or Marketing Cloud `{message, errorcode,
//!    documentation}` with a numeric `errorcode` (or SFMC's documentation link). A gateway's
//!    `{"message":"Forbidden"}` or `{"error":"access_denied"}` is not SFMC's answer;
//! 3. otherwise the status decides, knowing the body is not SFMC's: 596 ("Service Not Found" in
//!    SFMC's error table) is `service_not_found`, other 5xx stay transient (`sfmc_unavailable`,
//!    naming what answered), an empty 401 is SFMC's refusal and an empty 429 its throttling, and
//!    any other 4xx (HTML, text, other JSON or empty) is `intermediary_blocked`. A bare 401 or
//!    596 is SFMC's only when no `Via` or intermediary `Server` header (and, for 596, no HTML
//!    page) shows that a proxy made it.
//!
//! A body's size never changes its verdict: a body over the client's cap is read as far as the
//! cap, and one JSON value padded with whitespace is still that value.
//!
//! SFMC's statuses for several failures are undocumented, which is why the body goes first.
//!
//! One concern per file: `answer` (what was read), `failure` (what an attempt ends with),
//! `verdict` (the order above), `sfmc_error` (SFMC's own error bodies), `intermediary`
//! (answers that are not SFMC's), `retry_after` (the wait asked for), `token` and
//! `context` (the two successful answers).

mod answer;
mod context;
mod failure;
mod intermediary;
mod retry_after;
mod sfmc_error;
#[cfg(test)]
mod tests;
mod token;
mod verdict;

pub use answer::{AnswerHeaders, Body, HttpAnswer, MAX_HEADER_CHARS};
pub use context::{TokenContext, classify_context_answer};
pub use failure::Failure;
pub use retry_after::{MAX_RETRY_AFTER, parse_retry_after};
pub use token::{EndpointPolicy, TokenGrant, classify_token_answer, is_sfmc_rest_host, scope_diff};
