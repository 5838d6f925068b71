//! The HTTP server: SFMC endpoints, the `/_sim` control API, and the [`Simulator`] handle.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::net::TcpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{
    ClientConfig, RequestCounts, RestBehaviour, TokenBehaviour, TokenRequestShape,
};
use crate::state::{JSON, Plan, Reply, State, TokenRequest};

/// Pending-connection queue: benchmarks open thousands of connections at once.
const LISTEN_BACKLOG: u32 = 4096;
/// How long `shutdown` waits for connections to close before abandoning them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Answer of a request that was still waiting (latency, `Slow`, `Hang`) when the simulator stopped.
const SHUTTING_DOWN_BODY: &str = r#"{"message":"credwatch-sim is shutting down","errorcode":0}"#;

/// A running simulated SFMC tenant; it stops when dropped (or via [`Simulator::shutdown`]).
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<io::Result<()>>>,
}

/// State shared by the handle and every handler.
struct Shared {
    state: Mutex<State>,
    base_url: String,
}

impl Shared {
    /// Locks the state; a poisoned lock is still consistent (no handler panics while holding it).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Clone)]
struct App {
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
}

impl Simulator {
    /// Starts a simulator on a free port of 127.0.0.1.
    pub async fn start() -> io::Result<Simulator> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts a simulator on `addr` (port 0 picks a free port).
    pub async fn start_on(addr: SocketAddr) -> io::Result<Simulator> {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        // Lets the binary restart on the same port while old connections sit in TIME_WAIT.
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener = socket.listen(LISTEN_BACKLOG)?;
        let addr = listener.local_addr()?;

        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            base_url: base_url_for(addr),
        });
        let (stop, stop_rx) = watch::channel(false);
        let app = App {
            shared: Arc::clone(&shared),
            stop: stop_rx.clone(),
        };
        let listener = listener.tap_io(|tcp| {
            // Small request/response exchanges: never wait for Nagle.
            let _ = tcp.set_nodelay(true);
        });
        let mut stop_signal = stop_rx;
        let server = axum::serve(listener, router(app)).with_graceful_shutdown(async move {
            let _ = stop_signal.wait_for(|stopped| *stopped).await;
        });
        let server = tokio::spawn(server.into_future());
        Ok(Simulator {
            addr,
            shared,
            stop,
            server: Some(server),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL with a trailing slash, e.g. `http://127.0.0.1:PORT/`: both auth and REST base.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Creates or replaces a client while running (a replaced client's `FailTimes` progress restarts).
    pub fn set_client(&self, client_id: &str, config: ClientConfig) {
        self.shared.lock().set_client(client_id, config);
    }

    /// Edits a client's config in place; panics if the client is unknown.
    pub fn update_client(&self, client_id: &str, f: impl FnOnce(&mut ClientConfig)) {
        // Run `f` unlocked so it may call back into the simulator without deadlocking.
        let config = self
            .shared
            .lock()
            .clients
            .get(client_id)
            .map(|slot| slot.config.clone());
        let Some(mut config) = config else {
            panic!("credwatch-sim: update_client on unknown client {client_id:?}");
        };
        f(&mut config);
        self.shared.lock().update_client(client_id, config);
    }

    /// Removes a client: its next token request gets `invalid_client_id`, its tokens stop working.
    pub fn remove_client(&self, client_id: &str) {
        self.shared.lock().clients.remove(client_id);
    }

    /// Latency added to every SFMC response, for all clients (on top of per-client latency).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Requests made with this client id (zero if none); counted before any latency.
    pub fn counts(&self, client_id: &str) -> RequestCounts {
        self.shared
            .lock()
            .counts
            .get(client_id)
            .copied()
            .unwrap_or_default()
    }

    /// All requests, including those that named no client (non-JSON body, unknown bearer token).
    pub fn total_counts(&self) -> RequestCounts {
        self.shared.lock().total_counts()
    }

    /// Every access token issued so far and not yet expired, so that tests can prove none of
    /// them leaks into output or logs.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().tokens.keys().cloned().collect()
    }

    /// Shape of the last token request that named this client id (never the secret).
    pub fn last_token_request(&self, client_id: &str) -> Option<TokenRequestShape> {
        self.shared
            .lock()
            .last_token_requests
            .get(client_id)
            .cloned()
    }

    /// Zeroes all request counts (not `FailTimes` progress, not recorded token requests).
    pub fn reset_counts(&self) {
        self.shared.lock().reset_counts();
    }

    /// Stops the server: pending requests (even `Hang`) are answered 503 and connections closed.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(mut server) = self.server.take() {
            // A client that never finishes sending its request must not block shutdown.
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
                .await
                .is_err()
            {
                server.abort();
            }
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        // The server task winds down by itself once signalled.
        self.stop.send_replace(true);
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

/// `http://IP:PORT/`, with a wildcard bind address replaced by loopback so the URL is connectable.
fn base_url_for(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, addr.port()))
}

fn router(app: App) -> Router {
    Router::new()
        .route("/v2/token", post(token))
        .route("/platform/v1/tokenContext", get(token_context))
        .route("/_sim/clients", get(list_clients))
        .route(
            "/_sim/clients/{client_id}",
            put(put_client).delete(delete_client),
        )
        .route("/_sim/reset-counts", post(reset_counts))
        .route("/_sim/latency", put(put_latency))
        .with_state(app)
}

async fn token(AxumState(app): AxumState<App>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let parsed = serde_json::from_slice::<Map<String, Value>>(&body).ok();
    let request = TokenRequest {
        content_type,
        body: parsed.as_ref(),
    };
    let plan = app.shared.lock().plan_token(request, &app.shared.base_url);
    execute(plan, app.stop).await
}

async fn token_context(AxumState(app): AxumState<App>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let plan = app.shared.lock().plan_token_context(bearer);
    execute(plan, app.stop).await
}

/// Waits out the plan's delay (or hangs), giving up as soon as the simulator stops.
async fn execute(plan: Plan, mut stop: watch::Receiver<bool>) -> Response {
    let stopped = async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    let wait = async {
        if !plan.delay.is_zero() {
            tokio::time::sleep(plan.delay).await;
        }
        if matches!(plan.reply, Reply::Hang) {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = wait => {}
        () = stopped => return shutting_down(),
    }
    match plan.reply {
        Reply::Respond {
            status,
            content_type,
            body,
            retry_after,
        } => {
            let mut response = (
                status,
                [(header::CONTENT_TYPE, content_type)],
                Body::from(body),
            )
                .into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Reply::Raw {
            status,
            headers,
            body,
        } => raw_response(status, &headers, body),
        Reply::Hang => shutting_down(),
    }
}

/// A [`Reply::Raw`] as configured, or a 500 naming what in the configuration is invalid.
fn raw_response(status: u16, headers: &[(String, String)], body: String) -> Response {
    let invalid = |why: String| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("credwatch-sim: {why}"),
        )
            .into_response()
    };
    let Ok(status) = StatusCode::from_u16(status) else {
        return invalid(format!(
            "configured status {status} is not a valid HTTP status"
        ));
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let Ok(name) = header::HeaderName::from_bytes(name.as_bytes()) else {
            return invalid(format!("configured header name {name:?} is not valid"));
        };
        let Ok(value) = HeaderValue::from_str(value) else {
            return invalid(format!("configured value of header {name} is not valid"));
        };
        map.append(name, value);
    }
    let mut response = (status, Body::from(body)).into_response();
    // Exactly the configured headers: none of axum's defaults (an empty body has none anyway).
    response.headers_mut().remove(header::CONTENT_TYPE);
    response.headers_mut().extend(map);
    response
}

fn shutting_down() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, JSON), (header::CONNECTION, "close")],
        SHUTTING_DOWN_BODY,
    )
        .into_response()
}

/// One client as the control API shows it: everything but the secret.
#[derive(Serialize)]
struct ClientView<'a> {
    client_id: &'a str,
    scopes: &'a [String],
    mid: u64,
    enterprise_id: u64,
    token: &'a TokenBehaviour,
    rest: &'a RestBehaviour,
    latency_ms: u64,
    counts: RequestCounts,
    last_token_request: Option<&'a TokenRequestShape>,
}

impl<'a> ClientView<'a> {
    fn new(state: &'a State, client_id: &'a str, config: &'a ClientConfig) -> Self {
        Self {
            client_id,
            scopes: &config.scopes,
            mid: config.mid,
            enterprise_id: config.enterprise_id,
            token: &config.token,
            rest: &config.rest,
            latency_ms: millis(config.latency),
            counts: state.counts.get(client_id).copied().unwrap_or_default(),
            last_token_request: state.last_token_requests.get(client_id),
        }
    }
}

#[derive(Serialize)]
struct ClientList<'a> {
    base_url: &'a str,
    latency_ms: u64,
    clients: Vec<ClientView<'a>>,
    /// Counts for client ids that were used but are not configured (e.g. a typo in an integration).
    unknown_client_counts: BTreeMap<&'a str, RequestCounts>,
    /// Requests that named no client at all.
    unattributed_counts: RequestCounts,
}

async fn list_clients(AxumState(app): AxumState<App>) -> Response {
    let state = app.shared.lock();
    let mut clients: Vec<ClientView<'_>> = state
        .clients
        .iter()
        .map(|(id, slot)| ClientView::new(&state, id, &slot.config))
        .collect();
    clients.sort_by_key(|view| view.client_id);
    let unknown_client_counts = state
        .counts
        .iter()
        .filter(|(id, _)| !state.clients.contains_key(*id))
        .map(|(id, counts)| (id.as_str(), *counts))
        .collect();
    let list = ClientList {
        base_url: &app.shared.base_url,
        latency_ms: millis(state.latency),
        clients,
        unknown_client_counts,
        unattributed_counts: state.unattributed,
    };
    Json(list).into_response()
}

async fn put_client(
    AxumState(app): AxumState<App>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Response {
    let config = match serde_json::from_slice::<ClientConfig>(&body) {
        Ok(config) => config,
        Err(err) => return control_error(&format!("invalid client config: {err}")),
    };
    let mut state = app.shared.lock();
    let created = state.set_client(&client_id, config);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let view = state
        .clients
        .get(&client_id)
        .map(|slot| ClientView::new(&state, &client_id, &slot.config));
    (status, Json(view)).into_response()
}

async fn delete_client(
    AxumState(app): AxumState<App>,
    Path(client_id): Path<String>,
) -> StatusCode {
    match app.shared.lock().clients.remove(&client_id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

async fn reset_counts(AxumState(app): AxumState<App>) -> StatusCode {
    app.shared.lock().reset_counts();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyRequest {
    latency_ms: u64,
}

async fn put_latency(AxumState(app): AxumState<App>, body: Bytes) -> Response {
    match serde_json::from_slice::<LatencyRequest>(&body) {
        Ok(request) => {
            app.shared.lock().latency = Duration::from_millis(request.latency_ms);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(err) => control_error(&format!("expected {{\"latency_ms\": <number>}}: {err}")),
    }
}

fn control_error(message: &str) -> Response {
    let body = serde_json::json!({ "error": "bad_request", "message": message });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
