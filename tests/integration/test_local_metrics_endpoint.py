"""`GET /metrics` on the local API port: the EMF metrics the template's functions printed, in Prometheus
text format, with values that match the traffic that produced them (real runtime, PostgreSQL, moto)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mediamtx_standin import (
    PathsMediaMTX,
    spec,  # noqa: F401 - fixture reused as it is
)
from openapi_core import OpenAPI
from prometheus_client.parser import text_string_to_metric_families

from gtvision.core import signatures
from gtvision.core.settings import get_settings
from gtvision_local.runtime import Runtime
from gtvision_local.template import load_template

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def runtime(stack: dict[str, str]) -> Iterator[Runtime]:
    rt = Runtime(load_template(REPO / "template.yaml", endpoint_url=stack["aws_endpoint"]), api_port=0)
    rt.start()
    yield rt
    rt.stop()


def _http(url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def _scrape(base: str) -> dict[str, float]:
    status, ctype, raw = _http(f"{base}/metrics")
    assert status == 200 and ctype.startswith("text/plain"), (status, ctype)
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(raw.decode()):
        for sample in family.samples:
            out[sample.name] = out.get(sample.name, 0.0) + sample.value
    return out


def test_metrics_after_traffic_match_what_happened(
    world,
    runtime: Runtime,
    spec: OpenAPI,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runtime.gateway is not None
    base = runtime.gateway.url
    # Reads other tests left queued are this runtime's to ingest too: purge them and let the count settle first
    from gtvision.core import aws

    sqs = aws.client("sqs")
    sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName="gtvision-lpr-reads")["QueueUrl"])
    before = _scrape(base)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(2)
        now = _scrape(base)
        if now.get("gtvision_lpr_reads_ingested_total") == before.get("gtvision_lpr_reads_ingested_total"):
            break
        before = now

    # Given an LPR camera, three good reads and one that cannot be a plate, posted to the local API
    cam = world.camera(lpr_enabled=True, name="LPR métricas")
    window_start = datetime.now(UTC)
    for plate in ("ABC1D23", "BRA2E19", "XYZ9876", "@@"):
        raw = json.dumps({
            "event_id": uuid.uuid4().hex, "plate": plate, "confidence": 0.9,
            "captured_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }).encode()  # fmt: skip
        sig = signatures.sign(cam["webhook_secret"], raw, int(time.time()))
        status, _, _ = _http(
            f"{base}/v1/lpr/events",
            "POST",
            raw,
            {"Content-Type": "application/json", "X-GTV-Camera": cam["id"], "X-GTV-Signature": sig},
        )
        assert status == (422 if plate == "@@" else 202), plate

    # And a health run of StreamHealthFunction against a MediaMTX with one started camera live
    mtx = PathsMediaMTX(spec).start()
    monkeypatch.setenv("GTV_MEDIAMTX_API_URL", mtx.url)
    get_settings.cache_clear()
    try:
        live = world.camera(name="Ao vivo métricas")["id"]
        assert world.api.call("POST", f"/v1/cameras/{live}/stream/start", token=world.manager_a).status == 200
        mtx.stream(live, readers=("hlsSession", "hlsSession"))
        report = runtime.invoke("StreamHealthFunction", {"time": "2026-11-30T01:00:00Z"})
    finally:
        mtx.stop()
        get_settings.cache_clear()

    # Then /metrics shows exactly those counts and the run's fleet snapshot
    after = _scrape(base)
    delta = lambda name: after.get(name, 0.0) - before.get(name, 0.0)  # noqa: E731
    # (reads another test left in flight on the shared queue, redelivered meanwhile, count too: at most those)
    from gtvision.core import db

    with db.transaction() as conn:
        ours = conn.execute("SELECT count(*) AS n FROM plate_reads WHERE camera_id = %s", (cam["id"],)).fetchone()
        others = conn.execute(
            "SELECT count(*) AS n FROM plate_reads WHERE camera_id <> %s AND created_at >= %s",
            (cam["id"], window_start - timedelta(seconds=5)),
        ).fetchone()
    assert ours["n"] == 3
    assert 3 <= delta("gtvision_lpr_reads_ingested_total") <= 3 + others["n"]
    assert delta("gtvision_lpr_reads_rejected_total") == 1
    assert after["gtvision_cameras_online"] == report["online"] >= 1
    assert after["gtvision_cameras_offline"] == report["offline"]
    assert after["gtvision_viewers"] == report["viewers"] >= 2
    assert after["gtvision_streams_active"] == report["streams_active"]
