"""docker-compose's Prometheus + Grafana (Docker is not run): what they scrape, and a Grafana dashboard
equivalent to template.yaml's CloudWatch one, naming only metrics `GET /metrics` can serve."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_ops_template import _dashboard_metrics, _emitted_metric_names

from gtvision.health.poll import FLEET_GAUGES
from gtvision_local.metrics import prometheus_name
from gtvision_local.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "local" / "grafana"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_prometheus_scrapes_the_api_and_mediamtx(compose: dict[str, Any]) -> None:
    prom = compose["services"]["prometheus"]
    mount = next(v for v in prom["volumes"] if v.endswith(":/etc/prometheus/prometheus.yml:ro"))
    config = yaml.safe_load((ROOT / mount.split(":")[0]).read_text())
    targets = {j["job_name"]: (j["metrics_path"], j["static_configs"][0]["targets"]) for j in config["scrape_configs"]}
    assert targets["gtvision"] == ("/metrics", ["host.docker.internal:3000"])
    mtx_conf = yaml.safe_load((ROOT / "mediamtx.yml").read_text())
    assert mtx_conf["metrics"] is True
    assert targets["mediamtx"] == ("/metrics", [f"mediamtx{mtx_conf['metricsAddress']}"])
    scrape_user = next(j for j in config["scrape_configs"] if j["job_name"] == "mediamtx")["basic_auth"]["username"]
    user = next(u for u in mtx_conf["authInternalUsers"] if u["user"] == scrape_user)
    assert {"action": "metrics"} in user["permissions"]


def test_grafana_is_provisioned_with_the_dashboard(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    assert "./local/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert "./local/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]
    sources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = sources["datasources"][0]["uid"]
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "gtvision.yml").read_text())
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboards = list((GRAFANA / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        doc = json.loads(path.read_text())
        assert doc["panels"] and all(p["datasource"]["uid"] == uid for p in doc["panels"])


def test_grafana_dashboard_matches_the_cloudwatch_one_and_the_emitted_metrics() -> None:
    doc = json.loads((GRAFANA / "dashboards" / "gtvision-operations.json").read_text())
    exprs = " ".join(t["expr"] for p in doc["panels"] for t in p["targets"])
    used = set(re.findall(r"\bgtvision_[a-z0-9_]+", exprs))
    # What the local /metrics can serve: counters get _total, fleet snapshots stay gauges
    servable = {
        prometheus_name("GTVision", n) + ("" if n in FLEET_GAUGES else "_total")
        for n in _emitted_metric_names() | {"Clips_ready", "Clips_failed"}
    }
    assert used and used - servable == set(), "the Grafana dashboard names metrics /metrics never serves"
    # Every GT-Vision metric of the CloudWatch dashboard is on the Grafana one too
    body = load_yaml((ROOT / "template.yaml").read_text())["Resources"]["OperationsDashboard"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body["Properties"]["DashboardBody"]["Fn::Sub"]))["widgets"]
    cloudwatch = {
        prometheus_name("GTVision", m) + ("" if m in FLEET_GAUGES else "_total")
        for ns, m in _dashboard_metrics(widgets) if ns == "GTVision"
    }  # fmt: skip
    assert cloudwatch - used == set()
