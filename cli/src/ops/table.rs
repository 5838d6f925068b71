//! `credwatch table create`, and what every table command shares: opening the table's store
//! (told as missing table, missing access or unreachable endpoint when it cannot be) and
//! saying what went wrong in one line on stderr with its exit code.

use credwatch::store::dynamo::DynamoStore;
use credwatch::store::dynamo::{create_table, table_spec};

use crate::aws_trouble::{self, Target, Trouble, store_error_line};
use crate::exit::{EXIT_FAILING, EXIT_OK};
use crate::output::{Stdout, warn};

/// The table's store, once AWS is configured and the table is there (a `DescribeTable` first,
/// so that a missing table, missing access or an unreachable endpoint is told as such).
pub async fn store(table: &str) -> Result<DynamoStore, Trouble> {
    let config = aws_trouble::configured().await?;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let target = Target::new(&config, table);
    client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|err| aws_trouble::describe(&err, "DescribeTable", &target))?;
    Ok(DynamoStore::new(client, table.to_string()))
}

/// `credwatch table create --table NAME`.
pub async fn table_create(table: &str) -> u8 {
    let config = match aws_trouble::configured().await {
        Ok(config) => config,
        Err(trouble) => return fail(&trouble),
    };
    let client = aws_sdk_dynamodb::Client::new(&config);
    let target = Target::new(&config, table);
    match client.describe_table().table_name(table).send().await {
        Ok(_) => {
            return fail(&Trouble {
                message: format!(
                    "DynamoDB table {} already exists in {}; use it as is, or choose another name",
                    target.table, target.region
                ),
                code: EXIT_FAILING,
            });
        }
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) => {}
        Err(err) => return fail(&aws_trouble::describe(&err, "DescribeTable", &target)),
    }
    let mut out = Stdout::new();
    match create_table(&client, table).await {
        Ok(()) => {
            let spec = table_spec();
            out.line(&format!(
                "Created table {}: keys {}/{}, index {} (open incidents), TTL on {} (probe history), stream of changes.",
                target.table, spec.partition_key, spec.sort_key, spec.gsi_name, spec.ttl_attribute
            ));
            out.finish(EXIT_OK)
        }
        Err(err) => fail(&Trouble {
            message: format!(
                "could not create table {}: {}",
                target.table,
                store_error_line(err.message())
            ),
            code: EXIT_FAILING,
        }),
    }
}

/// Says what went wrong in one line on stderr; returns its exit code.
pub fn fail(trouble: &Trouble) -> u8 {
    warn(&format!("credwatch: {}", trouble.message));
    trouble.code
}

/// Says that table `table` (as shown to the user) could not be read, and why, in one line on
/// stderr; returns [`EXIT_FAILING`].
pub fn fail_reading(table: &str, error: &str) -> u8 {
    fail(&Trouble {
        message: format!("could not read table {table}: {}", store_error_line(error)),
        code: EXIT_FAILING,
    })
}
