//! slack-notify against moto (DynamoDB, Secrets Manager) and the Slack stand-in over real
//! HTTP: every message is valid Block Kit (the stand-in checks each post), every answer of
//! Slack's leads to its outcome, and nothing is lost.

mod common;

use std::time::Duration;

use credwatch::domain::incident::PLATFORM_TEAM;
use credwatch::domain::severity::Severity;
use credwatch::jobs::slack_notify::webhook_incident_id;
use credwatch::notify::delivery::{DeliveryState, SlackPostState};
use credwatch::notify::notification::Event;
use credwatch::notify::slack::webhook::HttpTransport;
use credwatch::store::Incidents;
use credwatch_tests::slack::Reply;
use serde_json::Value;

use common::{World, document, incident, notification, recorded_event, sns_event};

#[tokio::test(flavor = "multi_thread")]
async fn opened_reminder_and_resolved_each_post_valid_block_kit_once() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook("crm-ops", Severity::Low).await;
    let incident = incident("loyalty-feed", "crm-ops", Severity::High);
    for (i, event) in [Event::Opened, Event::Reminder, Event::Resolved]
        .into_iter()
        .enumerate()
    {
        let n = notification(&incident, event);
        let sns = recorded_event(&world, &n).await;
        let answer = world.invoke(&sns).await.expect("posted");
        assert_eq!(answer["records"][0][1]["outcome"], "accepted", "{answer}");
        let posts = world.slack.posts_to(&secret_part);
        assert_eq!(posts.len(), i + 1, "one post per notification");
        let post = &posts[i];
        assert_eq!(post.headers["content-type"], "application/json");
        let header = post.body["blocks"][0]["text"]["text"].as_str().unwrap();
        match event {
            Event::Opened => assert!(header.contains("HIGH · loyalty-feed"), "{header}"),
            Event::Reminder => {
                assert!(header.contains("REMINDER HIGH"), "{header}");
                assert!(
                    post.body
                        .to_string()
                        .contains("Follows incident `loyalty-feed:auth:1`")
                );
            }
            _ => {
                assert!(header.contains("RESOLVED"), "{header}");
                assert!(
                    post.body
                        .to_string()
                        .contains("Follows incident `loyalty-feed:auth:1`")
                );
            }
        }
        let record = world.on_record(&n).await;
        let slack = record.slack.expect("Slack's answer recorded");
        assert_eq!(slack.state, SlackPostState::Accepted);
        assert_eq!(
            (slack.attempts, slack.status, slack.error),
            (1, Some(200), None)
        );
        // The email path is another subscription: the delivery is as the fan-out left it.
        assert_eq!(record.delivery.state, DeliveryState::Pending);

        // Lambda retries the same event: accepted already, nothing posted again.
        let replay = world.invoke(&sns).await.expect("replayed");
        assert_eq!(
            replay["records"][0][1]["reason"], "already accepted",
            "{replay}"
        );
        assert_eq!(world.slack.posts_to(&secret_part).len(), i + 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_404_opens_one_platform_incident_loses_nothing_and_an_accepted_post_resolves_it() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook("crm-ops", Severity::Low).await;
    let secret_name = format!("{}crm-ops", world.prefix);
    let first = notification(
        &incident("loyalty-feed", "crm-ops", Severity::High),
        Event::Opened,
    );
    let second = notification(
        &incident("orders-sync", "crm-ops", Severity::High),
        Event::Opened,
    );
    world.slack.script([
        Reply::Status(404, "channel_not_found"),
        Reply::Status(404, "channel_not_found"),
    ]);
    for n in [&first, &second] {
        // A permanent refusal is not retried: the invocation succeeds.
        let answer = world
            .invoke(&recorded_event(&world, n).await)
            .await
            .expect("handled");
        assert_eq!(answer["records"][0][1]["outcome"], "refused", "{answer}");
        let slack = world.on_record(n).await.slack.expect("recorded");
        assert_eq!(slack.state, SlackPostState::Refused);
        assert_eq!(slack.status, Some(404));
        assert_eq!(
            slack.error.as_deref(),
            Some("Slack answered channel_not_found")
        );
    }
    // One incident for the platform team, opened once.
    let id = webhook_incident_id("crm-ops");
    let open = world.store.open_incidents().await.expect("listed");
    let reports: Vec<_> = open.iter().filter(|i| i.id == id).collect();
    assert_eq!(reports.len(), 1, "{open:?}");
    let report = reports[0];
    assert_eq!(report.team, PLATFORM_TEAM);
    assert_eq!(report.class.as_str(), "slack_webhook_refused");
    assert!(
        report.message.starts_with(&format!(
            "the Slack webhook of team crm-ops is broken: Slack answered channel_not_found; fix \
             the secret {secret_name}"
        )),
        "{}",
        report.message
    );
    assert!(!report.message.contains(&secret_part));

    // Someone fixes the channel: the next post is accepted and resolves the report.
    let third = notification(
        &incident("loyalty-feed", "crm-ops", Severity::High),
        Event::Resolved,
    );
    let answer = world
        .invoke(&recorded_event(&world, &third).await)
        .await
        .expect("posted");
    assert_eq!(answer["records"][0][1]["outcome"], "accepted", "{answer}");
    assert_eq!(answer["incidents_resolved"], 1, "{answer}");
    let resolved = world
        .store
        .get_incident(&id)
        .await
        .expect("read")
        .expect("kept");
    assert!(!resolved.open);
    assert_eq!(world.slack.posts_to(&secret_part).len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_permanent_answer_is_refused_recorded_and_reported() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook("web", Severity::Low).await;
    let cases = [
        (
            Reply::Status(400, "invalid_payload"),
            "invalid_payload",
            Some(400),
        ),
        (
            Reply::Status(403, "invalid_token"),
            "invalid_token",
            Some(403),
        ),
        (Reply::Status(404, "no_service"), "no_service", Some(404)),
        (
            Reply::Status(404, "channel_not_found"),
            "channel_not_found",
            Some(404),
        ),
        (
            Reply::Status(410, "channel_is_archived"),
            "channel_is_archived",
            Some(410),
        ),
        (Reply::Html(404), "http_404", Some(404)),
        (Reply::Huge(404, 5 * 1024 * 1024), "http_404", Some(404)),
    ];
    for (i, (reply, token, status)) in cases.into_iter().enumerate() {
        world.slack.script([reply]);
        let n = notification(
            &incident(&format!("feed-{i}"), "web", Severity::High),
            Event::Opened,
        );
        let answer = world
            .invoke(&recorded_event(&world, &n).await)
            .await
            .expect("handled");
        assert_eq!(
            answer["records"][0][1]["outcome"], "refused",
            "{token}: {answer}"
        );
        let slack = world.on_record(&n).await.slack.expect("recorded");
        assert_eq!(slack.state, SlackPostState::Refused, "{token}");
        assert_eq!(slack.status, status, "{token}");
        assert_eq!(slack.error, Some(format!("Slack answered {token}")));
    }
    assert_eq!(world.slack.posts_to(&secret_part).len(), 7);
    let open = world.store.open_incidents().await.expect("listed");
    assert_eq!(
        open.iter()
            .filter(|i| i.id == webhook_incident_id("web"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retryable_answers_fail_the_invocation_and_the_retry_posts_once() {
    let world = World::with_transport(
        HttpTransport::with_timeouts(Duration::from_secs(2), Duration::from_secs(2)).unwrap(),
    )
    .await;
    let secret_part = world.team_with_webhook("web", Severity::Low).await;
    let cases = [
        (Reply::Status(500, ""), "http_500"),
        (
            Reply::Status(503, "service_unavailable"),
            "service_unavailable",
        ),
        (Reply::Html(502), "http_502"),
        (Reply::Html(200), "http_200: not an answer from Slack"),
        (Reply::Huge(503, 5 * 1024 * 1024), "http_503"),
        (
            Reply::Slow(Duration::from_secs(30)),
            "timeout: Slack did not answer in time",
        ),
    ];
    for (i, (reply, why)) in cases.into_iter().enumerate() {
        world.slack.script([reply]);
        let n = notification(
            &incident(&format!("feed-{i}"), "web", Severity::High),
            Event::Opened,
        );
        let sns = recorded_event(&world, &n).await;
        let err = world.invoke(&sns).await.expect_err("retried by Lambda");
        assert!(err.is_retryable(), "{why}: {err}");
        assert!(err.to_string().contains(why), "{why}: {err}");
        let slack = world.on_record(&n).await.slack.expect("recorded");
        assert_eq!(slack.state, SlackPostState::Retrying, "{why}");
        assert_eq!(slack.error.as_deref(), Some(why));

        // Lambda's retry: the stand-in answers ok now; posted once more, accepted.
        let before = world.slack.posts_to(&secret_part).len();
        world.invoke(&sns).await.expect("accepted on retry");
        assert_eq!(
            world.slack.posts_to(&secret_part).len(),
            before + 1,
            "{why}"
        );
        let slack = world.on_record(&n).await.slack.expect("recorded");
        assert_eq!(slack.state, SlackPostState::Accepted, "{why}");
        assert_eq!(slack.attempts, 2, "{why}");
    }
    // No redirect was followed: every post went to the webhook itself.
    assert_eq!(
        world.slack.posts().len(),
        world.slack.posts_to(&secret_part).len()
    );
    // Nothing retryable is reported as a broken webhook.
    let open = world.store.open_incidents().await.expect("listed");
    assert!(
        open.iter().all(|i| i.id != webhook_incident_id("web")),
        "{open:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_with_retry_after_is_waited_out_then_posted() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook("web", Severity::Low).await;
    world
        .slack
        .script([Reply::RateLimited(Some("1".to_string()))]);
    let n = notification(&incident("feed", "web", Severity::High), Event::Opened);
    let answer = world
        .invoke(&recorded_event(&world, &n).await)
        .await
        .expect("posted");
    assert_eq!(answer["records"][0][1]["outcome"], "accepted", "{answer}");
    assert_eq!(world.slack.posts_to(&secret_part).len(), 2);
    let slack = world.on_record(&n).await.slack.expect("recorded");
    assert_eq!((slack.state, slack.attempts), (SlackPostState::Accepted, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_longer_than_the_invocation_left_is_retried_later() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook("web", Severity::Low).await;
    world
        .slack
        .script([Reply::RateLimited(Some("600".to_string()))]);
    let n = notification(&incident("feed", "web", Severity::High), Event::Opened);
    let sns = recorded_event(&world, &n).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let err = credwatch_slack_notify::handle_until(&world.app, &sns, common::t0(), Some(deadline))
        .await
        .expect_err("retried by Lambda");
    assert!(
        err.is_retryable() && err.to_string().contains("rate_limited"),
        "{err}"
    );
    assert_eq!(world.slack.posts_to(&secret_part).len(), 1);
    let slack = world.on_record(&n).await.slack.expect("recorded");
    assert_eq!(slack.state, SlackPostState::Retrying);
    assert_eq!(slack.status, Some(429));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_the_invocation_has_no_time_left_for_is_not_sent_but_retried() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook("web", Severity::Low).await;
    let n = notification(&incident("feed", "web", Severity::High), Event::Opened);
    let sns = recorded_event(&world, &n).await;
    // Lambda's timeout is upon the invocation: a post sent now could reach Slack with its
    // answer never recorded, and Lambda's retry would post it a second time.
    let deadline = tokio::time::Instant::now();
    let err = credwatch_slack_notify::handle_until(&world.app, &sns, common::t0(), Some(deadline))
        .await
        .expect_err("retried by Lambda");
    assert!(
        err.is_retryable() && err.to_string().contains("not posted"),
        "{err}"
    );
    assert!(world.slack.posts_to(&secret_part).is_empty());
    let slack = world.on_record(&n).await.slack.expect("recorded");
    assert_eq!(
        (slack.state, slack.attempts, slack.status),
        (SlackPostState::Retrying, 0, None)
    );
    // Lambda's retry, with time to spare, posts it once.
    world.invoke(&sns).await.expect("posted");
    assert_eq!(world.slack.posts_to(&secret_part).len(), 1);
    let slack = world.on_record(&n).await.slack.expect("recorded");
    assert_eq!((slack.state, slack.attempts), (SlackPostState::Accepted, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notification_not_on_record_is_posted_and_its_unrecorded_answer_reported() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook("web", Severity::Low).await;
    // Never recorded: its notification id names nothing in the table.
    let n = notification(&incident("ghost", "web", Severity::High), Event::Opened);
    let answer = world
        .invoke(&sns_event(&[document(&n)]))
        .await
        .expect("handled");
    assert_eq!(answer["records"][0][1]["outcome"], "accepted", "{answer}");
    assert_eq!(world.slack.posts_to(&secret_part).len(), 1);
    let errors = answer["errors"].as_array().expect("errors listed");
    assert_eq!(errors.len(), 1, "{answer}");
    let error = errors[0].as_str().unwrap();
    assert!(
        error.starts_with(&format!("{}: no such notification on record", n.id))
            && error.contains(n.incident_id.as_str())
            && error.contains("(accepted) was not recorded"),
        "{error}"
    );
    assert!(!error.contains(&secret_part), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn teams_below_min_severity_or_without_webhook_get_nothing() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook("web", Severity::High).await;
    world.team("email-only", Severity::Low, None).await;
    let medium = notification(&incident("feed", "web", Severity::Medium), Event::Opened);
    let critical = notification(
        &incident("orders", "web", Severity::Critical),
        Event::Opened,
    );
    let plain = notification(
        &incident("crm", "email-only", Severity::Critical),
        Event::Opened,
    );
    let unknown = notification(
        &incident("misc", "nobody", Severity::Critical),
        Event::Opened,
    );
    for n in [&medium, &critical, &plain, &unknown] {
        world.record(n).await;
    }
    let sns = sns_event(&[
        document(&medium),
        document(&critical),
        document(&plain),
        document(&unknown),
    ]);
    let answer = world.invoke(&sns).await.expect("handled");
    let outcomes: Vec<String> = answer["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r[1]["outcome"], r[1]["reason"]))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            "\"skipped\" \"below min_severity\"",
            "\"accepted\" null",
            "\"skipped\" \"no webhook\"",
            "\"skipped\" \"unknown team\"",
        ]
    );
    assert_eq!(world.slack.posts().len(), 1);
    assert_eq!(world.slack.posts_to(&secret_part).len(), 1);
    assert!(world.on_record(&medium).await.slack.is_none());
    assert!(world.on_record(&plain).await.slack.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn unusable_secrets_are_broken_webhooks_reported_by_name_only() {
    let world = World::new().await;
    let foreign = credwatch_tests::aws::unique_name("payments/stripe");
    let stolen = world.slack.webhook_url("x", "foreignsecretpart");
    world.secret(&foreign, &stolen).await;
    let bad_value = format!("{}bad-value", world.prefix);
    world
        .secret(
            &bad_value,
            "{\"webhook\": \"https://hooks.slack.com/services/T/B/valuepart\"}",
        )
        .await;
    let missing = format!("{}missing", world.prefix);
    let cases = [
        ("outside", foreign.clone(), "outside"),
        ("badvalue", bad_value.clone(), "does not hold a webhook URL"),
        ("missing", missing.clone(), "ResourceNotFoundException"),
    ];
    for (team, secret, why) in &cases {
        world.team(team, Severity::Low, Some(secret)).await;
        let n = notification(
            &incident(&format!("feed-{team}"), team, Severity::High),
            Event::Opened,
        );
        let answer = world
            .invoke(&recorded_event(&world, &n).await)
            .await
            .expect("handled");
        assert_eq!(
            answer["records"][0][1]["outcome"], "refused",
            "{team}: {answer}"
        );
        let slack = world.on_record(&n).await.slack.expect("recorded");
        assert_eq!(slack.state, SlackPostState::Refused);
        assert_eq!(slack.status, None);
        let error = slack.error.expect("an error");
        assert!(error.contains(why), "{team}: {error}");
        let report = world
            .store
            .get_incident(&webhook_incident_id(team))
            .await
            .expect("read")
            .expect("reported");
        assert!(report.open);
        assert!(
            report.message.contains(&format!("fix the secret {secret}")),
            "{}",
            report.message
        );
        let everything = format!("{answer} {error} {}", report.message);
        assert!(!everything.contains("valuepart") && !everything.contains("foreignsecretpart"));
    }
    // Nothing was posted anywhere: the foreign secret was never even read.
    assert!(world.slack.posts().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_record_is_named_and_never_blocks_the_others() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook("web", Severity::Low).await;
    let good = notification(&incident("feed", "web", Severity::High), Event::Opened);
    world.record(&good).await;
    let mut sns = sns_event(&[
        "{\"schema\": \"credwatch.notification.v1\"}".to_string(),
        document(&good),
    ]);
    sns["Records"].as_array_mut().unwrap().push(Value::from(7));
    let answer = world
        .invoke(&sns)
        .await
        .expect("bad records are not retried");
    let records = answer["records"].as_array().unwrap();
    assert_eq!(records[0][0], "95df01b4-ee98-5cb9-9903-4c221d41eb50");
    assert_eq!(records[0][1]["outcome"], "unreadable");
    assert!(
        records[0][1]["error"]
            .as_str()
            .unwrap()
            .starts_with("field "),
        "{answer}"
    );
    assert_eq!(records[1][1]["outcome"], "accepted");
    assert_eq!(records[2][0], "record 2");
    assert_eq!(records[2][1]["outcome"], "unreadable");
    assert_eq!(world.slack.posts_to(&secret_part).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_platform_webhook_reports_itself_once_and_never_loops() {
    let world = World::new().await;
    let secret_part = world.team_with_webhook(PLATFORM_TEAM, Severity::Low).await;
    world.slack.script([
        Reply::Status(404, "no_service"),
        Reply::Status(404, "no_service"),
    ]);
    // Something for the platform team: refused, and the report opens.
    let first = notification(
        &incident("loyalty-feed", PLATFORM_TEAM, Severity::High),
        Event::Opened,
    );
    let answer = world
        .invoke(&recorded_event(&world, &first).await)
        .await
        .expect("handled");
    assert_eq!(answer["incidents_opened"], 1, "{answer}");
    let report = world
        .store
        .get_incident(&webhook_incident_id(PLATFORM_TEAM))
        .await
        .expect("read")
        .expect("reported");
    // The fan-out tells the platform team about its own broken webhook: that post is refused
    // too, and nothing new opens (the report is already open), so nothing more is sent.
    let own = notification(&report, Event::Opened);
    let answer = world
        .invoke(&recorded_event(&world, &own).await)
        .await
        .expect("handled");
    assert_eq!(answer["records"][0][1]["outcome"], "refused", "{answer}");
    assert_eq!(answer["incidents_opened"], 0, "{answer}");
    let open = world.store.open_incidents().await.expect("listed");
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(world.slack.posts_to(&secret_part).len(), 2);
}
