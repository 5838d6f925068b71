//! Keeping the alerts topic's subscriptions in line with the teams' `notify` blocks
//! (`inventory plan|apply --topic`): read the topic, plan with
//! [`crate::rules::subscriptions::plan`], apply change by change.

use std::collections::BTreeSet;

use crate::domain::subscription::EMAIL_PROTOCOL;
use crate::inventory::{Inventory, Team};
use crate::jobs::inventory_sync::ItemResult;
use crate::rules::subscriptions::{SubscriptionChange, SubscriptionPlan, plan};
use crate::subscriptions::{SubscriptionError, TopicSubscriptions};

/// Plans the subscription changes of `topic` for `desired`; `stored_teams` are the teams the
/// table holds (their subscriptions are credwatch's even when the inventory dropped them).
///
/// Errors: the topic's subscriptions could not be read (nothing is planned then).
pub async fn plan_subscriptions<P: TopicSubscriptions>(
    port: &P,
    topic: &str,
    desired: &Inventory,
    stored_teams: &[Team],
) -> Result<SubscriptionPlan, SubscriptionError> {
    let current = port.list(topic).await?;
    let known: BTreeSet<&str> = desired
        .teams
        .iter()
        .chain(stored_teams)
        .map(|t| t.id.as_str())
        .collect();
    Ok(plan(&desired.teams, &known, &current))
}

/// Applies a subscription plan change by change: one failure never stops the others, and
/// every change's result is returned (`subscription <address>`, `subscription created` /
/// `filter updated` / `subscription removed`). Rerunning converges: a created subscription is
/// read back as credwatch's by its filter policy.
pub async fn apply_subscriptions<P: TopicSubscriptions>(
    port: &P,
    topic: &str,
    plan: &SubscriptionPlan,
) -> Vec<ItemResult> {
    let mut results = Vec::new();
    for change in &plan.changes {
        let (action, result) = match change {
            SubscriptionChange::Create {
                endpoint,
                filter_policy,
                ..
            } => (
                "subscription created",
                port.subscribe(topic, EMAIL_PROTOCOL, endpoint, filter_policy)
                    .await
                    .map(drop),
            ),
            SubscriptionChange::UpdateFilter {
                arn, filter_policy, ..
            } => (
                "filter updated",
                port.set_filter_policy(arn, filter_policy).await,
            ),
            SubscriptionChange::Remove { arn, .. } => {
                ("subscription removed", port.unsubscribe(arn).await)
            }
        };
        results.push(ItemResult {
            item: format!(
                "subscription {} (team {})",
                change.endpoint(),
                change.team()
            ),
            action,
            error: result.err().map(|e| e.to_string()),
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::subscription::Subscription;
    use crate::inventory::{LoadOptions, parse_inventory};
    use crate::subscriptions::memory::MemorySubscriptions;

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:alerts";

    fn inventory(web: &str, crm: &str) -> Inventory {
        let yaml = format!(
            "version: 1\nteams:\n  - {{ id: platform, name: P }}\n  - {{ id: web, name: Web, notify: {web} }}\n  - {{ id: crm, name: CRM, notify: {crm} }}\nintegrations: []\n"
        );
        parse_inventory(
            &yaml,
            &LoadOptions {
                allow_any_endpoint: true,
            },
        )
        .expect("a valid inventory")
        .inventory
    }

    #[tokio::test]
    async fn apply_then_replan_is_empty_and_pending_ones_are_not_subscribed_twice() {
        let port = MemorySubscriptions::new(false);
        let desired = inventory(
            "{ email: [web@example.com], min_severity: high }",
            "{ email: [crm@example.com] }",
        );
        let first = plan_subscriptions(&port, TOPIC, &desired, &[])
            .await
            .expect("listed");
        assert_eq!(first.changes.len(), 2);
        let results = apply_subscriptions(&port, TOPIC, &first).await;
        assert!(results.iter().all(|r| r.error.is_none()), "{results:?}");
        assert_eq!(results[0].item, "subscription crm@example.com (team crm)");
        let again = plan_subscriptions(&port, TOPIC, &desired, &[])
            .await
            .expect("listed");
        assert!(again.is_empty(), "{again:?}");
        assert_eq!(again.pending.len(), 2, "both wait for their recipient");
    }

    #[tokio::test]
    async fn one_failed_change_stops_nothing() {
        let port = MemorySubscriptions::new(true);
        port.fail_on("crm@example.com");
        let desired = inventory(
            "{ email: [web@example.com] }",
            "{ email: [crm@example.com] }",
        );
        let plan = plan_subscriptions(&port, TOPIC, &desired, &[])
            .await
            .expect("listed");
        let results = apply_subscriptions(&port, TOPIC, &plan).await;
        let outcome: Vec<(&str, bool)> = results
            .iter()
            .map(|r| (r.item.as_str(), r.error.is_none()))
            .collect();
        assert_eq!(
            outcome,
            [
                ("subscription crm@example.com (team crm)", false),
                ("subscription web@example.com (team web)", true)
            ]
        );
        let listed = port.list(TOPIC).await.expect("listed");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].endpoint, "web@example.com");
    }

    #[tokio::test]
    async fn a_team_dropped_from_the_inventory_loses_its_subscriptions_while_the_table_knows_it() {
        let port = MemorySubscriptions::new(true);
        let before = inventory(
            "{ email: [web@example.com] }",
            "{ email: [crm@example.com] }",
        );
        let plan = plan_subscriptions(&port, TOPIC, &before, &[])
            .await
            .expect("listed");
        apply_subscriptions(&port, TOPIC, &plan).await;
        port.add(
            TOPIC,
            Subscription {
                arn: Some("arn:chatbot".into()),
                protocol: "https".into(),
                endpoint: "https://global.sns-api.chatbot.amazonaws.com".into(),
                filter_policy: None,
            },
        );
        let mut after = before.clone();
        after.teams.retain(|t| t.id != "crm");
        let plan = plan_subscriptions(&port, TOPIC, &after, &before.teams)
            .await
            .expect("listed");
        assert_eq!(plan.changes.len(), 1, "{plan:?}");
        assert!(matches!(
            &plan.changes[0],
            SubscriptionChange::Remove { endpoint, .. } if endpoint == "crm@example.com"
        ));
        assert_eq!(plan.foreign, 1);
        apply_subscriptions(&port, TOPIC, &plan).await;
        let left: Vec<String> = port
            .list(TOPIC)
            .await
            .expect("listed")
            .into_iter()
            .map(|s| s.endpoint)
            .collect();
        assert_eq!(
            left,
            [
                "web@example.com",
                "https://global.sns-api.chatbot.amazonaws.com"
            ]
        );
    }
}
