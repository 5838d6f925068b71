//! The built `credwatch-slack-notify` binary under the Lambda Runtime API stand-in, logging at
//! `trace`, fed real SNS events: it posts, records and reports, and the webhook URL (or its
//! path) appears nowhere: not in its logs or metrics, its answers and errors, the table's
//! items or the platform incident.

mod common;

use credwatch::domain::severity::Severity;
use credwatch::notify::notification::Event;
use credwatch_tests::aws::child_env;
use credwatch_tests::cli::workspace_binary;
use credwatch_tests::lambda::FunctionProcess;
use credwatch_tests::slack::Reply;

use common::{World, incident, notification, recorded_event};

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_posts_under_the_runtime_api_and_the_webhook_leaks_nowhere() {
    let world = World::new().await;
    let working = world.team_with_webhook("crm-ops", Severity::Low).await;
    let broken = world.team_with_webhook("web", Severity::Low).await;
    let flaky = world.team_with_webhook("data", Severity::Low).await;
    let mut env = child_env();
    env.extend([
        ("CREDWATCH_TABLE", world.table.clone()),
        ("CREDWATCH_SLACK_SECRET_PREFIX", world.prefix.clone()),
        ("CREDWATCH_ALLOW_ANY_ENDPOINT", "1".to_string()),
        ("CREDWATCH_LOG", "trace".to_string()),
    ]);
    let function = FunctionProcess::spawn(&workspace_binary("credwatch-slack-notify"), &env).await;

    // A working webhook: accepted.
    let ok = notification(
        &incident("loyalty-feed", "crm-ops", Severity::High),
        Event::Opened,
    );
    let answer = function
        .invoke(recorded_event(&world, &ok).await)
        .await
        .expect("accepted");
    assert_eq!(answer["records"][0][1]["outcome"], "accepted", "{answer}");

    // A revoked one: refused, reported to the platform team, the invocation succeeds.
    world.slack.script([Reply::Status(403, "invalid_token")]);
    let refused = notification(&incident("orders", "web", Severity::High), Event::Opened);
    let answer_refused = function
        .invoke(recorded_event(&world, &refused).await)
        .await
        .expect("a refusal is not retried");
    assert_eq!(answer_refused["records"][0][1]["outcome"], "refused");
    assert_eq!(answer_refused["incidents_opened"], 1);

    // A 5xx: the invocation fails as retryable, so Lambda retries it.
    world.slack.script([Reply::Status(503, "")]);
    let retried = notification(
        &incident("warehouse", "data", Severity::High),
        Event::Opened,
    );
    let failure = function
        .invoke(recorded_event(&world, &retried).await)
        .await
        .expect_err("retryable");
    assert_eq!(failure["errorType"], "Retryable", "{failure}");
    let (stdout, stderr) = function.stop().await;

    assert_eq!(world.slack.posts_to(&working).len(), 1);
    assert_eq!(world.slack.posts_to(&broken).len(), 1);
    assert_eq!(world.slack.posts_to(&flaky).len(), 1);
    assert!(stdout.contains("\"SlackPosts\""), "EMF metrics: {stdout}");
    assert!(
        stderr.contains("TRACE") || stderr.contains("\"level\":\"TRACE\""),
        "logging at trace"
    );

    // Everything the run left behind, raw.
    let items = aws_sdk_dynamodb::Client::new(&credwatch_tests::aws::sdk_config().await)
        .scan()
        .table_name(&world.table)
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default();
    let items = format!("{items:?}");
    assert!(items.contains("slack_post"), "the answers are recorded");
    let everything = format!("{stdout}\n{stderr}\n{answer}\n{answer_refused}\n{failure}\n{items}");
    for team in ["crm-ops", "web", "data"] {
        let url = world.slack.webhook_url(team, "x");
        let path = url
            .split_once("/services/")
            .expect("a path")
            .1
            .trim_end_matches("/x");
        assert!(
            !everything.contains(path),
            "the webhook path of {team} leaked"
        );
    }
    for secret in [&working, &broken, &flaky] {
        assert!(
            !everything.contains(secret.as_str()),
            "a webhook secret leaked"
        );
    }
    assert!(!everything.contains("/services/"), "a webhook path leaked");
}
