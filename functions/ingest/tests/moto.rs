//! The acceptance path on DynamoDB (moto_server, `CREDWATCH_TEST_AWS_ENDPOINT`): an integration
//! whose own probe is green reports a burst of token-endpoint 401 `invalid_client` over real
//! HTTP (function URL stand-in, handler in-process on the DynamoDB store): one
//! `reported_auth_failure` incident for the owning team says the integration likely uses an
//! outdated secret, and the integration is made due for a probe. The table, scanned, holds no
//! token and no reported message unredacted.

mod common;

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::passive::IngestToken;
use credwatch::domain::state::{CheckState, Health};
use credwatch::inventory::{IngestBinding, Integration};
use credwatch::jobs::ingest::IngestConfig;
use credwatch::secrets::ingest_token::ingest_token_hash as token_hash;
use credwatch::store::dynamo::{DynamoStore, create_table};
use credwatch::store::{Incidents, IngestTokens, Integrations};
use credwatch_ingest::{App, handle};
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::function_url::{FunctionUrl, Invoke};
use serde_json::json;

const TOKEN: &str = "cwi_moto-acceptance-token-QWERTYUIOPASDFGHJKLZXCV";
/// A secret a careless reporter pasted into a message: redacted before anything is stored.
const LEAKED: &str = "client_secret=Zx9LeakedSecretValue0123456789abcdef";

fn integration() -> Integration {
    common::integration("orders-sync", "Orders sync", IngestBinding::default())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_invalid_client_opens_one_incident_and_leaks_nothing() {
    let config = sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let table = unique_name("credwatch-ingest");
    create_table(&dynamo, &table).await.expect("table created");
    let store = DynamoStore::new(dynamo.clone(), table.clone());
    let now = Utc::now();
    // A green probe: the credential itself works.
    let mut state = CheckState::default();
    state.auth.health = Health::Healthy;
    state.last_class = Some(OutcomeClass::Ok);
    state.last_probe_at = Some(now - TimeDelta::minutes(3));
    state.next_probe_at = Some(now + TimeDelta::minutes(12));
    store
        .replace_integration(&integration(), now - TimeDelta::days(1), &state)
        .await
        .unwrap();
    store
        .put_ingest_token(&IngestToken {
            hash: token_hash(TOKEN),
            integration: "orders-sync".to_string(),
            created_at: now,
        })
        .await
        .unwrap();

    let app = Arc::new(App {
        store: DynamoStore::new(dynamo.clone(), table.clone()),
        config: IngestConfig::default(),
    });
    let invoke: Invoke = Arc::new(move |event| {
        let app = Arc::clone(&app);
        Box::pin(async move {
            handle(&app, &event, Some("123456789012"), Utc::now())
                .await
                .map_err(|e| json!(e.to_string()))
        })
    });
    let url = FunctionUrl::start(invoke).await;
    let burst: Vec<_> = (0..20)
        .map(|i| {
            json!({
                "event_id": format!("burst-{i}"),
                "observed_at": Utc::now().to_rfc3339(),
                "host": "mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com",
                "path_template": "/v2/token",
                "status": 401,
                "oauth_error": "invalid_client",
                "message": format!("Client authentication failed. {LEAKED}"),
            })
        })
        .collect();
    let response = reqwest::Client::new()
        .post(format!("{}v1/events", url.url()))
        .bearer_auth(TOKEN)
        .json(&json!({"events": burst}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 202);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["accepted"], 20, "{answer}");

    let incidents = store.incidents_of("orders-sync").await.unwrap();
    let open: Vec<_> = incidents.iter().filter(|i| i.open).collect();
    assert_eq!(open.len(), 1, "{open:?}");
    let incident = open[0];
    assert_eq!(incident.id.as_str(), "orders-sync:passive:1");
    assert_eq!(incident.class.as_str(), "reported_auth_failure");
    assert_eq!(incident.team, "crm-ops");
    assert!(
        incident.message.contains("outdated secret"),
        "{}",
        incident.message
    );
    let record = store.get_integration("orders-sync").await.unwrap().unwrap();
    assert!(
        record
            .state
            .next_probe_at
            .is_some_and(|at| at <= Utc::now()),
        "due for a probe: {:?}",
        record.state.next_probe_at
    );

    // The table, every item: no token, no leaked secret.
    let scan = dynamo.scan().table_name(&table).send().await.unwrap();
    let items = format!("{:?}", scan.items());
    assert!(!items.is_empty());
    assert!(!items.contains(TOKEN), "the token is in the table");
    assert!(
        !items.contains("Zx9LeakedSecretValue"),
        "a reported secret is in the table"
    );
}
