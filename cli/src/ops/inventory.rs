//! `credwatch inventory plan|apply`: the changes that make the table match the inventory
//! file, shown as a plan, or applied (each change on its own; one failure never stops the others).

use std::path::Path;

use chrono::Utc;
use credwatch::inventory::{LoadOptions, load_inventory};
use credwatch::jobs::inventory_sync::{ItemResult, SyncPlan, apply, plan};
use credwatch::store::{Integrations, Teams};
use credwatch::text::printable::{self, escape};

use super::table::{fail, fail_reading, store};
use crate::aws_trouble::store_error_line;
use crate::check::{report_loaded, with_secret_layout};
use crate::exit::{EXIT_FAILING, EXIT_INVALID, EXIT_OK};
use crate::output::Format;
use crate::output::{Stdout, warn};
use crate::routing;

/// `credwatch inventory plan|apply FILE --table NAME [--prune] [--topic ARN]`.
pub async fn inventory_sync(
    file: &Path,
    table: &str,
    secret_prefix: Option<&str>,
    prune: bool,
    topic: Option<&str>,
    execute: bool,
    format: Format,
) -> u8 {
    let loaded = with_secret_layout(
        load_inventory(file, &LoadOptions::from_env()),
        secret_prefix,
        true,
    );
    let Some(inventory) = report_loaded(file, loaded, "nothing was written") else {
        return EXIT_INVALID;
    };
    let store = match store(table).await {
        Ok(store) => store,
        Err(trouble) => return fail(&trouble),
    };
    let shown = printable::echo(table);
    let current = match tokio::try_join!(store.list_integrations(), store.list_teams()) {
        Ok(current) => current,
        Err(err) => return fail_reading(&shown, err.message()),
    };
    let (listing, teams) = current;
    for bad in &listing.unreadable {
        warn(&format!(
            "credwatch: warning: the table item of integration {} cannot be read ({})",
            printable::echo(&bad.id),
            escape(&bad.to_string())
        ));
    }
    let mut sync_plan = plan(
        &inventory,
        &listing.records,
        &listing.unreadable,
        &teams,
        prune,
    );
    // Subscriptions first: a removed team's subscriptions are known as credwatch's by the
    // team the table still holds, so the team is removed only once they are gone.
    let (subscriptions, mut results) = match routing::sync(topic, &inventory, &teams, execute).await
    {
        Ok(done) => done,
        Err(trouble) => return fail(&trouble),
    };
    if results.iter().any(|r| r.error.is_some()) {
        sync_plan.teams_removed.clear();
    }
    if execute {
        results.extend(apply(&store, &inventory, &sync_plan, Utc::now()).await);
    }
    let failed: Vec<&ItemResult> = results.iter().filter(|r| r.error.is_some()).collect();
    let mut out = Stdout::new();
    match format {
        Format::Json => {
            let report = serde_json::json!({
                "applied": execute,
                "table": table,
                "plan": sync_plan,
                "topic": topic,
                "subscriptions": subscriptions,
                "results": results,
            });
            out.line(&serde_json::to_string_pretty(&report).expect("plan serializes"));
        }
        Format::Table => {
            out.print(&describe_plan(&sync_plan, &shown, execute));
            match (&subscriptions, topic) {
                (Some(planned), Some(topic)) => {
                    out.print(&routing::describe_subscriptions(planned, topic, execute))
                }
                _ => out.line(routing::NO_TOPIC),
            }
            for result in &failed {
                out.line(&format!(
                    "  ! {}: not {}: {}",
                    printable::echo(&result.item),
                    result.action,
                    escape(&store_error_line(
                        result.error.as_deref().unwrap_or_default()
                    ))
                ));
            }
        }
    }
    if failed.is_empty() {
        out.finish(EXIT_OK)
    } else {
        let code = out.finish(EXIT_FAILING);
        warn(&format!(
            "credwatch: {} of {} changes to {shown} failed (listed above); the others were applied. \
             Fix the cause and run apply again: it finishes what is left",
            failed.len(),
            results.len()
        ));
        code
    }
}

fn describe_plan(plan: &SyncPlan, table: &str, applied: bool) -> String {
    let mut lines = Vec::new();
    let verb = |future: &'static str, past: &'static str| if applied { past } else { future };
    for id in &plan.added {
        lines.push(format!(
            "  + {id}: {}",
            verb(
                "will be added and probed on the next run",
                "added; probed on the next run"
            )
        ));
    }
    for id in &plan.reactivated {
        lines.push(format!(
            "  + {id}: {}",
            verb(
                "is back in the inventory and will be probed again",
                "reactivated"
            )
        ));
    }
    for change in &plan.changed {
        lines.push(format!(
            "  ~ {}: {} {}",
            change.id,
            change.fields.join(", "),
            verb("will change", "changed")
        ));
    }
    for id in &plan.retired {
        lines.push(format!(
            "  - {id}: {} (its state, history and incidents are kept; --prune deletes them)",
            verb(
                "is not in the inventory and will no longer be probed",
                "retired"
            )
        ));
    }
    for id in &plan.pruned {
        lines.push(format!(
            "  x {id}: {}",
            verb(
                "will be deleted with its state, history and incidents",
                "deleted"
            )
        ));
    }
    for id in &plan.repaired {
        lines.push(format!(
            "  ! {id}: {}",
            verb(
                "cannot be read from the table and will be rewritten from the inventory (its checks start afresh)",
                "rewritten from the inventory; its checks start afresh"
            )
        ));
    }
    for id in &plan.unreadable {
        lines.push(format!(
            "  ? {id}: cannot be read from the table and is not in the inventory; --prune deletes it"
        ));
    }
    for id in &plan.teams_added {
        lines.push(format!("  + team {id}"));
    }
    for id in &plan.teams_changed {
        lines.push(format!("  ~ team {id}"));
    }
    for id in &plan.teams_removed {
        lines.push(format!("  - team {id}"));
    }
    let header = if plan.is_empty() {
        format!(
            "Table {table} already matches the inventory ({} integrations).\n",
            plan.unchanged
        )
    } else if applied {
        format!("Applied to table {table} ({} unchanged):\n", plan.unchanged)
    } else {
        format!(
            "Plan for table {table} ({} unchanged; run `credwatch inventory apply` to make these changes):\n",
            plan.unchanged
        )
    };
    let mut text = header;
    // Ids read back from the table are printed escaped, like everything else from outside.
    for line in lines {
        text.push_str(&escape(&line));
        text.push('\n');
    }
    text
}
