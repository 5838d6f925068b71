//! The deployment, proven: `infra/template.yaml` translated by aws-sam-translator and created
//! as a CloudFormation stack on moto_server with the release binaries as the functions' code
//! (`credwatch_tests::stack`), then what the stack really created read back from moto's APIs.
//! Everything is enumerated (every function, rule, role, statement, queue), so resources added
//! to the template are covered without changing this file. Pure template checks live in
//! template.rs; parts moto does not create or ignores (`stack::MOTO_SKIPS`, TTL, architectures,
//! managed policies, the key policy) are read from the translated template here, and said so.
//!
//! The end-to-end run on the same stack's resources is in end_to_end.rs.

use std::collections::{BTreeMap, BTreeSet};

use credwatch::config;
use credwatch::store::dynamo::keys::INCIDENT_PREFIX;
use credwatch::store::dynamo::table_spec;
use credwatch_tests::stack::{MOTO_SKIPS, Stack};
use serde_json::Value;
use tokio::sync::OnceCell;

/// One stack for this file's tests (creating one takes moto a few seconds per function).
async fn stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| async { Stack::deploy(&credwatch_tests::cli::release_dir()).await })
        .await
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a string, not {value}"))
}

/// A policy field that is one item or a list of them, as a list.
fn one_or_many(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

/// Actions IAM grants only on `"*"`: they have no resource-level permissions (Service
/// Authorization Reference). Only these may have `"*"` as resource.
const NO_RESOURCE_LEVEL: [&str; 4] = [
    "dynamodb:ListStreams",
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
];

/// Action families written with a trailing wildcard in AWS's own documentation for the case
/// (SNS with a KMS-encrypted topic: `kms:GenerateDataKey*`); no other wildcard action passes.
const WILDCARD_FAMILIES: [&str; 1] = ["kms:GenerateDataKey*"];

#[tokio::test(flavor = "multi_thread")]
async fn the_stack_creates_every_resource_moto_implements() {
    let stack = stack().await;
    assert_eq!(
        stack.status(),
        "CREATE_COMPLETE",
        "{}",
        stack.created["stack"]
    );
    let skipped = stack.created["skipped"]
        .as_object()
        .expect("the skipped resources");
    for (name, resource) in skipped {
        let kind = text(&resource["type"]);
        assert_eq!(resource["omitted"], false, "{name}");
        assert!(
            MOTO_SKIPS.contains(&kind) || resource["condition"].is_string(),
            "{name} ({kind}) is declared but was not created"
        );
    }
    for (name, kind, physical) in stack.resources() {
        // moto gives a Lambda permission no id; each one is checked in its function's
        // resource policy (every_function_has_its_trigger...).
        if kind != "AWS::Lambda::Permission" {
            assert!(!physical.is_empty(), "{name} ({kind}) has no physical id");
        }
    }
    // Every output names a created resource.
    for (key, value) in stack.created["stack"]["outputs"]
        .as_object()
        .expect("outputs")
    {
        let value = text(value);
        assert!(
            stack
                .resources()
                .any(|(_, _, physical)| physical == value || value.ends_with(physical)),
            "output {key} = {value} names no created resource"
        );
    }
    // The code is the release binary of each function, zipped as `bootstrap`: what Lambda
    // stored is what was uploaded, and no placeholder.
    let functions = stack.declared("AWS::Lambda::Function");
    assert!(functions.len() >= 3, "{functions:?}");
    for (name, _) in &functions {
        let code = &stack.code[*name];
        let binary = credwatch_tests::cli::release_binary(stack.binary_of(name));
        assert_eq!(text(&code["binary"]), binary.display().to_string());
        let configuration = &stack.function(name)["configuration"];
        assert_eq!(configuration["CodeSha256"], code["zip_sha256"], "{name}");
        assert_eq!(configuration["CodeSize"], code["zip_bytes"], "{name}");
        assert!(
            code["binary_bytes"].as_u64().unwrap_or(0) > 1_000_000,
            "{name}: {code}"
        );
        assert_eq!(configuration["Runtime"], "provided.al2023", "{name}");
        assert_eq!(configuration["Handler"], "bootstrap", "{name}");
        // moto reports x86_64 whatever the template says: the translated declaration is arm64.
        assert_eq!(
            stack.translated["Resources"][name]["Properties"]["Architectures"],
            serde_json::json!(["arm64"]),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_has_credwatchs_keys_index_stream_and_ttl() {
    let stack = stack().await;
    let spec = table_spec();
    let tables = stack.created["tables"].as_object().expect("tables");
    assert_eq!(tables.len(), 1, "one table");
    let (logical, table) = tables.iter().next().expect("the table");
    assert_eq!(stack.output("TableName"), stack.physical_id(logical));
    let key = |schema: &Value| -> Vec<(String, String)> {
        one_or_many(schema)
            .into_iter()
            .map(|k| {
                (
                    text(&k["AttributeName"]).to_string(),
                    text(&k["KeyType"]).to_string(),
                )
            })
            .collect()
    };
    let pair = |a: &str, b: &str| {
        [
            (a.to_string(), "HASH".to_string()),
            (b.to_string(), "RANGE".to_string()),
        ]
    };
    assert_eq!(
        key(&table["KeySchema"]),
        pair(spec.partition_key, spec.sort_key)
    );
    let definitions: BTreeSet<(String, String)> = one_or_many(&table["AttributeDefinitions"])
        .into_iter()
        .map(|d| {
            (
                text(&d["AttributeName"]).into(),
                text(&d["AttributeType"]).into(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = spec
        .attribute_definitions()
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(definitions, expected);
    let indexes = one_or_many(&table["GlobalSecondaryIndexes"]);
    assert_eq!(indexes.len(), 1, "{indexes:?}");
    assert_eq!(indexes[0]["IndexName"], spec.gsi_name);
    assert_eq!(
        key(&indexes[0]["KeySchema"]),
        pair(spec.gsi_partition_key, spec.gsi_sort_key)
    );
    assert_eq!(
        indexes[0]["Projection"]["ProjectionType"],
        spec.gsi_projection
    );
    assert_eq!(
        table["BillingModeSummary"]["BillingMode"],
        spec.billing_mode
    );
    assert_eq!(table["StreamSpecification"]["StreamEnabled"], true);
    assert_eq!(
        table["StreamSpecification"]["StreamViewType"],
        spec.stream_view_type
    );
    assert!(table["LatestStreamArn"].is_string(), "{table}");
    // moto ignores TimeToLiveSpecification (it reports TTL DISABLED): the translated template
    // carries it to CloudFormation.
    let ttl = &stack.translated["Resources"][logical]["Properties"]["TimeToLiveSpecification"];
    assert_eq!(ttl["AttributeName"], spec.ttl_attribute);
    assert_eq!(ttl["Enabled"], true);
}

/// The ARN of the created key `physical` (its key id).
fn key_arn(key_id: &str) -> String {
    format!("arn:aws:kms:us-east-1:123456789012:key/{key_id}")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_topic_is_encrypted_with_the_stacks_key_and_output() {
    let stack = stack().await;
    let topics = stack.created["topics"].as_object().expect("topics");
    assert!(!topics.is_empty());
    let keys: Vec<String> = stack
        .resources()
        .filter(|(_, kind, _)| *kind == "AWS::KMS::Key")
        .map(|(_, _, id)| key_arn(id))
        .collect();
    for (name, topic) in topics {
        let key = text(&topic["KmsMasterKeyId"]);
        assert!(
            keys.iter().any(|k| k == key),
            "{name} is encrypted with {key}, not the stack's key {keys:?}"
        );
    }
    assert!(
        topics
            .values()
            .any(|t| t["TopicArn"] == stack.output("AlertTopicArn"))
    );
    // moto cannot read the key back (see stack.rs): its rotation is the translated template's.
    for (name, key) in stack.declared("AWS::KMS::Key") {
        assert_eq!(key["Properties"]["EnableKeyRotation"], true, "{name}");
    }
}

/// What triggers each created function: its rules (with a permission for EventBridge), stream
/// mappings and topic subscriptions.
#[tokio::test(flavor = "multi_thread")]
async fn every_function_has_its_trigger_and_the_stream_filter_is_the_rust_constant() {
    let stack = stack().await;
    let table = stack.created["tables"]
        .as_object()
        .and_then(|t| t.values().next())
        .expect("the table");
    let stream_arn = text(&table["LatestStreamArn"]);
    let queues: BTreeSet<&str> = stack.created["queues"]
        .as_object()
        .expect("queues")
        .values()
        .map(|q| text(&q["QueueArn"]))
        .collect();
    let rules = stack.created["rules"].as_object().expect("rules");
    let subscriptions: Vec<&Value> = stack.created["topics"]
        .as_object()
        .expect("topics")
        .values()
        .flat_map(|t| one_or_many(&t["Subscriptions"]))
        .collect();
    let functions = stack.created["functions"].as_object().expect("functions");
    let mut mappings_seen = 0;
    for (name, function) in functions {
        let arn = text(&function["configuration"]["FunctionArn"]);
        let mut triggers = 0;
        for (rule_name, rule) in rules {
            let targets = one_or_many(&rule["Targets"]);
            if !targets.iter().any(|t| t["Arn"] == arn) {
                continue;
            }
            triggers += 1;
            // The rule's state is the one declared (a drill rule is off by default); a state
            // chosen by a condition is one of the two.
            match &stack.translated["Resources"][rule_name]["Properties"]["State"] {
                Value::Null => assert_eq!(rule["State"], "ENABLED", "{rule_name}"),
                Value::String(declared) => assert_eq!(rule["State"], *declared, "{rule_name}"),
                _ => assert!(
                    rule["State"] == "ENABLED" || rule["State"] == "DISABLED",
                    "{rule_name}: {rule}"
                ),
            }
            assert!(
                rule["ScheduleExpression"].is_string() || rule["EventPattern"].is_string(),
                "{rule_name}: {rule}"
            );
            // EventBridge may invoke the function for this rule, and only for it.
            let allowed = one_or_many(&function["resource_policy"]["Statement"])
                .into_iter()
                .any(|s| {
                    s["Principal"]["Service"] == "events.amazonaws.com"
                        && s["Action"] == "lambda:InvokeFunction"
                        && s["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]
                });
            assert!(
                allowed,
                "{rule_name} may not invoke {name}: {}",
                function["resource_policy"]
            );
        }
        for mapping in one_or_many(&function["event_source_mappings"]) {
            triggers += 1;
            mappings_seen += 1;
            assert_eq!(mapping["EventSourceArn"], stream_arn, "{name}");
            assert_eq!(mapping["StartingPosition"], "TRIM_HORIZON", "{name}");
            assert!(
                one_or_many(&mapping["FunctionResponseTypes"])
                    .contains(&&Value::from("ReportBatchItemFailures")),
                "{name}"
            );
            let failed = text(&mapping["DestinationConfig"]["OnFailure"]["Destination"]);
            assert!(queues.contains(failed), "{name}: failures go to {failed}");
            let filters = one_or_many(&mapping["FilterCriteria"]["Filters"]);
            assert_eq!(filters.len(), 1, "{name}");
            let pattern: Value =
                serde_json::from_str(text(&filters[0]["Pattern"])).expect("a JSON pattern");
            assert_eq!(
                pattern["eventName"],
                serde_json::json!(["INSERT", "MODIFY"])
            );
            assert_eq!(
                pattern["dynamodb"]["Keys"]["pk"]["S"],
                serde_json::json!([{ "prefix": INCIDENT_PREFIX }]),
                "{name}: the filter must be the Rust constant"
            );
        }
        triggers += subscriptions
            .iter()
            .filter(|s| s["Protocol"] == "lambda" && s["Endpoint"] == arn)
            .count();
        assert!(
            triggers > 0,
            "{name} has no schedule, rule, stream or subscription"
        );
    }
    assert_eq!(mappings_seen, 1, "one stream mapping (the fan-out)");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_function_gets_exactly_the_variables_credwatch_reads_with_the_stacks_values() {
    let stack = stack().await;
    let table = stack.output("TableName");
    let topic = stack.output("AlertTopicArn");
    for (name, _) in stack.declared("AWS::Lambda::Function") {
        let env = stack.environment(name);
        for variable in env.keys() {
            assert!(
                config::ALL_VARS.contains(&variable.as_str()),
                "{name} sets {variable}, which credwatch does not read"
            );
        }
        assert_eq!(
            env.get(config::TABLE_VAR).map(String::as_str),
            Some(table),
            "{name}"
        );
        assert_eq!(
            env.get(config::LOG_VAR).map(String::as_str),
            Some("info"),
            "{name}"
        );
        if let Some(arn) = env.get(config::TOPIC_ARN_VAR) {
            assert_eq!(arn, topic, "{name}");
        }
        // Test-only switches never reach a deployment.
        for test_only in [
            config::ALLOW_LOCAL_SECRETS_VAR,
            config::ALLOW_ANY_ENDPOINT_VAR,
        ] {
            assert!(!env.contains_key(test_only), "{name} sets {test_only}");
        }
    }
}

/// Every statement of every created role's policies: (role, statement).
fn statements(stack: &Stack) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (role, read) in stack.created["roles"].as_object().expect("roles") {
        for (_, document) in read["inline_policies"]
            .as_object()
            .expect("inline policies")
        {
            for statement in one_or_many(&document["Statement"]) {
                out.push((role.clone(), statement.clone()));
            }
        }
    }
    out
}

/// The role (logical id) each created function runs as.
fn role_of(stack: &Stack, function: &str) -> String {
    let arn = text(&stack.function(function)["configuration"]["Role"]).to_string();
    stack.created["roles"]
        .as_object()
        .expect("roles")
        .iter()
        .find(|(_, r)| r["role"]["Arn"] == arn.as_str())
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| panic!("{function} runs as {arn}, not a role of the stack"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_iam_statement_names_specific_actions_on_the_stacks_own_resources() {
    let stack = stack().await;
    // The ARNs of everything the stack created that a policy may name; a resource may also be
    // below one of them (a table's index or stream).
    let mut owned: BTreeSet<String> = BTreeSet::new();
    let created = &stack.created;
    for table in created["tables"].as_object().expect("tables").values() {
        owned.insert(text(&table["TableArn"]).into());
        owned.insert(text(&table["LatestStreamArn"]).into());
    }
    for topic in created["topics"].as_object().expect("topics").values() {
        owned.insert(text(&topic["TopicArn"]).into());
    }
    for queue in created["queues"].as_object().expect("queues").values() {
        owned.insert(text(&queue["QueueArn"]).into());
    }
    for (_, kind, id) in stack.resources() {
        if kind == "AWS::KMS::Key" {
            owned.insert(key_arn(id));
        }
    }
    for group in created["log_groups"]
        .as_object()
        .expect("log groups")
        .values()
    {
        owned.insert(text(&group["arn"]).trim_end_matches(":*").to_string());
    }
    for function in created["functions"]
        .as_object()
        .expect("functions")
        .values()
    {
        owned.insert(text(&function["configuration"]["FunctionArn"]).into());
    }
    let topic = stack.output("AlertTopicArn");
    // Each role's secret prefixes: the *_SECRET_PREFIX variables of the functions running as it.
    let mut prefixes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (function, _) in stack.declared("AWS::Lambda::Function") {
        let role = role_of(stack, function);
        let entry = prefixes.entry(role).or_default();
        for (variable, value) in stack.environment(function) {
            if variable.ends_with("SECRET_PREFIX") {
                entry.push(format!(
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:{value}*"
                ));
            }
        }
    }

    let all = statements(stack);
    assert!(all.len() >= 8, "{all:?}");
    let mut publishes = 0;
    for (role, statement) in &all {
        assert_eq!(statement["Effect"], "Allow", "{role}: {statement}");
        let actions: Vec<&str> = one_or_many(&statement["Action"])
            .into_iter()
            .map(text)
            .collect();
        let resources: Vec<&str> = one_or_many(&statement["Resource"])
            .into_iter()
            .map(text)
            .collect();
        assert!(
            statement["NotAction"].is_null() && statement["NotResource"].is_null(),
            "{role}: {statement}"
        );
        assert!(
            !actions.is_empty() && !resources.is_empty(),
            "{role}: {statement}"
        );
        for action in &actions {
            assert!(
                !action.contains('*') || WILDCARD_FAMILIES.contains(action),
                "{role}: wildcard action {action}"
            );
        }
        for resource in &resources {
            if *resource == "*" {
                assert!(
                    actions.iter().all(|a| NO_RESOURCE_LEVEL.contains(a)),
                    "{role}: {actions:?} on every resource"
                );
            } else if actions.iter().any(|a| a.starts_with("secretsmanager:")) {
                assert!(
                    prefixes
                        .get(role)
                        .is_some_and(|p| p.iter().any(|p| p == resource)),
                    "{role}: secrets {resource}, not the prefix its function reads {:?}",
                    prefixes.get(role)
                );
            } else {
                assert!(
                    owned
                        .iter()
                        .any(|arn| resource == arn || resource.starts_with(&format!("{arn}/"))),
                    "{role}: {resource} is not a resource of the stack"
                );
            }
        }
        if actions.contains(&"sns:Publish") {
            publishes += 1;
            assert_eq!(
                resources,
                [topic],
                "{role}: publishes only to the alert topic"
            );
        }
    }
    assert!(publishes > 0, "the fan-out publishes");
    // The secret reader reads secrets, and only under its prefix.
    let probe_role = role_of(stack, "ProbeFunction");
    assert!(
        all.iter()
            .any(|(role, s)| *role == probe_role && s["Action"] == "secretsmanager:GetSecretValue")
    );
    // No managed policy: SAM's generated roles would carry AWSLambdaBasicExecutionRole (log
    // delivery on every log group, `*`); each function has its own role writing only to its own
    // log group. moto's CloudFormation does not attach managed policies, so they are read from
    // the translated template.
    for (name, role) in stack.declared("AWS::IAM::Role") {
        let managed = one_or_many(&role["Properties"]["ManagedPolicyArns"]);
        assert!(
            managed.is_empty(),
            "{name} has managed policies {managed:?}"
        );
    }
}

/// moto does not create alarms; the translated template must alarm every queue the stack
/// created and every function (directly, or through the alarmed queue its failures go to).
#[tokio::test(flavor = "multi_thread")]
async fn every_created_queue_and_function_is_alarmed() {
    let stack = stack().await;
    let alarms = stack.declared("AWS::CloudWatch::Alarm");
    assert!(!alarms.is_empty());
    let watched = |logical: &str, binary: Option<&str>| {
        alarms.iter().any(|(_, alarm)| {
            let text = alarm["Properties"].to_string();
            text.contains(&format!("\"{logical}\""))
                || binary.is_some_and(|b| text.contains(&format!("\"{b}\"")))
        })
    };
    for (queue, _) in stack.declared("AWS::SQS::Queue") {
        stack.physical_id(queue);
        assert!(watched(queue, None), "no alarm watches {queue}");
    }
    for (function, _) in stack.declared("AWS::Lambda::Function") {
        let failures_alarmed =
            stack
                .declared("AWS::Lambda::EventInvokeConfig")
                .iter()
                .any(|(_, c)| {
                    c["Properties"]["FunctionName"]["Ref"] == function
                && c["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
                    .as_str()
                    .is_some_and(|q| watched(q, None))
                });
        assert!(
            watched(function, Some(stack.binary_of(function))) || failures_alarmed,
            "no alarm watches {function}"
        );
    }
}
