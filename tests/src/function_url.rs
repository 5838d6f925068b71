//! A Lambda function URL stand-in over real HTTP: a local server turns each request into the
//! function URL event Lambda would deliver (payload format 2.0: `rawPath`, lower-case
//! `headers`, `requestContext.http`, the body base64-encoded when it is not UTF-8) and answers
//! with the function's response (`statusCode`, `headers`, `body`). The function is whatever
//! `invoke` runs: the handler in-process, or a release binary under the Runtime API stand-in.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

/// What runs one event: its answer, or the invocation's error (answered 502, as Lambda does).
pub type Invoke =
    Arc<dyn Fn(Value) -> Pin<Box<dyn Future<Output = Result<Value, Value>> + Send>> + Send + Sync>;

/// The server. Dropping it stops it.
pub struct FunctionUrl {
    addr: std::net::SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FunctionUrl {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FunctionUrl {
    /// Starts a server on a free local port whose requests `invoke` answers.
    pub async fn start(invoke: Invoke) -> FunctionUrl {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let addr = listener.local_addr().expect("a local address");
        let app = Router::new().fallback(serve).with_state(invoke);
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("function URL stand-in");
        });
        FunctionUrl { addr, server }
    }

    /// The URL, ending in `/` like a function URL's.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// The function URL event (payload 2.0) of one request.
pub fn url_event(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Value {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_string(), json!(value.to_str().ok()?))))
        .collect();
    let (body, base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_string(), false),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
    };
    let path = uri.path();
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": uri.query().unwrap_or_default(),
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "credwatchtest",
            "domainName": "credwatchtest.lambda-url.us-east-1.on.aws",
            "domainPrefix": "credwatchtest",
            "http": {"method": method.as_str(), "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "credwatch-tests"},
            "requestId": "credwatch-test-request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "30/Nov/2026:14:07:20 +0000",
            "timeEpoch": 0
        },
        "body": body,
        "isBase64Encoded": base64
    })
}

async fn serve(
    State(invoke): State<Invoke>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let event = url_event(&method, &uri, &headers, &body);
    let answer = match invoke(event).await {
        Ok(answer) => answer,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let status = answer["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::new(axum::body::Body::from(
        answer["body"].as_str().unwrap_or_default().to_string(),
    ));
    *response.status_mut() = status;
    for (name, value) in answer["headers"].as_object().into_iter().flatten() {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
