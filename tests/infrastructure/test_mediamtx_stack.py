"""The MediaMTX node stack (infra/mediamtx/node.yaml): valid, deployable in moto, and its task only adds recordings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gtvision_local.template import load_yaml

REPO = Path(__file__).resolve().parents[2]
NODE = REPO / "infra" / "mediamtx" / "node.yaml"
API_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:gtvision/mediamtx-api-AbCdEf"
HOOK_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:gtvision/mediamtx-hook-GhIjKl"


def test_cfn_lint_passes() -> None:
    from cfnlint.api import lint_file

    assert [str(m) for m in lint_file(NODE)] == []


def test_task_role_can_only_put_recordings() -> None:
    doc = load_yaml(NODE.read_text(encoding="utf-8"))
    role = doc["Resources"]["TaskRole"]["Properties"]
    statements = [st for p in role["Policies"] for st in p["PolicyDocument"]["Statement"]]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${RecordingsBucketName}/recordings/*"},
        }
    ]
    assert "ManagedPolicyArns" not in role
    service = doc["Resources"]["Service"]["Properties"]
    assert service["DesiredCount"] == 1 and service["DeploymentConfiguration"]["MaximumPercent"] == 100


def test_node_stack_creates_in_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    body: dict[str, Any] = load_yaml(NODE.read_text(encoding="utf-8"))
    # moto's ELBv2 refuses TCP/UDP listeners (network load balancers) that AWS and cfn-lint accept: the
    # rehearsal drops the listeners and target groups and checks them statically instead.
    dropped = {
        k
        for k, v in body["Resources"].items()
        if v["Type"] in ("AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::TargetGroup")
    }
    assert len(dropped) == 8
    body["Resources"] = {k: v for k, v in body["Resources"].items() if k not in dropped}
    service = body["Resources"]["Service"]
    assert {lb["TargetGroupArn"]["Ref"] for lb in service["Properties"].pop("LoadBalancers")} <= dropped
    service.pop("DependsOn")
    service["Properties"].pop("ServiceRegistries")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
                "SubnetId"
            ]
            for i, z in enumerate("ab")
        ]
        sg = ec2.create_security_group(GroupName="mtx", Description="mtx", VpcId=vpc)["GroupId"]
        sd = boto3.client("servicediscovery", region_name="us-east-1")
        sd.create_private_dns_namespace(Name="gtvision.internal", Vpc=vpc)
        ns = sd.list_namespaces()["Namespaces"][0]["Id"]
        params = {
            "NodeId": "node-1",
            "ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/gtvision-mediamtx:1",
            "RecordingsBucketName": "gtvision-recordings",
            "VpcId": vpc,
            "SubnetIds": ",".join(subnets),
            "TaskSecurityGroupIds": sg,
            "PrivateNamespaceId": ns,
            "ApiPasswordSecretArn": API_SECRET,
            "HookSecretArn": HOOK_SECRET,
            "SecretsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "HookUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/v1/hooks/mediamtx",
        }
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        cfn.create_stack(
            StackName="mediamtx-node-1",
            TemplateBody=json.dumps(body),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        (desc,) = cfn.describe_stacks(StackName="mediamtx-node-1")["Stacks"]
        assert desc["StackStatus"] == "CREATE_COMPLETE", desc.get("StackStatusReason")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in desc["Outputs"]}
        assert outputs["ApiUrl"] == "http://node-1.gtvision.internal:9997"
        ecs = boto3.client("ecs", region_name="us-east-1")
        services = ecs.describe_services(cluster="gtvision-mediamtx-node-1", services=["mediamtx-node-1"])
        assert services["services"][0]["desiredCount"] == 1
        # The node gets both secrets by ARN (ECS injects them at start) and where to post its hooks
        arn = services["services"][0]["taskDefinition"]
        (container,) = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"]
        assert {x["name"]: x["valueFrom"] for x in container["secrets"]} == {
            "MTX_AUTHINTERNALUSERS_1_PASS": API_SECRET,
            "GTV_MEDIAMTX_HOOK_SECRET": HOOK_SECRET,
        }
        env = {x["name"]: x["value"] for x in container["environment"]}
        assert env["GTV_HOOK_URL"] == params["HookUrl"]
        assert not any("SECRET" in n or "PASS" in n for n in env)


def test_the_main_stack_outputs_what_a_node_takes_and_its_execution_role_reads_only_those_secrets() -> None:
    main = load_yaml((REPO / "template.yaml").read_text(encoding="utf-8"))
    node = load_yaml(NODE.read_text(encoding="utf-8"))
    outputs = main["Outputs"]
    for output, parameter in (
        ("MediaMtxApiSecretArn", "ApiPasswordSecretArn"),
        ("MediaMtxHookSecretArn", "HookSecretArn"),
        ("SecretsKeyArn", "SecretsKeyArn"),
        ("MediaMtxHookUrl", "HookUrl"),
    ):
        assert output in outputs and parameter in node["Parameters"], (output, parameter)
        assert parameter in outputs[output]["Description"]
    assert main["Resources"]["MediaMtxApiSecret"]["Properties"]["GenerateSecretString"]
    statements = [
        st
        for p in node["Resources"]["ExecutionRole"]["Properties"]["Policies"]
        for st in p["PolicyDocument"]["Statement"]
    ]
    assert {str(st["Action"]): st["Resource"] for st in statements} == {
        "secretsmanager:GetSecretValue": [{"Ref": "ApiPasswordSecretArn"}, {"Ref": "HookSecretArn"}],
        "kms:Decrypt": {"Ref": "SecretsKeyArn"},
    }
    # the functions that call MediaMTX get the password by ARN and may read that secret; no other function may
    functions = {k: v["Properties"] for k, v in main["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    readers = {
        name
        for name, props in functions.items()
        for pol in props.get("Policies", [])
        if isinstance(pol, dict)
        and pol.get("AWSSecretsManagerGetSecretValuePolicy", {}).get("SecretArn") == {"Ref": "MediaMtxApiSecret"}
    }
    with_arn = {
        name
        for name, props in functions.items()
        if "GTV_MEDIAMTX_PASSWORD_SECRET_ARN" in props.get("Environment", {}).get("Variables", {})
    }
    assert readers == with_arn == {"ApiFunction", "StreamHealthFunction"}
