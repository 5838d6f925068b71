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
    ] {
        assert!(seen.iter().any(|name| name == needed), "{needed}: {seen:?}");
    }
}
