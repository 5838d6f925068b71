//! The SFMC client: one token request and one tokenContext call, over reqwest with rustls.
//!
//! This module does I/O only; what an answer means is decided in [`classify`].

pub mod classify;
pub mod sanitize;
pub mod scopes;

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;
use url::Url;

use crate::secrets::Secret;
pub use classify::{
    AnswerHeaders, Body, EndpointPolicy, Failure, HttpAnswer, TokenContext, TokenGrant,
};

/// Limits of one HTTP exchange with SFMC.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Longest wait for a TCP and TLS connection (default 5 s).
    pub connect_timeout: Duration,
    /// From sending the request to the last byte of the body.
    pub request_timeout: Duration,
    /// Only this many bytes of a body are read (documented SFMC bodies are under 2 KiB); a
    /// longer body is classified on its first bytes and its headers.
    pub max_body_bytes: usize,
    /// Where tokens may go. Probing no longer reads it: a token from an SFMC auth host goes
    /// only to an `https://` SFMC REST host whatever this says, and the REST host of an auth URL
    /// allowed at validation is trusted (see `probe::rest_policy`).
    pub endpoint_policy: EndpointPolicy,
    /// Fixed addresses for host names, like curl's `--resolve` (split-horizon DNS, private
    /// endpoints, tests). The URL, TLS name and `Host` header stay the host's. Usually empty.
    pub resolve: Vec<(String, SocketAddr)>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            max_body_bytes: 64 * 1024,
            endpoint_policy: EndpointPolicy::SfmcOnly,
            resolve: Vec::new(),
        }
    }
}

/// A request that got no HTTP answer. The message names the host and what went wrong; it never
/// carries request contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What went wrong, naming the host, e.g. `no answer from x.auth.marketingcloudapis.com
    /// within 15s`.
    pub message: String,
}

/// The HTTP client for SFMC's token and tokenContext endpoints: one connection pool, no
/// redirects followed, bodies read up to [`ClientSettings::max_body_bytes`]. Cheap to clone.
#[derive(Clone)]
pub struct SfmcClient {
    http: reqwest::Client,
    settings: ClientSettings,
}

impl SfmcClient {
    /// A client with these limits. Errors when the TLS backend cannot be set up.
    pub fn new(settings: ClientSettings) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder();
        for (host, addr) in &settings.resolve {
            builder = builder.resolve(host, *addr);
        }
        let http = builder
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            // A redirect would carry the secret or the token to a host we did not choose.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("credwatch/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(SfmcClient { http, settings })
    }

    /// The limits this client was built with.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// `POST {auth_url}v2/token` with a JSON body. `scope` is never sent, so the token carries
    /// exactly the scopes the package grants; `account_id` goes as a JSON number.
    pub async fn request_token(
        &self,
        auth_url: &Url,
        client_id: &str,
        secret: &Secret,
        account_id: Option<u64>,
    ) -> Result<HttpAnswer, TransportError> {
        let url = join(auth_url, "v2/token")?;
        let mut body = json!({
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret.expose(),
        });
        if let Some(mid) = account_id {
            body["account_id"] = json!(mid);
        }
        let request = self.http.post(url.clone()).json(&body);
        self.send(request, &url).await
    }

    /// `GET {rest_instance_url}platform/v1/tokenContext` with the bearer token.
    pub async fn token_context(
        &self,
        rest_url: &Url,
        token: &Secret,
    ) -> Result<HttpAnswer, TransportError> {
        let url = join(rest_url, "platform/v1/tokenContext")?;
        let request = self.http.get(url.clone()).bearer_auth(token.expose());
        self.send(request, &url).await
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<HttpAnswer, TransportError> {
        let host = url.host_str().unwrap_or("the SFMC host").to_string();
        let mut response = request.send().await.map_err(|e| self.describe(&e, &host))?;
        let status = response.status().as_u16();
        let header = |name: reqwest::header::HeaderName| {
            response.headers().get(name).map(|value| {
                String::from_utf8_lossy(value.as_bytes())
                    .chars()
                    .take(classify::MAX_HEADER_CHARS)
                    .collect::<String>()
            })
        };
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .and_then(|v| classify::parse_retry_after(&v, std::time::SystemTime::now()));
        let headers = AnswerHeaders {
            server: header(reqwest::header::SERVER),
            via: header(reqwest::header::VIA),
            content_type: header(reqwest::header::CONTENT_TYPE),
            location: header(reqwest::header::LOCATION),
        };
        // At most `limit` bytes are kept: a block page of any size is still classified (on its
        // start and headers), and memory stays bounded.
        let limit = self.settings.max_body_bytes;
        let mut bytes = Vec::new();
        let mut truncated = false;
        while !truncated
            && let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| self.describe(&e, &host))?
        {
            let room = limit - bytes.len();
            if chunk.len() > room {
                bytes.extend_from_slice(&chunk[..room]);
                truncated = true;
            } else {
                bytes.extend_from_slice(&chunk);
            }
        }
        let body = if truncated {
            Body::TooLarge {
                limit,
                prefix: bytes,
            }
        } else {
            Body::Complete(bytes)
        };
        Ok(HttpAnswer {
            status,
            retry_after,
            headers,
            body,
        })
    }

    /// Our own words for a transport failure: reqwest's text can include the full URL and
    /// nested causes we do not control.
    fn describe(&self, err: &reqwest::Error, host: &str) -> TransportError {
        let message = if err.is_timeout() {
            format!(
                "no answer from {host} within {}s",
                self.settings.request_timeout.as_secs_f32()
            )
        } else if err.is_connect() {
            let cause = root_cause(err);
            format!("could not connect to {host} ({cause})")
        } else if err.is_body() || err.is_decode() {
            format!("the connection to {host} broke while reading the answer")
        } else {
            format!("request to {host} failed ({})", root_cause(err))
        };
        TransportError { message }
    }
}

/// The innermost error text (e.g. "Connection refused", "dns error"), which is what helps.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    sanitize::sanitize(&text, &[])
}

fn join(base: &Url, path: &str) -> Result<Url, TransportError> {
    base.join(path).map_err(|_| TransportError {
        message: format!("cannot build the {path} URL from {base}"),
    })
}
