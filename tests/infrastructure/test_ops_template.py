"""template.yaml's operations side: the health poller's schedule, alarms (every queue covered, pt-BR
descriptions that say what to do, all to the alarm topic) and a dashboard whose body is valid JSON
naming only metrics the code emits."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gtvision_local.template import load_yaml

REPO = Path(__file__).resolve().parents[2]
CODE_DIRS = [REPO / "layers" / "gtvision" / "python" / "gtvision", REPO / "functions"]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(load_yaml((REPO / "template.yaml").read_text())["Resources"])


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def _alarms_on(resources: dict[str, Any], metric: str) -> dict[str, str]:
    """QueueName logical id → alarm name, for alarms on an SQS metric."""
    out = {}
    for name, alarm in _of_type(resources, "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        if props.get("Namespace") == "AWS/SQS" and props.get("MetricName") == metric:
            for dim in props.get("Dimensions", []):
                value = dim["Value"]
                if isinstance(value, dict) and "Fn::GetAtt" in value:
                    target = value["Fn::GetAtt"]
                    out[target[0] if isinstance(target, list) else target.split(".")[0]] = name
    return out


def test_stream_health_function_runs_every_minute(resources: dict[str, Any]) -> None:
    fn = resources["StreamHealthFunction"]["Properties"]
    events = list(fn["Events"].values())
    assert [e["Properties"]["Schedule"] for e in events if e["Type"] == "Schedule"] == ["rate(1 minute)"]
    assert fn["Handler"] == "handler.handler" and (REPO / fn["CodeUri"] / "handler.py").is_file()


def test_every_dlq_has_a_not_empty_alarm_and_every_source_queue_an_age_alarm(resources: dict[str, Any]) -> None:
    queues = _of_type(resources, "AWS::SQS::Queue")
    dlqs = set()
    sources = set()
    for name, queue in queues.items():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            sources.add(name)
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"]
            dlqs.add(target[0] if isinstance(target, list) else target.split(".")[0])
    assert dlqs and sources and dlqs | sources == set(queues), "every queue is a source or a DLQ"
    assert set(_alarms_on(resources, "ApproximateNumberOfMessagesVisible")) >= dlqs
    assert set(_alarms_on(resources, "ApproximateAgeOfOldestMessage")) >= sources


def test_alarms_are_in_portuguese_and_notify_the_ops_topic(resources: dict[str, Any]) -> None:
    alarms = _of_type(resources, "AWS::CloudWatch::Alarm")
    metrics = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms.values()}
    # The minimum set
    assert metrics >= {
        ("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles"), ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Latency"), ("GTVision", "CamerasOfflinePercent"), ("GTVision", "RecordingsStalled"),
        ("GTVision", "LprReadsIngested"),
    }  # fmt: skip
    pt_words = re.compile(r"\b(verifique|veja|confira|corrija|abra)\b", re.IGNORECASE)
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert pt_words.search(props["AlarmDescription"]), f"{name}: a descrição deve dizer ao operador o que fazer"
        assert props["AlarmActions"] == [{"Ref": "OpsAlarmTopic"}], name
    assert resources["OpsAlarmTopic"]["Type"] == "AWS::SNS::Topic"


def _emitted_metric_names() -> set[str]:
    names: set[str] = set()
    for root in CODE_DIRS:
        for path in root.rglob("*.py"):
            names |= set(re.findall(r'name=f?"([A-Za-z_]+)', path.read_text()))
    return names


def _dashboard_metrics(widgets: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(namespace, metric) of every row, resolving CloudWatch's "." and "..." repeat shorthands."""
    out = set()
    for widget in widgets:
        namespace = metric = ""
        for row in widget["properties"]["metrics"]:
            if row[0] == "...":
                pass
            elif row[0] == ".":
                metric = row[1]
            else:
                namespace, metric = row[0], row[1]
            out.add((namespace, metric))
    return out


def test_dashboard_body_is_json_of_emitted_metrics(resources: dict[str, Any]) -> None:
    body = resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    doc = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    widgets = doc["widgets"]
    assert {w["properties"]["title"] for w in widgets} >= {"Frota de câmeras", "API", "Filas", "Funções"}
    ours = {m for ns, m in _dashboard_metrics(widgets) if ns == "GTVision"}
    assert {"CamerasOnline", "CamerasOffline", "Viewers", "RecordingLagMaxSeconds", "LprReadsIngested"} <= ours
    emitted = _emitted_metric_names() | {"Clips_ready", "Clips_failed"}  # f"Clips_{outcome}"
    assert ours - emitted == set(), "the dashboard names metrics nobody emits"
