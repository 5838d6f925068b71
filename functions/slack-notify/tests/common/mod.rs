//! The world every slack-notify test runs in: a fresh table on moto, secrets under a fresh
//! Slack prefix in moto's Secrets Manager, the Slack stand-in, and notifications recorded as
//! the fan-out records them, delivered as the SNS event the alerts topic sends.

#![allow(dead_code, reason = "each test file uses its own part of the world")]

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use credwatch::domain::incident::{CheckKind, Incident, IncidentClass, IncidentId};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::severity::Severity;
use credwatch::inventory::{Notify, Team};
use credwatch::notify::annotations::Step;
use credwatch::notify::delivery::NotificationRecord;
use credwatch::notify::notification::{Event, Notification, NotificationId};
use credwatch::notify::publish::{SNS_MAX_BYTES, build};
use credwatch::notify::slack::webhook::{HttpTransport, SlackPoster};
use credwatch::secrets::SecretPolicy;
use credwatch::secrets::aws::AwsSecrets;
use credwatch::store::dynamo::{DynamoStore, create_table};
use credwatch::store::{Notifications, Teams};
use credwatch_slack_notify::App;
use credwatch_tests::aws::{sdk_config, unique_name};
use credwatch_tests::slack::SlackStandIn;
use serde_json::{Value, json};

/// 2026-11-30 13:05 UTC.
pub fn t0() -> DateTime<Utc> {
    "2026-11-30T13:05:00Z".parse().expect("a time")
}

/// The test world.
pub struct World {
    pub table: String,
    pub store: DynamoStore,
    pub secrets_manager: aws_sdk_secretsmanager::Client,
    pub slack: SlackStandIn,
    pub prefix: String,
    pub app: App<DynamoStore, AwsSecrets, HttpTransport>,
}

impl World {
    pub async fn new() -> World {
        World::with_transport(HttpTransport::new().expect("a client")).await
    }

    /// With another transport (a short timeout, for the slow answer).
    pub async fn with_transport(transport: HttpTransport) -> World {
        let config = sdk_config().await;
        let dynamo = aws_sdk_dynamodb::Client::new(&config);
        let table = unique_name("credwatch-slack");
        create_table(&dynamo, &table).await.expect("table created");
        let secrets_manager = aws_sdk_secretsmanager::Client::new(&config);
        let prefix = format!("{}/", unique_name("credwatch/slack"));
        let store = DynamoStore::new(dynamo.clone(), table.clone());
        World {
            app: App {
                store: DynamoStore::new(dynamo, table.clone()),
                secrets: AwsSecrets::with_policy(
                    secrets_manager.clone(),
                    Duration::from_secs(300),
                    SecretPolicy::deployed(prefix.clone()),
                ),
                poster: SlackPoster::new(transport),
                prefix: prefix.clone(),
                allow_any_endpoint: true,
            },
            table,
            store,
            secrets_manager,
            slack: SlackStandIn::start().await,
            prefix,
        }
    }

    /// Stores a secret holding `value`.
    pub async fn secret(&self, name: &str, value: &str) {
        self.secrets_manager
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .expect("secret created");
    }

    /// A team whose webhook is the secret `secret_name` (`None`: no webhook), receiving
    /// `min_severity` and above.
    pub async fn team(&self, id: &str, min_severity: Severity, secret_name: Option<&str>) {
        let team = Team {
            id: id.to_string(),
            name: format!("Team {id}"),
            timezone: None,
            business_hours: None,
            escalate_after: None,
            escalate_to: None,
            after_hours_to: None,
            notify: Notify {
                email: vec![format!("{id}@example.com")],
                min_severity,
                slack_webhook: secret_name.map(str::to_string),
                ..Notify::default()
            },
            maintenance: Vec::new(),
        };
        self.store.put_team(&team).await.expect("team stored");
    }

    /// A team with a working webhook of the stand-in, stored in `{prefix}{id}`; returns the
    /// webhook's secret part (the last path segment).
    pub async fn team_with_webhook(&self, id: &str, min_severity: Severity) -> String {
        let secret_part = format!("whsec{}", id.replace('-', "")).repeat(2);
        let name = format!("{}{id}", self.prefix);
        self.secret(&name, &self.slack.webhook_url(id, &secret_part))
            .await;
        self.team(id, min_severity, Some(&name)).await;
        secret_part
    }

    /// Records `n` as the fan-out does (pending, first claim).
    pub async fn record(&self, n: &Notification) {
        let record = NotificationRecord {
            notification: n.clone(),
            created_at: n.at,
            delivery: credwatch::rules::delivery::first_claim(n.at),
            slack: None,
        };
        assert!(
            self.store
                .record_notification(&record)
                .await
                .expect("recorded")
        );
    }

    /// The notification `id` on record.
    pub async fn on_record(&self, n: &Notification) -> NotificationRecord {
        self.store
            .notifications_of(&n.incident_id)
            .await
            .expect("listed")
            .into_iter()
            .find(|r| r.notification.id == n.id)
            .expect("on record")
    }

    /// Runs one invocation with `event` at `now`, no deadline.
    pub async fn invoke(&self, event: &Value) -> Result<Value, credwatch_lambda::InvocationError> {
        credwatch_slack_notify::handle_until(&self.app, event, t0() + TimeDelta::hours(3), None)
            .await
    }
}

/// An auth incident of `integration` owned by `team`.
pub fn incident(integration: &str, team: &str, severity: Severity) -> Incident {
    Incident {
        id: IncidentId::new(integration, CheckKind::Auth, 1),
        integration: integration.to_string(),
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        severity,
        team: team.to_string(),
        open: true,
        opened_at: t0(),
        updated_at: t0(),
        resolved_at: None,
        threshold_days: None,
        message: "SFMC said: Client authentication failed. (invalid_client)".to_string(),
        http_status: Some(401),
        class_since: None,
        ack: None,
    }
}

/// The `event` notification about `incident` (reminder 1, or the resolve 2 h 40 min later).
pub fn notification(incident: &Incident, event: Event) -> Notification {
    let at = t0() + TimeDelta::minutes(160);
    match event {
        Event::Reminder => {
            let mut n = Notification::about(
                NotificationId::step(&incident.id, Event::Reminder, 1, incident.opened_at),
                Event::Reminder,
                incident,
                None,
                None,
                at,
            );
            n.step = Some(Step {
                n: 1,
                since: incident.opened_at,
            });
            n
        }
        Event::Resolved => {
            let mut after = incident.clone();
            after.open = false;
            after.resolved_at = Some(at);
            let change = credwatch::domain::incident::IncidentChange::Resolved {
                id: incident.id.clone(),
                class: incident.class,
                message: "A token was issued again.".to_string(),
                at,
            };
            Notification::new(Event::Resolved, &after, &change, None, None, at)
        }
        event => {
            let change = credwatch::domain::incident::IncidentChange::Opened(incident.clone());
            Notification::new(event, incident, &change, None, None, at)
        }
    }
}

/// The `lambda` body SNS delivers for `n` (what the fan-out publishes).
pub fn document(n: &Notification) -> String {
    let request = build(n, SNS_MAX_BYTES);
    let message: Value = serde_json::from_str(&request.message).expect("MessageStructure json");
    message["lambda"]
        .as_str()
        .expect("a lambda body")
        .to_string()
}

/// An SNS event, as Lambda delivers it, of one record per message.
pub fn sns_event(messages: &[String]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, message)| {
            json!({
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:credwatch-alerts:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": format!("95df01b4-ee98-5cb9-9903-4c221d41eb5{i}"),
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:credwatch-alerts",
                    "Subject": "[HIGH] credwatch",
                    "Message": message,
                    "Timestamp": "2026-11-30T15:45:00.000Z",
                    "SignatureVersion": "1",
                    "Signature": "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:credwatch-alerts:2bcfbf39",
                    "MessageAttributes": {
                        "team": {"Type": "String", "Value": "crm-ops"}
                    }
                }
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The event of `n`, recorded first.
pub async fn recorded_event(world: &World, n: &Notification) -> Value {
    world.record(n).await;
    sns_event(&[document(n)])
}
