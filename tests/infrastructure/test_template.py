"""template.yaml is valid CloudFormation, transforms as SAM, and its Api events are the chalice app's routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gtvision_local.cfn import load_yaml
from gtvision_local.template import Template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"


def test_cfn_lint_passes() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(TEMPLATE)
    assert [str(m) for m in matches] == []


class _NoManagedPolicies:
    """The translator only asks for AWS managed policy ARNs by name; SAM policy templates need none."""

    def load(self) -> dict[str, str]:
        return {}


def test_sam_translator_transforms_the_template() -> None:
    from samtranslator.translator.transform import transform

    doc = load_yaml(TEMPLATE.read_text(encoding="utf-8"))
    local_dirs = []
    for spec in doc["Resources"].values():
        # `sam package` uploads local code and rewrites the URIs to S3 before the transform runs.
        for key in ("CodeUri", "ContentUri"):
            uri = spec.get("Properties", {}).get(key)
            if isinstance(uri, str) and not uri.startswith("s3://"):
                local_dirs.append(uri)
                spec["Properties"][key] = f"s3://gtvision-artifacts/{uri.strip('/')}.zip"
        # ... and pushes each container image function's image, naming it in ImageUri.
        if spec.get("Properties", {}).get("PackageType") == "Image":
            local_dirs.append(spec["Metadata"]["DockerContext"])
            assert (REPO / spec["Metadata"]["DockerContext"] / spec["Metadata"]["Dockerfile"]).is_file()
            spec["Properties"]["ImageUri"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/gtvision:redaction"
    output = transform(doc, {}, _NoManagedPolicies())
    resources: dict[str, Any] = output["Resources"]
    functions = {k for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    assert "ApiFunction" in functions
    for logical_id, spec in Template(TEMPLATE).resources.items():
        if spec["Type"] == "AWS::Serverless::Function":
            assert logical_id in functions
    for uri in local_dirs:
        assert (REPO / uri).is_dir(), f"{uri} does not exist"


def test_sqs_event_sources_report_batch_item_failures() -> None:
    """Every SQS-triggered function returns partial batch failures, so one bad record fails alone."""
    from gtvision_local.template import SqsEvent

    for fn in Template(TEMPLATE).functions():
        for event in fn.events_of(SqsEvent):
            assert event.reports_batch_item_failures, f"{fn.logical_id}.{event.name}"


def test_api_is_one_proxy_resource_and_every_app_route_is_reachable() -> None:
    """One `/{proxy+}` + `/` event (one Lambda permission each), and every @app.route reached through them."""
    if not (REPO / "functions" / "api" / "app.py").exists():
        pytest.skip("functions/api/app.py does not exist yet: nothing to compare the Api events with")
    from gtvision_local.routes import PROXY_EVENTS, app_routes, synced_text, template_routes, unreachable_routes

    template = Template(TEMPLATE)
    assert template_routes(template) == sorted((path, method) for _, path, method in PROXY_EVENTS)
    assert synced_text(TEMPLATE.read_text(encoding="utf-8")) == TEMPLATE.read_text(encoding="utf-8"), (
        "run `gtvision routes sync`"
    )
    assert len(app_routes(template)) > 40
    assert unreachable_routes(template) == []


def test_transformed_api_has_one_permission_per_proxy_event() -> None:
    from samtranslator.translator.transform import transform

    doc = load_yaml(TEMPLATE.read_text(encoding="utf-8"))
    for spec in doc["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if isinstance(spec.get("Properties", {}).get(key), str):
                spec["Properties"][key] = "s3://gtvision-artifacts/x.zip"
        if spec.get("Properties", {}).get("PackageType") == "Image":
            spec["Properties"]["ImageUri"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/gtvision:redaction"
    resources = transform(doc, {}, _NoManagedPolicies())["Resources"]
    permissions = [
        k
        for k, v in resources.items()
        if v["Type"] == "AWS::Lambda::Permission" and v["Properties"]["FunctionName"] == {"Ref": "ApiFunctionAliaslive"}
    ]
    assert len(permissions) == 2, permissions


def _doc() -> dict[str, Any]:
    return load_yaml(TEMPLATE.read_text(encoding="utf-8"))


def test_sqs_sources_bound_concurrency_and_queues_outlive_six_timeouts() -> None:
    """A burst can't exhaust database connections (ADR 0015), and a message is never redelivered mid-run."""
    doc = _doc()
    resources = doc["Resources"]
    default_timeout = doc["Globals"]["Function"].get("Timeout", 3)
    checked = 0
    for lid, res in resources.items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        timeout = res["Properties"].get("Timeout", default_timeout)
        for name, event in (res["Properties"].get("Events") or {}).items():
            if event["Type"] != "SQS":
                continue
            checked += 1
            props = event["Properties"]
            assert props.get("ScalingConfig", {}).get("MaximumConcurrency", 0) >= 2, f"{lid}.{name}"
            queue = resources[props["Queue"]["Fn::GetAtt"][0]]["Properties"]
            assert queue["VisibilityTimeout"] >= 6 * timeout, f"{lid}.{name}: visibility < 6 x {timeout}"
    assert checked >= 3
    api = resources["ApiFunction"]["Properties"]
    assert api["ReservedConcurrentExecutions"] == {"Ref": "ApiReservedConcurrency"}


def test_every_function_has_a_log_group_with_retention_and_the_bucket_is_evidence_grade() -> None:
    resources = _doc()["Resources"]
    groups = {
        str(r["Properties"]["LogGroupName"]["Fn::Sub"]): r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    for lid, res in resources.items():
        if res["Type"] == "AWS::Serverless::Function":
            assert groups[f"/aws/lambda/${{{lid}}}"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    bucket = resources["RecordingsBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    assert all(props["PublicAccessBlockConfiguration"].values())
    (tls,) = [
        st
        for st in resources["RecordingsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if st.get("Sid") == "TlsOnly"
    ]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
