//! The SAM template declares the same table as `credwatch table create` (both from
//! `credwatch::store::schema`), and wires each function to the binary that exists.

use credwatch::store::schema::table_spec;
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
