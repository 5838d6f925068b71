//! credwatch's SAM template deployed as a CloudFormation stack on moto_server, the way `sam
//! deploy` would: translated by aws-sam-translator (`scripts/sam_stack.py`, run with the
//! venv's Python), each function's code a zip of its release binary as `bootstrap` in an S3
//! bucket, created and awaited to CREATE_COMPLETE; then read back from moto's own APIs.
//!
//! moto's CloudFormation (5.2) creates the table, functions, roles and inline policies, rules
//! and their targets, permissions, the stream mapping, topic, key, alias, queues and log
//! groups. It skips, with a warning, `AWS::CloudWatch::Alarm`, `AWS::Lambda::EventInvokeConfig`,
//! `AWS::SNS::TopicPolicy` and `AWS::SQS::QueuePolicy` ([`MOTO_SKIPS`]); it also ignores a
//! function's `Architectures` (reports x86_64), a table's `TimeToLiveSpecification` and a role's
//! `ManagedPolicyArns`, and stores a key's `KeyPolicy` so that its KMS cannot read the key
//! back. Assertions on those parts read the translated template ([`Stack::translated`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::aws::{endpoint, unique_name};
use crate::lambda::FunctionProcess;

/// Resource types moto's CloudFormation does not create (it warns and goes on); the translated
/// template still declares them.
pub const MOTO_SKIPS: [&str; 6] = [
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::Lambda::EventInvokeConfig",
    // A function URL; the stack's outputs reading it are left out too (sam_stack.py,
    // `outputs_skipped`).
    "AWS::Lambda::Url",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
];

/// The variable naming the Python that has aws-sam-translator and boto3 (default: the
/// workspace's `.venv/bin/python`, which `scripts/venv.sh` creates).
pub const PYTHON_VAR: &str = "CREDWATCH_TEST_PYTHON";

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// The Python with aws-sam-translator: `$CREDWATCH_TEST_PYTHON`, else `.venv/bin/python`.
/// Panics, saying how to get it, when neither exists.
pub fn python() -> PathBuf {
    let path = std::env::var_os(PYTHON_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    assert!(
        path.exists(),
        "{} does not exist: run ./scripts/venv.sh (./scripts/test.sh does), or set {PYTHON_VAR} \
         to a Python with aws-sam-translator and boto3",
        path.display()
    );
    path
}

/// A stack created from `infra/template.yaml`, with what moto holds for it.
#[derive(Debug, Clone)]
pub struct Stack {
    /// The stack's name (unique per deployment).
    pub name: String,
    /// The CloudFormation template aws-sam-translator produced (code locations in S3).
    pub translated: Value,
    /// What moto's APIs answer for the stack and each resource: `stack` (status, outputs),
    /// `resources` (logical id, type, physical id), `skipped` (declared, not created, with
    /// type and condition), and per kind `tables`, `functions` (configuration, event source
    /// mappings, event invoke config, reserved concurrency, resource policy), `rules` (with
    /// targets), `roles` (inline policies as JSON, attached policies), `topics`, `queues`,
    /// `keys`, `alarms`, `log_groups`, each keyed by logical id. See `scripts/sam_stack.py`.
    pub created: Value,
    /// Each function's deployment package as uploaded: `{binary, binary_bytes, zip_bytes,
    /// zip_sha256}` (base64, as Lambda's `CodeSha256`), keyed by logical id.
    pub code: Value,
}

impl Stack {
    /// Deploys `infra/template.yaml` with the binaries of `binary_dir` (normally
    /// [`crate::cli::release_dir`]) under a unique stack name; panics with the translator's or
    /// CloudFormation's message when it does not reach CREATE_COMPLETE.
    pub async fn deploy(binary_dir: &Path) -> Stack {
        Stack::deploy_without(binary_dir, &[]).await
    }

    /// [`Stack::deploy`], leaving resources of `omit_types` out of the created stack (they
    /// stay in [`Stack::translated`]). A test that reads the table's stream itself, as Lambda's
    /// poller, omits `AWS::Lambda::EventSourceMapping`: moto's DynamoDB hands each stream
    /// record of a mapped table to its own Lambda runtime (a container that does not run here)
    /// and then drops it from the stream.
    pub async fn deploy_without(binary_dir: &Path, omit_types: &[&str]) -> Stack {
        let name = unique_name("credwatch").replace('_', "-");
        let template = workspace_root().join("infra/template.yaml");
        let document = sam_stack(&[
            "deploy",
            &endpoint(),
            &template.display().to_string(),
            &binary_dir.display().to_string(),
            &name,
            &omit_types.join(","),
        ])
        .await;
        Stack {
            name,
            translated: document["translated"].clone(),
            created: document["created"].clone(),
            code: document["code"].clone(),
        }
    }

    /// Reads back again what moto holds for the stack (after the tests changed something).
    pub async fn describe(&self) -> Value {
        sam_stack(&["describe", &endpoint(), &self.name]).await
    }

    /// The stack's status, e.g. `CREATE_COMPLETE`.
    pub fn status(&self) -> &str {
        self.created["stack"]["status"].as_str().unwrap_or_default()
    }

    /// Output `key`'s value; panics naming it when the stack has no such output.
    pub fn output(&self, key: &str) -> &str {
        self.created["stack"]["outputs"][key]
            .as_str()
            .unwrap_or_else(|| panic!("stack output {key}: {}", self.created["stack"]))
    }

    /// The physical id of the created resource `logical_id` (a table name, function name, ARN
    /// or queue URL, by type); panics naming it when the stack did not create it.
    pub fn physical_id(&self, logical_id: &str) -> &str {
        self.resources()
            .find(|(id, _, _)| *id == logical_id)
            .map(|(_, _, physical)| physical)
            .unwrap_or_else(|| panic!("{logical_id} is not a created resource of {}", self.name))
    }

    /// Every created resource: (logical id, type, physical id).
    pub fn resources(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.created["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["logical_id"].as_str().unwrap_or_default(),
                    r["type"].as_str().unwrap_or_default(),
                    r["physical_id"].as_str().unwrap_or_default(),
                )
            })
    }

    /// The translated template's resources of `resource_type`: (logical id, declaration).
    pub fn declared(&self, resource_type: &str) -> Vec<(&str, &Value)> {
        self.translated["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, r)| r["Type"] == resource_type)
            .map(|(id, r)| (id.as_str(), r))
            .collect()
    }

    /// What moto holds for function `logical_id` (see [`Stack::created`]).
    pub fn function(&self, logical_id: &str) -> &Value {
        let function = &self.created["functions"][logical_id];
        assert!(
            function.is_object(),
            "{logical_id} is not a created function"
        );
        function
    }

    /// The ARN of the created `lambda` subscription of topic `topic_logical_id` whose endpoint is
    /// function `function_logical_id`. Panics when there is none.
    pub fn lambda_subscription(&self, topic_logical_id: &str, function_logical_id: &str) -> String {
        let function = &self.function(function_logical_id)["configuration"]["FunctionArn"];
        self.created["topics"][topic_logical_id]["Subscriptions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["Protocol"] == "lambda" && s["Endpoint"] == *function)
            .and_then(|s| s["SubscriptionArn"].as_str())
            .unwrap_or_else(|| {
                panic!("{function_logical_id} is not subscribed to {topic_logical_id}")
            })
            .to_string()
    }

    /// The binary function `logical_id` runs (its `Metadata.BuildProperties.Binary`).
    pub fn binary_of(&self, logical_id: &str) -> &str {
        self.translated["Resources"][logical_id]["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{logical_id} names no binary"))
    }

    /// The created function's environment variables, as GetFunctionConfiguration answers.
    pub fn environment(&self, logical_id: &str) -> BTreeMap<String, String> {
        self.function(logical_id)["configuration"]["Environment"]["Variables"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    }

    /// Starts function `logical_id` as Lambda would: its release binary under a Runtime API
    /// stand-in, with the environment of its created configuration plus `extra` (the test's
    /// endpoint and credentials; an entry of `extra` wins over a configured one).
    pub async fn start(&self, logical_id: &str, extra: &[(&str, String)]) -> FunctionProcess {
        let binary = crate::cli::release_binary(self.binary_of(logical_id));
        let mut env: Vec<(String, String)> = self
            .environment(logical_id)
            .into_iter()
            .filter(|(name, _)| !extra.iter().any(|(e, _)| e == name))
            .collect();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        FunctionProcess::spawn(&binary, &env).await
    }
}

/// Runs `scripts/sam_stack.py args...` and parses its JSON document; panics with its stderr
/// when it fails.
async fn sam_stack(args: &[&str]) -> Value {
    let script = workspace_root().join("scripts/sam_stack.py");
    let output = tokio::process::Command::new(python())
        .arg(&script)
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .expect("run scripts/sam_stack.py");
    assert!(
        output.status.success(),
        "scripts/sam_stack.py {}: {}",
        args.first().unwrap_or(&""),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("sam_stack.py prints one JSON document")
}
