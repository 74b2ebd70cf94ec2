"""Deploy rehearsal: the SAM-transformed template is created by moto's CloudFormation (CREATE_COMPLETE).

Every Ref/GetAtt/Sub resolves and every resource type is created by the emulator, so a broken reference or a
resource the template forgot fails here, not in `sam deploy`. What moto ignores (so this cannot catch):
IAM policy *evaluation* (policies are checked statically below), S3 bucket policies/logging/versioning
enforcement, Lambda limits (code size is `make package`'s job), API Gateway stage throttling and access-log
settings, log retention enforcement, and `AWS::SQS::QueuePolicy`, `AWS::CloudWatch::Alarm` (moto warns they are
unsupported). moto's
`AWS::ApiGateway::RestApi` also ignores `Body`; the rehearsal imports the transformed OpenAPI body with
moto's own `put_rest_api`, so the stage deploys against the real methods; and moto has no
`AWS::RDS::DBProxy`/`DBProxyTargetGroup`, so those are removed and `DatabaseProxy.Endpoint` becomes a placeholder
(cfn-lint and the SAM transform still check them).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from gtvision_local.template import load_yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
# Action prefixes that must always name resources (never "*").
SCOPED_SERVICES = ("s3:", "sqs:", "sns:", "secretsmanager:", "kms:")
# Environment variable names that would hold a secret (values must come from Secrets Manager/KMS instead).
SECRET_ENV = ("SECRET", "PASSWORD", "DATA_KEY", "DATABASE_URL", "TOKEN", "PRIVATE")


# Resource types moto's CloudFormation skips (logged "No Moto CloudFormation support"); checked statically instead.
MOTO_IGNORES = {
    "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy",
    "AWS::ApiGateway::Stage",
    "AWS::SecretsManager::Secret",  # so a !Ref to a secret resolves to nothing in moto's stack
    "AWS::CloudWatch::Alarm",
    # the live events WebSocket API (issue 14): moto's CloudFormation creates none of these
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::RouteResponse",
    "AWS::ApiGatewayV2::Deployment",
    "AWS::ApiGatewayV2::Stage",
    # SnapStart's published aliases (ADR 0024): a Ref to one stands for its function here (see _alias_arn)
    "AWS::Lambda::Alias",
}


DB_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf"


# Types moto's CloudFormation does not know *and* whose attributes the template reads (a GetAtt to a skipped
# resource is a template error in moto): the rehearsal removes them and puts a placeholder for the attribute.
MOTO_CANNOT_CREATE = {
    "AWS::RDS::DBProxy": "gtv-db.proxy-rehearsal.us-east-1.rds.amazonaws.com",
    "AWS::RDS::DBProxyTargetGroup": "",
}


def _alias_arn(template: dict[str, Any], alias_id: str) -> Any:
    """A stand-in for a `Ref` to a SAM-generated `AWS::Lambda::Alias` (its function's ARN: moto has no aliases)."""
    props = template["Resources"][alias_id]["Properties"]
    return {"Fn::GetAtt": [props["FunctionName"]["Ref"], "Arn"]}


def _without_unsupported(template: dict[str, Any]) -> dict[str, Any]:
    gone: dict[str, Any] = {
        k: MOTO_CANNOT_CREATE[v["Type"]] for k, v in template["Resources"].items() if v["Type"] in MOTO_CANNOT_CREATE
    }
    # moto's CloudFormation has no AWS::Lambda::Alias (SnapStart's `live` aliases, ADR 0024): a Ref to one
    # becomes its function's ARN here; that every event source and permission aims at the alias is checked on
    # the transformed template itself (test_event_sources_and_permissions_invoke_the_live_alias).
    gone.update(
        {k: _alias_arn(template, k) for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Alias"}
    )

    aliases = {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Alias"}

    def sub(text: str) -> str:
        for alias_id, props in aliases.items():
            text = text.replace(f"${{{alias_id}}}", f"${{{props['FunctionName']['Ref']}.Arn}}")
        return text

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
                return {"Fn::Sub": sub(value["Fn::Sub"])}
            if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][0] in gone:
                return gone[value["Fn::GetAtt"][0]]
            if set(value) == {"Ref"} and value["Ref"] in gone:
                return gone[value["Ref"]] if isinstance(gone[value["Ref"]], dict) else value["Ref"]
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    out = walk({k: v for k, v in template.items()})
    out["Resources"] = {k: v for k, v in out["Resources"].items() if k not in gone}
    return out


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def transformed(monkeypatch: pytest.MonkeyPatch, artifacts: dict[str, bytes] | None = None) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    doc = load_yaml(TEMPLATE.read_text(encoding="utf-8"))
    for spec in doc["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            uri = spec.get("Properties", {}).get(key)
            if isinstance(uri, str):
                name = uri.strip("/") + ".zip"
                if artifacts is not None:
                    artifacts[name] = b""
                spec["Properties"][key] = f"s3://gtvision-artifacts/{name}"
        if spec.get("Properties", {}).get("PackageType") == "Image":  # `sam package` pushes the image (ADR 0026)
            spec["Properties"]["ImageUri"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/gtvision:redaction"
    return transform(doc, {}, _NoManagedPolicies())


@pytest.fixture(scope="module")
def stack() -> Any:
    mp = pytest.MonkeyPatch()
    import boto3
    from moto import mock_aws
    from moto.apigateway import models as apigw

    artifacts: dict[str, bytes] = {}
    output = transformed(mp, artifacts)
    original = apigw.RestAPI.create_from_cloudformation_json

    def with_body(
        resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        api = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        body = cloudformation_json["Properties"].get("Body")
        if body:
            apigw.apigateway_backends[account_id][region_name].put_rest_api(api.id, body, False, mode="overwrite")
        return api

    mp.setattr(apigw.RestAPI, "create_from_cloudformation_json", staticmethod(with_body))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        mp.setenv(name, "testing")
    mp.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="gtvision-artifacts")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("handler.py", "def handler(event, context):\n    return None\n")
        for key in artifacts:
            s3.put_object(Bucket="gtvision-artifacts", Key=key, Body=buf.getvalue())
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        cfn.create_stack(
            StackName="gtvision-rehearsal",
            TemplateBody=json.dumps(_without_unsupported(output)),
            Parameters=[
                {"ParameterKey": "ResourcePrefix", "ParameterValue": "gtv-rehearsal"},
                {"ParameterKey": "DatabaseSecretArn", "ParameterValue": DB_SECRET_ARN},
                {"ParameterKey": "DatabaseInstanceId", "ParameterValue": "gtvision-db"},
                {"ParameterKey": "SubnetIds", "ParameterValue": "subnet-0a1b2c3d,subnet-0e1f2a3b"},
                {"ParameterKey": "LambdaSecurityGroupIds", "ParameterValue": "sg-0a1b2c3d"},
                {"ParameterKey": "ProxySecurityGroupIds", "ParameterValue": "sg-0e1f2a3b"},
            ],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        yield {
            "cfn": cfn,
            "template": output,
            "lambda": boto3.client("lambda", region_name="us-east-1"),
            "iam": boto3.client("iam", region_name="us-east-1"),
        }
    mp.undo()


def test_transformed_stack_creates_complete(stack: dict[str, Any]) -> None:
    cfn = stack["cfn"]
    (desc,) = cfn.describe_stacks(StackName="gtvision-rehearsal")["Stacks"]
    assert desc["StackStatus"] == "CREATE_COMPLETE", desc.get("StackStatusReason")
    summaries = cfn.list_stack_resources(StackName="gtvision-rehearsal")["StackResourceSummaries"]
    created = {s["LogicalResourceId"] for s in summaries if s["ResourceStatus"] == "CREATE_COMPLETE"}
    wanted = {k for k, v in stack["template"]["Resources"].items() if "Condition" not in v}
    assert {"ApiFunction", "ClipWorkerFunction", "RecordingsBucket", "ClipJobsQueue", "GtvisionApi"} <= created
    skipped = {k: stack["template"]["Resources"][k]["Type"] for k in wanted - created}
    assert set(skipped.values()) <= MOTO_IGNORES | set(MOTO_CANNOT_CREATE), skipped
    outputs = {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}
    assert outputs["ApiUrl"].startswith("https://") and outputs["ApiUrl"].endswith("/prod")
    assert outputs["RecordingsBucketName"] == "gtv-rehearsal-recordings"


def test_functions_get_secret_arns_and_can_read_only_those(stack: dict[str, Any]) -> None:
    lam = stack["lambda"]
    functions = lam.list_functions()["Functions"]
    assert functions and all(f["Environment"]["Variables"]["DATABASE_SECRET_ARN"] == DB_SECRET_ARN for f in functions)
    # moto skips AWS::SecretsManager::Secret, so the secret ARNs are checked in the transformed template.
    for logical_id, res in stack["template"]["Resources"].items():
        if res["Type"] == "AWS::Lambda::Function":
            env = res["Properties"]["Environment"]["Variables"]
            assert env["GTV_JWT_SECRET_ARN"] == {"Ref": "JwtSigningSecret"}, logical_id
            assert env["GTV_DATA_KEY_SECRET_ARN"] == {"Ref": "DataKeySecret"}, logical_id


def test_no_function_has_a_secret_in_its_environment(stack: dict[str, Any]) -> None:
    lam = stack["lambda"]
    functions = lam.list_functions()["Functions"]
    assert len(functions) >= 5
    for fn in functions:
        env = (fn.get("Environment") or {}).get("Variables") or {}
        leaked = [
            k
            for k in env
            if any(word in k.upper() for word in SECRET_ENV) and not k.endswith("_ARN") and not k.endswith("_SECRET_ID")
        ]
        assert leaked == [], f"{fn['FunctionName']}: {leaked}"


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def test_every_policy_is_scoped_to_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    template = transformed(monkeypatch)
    checked = 0
    for logical_id, res in template["Resources"].items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        for policy in res["Properties"].get("Policies", []):
            for st in _statements(policy["PolicyDocument"]):
                if st.get("Effect") != "Allow":
                    continue
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                for action in actions:
                    assert action != "*", f"{logical_id}: Action *"
                    if action.lower().startswith(SCOPED_SERVICES):
                        checked += 1
                        assert "*" not in resources, f"{logical_id}: {action} on Resource *"
                        assert not action.endswith(":*"), f"{logical_id}: {action}"
    assert checked > 10


def test_only_retention_may_delete_recordings(monkeypatch: pytest.MonkeyPatch) -> None:
    template = transformed(monkeypatch)
    deleters = set()
    for logical_id, res in template["Resources"].items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        for policy in res["Properties"].get("Policies", []):
            for st in _statements(policy["PolicyDocument"]):
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                if st.get("Effect") == "Allow" and any(a.lower().startswith("s3:delete") for a in actions):
                    deleters.add(logical_id)
    assert deleters == {"RetentionFunctionRole"}


def test_event_sources_and_permissions_invoke_the_live_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    """SnapStart restores published versions only: every trigger must invoke the `live` alias (ADR 0024)."""
    resources = transformed(monkeypatch)["Resources"]
    aliases = {k for k, v in resources.items() if v["Type"] == "AWS::Lambda::Alias"}
    assert len(aliases) >= 10
    mappings = [
        v["Properties"]["FunctionName"] for v in resources.values() if v["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    targets = [
        t["Arn"] for v in resources.values() if v["Type"] == "AWS::Events::Rule" for t in v["Properties"]["Targets"]
    ]
    permissions = [
        v["Properties"]["FunctionName"] for v in resources.values() if v["Type"] == "AWS::Lambda::Permission"
    ]
    assert mappings and targets and permissions
    for ref in [*mappings, *targets, *permissions]:
        assert isinstance(ref, dict) and ref.get("Ref") in aliases, ref
    body = (
        json.dumps(resources["ServerlessRestApi"]["Properties"]["DefinitionBody"])
        if "ServerlessRestApi" in resources
        else ""
    )
    apis = [json.dumps(v["Properties"]) for v in resources.values() if v["Type"] == "AWS::ApiGateway::RestApi"]
    assert any("ApiFunctionAliaslive" in text for text in [body, *apis])
