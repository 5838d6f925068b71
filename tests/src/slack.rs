//! A Slack incoming-webhook stand-in over real HTTP: records every post (path, headers, JSON
//! body), answers per script (`ok`, `429` with `Retry-After`, `5xx`, Slack's error tokens, an
//! HTML proxy page, a slow answer, a huge body), and checks every post against Block Kit's
//! limits itself ([`block_kit_problems`]), so every test that posts checks them.
//!
//! Webhook URLs look like Slack's: `http://127.0.0.1:PORT/services/T…/B…/SECRETPART`; the
//! last segment is what a leak test looks for.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Slack's limits, as the stand-in enforces them (Block Kit reference).
pub mod limits {
    /// Header `plain_text`, characters.
    pub const HEADER: usize = 150;
    /// Section `text`, characters.
    pub const SECTION: usize = 3_000;
    /// Fields per section.
    pub const FIELDS: usize = 10;
    /// One field's text, characters.
    pub const FIELD: usize = 2_000;
    /// Blocks per message.
    pub const BLOCKS: usize = 50;
    /// Button text, characters.
    pub const BUTTON: usize = 75;
    /// Button url, characters.
    pub const URL: usize = 3_000;
}

/// One scripted answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `200 ok`.
    Ok,
    /// `429 rate_limited` with this `Retry-After` (seconds or an HTTP-date; `None`: absent).
    RateLimited(Option<String>),
    /// Any status and body (Slack's tokens: `400 invalid_payload`, `403 invalid_token`,
    /// `404 no_service`, `404 channel_not_found`, `410 channel_is_archived`, `500 ...`).
    Status(u16, &'static str),
    /// An HTML page from a proxy, with this status.
    Html(u16),
    /// `200 ok`, after this delay (longer than the client's timeout: a slow answer).
    Slow(Duration),
    /// A status with a body of this many bytes.
    Huge(u16, usize),
    /// A redirect with this status to `/elsewhere` on the stand-in (a webhook never redirects;
    /// a client that follows it posts the message somewhere else).
    Redirect(u16),
    /// A status with an HTML page that echoes the request's path (the webhook's secret part),
    /// raw, percent-encoded and JSON-escaped: a hostile proxy.
    Echo(u16),
}

/// One recorded post.
#[derive(Debug, Clone)]
pub struct Post {
    /// The request path (`/services/T…/B…/…`).
    pub path: String,
    /// The request headers, lower-case names.
    pub headers: BTreeMap<String, String>,
    /// The body as JSON (`Value::Null` when it was not JSON).
    pub body: Value,
    /// What is wrong with it as Block Kit (empty: valid).
    pub problems: Vec<String>,
}

#[derive(Default)]
struct Shared {
    posts: Vec<Post>,
    script: VecDeque<Reply>,
}

/// The stand-in server. Dropping it stops it.
pub struct SlackStandIn {
    addr: std::net::SocketAddr,
    shared: Arc<Mutex<Shared>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for SlackStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

const PROXY_PAGE: &str = "<!DOCTYPE html><html><head><title>Access denied</title></head>\
<body><h1>Access denied</h1><p>The proxy refused the request.</p></body></html>";

impl SlackStandIn {
    /// Starts the stand-in on a free local port; it answers `200 ok` when nothing is scripted.
    pub async fn start() -> SlackStandIn {
        let shared: Arc<Mutex<Shared>> = Arc::default();
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Slack stand-in");
        let addr = listener.local_addr().expect("local addr");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        SlackStandIn {
            addr,
            shared,
            server,
        }
    }

    /// A webhook URL of this stand-in for `team`, shaped like Slack's: its last segment is
    /// `secret` (what leak tests look for).
    pub fn webhook_url(&self, team: &str, secret: &str) -> String {
        format!(
            "http://{}/services/T0CRED{}/B0{}/{secret}",
            self.addr,
            team.len(),
            team.to_uppercase().replace('-', "")
        )
    }

    /// Queues answers, used in order by the next posts (then `200 ok` again).
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared
            .lock()
            .expect("stand-in lock")
            .script
            .extend(replies);
    }

    /// Every post so far, in order. Panics if any was not valid Block Kit.
    pub fn posts(&self) -> Vec<Post> {
        let posts = self.shared.lock().expect("stand-in lock").posts.clone();
        for post in &posts {
            assert!(
                post.problems.is_empty(),
                "a post to {} is not valid Block Kit: {:?}",
                post.path,
                post.problems
            );
        }
        posts
    }

    /// The posts whose path ends with `secret` (one team's webhook).
    pub fn posts_to(&self, secret: &str) -> Vec<Post> {
        self.posts()
            .into_iter()
            .filter(|p| p.path.ends_with(secret))
            .collect()
    }
}

async fn answer(State(shared): State<Arc<Mutex<Shared>>>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let headers: BTreeMap<String, String> = request
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                v.to_str().unwrap_or("(binary)").to_string(),
            )
        })
        .collect();
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), 4 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let problems = block_kit_problems(&body);
    let echoed = format!(
        "<html><body><p>No route for {path}</p><p>{}</p><script>{}</script></body></html>",
        path.replace('/', "%2F"),
        serde_json::to_string(&path)
            .unwrap_or_default()
            .replace('/', "\\/")
    );
    let reply = {
        let mut shared = shared.lock().expect("stand-in lock");
        let reply = shared.script.pop_front().unwrap_or(Reply::Ok);
        shared.posts.push(Post {
            path,
            headers,
            body,
            problems: problems.clone(),
        });
        reply
    };
    if !problems.is_empty() {
        return (StatusCode::BAD_REQUEST, "invalid_blocks").into_response();
    }
    match reply {
        Reply::Ok => (StatusCode::OK, "ok").into_response(),
        Reply::RateLimited(retry_after) => {
            let mut headers = HeaderMap::new();
            if let Some(value) = retry_after {
                headers.insert("retry-after", value.parse().expect("header value"));
            }
            (StatusCode::TOO_MANY_REQUESTS, headers, "rate_limited").into_response()
        }
        Reply::Status(status, body) => (status_code(status), body).into_response(),
        Reply::Html(status) => (
            status_code(status),
            [("content-type", "text/html")],
            PROXY_PAGE,
        )
            .into_response(),
        Reply::Slow(delay) => {
            tokio::time::sleep(delay).await;
            (StatusCode::OK, "ok").into_response()
        }
        Reply::Echo(status) => (status_code(status), echoed).into_response(),
        Reply::Redirect(status) => {
            (status_code(status), [("location", "/elsewhere")], "").into_response()
        }
        Reply::Huge(status, bytes) => {
            (status_code(status), Body::from(vec![b'x'; bytes])).into_response()
        }
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).expect("a valid status")
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

/// What is wrong with `message` as an incoming-webhook Block Kit payload: a non-empty `text`
/// fallback, at most 50 blocks of known types, each text within its limit, at most 10 fields
/// per section, buttons with short text and an `http(s)` url; and no unescaped `<` or `>` in
/// any `mrkdwn` text (a link or a mention). Empty when valid.
pub fn block_kit_problems(message: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |text: String| problems.push(text);
    if chars(&message["text"]) == 0 {
        problem("no top-level text fallback".into());
    }
    let Some(blocks) = message["blocks"].as_array() else {
        problem("no blocks".into());
        return problems;
    };
    if blocks.len() > limits::BLOCKS {
        problem(format!("{} blocks", blocks.len()));
    }
    let check_mrkdwn = |object: &Value, max: usize, what: &str, problem: &mut dyn FnMut(String)| {
        let text = object["text"].as_str().unwrap_or("");
        if text.is_empty() {
            problem(format!("{what}: empty text"));
        }
        if text.chars().count() > max {
            problem(format!("{what}: {} characters", text.chars().count()));
        }
        if object["type"] == "mrkdwn" && (text.contains('<') || text.contains('>')) {
            problem(format!("{what}: unescaped < or > (a link or mention)"));
        }
    };
    for (i, block) in blocks.iter().enumerate() {
        let what = format!("block {i} ({})", block["type"]);
        match block["type"].as_str().unwrap_or("") {
            "header" => {
                if block["text"]["type"] != "plain_text" {
                    problem(format!("{what}: header text is not plain_text"));
                }
                check_mrkdwn(&block["text"], limits::HEADER, &what, &mut problem);
            }
            "section" => {
                let has_text = block.get("text").is_some();
                if has_text {
                    check_mrkdwn(&block["text"], limits::SECTION, &what, &mut problem);
                }
                match block.get("fields").map(|f| f.as_array()) {
                    Some(Some(fields)) => {
                        if fields.is_empty() || fields.len() > limits::FIELDS {
                            problem(format!("{what}: {} fields", fields.len()));
                        }
                        for field in fields {
                            check_mrkdwn(field, limits::FIELD, &what, &mut problem);
                        }
                    }
                    Some(None) => problem(format!("{what}: fields is not a list")),
                    None if !has_text => problem(format!("{what}: neither text nor fields")),
                    None => {}
                }
            }
            "context" => {
                let elements = block["elements"].as_array().cloned().unwrap_or_default();
                if elements.is_empty() || elements.len() > 10 {
                    problem(format!("{what}: {} elements", elements.len()));
                }
                for element in &elements {
                    check_mrkdwn(element, limits::SECTION, &what, &mut problem);
                }
            }
            "actions" => {
                let elements = block["elements"].as_array().cloned().unwrap_or_default();
                if elements.is_empty() || elements.len() > 25 {
                    problem(format!("{what}: {} elements", elements.len()));
                }
                for button in &elements {
                    if button["type"] != "button" {
                        problem(format!("{what}: element is not a button"));
                    }
                    check_mrkdwn(&button["text"], limits::BUTTON, &what, &mut problem);
                    let url = button["url"].as_str().unwrap_or("");
                    if url.chars().count() > limits::URL
                        || !(url.starts_with("https://") || url.starts_with("http://"))
                    {
                        problem(format!(
                            "{what}: button url is not a web link within the limit"
                        ));
                    }
                }
            }
            "divider" => {}
            other => problem(format!("{what}: unknown block type {other:?}")),
        }
    }
    problems
}

/// Panics, listing the problems, unless `message` is valid Block Kit ([`block_kit_problems`]).
pub fn assert_valid_block_kit(message: &Value) {
    let problems = block_kit_problems(message);
    assert!(
        problems.is_empty(),
        "not valid Block Kit: {problems:?}\n{message:#}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_checker_finds_every_kind_of_violation() {
        let valid = json!({"text": "x", "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "h"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "&lt;!channel&gt;"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}]},
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"}, "url": "https://x.example"}]},
        ]});
        assert_valid_block_kit(&valid);
        let long = "y".repeat(3_001);
        let bad = [
            json!({"blocks": []}),
            json!({"text": "x"}),
            json!({"text": "x", "blocks": vec![json!({"type": "divider"}); 51]}),
            json!({"text": "x", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}}]}),
            json!({"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": long}}]}),
            json!({"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "<!channel>"}}]}),
            json!({"text": "x", "blocks": [{"type": "section", "fields": vec![json!({"type": "mrkdwn", "text": "f"}); 11]}]}),
            json!({"text": "x", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f".repeat(2_001)}]}]}),
            json!({"text": "x", "blocks": [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b".repeat(76)}, "url": "https://x"}]}]}),
            json!({"text": "x", "blocks": [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"}, "url": "javascript:x"}]}]}),
            json!({"text": "x", "blocks": [{"type": "image"}]}),
        ];
        for message in bad {
            assert!(!block_kit_problems(&message).is_empty(), "{message}");
        }
    }
}
