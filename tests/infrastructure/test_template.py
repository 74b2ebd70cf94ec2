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


def test_api_events_equal_chalice_routes() -> None:
    if not (REPO / "functions" / "api" / "app.py").exists():
        pytest.skip("functions/api/app.py does not exist yet: nothing to compare the Api events with")
    from gtvision_local.routes import app_routes, template_routes

    template = Template(TEMPLATE)
    assert template_routes(template) == app_routes(template), (
        "template.yaml Api events differ from the chalice routes: run `gtvision routes sync`"
    )
