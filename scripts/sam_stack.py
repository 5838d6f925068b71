"""credwatch's SAM template as a CloudFormation stack on moto_server, for the deployment tests.

    python scripts/sam_stack.py deploy ENDPOINT TEMPLATE BINARY_DIR STACK_NAME [OMIT_TYPES]
    python scripts/sam_stack.py describe ENDPOINT STACK_NAME

`deploy` translates TEMPLATE with aws-sam-translator (the library `sam build`/`sam deploy` use),
after replacing each function's `CodeUri` with an `s3://` zip, in a new moto bucket, of the
binary its `Metadata.BuildProperties.Binary` names in BINARY_DIR, stored as `bootstrap` (what
the provided.al2023 runtime starts). It creates the stack, waits for CREATE_COMPLETE and prints
one JSON document: `{"translated": <the CloudFormation template>, "created": <describe's
document plus "skipped">, "code": {function: {binary, binary_bytes, zip_bytes, zip_sha256}}}`.

`describe` reads back from moto's own APIs what the stack created: its status, outputs and
resources, and per resource type what the service holds (the table's description, each
function's configuration, event source mappings and event invoke configuration, each rule with
its targets, each role with its inline and attached policies, the topic's, queue's and key's
attributes, the alarms and log groups). Resource types moto's CloudFormation does not create
are listed under `"skipped"` (they have no physical resource to read).

OMIT_TYPES (comma-separated resource types) are left out of the created stack, not of the
translated template: moto's DynamoDB hands every stream record of a table with an
AWS::Lambda::EventSourceMapping to its own Lambda (a container that does not run here) and then
drops it, so a test that plays Lambda's stream poller itself leaves the mapping out.

Exit status 0 with the document on stdout; 1 with a message naming what failed on stderr.
"""

import ast
import base64
import hashlib
import io
import json
import os
import stat
import sys
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

REGION = "us-east-1"
# The translator resolves AWS::Region (ARNs, partitions) from the boto session's region.
os.environ["AWS_DEFAULT_REGION"] = REGION


def client(service, endpoint):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 3}, read_timeout=120),
    )


class NoManagedPolicies(ManagedPolicyLoader):
    """The template names no AWS managed policy by name; SAM's own (the basic execution
    role) it adds by ARN. Asking IAM would need real AWS."""

    def __init__(self):
        super().__init__(None)

    def load(self):
        return {}


def bootstrap_zip(binary_path):
    """A Lambda deployment package: the binary as an executable `bootstrap`."""
    buffer = io.BytesIO()
    info = zipfile.ZipInfo("bootstrap", date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(binary_path, "rb") as binary, zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, binary.read())
    return buffer.getvalue()


def deploy(endpoint, template_path, binary_dir, stack_name, omit_types=""):
    with open(template_path) as f:
        sam = yaml_parse(f.read())
    s3 = client("s3", endpoint)
    bucket = f"{stack_name}-code".lower()
    s3.create_bucket(Bucket=bucket)
    code = {}
    for name, resource in sam.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        binary = (resource.get("Metadata") or {}).get("BuildProperties", {}).get("Binary")
        if not binary:
            fail(f"{name}: Metadata.BuildProperties.Binary names no binary")
        path = os.path.join(binary_dir, binary)
        if not os.path.isfile(path):
            fail(
                f"{name}: the binary {path} is not built; run "
                "`cargo build --release --workspace --bins --locked` first"
            )
        key = f"{name}/{binary}.zip"
        package = bootstrap_zip(path)
        s3.put_object(Bucket=bucket, Key=key, Body=package)
        code[name] = {
            "binary": path,
            "binary_bytes": os.path.getsize(path),
            "zip_bytes": len(package),
            "zip_sha256": base64.b64encode(hashlib.sha256(package).digest()).decode(),
        }
        resource["Properties"]["CodeUri"] = f"s3://{bucket}/{key}"
    translated = transform(sam, {}, NoManagedPolicies())
    omitted = set(filter(None, omit_types.split(",")))
    created_template = dict(translated)
    created_template["Resources"] = {
        name: resource
        for name, resource in translated["Resources"].items()
        if resource["Type"] not in omitted
    }
    # moto's CloudFormation has no AWS::Lambda::Url (a function URL): it skips the resource, and
    # an output reading its attributes makes create_stack fail. Such outputs are left out of the
    # created stack (listed in "outputs_skipped"); tests check them on the translated template.
    unimplemented = {"AWS::Lambda::Url"}
    outputs_skipped = []
    outputs = dict(translated.get("Outputs", {}))
    for key, output in list(outputs.items()):
        value = output.get("Value")
        target = value.get("Fn::GetAtt") if isinstance(value, dict) else None
        if target and translated["Resources"].get(target[0], {}).get("Type") in unimplemented:
            outputs_skipped.append(key)
            del outputs[key]
    created_template["Outputs"] = outputs
    cfn = client("cloudformation", endpoint)
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(created_template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    try:
        cfn.get_waiter("stack_create_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 1, "MaxAttempts": 300}
        )
    except Exception as error:  # the waiter's error names the status and reason
        events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        reasons = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatus')} {e.get('ResourceStatusReason', '')}"
            for e in events
            if "FAILED" in e.get("ResourceStatus", "")
        ]
        fail(f"stack {stack_name} did not create: {error}; {reasons}")
    created = describe(endpoint, stack_name)
    listed = {r["logical_id"] for r in created["resources"]}
    # What the translated template declares and the stack did not create: resource types moto's
    # CloudFormation does not implement (it warns and skips them), and resources whose
    # Condition is false.
    created["skipped"] = {
        name: {
            "type": resource["Type"],
            "condition": resource.get("Condition"),
            "omitted": resource["Type"] in omitted,
        }
        for name, resource in translated["Resources"].items()
        if name not in listed
    }
    created["outputs_skipped"] = outputs_skipped
    return {"translated": translated, "created": created, "code": code}


def describe(endpoint, stack_name):
    cfn = client("cloudformation", endpoint)
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    resources = []
    paginator = cfn.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_name):
        resources.extend(page["StackResourceSummaries"])
    created = {
        "stack": {
            "name": stack["StackName"],
            "status": stack["StackStatus"],
            "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        },
        "resources": [
            {
                "logical_id": r["LogicalResourceId"],
                "type": r["ResourceType"],
                "physical_id": r.get("PhysicalResourceId"),
                "status": r.get("ResourceStatus"),
            }
            for r in resources
            # moto lists each resource it skipped with an empty logical id.
            if r["LogicalResourceId"]
        ],
        "tables": {},
        "functions": {},
        "rules": {},
        "roles": {},
        "topics": {},
        "queues": {},
        "keys": {},
        "alarms": {},
        "log_groups": {},
    }
    readers = {
        "AWS::DynamoDB::Table": ("tables", read_table),
        "AWS::Lambda::Function": ("functions", read_function),
        "AWS::Events::Rule": ("rules", read_rule),
        "AWS::IAM::Role": ("roles", read_role),
        "AWS::SNS::Topic": ("topics", read_topic),
        "AWS::SQS::Queue": ("queues", read_queue),
        "AWS::KMS::Key": ("keys", read_key),
        "AWS::CloudWatch::Alarm": ("alarms", read_alarm),
        "AWS::Logs::LogGroup": ("log_groups", read_log_group),
    }
    for resource in created["resources"]:
        reader = readers.get(resource["type"])
        if reader and resource["physical_id"]:
            section, read = reader
            created[section][resource["logical_id"]] = read(endpoint, resource["physical_id"])
    return json.loads(json.dumps(created, default=str))


def read_table(endpoint, name):
    dynamodb = client("dynamodb", endpoint)
    table = dynamodb.describe_table(TableName=name)["Table"]
    table["TimeToLive"] = dynamodb.describe_time_to_live(TableName=name)[
        "TimeToLiveDescription"
    ]
    return table


def read_function(endpoint, name):
    lam = client("lambda", endpoint)
    configuration = lam.get_function_configuration(FunctionName=name)
    configuration.pop("ResponseMetadata", None)
    mappings = lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
    try:
        invoke = lam.get_function_event_invoke_config(FunctionName=name)
        invoke.pop("ResponseMetadata", None)
    except lam.exceptions.ResourceNotFoundException:
        invoke = None
    concurrency = lam.get_function_concurrency(FunctionName=name).get(
        "ReservedConcurrentExecutions"
    )
    try:
        policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    except lam.exceptions.ResourceNotFoundException:
        policy = None
    return {
        "configuration": configuration,
        "event_source_mappings": mappings,
        "event_invoke_config": invoke,
        "reserved_concurrency": concurrency,
        "resource_policy": policy,
    }


def read_rule(endpoint, name):
    events = client("events", endpoint)
    rule = events.describe_rule(Name=name)
    rule.pop("ResponseMetadata", None)
    rule["Targets"] = events.list_targets_by_rule(Rule=name)["Targets"]
    return rule


def read_role(endpoint, name):
    iam = client("iam", endpoint)
    role = iam.get_role(RoleName=name)["Role"]
    inline = {
        policy: policy_document(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
    }
    attached = {}
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        arn = policy["PolicyArn"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        attached[arn] = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
            "Document"
        ]
    return {"role": role, "inline_policies": inline, "attached_policies": attached}


def policy_document(document):
    """A role's inline policy as JSON. moto 5.2's CloudFormation stores the `Policies` of an
    AWS::IAM::Role as Python's text of the object (single quotes, `None` where the template
    had AWS::NoValue) rather than JSON; real IAM holds JSON without the removed statement."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            document = ast.literal_eval(document)
    statements = document.get("Statement", [])
    if isinstance(statements, list):
        document["Statement"] = [s for s in statements if s is not None]
    return document


def read_topic(endpoint, arn):
    sns = client("sns", endpoint)
    topic = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    topic["Subscriptions"] = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    return topic


def read_queue(endpoint, url):
    sqs = client("sqs", endpoint)
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def read_key(endpoint, key_id):
    kms = client("kms", endpoint)
    try:
        key = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        key["Policy"] = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
        key["RotationEnabled"] = kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
        return key
    except Exception as error:
        # moto 5.2's CloudFormation stores a key's KeyPolicy as an object where its KMS expects
        # text, so every call on the key fails (HTTP 500): the key exists, unreadable.
        return {"KeyId": key_id, "Unreadable": str(error).splitlines()[0]}


def read_alarm(endpoint, name):
    cloudwatch = client("cloudwatch", endpoint)
    alarms = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarms[0] if alarms else None


def read_log_group(endpoint, name):
    logs = client("logs", endpoint)
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return next((g for g in groups if g["logGroupName"] == name), None)


def fail(message):
    print(f"sam_stack.py: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    try:
        if len(sys.argv) in (6, 7) and sys.argv[1] == "deploy":
            document = deploy(*sys.argv[2:])
        elif len(sys.argv) == 4 and sys.argv[1] == "describe":
            document = describe(*sys.argv[2:])
        else:
            fail(__doc__)
    except EndpointConnectionError as error:
        fail(f"cannot reach moto_server: {error}")
    json.dump(document, sys.stdout, default=str)


if __name__ == "__main__":
    main()
