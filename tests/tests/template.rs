//! The SAM template declares the same table as `credwatch table create` (both from
//! `credwatch::store::dynamo::table`), and wires each function to the binary that exists.

use credwatch::store::dynamo::table_spec;
use serde_yaml_ng::Value;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).expect("infra/template.yaml"))
        .expect("valid YAML")
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value:?}"))
}

#[test]
fn the_template_table_matches_the_schema_module() {
    let template = template();
    let table = &template["Resources"]["Table"]["Properties"];
    let spec = table_spec();

    let definitions: Vec<(String, String)> = table["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|d| {
            (
                text(&d["AttributeName"]).to_string(),
                text(&d["AttributeType"]).to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = spec
        .attribute_definitions()
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(definitions, expected);

    let key = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    text(&k["AttributeName"]).to_string(),
                    text(&k["KeyType"]).to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        key(&table["KeySchema"]),
        [
            (spec.partition_key.to_string(), "HASH".to_string()),
            (spec.sort_key.to_string(), "RANGE".to_string())
        ]
    );
    let indexes = table["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), 1);
    assert_eq!(text(&indexes[0]["IndexName"]), spec.gsi_name);
    assert_eq!(
        key(&indexes[0]["KeySchema"]),
        [
            (spec.gsi_partition_key.to_string(), "HASH".to_string()),
            (spec.gsi_sort_key.to_string(), "RANGE".to_string())
        ]
    );
    assert_eq!(
        text(&indexes[0]["Projection"]["ProjectionType"]),
        spec.gsi_projection
    );
    assert_eq!(
        text(&table["TimeToLiveSpecification"]["AttributeName"]),
        spec.ttl_attribute
    );
    assert_eq!(
        table["TimeToLiveSpecification"]["Enabled"],
        Value::Bool(true)
    );
    assert_eq!(text(&table["BillingMode"]), spec.billing_mode);
    assert_eq!(
        text(&table["StreamSpecification"]["StreamViewType"]),
        spec.stream_view_type
    );
}

#[test]
fn every_function_builds_a_binary_of_this_workspace() {
    let template = template();
    let resources = template["Resources"].as_mapping().unwrap();
    let functions: Vec<&Value> = resources
        .values()
        .filter(|r| r["Type"] == Value::String("AWS::Serverless::Function".into()))
        .collect();
    assert!(!functions.is_empty());
    for function in functions {
        assert_eq!(
            text(&function["Metadata"]["BuildMethod"]),
            "rust-cargolambda"
        );
        let binary = text(&function["Metadata"]["BuildProperties"]["Binary"]);
        let manifest = format!(
            "{}/../functions/{}/Cargo.toml",
            env!("CARGO_MANIFEST_DIR"),
            binary.trim_start_matches("credwatch-")
        );
        let cargo = std::fs::read_to_string(&manifest)
            .unwrap_or_else(|_| panic!("{binary}: no {manifest}"));
        assert!(
            cargo.contains(&format!("name = \"{binary}\"")),
            "{manifest} does not build {binary}"
        );
    }
}

/// `!Ref X` / `!GetAtt X` as `(tag, value)`; serde_yaml_ng keeps CloudFormation's short tags.
fn tagged(value: &Value) -> (String, String) {
    match value {
        Value::Tagged(tagged) => (
            tagged.tag.to_string(),
            tagged.value.as_str().unwrap_or_default().to_string(),
        ),
        other => panic!("expected a tagged value, found {other:?}"),
    }
}

/// The probe's least-privilege wiring: its secret prefix comes from the one parameter that
/// also scopes IAM and the change rule; one cycle at a time; failed asynchronous invocations
/// of every function land in the encrypted queue.
#[test]
fn the_probe_reads_secrets_only_under_the_prefix_and_failures_are_kept() {
    let template = template();
    let resources = &template["Resources"];
    let probe = &resources["ProbeFunction"]["Properties"];
    assert_eq!(probe["ReservedConcurrentExecutions"], Value::from(1));
    assert_eq!(
        tagged(&probe["Environment"]["Variables"]["CREDWATCH_SECRET_PREFIX"]),
        ("!Ref".to_string(), "SecretNamePrefix".to_string())
    );
    let rule = &probe["Events"]["SecretChanged"]["Properties"]["Pattern"]["detail"]["$or"];
    let alternatives = rule.as_sequence().expect("$or of the two id fields");
    let fields: Vec<&Value> = alternatives
        .iter()
        .map(|alt| {
            alt.get("requestParameters")
                .map(|r| &r["secretId"])
                .or_else(|| alt.get("additionalEventData").map(|a| &a["SecretId"]))
                .expect("an id field")
        })
        .collect();
    assert_eq!(fields.len(), 2);
    for prefixes in fields {
        let prefixes = prefixes.as_sequence().unwrap();
        assert_eq!(
            tagged(&prefixes[0]["prefix"]),
            ("!Ref".to_string(), "SecretNamePrefix".to_string()),
            "the name form"
        );
        let (tag, arn) = tagged(&prefixes[1]["prefix"]);
        assert_eq!(tag, "!Sub");
        assert!(
            arn.ends_with(":secret:${SecretNamePrefix}"),
            "the ARN form: {arn}"
        );
    }
    for name in ["ProbeFunction", "ExpiryScanFunction"] {
        let on_failure =
            &resources[name]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"];
        assert_eq!(text(&on_failure["Type"]), "SQS", "{name}");
        assert_eq!(
            tagged(&on_failure["Destination"]),
            (
                "!GetAtt".to_string(),
                "FailedInvocationsQueue.Arn".to_string()
            ),
            "{name}"
        );
    }
    assert!(
        resources["FailedInvocationsQueue"]["Properties"]["KmsMasterKeyId"].is_string(),
        "the queue is encrypted"
    );
}

/// Every variable the template sets for a function (globally or per function) is one credwatch
/// reads (`credwatch::config::ALL_VARS`): a misspelt name would be silently ignored and leave
/// its setting at the default. The table and log level reach both functions.
#[test]
fn the_template_sets_only_variables_credwatch_reads() {
    let template = template();
    let mut sets: Vec<(String, &Value)> = vec![(
        "Globals".to_string(),
        &template["Globals"]["Function"]["Environment"]["Variables"],
    )];
    for (name, resource) in template["Resources"].as_mapping().expect("resources") {
        if resource["Type"].as_str() == Some("AWS::Serverless::Function") {
            let name = text(name).to_string();
            sets.push((name, &resource["Properties"]["Environment"]["Variables"]));
        }
    }
    assert!(sets.len() >= 3, "the globals and both functions: {sets:?}");
    let mut seen = Vec::new();
    for (owner, variables) in sets {
        let Some(variables) = variables.as_mapping() else {
            continue;
        };
        for name in variables.keys().map(text) {
            assert!(
                credwatch::config::ALL_VARS.contains(&name),
                "{owner} sets {name}, which credwatch does not read"
            );
            seen.push(name.to_string());
        }
    }
    for needed in [
        credwatch::config::TABLE_VAR,
        credwatch::config::LOG_VAR,
        credwatch::config::SECRET_PREFIX_VAR,
        credwatch::config::SLACK_SECRET_PREFIX_VAR,
    ] {
        assert!(seen.iter().any(|name| name == needed), "{needed}: {seen:?}");
    }
}

// ---- The alert fan-out (issue 10): its stream mapping, topic, role, sweep and alarms ----

/// `(tag, inner value)` of a CloudFormation short form (`!Ref`, `!GetAtt`, `!Sub`, `!If`...).
fn tag_of(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => Some((tagged.tag.to_string(), &tagged.value)),
        _ => None,
    }
}

/// `!Ref name` or `!GetAtt name`, as written.
fn reference(tag: &str, name: &str) -> Value {
    serde_yaml_ng::from_str(&format!("{tag} {name}")).expect("a short-form reference")
}

/// A scalar or a list, as IAM writes `Action` and `Resource`.
fn one_or_many(value: &Value) -> Vec<&Value> {
    match value {
        Value::Sequence(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    }
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    let found = &template["Resources"][name];
    assert!(!found.is_null(), "no resource {name}");
    found
}

const FANOUT: &str = "AlertFanoutFunction";
const STREAM_MAPPING: &str = "AlertFanoutStreamMapping";

/// The stream mapping's one filter pattern, parsed from its JSON text.
fn stream_filter(template: &Value) -> serde_json::Value {
    let filters = resource(template, STREAM_MAPPING)["Properties"]["FilterCriteria"]["Filters"]
        .as_sequence()
        .expect("FilterCriteria.Filters");
    assert_eq!(filters.len(), 1, "one filter: {filters:?}");
    serde_json::from_str(text(&filters[0]["Pattern"])).expect("the filter pattern is JSON")
}

/// Whether a Lambda event filter `pattern` admits `event`, for exactly the operators the
/// template uses: nested fields, lists of exact strings, and `{"prefix": ...}`. Any other
/// operator fails the test rather than being guessed at.
fn pattern_admits(pattern: &serde_json::Value, event: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    let J::Object(fields) = pattern else {
        panic!("a pattern is an object of fields: {pattern}")
    };
    fields.iter().all(|(name, expected)| {
        let Some(actual) = event.get(name) else {
            return false;
        };
        match expected {
            J::Object(_) => pattern_admits(expected, actual),
            J::Array(alternatives) => alternatives.iter().any(|alternative| match alternative {
                J::String(exact) => actual.as_str() == Some(exact.as_str()),
                J::Object(operator) => match (operator.len(), operator.get("prefix")) {
                    (1, Some(J::String(prefix))) => actual
                        .as_str()
                        .is_some_and(|a| a.starts_with(prefix.as_str())),
                    _ => panic!("an operator this matcher does not know: {alternative}"),
                },
                other => panic!("an alternative this matcher does not know: {other}"),
            }),
            other => panic!("a field's pattern is an object or a list: {other}"),
        }
    })
}

/// A DynamoDB stream record as Lambda delivers it (and filters it).
fn stream_record(event_name: &str, (pk, sk): (String, String)) -> serde_json::Value {
    let keys = serde_json::json!({"pk": {"S": pk}, "sk": {"S": sk}});
    let mut change = serde_json::json!({
        "ApproximateCreationDateTime": 1_796_032_800,
        "Keys": keys,
        "SequenceNumber": "4100000000019118544662",
        "SizeBytes": 120,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if event_name != "INSERT" {
        change["OldImage"] = keys.clone();
    }
    if event_name != "REMOVE" {
        change["NewImage"] = keys;
    }
    serde_json::json!({
        "eventID": "c81e728d9d4c2f636f067f89cc14862c",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/credwatch/stream/2026-11-30T00:00:00.000",
    })
}

/// The stream filter selects incident items by the key prefix the Rust code writes them under,
/// and admits exactly their inserts and updates: not their TTL deletions, nor any other item
/// (inventory, probe history, notification records).
#[test]
fn the_stream_filter_admits_exactly_incident_inserts_and_updates() {
    use credwatch::store::dynamo::keys;

    let pattern = stream_filter(&template());
    let prefixes = pattern["dynamodb"]["Keys"][keys::PK]["S"]
        .as_array()
        .expect("dynamodb.Keys.pk.S is a list");
    assert_eq!(
        prefixes,
        &[serde_json::json!({"prefix": keys::INCIDENT_PREFIX})],
        "the filter's prefix is credwatch::store::dynamo::keys::INCIDENT_PREFIX"
    );

    let incident = keys::incident_key("loyalty-points-feed:auth:1").expect("a valid incident id");
    let admitted = [
        stream_record("INSERT", incident.clone()),
        stream_record("MODIFY", incident.clone()),
    ];
    for record in &admitted {
        assert!(pattern_admits(&pattern, record), "admits {record}");
    }
    let rejected = [
        (
            "an incident's TTL deletion",
            stream_record("REMOVE", incident),
        ),
        (
            "an integration",
            stream_record("MODIFY", keys::integration_key("loyalty-points-feed")),
        ),
        ("a team", stream_record("INSERT", keys::team_key("crm-ops"))),
        (
            "probe history",
            stream_record(
                "INSERT",
                (
                    keys::history_pk("loyalty-points-feed"),
                    "2026-11-30T10:00:00.000Z".into(),
                ),
            ),
        ),
        (
            "a notification record",
            stream_record(
                "INSERT",
                ("NTF#loyalty-points-feed:auth:1".into(), "opened#0".into()),
            ),
        ),
        (
            "an audit entry",
            stream_record(
                "INSERT",
                (
                    "AUDIT#c81e728d9d4c2f636f067f89cc14862c".into(),
                    "sent".into(),
                ),
            ),
        ),
        (
            "a key that holds the prefix later on",
            stream_record(
                "INSERT",
                (
                    keys::history_pk(keys::INCIDENT_PREFIX),
                    "2026-11-30T10:00:00.000Z".into(),
                ),
            ),
        ),
    ];
    for (what, record) in &rejected {
        assert!(
            !pattern_admits(&pattern, record),
            "rejects {what}: {record}"
        );
    }
}

/// Partial batch responses, bisection, bounded retries and record age, and an on-failure
/// destination: a failing record is retried on its own, and after the bound it is recorded in
/// a queue, never silently dropped nor blocking its shard until the stream drops it.
#[test]
fn the_stream_mapping_retries_a_failing_record_alone_and_keeps_what_it_gives_up() {
    let template = template();
    let mapping = &resource(&template, STREAM_MAPPING)["Properties"];
    assert_eq!(mapping["FunctionName"], reference("!Ref", FANOUT));
    assert_eq!(
        mapping["EventSourceArn"],
        reference("!GetAtt", "Table.StreamArn")
    );
    assert_eq!(
        mapping["FunctionResponseTypes"],
        serde_yaml_ng::from_str::<Value>("[ReportBatchItemFailures]").unwrap()
    );
    assert_eq!(mapping["BisectBatchOnFunctionError"], Value::Bool(true));
    // Lambda's -1 (the default) means "until the record expires".
    let retries = mapping["MaximumRetryAttempts"].as_i64().expect("retries");
    assert!((1..=20).contains(&retries), "bounded retries: {retries}");
    // DynamoDB streams keep a record 24 hours; -1 (the default) means "as long as that".
    let age = mapping["MaximumRecordAgeInSeconds"].as_i64().expect("age");
    assert!((60..=86_400).contains(&age), "bounded record age: {age}");
    let batch = mapping["BatchSize"].as_i64().expect("batch size");
    assert!((1..=100).contains(&batch), "batch size {batch}");
    // An incident's changes stay in order: one batch per shard at a time.
    assert_eq!(mapping["ParallelizationFactor"], Value::from(1));
    assert_eq!(text(&mapping["StartingPosition"]), "TRIM_HORIZON");

    let (tag, destination) = tag_of(&mapping["DestinationConfig"]["OnFailure"]["Destination"])
        .expect("an on-failure destination");
    assert_eq!(tag, "!GetAtt");
    let queue = text(destination)
        .strip_suffix(".Arn")
        .expect("a queue's Arn");
    assert_eq!(
        text(&resource(&template, queue)["Type"]),
        "AWS::SQS::Queue",
        "{queue}"
    );
}

/// Every SQS queue (the on-failure destinations) is encrypted, refuses access without TLS,
/// and has an alarm on its depth: what lands there is a failure someone must see.
#[test]
fn every_queue_is_encrypted_tls_only_and_alarmed() {
    let template = template();
    let resources = template["Resources"].as_mapping().expect("resources");
    let queues: Vec<&str> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::SQS::Queue"))
        .map(|(name, _)| text(name))
        .collect();
    assert!(queues.len() >= 2, "{queues:?}");
    for queue in queues {
        assert!(
            resources[queue]["Properties"]["KmsMasterKeyId"].is_string(),
            "{queue} is encrypted"
        );
        let tls_only = resources.values().any(|r| {
            r["Type"].as_str() == Some("AWS::SQS::QueuePolicy")
                && one_or_many(&r["Properties"]["Queues"]).contains(&&reference("!Ref", queue))
                && one_or_many(&r["Properties"]["PolicyDocument"]["Statement"])
                    .iter()
                    .any(|s| {
                        s["Effect"].as_str() == Some("Deny")
                            && s["Condition"]["Bool"]["aws:SecureTransport"].as_str()
                                == Some("false")
                    })
        });
        assert!(tls_only, "{queue} refuses access without TLS");
        let depth = reference("!GetAtt", &format!("{queue}.QueueName"));
        let alarmed = resources.values().any(|r| {
            r["Type"].as_str() == Some("AWS::CloudWatch::Alarm")
                && r["Properties"]["MetricName"].as_str()
                    == Some("ApproximateNumberOfMessagesVisible")
                && one_or_many(&r["Properties"]["Dimensions"])
                    .iter()
                    .any(|d| d["Value"] == depth)
                && r["Properties"]["Threshold"] == 0
                && r["Properties"]["ComparisonOperator"].as_str() == Some("GreaterThanThreshold")
        });
        assert!(alarmed, "{queue} has an alarm on its depth");
    }
}

/// The alert topic is encrypted with the template's own rotating KMS key, its ARN is an
/// output (for `inventory apply --topic`), only the fan-out's role may publish to it, and
/// nothing reaches it without TLS.
#[test]
fn the_alert_topic_is_kms_encrypted_private_to_the_fanout_and_output() {
    let template = template();
    let topic = &resource(&template, "AlertTopic")["Properties"];
    assert_eq!(
        topic["KmsMasterKeyId"],
        reference("!GetAtt", "AlertTopicKey.Arn")
    );
    let key = &resource(&template, "AlertTopicKey")["Properties"];
    assert_eq!(key["EnableKeyRotation"], Value::Bool(true));
    let role = reference("!GetAtt", "AlertFanoutRole.Arn");
    let key_statements = one_or_many(&key["KeyPolicy"]["Statement"]);
    let role_statement = key_statements
        .iter()
        .find(|s| s["Principal"]["AWS"] == role)
        .expect("the key policy names the fan-out's role");
    assert_eq!(
        tagged(&role_statement["Condition"]["StringEquals"]["kms:ViaService"]).1,
        "sns.${AWS::Region}.${AWS::URLSuffix}",
        "the role may use the key only through SNS"
    );
    for statement in &key_statements {
        assert_ne!(
            statement["Principal"],
            Value::from("*"),
            "no statement of the key policy is for anyone"
        );
    }

    let outputs = &template["Outputs"];
    assert_eq!(
        outputs["AlertTopicArn"]["Value"],
        reference("!Ref", "AlertTopic")
    );
    assert_eq!(
        outputs["AlertTopicKeyArn"]["Value"],
        reference("!GetAtt", "AlertTopicKey.Arn")
    );

    let policy = &resource(&template, "AlertTopicPolicy")["Properties"];
    assert_eq!(
        one_or_many(&policy["Topics"]),
        [&reference("!Ref", "AlertTopic")]
    );
    let statements = one_or_many(&policy["PolicyDocument"]["Statement"]);
    let publish = Value::from("sns:Publish");
    let only_the_fanout = statements.iter().any(|s| {
        s["Effect"].as_str() == Some("Deny")
            && s["Principal"].as_str() == Some("*")
            && one_or_many(&s["Action"]).contains(&&publish)
            && s["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == role
    });
    assert!(
        only_the_fanout,
        "publishing is denied to all but the fan-out"
    );
    let tls_only = statements.iter().any(|s| {
        s["Effect"].as_str() == Some("Deny")
            && one_or_many(&s["Action"]).contains(&&publish)
            && s["Condition"]["Bool"]["aws:SecureTransport"].as_str() == Some("false")
    });
    assert!(tls_only, "publishing without TLS is denied");
    for statement in statements {
        assert_eq!(
            statement["Effect"].as_str(),
            Some("Deny"),
            "the topic policy grants nothing: {statement:?}"
        );
    }
}

/// The fan-out runs the `credwatch-alert-fanout` binary with the table, topic and log level
/// under the names `credwatch::config` reads, and sweeps every minute; a failed sweep is kept
/// like the other functions' failed invocations.
#[test]
fn the_fanout_reads_credwatchs_variables_and_sweeps_every_minute() {
    let template = template();
    let fanout = resource(&template, FANOUT);
    assert_eq!(
        text(&fanout["Metadata"]["BuildProperties"]["Binary"]),
        "credwatch-alert-fanout"
    );
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    let own = &fanout["Properties"]["Environment"]["Variables"];
    let variable = |name: &str| {
        let value = &own[name];
        if value.is_null() {
            &globals[name]
        } else {
            value
        }
    };
    assert_eq!(
        variable(credwatch::config::TOPIC_ARN_VAR),
        &reference("!Ref", "AlertTopic")
    );
    assert_eq!(
        variable(credwatch::config::TABLE_VAR),
        &reference("!Ref", "Table")
    );
    assert_eq!(
        variable(credwatch::config::LOG_VAR),
        &reference("!Ref", "LogLevel")
    );

    let events = fanout["Properties"]["Events"].as_mapping().expect("events");
    let schedules: Vec<&Value> = events
        .values()
        .filter(|e| e["Type"].as_str() == Some("Schedule"))
        .collect();
    assert_eq!(schedules.len(), 1, "one sweep schedule: {events:?}");
    assert_eq!(
        text(&schedules[0]["Properties"]["Schedule"]),
        "rate(1 minute)"
    );
    let on_failure = &fanout["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"];
    assert_eq!(
        on_failure["Destination"],
        reference("!GetAtt", "FailedInvocationsQueue.Arn")
    );
}

/// The fan-out's permissions: its own role, with no managed policy, and one policy whose every
/// statement allows named actions on named resources. The exceptions AWS imposes:
/// `dynamodb:ListStreams` has no resource-level permissions (only `"*"`), and
/// `kms:GenerateDataKey*` is the action SNS documents for publishers to an encrypted topic.
/// It may publish to the alert topic only, use its key only through SNS, read the table's
/// stream only, and neither Scan nor delete items.
#[test]
fn the_fanout_role_allows_named_actions_on_named_resources() {
    let template = template();
    let spec = table_spec();
    assert_eq!(
        resource(&template, FANOUT)["Properties"]["Role"],
        reference("!GetAtt", "AlertFanoutRole.Arn")
    );
    assert!(resource(&template, FANOUT)["Properties"]["Policies"].is_null());
    let role = &resource(&template, "AlertFanoutRole")["Properties"];
    assert!(role["ManagedPolicyArns"].is_null(), "no managed policy");
    assert!(
        role["Policies"].is_null(),
        "permissions are in AlertFanoutPolicy"
    );
    // Only the fan-out's policy may attach to its role.
    let attached: Vec<&str> = template["Resources"]
        .as_mapping()
        .expect("resources")
        .iter()
        .filter(|(_, r)| {
            r["Type"].as_str() == Some("AWS::IAM::Policy")
                && one_or_many(&r["Properties"]["Roles"])
                    .contains(&&reference("!Ref", "AlertFanoutRole"))
        })
        .map(|(name, _)| text(name))
        .collect();
    assert_eq!(attached, ["AlertFanoutPolicy"]);

    let statements = one_or_many(
        &resource(&template, "AlertFanoutPolicy")["Properties"]["PolicyDocument"]["Statement"],
    );
    let mut granted: Vec<(String, Value)> = Vec::new();
    for statement in &statements {
        let sid = statement["Sid"].as_str().unwrap_or("(no Sid)");
        assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{sid}");
        for negated in ["NotAction", "NotResource", "NotPrincipal"] {
            assert!(statement[negated].is_null(), "{sid}: {negated}");
        }
        let actions: Vec<&str> = one_or_many(&statement["Action"])
            .into_iter()
            .map(text)
            .collect();
        let resources = one_or_many(&statement["Resource"]);
        assert!(!actions.is_empty() && !resources.is_empty(), "{sid}");
        for action in &actions {
            let (service, name) = action.split_once(':').expect("service:Action");
            assert!(!service.contains('*'), "{sid}: {action}");
            assert!(
                !name.contains('*') || *action == "kms:GenerateDataKey*",
                "{sid}: {action} is a wildcard"
            );
            for resource in &resources {
                let any = resource.as_str() == Some("*");
                assert!(
                    !any || *action == "dynamodb:ListStreams",
                    "{sid}: {action} on every resource"
                );
                granted.push((action.to_string(), (*resource).clone()));
            }
        }
    }

    let on = |action: &str| -> Vec<Value> {
        granted
            .iter()
            .filter(|(a, _)| a == action)
            .map(|(_, r)| r.clone())
            .collect()
    };
    let table = reference("!GetAtt", "Table.Arn");
    for action in [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ] {
        assert_eq!(on(action), std::slice::from_ref(&table), "{action}");
    }
    let index = serde_yaml_ng::from_str::<Value>(&format!(
        "!Sub \"${{Table.Arn}}/index/{}\"",
        spec.gsi_name
    ))
    .expect("an index ARN");
    assert_eq!(on("dynamodb:Query"), [table, index]);
    let stream = reference("!GetAtt", "Table.StreamArn");
    for action in [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
    ] {
        assert_eq!(on(action), std::slice::from_ref(&stream), "{action}");
    }
    assert_eq!(on("sns:Publish"), [reference("!Ref", "AlertTopic")]);
    for action in ["kms:GenerateDataKey*", "kms:Decrypt"] {
        assert_eq!(
            on(action),
            [reference("!GetAtt", "AlertTopicKey.Arn")],
            "{action}"
        );
    }
    let kms = statements
        .iter()
        .find(|s| one_or_many(&s["Action"]).contains(&&Value::from("kms:Decrypt")))
        .expect("a kms statement");
    assert_eq!(
        tagged(&kms["Condition"]["StringEquals"]["kms:ViaService"]).1,
        "sns.${AWS::Region}.${AWS::URLSuffix}"
    );

    // Nothing else: every granted action is one of these.
    let expected = [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "sns:Publish",
        "kms:GenerateDataKey*",
        "kms:Decrypt",
        "sqs:SendMessage",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ];
    for (action, resource) in &granted {
        assert!(
            expected.contains(&action.as_str()),
            "{action} on {resource:?} is not the fan-out's"
        );
    }
}

/// Every alarm on a credwatch metric watches the `Function` dimension of a binary this template
/// builds (the dimension `credwatch::telemetry::emf` writes first), so a renamed binary cannot
/// leave an alarm watching nothing, and a metric that function emits with exactly the alarm's
/// other dimensions (`credwatch::telemetry::metrics::EMITTED`); every scheduled function has a heartbeat alarm that fires
/// when the heartbeat is missing; the fan-out's failure metrics are alarmed (given up,
/// configuration errors, unreadable records and items: each means a team was not told); and
/// every alarm notifies the `AlarmTopicArn` parameter, never the alert topic it may be about.
#[test]
fn every_alarm_watches_a_built_function_and_notifies_the_alarm_topic() {
    use credwatch::telemetry::emf::NAMESPACE;

    let template = template();
    let resources = template["Resources"].as_mapping().expect("resources");
    let binaries: Vec<(&str, &str)> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, r)| {
            (
                text(name),
                text(&r["Metadata"]["BuildProperties"]["Binary"]),
            )
        })
        .collect();
    let alarms: Vec<(&str, &Value)> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|(name, r)| (text(name), &r["Properties"]))
        .collect();
    let alarm_topic: Value =
        serde_yaml_ng::from_str("!If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref \"AWS::NoValue\"]")
            .expect("the alarm actions");
    let mut watched: Vec<(String, String)> = Vec::new();
    for (name, alarm) in &alarms {
        assert_eq!(alarm["AlarmActions"], alarm_topic, "{name}");
        assert_eq!(alarm["OKActions"], alarm_topic, "{name}");
        // An alarm's own metric, or each input of its metric math.
        let metrics: Vec<&Value> = if alarm["Metrics"].is_null() {
            vec![*alarm]
        } else {
            one_or_many(&alarm["Metrics"])
                .into_iter()
                .map(|m| &m["MetricStat"]["Metric"])
                .filter(|m| !m.is_null())
                .collect()
        };
        assert!(!metrics.is_empty(), "{name} watches no metric");
        let mut heartbeat = false;
        for metric in metrics {
            if metric["Namespace"].as_str() != Some(NAMESPACE) {
                continue;
            }
            let dimensions = one_or_many(&metric["Dimensions"]);
            assert!(!dimensions.is_empty(), "{name}: no Function dimension");
            assert_eq!(text(&dimensions[0]["Name"]), "Function", "{name}");
            let function = text(&dimensions[0]["Value"]);
            assert!(
                binaries.iter().any(|(_, binary)| *binary == function),
                "{name} watches {function}, which the template does not build"
            );
            let metric_name = text(&metric["MetricName"]);
            let others: Vec<&str> = dimensions[1..].iter().map(|d| text(&d["Name"])).collect();
            assert!(
                credwatch::telemetry::metrics::is_emitted(function, metric_name, &others),
                "{name} watches {metric_name} {others:?} of {function}, which it does not emit"
            );
            heartbeat |= metric_name == "Heartbeat";
            watched.push((function.to_string(), metric_name.to_string()));
        }
        if heartbeat {
            assert_eq!(text(&alarm["TreatMissingData"]), "breaching", "{name}");
            assert_eq!(
                text(&alarm["ComparisonOperator"]),
                "LessThanThreshold",
                "{name}"
            );
        } else {
            assert_eq!(alarm["Threshold"], Value::from(0), "{name}");
            assert_eq!(
                text(&alarm["ComparisonOperator"]),
                "GreaterThanThreshold",
                "{name}"
            );
        }
    }
    for (function, binary) in &binaries {
        let scheduled = resources[*function]["Properties"]["Events"]
            .as_mapping()
            .is_some_and(|events| {
                events
                    .values()
                    .any(|e| e["Type"].as_str() == Some("Schedule"))
            });
        if scheduled {
            assert!(
                watched.contains(&(binary.to_string(), "Heartbeat".to_string())),
                "{function} runs on a schedule but no alarm watches its heartbeat"
            );
        }
    }
    for metric in [
        "NotificationsFailed",
        "NotificationConfigurationErrors",
        "CorruptRecords",
        "CorruptItems",
    ] {
        assert!(
            watched.contains(&("credwatch-alert-fanout".to_string(), metric.to_string())),
            "{metric} is alarmed"
        );
    }
    let fanout_errors = alarms.iter().any(|(_, alarm)| {
        alarm["Namespace"].as_str() == Some("AWS/Lambda")
            && alarm["MetricName"].as_str() == Some("Errors")
            && one_or_many(&alarm["Dimensions"])
                .iter()
                .any(|d| d["Value"] == reference("!Ref", FANOUT))
    });
    assert!(fanout_errors, "the fan-out's Errors are alarmed");
}

// ---- Issue 12: slack-notify, AWS Chatbot, the weekly drill, the dashboard ----

const SLACK: &str = "SlackNotifyFunction";

/// The statements of the policies of a function's own role (inline `Policies` and
/// `AWS::IAM::Policy` resources attached to it), with `!If` alternatives resolved to their
/// "true" branch (the optional KMS statement). Panics when the function has no role of its own
/// or the role a managed policy.
fn function_statements<'a>(template: &'a Value, function: &str) -> Vec<&'a Value> {
    let role = match tag_of(&resource(template, function)["Properties"]["Role"]) {
        Some((tag, name)) if tag == "!GetAtt" => text(name)
            .strip_suffix(".Arn")
            .unwrap_or_else(|| panic!("{function}'s Role is !GetAtt ROLE.Arn"))
            .to_string(),
        _ => panic!("{function} has its own role (!GetAtt ROLE.Arn), not SAM's generated one"),
    };
    let attached = reference("!Ref", &role);
    let role = &resource(template, &role)["Properties"];
    assert!(
        role["ManagedPolicyArns"].is_null(),
        "{function}: no managed policy"
    );
    let mut documents: Vec<&Value> = one_or_many(&role["Policies"])
        .into_iter()
        .map(|policy| &policy["PolicyDocument"])
        .collect();
    documents.extend(
        template["Resources"]
            .as_mapping()
            .expect("resources")
            .values()
            .filter(|r| {
                r["Type"].as_str() == Some("AWS::IAM::Policy")
                    && one_or_many(&r["Properties"]["Roles"]).contains(&&attached)
            })
            .map(|r| &r["Properties"]["PolicyDocument"]),
    );
    assert!(!documents.is_empty(), "{function}'s role has policies");
    documents
        .into_iter()
        .flat_map(|document| one_or_many(&document["Statement"]))
        .map(|statement| match tag_of(statement) {
            Some((tag, branches)) if tag == "!If" => &branches[1],
            _ => statement,
        })
        .collect()
}

/// slack-notify runs `credwatch-slack-notify` one invocation at a time (posts to a webhook are
/// paced inside the process), reads webhook secrets under the `SlackSecretPrefix` parameter
/// (default `credwatch/slack/`), keeps what failed after Lambda's two retries in the
/// failed-invocations queue, logs to its own group, and receives every alert of the topic (it
/// routes by team itself, so no filter policy), invoked only by SNS for that topic.
#[test]
fn slack_notify_is_subscribed_to_every_alert_and_reads_only_its_prefix() {
    let template = template();
    let slack = resource(&template, SLACK);
    assert_eq!(
        text(&slack["Metadata"]["BuildProperties"]["Binary"]),
        "credwatch-slack-notify"
    );
    let properties = &slack["Properties"];
    assert_eq!(properties["ReservedConcurrentExecutions"], Value::from(1));
    assert_eq!(properties["Timeout"], Value::from(60));
    assert_eq!(
        properties["Environment"]["Variables"][credwatch::config::SLACK_SECRET_PREFIX_VAR],
        reference("!Ref", "SlackSecretPrefix")
    );
    let prefix = &template["Parameters"]["SlackSecretPrefix"];
    assert_eq!(text(&prefix["Default"]), "credwatch/slack/");
    assert_eq!(
        prefix["AllowedPattern"], template["Parameters"]["SecretNamePrefix"]["AllowedPattern"],
        "the same rule as the SFMC secrets' prefix"
    );
    let invoke = &properties["EventInvokeConfig"];
    assert_eq!(invoke["MaximumRetryAttempts"], Value::from(2));
    assert_eq!(
        invoke["DestinationConfig"]["OnFailure"]["Destination"],
        reference("!GetAtt", "FailedInvocationsQueue.Arn")
    );
    assert_eq!(
        properties["LoggingConfig"]["LogGroup"],
        reference("!Ref", "SlackNotifyLogGroup")
    );
    assert_eq!(
        text(&resource(&template, "SlackNotifyLogGroup")["Type"]),
        "AWS::Logs::LogGroup"
    );

    // Inline on the topic (see the template): exactly one lambda subscription, slack-notify's,
    // and no filter policy (an inline subscription cannot carry one): every alert reaches it.
    let subscriptions =
        one_or_many(&resource(&template, "AlertTopic")["Properties"]["Subscription"]);
    assert_eq!(subscriptions.len(), 1, "{subscriptions:?}");
    assert_eq!(text(&subscriptions[0]["Protocol"]), "lambda");
    assert_eq!(
        subscriptions[0]["Endpoint"],
        reference("!GetAtt", "SlackNotifyFunction.Arn")
    );
    assert!(
        template["Resources"]
            .as_mapping()
            .expect("resources")
            .values()
            .all(|r| r["Type"].as_str() != Some("AWS::SNS::Subscription")
                || r["Condition"].as_str() == Some("HasChatbot")),
        "no other subscription of the topic than Chatbot's optional one"
    );
    let permission = &resource(&template, "SlackNotifyPermission")["Properties"];
    assert_eq!(text(&permission["Action"]), "lambda:InvokeFunction");
    assert_eq!(permission["FunctionName"], reference("!Ref", SLACK));
    assert_eq!(text(&permission["Principal"]), "sns.amazonaws.com");
    assert_eq!(permission["SourceArn"], reference("!Ref", "AlertTopic"));
}

/// slack-notify's permissions name specific actions on specific resources: the table's items
/// (the team, the notification record, the platform incident; no Scan, no delete), webhook
/// secrets only under the prefix, the optional key only through Secrets Manager, and the
/// failed-invocations queue. Nothing else.
#[test]
fn slack_notify_is_least_privilege() {
    let template = template();
    let mut granted: Vec<(String, Value)> = Vec::new();
    for statement in function_statements(&template, SLACK) {
        let sid = statement["Sid"].as_str().unwrap_or("(no Sid)");
        assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{sid}");
        for negated in ["NotAction", "NotResource"] {
            assert!(statement[negated].is_null(), "{sid}: {negated}");
        }
        for action in one_or_many(&statement["Action"]) {
            let action = text(action);
            assert!(!action.contains('*'), "{sid}: {action} is a wildcard");
            let resources = one_or_many(&statement["Resource"]);
            assert!(!resources.is_empty(), "{sid}");
            for resource in resources {
                assert_ne!(
                    resource.as_str(),
                    Some("*"),
                    "{sid}: {action} on everything"
                );
                granted.push((action.to_string(), resource.clone()));
            }
        }
        if one_or_many(&statement["Action"]).contains(&&Value::from("kms:Decrypt")) {
            assert_eq!(
                tagged(&statement["Condition"]["StringEquals"]["kms:ViaService"]).1,
                "secretsmanager.${AWS::Region}.${AWS::URLSuffix}",
                "{sid}: the key only through Secrets Manager"
            );
            assert_eq!(statement["Resource"], reference("!Ref", "SecretsKmsKeyArn"));
        }
    }
    let mut actions: Vec<&str> = granted.iter().map(|(a, _)| a.as_str()).collect();
    actions.sort_unstable();
    actions.dedup();
    assert_eq!(
        actions,
        [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
            "kms:Decrypt",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "secretsmanager:GetSecretValue",
            "sqs:SendMessage",
        ]
    );
    let table = reference("!GetAtt", "Table.Arn");
    for (action, resource) in &granted {
        match action.split_once(':').map(|(service, _)| service) {
            Some("dynamodb") => assert_eq!(resource, &table, "{action}"),
            Some("sqs") => assert_eq!(
                resource,
                &reference("!GetAtt", "FailedInvocationsQueue.Arn"),
                "{action}"
            ),
            Some("logs") => assert_eq!(
                resource,
                &reference("!GetAtt", "SlackNotifyLogGroup.Arn"),
                "{action}: its own log group only"
            ),
            Some("secretsmanager") => {
                let (tag, arn) = tagged(resource);
                assert_eq!(tag, "!Sub");
                assert!(
                    arn.ends_with(":secret:${SlackSecretPrefix}*")
                        && !arn.contains("SecretNamePrefix"),
                    "webhook secrets only, under their prefix: {arn}"
                );
            }
            _ => {}
        }
    }
}

/// A broken Slack path is seen: slack-notify's failed invocations and Slack's permanent
/// refusals (`SlackPosts` with `Outcome` = `refused`, the metric slack-notify emits) are alarmed.
#[test]
fn slack_notify_errors_and_refused_posts_are_alarmed() {
    use credwatch::notify::delivery::SlackPostState;
    use credwatch::telemetry::metrics::{OUTCOME, SLACK_NOTIFY, SLACK_POSTS};

    let refused_outcome = SlackPostState::Refused.as_str();
    let template = template();
    let alarms: Vec<&Value> = template["Resources"]
        .as_mapping()
        .expect("resources")
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|r| &r["Properties"])
        .collect();
    let errors = alarms.iter().any(|alarm| {
        alarm["Namespace"].as_str() == Some("AWS/Lambda")
            && alarm["MetricName"].as_str() == Some("Errors")
            && one_or_many(&alarm["Dimensions"])
                .iter()
                .any(|d| d["Value"] == reference("!Ref", SLACK))
    });
    assert!(errors, "slack-notify's Errors are alarmed");
    let refused = alarms.iter().any(|alarm| {
        let dimensions: Vec<(&str, &str)> = one_or_many(&alarm["Dimensions"])
            .iter()
            .map(|d| (text(&d["Name"]), text(&d["Value"])))
            .collect();
        alarm["MetricName"].as_str() == Some(SLACK_POSTS)
            && dimensions == [("Function", SLACK_NOTIFY), (OUTCOME, refused_outcome)]
            && alarm["Threshold"] == 0
    });
    assert!(refused, "refused Slack posts are alarmed");
}

/// AWS Chatbot is an option: off unless both Slack ids are given. Its channel may only read
/// (the ReadOnlyAccess guardrail, a role with no permissions of its own) and is not given the
/// topic (Chatbot's own subscription would carry every team's alerts); the template's
/// subscription at Chatbot's endpoint carries only the alerts of the teams chosen.
#[test]
fn chatbot_is_optional_read_only_and_filtered_to_its_teams() {
    let template = template();
    for parameter in ["ChatbotSlackWorkspaceId", "ChatbotSlackChannelId"] {
        assert_eq!(
            text(&template["Parameters"][parameter]["Default"]),
            "",
            "{parameter}: off by default"
        );
    }
    assert_eq!(
        text(&template["Parameters"]["ChatbotTeams"]["Type"]),
        "CommaDelimitedList"
    );
    let condition: Value = serde_yaml_ng::from_str(
        "!And\n- !Not [!Equals [!Ref ChatbotSlackWorkspaceId, \"\"]]\n- !Not [!Equals [!Ref ChatbotSlackChannelId, \"\"]]",
    )
    .expect("the condition");
    assert_eq!(template["Conditions"]["HasChatbot"], condition);
    for name in ["ChatbotRole", "ChatbotChannel", "ChatbotSubscription"] {
        assert_eq!(
            text(&resource(&template, name)["Condition"]),
            "HasChatbot",
            "{name}"
        );
    }

    let channel = &resource(&template, "ChatbotChannel");
    assert_eq!(
        text(&channel["Type"]),
        "AWS::Chatbot::SlackChannelConfiguration"
    );
    let channel = &channel["Properties"];
    assert!(
        channel["SnsTopicArns"].is_null(),
        "the channel is not given the topic: Chatbot would subscribe it unfiltered"
    );
    assert_eq!(
        channel["SlackWorkspaceId"],
        reference("!Ref", "ChatbotSlackWorkspaceId")
    );
    assert_eq!(
        channel["SlackChannelId"],
        reference("!Ref", "ChatbotSlackChannelId")
    );
    let guardrails: Vec<String> = one_or_many(&channel["GuardrailPolicies"])
        .into_iter()
        .map(|g| tagged(g).1)
        .collect();
    assert_eq!(
        guardrails,
        ["arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"]
    );
    assert_eq!(
        channel["IamRoleArn"],
        reference("!GetAtt", "ChatbotRole.Arn")
    );
    let role = &resource(&template, "ChatbotRole")["Properties"];
    assert!(
        role["Policies"].is_null(),
        "the channel's role has no inline policy"
    );
    assert!(role["ManagedPolicyArns"].is_null(), "nor a managed one");
    let trust = one_or_many(&role["AssumeRolePolicyDocument"]["Statement"]);
    assert_eq!(trust.len(), 1);
    assert_eq!(
        text(&trust[0]["Principal"]["Service"]),
        "chatbot.amazonaws.com"
    );
    let attached = template["Resources"]
        .as_mapping()
        .expect("resources")
        .values()
        .any(|r| {
            r["Type"].as_str() == Some("AWS::IAM::Policy")
                && one_or_many(&r["Properties"]["Roles"])
                    .contains(&&reference("!Ref", "ChatbotRole"))
        });
    assert!(!attached, "no policy attaches to the channel's role");

    let subscription = &resource(&template, "ChatbotSubscription")["Properties"];
    assert_eq!(subscription["TopicArn"], reference("!Ref", "AlertTopic"));
    assert_eq!(text(&subscription["Protocol"]), "https");
    assert_eq!(
        text(&subscription["Endpoint"]),
        "https://global.sns-api.chatbot.amazonaws.com"
    );
    let filter = subscription["FilterPolicy"]
        .as_mapping()
        .expect("a filter policy");
    assert_eq!(filter.len(), 1, "{filter:?}");
    assert_eq!(
        subscription["FilterPolicy"]["team"],
        reference("!Ref", "ChatbotTeams")
    );
}

/// The weekly drill: every Monday 09:00 UTC, off unless `WeeklyDrill` is `enabled`, sending the
/// fan-out exactly the drill entry's event (every team), which EventBridge may invoke.
#[test]
fn the_weekly_drill_is_off_by_default_and_sends_the_drill_event_to_the_fanout() {
    let template = template();
    // A drill that finds a team unreachable is alarmed, not only logged.
    let alarm = &resource(&template, "DrillTeamsFailedAlarm")["Properties"];
    assert_eq!(
        text(&alarm["MetricName"]),
        credwatch::telemetry::metrics::DRILL_TEAMS_FAILED
    );
    assert_eq!(text(&alarm["ComparisonOperator"]), "GreaterThanThreshold");
    assert_eq!(alarm["Threshold"], Value::from(0));
    let parameter = &template["Parameters"]["WeeklyDrill"];
    assert_eq!(text(&parameter["Default"]), "disabled");
    assert_eq!(
        parameter["AllowedValues"],
        serde_yaml_ng::from_str::<Value>("[disabled, enabled]").unwrap()
    );
    assert_eq!(
        template["Conditions"]["WeeklyDrillEnabled"],
        serde_yaml_ng::from_str::<Value>("!Equals [!Ref WeeklyDrill, enabled]").unwrap()
    );
    let rule = &resource(&template, "WeeklyDrillRule");
    assert_eq!(text(&rule["Type"]), "AWS::Events::Rule");
    let rule = &rule["Properties"];
    assert_eq!(text(&rule["ScheduleExpression"]), "cron(0 9 ? * MON *)");
    assert_eq!(
        rule["State"],
        serde_yaml_ng::from_str::<Value>("!If [WeeklyDrillEnabled, ENABLED, DISABLED]").unwrap()
    );
    let targets = one_or_many(&rule["Targets"]);
    assert_eq!(targets.len(), 1);
    assert_eq!(
        targets[0]["Arn"],
        reference("!GetAtt", "AlertFanoutFunction.Arn")
    );
    let input: serde_json::Value =
        serde_json::from_str(text(&targets[0]["Input"])).expect("the input is JSON");
    assert_eq!(input, serde_json::json!({"drill": {"teams": []}}));

    let permitted = template["Resources"]
        .as_mapping()
        .expect("resources")
        .values()
        .any(|r| {
            let p = &r["Properties"];
            r["Type"].as_str() == Some("AWS::Lambda::Permission")
                && p["FunctionName"] == reference("!Ref", FANOUT)
                && p["Principal"].as_str() == Some("events.amazonaws.com")
                && p["SourceArn"] == reference("!GetAtt", "WeeklyDrillRule.Arn")
        });
    assert!(
        permitted,
        "EventBridge may invoke the fan-out for this rule only"
    );
}

/// One metric of a dashboard widget: `(namespace, metric, [(dimension, value)], stat)`, from
/// the array form or from a `SEARCH('{namespace,dimension...} MetricName="..." Name="value"')`
/// expression (dimensions without a value in the search get `*`).
type WidgetMetric = (String, String, Vec<(String, String)>, Option<String>);

fn widget_metric(entry: &serde_json::Value, widget_stat: Option<&str>) -> WidgetMetric {
    let items = entry.as_array().expect("a widget metric is an array");
    if let Some(expression) = items[0].get("expression") {
        let expression = expression.as_str().expect("an expression");
        let search = expression
            .strip_prefix("SEARCH('")
            .unwrap_or_else(|| panic!("only SEARCH expressions: {expression}"));
        let (schema, rest) = search
            .strip_prefix('{')
            .and_then(|s| s.split_once('}'))
            .unwrap_or_else(|| panic!("a {{schema}}: {expression}"));
        let mut schema = schema.split(',');
        let namespace = schema.next().expect("a namespace").to_string();
        let (terms, stat) = rest.split_once("', '").expect("the search's statistic");
        let term = |name: &str| -> Option<String> {
            terms
                .split_whitespace()
                .find_map(|t| t.strip_prefix(&format!("{name}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
        };
        let metric = term("MetricName").unwrap_or_else(|| panic!("MetricName: {expression}"));
        let dimensions = schema
            .map(|d| (d.to_string(), term(d).unwrap_or_else(|| "*".to_string())))
            .collect();
        let stat = stat.split_once('\'').expect("the statistic").0.to_string();
        return (namespace, metric, dimensions, Some(stat));
    }
    let strings: Vec<&str> = items.iter().filter_map(|i| i.as_str()).collect();
    let options = items.last().filter(|i| i.is_object());
    assert_eq!(
        strings.len() + usize::from(options.is_some()),
        items.len(),
        "strings, then options: {entry}"
    );
    assert!(
        strings.len() >= 2 && strings.len().is_multiple_of(2),
        "namespace, metric, then dimension pairs (no \"...\" shorthand): {entry}"
    );
    let dimensions = strings[2..]
        .chunks(2)
        .map(|pair| (pair[0].to_string(), pair[1].to_string()))
        .collect();
    let stat = options
        .and_then(|o| o.get("stat"))
        .and_then(|s| s.as_str())
        .or(widget_stat)
        .map(str::to_string);
    (
        strings[0].to_string(),
        strings[1].to_string(),
        dimensions,
        stat,
    )
}

/// Every metric the dashboard shows exists: each credwatch metric is one a function this
/// template builds emits with exactly those dimensions (`credwatch::telemetry::metrics`, the
/// names the jobs use); each AWS metric names a queue or function of this template. And it
/// shows what the issue asks for: integrations by health, probes and failures by class, probe
/// latency p50 and p99, incidents opened and resolved, notifications sent, pending and failed,
/// every on-failure queue's depth, every scheduled function's heartbeat, Slack posts by outcome.
#[test]
fn the_dashboard_shows_only_emitted_metrics_and_everything_asked_for() {
    use credwatch::telemetry::emf::NAMESPACE;
    use credwatch::telemetry::metrics::{self, is_emitted};

    let template = template();
    let resources = template["Resources"].as_mapping().expect("resources");
    let dashboard = &resource(&template, "Dashboard")["Properties"];
    let (tag, body) = tag_of(&dashboard["DashboardBody"]).expect("a !Sub body");
    assert_eq!(tag, "!Sub");
    let body: serde_json::Value = serde_json::from_str(text(body)).expect("the body is JSON");
    let binaries: Vec<(&str, &str)> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, r)| {
            (
                text(name),
                text(&r["Metadata"]["BuildProperties"]["Binary"]),
            )
        })
        .collect();
    let placeholder = |value: &str| -> String {
        value
            .strip_prefix("${")
            .and_then(|v| v.strip_suffix('}'))
            .unwrap_or_else(|| panic!("{value}: a resource of this template, by !Sub"))
            .to_string()
    };

    let mut shown: Vec<WidgetMetric> = Vec::new();
    let widgets = body["widgets"].as_array().expect("widgets");
    assert!(!widgets.is_empty());
    for widget in widgets {
        let properties = &widget["properties"];
        let title = properties["title"].as_str().expect("a title");
        assert_eq!(properties["region"], "${AWS::Region}", "{title}");
        let stat = properties["stat"].as_str();
        for entry in properties["metrics"].as_array().expect("metrics") {
            let metric = widget_metric(entry, stat);
            let (namespace, name, dimensions, _) = &metric;
            match namespace.as_str() {
                NAMESPACE => {
                    let (first, function) = &dimensions[0];
                    assert_eq!(first, "Function", "{title}: {name}");
                    assert!(
                        binaries.iter().any(|(_, b)| b == function),
                        "{title}: {function} is not built by this template"
                    );
                    let others: Vec<&str> =
                        dimensions[1..].iter().map(|(d, _)| d.as_str()).collect();
                    assert!(
                        is_emitted(function, name, &others),
                        "{title}: {function} does not emit {name} {others:?}"
                    );
                }
                "AWS/SQS" => {
                    let queue = placeholder(&dimensions[0].1);
                    let queue = queue.strip_suffix(".QueueName").expect("a QueueName");
                    assert_eq!(
                        resources[queue]["Type"].as_str(),
                        Some("AWS::SQS::Queue"),
                        "{title}"
                    );
                }
                "AWS/Lambda" => {
                    let function = placeholder(&dimensions[0].1);
                    assert!(
                        binaries.iter().any(|(f, _)| *f == function),
                        "{title}: {function}"
                    );
                }
                other => panic!("{title}: a namespace the dashboard should not use: {other}"),
            }
            shown.push(metric);
        }
    }

    let has = |function: &str, metric: &str, dimension: Option<&str>, stat: Option<&str>| {
        shown.iter().any(|(namespace, name, dimensions, s)| {
            namespace == NAMESPACE
                && name == metric
                && dimensions[0].1 == function
                && dimensions.get(1).map(|(d, _)| d.as_str()) == dimension
                && (stat.is_none() || s.as_deref() == stat)
        })
    };
    let asked = [
        (
            metrics::EXPIRY_SCAN,
            metrics::INTEGRATIONS,
            Some(metrics::HEALTH),
            None,
        ),
        (metrics::PROBE, metrics::PROBES, None, None),
        (
            metrics::PROBE,
            metrics::OUTCOMES,
            Some(metrics::CLASS),
            None,
        ),
        (metrics::PROBE, metrics::PROBE_LATENCY, None, Some("p50")),
        (metrics::PROBE, metrics::PROBE_LATENCY, None, Some("p99")),
        (metrics::PROBE, metrics::INCIDENTS_OPENED, None, None),
        (metrics::PROBE, metrics::INCIDENTS_RESOLVED, None, None),
        (metrics::EXPIRY_SCAN, metrics::INCIDENTS_OPENED, None, None),
        (
            metrics::EXPIRY_SCAN,
            metrics::INCIDENTS_RESOLVED,
            None,
            None,
        ),
        (
            metrics::ALERT_FANOUT,
            metrics::NOTIFICATIONS_SENT,
            None,
            None,
        ),
        (
            metrics::ALERT_FANOUT,
            metrics::NOTIFICATIONS_DUE,
            None,
            None,
        ),
        (
            metrics::ALERT_FANOUT,
            metrics::NOTIFICATIONS_FAILED,
            None,
            None,
        ),
        (
            metrics::SLACK_NOTIFY,
            metrics::SLACK_POSTS,
            Some(metrics::OUTCOME),
            None,
        ),
    ];
    for (function, metric, dimension, stat) in asked {
        assert!(
            has(function, metric, dimension, stat),
            "the dashboard shows {metric} {dimension:?} {stat:?} of {function}"
        );
    }
    for (function, binary) in &binaries {
        let scheduled = resources[*function]["Properties"]["Events"]
            .as_mapping()
            .is_some_and(|events| {
                events
                    .values()
                    .any(|e| e["Type"].as_str() == Some("Schedule"))
            });
        if scheduled {
            assert!(
                has(binary, metrics::HEARTBEAT, None, None),
                "the dashboard shows {function}'s heartbeat"
            );
        }
    }
    for (name, r) in resources {
        if r["Type"].as_str() == Some("AWS::SQS::Queue") {
            let depth = format!("${{{}.QueueName}}", text(name));
            assert!(
                shown
                    .iter()
                    .any(|(namespace, metric, dimensions, _)| namespace == "AWS/SQS"
                        && metric == "ApproximateNumberOfMessagesVisible"
                        && dimensions[0].1 == depth),
                "the dashboard shows {depth}'s depth"
            );
        }
    }
}

/// The outputs a deployment needs: slack-notify's name, the dashboard's name and address.
#[test]
fn the_outputs_name_slack_notify_and_the_dashboard() {
    let template = template();
    let outputs = &template["Outputs"];
    assert_eq!(
        outputs["SlackNotifyFunctionName"]["Value"],
        reference("!Ref", SLACK)
    );
    assert_eq!(
        outputs["DashboardName"]["Value"],
        reference("!Ref", "Dashboard")
    );
    let (tag, url) = tagged(&outputs["DashboardUrl"]["Value"]);
    assert_eq!(tag, "!Sub");
    assert!(
        url.starts_with("https://${AWS::Region}.console.aws.amazon.com/cloudwatch/")
            && url.ends_with("#dashboards:name=${Dashboard}"),
        "{url}"
    );
}

/// The functions SAM builds keep unwinding, so a panic while handling one integration or
/// notification is contained (`credwatch::jobs::panic`) instead of killing the invocation:
/// `cargo lambda build --release` (the template's rust-cargolambda build method) adds
/// `panic = "abort"` to the release profile unless the workspace sets `panic` itself.
#[test]
fn the_release_profile_says_panics_unwind() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .expect("the workspace manifest");
    let release: Vec<&str> = manifest
        .lines()
        .skip_while(|line| line.trim() != "[profile.release]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .collect();
    assert!(
        release.contains(&"panic = \"unwind\""),
        "[profile.release] sets panic = \"unwind\": {release:?}"
    );
}

/// Every function runs under its own role, with no managed policy (SAM's generated role would
/// carry AWSLambdaBasicExecutionRole: log writes on every log group), and writes logs only to
/// the group its LoggingConfig names.
#[test]
fn every_function_has_its_own_role_writing_only_its_own_logs() {
    let template = template();
    let functions: Vec<String> = template["Resources"]
        .as_mapping()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, _)| text(name).to_string())
        .collect();
    assert!(functions.len() >= 4, "{functions:?}");
    for function in &functions {
        let log_group =
            match tag_of(&resource(&template, function)["Properties"]["LoggingConfig"]["LogGroup"])
            {
                Some((tag, name)) if tag == "!Ref" => text(name).to_string(),
                _ => {
                    panic!("{function} logs to its own group (LoggingConfig.LogGroup: !Ref GROUP)")
                }
            };
        let mut logs = Vec::new();
        for statement in function_statements(&template, function) {
            for action in one_or_many(&statement["Action"]) {
                if text(action).starts_with("logs:") {
                    logs.push(text(action).to_string());
                    assert_eq!(
                        one_or_many(&statement["Resource"]),
                        [&reference("!GetAtt", &format!("{log_group}.Arn"))],
                        "{function}: {} only on its own log group",
                        text(action)
                    );
                }
            }
        }
        logs.sort();
        assert_eq!(
            logs,
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            "{function}"
        );
    }
}
