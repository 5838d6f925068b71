//! Posting to a Slack incoming webhook: the URL as a credential ([`WebhookUrl`]), the HTTP
//! transport behind a small trait ([`WebhookTransport`]; [`HttpTransport`] is reqwest), the
//! process-wide pacing of posts per webhook ([`Pacer`]), and [`SlackPoster`], which posts once
//! and honours a `429`'s `Retry-After` when the wait fits the invocation's time.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::answer::{MAX_BODY_BYTES, SlackAnswer, classify};
use crate::secrets::{Secret, secret_fingerprint};

/// Hosts of Slack's incoming webhooks (commercial and GovSlack).
pub const SLACK_WEBHOOK_HOSTS: [&str; 2] = ["hooks.slack.com", "hooks.slack-gov.com"];

/// How long connecting to Slack may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one post may take, from connecting to the end of the answer.
pub const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// The gap between two posts to one webhook: Slack allows about one message per second per
/// webhook ("Rate limits": incoming webhooks, 1 per second, short bursts tolerated).
pub const POST_GAP: Duration = Duration::from_secs(1);

/// Why a post was not sent: too little of the invocation's time was left for it (and for
/// recording its answer) before Lambda's timeout.
pub const NOT_POSTED_NO_TIME: &str = "not posted: too little of the invocation's time was left";

/// Most posts of one message in one invocation (the first and the retries after `429`s).
pub const MAX_ATTEMPTS: u32 = 3;

/// The longest secret value read as a webhook, in bytes (a Slack webhook URL is about 80).
pub const MAX_WEBHOOK_BYTES: usize = 2_048;

/// A Slack incoming-webhook URL: a credential (whoever has it can post to the channel). Its
/// `Debug` shows only [`WebhookUrl::key`]; it has no `Display` and is not `Serialize`.
#[derive(Clone)]
pub struct WebhookUrl {
    url: Secret,
    key: String,
}

/// Why a secret's value is not a usable webhook URL. Says what is wrong with its shape, never
/// the value or any part of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadWebhook(pub String);

impl WebhookUrl {
    /// The webhook in a secret's value: the URL as the whole string (surrounding whitespace
    /// ignored), or a JSON object whose one key `url` holds it. The URL must be `https` on one
    /// of [`SLACK_WEBHOOK_HOSTS`]; with `allow_any_endpoint` (tests, like SFMC endpoints) any
    /// `http` or `https` URL.
    ///
    /// # Errors
    /// [`BadWebhook`] saying what is wrong, without the value.
    pub fn from_secret(value: &Secret, allow_any_endpoint: bool) -> Result<WebhookUrl, BadWebhook> {
        let text = value.expose().trim();
        if text.is_empty() {
            return Err(BadWebhook("the secret is empty".into()));
        }
        if text.len() > MAX_WEBHOOK_BYTES {
            return Err(BadWebhook(format!(
                "the secret holds more than {MAX_WEBHOOK_BYTES} bytes, which is not a webhook URL"
            )));
        }
        let url = if text.starts_with('{') {
            let json: serde_json::Value = serde_json::from_str(text)
                .map_err(|_| BadWebhook("the secret starts with { but is not JSON".into()))?;
            let object = json
                .as_object()
                .ok_or_else(|| BadWebhook("the secret is JSON but not an object".into()))?;
            match (object.len(), object.get("url")) {
                (1, Some(serde_json::Value::String(url))) => Secret::new(url.trim()),
                (_, Some(serde_json::Value::String(_))) => {
                    return Err(BadWebhook(
                        "the secret's JSON must hold only the key url".into(),
                    ));
                }
                (_, Some(_)) => {
                    return Err(BadWebhook("the secret's key url is not a string".into()));
                }
                (_, None) => {
                    return Err(BadWebhook(
                        "the secret's JSON has no key url (store the webhook URL as the whole \
                         secret, or as {\"url\": \"...\"})"
                            .into(),
                    ));
                }
            }
        } else {
            Secret::new(text)
        };
        let parsed = url::Url::parse(url.expose())
            .map_err(|_| BadWebhook("the secret does not hold a URL".into()))?;
        let host = parsed.host_str().unwrap_or("");
        let slack = parsed.scheme() == "https"
            && SLACK_WEBHOOK_HOSTS.contains(&host)
            && parsed.username().is_empty()
            && parsed.password().is_none()
            && parsed.port().is_none();
        let any =
            allow_any_endpoint && matches!(parsed.scheme(), "http" | "https") && !host.is_empty();
        if !(slack || any) {
            return Err(BadWebhook(format!(
                "the secret's URL is not a Slack incoming webhook (https://{} or https://{})",
                SLACK_WEBHOOK_HOSTS[0], SLACK_WEBHOOK_HOSTS[1]
            )));
        }
        Ok(WebhookUrl {
            key: secret_fingerprint("slack-webhook", &url)[..12].to_string(),
            url,
        })
    }

    /// A short hash of the URL (12 hex digits) that names the webhook in logs and keys its
    /// pacing; it cannot be turned back into the URL.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The URL. Call only to send the request.
    pub fn expose(&self) -> &str {
        self.url.expose()
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl([redacted] {})", self.key)
    }
}

/// What came back from one post: the status, the `Retry-After` header and the first
/// [`MAX_BODY_BYTES`] of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAnswer {
    /// The HTTP status.
    pub status: u16,
    /// `Retry-After`, when present and text.
    pub retry_after: Option<String>,
    /// At most [`MAX_BODY_BYTES`] of the body.
    pub body: Vec<u8>,
}

/// Sends one JSON body to a webhook.
pub trait WebhookTransport: Send + Sync {
    /// POSTs `body` (JSON) to `url`.
    ///
    /// # Errors
    /// A short description of a network failure (`timeout`, `connection failed`...), never the
    /// URL.
    fn send(
        &self,
        url: &WebhookUrl,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<RawAnswer, String>> + Send;
}

/// [`WebhookTransport`] over reqwest: [`CONNECT_TIMEOUT`], [`POST_TIMEOUT`], no redirects
/// followed (a webhook never redirects; following one would send the message elsewhere).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
}

impl HttpTransport {
    /// The transport with the timeouts above.
    ///
    /// # Errors
    /// When the TLS backend cannot start (reqwest's builder fails).
    pub fn new() -> Result<HttpTransport, String> {
        HttpTransport::with_timeouts(CONNECT_TIMEOUT, POST_TIMEOUT)
    }

    /// The transport with other timeouts (tests of a slow answer).
    ///
    /// # Errors
    /// As [`HttpTransport::new`].
    pub fn with_timeouts(connect: Duration, total: Duration) -> Result<HttpTransport, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(total)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("credwatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {}", err.without_url()))?;
        Ok(HttpTransport { client })
    }
}

/// A network failure in words, never with the URL (reqwest's own text carries it).
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timeout: Slack did not answer in time".to_string()
    } else if err.is_connect() {
        "connection to Slack failed".to_string()
    } else if err.is_body() || err.is_decode() {
        "the answer was cut off".to_string()
    } else {
        "network error while posting to Slack".to_string()
    }
}

impl WebhookTransport for HttpTransport {
    async fn send(&self, url: &WebhookUrl, body: Vec<u8>) -> Result<RawAnswer, String> {
        let mut response = self
            .client
            .post(url.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|err| describe(&err))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        // Read at most MAX_BODY_BYTES; a huge body is never read to its end.
        while body.len() < MAX_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(err) if body.is_empty() => return Err(describe(&err)),
                Err(_) => break,
            }
        }
        body.truncate(MAX_BODY_BYTES);
        Ok(RawAnswer {
            status,
            retry_after,
            body,
        })
    }
}

/// Paces posts per webhook to one per [`POST_GAP`], across every task of the process: each
/// post takes the next free slot of its webhook (keyed by [`WebhookUrl::key`], never the URL).
#[derive(Debug, Default)]
pub struct Pacer {
    next_free: tokio::sync::Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    /// The process-wide pacer.
    pub fn global() -> Arc<Pacer> {
        static PACER: OnceLock<Arc<Pacer>> = OnceLock::new();
        PACER.get_or_init(|| Arc::new(Pacer::default())).clone()
    }

    /// Waits for `key`'s next slot and books the one after it `gap` later.
    pub async fn wait_turn(&self, key: &str, gap: Duration) {
        let slot = {
            let mut next_free = self.next_free.lock().await;
            let now = Instant::now();
            let slot = next_free.get(key).copied().unwrap_or(now).max(now);
            next_free.insert(key.to_string(), slot + gap);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Keeps `key` free of posts until `until` (Slack asked to wait).
    pub async fn hold(&self, key: &str, until: Instant) {
        let mut next_free = self.next_free.lock().await;
        let entry = next_free.entry(key.to_string()).or_insert(until);
        *entry = (*entry).max(until);
    }
}

/// The result of posting one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostResult {
    /// What the last answer meant.
    pub answer: SlackAnswer,
    /// Posts sent (1, or more after `429`s waited out).
    pub attempts: u32,
    /// The last HTTP status, if an answer came.
    pub status: Option<u16>,
}

/// Posts messages to webhooks: paced, one retry loop for `429`, classified answers.
#[derive(Debug, Clone)]
pub struct SlackPoster<T> {
    transport: T,
    pacer: Arc<Pacer>,
    gap: Duration,
    /// Time kept back before the deadline for one more post and recording it.
    reserve: Duration,
}

impl<T: WebhookTransport> SlackPoster<T> {
    /// A poster on `transport`, paced by the process-wide [`Pacer`] at [`POST_GAP`].
    pub fn new(transport: T) -> SlackPoster<T> {
        SlackPoster {
            transport,
            pacer: Pacer::global(),
            gap: POST_GAP,
            reserve: POST_TIMEOUT + Duration::from_secs(2),
        }
    }

    /// Posts `message` to `url`. A `429` whose `Retry-After` ends (with time for one more post)
    /// before `deadline` is waited out and the post sent again, at most [`MAX_ATTEMPTS`] posts
    /// in all; otherwise the answer is returned as it is (the caller retries later). When less
    /// than one post's time (and recording it) is left before `deadline`, nothing is sent: the
    /// answer is retryable ([`NOT_POSTED_NO_TIME`]).
    pub async fn post(
        &self,
        url: &WebhookUrl,
        message: &Value,
        deadline: Option<Instant>,
    ) -> PostResult {
        let body = message.to_string().into_bytes();
        let mut attempts = 0;
        loop {
            self.pacer.wait_turn(url.key(), self.gap).await;
            // A post Lambda's timeout could cut off may reach Slack without its answer ever
            // being recorded, and the retry would post it twice: not sent, retried whole later.
            if deadline.is_some_and(|deadline| Instant::now() + self.reserve > deadline) {
                return PostResult {
                    answer: SlackAnswer::network(NOT_POSTED_NO_TIME),
                    attempts,
                    status: None,
                };
            }
            attempts += 1;
            let (answer, status) = match self.transport.send(url, body.clone()).await {
                Ok(raw) => (
                    classify(
                        raw.status,
                        raw.retry_after.as_deref(),
                        &raw.body,
                        chrono::Utc::now(),
                    ),
                    Some(raw.status),
                ),
                Err(what) => (SlackAnswer::network(what), None),
            };
            let SlackAnswer::RateLimited { retry_after } = answer else {
                return PostResult {
                    answer,
                    attempts,
                    status,
                };
            };
            let resume = Instant::now() + retry_after;
            self.pacer.hold(url.key(), resume).await;
            let fits = deadline.is_none_or(|deadline| resume + self.reserve <= deadline);
            tracing::info!(
                webhook = url.key(),
                retry_after_s = retry_after.as_secs(),
                waits = fits && attempts < MAX_ATTEMPTS,
                "Slack rate limited the webhook"
            );
            if !fits || attempts >= MAX_ATTEMPTS {
                return PostResult {
                    answer,
                    attempts,
                    status,
                };
            }
            tokio::time::sleep_until(resume).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://hooks.slack.com/services/T0001/B0002/abcdefghijklmnopqrstuvwx";

    #[test]
    fn a_webhook_is_the_whole_secret_or_its_one_url_key() {
        for value in [
            URL.to_string(),
            format!("  {URL}\n"),
            format!(r#"{{"url": "{URL}"}}"#),
            format!("{{\"url\": \" {URL} \"}}\n"),
            URL.replace("hooks.slack.com", "hooks.slack-gov.com"),
        ] {
            let webhook = WebhookUrl::from_secret(&Secret::new(value.clone()), false)
                .unwrap_or_else(|e| panic!("{value}: {e}"));
            assert!(
                webhook
                    .expose()
                    .ends_with("/services/T0001/B0002/abcdefghijklmnopqrstuvwx")
            );
        }
    }

    #[test]
    fn anything_else_is_refused_without_echoing_the_value() {
        let cases = [
            ("", "empty"),
            ("   \n", "empty"),
            ("not a url at all", "does not hold a URL"),
            (
                "http://hooks.slack.com/services/T/B/secretpart",
                "not a Slack incoming webhook",
            ),
            (
                "https://evil.example/services/T/B/secretpart",
                "not a Slack incoming webhook",
            ),
            (
                "https://hooks.slack.com.evil.example/secretpart",
                "not a Slack incoming webhook",
            ),
            (
                "https://user:secretpart@hooks.slack.com/x",
                "not a Slack incoming webhook",
            ),
            (
                "https://hooks.slack.com:8443/secretpart",
                "not a Slack incoming webhook",
            ),
            (
                "{\"webhook\": \"https://hooks.slack.com/secretpart\"}",
                "no key url",
            ),
            ("{\"url\": 7}", "not a string"),
            (
                "{\"url\": \"https://hooks.slack.com/secretpart\", \"x\": 1}",
                "only the key url",
            ),
            ("{secretpart", "not JSON"),
            ("[\"secretpart\"]", "does not hold a URL"),
        ];
        for (value, why) in cases {
            let err = WebhookUrl::from_secret(&Secret::new(value), false).unwrap_err();
            assert!(err.0.contains(why), "{value}: {err}");
            assert!(!err.0.contains("secretpart"), "{err}");
        }
        let huge = format!("https://hooks.slack.com/{}", "a".repeat(MAX_WEBHOOK_BYTES));
        assert!(
            WebhookUrl::from_secret(&Secret::new(huge), false)
                .unwrap_err()
                .0
                .contains("bytes")
        );
    }

    #[test]
    fn any_http_url_only_when_any_endpoint_is_allowed() {
        let local = Secret::new("http://127.0.0.1:9/services/T/B/secretpart");
        assert!(WebhookUrl::from_secret(&local, false).is_err());
        assert!(WebhookUrl::from_secret(&local, true).is_ok());
        assert!(WebhookUrl::from_secret(&Secret::new("ftp://127.0.0.1/x"), true).is_err());
    }

    #[test]
    fn debug_shows_only_the_key() {
        let webhook = WebhookUrl::from_secret(&Secret::new(URL), false).unwrap();
        let shown = format!("{webhook:?} {:?}", Some(&webhook));
        assert!(
            !shown.contains("hooks") && !shown.contains("abcdefghij"),
            "{shown}"
        );
        assert!(shown.contains(webhook.key()));
        assert_eq!(webhook.key().len(), 12);
        let other =
            WebhookUrl::from_secret(&Secret::new(URL.replace("T0001", "T0009")), false).unwrap();
        assert_ne!(webhook.key(), other.key());
    }

    #[tokio::test]
    async fn the_pacer_gives_each_webhook_its_own_slots() {
        let pacer = Pacer::default();
        let gap = Duration::from_secs(3600);
        let start = Instant::now();
        pacer.wait_turn("a", gap).await;
        // Another webhook is not held back by the first.
        pacer.wait_turn("b", gap).await;
        assert!(start.elapsed() < gap);
        let booked = pacer.next_free.lock().await.clone();
        assert!(booked["a"] >= start + gap && booked["b"] >= start + gap);
        pacer.hold("a", start + gap * 3).await;
        pacer.hold("a", start).await;
        assert_eq!(pacer.next_free.lock().await["a"], start + gap * 3);
    }
}
