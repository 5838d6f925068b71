//! What the client read of an HTTP answer (status, the headers that tell who answered, a
//! possibly truncated body), and which of the two requests it answers.

use std::time::Duration;

use serde_json::Value;

/// An HTTP answer as the client read it.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    /// The HTTP status code, e.g. 200, 401, 596.
    pub status: u16,
    /// `Retry-After` (seconds or an HTTP date), as a wait from when the answer arrived; `None`
    /// when absent or unreadable.
    pub retry_after: Option<Duration>,
    /// The headers that tell who answered.
    pub headers: AnswerHeaders,
    /// The body as far as it was read.
    pub body: Body,
}

impl HttpAnswer {
    /// An answer with a complete body and no headers of interest.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpAnswer {
            status,
            retry_after: None,
            headers: AnswerHeaders::default(),
            body: Body::Complete(body.into()),
        }
    }
}

/// The response headers classification looks at, as text (lossy UTF-8, each capped at
/// [`MAX_HEADER_CHARS`] by the client). Never shown unsanitized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerHeaders {
    /// `Server`, e.g. `cloudflare`, `AkamaiGHost`, `squid/5.7`.
    pub server: Option<String>,
    /// `Via`, which proxies add (used when there is no `Server`).
    pub via: Option<String>,
    /// `Content-Type`, e.g. `text/html; charset=utf-8`.
    pub content_type: Option<String>,
    /// `Location` of a redirect.
    pub location: Option<String>,
}

/// Longest header value kept, in characters.
pub const MAX_HEADER_CHARS: usize = 256;

/// An answer's body: all of it, or the first bytes of one longer than the client reads.
#[derive(Debug, Clone)]
pub enum Body {
    /// Every byte of the body.
    Complete(Vec<u8>),
    /// The body was longer than the client's cap; only its first `limit` bytes were read.
    TooLarge {
        /// The client's cap, in bytes ([`crate::sfmc::ClientSettings::max_body_bytes`]).
        limit: usize,
        /// The first `limit` bytes.
        prefix: Vec<u8>,
    },
}

impl Body {
    /// The bytes read: all of them, or the prefix of a body that was too large.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Body::Complete(bytes) => bytes,
            Body::TooLarge { prefix, .. } => prefix,
        }
    }
}

/// Which request an answer is to: the words and classes differ between the two.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Step {
    Token,
    Rest,
}

impl Step {
    /// The request, in the words of a message.
    pub(super) fn request(self) -> &'static str {
        match self {
            Step::Token => "the token request",
            Step::Rest => "the tokenContext call",
        }
    }
}

/// The body as JSON, when it parses. A body too large to read completely counts as JSON when
/// the part read is one JSON value followed only by whitespace, so padding never changes what
/// the body is (and so never the verdict); callers still refuse a too-large success body.
pub(super) fn complete_json(answer: &HttpAnswer) -> Option<Value> {
    match &answer.body {
        Body::Complete(bytes) => serde_json::from_slice(bytes).ok(),
        Body::TooLarge { prefix, .. } => {
            let mut values = serde_json::Deserializer::from_slice(prefix).into_iter::<Value>();
            let value = values.next()?.ok()?;
            prefix[values.byte_offset()..]
                .trim_ascii()
                .is_empty()
                .then_some(value)
        }
    }
}
