"""The local alarms: Prometheus rules that are the twins of template.yaml's CloudWatch alarms, checked and unit
tested with promtool (Debian's `prometheus` package), and the Alertmanager that posts them to GT-Vision."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_local_observability import named_metrics, servable_metrics

from gtvision_local.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "local" / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((ROOT / "local" / "prometheus" / "tests").glob("*.yml"))
ALERTMANAGER = ROOT / "local" / "alertmanager" / "alertmanager.yml"
#: CloudWatch alarms without a local twin, and why.
NO_TWIN = {"FunctionThrottlesAlarm": "nothing throttles the local runtime"}


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.skip(f"{name} não instalado (apt-get install prometheus prometheus-alertmanager)")
    return path


def _rules() -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for f in RULES for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"]}


def _alarms() -> dict[str, dict[str, Any]]:
    resources = load_yaml((ROOT / "template.yaml").read_text())["Resources"]
    return {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}


def test_promtool_checks_the_rules() -> None:
    run = subprocess.run([_tool("promtool"), "check", "rules", *map(str, RULES)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in run.stdout


def test_promtool_unit_tests_of_every_rule_pass() -> None:
    run = subprocess.run([_tool("promtool"), "test", "rules", *map(str, RULE_TESTS)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    tested = set(re.findall(r"alertname: (\w+)", "".join(f.read_text() for f in RULE_TESTS)))
    assert tested == set(_rules()), "every rule has unit tests (firing and quiet)"


def test_every_cloudwatch_alarm_has_a_prometheus_twin_with_its_threshold() -> None:
    rules = _rules()
    by_alarm: dict[str, list[str]] = {}
    for name, rule in rules.items():
        if "aws_alarm" in rule.get("labels", {}):
            by_alarm.setdefault(rule["labels"]["aws_alarm"], []).append(name)
    dlq_rule = " ".join(rules["DeadLetterQueueNotEmpty"]["expr"].split())
    age_rule = " ".join(rules["QueueMessageTooOld"]["expr"].split())
    for logical_id, alarm in _alarms().items():
        if logical_id in NO_TWIN:
            continue
        threshold = float(alarm["Threshold"])
        if alarm["Namespace"] == "AWS/SQS":
            queue = alarm["Dimensions"][0]["Value"]["Fn::GetAtt"]
            queue = queue[0] if isinstance(queue, list) else queue.split(".")[0]
            if alarm["MetricName"] == "ApproximateNumberOfMessagesVisible":  # every DLQ, by the dead_letter label
                assert queue.endswith("DLQ") and 'dead_letter="true"' in dlq_rule and dlq_rule.endswith("> 0")
            else:
                branch = next((b for b in age_rule.split(" or ") if queue in b), None)
                assert branch is not None and branch.endswith(f"> {threshold:g}"), (logical_id, age_rule)
            continue
        assert by_alarm.get(logical_id), f"{logical_id} has no Prometheus twin (label aws_alarm)"
        exprs = " ".join(rules[r]["expr"] for r in by_alarm[logical_id])
        limit = threshold / 1000 if alarm["MetricName"] == "Latency" else threshold  # CloudWatch ms, Prometheus s
        assert re.search(rf"(>=|>|<) {limit:g}\b", exprs), (logical_id, exprs)


def test_rules_name_only_metrics_get_metrics_serves_and_speak_portuguese() -> None:
    rules = _rules()
    used = named_metrics(" ".join(r["expr"] for r in rules.values()))
    assert used and used - servable_metrics() == set()
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert rule["annotations"]["summary"] and re.search(
            r"\b(verifique|veja|confira|corrija|libere|procure)\b", rule["annotations"]["description"], re.I
        ), f"{name}: a descrição deve dizer ao operador o que fazer"


def test_alertmanager_posts_every_alert_and_its_resolution_to_the_hook_with_a_bearer_secret() -> None:
    config = yaml.safe_load(ALERTMANAGER.read_text())
    receiver = next(r for r in config["receivers"] if r["name"] == config["route"]["receiver"])
    (webhook,) = receiver["webhook_configs"]
    assert webhook["url"].endswith(":3000/v1/hooks/alertmanager") and webhook["send_resolved"] is True
    auth = webhook["http_config"]["authorization"]
    assert auth["type"] == "Bearer" and "credentials" not in auth  # the secret is never in the repository
    # docker-compose writes GTV_ALERTMANAGER_HOOK_SECRET into that file before Alertmanager starts
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    am = compose["alertmanager"]
    assert f"> {auth['credentials_file']} &&" in am["entrypoint"][-1]
    assert (
        "GTV_ALERTMANAGER_HOOK_SECRET" in am["entrypoint"][-1] and "GTV_ALERTMANAGER_HOOK_SECRET" in am["environment"]
    )
    assert "./local/alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro" in am["volumes"]
    # Prometheus evaluates the mounted rules and sends to that Alertmanager
    prom = compose["prometheus"]
    assert "./local/prometheus/rules:/etc/prometheus/rules:ro" in prom["volumes"]
    prom_config = yaml.safe_load((ROOT / "local" / "prometheus" / "prometheus.yml").read_text())
    assert prom_config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    targets = prom_config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"] and "127.0.0.1:9093:9093" in am["ports"]
    check = subprocess.run([_tool("amtool"), "check-config", str(ALERTMANAGER)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
