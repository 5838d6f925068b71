//! Routing as config as code: which SNS subscriptions of the alerts topic credwatch owns, and
//! what it takes to bring them in line with the teams' `notify` blocks. Pure: the subscriptions
//! are read and changed by `crate::jobs::subscription_sync` through `crate::subscriptions`.
//!
//! **Ownership.** credwatch owns exactly the confirmed `email` subscriptions whose filter policy
//! has credwatch's shape, `{"team":["<team>"],"severity":[<every severity from critical down to
//! the threshold>]}` (no other key), for a team that the inventory or the table knows. Anything
//! else on the topic (an AWS Chatbot, Lambda or SQS subscription, an email subscription made by
//! hand without that exact policy) is left alone. A pending subscription has no ARN and its
//! policy cannot be read: it is never changed, only reported (SNS deletes it after 3 days
//! unconfirmed); an address of the inventory that is pending is not subscribed again.
//!
//! SNS keeps one subscription per topic, protocol and endpoint, so the plan works per address
//! (compared ignoring case, as mail systems do for the domain and almost all do for the rest).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::domain::incident::PLATFORM_TEAM;
use crate::domain::severity::Severity;
use crate::domain::subscription::{EMAIL_PROTOCOL, Subscription};
use crate::inventory::Team;

/// Every severity, most serious first.
pub const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// The severities a team with threshold `min` receives: `min` and everything more serious,
/// most serious first (`high` -> `critical`, `high`).
pub fn severities_at_least(min: Severity) -> Vec<Severity> {
    SEVERITIES.into_iter().filter(|s| *s <= min).collect()
}

/// The filter policy of a team's subscriptions: messages whose `team` attribute is `team` and
/// whose `severity` attribute is `min_severity` or more serious, e.g.
/// `{"team":["crm-ops"],"severity":["critical","high"]}` (SNS filter policy syntax, applied
/// to message attributes).
pub fn filter_policy(team: &str, min_severity: Severity) -> String {
    let severities: Vec<&str> = severities_at_least(min_severity)
        .into_iter()
        .map(Severity::as_str)
        .collect();
    // Written by hand so `team` comes first, as people read it (serde_json sorts keys).
    format!(
        r#"{{"team":[{}],"severity":{}}}"#,
        serde_json::Value::from(team),
        serde_json::Value::from(severities)
    )
}

/// Where a subscription routes, read back from a filter policy of credwatch's exact shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// The team whose messages it receives.
    pub team: String,
    /// The least severe message it receives.
    pub min_severity: Severity,
}

/// The route of a filter policy written by [`filter_policy`]: exactly the keys `team` (one
/// team id) and `severity` (the severities from `critical` down to a threshold, in any order,
/// each once); `None` for any other policy (whitespace and key order do not matter).
pub fn route_of(policy: &str) -> Option<Route> {
    let value: serde_json::Value = serde_json::from_str(policy).ok()?;
    let object = value.as_object()?;
    if object.len() != 2 {
        return None;
    }
    let team = match object.get("team")?.as_array()?.as_slice() {
        [team] => team.as_str()?.to_string(),
        _ => return None,
    };
    let mut given = Vec::new();
    for severity in object.get("severity")?.as_array()? {
        let severity = Severity::parse(severity.as_str()?)?;
        if given.contains(&severity) {
            return None;
        }
        given.push(severity);
    }
    given.sort();
    let min_severity = *given.last()?;
    (given == severities_at_least(min_severity)).then_some(Route { team, min_severity })
}

/// One change to the topic's subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SubscriptionChange {
    /// Subscribe the address with the team's filter policy (SNS then mails a confirmation link).
    Create {
        /// The team whose alerts it will receive.
        team: String,
        /// The address, as the inventory writes it.
        endpoint: String,
        /// The team's threshold.
        min_severity: Severity,
        /// The filter policy to set.
        filter_policy: String,
    },
    /// Set a new filter policy on a subscription credwatch owns (threshold or team changed).
    UpdateFilter {
        /// The team whose alerts it will receive.
        team: String,
        /// The address.
        endpoint: String,
        /// The subscription ARN.
        arn: String,
        /// Where it routes today.
        from: Route,
        /// The team's threshold.
        min_severity: Severity,
        /// The filter policy to set.
        filter_policy: String,
    },
    /// Unsubscribe a subscription credwatch owns whose address no team lists any more.
    Remove {
        /// The team it routed (possibly removed from the inventory).
        team: String,
        /// The address.
        endpoint: String,
        /// The subscription ARN.
        arn: String,
    },
}

impl SubscriptionChange {
    /// The address the change is about.
    pub fn endpoint(&self) -> &str {
        match self {
            SubscriptionChange::Create { endpoint, .. }
            | SubscriptionChange::UpdateFilter { endpoint, .. }
            | SubscriptionChange::Remove { endpoint, .. } => endpoint,
        }
    }

    /// The team the change is about.
    pub fn team(&self) -> &str {
        match self {
            SubscriptionChange::Create { team, .. }
            | SubscriptionChange::UpdateFilter { team, .. }
            | SubscriptionChange::Remove { team, .. } => team,
        }
    }
}

/// An address subscribed but not confirmed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pending {
    /// The address.
    pub endpoint: String,
    /// The team that lists it, if one does (else it is not credwatch's to act on).
    pub team: Option<String>,
}

/// An address of the inventory that credwatch cannot subscribe because a subscription it does
/// not own already holds it (SNS keeps one per address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The team that lists it.
    pub team: String,
    /// The address.
    pub endpoint: String,
    /// The filter policy of the subscription that holds it (`None`: no policy).
    pub filter_policy: Option<String>,
}

/// What `inventory apply --topic` does to the topic's subscriptions, and what it leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubscriptionPlan {
    /// Creates, filter updates and removals, by team then address.
    pub changes: Vec<SubscriptionChange>,
    /// Subscriptions waiting for their recipient to confirm.
    pub pending: Vec<Pending>,
    /// Addresses held by subscriptions credwatch does not own.
    pub conflicts: Vec<Conflict>,
    /// Owned subscriptions already as the inventory wants them.
    pub unchanged: usize,
    /// Subscriptions credwatch does not own, left alone.
    pub foreign: usize,
}

impl SubscriptionPlan {
    /// Whether applying would change nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Pure: compares the teams' `notify.email` with the topic's subscriptions. `known_teams` are
/// the team ids the inventory or the table knows (a removed team's subscriptions are removed
/// only while the table still lists the team: apply removes subscriptions before teams).
pub fn plan(
    teams: &[Team],
    known_teams: &BTreeSet<&str>,
    current: &[Subscription],
) -> SubscriptionPlan {
    // Lower-cased address -> (team, address as written, threshold).
    let mut desired: BTreeMap<String, (&Team, &str)> = BTreeMap::new();
    for team in teams {
        for email in &team.notify.email {
            desired.entry(email.to_lowercase()).or_insert((team, email));
        }
    }
    let mut plan = SubscriptionPlan::default();
    let mut held: BTreeSet<String> = BTreeSet::new();
    for sub in current {
        if sub.protocol != EMAIL_PROTOCOL {
            plan.foreign += 1;
            continue;
        }
        let key = sub.endpoint.to_lowercase();
        let wanted = desired.get(&key).filter(|_| !held.contains(&key));
        let Some(arn) = &sub.arn else {
            plan.pending.push(Pending {
                endpoint: sub.endpoint.clone(),
                team: wanted.map(|(team, _)| team.id.clone()),
            });
            held.insert(key);
            continue;
        };
        let owned = sub
            .filter_policy
            .as_deref()
            .and_then(route_of)
            .filter(|route| known_teams.contains(route.team.as_str()));
        match (owned, wanted) {
            (None, Some((team, _))) => {
                plan.conflicts.push(Conflict {
                    team: team.id.clone(),
                    endpoint: sub.endpoint.clone(),
                    filter_policy: sub.filter_policy.clone(),
                });
                held.insert(key);
            }
            (None, None) => plan.foreign += 1,
            (Some(route), Some((team, _))) => {
                let min = team.notify.min_severity;
                if route.team == team.id && route.min_severity == min {
                    plan.unchanged += 1;
                } else {
                    plan.changes.push(SubscriptionChange::UpdateFilter {
                        team: team.id.clone(),
                        endpoint: sub.endpoint.clone(),
                        arn: arn.clone(),
                        from: route,
                        min_severity: min,
                        filter_policy: filter_policy(&team.id, min),
                    });
                }
                held.insert(key);
            }
            // Not wanted, or a second subscription of an address already held.
            (Some(route), None) => plan.changes.push(SubscriptionChange::Remove {
                team: route.team,
                endpoint: sub.endpoint.clone(),
                arn: arn.clone(),
            }),
        }
    }
    for (key, (team, email)) in &desired {
        if !held.contains(key) {
            plan.changes.push(SubscriptionChange::Create {
                team: team.id.clone(),
                endpoint: email.to_string(),
                min_severity: team.notify.min_severity,
                filter_policy: filter_policy(&team.id, team.notify.min_severity),
            });
        }
    }
    plan.changes
        .sort_by(|a, b| (a.team(), a.endpoint()).cmp(&(b.team(), b.endpoint())));
    plan
}

/// Who can be reached, as `credwatch status` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reachability {
    /// Confirmed subscriptions credwatch owns, in topic order.
    pub confirmed: Vec<Confirmed>,
    /// Email subscriptions waiting for their recipient to confirm.
    pub pending: Vec<Pending>,
    /// Teams with no confirmed subscription of credwatch's: their alerts reach nobody by
    /// email (a subscription credwatch does not own may still carry them). Includes
    /// `platform` when no such team is defined.
    pub unreachable: Vec<String>,
    /// Subscriptions of the topic that credwatch does not own.
    pub foreign: usize,
}

/// A confirmed subscription credwatch owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmed {
    /// The address.
    pub endpoint: String,
    /// The team whose alerts it receives.
    pub team: String,
    /// The least severe alert it receives.
    pub min_severity: Severity,
}

/// Pure: which teams have a confirmed subscription and which addresses are pending.
pub fn reachability(teams: &[Team], current: &[Subscription]) -> Reachability {
    let known: BTreeSet<&str> = teams.iter().map(|t| t.id.as_str()).collect();
    let mut result = Reachability::default();
    for sub in current {
        if sub.protocol != EMAIL_PROTOCOL {
            result.foreign += 1;
            continue;
        }
        if !sub.is_confirmed() {
            let lower = sub.endpoint.to_lowercase();
            let team = teams
                .iter()
                .find(|t| t.notify.email.iter().any(|e| e.to_lowercase() == lower));
            result.pending.push(Pending {
                endpoint: sub.endpoint.clone(),
                team: team.map(|t| t.id.clone()),
            });
            continue;
        }
        match sub.filter_policy.as_deref().and_then(route_of) {
            Some(route) if known.contains(route.team.as_str()) => {
                result.confirmed.push(Confirmed {
                    endpoint: sub.endpoint.clone(),
                    team: route.team,
                    min_severity: route.min_severity,
                })
            }
            _ => result.foreign += 1,
        }
    }
    let reached: BTreeSet<&str> = result.confirmed.iter().map(|r| r.team.as_str()).collect();
    result.unreachable = teams
        .iter()
        .map(|t| t.id.as_str())
        .chain((!known.contains(PLATFORM_TEAM)).then_some(PLATFORM_TEAM))
        .filter(|id| !reached.contains(id))
        .map(str::to_string)
        .collect();
    result
}

#[cfg(test)]
mod tests;
