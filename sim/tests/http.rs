//! The simulator over real HTTP, as the SFMC client and the CLI will use it.

use std::time::{Duration, Instant};

use credwatch_sim::{
    ClientConfig, DemoClient, INVALID_REQUEST_BODY, NOT_JSON_BODY, RequestCounts, RestBehaviour,
    Simulator, TokenBehaviour, TokenRequestShape, demo_scenario, fixtures,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CLIENT: &str = "0m0het6mqknzv0uebqlvoo41";
const SECRET: &str = "YkTq8Lp3Rz0Wn5Vd2Hs7Jc4F";
const MID: u64 = 7_281_698;

fn http() -> reqwest::Client {
    // Never route 127.0.0.1 through a proxy from the environment.
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn sim_with(config: ClientConfig) -> Simulator {
    let sim = Simulator::start().await.unwrap();
    sim.set_client(CLIENT, config);
    sim
}

fn healthy() -> ClientConfig {
    ClientConfig::healthy(SECRET, &["email_read", "journeys_execute"], MID)
}

async fn post_token(sim: &Simulator, client_id: &str, secret: &str) -> reqwest::Response {
    http()
        .post(format!("{}v2/token", sim.base_url()))
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "account_id": MID,
        }))
        .send()
        .await
        .unwrap()
}

async fn get_context(sim: &Simulator, token: &str) -> reqwest::Response {
    http()
        .get(format!("{}platform/v1/tokenContext", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn fresh_token(sim: &Simulator) -> String {
    let response = post_token(sim, CLIENT, SECRET).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn content_type(response: &reqwest::Response) -> &str {
    response.headers()["content-type"].to_str().unwrap()
}

async fn status_and_body(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn healthy_token_and_token_context() {
    let mut config = healthy();
    config.enterprise_id = 1_000_001;
    let sim = sim_with(config).await;
    let response = post_token(&sim, CLIENT, SECRET).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/json");
    let body: Value = response.json().await.unwrap();

    let token = body["access_token"].as_str().unwrap();
    assert!(token.starts_with("sim.") && token.len() == 44, "{token}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1079);
    assert_eq!(body["scope"], "email_read journeys_execute");
    assert_eq!(body["rest_instance_url"], sim.base_url());
    assert_eq!(body["soap_instance_url"], sim.base_url());
    assert!(sim.base_url().starts_with("http://127.0.0.1:") && sim.base_url().ends_with('/'));
    // Same keys as the recorded SFMC response.
    let fixture: Value = serde_json::from_str(fixtures::TOKEN_SUCCESS).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&body), keys(&fixture));

    let response = get_context(&sim, token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let context: Value = response.json().await.unwrap();
    assert_eq!(context["organization"]["id"], MID);
    assert_eq!(context["enterprise"]["id"], 1_000_001);
    assert!(context["user"]["id"].is_u64());

    // Every token is new.
    assert_ne!(fresh_token(&sim).await, fresh_token(&sim).await);
}

#[tokio::test]
async fn token_behaviours_serve_exact_fixtures() {
    let cases = [
        (
            TokenBehaviour::InvalidClientId,
            401,
            fixtures::TOKEN_INVALID_CLIENT_ID,
        ),
        (
            TokenBehaviour::ClientAuthFailed,
            401,
            fixtures::TOKEN_CLIENT_AUTH_FAILED,
        ),
        (
            TokenBehaviour::LegacyPackage,
            401,
            fixtures::TOKEN_LEGACY_PACKAGE,
        ),
        (
            TokenBehaviour::IpNotAllowlisted,
            400,
            fixtures::TOKEN_IP_NOT_ALLOWLISTED,
        ),
        (
            TokenBehaviour::UnsupportedGrant,
            400,
            fixtures::TOKEN_UNSUPPORTED_GRANT,
        ),
        (TokenBehaviour::Blocked, 429, fixtures::TOKEN_BLOCKED),
        (TokenBehaviour::ServerError, 500, fixtures::SERVER_ERROR),
        (
            TokenBehaviour::RateLimited {
                retry_after_secs: 7,
            },
            429,
            fixtures::REST_RATE_LIMITED,
        ),
        (
            TokenBehaviour::Status {
                status: 418,
                body: r#"{"error":"teapot"}"#.into(),
            },
            418,
            r#"{"error":"teapot"}"#,
        ),
    ];
    let sim = sim_with(healthy()).await;
    for (behaviour, status, fixture) in cases {
        sim.update_client(CLIENT, |c| c.token = behaviour.clone());
        let response = post_token(&sim, CLIENT, SECRET).await;
        assert_eq!(content_type(&response), "application/json", "{behaviour}");
        let retry_after = response.headers().get("retry-after").cloned();
        assert_eq!(
            status_and_body(response).await,
            (StatusCode::from_u16(status).unwrap(), fixture.to_owned()),
            "{behaviour}"
        );
        match behaviour {
            TokenBehaviour::RateLimited { .. } => assert_eq!(retry_after.unwrap(), "7"),
            _ => assert!(retry_after.is_none(), "{behaviour}"),
        }
    }
}

#[tokio::test]
async fn status_behaviour_with_plain_text_body() {
    let mut config = healthy();
    config.token = TokenBehaviour::Status {
        status: 502,
        body: "Bad Gateway".into(),
    };
    let sim = sim_with(config).await;
    let response = post_token(&sim, CLIENT, SECRET).await;
    assert!(content_type(&response).starts_with("text/plain"));
    assert_eq!(
        status_and_body(response).await,
        (StatusCode::BAD_GATEWAY, "Bad Gateway".into())
    );
}

#[tokio::test]
async fn malformed_and_non_json_token_bodies() {
    let sim = sim_with(healthy()).await;

    sim.update_client(CLIENT, |c| c.token = TokenBehaviour::MalformedJson);
    let response = post_token(&sim, CLIENT, SECRET).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/json");
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with('{') && serde_json::from_str::<Value>(&text).is_err(),
        "{text}"
    );

    sim.update_client(CLIENT, |c| c.token = TokenBehaviour::NotJson);
    let response = post_token(&sim, CLIENT, SECRET).await;
    assert!(content_type(&response).starts_with("text/html"));
    assert_eq!(
        status_and_body(response).await,
        (StatusCode::OK, NOT_JSON_BODY.into())
    );
}

#[tokio::test]
async fn oversized_token_body_is_valid_and_at_least_as_long_as_asked() {
    let sim = sim_with(healthy()).await;
    for bytes in [10, 5_000, 3 * 1024 * 1024] {
        sim.update_client(CLIENT, |c| c.token = TokenBehaviour::Oversized { bytes });
        let response = post_token(&sim, CLIENT, SECRET).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.bytes().await.unwrap();
        assert!(body.len() >= bytes, "{} < {bytes}", body.len());
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        // The padded token is a real one.
        let token = parsed["access_token"].as_str().unwrap();
        assert_eq!(get_context(&sim, token).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn slow_answers_healthy_after_the_delay() {
    let mut config = healthy();
    config.token = TokenBehaviour::Slow { delay_ms: 200 };
    let sim = sim_with(config).await;
    let started = Instant::now();
    let response = post_token(&sim, CLIENT, SECRET).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn fail_times_fails_then_heals() {
    let mut config = healthy();
    config.token = TokenBehaviour::FailTimes {
        times: 2,
        then_fail_with: Box::new(TokenBehaviour::RateLimited {
            retry_after_secs: 1,
        }),
    };
    let sim = sim_with(config).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(post_token(&sim, CLIENT, SECRET).await.status().as_u16());
    }
    assert_eq!(statuses, [429, 429, 200, 200]);
}

#[tokio::test]
async fn token_request_validation() {
    let sim = sim_with(healthy()).await;
    let url = format!("{}v2/token", sim.base_url());

    for bad in ["not json", "", "[1,2]", "{\"grant_type\":"] {
        let response = http().post(&url).body(bad).send().await.unwrap();
        assert_eq!(
            status_and_body(response).await,
            (StatusCode::BAD_REQUEST, INVALID_REQUEST_BODY.into()),
            "{bad:?}"
        );
    }

    let response = http()
        .post(&url)
        .json(&json!({"grant_type": "password", "client_id": CLIENT, "client_secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_body(response).await,
        (
            StatusCode::BAD_REQUEST,
            fixtures::TOKEN_UNSUPPORTED_GRANT.into()
        )
    );

    let response = post_token(&sim, "unknownclientid000000000", SECRET).await;
    assert_eq!(
        status_and_body(response).await,
        (
            StatusCode::UNAUTHORIZED,
            fixtures::TOKEN_INVALID_CLIENT_ID.into()
        )
    );
    assert_eq!(sim.counts("unknownclientid000000000").token, 1);

    let response = post_token(&sim, CLIENT, "wrong-secret").await;
    assert_eq!(
        status_and_body(response).await,
        (
            StatusCode::UNAUTHORIZED,
            fixtures::TOKEN_CLIENT_AUTH_FAILED.into()
        )
    );

    // Wrong types are rejected as HTTP errors too, never a panic.
    let response = http()
        .post(&url)
        .json(&json!({"grant_type": "client_credentials", "client_id": 5, "client_secret": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        post_token(&sim, CLIENT, SECRET).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn rest_behaviours_serve_exact_fixtures() {
    let cases = [
        (
            RestBehaviour::NotAuthorized,
            401,
            fixtures::REST_NOT_AUTHORIZED,
        ),
        (
            RestBehaviour::InsufficientPrivileges,
            403,
            fixtures::REST_INSUFFICIENT_PRIVILEGES,
        ),
        (RestBehaviour::ServerError, 500, fixtures::SERVER_ERROR),
        (
            RestBehaviour::RateLimited {
                retry_after_secs: 5,
            },
            429,
            fixtures::REST_RATE_LIMITED,
        ),
        (
            RestBehaviour::Status {
                status: 404,
                body: r#"{"message":"nope"}"#.into(),
            },
            404,
            r#"{"message":"nope"}"#,
        ),
    ];
    let sim = sim_with(healthy()).await;
    let token = fresh_token(&sim).await;
    for (behaviour, status, fixture) in cases {
        sim.update_client(CLIENT, |c| c.rest = behaviour.clone());
        let response = get_context(&sim, &token).await;
        assert_eq!(content_type(&response), "application/json", "{behaviour}");
        let retry_after = response.headers().get("retry-after").cloned();
        assert_eq!(
            status_and_body(response).await,
            (StatusCode::from_u16(status).unwrap(), fixture.to_owned()),
            "{behaviour}"
        );
        match behaviour {
            RestBehaviour::RateLimited { .. } => assert_eq!(retry_after.unwrap(), "5"),
            _ => assert!(retry_after.is_none(), "{behaviour}"),
        }
    }

    sim.update_client(CLIENT, |c| c.rest = RestBehaviour::MalformedJson);
    let response = get_context(&sim, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
}

#[tokio::test]
async fn token_context_rejects_missing_unknown_and_orphaned_tokens() {
    let sim = sim_with(healthy()).await;
    let url = format!("{}platform/v1/tokenContext", sim.base_url());
    let not_authorized = (
        StatusCode::UNAUTHORIZED,
        fixtures::REST_NOT_AUTHORIZED.to_owned(),
    );

    let response = http().get(&url).send().await.unwrap();
    assert_eq!(status_and_body(response).await, not_authorized);
    let response = get_context(&sim, "sim.forged").await;
    assert_eq!(status_and_body(response).await, not_authorized);
    let response = http()
        .get(&url)
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_body(response).await, not_authorized);

    let token = fresh_token(&sim).await;
    sim.remove_client(CLIENT);
    assert_eq!(
        status_and_body(get_context(&sim, &token).await).await,
        not_authorized
    );
    assert_eq!(
        sim.total_counts(),
        RequestCounts {
            token: 1,
            token_context: 4
        }
    );
}

#[tokio::test]
async fn hang_never_answers_and_shutdown_is_prompt() {
    let mut config = healthy();
    config.token = TokenBehaviour::Hang;
    let sim = sim_with(config).await;
    // A second client whose tokenContext hangs.
    let mut rest_hang = healthy();
    rest_hang.rest = RestBehaviour::Hang;
    sim.set_client("resthang0000000000000000", rest_hang);
    let token = {
        let body: Value = post_token(&sim, "resthang0000000000000000", SECRET)
            .await
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };

    let token_url = format!("{}v2/token", sim.base_url());
    let context_url = format!("{}platform/v1/tokenContext", sim.base_url());
    let body =
        json!({"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET});
    let client = http();
    let mut in_flight = Vec::new();
    for _ in 0..50 {
        in_flight.push(tokio::spawn(client.post(&token_url).json(&body).send()));
        in_flight.push(tokio::spawn(
            client.get(&context_url).bearer_auth(&token).send(),
        ));
    }
    // Every request has arrived (counts come before the answer) ...
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.counts(CLIENT).token < 50 || sim.counts("resthang0000000000000000").token_context < 50
    {
        assert!(Instant::now() < deadline, "requests did not arrive");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // ... and none is answered within 300 ms.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(in_flight.iter().all(|request| !request.is_finished()));

    let started = Instant::now();
    sim.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    for request in in_flight {
        let response = tokio::time::timeout(Duration::from_secs(1), request)
            .await
            .expect("answered at shutdown")
            .unwrap()
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}

#[tokio::test]
async fn shutdown_with_idle_keep_alive_connections_is_prompt() {
    let sim = sim_with(healthy()).await;
    let client = http();
    let response = client
        .post(format!("{}v2/token", sim.base_url()))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let started = Instant::now();
    sim.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn dropping_the_simulator_stops_it() {
    let sim = sim_with(healthy()).await;
    let addr = sim.addr();
    drop(sim);
    let deadline = Instant::now() + Duration::from_secs(2);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "still accepting after drop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn counts_and_last_token_request() {
    let sim = sim_with(healthy()).await;
    assert_eq!(sim.last_token_request(CLIENT), None);
    let token = fresh_token(&sim).await;
    get_context(&sim, &token).await;
    get_context(&sim, &token).await;
    assert_eq!(
        sim.counts(CLIENT),
        RequestCounts {
            token: 1,
            token_context: 2
        }
    );
    assert_eq!(
        sim.last_token_request(CLIENT),
        Some(TokenRequestShape {
            content_type: Some("application/json".into()),
            account_id: Some(json!(MID)),
            has_scope_field: false,
            grant_type: Some("client_credentials".into()),
        })
    );

    // A differently shaped request replaces the record.
    http()
        .post(format!("{}v2/token", sim.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(r#"{"grant_type":"client_credentials","client_id":"0m0het6mqknzv0uebqlvoo41","account_id":"7281698","scope":"email_read"}"#)
        .send()
        .await
        .unwrap();
    let shape = sim.last_token_request(CLIENT).unwrap();
    assert_eq!(
        shape.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(shape.account_id, Some(json!("7281698")));
    assert!(shape.has_scope_field);

    assert_eq!(
        sim.total_counts(),
        RequestCounts {
            token: 2,
            token_context: 2
        }
    );
    sim.reset_counts();
    assert_eq!(sim.counts(CLIENT), RequestCounts::default());
    assert_eq!(sim.total_counts(), RequestCounts::default());
}

#[tokio::test]
async fn behaviour_changes_take_effect_on_the_next_request() {
    let sim = sim_with(healthy()).await;
    assert_eq!(
        post_token(&sim, CLIENT, SECRET).await.status(),
        StatusCode::OK
    );

    // Rotating the secret in SFMC breaks the integration that still sends the old one.
    sim.update_client(CLIENT, |c| c.secret = "rotated".into());
    assert_eq!(
        post_token(&sim, CLIENT, SECRET).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_token(&sim, CLIENT, "rotated").await.status(),
        StatusCode::OK
    );

    sim.set_client(
        CLIENT,
        ClientConfig {
            token: TokenBehaviour::Blocked,
            ..healthy()
        },
    );
    assert_eq!(
        post_token(&sim, CLIENT, SECRET).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    sim.update_client(CLIENT, |c| {
        c.token = TokenBehaviour::Healthy;
        c.scopes = vec!["email_read".into()];
        c.mid = 42;
    });
    let response = post_token(&sim, CLIENT, SECRET).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "email_read");
    let context: Value = get_context(&sim, body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(context["organization"]["id"], 42);
}

#[tokio::test]
#[should_panic(expected = "unknown client")]
async fn update_of_unknown_client_panics() {
    let sim = Simulator::start().await.unwrap();
    sim.update_client("nobody", |c| c.mid = 1);
}

#[tokio::test]
async fn latency_applies_globally_and_per_client_and_counts_come_first() {
    let sim = sim_with(healthy()).await;
    sim.set_latency(Duration::from_millis(150));
    let started = Instant::now();
    let response = post_token(&sim, "nobody", SECRET).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(started.elapsed() >= Duration::from_millis(150));

    sim.update_client(CLIENT, |c| c.latency = Duration::from_millis(100));
    let started = Instant::now();
    fresh_token(&sim).await;
    assert!(started.elapsed() >= Duration::from_millis(250));

    // Many concurrent requests are all counted while every one of them is still waiting: with a latency
    // far longer than the test, none can have been answered, so no wall-clock assumption is needed.
    sim.set_latency(Duration::from_secs(600));
    sim.reset_counts();
    let client = http();
    let url = format!("{}v2/token", sim.base_url());
    let body =
        json!({"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET});
    let requests: Vec<_> = (0..200)
        .map(|_| tokio::spawn(client.post(&url).json(&body).send()))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.counts(CLIENT).token < 200 {
        let counted = sim.counts(CLIENT).token;
        assert!(Instant::now() < deadline, "only {counted} counted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(requests.iter().all(|r| !r.is_finished()));
    sim.shutdown().await;
    for request in requests {
        let response = request.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}

#[tokio::test]
async fn control_api_round_trip_never_shows_secrets() {
    let sim = Simulator::start().await.unwrap();
    let clients_url = format!("{}_sim/clients", sim.base_url());
    let secret = "Zp4Xw8Kq2Mv6Rt1Ny5Bc9Lh3";
    let config = json!({
        "secret": secret,
        "mid": 7281700,
        "scopes": ["data_extensions_read", "journeys_execute"],
        "token": {"kind": "rate_limited", "retry_after_secs": 3},
        "latency_ms": 0,
    });
    let response = http()
        .put(format!("{clients_url}/{CLIENT}"))
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(!response.text().await.unwrap().contains(secret));
    let response = http()
        .put(format!("{clients_url}/{CLIENT}"))
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // The PUT config is live.
    let response = post_token(&sim, CLIENT, secret).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "3");
    post_token(&sim, "typo0000000000000000000", secret).await;

    let text = http()
        .get(&clients_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains(secret), "{text}");
    assert!(!text.contains("secret"), "{text}");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["base_url"], sim.base_url());
    let client = &list["clients"][0];
    assert_eq!(client["client_id"], CLIENT);
    assert_eq!(client["mid"], 7281700);
    assert_eq!(client["enterprise_id"], 7281700);
    assert_eq!(
        client["token"],
        json!({"kind": "rate_limited", "retry_after_secs": 3})
    );
    assert_eq!(client["rest"], json!({"kind": "healthy"}));
    assert_eq!(client["counts"], json!({"token": 1, "token_context": 0}));
    assert_eq!(client["last_token_request"]["account_id"], MID);
    assert_eq!(
        list["unknown_client_counts"]["typo0000000000000000000"]["token"],
        1
    );

    let response = http()
        .post(format!("{}_sim/reset-counts", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(sim.total_counts(), RequestCounts::default());

    let response = http()
        .put(format!("{}_sim/latency", sim.base_url()))
        .json(&json!({"latency_ms": 120}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let list: Value = http()
        .get(&clients_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["latency_ms"], 120);

    let response = http()
        .delete(format!("{clients_url}/{CLIENT}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = http()
        .delete(format!("{clients_url}/{CLIENT}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let list: Value = http()
        .get(&clients_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["clients"], json!([]));
}

#[tokio::test]
async fn control_api_rejects_bad_input_with_http_errors() {
    let sim = Simulator::start().await.unwrap();
    let url = format!("{}_sim/clients/{CLIENT}", sim.base_url());
    for bad in [
        json!({"mid": 1}),
        json!({"secret": "s", "mid": "x"}),
        json!({"secret": "s", "mid": 1, "token": {"kind": "nope"}}),
        json!({"secret": "s", "mid": 1, "surprise": true}),
    ] {
        let response = http().put(&url).json(&bad).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "bad_request");
    }
    let response = http().put(&url).body("{{{").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = http()
        .put(format!("{}_sim/latency", sim.base_url()))
        .body("-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn demo_scenario_behaves_as_described() {
    let sim = Simulator::start().await.unwrap();
    let demo = demo_scenario();
    for client in &demo {
        sim.set_client(&client.client_id, client.config.clone());
    }
    for DemoClient {
        id,
        client_id,
        sent_secret,
        expected_account_id,
        expected_scopes,
        expected_class,
        ..
    } in &demo
    {
        let response = http()
            .post(format!("{}v2/token", sim.base_url()))
            .json(&json!({
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": sent_secret,
                "account_id": expected_account_id,
            }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let retry_after = response.headers().get("retry-after").cloned();
        let text = response.text().await.unwrap();
        match expected_class.as_str() {
            "client_auth_failed" => assert_eq!(text, fixtures::TOKEN_CLIENT_AUTH_FAILED, "{id}"),
            "ip_not_allowlisted" => assert_eq!(text, fixtures::TOKEN_IP_NOT_ALLOWLISTED, "{id}"),
            "throttled" => {
                assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{id}");
                assert_eq!(retry_after.unwrap(), "1");
            }
            "sfmc_unavailable" => assert!(status.is_server_error(), "{id}"),
            "ok" | "missing_scopes" | "wrong_business_unit" => {
                assert_eq!(status, StatusCode::OK, "{id}");
                let body: Value = serde_json::from_str(&text).unwrap();
                let granted: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
                let missing = expected_scopes
                    .iter()
                    .any(|s| !granted.contains(&s.as_str()));
                assert_eq!(missing, expected_class == "missing_scopes", "{id}");
                let context: Value = get_context(&sim, body["access_token"].as_str().unwrap())
                    .await
                    .json()
                    .await
                    .unwrap();
                let same_bu = context["organization"]["id"].as_u64() == *expected_account_id;
                assert_eq!(same_bu, expected_class != "wrong_business_unit", "{id}");
            }
            other => panic!("untested demo class {other}"),
        }
    }
}

#[tokio::test]
async fn extreme_latencies_from_the_control_api_do_not_panic() {
    let sim = Simulator::start().await.unwrap();
    let config = json!({"secret": SECRET, "mid": 1, "latency_ms": u64::MAX,
                        "token": {"kind": "slow", "delay_ms": u64::MAX}});
    let response = http()
        .put(format!("{}_sim/clients/{CLIENT}", sim.base_url()))
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    sim.set_latency(Duration::MAX);
    let pending = tokio::spawn(async move {
        let url = format!("{}v2/token", sim.base_url());
        let body = json!({"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET});
        let request = http().post(url).json(&body).send();
        let outcome = tokio::time::timeout(Duration::from_millis(200), request).await;
        (sim, outcome.is_err())
    });
    let (sim, timed_out) = pending.await.unwrap();
    assert!(timed_out);
    assert_eq!(sim.counts(CLIENT).token, 1);
    sim.shutdown().await;
}

/// How many sockets this process may open: each concurrent request needs two (client and server side).
fn open_files_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse().ok()
        })
        .unwrap_or(1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_concurrent_connections() {
    // 2000 where the fd limit allows it; fewer on machines with the common 1024 default.
    let n = 2000.min(open_files_limit().saturating_sub(200) / 2) as u64;
    let sim = sim_with(healthy()).await;
    // Long enough that every request is open at the same time.
    sim.set_latency(Duration::from_millis(1500));
    let client = http();
    let url = format!("{}v2/token", sim.base_url());
    let body =
        json!({"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET});
    let requests: Vec<_> = (0..n)
        .map(|_| {
            let request = client.post(&url).json(&body).send();
            tokio::spawn(async move { request.await.map(|r| r.status()) })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap().unwrap(), StatusCode::OK);
    }
    assert_eq!(sim.counts(CLIENT).token, n);
}

#[tokio::test]
async fn raw_behaviour_serves_exactly_the_configured_status_headers_and_body() {
    let page = "<html><head><title>Website blocked</title></head></html>";
    let headers = vec![
        ("Server".to_string(), "Zscaler/6.2".to_string()),
        ("Content-Type".to_string(), "text/html".to_string()),
        ("Retry-After".to_string(), "3".to_string()),
        ("Set-Cookie".to_string(), "a=1".to_string()),
        ("Set-Cookie".to_string(), "b=2".to_string()),
    ];
    let mut config = healthy();
    config.token = TokenBehaviour::Raw {
        status: 403,
        headers: headers.clone(),
        body: page.to_string(),
    };
    config.rest = RestBehaviour::Raw {
        status: 596,
        headers: vec![],
        body: String::new(),
    };
    let sim = sim_with(config).await;
    let response = post_token(&sim, CLIENT, SECRET).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()["server"], "Zscaler/6.2");
    assert_eq!(content_type(&response), "text/html");
    assert_eq!(response.headers()["retry-after"], "3");
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(response.text().await.unwrap(), page);

    // A redirect without a body, and SFMC's 596 on tokenContext.
    sim.update_client(CLIENT, |c| {
        c.token = TokenBehaviour::Raw {
            status: 302,
            headers: vec![("Location".into(), "http://portal.example/".into())],
            body: String::new(),
        }
    });
    let no_redirects = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = no_redirects
        .post(format!("{}v2/token", sim.base_url()))
        .json(&json!({"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), StatusCode::FOUND);
    assert_eq!(redirect.headers()["location"], "http://portal.example/");
    assert!(redirect.headers().get("content-type").is_none());

    sim.update_client(CLIENT, |c| c.token = TokenBehaviour::Healthy);
    let token = fresh_token(&sim).await;
    let (status, body) = status_and_body(get_context(&sim, &token).await).await;
    assert_eq!((status.as_u16(), body.as_str()), (596, ""));

    // A bad configuration is answered 500 with the reason, never a panic.
    for (status, headers) in [
        (1000, vec![]),
        (200, vec![("Bad Name".to_string(), "x".to_string())]),
        (200, vec![("X-Ok".to_string(), "bad\nvalue".to_string())]),
    ] {
        sim.update_client(CLIENT, |c| {
            c.token = TokenBehaviour::Raw {
                status,
                headers: headers.clone(),
                body: String::new(),
            }
        });
        let (status, body) = status_and_body(post_token(&sim, CLIENT, SECRET).await).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.starts_with("credwatch-sim: configured"), "{body}");
    }
}

#[tokio::test]
async fn rest_instance_url_behaviour_issues_a_token_naming_that_url() {
    let mut config = healthy();
    config.token = TokenBehaviour::RestInstanceUrl {
        url: "mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com".into(),
    };
    let sim = sim_with(config).await;
    let response = post_token(&sim, CLIENT, SECRET).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["rest_instance_url"],
        "mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com"
    );
    // The token is real: tokenContext accepts it.
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(get_context(&sim, token).await.status(), StatusCode::OK);
}

/// Echo behaviours: the secret that was sent (token endpoint) and the bearer token that was sent
/// (tokenContext) come back inside an SFMC-shaped JSON error, in the chosen encoding; the
/// control API's JSON form selects them.
#[tokio::test]
async fn echoes_the_sent_secret_and_token_in_each_encoding() {
    use credwatch_sim::EchoEncoding;
    for encoding in EchoEncoding::ALL {
        let sim = sim_with(ClientConfig {
            token: TokenBehaviour::EchoSecret {
                status: 401,
                encoding,
            },
            ..healthy()
        })
        .await;
        let (status, body) = status_and_body(post_token(&sim, CLIENT, SECRET).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"], "invalid_client");
        let description = json["error_description"].as_str().unwrap();
        assert!(
            description.contains(&encoding.encode(SECRET)),
            "{encoding:?}: {description}"
        );

        sim.update_client(CLIENT, |c| {
            c.token = TokenBehaviour::Healthy;
            c.rest = RestBehaviour::EchoToken {
                status: 403,
                encoding,
            };
        });
        let token = fresh_token(&sim).await;
        let (status, body) = status_and_body(get_context(&sim, &token).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let json: Value = serde_json::from_str(&body).unwrap();
        assert!(
            json["message"]
                .as_str()
                .unwrap()
                .contains(&encoding.encode(&token)),
            "{encoding:?}: {body}"
        );
        sim.shutdown().await;
    }
    let wire: TokenBehaviour = serde_json::from_value(
        json!({"kind": "echo_secret", "status": 400, "encoding": "url_lower"}),
    )
    .unwrap();
    assert_eq!(
        wire,
        TokenBehaviour::EchoSecret {
            status: 400,
            encoding: EchoEncoding::UrlLower
        }
    );
}
