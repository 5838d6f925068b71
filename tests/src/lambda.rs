//! A Lambda Runtime API stand-in: runs a function binary the way Lambda does (it polls
//! `/runtime/invocation/next`, posts the response), so tests exercise the real `main.rs`
//! wiring of the release artefact. Events are queued by the test; answers come back to it.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, oneshot};

type Answer = Result<Value, Value>;

#[derive(Clone)]
struct Shared {
    /// When the function first asked for an event: the end of its init.
    first_poll: Arc<tokio::sync::watch::Sender<Option<std::time::Instant>>>,
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Answer>>>>,
    init_error: Arc<Mutex<Option<Value>>>,
    /// Time each invocation gets (its `lambda-runtime-deadline-ms` is now plus this).
    budget_ms: Arc<std::sync::atomic::AtomicU64>,
}

/// The stand-in server. Dropping it stops it.
pub struct RuntimeApi {
    addr: std::net::SocketAddr,
    sender: mpsc::UnboundedSender<(String, Value)>,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts the stand-in on a free local port.
    pub async fn start() -> RuntimeApi {
        let (sender, receiver) = mpsc::unbounded_channel();
        let shared = Shared {
            first_poll: Arc::new(tokio::sync::watch::channel(None).0),
            queue: Arc::new(tokio::sync::Mutex::new(receiver)),
            waiting: Arc::default(),
            init_error: Arc::default(),
            budget_ms: Arc::new(std::sync::atomic::AtomicU64::new(300_000)),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind runtime api");
        let addr = listener.local_addr().expect("local addr");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RuntimeApi {
            addr,
            sender,
            shared,
            server,
        }
    }

    /// Value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// Queues one invocation and waits for the function's answer: `Ok(response)` or
    /// `Err(error document)`.
    pub async fn invoke(&self, payload: Value, timeout: Duration) -> Answer {
        let id = format!("req-{}", fastrand_id());
        let (tx, rx) = oneshot::channel();
        self.shared.waiting.lock().unwrap().insert(id.clone(), tx);
        self.sender
            .send((id, payload))
            .expect("runtime api running");
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(Value::String(
                "the runtime api dropped the invocation".into(),
            )),
            Err(_) => match self.shared.init_error.lock().unwrap().clone() {
                Some(init) => Err(init),
                None => Err(Value::String(format!("no answer within {timeout:?}"))),
            },
        }
    }

    /// Waits until the function first asks for an event (its init is done) and returns when.
    pub async fn first_poll(&self, timeout: Duration) -> Option<std::time::Instant> {
        let mut first = self.shared.first_poll.subscribe();
        let found = tokio::time::timeout(timeout, first.wait_for(Option::is_some))
            .await
            .ok()?
            .ok()?;
        *found
    }

    /// Gives the next invocations `budget` until their deadline (Lambda's timeout; default
    /// 300 s).
    pub fn set_budget(&self, budget: Duration) {
        let ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX);
        self.shared
            .budget_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// What the function reported at /runtime/init/error, if it failed to start.
    pub fn init_error(&self) -> Option<Value> {
        self.shared.init_error.lock().unwrap().clone()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn fastrand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

async fn next(State(shared): State<Shared>) -> impl IntoResponse {
    shared.first_poll.send_if_modified(|first| {
        first
            .is_none()
            .then(|| *first = Some(std::time::Instant::now()))
            .is_some()
    });
    let Some((id, payload)) = shared.queue.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), Bytes::new());
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| {
            d.as_millis() as u64 + shared.budget_ms.load(std::sync::atomic::Ordering::Relaxed)
        });
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("ascii header"));
    };
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:credwatch-test".into(),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    set("content-type", "application/json".into());
    (StatusCode::OK, headers, Bytes::from(payload.to_string()))
}

fn deliver(shared: &Shared, id: &str, answer: Answer) -> StatusCode {
    match shared.waiting.lock().unwrap().remove(id) {
        Some(tx) => {
            let _ = tx.send(answer);
            StatusCode::ACCEPTED
        }
        None => StatusCode::NOT_FOUND,
    }
}

fn parse(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(
    State(shared): State<Shared>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    deliver(&shared, &id, Ok(parse(&body)))
}

async fn error(
    State(shared): State<Shared>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    deliver(&shared, &id, Err(parse(&body)))
}

async fn init_error(State(shared): State<Shared>, body: Bytes) -> StatusCode {
    *shared.init_error.lock().unwrap() = Some(parse(&body));
    StatusCode::ACCEPTED
}

/// A function binary running against a [`RuntimeApi`], with its output captured.
pub struct FunctionProcess {
    /// The Runtime API stand-in the process polls.
    pub runtime: RuntimeApi,
    /// Just before the process was started (init time = first poll - this).
    pub started: std::time::Instant,
    child: tokio::process::Child,
    // Drained continuously: a full pipe would block the function mid-log.
    stdout: tokio::task::JoinHandle<String>,
    stderr: tokio::task::JoinHandle<String>,
}

fn drain(
    pipe: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>,
) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text).await;
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

impl FunctionProcess {
    /// Starts `binary` as Lambda would, with the runtime variables plus `env`.
    pub async fn spawn(binary: &Path, env: &[(&str, String)]) -> FunctionProcess {
        let runtime = RuntimeApi::start().await;
        let mut command = tokio::process::Command::new(binary);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime.endpoint())
            .env("AWS_LAMBDA_FUNCTION_NAME", "credwatch-test")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/credwatch-test")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let started = std::time::Instant::now();
        let mut child = command.spawn().expect("start the function binary");
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        FunctionProcess {
            runtime,
            started,
            child,
            stdout,
            stderr,
        }
    }

    /// Invokes the function with `payload` and waits (up to a minute) for its answer.
    pub async fn invoke(&self, payload: Value) -> Answer {
        self.runtime.invoke(payload, Duration::from_secs(60)).await
    }

    /// The process id, e.g. to read its peak memory from `/proc/{pid}/status`.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops the function and returns everything it wrote (stdout, stderr).
    pub async fn stop(mut self) -> (String, String) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        (
            self.stdout.await.unwrap_or_default(),
            self.stderr.await.unwrap_or_default(),
        )
    }
}
