//! Where an inventory's secrets live, against a deployment's Secrets Manager prefix: a separate
//! pass over a valid inventory. The deployed probe reads only Secrets Manager secrets under its
//! prefix (`SecretNamePrefix` in the template, `CREDWATCH_SECRET_PREFIX` in the function), so
//! anything else would only ever be `secret_unavailable` once applied.

use super::{Inventory, Problem};
use crate::secrets::SecretSource;
use crate::secrets::{is_under_prefix, secret_name};

/// The template's default `SecretNamePrefix`, used for advice when no prefix is given.
pub const DEFAULT_SECRET_PREFIX: &str = "sfmc/";

/// What the layout pass found: `errors` refuse the inventory (exit 2), `warnings` do not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretLayout {
    /// Secret references the deployment cannot read (outside its prefix), in file order.
    pub errors: Vec<Problem>,
    /// References worth a second look, in file order.
    pub warnings: Vec<Problem>,
}

/// Checks each integration's `client_secret` against a deployment's prefix.
///
/// - `prefix`: `Some(P)` when the deployment's prefix was given (`--secret-prefix`,
///   `CREDWATCH_SECRET_PREFIX`): a source the deployed probe cannot read is an error. `None`:
///   the same checks against [`DEFAULT_SECRET_PREFIX`], as warnings.
/// - `for_deployment`: the inventory is going into a table (`plan`, `apply`), where `env` and
///   `file` sources cannot be read; `validate` also serves local `check` runs, where they can.
///
/// A secret under the prefix but not under `{prefix}{owner}/` (the recommended per-team layout,
/// which lets IAM policies give each team only its own secrets) is always a warning.
pub fn check_secret_layout(
    inventory: &Inventory,
    prefix: Option<&str>,
    for_deployment: bool,
) -> SecretLayout {
    let strict = prefix.is_some();
    let prefix = prefix.unwrap_or(DEFAULT_SECRET_PREFIX);
    let mut layout = SecretLayout::default();
    for (index, integration) in inventory.integrations.iter().enumerate() {
        let problem = |field: &str, message: String| Problem {
            location: format!("integrations[{index}] ({})", integration.id),
            field: format!("client_secret.{field}"),
            // Under client_secret nothing is echoed as a value (the names are in the message).
            value: None,
            message,
        };
        let (field, outside) = match &integration.client_secret {
            SecretSource::Env(_) | SecretSource::File(_) if for_deployment => {
                let field = match integration.client_secret {
                    SecretSource::Env(_) => "env",
                    _ => "file",
                };
                let message = format!(
                    "the deployed probe reads only Secrets Manager, so {} will not be readable \
                     there (secret_unavailable); store the secret under {prefix}{}/ and use \
                     {{ aws_secret: {prefix}{}/{} }}",
                    integration.client_secret, integration.owner, integration.owner, integration.id
                );
                (field, Some(message))
            }
            SecretSource::AwsSecret { id, .. } if !is_under_prefix(id, prefix) => (
                "aws_secret",
                Some(format!(
                    "Secrets Manager secret {} is outside {prefix}, the prefix the deployed probe \
                     may read (SecretNamePrefix); move it to {prefix}{}/{}",
                    secret_name(id),
                    integration.owner,
                    integration.id
                )),
            ),
            SecretSource::AwsSecret { id, .. } => {
                let team_prefix = format!("{prefix}{}/", integration.owner);
                if !is_under_prefix(id, &team_prefix) {
                    layout.warnings.push(problem(
                        "aws_secret",
                        format!(
                            "Secrets Manager secret {} is not under {team_prefix}; the \
                             recommended layout keeps each team's secrets under \
                             {prefix}<owner>/ so access can be granted per team",
                            secret_name(id)
                        ),
                    ));
                }
                continue;
            }
            _ => continue,
        };
        if let Some(message) = outside {
            let found = problem(field, message);
            if strict {
                layout.errors.push(found);
            } else {
                layout.warnings.push(found);
            }
        }
    }
    layout
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{LoadOptions, parse_inventory};

    fn inventory(sources: &[&str]) -> Inventory {
        let mut yaml =
            String::from("version: 1\nteams:\n  - id: crm-ops\n    name: CRM Ops\nintegrations:\n");
        for (i, source) in sources.iter().enumerate() {
            yaml.push_str(&format!(
                "  - id: int-{i}\n    name: Int {i}\n    owner: crm-ops\n    severity: low\n    \
                 auth_url: https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/\n    \
                 client_id: abcdefghijklmnopqrstuvwx\n    client_secret: {source}\n"
            ));
        }
        parse_inventory(&yaml, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .inventory
    }

    fn fields(problems: &[Problem]) -> Vec<(String, String)> {
        problems
            .iter()
            .map(|p| (p.location.clone(), p.field.clone()))
            .collect()
    }

    #[test]
    fn secrets_are_checked_against_the_prefix_and_the_per_team_layout() {
        let inv = inventory(&[
            "{ aws_secret: sfmc/crm-ops/int-0 }",
            "{ aws_secret: \"arn:aws:secretsmanager:us-east-1:123456789012:secret:sfmc/crm-ops/int-1-AbC123\" }",
            "{ aws_secret: sfmc/int-2 }",
            "{ aws_secret: payments/stripe }",
            "{ env: INT_4_SECRET }",
            "{ file: /run/secrets/int-5 }",
        ]);
        let loc = |i: usize, field: &str| {
            (
                format!("integrations[{i}] (int-{i})"),
                format!("client_secret.{field}"),
            )
        };

        // validate, no prefix given: advice only, local sources fine.
        let advice = check_secret_layout(&inv, None, false);
        assert!(advice.errors.is_empty());
        assert_eq!(
            fields(&advice.warnings),
            vec![loc(2, "aws_secret"), loc(3, "aws_secret")]
        );

        // apply with the deployment's prefix: outside and local sources refused.
        let strict = check_secret_layout(&inv, Some("sfmc/"), true);
        assert_eq!(
            fields(&strict.errors),
            vec![loc(3, "aws_secret"), loc(4, "env"), loc(5, "file")]
        );
        assert_eq!(fields(&strict.warnings), vec![loc(2, "aws_secret")]);
        let message = &strict.errors[0].message;
        assert!(
            message.contains("payments/stripe") && message.contains("sfmc/crm-ops/int-3"),
            "{message}"
        );
        assert!(
            strict.warnings[0].message.contains("sfmc/crm-ops/"),
            "{}",
            strict.warnings[0].message
        );
        assert!(strict.errors.iter().all(|p| p.value.is_none()));

        // Another prefix: everything under sfmc/ is outside it.
        let other = check_secret_layout(&inv, Some("team-a/"), false);
        assert_eq!(other.errors.len(), 4);
    }
}
