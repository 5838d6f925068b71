//! A counting HTTP proxy in front of moto_server: every AWS request a function, the CLI or a
//! test sends through it is forwarded unchanged and recorded by service and action, with its
//! size and, for DynamoDB, the capacity units it would consume on an on-demand table. The
//! cost benchmark (`benches/cost.rs`) prices what it counts.
//!
//! The service is the one the request was signed for (the credential scope of its
//! `Authorization` header); the action is the `X-Amz-Target` operation (JSON protocols), the
//! `Action` form field (query protocols) or the method and path (REST protocols).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// One request through the proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The signing service, e.g. `dynamodb`, `sns`, `secretsmanager`.
    pub service: String,
    /// The operation, e.g. `PutItem`, `Publish`, `GetSecretValue`.
    pub action: String,
    /// Bytes of the request body.
    pub request_bytes: usize,
    /// Bytes of the response body.
    pub response_bytes: usize,
    /// DynamoDB read request units it would consume ([`dynamo_units`]); 0 for other services.
    pub read_units: f64,
    /// DynamoDB write request units it would consume ([`dynamo_units`]); 0 for other services.
    pub write_units: f64,
}

/// The running proxy. Dropping it stops it.
pub struct CountingProxy {
    addr: std::net::SocketAddr,
    calls: Arc<Mutex<Vec<Call>>>,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    client: reqwest::Client,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl CountingProxy {
    /// Starts a proxy on a free local port forwarding to `upstream` (moto's URL).
    pub async fn start(upstream: &str) -> CountingProxy {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("an HTTP client"),
            calls: calls.clone(),
        };
        let app = Router::new().fallback(forward).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("local addr");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        CountingProxy {
            addr,
            calls,
            server,
        }
    }

    /// The proxy's URL, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls lock").clone()
    }

    /// Forgets the calls so far.
    pub fn reset(&self) {
        self.calls.lock().expect("calls lock").clear();
    }

    /// Calls so far per (service, action).
    pub fn counts(&self) -> BTreeMap<(String, String), u64> {
        let mut counts = BTreeMap::new();
        for call in self.calls() {
            *counts.entry((call.service, call.action)).or_default() += 1;
        }
        counts
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let mut upstream = shared
        .client
        .request(parts.method.clone(), format!("{}{path}", shared.upstream))
        .body(body.clone());
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(error) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(format!("proxy: {error}")))
                .expect("a response");
        }
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let answer_body = answer.bytes().await.unwrap_or_default();
    let call = classify(
        parts.method.as_str(),
        &path,
        &parts.headers,
        &body,
        &answer_body,
    );
    shared.calls.lock().expect("calls lock").push(call);
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(answer_body)).expect("a response")
}

/// What one request was: service, action and, for DynamoDB, its capacity units.
pub fn classify(
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
    answer: &Bytes,
) -> Call {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    // Credential=KEY/DATE/REGION/SERVICE/aws4_request
    let service = header("authorization")
        .split("Credential=")
        .nth(1)
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unsigned")
        .to_string();
    let target = header("x-amz-target");
    let action = if !target.is_empty() {
        target.rsplit('.').next().unwrap_or(target).to_string()
    } else if let Some(action) = url::form_urlencoded::parse(body)
        .find(|(name, _)| name == "Action")
        .map(|(_, value)| value.into_owned())
    {
        action
    } else {
        let route: Vec<&str> = path
            .split('?')
            .next()
            .unwrap_or("")
            .split('/')
            .filter(|s| !s.is_empty())
            .take(2)
            .collect();
        format!("{method} /{}", route.join("/"))
    };
    let (read_units, write_units) = if service == "dynamodb" {
        dynamo_units(&action, body, answer)
    } else {
        (0.0, 0.0)
    };
    Call {
        service,
        action,
        request_bytes: body.len(),
        response_bytes: answer.len(),
        read_units,
        write_units,
    }
}

/// (read, write) request units a DynamoDB request consumes on an on-demand table (DynamoDB
/// developer guide, "Read/write capacity mode"): a write 1 unit per KB of the item, a
/// transactional one twice that; a strongly consistent read 1 unit per 4 KB read, an
/// eventually consistent one half. Item sizes are their JSON's length (an upper bound of
/// DynamoDB's own measure); an UpdateItem or condition check counts 1 unit (credwatch's items
/// are under 1 KB); a Query counts the bytes it returned, at least one 4 KB step.
pub fn dynamo_units(action: &str, body: &[u8], answer: &[u8]) -> (f64, f64) {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let kb = |item: &Value| (item.to_string().len() as f64 / 1024.0).ceil().max(1.0);
    let read_factor = if request["ConsistentRead"] == true {
        1.0
    } else {
        0.5
    };
    let steps = |bytes: usize| (bytes as f64 / 4096.0).ceil().max(1.0);
    match action {
        "PutItem" => (0.0, kb(&request["Item"])),
        "UpdateItem" | "DeleteItem" => (0.0, 1.0),
        "BatchWriteItem" => {
            let units = request["RequestItems"]
                .as_object()
                .into_iter()
                .flat_map(|tables| tables.values())
                .flat_map(|writes| writes.as_array().cloned().unwrap_or_default())
                .map(|write| match write.get("PutRequest") {
                    Some(put) => kb(&put["Item"]),
                    None => 1.0,
                })
                .sum();
            (0.0, units)
        }
        "TransactWriteItems" => {
            let units: f64 = request["TransactItems"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| match item.get("Put") {
                    Some(put) => kb(&put["Item"]),
                    None => 1.0,
                })
                .sum();
            (0.0, 2.0 * units)
        }
        "GetItem" | "Query" | "Scan" => (read_factor * steps(answer.len()), 0.0),
        "BatchGetItem" => (0.5 * steps(answer.len()), 0.0),
        _ => (0.0, 0.0),
    }
}
