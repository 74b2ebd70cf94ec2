"""docker-compose's Prometheus + Grafana (Docker is not run): what they scrape, and three Grafana dashboards
(system, application, business) covering template.yaml's CloudWatch one, naming only metrics `GET /metrics` can
serve."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_ops_template import _dashboard_metrics, _emitted_metric_names

from gtvision_local.metrics import gauge_names, prometheus_name
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


def servable_metrics() -> set[str]:
    """Every metric name GET /metrics can serve: the functions' EMF metrics (counters get _total, fleet snapshots
    stay gauges) and the platform metrics of gtvision_local.platform_metrics (read from their exposition)."""
    from prometheus_client import CollectorRegistry, generate_latest

    from gtvision_local.platform_metrics import PlatformMetrics

    emf = {
        prometheus_name("GTVision", n) + ("" if n in gauge_names() else "_total")
        for n in _emitted_metric_names() | {"Clips_ready", "Clips_failed"}
    }
    registry = CollectorRegistry(auto_describe=False)
    PlatformMetrics(registry)
    text = generate_latest(registry).decode()
    platform = set(re.findall(r"^# TYPE (\S+) (\S+)", text, re.M))
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    return emf | {name.removesuffix("_total") + suffix for name, kind in platform for suffix in suffixes[kind]}


def named_metrics(exprs: str) -> set[str]:
    """The GT-Vision and AWS-parity metric names a PromQL text uses."""
    return set(re.findall(r"\b(?:gtvision|aws)_[a-z0-9_]+", exprs))


def _dashboards() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))}


def test_three_dashboards_system_application_business_with_17_panels() -> None:
    dashboards = _dashboards()
    assert set(dashboards) == {"gtvision-system", "gtvision-application", "gtvision-business"}
    assert sum(len(d["panels"]) for d in dashboards.values()) == 17
    for name, doc in dashboards.items():
        assert doc["uid"] == name and len({p["id"] for p in doc["panels"]}) == len(doc["panels"])
        assert all(p["targets"] and p["title"] for p in doc["panels"])


def test_grafana_dashboards_match_the_cloudwatch_one_and_name_only_servable_metrics() -> None:
    exprs = " ".join(t["expr"] for d in _dashboards().values() for p in d["panels"] for t in p["targets"])
    used = named_metrics(exprs)
    assert used and used - servable_metrics() == set(), "a Grafana dashboard names metrics /metrics never serves"
    # Every GT-Vision metric of the CloudWatch dashboard is on a Grafana one too
    body = load_yaml((ROOT / "template.yaml").read_text())["Resources"]["OperationsDashboard"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body["Properties"]["DashboardBody"]["Fn::Sub"]))["widgets"]
    cloudwatch = {
        prometheus_name("GTVision", m) + ("" if m in gauge_names() else "_total")
        for ns, m in _dashboard_metrics(widgets)
        if ns == "GTVision"
    }
    assert cloudwatch - used == set()
