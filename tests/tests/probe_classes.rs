//! Every outcome class, end to end: the SFMC client over real HTTP against the simulator,
//! through the real inventory parser and file secret source.

use std::time::Duration;

use credwatch::domain::outcome::{OutcomeClass, ProbeOutcome};
use credwatch::probe::{Concurrency, Prober, RetryPolicy, probe_all};
use credwatch::secrets::LocalSecrets;
use credwatch::sfmc::{ClientSettings, EndpointPolicy, SfmcClient};
use credwatch_sim::{ClientConfig, RestBehaviour, Simulator, TokenBehaviour};
use credwatch_tests::{SYNC_SCOPES, Scratch, Spec, inventory};

fn prober(request_timeout: Duration) -> Prober {
    let client = SfmcClient::new(ClientSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout,
        max_body_bytes: 64 * 1024,
        endpoint_policy: EndpointPolicy::AnyEndpoint,
        ..ClientSettings::default()
    })
    .unwrap();
    Prober::new(
        client,
        RetryPolicy {
            transient_backoff: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(2),
        },
    )
}

fn healthy() -> ClientConfig {
    ClientConfig::healthy("correct-secret-1234567890", SYNC_SCOPES, 7281698)
}

async fn probe_specs(specs: &[Spec], timeout: Duration) -> Vec<ProbeOutcome> {
    let scratch = Scratch::new("classes");
    let inventory = inventory(scratch.path(), specs);
    probe_all(
        &prober(timeout),
        &LocalSecrets,
        &inventory.integrations,
        Concurrency::default(),
        &|_| {},
    )
    .await
}

async fn probe_one(
    sim: &Simulator,
    config: ClientConfig,
    tweak: impl FnOnce(&mut Spec),
) -> ProbeOutcome {
    let mut spec = Spec::on(sim, "it", &config);
    tweak(&mut spec);
    probe_specs(&[spec], Duration::from_secs(5)).await.remove(0)
}

fn with_token(behaviour: TokenBehaviour) -> ClientConfig {
    ClientConfig {
        token: behaviour,
        ..healthy()
    }
}

fn with_rest(behaviour: RestBehaviour) -> ClientConfig {
    ClientConfig {
        rest: behaviour,
        ..healthy()
    }
}

#[tokio::test]
async fn healthy_integration_is_ok_with_business_unit_and_token_lifetime() {
    let sim = Simulator::start().await.unwrap();
    let outcome = probe_one(&sim, healthy(), |_| {}).await;
    assert_eq!(outcome.class, OutcomeClass::Ok, "{outcome:?}");
    assert_eq!(outcome.business_unit, Some(7281698));
    assert_eq!(outcome.token_expires_in, Some(1079));
    assert_eq!(outcome.http_status, Some(200));
    assert_eq!(outcome.attempts, 1);
    assert!(outcome.missing_scopes.is_empty() && outcome.unexpected_scopes.is_empty());
    let counts = sim.counts("it-client");
    assert_eq!((counts.token, counts.token_context), (1, 1));
}

#[tokio::test]
async fn token_request_is_json_with_numeric_account_id_and_no_scope() {
    let sim = Simulator::start().await.unwrap();
    probe_one(&sim, healthy(), |_| {}).await;
    let shape = sim
        .last_token_request("it-client")
        .expect("a token request was made");
    assert_eq!(shape.content_type.as_deref(), Some("application/json"));
    assert_eq!(shape.account_id, Some(serde_json::json!(7281698)));
    assert!(!shape.has_scope_field);
    assert_eq!(shape.grant_type.as_deref(), Some("client_credentials"));
}

#[tokio::test]
async fn definitive_token_failures_are_confirmed_by_a_second_attempt() {
    let sim = Simulator::start().await.unwrap();
    let cases = [
        (
            TokenBehaviour::InvalidClientId,
            OutcomeClass::InvalidClientId,
            401,
        ),
        (
            TokenBehaviour::ClientAuthFailed,
            OutcomeClass::ClientAuthFailed,
            401,
        ),
        (
            TokenBehaviour::LegacyPackage,
            OutcomeClass::LegacyPackage,
            401,
        ),
        (
            TokenBehaviour::IpNotAllowlisted,
            OutcomeClass::IpNotAllowlisted,
            400,
        ),
        (
            TokenBehaviour::UnsupportedGrant,
            OutcomeClass::RequestRejected,
            400,
        ),
    ];
    for (behaviour, class, status) in cases {
        sim.reset_counts();
        let outcome = probe_one(&sim, with_token(behaviour.clone()), |_| {}).await;
        assert_eq!(outcome.class, class, "{behaviour:?}: {outcome:?}");
        assert_eq!(outcome.http_status, Some(status));
        assert_eq!(outcome.attempts, 2, "{behaviour:?}");
        assert!(outcome.confirmed, "{behaviour:?}");
        assert!(
            outcome.message.starts_with("SFMC said: "),
            "{}",
            outcome.message
        );
        assert_eq!(sim.counts("it-client").token, 2);
        assert_eq!(sim.counts("it-client").token_context, 0);
    }
}

#[tokio::test]
async fn revoked_secret_and_unknown_client_id_classify_from_real_credentials() {
    let sim = Simulator::start().await.unwrap();
    let wrong_secret = probe_one(&sim, healthy(), |spec| {
        spec.secret = "an-old-secret-0000000".into()
    })
    .await;
    assert_eq!(wrong_secret.class, OutcomeClass::ClientAuthFailed);
    let unknown = probe_one(&sim, healthy(), |spec| {
        spec.client_id = "nobody-knows-me".into()
    })
    .await;
    assert_eq!(unknown.class, OutcomeClass::InvalidClientId);
}

#[tokio::test]
async fn permission_failures_after_a_token_was_issued() {
    let sim = Simulator::start().await.unwrap();
    let missing = probe_one(
        &sim,
        ClientConfig {
            scopes: vec!["data_extensions_read".into(), "email_read".into()],
            ..healthy()
        },
        |spec| spec.expected_scopes = healthy().scopes,
    )
    .await;
    assert_eq!(missing.class, OutcomeClass::MissingScopes);
    assert_eq!(
        missing.missing_scopes,
        vec!["data_extensions_write", "journeys_read"]
    );
    assert_eq!(missing.unexpected_scopes, vec!["email_read"]);
    assert!(missing.confirmed);

    let wrong_bu = probe_one(
        &sim,
        ClientConfig {
            mid: 100,
            ..healthy()
        },
        |spec| spec.account_id = Some(200),
    )
    .await;
    assert_eq!(wrong_bu.class, OutcomeClass::WrongBusinessUnit);
    assert_eq!(wrong_bu.business_unit, Some(100));
    assert!(wrong_bu.message.contains("200"), "{}", wrong_bu.message);

    for rest in [
        RestBehaviour::NotAuthorized,
        RestBehaviour::InsufficientPrivileges,
    ] {
        let outcome = probe_one(&sim, with_rest(rest.clone()), |_| {}).await;
        assert_eq!(outcome.class, OutcomeClass::RestUnauthorized, "{rest:?}");
        assert!(outcome.confirmed);
    }
}

#[tokio::test]
async fn transient_failures_are_retried_once_and_reported_when_they_persist() {
    let sim = Simulator::start().await.unwrap();
    let cases = [
        (
            with_token(TokenBehaviour::Blocked),
            OutcomeClass::Throttled,
            Some(429),
        ),
        (
            with_token(TokenBehaviour::ServerError),
            OutcomeClass::SfmcUnavailable,
            Some(500),
        ),
        (
            with_token(TokenBehaviour::MalformedJson),
            OutcomeClass::MalformedResponse,
            Some(200),
        ),
        (
            with_token(TokenBehaviour::NotJson),
            OutcomeClass::MalformedResponse,
            Some(200),
        ),
        (
            with_rest(RestBehaviour::ServerError),
            OutcomeClass::SfmcUnavailable,
            Some(500),
        ),
        (
            with_rest(RestBehaviour::MalformedJson),
            OutcomeClass::MalformedResponse,
            Some(200),
        ),
        (
            with_rest(RestBehaviour::RateLimited {
                retry_after_secs: 0,
            }),
            OutcomeClass::Throttled,
            Some(429),
        ),
    ];
    for (config, class, status) in cases {
        sim.reset_counts();
        let label = format!("{:?}/{:?}", config.token, config.rest);
        let outcome = probe_one(&sim, config, |_| {}).await;
        assert_eq!(outcome.class, class, "{label}: {outcome:?}");
        assert_eq!(outcome.http_status, status, "{label}");
        assert_eq!(outcome.attempts, 2, "{label}");
        assert!(!outcome.confirmed);
        assert_eq!(sim.counts("it-client").token, 2, "{label}");
    }
}

#[tokio::test]
async fn throttling_honours_retry_after_and_a_blip_clears_on_retry() {
    let sim = Simulator::start().await.unwrap();
    let throttled = probe_one(
        &sim,
        with_token(TokenBehaviour::RateLimited {
            retry_after_secs: 1,
        }),
        |_| {},
    )
    .await;
    assert_eq!(throttled.class, OutcomeClass::Throttled);
    assert_eq!(throttled.retry_after_secs, Some(1));

    sim.reset_counts();
    let blip = with_token(TokenBehaviour::FailTimes {
        times: 1,
        then_fail_with: Box::new(TokenBehaviour::ServerError),
    });
    let outcome = probe_one(&sim, blip, |_| {}).await;
    assert_eq!(outcome.class, OutcomeClass::Ok, "{outcome:?}");
    assert_eq!(outcome.attempts, 2);
    assert_eq!(sim.counts("it-client").token, 2);
}

#[tokio::test]
async fn timeouts_refused_connections_and_oversized_bodies() {
    let sim = Simulator::start().await.unwrap();
    let short = Duration::from_millis(300);

    let hang = Spec::on(&sim, "hang", &with_token(TokenBehaviour::Hang));
    let rest_hang = Spec::on(&sim, "rest-hang", &with_rest(RestBehaviour::Hang));
    let oversized = Spec::on(
        &sim,
        "big",
        &with_token(TokenBehaviour::Oversized {
            bytes: 5 * 1024 * 1024,
        }),
    );
    let mut refused = Spec::on(&sim, "refused", &healthy());
    // A port that was just free and is now closed: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    refused.auth_url = format!("http://{closed}/");

    let mut outcomes = probe_specs(&[hang, rest_hang, refused], short).await;
    // The 5 MB body takes the simulator a while to build on a busy machine: its own, longer
    // timeout keeps this case about size, not speed. Only the first 64 KiB are read.
    outcomes.insert(
        2,
        probe_specs(&[oversized], Duration::from_secs(10))
            .await
            .remove(0),
    );
    let classes: Vec<_> = outcomes.iter().map(|o| o.class).collect();
    assert_eq!(
        classes,
        [
            OutcomeClass::Network,
            OutcomeClass::Network,
            OutcomeClass::MalformedResponse,
            OutcomeClass::Network
        ],
        "{outcomes:#?}"
    );
    assert!(
        outcomes[0].message.contains("no answer"),
        "{}",
        outcomes[0].message
    );
    assert!(
        outcomes[2].message.contains("larger than"),
        "{}",
        outcomes[2].message
    );
    assert!(
        outcomes[3].message.contains("could not connect"),
        "{}",
        outcomes[3].message
    );
    assert!(
        outcomes
            .iter()
            .all(|o| o.http_status.is_none() || o.class == OutcomeClass::MalformedResponse)
    );
}

#[tokio::test]
async fn undocumented_statuses_classify_by_body() {
    let sim = Simulator::start().await.unwrap();
    let auth_failed = credwatch_sim::fixtures::TOKEN_CLIENT_AUTH_FAILED.to_string();
    let outcome = probe_one(
        &sim,
        with_token(TokenBehaviour::Status {
            status: 403,
            body: auth_failed,
        }),
        |_| {},
    )
    .await;
    assert_eq!(outcome.class, OutcomeClass::ClientAuthFailed);
    assert_eq!(outcome.http_status, Some(403));
    let teapot = probe_one(
        &sim,
        with_token(TokenBehaviour::Status {
            status: 418,
            body: "I'm a teapot".into(),
        }),
        |_| {},
    )
    .await;
    // Not SFMC's body: something else answered, and the credential is not judged.
    assert_eq!(teapot.class, OutcomeClass::IntermediaryBlocked);
    assert!(teapot.message.contains("HTTP 418"), "{}", teapot.message);
}

#[tokio::test]
async fn unreadable_secret_is_secret_unavailable_and_probes_nothing() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("secret");
    let spec = Spec::on(&sim, "nosecret", &healthy());
    let mut inv = inventory(scratch.path(), &[spec]);
    inv.integrations[0].client_secret =
        credwatch::secrets::SecretSource::File(scratch.path().join("missing"));
    let outcomes = probe_all(
        &prober(Duration::from_secs(2)),
        &LocalSecrets,
        &inv.integrations,
        Concurrency::default(),
        &|_| {},
    )
    .await;
    assert_eq!(outcomes[0].class, OutcomeClass::SecretUnavailable);
    assert_eq!(outcomes[0].attempts, 0);
    assert_eq!(sim.counts("nosecret-client").token, 0);
}

#[tokio::test]
async fn one_thousand_integrations_each_get_their_own_class() {
    let sims = [
        Simulator::start().await.unwrap(),
        Simulator::start().await.unwrap(),
    ];
    let scripted: [(ClientConfig, OutcomeClass); 8] = [
        (healthy(), OutcomeClass::Ok),
        (
            with_token(TokenBehaviour::ClientAuthFailed),
            OutcomeClass::ClientAuthFailed,
        ),
        (
            with_token(TokenBehaviour::InvalidClientId),
            OutcomeClass::InvalidClientId,
        ),
        (
            with_token(TokenBehaviour::IpNotAllowlisted),
            OutcomeClass::IpNotAllowlisted,
        ),
        (
            ClientConfig {
                scopes: vec!["data_extensions_read".into()],
                ..healthy()
            },
            OutcomeClass::MissingScopes,
        ),
        (
            ClientConfig {
                mid: 1,
                ..healthy()
            },
            OutcomeClass::WrongBusinessUnit,
        ),
        (
            with_rest(RestBehaviour::InsufficientPrivileges),
            OutcomeClass::RestUnauthorized,
        ),
        (
            with_token(TokenBehaviour::ServerError),
            OutcomeClass::SfmcUnavailable,
        ),
    ];
    let mut specs = Vec::new();
    let mut expected = Vec::new();
    for i in 0..1000 {
        // Scatter classes so neighbours differ and both tenants carry every class.
        let pick = (i * 7 + i / 3) % scripted.len();
        let (config, class) = &scripted[pick];
        let mut spec = Spec::on(&sims[i % 2], &format!("int-{i:04}"), config);
        spec.account_id = Some(7281698);
        spec.expected_scopes = healthy().scopes;
        specs.push(spec);
        expected.push(*class);
    }
    let outcomes = probe_specs(&specs, Duration::from_secs(10)).await;
    assert_eq!(outcomes.len(), 1000);
    for (i, (outcome, class)) in outcomes.iter().zip(&expected).enumerate() {
        assert_eq!(
            outcome.integration,
            format!("int-{i:04}"),
            "results come back in inventory order"
        );
        assert_eq!(outcome.class, *class, "int-{i:04}: {outcome:?}");
    }
}

/// A simulator (or proxy) auth URL is probed only by a process that itself allows any endpoint
/// (`CREDWATCH_ALLOW_ANY_ENDPOINT`), and then the REST host its token answer names is trusted the
/// same way. The default policy refuses it at probe time, whatever the inventory allowed when it
/// was loaded (the table may say anything): `endpoint_not_allowed`, nothing sent.
#[tokio::test]
async fn a_non_sfmc_auth_url_is_probed_only_where_any_endpoint_is_allowed() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("policy");
    let inventory = inventory(scratch.path(), &[Spec::on(&sim, "it", &healthy())]);
    let probe_with = |endpoint_policy| {
        let prober = Prober::new(
            SfmcClient::new(ClientSettings {
                endpoint_policy,
                ..ClientSettings::default()
            })
            .unwrap(),
            RetryPolicy::default(),
        );
        let integrations = inventory.integrations.clone();
        async move {
            probe_all(
                &prober,
                &LocalSecrets,
                &integrations,
                Concurrency::default(),
                &|_| {},
            )
            .await
            .remove(0)
        }
    };
    let refused = probe_with(EndpointPolicy::SfmcOnly).await;
    assert_eq!(
        refused.class,
        OutcomeClass::EndpointNotAllowed,
        "{refused:?}"
    );
    assert_eq!(sim.total_counts().token, 0);
    let allowed = probe_with(EndpointPolicy::AnyEndpoint).await;
    assert_eq!(allowed.class, OutcomeClass::Ok, "{allowed:?}");
}

/// Counts secret reads, then reads from the real local sources.
#[derive(Default)]
struct CountingSecrets(std::sync::atomic::AtomicUsize);

impl credwatch::secrets::SecretReader for CountingSecrets {
    async fn read(
        &self,
        source: &credwatch::secrets::SecretSource,
    ) -> Result<credwatch::secrets::Secret, credwatch::secrets::SecretUnavailable> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        credwatch::secrets::LocalSecrets.read(source).await
    }
}

/// A prober that sends secrets only to SFMC auth hosts meets an integration whose stored
/// auth_url is anything else (here the simulator): it is `endpoint_not_allowed`, a monitor-kind
/// verdict, its secret is never read, and the host sees no request. The one rule is the
/// inventory's: an exact SFMC Authentication Base URI is allowed.
#[tokio::test]
async fn an_auth_url_outside_sfmc_is_refused_before_the_secret_is_read() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("classes-endpoint");
    let inventory = inventory(scratch.path(), &[Spec::on(&sim, "it", &healthy())]);
    let sfmc_only = Prober::new(
        SfmcClient::new(ClientSettings::default()).unwrap(),
        RetryPolicy::default(),
    );
    let secrets = CountingSecrets::default();
    let outcomes = probe_all(
        &sfmc_only,
        &secrets,
        &inventory.integrations,
        Concurrency::default(),
        &|_| {},
    )
    .await;
    assert_eq!(outcomes[0].class, OutcomeClass::EndpointNotAllowed);
    assert_eq!(outcomes[0].kind.as_str(), "monitor");
    assert_eq!(outcomes[0].attempts, 0);
    let origin = sim.base_url().trim_end_matches('/').to_string();
    assert!(
        outcomes[0].message.contains(&origin),
        "{}",
        outcomes[0].message
    );
    assert_eq!(
        secrets.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no secret read"
    );
    assert_eq!(sim.total_counts().token, 0, "no request sent");
    // The same prober with a secret already in hand still sends nothing there.
    let direct = sfmc_only
        .probe(
            &inventory.integrations[0],
            Ok(credwatch::secrets::Secret::new("s")),
        )
        .await;
    assert_eq!(direct.class, OutcomeClass::EndpointNotAllowed);
    assert_eq!(sim.total_counts().token, 0);

    let mut sfmc = inventory.integrations[0].clone();
    // A row's URL with credentials in it is refused without echoing them.
    let mut with_password = inventory.integrations[0].clone();
    with_password.auth_url = "https://user:hunter2@evil.example/x".parse().unwrap();
    let refused = sfmc_only
        .probe(&with_password, Ok(credwatch::secrets::Secret::new("s")))
        .await;
    assert_eq!(refused.class, OutcomeClass::EndpointNotAllowed);
    assert!(!refused.message.contains("hunter2"), "{}", refused.message);
    assert!(
        refused.message.contains("https://evil.example"),
        "{}",
        refused.message
    );

    sfmc.auth_url = "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/"
        .parse()
        .unwrap();
    assert!(sfmc_only.endpoint_allowed(&sfmc));
    for near_miss in [
        "http://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/",
        "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com.evil.example/",
        "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com:8443/",
        "https://user@mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/",
        "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/v2/",
        "https://evil.auth.marketingcloudapis.com/",
    ] {
        sfmc.auth_url = near_miss.parse().unwrap();
        assert!(!sfmc_only.endpoint_allowed(&sfmc), "{near_miss}");
    }
}

/// Even a prober that allows any endpoint refuses, at probe time, a row whose `auth_url` carries
/// userinfo (it reads as SFMC and points elsewhere, here at the simulator) or whose host imitates
/// SFMC's with international characters: `endpoint_not_allowed`, no secret read, no request.
#[tokio::test]
async fn userinfo_and_lookalike_hosts_are_refused_whatever_the_policy() {
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("classes-userinfo");
    let inventory = inventory(scratch.path(), &[Spec::on(&sim, "it", &healthy())]);
    let any = prober(Duration::from_secs(5));
    let base = sim.base_url().trim_end_matches('/').to_string();
    let port = base.rsplit(':').next().unwrap();
    let tenant = "mc563885gzs27c5t9-63k636ttgm";
    let cases = [
        (
            format!("http://{tenant}.auth.marketingcloudapis.com%2F@127.0.0.1:{port}/"),
            "user name or password",
        ),
        (
            format!("http://user:hunter2@127.0.0.1:{port}/"),
            "user name or password",
        ),
        (
            // Cyrillic `і` in marketingcloudapis.
            format!("https://{tenant}.auth.market\u{456}ngcloudapis.com/"),
            "international characters",
        ),
        (
            format!("https://xn--{}.auth.marketingcloudapis.com/", &tenant[4..]),
            "international characters",
        ),
    ];
    for (written, why) in cases {
        let mut row = inventory.integrations[0].clone();
        row.auth_url = written.parse().unwrap();
        assert!(!any.endpoint_allowed(&row), "{written}");
        let secrets = CountingSecrets::default();
        let outcomes = probe_all(
            &any,
            &secrets,
            std::slice::from_ref(&row),
            Concurrency::default(),
            &|_| {},
        )
        .await;
        assert_eq!(
            outcomes[0].class,
            OutcomeClass::EndpointNotAllowed,
            "{written}"
        );
        assert!(outcomes[0].message.contains(why), "{}", outcomes[0].message);
        assert!(
            !outcomes[0].message.contains("hunter2"),
            "{}",
            outcomes[0].message
        );
        assert_eq!(secrets.0.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
    assert_eq!(sim.total_counts().token, 0, "no request reached the host");
    // The same prober still probes the plain simulator URL.
    assert!(any.endpoint_allowed(&inventory.integrations[0]));
}

#[tokio::test]
async fn limits_beyond_what_a_semaphore_holds_probe_as_unlimited() {
    // CREDWATCH_PROBE_CONCURRENCY=18446744073709551615 parses; it must not panic the cycle.
    let sim = Simulator::start().await.unwrap();
    let scratch = Scratch::new("limits");
    let inv = inventory(scratch.path(), &[Spec::on(&sim, "huge", &healthy())]);
    let outcomes = probe_all(
        &prober(Duration::from_secs(5)),
        &LocalSecrets,
        &inv.integrations,
        Concurrency {
            global: usize::MAX,
            per_host: usize::MAX,
        },
        &|_| {},
    )
    .await;
    assert_eq!(outcomes[0].class, OutcomeClass::Ok, "{:?}", outcomes[0]);
}
