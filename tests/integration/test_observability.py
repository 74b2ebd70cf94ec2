"""The API function flushes its metrics at the end of each request (EMF on stdout), like every handler."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_lpr_webhook import event, post


def _emf_blobs(out: str) -> list[dict[str, Any]]:
    blobs = []
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blobs.append(json.loads(line))
    return blobs


def test_api_metrics_appear_in_its_output_after_one_request(
    api: Any, world: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a camera with LPR and a watchlist entry for a plate
    cam = world.camera(lpr_enabled=True, location={"lat": -23.55, "lon": -46.63})
    r = api.call("POST", "/v1/watchlist", {"plate": "OBS1A23", "reason": "teste de métricas"}, world.manager_a)
    assert r.status == 201, r.text
    capsys.readouterr()  # only what the next request writes

    # When the camera's webhook reports that plate (one request, raising one watchlist alert)
    assert post(api, cam, event(plate="OBS1A23")).status == 202

    # Then the API printed the alert metric as CloudWatch EMF before the request ended
    blobs = _emf_blobs(capsys.readouterr().out)
    names = {m["Name"] for b in blobs for d in b["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert "LprAlert_watchlist" in names
    (blob,) = [b for b in blobs if "LprAlert_watchlist" in b]
    assert blob["LprAlert_watchlist"] in (1, 1.0, [1], [1.0])
    assert blob["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "GTVision"
