"""The contract in the repository: `/v1/openapi.json` is complete (parameters, bodies, response schemas from
the pydantic models), valid OpenAPI 3.1, and equal to the committed `docs/openapi.json`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openapi_spec_validator import validate
from utils import ApiClient

REPO = Path(__file__).resolve().parents[2]


def test_served_document_equals_the_committed_one(api: ApiClient) -> None:
    served = api.call("GET", "/v1/openapi.json")
    assert served.status == 200
    committed = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert served.json() == committed, "docs/openapi.json está desatualizado: rode `make openapi`"


def test_the_check_command_agrees() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "gtvision_local.cli", "openapi", "--check"], cwd=REPO, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr


def test_document_is_valid_openapi_31_and_complete(api: ApiClient) -> None:
    doc = api.call("GET", "/v1/openapi.json").json()
    validate(doc)  # raises on an invalid document
    assert doc["openapi"] == "3.1.0"
    routes = {(m, p) for p, methods in api.app.routes.items() for m in methods}
    declared = {
        (m, p)
        for p, methods in api.app.routes.items()
        for m, e in methods.items()
        if hasattr(e.view_function, "__gtv_op__")
    }
    # Every route is described: declared once, on its decorator.
    assert routes == declared, routes - declared
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert "default" in op["responses"], (method, path)
            assert [s for s in op["responses"] if s != "default"], (method, path)
            if method in ("post", "patch") and op["operationId"] not in (
                "start_stream",
                "stop_stream",
                "logout",
                "take_reference_view",
                "enrol_2fa",
            ):
                assert "requestBody" in op, (method, path)
    clips = doc["paths"]["/v1/clips"]
    body = clips["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ClipIn"}
    assert {p["name"] for p in clips["get"]["parameters"]} == {"camera_id", "status", "limit", "cursor"}
    schemas = doc["components"]["schemas"]
    assert schemas["ClipIn"]["additionalProperties"] is False and set(schemas["ClipIn"]["required"]) >= {"camera_id"}
    assert set(schemas["ClipOut"]["required"]) >= {"id", "status", "download_url", "sha256"}
    timeline = doc["paths"]["/v1/cameras/{camera_id}/timeline"]["get"]
    assert [(p["name"], p["required"]) for p in timeline["parameters"]] == [
        ("camera_id", True),
        ("from", True),
        ("to", True),
    ]
    assert timeline["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Timeline")
    playback = doc["paths"]["/v1/cameras/{camera_id}/playback.m3u8"]["get"]["responses"]["200"]["content"]
    assert list(playback) == ["application/vnd.apple.mpegurl"]
    # Who may call: roles beside security, public routes without it.
    assert doc["paths"]["/v1/cities"]["post"]["x-roles"] == ["admin"]
    assert "security" not in doc["paths"]["/v1/lpr/events"]["post"]
