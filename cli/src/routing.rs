//! The alert topic's subscriptions in the operator commands: `inventory plan|apply --topic`
//! (what changes) and `status --topic` (who is pending, who cannot be reached).

use credwatch::inventory::{Inventory, Team};
use credwatch::jobs::inventory_sync::ItemResult;
use credwatch::jobs::subscription_sync::{apply_subscriptions, plan_subscriptions};
use credwatch::rules::subscriptions::{
    Reachability, SubscriptionChange, SubscriptionPlan, reachability,
};
use credwatch::store::Teams;
use credwatch::store::dynamo::DynamoStore;
use credwatch::subscriptions::TopicSubscriptions;
use credwatch::subscriptions::sns::SnsSubscriptions;
use credwatch::text::printable::{self, escape};

use crate::aws_trouble::{self, Trouble, store_error_line};
use crate::exit::{EXIT_FAILING, EXIT_INVALID};

/// The subscription part of `inventory plan|apply`: nothing without a topic; else the plan
/// and, when `execute`, the result of each change. `stored_teams` are the table's teams.
/// Errors (nothing was written): a malformed topic ARN (exit 2), the topic unreadable (1).
pub async fn sync(
    topic: Option<&str>,
    inventory: &Inventory,
    stored_teams: &[Team],
    execute: bool,
) -> Result<(Option<SubscriptionPlan>, Vec<ItemResult>), Trouble> {
    let Some(topic) = topic else {
        return Ok((None, Vec::new()));
    };
    let port = port(topic).await?;
    let planned = plan_subscriptions(&port, topic, inventory, stored_teams)
        .await
        .map_err(|err| Trouble {
            message: format!(
                "could not read the subscriptions of the alert topic: {}; nothing was written",
                escape(&err.to_string())
            ),
            code: EXIT_FAILING,
        })?;
    let results = if execute {
        apply_subscriptions(&port, topic, &planned).await
    } else {
        Vec::new()
    };
    Ok((Some(planned), results))
}

/// The teams of the table and the topic's subscriptions, as who can be reached.
pub async fn status(store: &DynamoStore, topic: &str) -> Result<Reachability, Trouble> {
    let port = port(topic).await?;
    let teams = store.list_teams().await.map_err(|err| Trouble {
        message: format!(
            "could not read the teams: {}",
            store_error_line(err.message())
        ),
        code: EXIT_FAILING,
    })?;
    let current = port.list(topic).await.map_err(|err| Trouble {
        message: format!(
            "could not read the subscriptions of the alert topic: {}",
            escape(&err.to_string())
        ),
        code: EXIT_FAILING,
    })?;
    Ok(reachability(&teams, &current))
}

/// `status --topic ARN --format json`: the rows under `integrations`, beside `routing`.
pub fn status_json(
    rows: &impl serde::Serialize,
    topic: &str,
    seen: &Reachability,
) -> serde_json::Value {
    serde_json::json!({
        "integrations": rows,
        "routing": {
            "topic": topic,
            "confirmed": seen.confirmed,
            "pending": seen.pending,
            "unreachable": seen.unreachable,
            "foreign": seen.foreign,
        },
    })
}

/// The SNS adapter, once AWS is configured and `topic` looks like an SNS topic ARN
/// (`arn:<partition>:sns:<region>:<account>:<name>`); a malformed ARN is exit 2.
pub async fn port(topic: &str) -> Result<SnsSubscriptions, Trouble> {
    let parts: Vec<&str> = topic.split(':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "sns"
        && parts[3..].iter().all(|p| !p.is_empty())
        // No spaces or control characters: a copy-paste's trailing space is not part of it.
        && topic.chars().all(|c| c.is_ascii_graphic());
    if !well_formed {
        return Err(Trouble {
            message: format!(
                "--topic {} is not an SNS topic ARN; give the stack's AlertTopicArn output, e.g. arn:aws:sns:us-east-1:123456789012:credwatch-alerts",
                printable::echo(topic)
            ),
            code: EXIT_INVALID,
        });
    }
    let config = aws_trouble::configured().await?;
    Ok(SnsSubscriptions::new(aws_sdk_sns::Client::new(&config)))
}

/// The subscription part of `inventory plan|apply` for people: one line per change, then what
/// is pending and what credwatch cannot subscribe.
pub fn describe_subscriptions(plan: &SubscriptionPlan, topic: &str, applied: bool) -> String {
    let verb = |future: &'static str, past: &'static str| if applied { past } else { future };
    let mut lines = Vec::new();
    for change in &plan.changes {
        lines.push(match change {
            SubscriptionChange::Create {
                team,
                endpoint,
                min_severity,
                ..
            } => format!(
                "  + subscription {endpoint} (team {team}, {} and above): {}",
                min_severity.as_str(),
                verb(
                    "will be created; SNS mails a confirmation link to the address",
                    "created; SNS mailed a confirmation link to the address"
                )
            ),
            SubscriptionChange::UpdateFilter {
                team,
                endpoint,
                from,
                min_severity,
                ..
            } => format!(
                "  ~ subscription {endpoint}: team {} {} and above -> team {team} {} and above{}",
                from.team,
                from.min_severity.as_str(),
                min_severity.as_str(),
                verb("", " (updated)")
            ),
            SubscriptionChange::Remove { team, endpoint, .. } => format!(
                "  - subscription {endpoint} (team {team}): {}",
                verb("no team lists it; will be removed", "removed")
            ),
        });
    }
    for pending in &plan.pending {
        lines.push(match &pending.team {
            Some(team) => format!(
                "  ? subscription {} (team {team}): waiting for the recipient to confirm (the link in SNS's mail); it receives nothing until then",
                pending.endpoint
            ),
            None => format!(
                "  ? subscription {}: pending, not in the inventory; SNS deletes it if nobody confirms within 3 days",
                pending.endpoint
            ),
        });
    }
    for conflict in &plan.conflicts {
        lines.push(format!(
            "  ! subscription {} (team {}): the address is already subscribed to the topic by someone else, with another filter policy; credwatch leaves that subscription alone (delete it in SNS and run apply again to hand it to credwatch)",
            conflict.endpoint, conflict.team
        ));
    }
    let topic = printable::echo(topic);
    let header = if plan.is_empty() {
        format!(
            "Subscriptions of {topic} already match the inventory ({} confirmed, {} pending; {} not credwatch's, left alone).\n",
            plan.unchanged,
            plan.pending.len(),
            plan.foreign
        )
    } else {
        format!(
            "Subscriptions of {topic} ({} unchanged; {} not credwatch's, left alone){}:\n",
            plan.unchanged,
            plan.foreign,
            verb(
                ", run `credwatch inventory apply --topic` to make these changes",
                ""
            )
        )
    };
    let mut text = header;
    for line in lines {
        text.push_str(&escape(&line));
        text.push('\n');
    }
    text
}

/// What `inventory plan|apply` says about subscriptions without `--topic`.
pub const NO_TOPIC: &str = "Alert subscriptions: not checked or changed (give --topic ARN, the stack's AlertTopicArn, to keep the teams' email subscriptions in line with their notify blocks).";

/// The routing part of `status` for people.
pub fn describe_reachability(seen: &Reachability, topic: &str) -> String {
    let mut text = format!("Alert routing on {}:\n", printable::echo(topic));
    let mut lines = Vec::new();
    for confirmed in &seen.confirmed {
        lines.push(format!(
            "  ok team {}: {} ({} and above)",
            confirmed.team,
            confirmed.endpoint,
            confirmed.min_severity.as_str()
        ));
    }
    for pending in &seen.pending {
        lines.push(format!(
            "  ? {}{}: pending confirmation; the recipient must open the link in SNS's mail (nothing is delivered until then)",
            pending.endpoint,
            pending
                .team
                .as_deref()
                .map(|t| format!(" (team {t})"))
                .unwrap_or_default()
        ));
    }
    for team in &seen.unreachable {
        lines.push(format!(
            "  ! team {team}: no confirmed email subscription; its alerts reach nobody by email"
        ));
    }
    if lines.is_empty() {
        lines.push("  no teams and no subscriptions".to_string());
    }
    for line in lines {
        text.push_str(&escape(&line));
        text.push('\n');
    }
    if seen.foreign > 0 {
        text.push_str(&if seen.foreign == 1 {
            "  (1 other subscription of the topic is not credwatch's and is not counted)\n"
                .to_string()
        } else {
            format!(
                "  ({} other subscriptions of the topic are not credwatch's and are not counted)\n",
                seen.foreign
            )
        });
    }
    text
}
