//! Stream records as moto's DynamoDB Streams API gives them, shaped as Lambda delivers them
//! (`credwatch_tests::streams`), decode through the store's own decoders: what the alert
//! fan-out is fed in the end-to-end tests is what DynamoDB would feed it.

use aws_lambda_events::event::dynamodb::Event;
use chrono::{DateTime, TimeZone, Utc};
use credwatch::domain::incident::{CheckKind, Incident, IncidentClass, IncidentId};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::inventory::Severity;
use credwatch::store::Incidents;
use credwatch::store::dynamo::image::incident_of_image;
use credwatch::store::dynamo::{DynamoStore, create_table};
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::streams::StreamReader;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap() + chrono::TimeDelta::minutes(minutes)
}

fn incident() -> Incident {
    Incident {
        id: "crm-sync:auth:1".parse::<IncidentId>().unwrap(),
        integration: "crm-sync".to_string(),
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        severity: Severity::Critical,
        team: "crm-ops".to_string(),
        open: true,
        opened_at: at(0),
        updated_at: at(0),
        resolved_at: None,
        threshold_days: None,
        message: "SFMC says: Client authentication failed.".to_string(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incident_opened_and_resolved_streams_two_records_that_decode() {
    let config = sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let table = unique_name("streams");
    create_table(&dynamo, &table).await.unwrap();
    let store = DynamoStore::new(dynamo, table.clone());
    let mut stream = StreamReader::open(&config, &table).await;

    assert!(store.open_incident(&incident()).await.unwrap());
    assert!(
        store
            .resolve_incident("crm-sync:auth:1", "the secret works again", at(30))
            .await
            .unwrap()
    );
    let event: Event = serde_json::from_value(stream.next_event().await).unwrap();
    assert_eq!(event.records.len(), 2, "{:?}", event.records);

    let opened = &event.records[0];
    assert_eq!(opened.event_name, "INSERT");
    assert!(opened.change.old_image.is_empty());
    let new = incident_of_image(&opened.change.new_image).unwrap();
    assert_eq!(new, incident());

    let resolved = &event.records[1];
    assert_eq!(resolved.event_name, "MODIFY");
    let old = incident_of_image(&resolved.change.old_image).unwrap();
    let new = incident_of_image(&resolved.change.new_image).unwrap();
    assert!(old.open && !new.open, "{old:?} -> {new:?}");
    assert_eq!(new.resolved_at, Some(at(30)));
    assert_ne!(
        opened.change.sequence_number, resolved.change.sequence_number,
        "each record has its own sequence number (batchItemFailures names it)"
    );

    // Read to the end: nothing more until something is written.
    let again: Event = serde_json::from_value(stream.next_event().await).unwrap();
    assert!(again.records.is_empty());
}
