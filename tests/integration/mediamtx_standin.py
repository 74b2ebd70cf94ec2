"""A MediaMTX stand-in for tests: its control API (v3) in memory, every exchange validated against MediaMTX's
OpenAPI spec (`tests/fixtures/mediamtx/openapi.yaml`, made strict: MediaMTX refuses unknown JSON fields).

`FakeMediaMTX` keeps path configs and live paths; `PathsMediaMTX` adds `GET /v3/paths/list` over streams whose
byte counters follow a clock the test moves, and can forget every path added through the API, as a MediaMTX
restart does. Any exchange outside the spec is recorded in `violations` (the fixtures fail on it).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from gtvision_local.jsonserver import JsonRequest, JsonServer

SPEC_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "mediamtx" / "openapi.yaml"
# openapi-core matches the request's server against `servers`; the real host is irrelevant to the contract.
SPEC_SERVER = "http://localhost:9997"


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    doc = yaml.safe_load(SPEC_FILE.read_text())
    strict = copy.deepcopy(doc)
    for schema in strict["components"]["schemas"].values():
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
    return OpenAPI.from_dict(strict)


def _go_duration(value: str) -> str:
    """MediaMTX echoes durations in Go's format: 60s comes back as 1m0s."""
    seconds = int(value.rstrip("s")) if value.endswith("s") and value[:-1].isdigit() else None
    if seconds is None:
        return value
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


class FakeMediaMTX:
    """In-memory MediaMTX control API (the subset of v3 the client uses), validated against the spec."""

    def __init__(self, spec: OpenAPI) -> None:
        self.spec = spec
        self.confs: dict[str, dict[str, Any]] = {}
        self.live: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.bodies: list[Any] = []
        self.auth: list[str | None] = []
        self.violations: list[str] = []
        self.fail_next: tuple[int, str] | None = None
        self.hide_conf_once = False
        self._server = JsonServer(self._serve, name="fake-mediamtx")
        self.url = self._server.url

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> FakeMediaMTX:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def go_live(self, name: str, readers: int = 0) -> None:
        """Simulate the camera stream coming online in MediaMTX (what pulling the source would do)."""
        self.live[name] = {
            "name": name,
            "confName": name,
            "source": {"type": "rtspSource", "id": ""},
            "available": True,
            "availableTime": "2026-11-23T12:00:00.123456Z",
            "online": True,
            "onlineTime": "2026-11-23T12:00:00.123456Z",
            "ready": True,
            "readyTime": "2026-11-23T12:00:00.123456Z",
            # codecProps is left out: the spec's oneOf cannot tell H264 props from H265 props.
            "tracks": ["H264", "MPEG-4 Audio"],
            "tracks2": [{"codec": "H264"}, {"codec": "MPEG-4 Audio"}],
            "inboundBytes": 123456,
            "outboundBytes": 654321,
            "inboundFramesInError": 0,
            "readers": [{"type": "hlsSession", "id": f"r{i}"} for i in range(readers)],
        }

    # -- MediaMTX behaviour -------------------------------------------------------------------------
    def answer(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        if self.fail_next is not None:
            status, message = self.fail_next
            self.fail_next = None
            return status, {"status": "error", "error": message}
        parts = path.strip("/").split("/")
        name = unquote(parts[-1])
        route = "/".join(parts[:-1])
        if (method, route) == ("GET", "v3/config/paths/get"):
            if name not in self.confs or self.hide_conf_once:
                self.hide_conf_once = False
                return 404, {"status": "error", "error": "path configuration not found"}
            return 200, {"name": name, **self.confs[name]}
        if (method, route) == ("POST", "v3/config/paths/add"):
            if name in self.confs:
                return 400, {"status": "error", "error": "path already exists"}
            self.confs[name] = self._stored(body)
            return 200, {"status": "ok"}
        if (method, route) == ("PATCH", "v3/config/paths/patch"):
            if name not in self.confs:
                return 404, {"status": "error", "error": "path configuration not found"}
            self.confs[name].update(self._stored(body))
            return 200, {"status": "ok"}
        if (method, route) == ("DELETE", "v3/config/paths/delete"):
            if self.confs.pop(name, None) is None:
                return 404, {"status": "error", "error": "path configuration not found"}
            self.live.pop(name, None)
            return 200, {"status": "ok"}
        if (method, route) == ("GET", "v3/paths/get"):
            if name not in self.live:
                return 404, {"status": "error", "error": "path not found"}
            return 200, self.live[name]
        return 400, {"status": "error", "error": f"fake has no behaviour for {method} {path}"}

    @staticmethod
    def _stored(body: dict[str, Any]) -> dict[str, Any]:
        stored = dict(body)
        if "recordSegmentDuration" in stored:
            stored["recordSegmentDuration"] = _go_duration(stored["recordSegmentDuration"])
        return stored

    def _serve(self, request: JsonRequest) -> tuple[int, Any]:
        """Every request and answer is checked against openapi.yaml; what breaks it is a violation."""
        self.calls.append((request.method, request.target))
        self.auth.append(request.headers.get("Authorization"))
        mock = MockRequest(
            SPEC_SERVER,
            request.method.lower(),
            request.path,
            args=request.query,
            data=request.raw or None,
            content_type=request.headers.get("Content-Type") or "application/json",
        )
        try:
            self.spec.validate_request(mock)
        except Exception as exc:  # any openapi-core error is a contract violation
            self.violations.append(f"request {request.method} {request.target}: {type(exc).__name__}: {exc}")
            return 400, {"status": "error", "error": "request violates openapi.yaml"}
        self.bodies.append(request.body)
        status, answer = self.answer(request.method, request.target, request.body)
        try:
            self.spec.validate_response(mock, MockResponse(json.dumps(answer).encode(), status))
        except Exception as exc:
            self.violations.append(f"response {status} to {request.method} {request.target}: {exc}")
        return status, answer


@pytest.fixture
def fake(spec: OpenAPI) -> Iterator[FakeMediaMTX]:
    server = FakeMediaMTX(spec).start()
    yield server
    server.stop()
    assert server.violations == [], "client sent or fake answered outside openapi.yaml"


RATE_BPS = 2_000_000  # what PathsMediaMTX's counters grow by unless told: 2 Mbit/s


class PathsMediaMTX(FakeMediaMTX):
    """FakeMediaMTX plus `GET /v3/paths/list` (paged) over streams whose counters follow `clock`."""

    def __init__(self, openapi: OpenAPI) -> None:
        super().__init__(openapi)
        self.clock = datetime.now(UTC)
        self.streams: dict[str, dict[str, Any]] = {}
        self.page_size_cap = 2  # MediaMTX pages at the client's itemsPerPage; capped here to force paging
        self.list_calls = 0
        #: A path added through the API starts pulling at once (its source comes online at the clock).
        self.pull_on_add = False
        #: Adding paths fails (500), as MediaMTX still starting up or out of resources would.
        self.refuse_adds = False

    def restart(self) -> None:
        """What a MediaMTX restart does to paths added through its control API: gone, config and runtime."""
        self.confs.clear()
        self.live.clear()
        self.streams.clear()

    def adds(self) -> list[str]:
        """Names of the paths added through the API so far, in order."""
        return [unquote(p.rsplit("/", 1)[1]) for m, p in self.calls if m == "POST" and "/v3/config/paths/add/" in p]

    def stream(self, name: str, rate_bps: int = RATE_BPS, readers: tuple[str, ...] = (), online: bool = True) -> None:
        """Start (or restart: new onlineTime, counters from zero) a live stream at the clock."""
        self.streams[name] = {"since": self.clock, "rate": rate_bps, "readers": readers, "online": online, "errors": 0}

    def _path(self, name: str) -> dict[str, Any]:
        s = self.streams[name]
        since = s["since"].isoformat().replace("+00:00", "Z")
        inbound = int(s["rate"] / 8 * max(0.0, (self.clock - s["since"]).total_seconds()))
        return {
            "name": name,
            "confName": name,
            "source": {"type": "rtspSource", "id": ""},
            "available": s["online"],
            "availableTime": since if s["online"] else None,
            "online": s["online"],
            "onlineTime": since if s["online"] else None,
            "tracks2": [{"codec": "H264"}, {"codec": "MPEG-4 Audio"}],
            "inboundBytes": inbound if s["online"] else 0,
            "outboundBytes": 0,
            "inboundFramesInError": s["errors"],
            "readers": [{"type": t, "id": f"r{i}"} for i, t in enumerate(s["readers"])],
        }

    def answer(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path.startswith("/v3/paths/list"):
            self.list_calls += 1
            q = parse_qs(urlsplit(path).query)
            per = min(int(q.get("itemsPerPage", ["100"])[0]), self.page_size_cap)
            page = int(q.get("page", ["0"])[0])
            items = [self._path(n) for n in sorted(self.streams)]
            return 200, {
                "itemCount": len(items),
                "pageCount": math.ceil(len(items) / per),
                "items": items[page * per : (page + 1) * per],
            }
        if method == "POST" and path.startswith("/v3/config/paths/add/"):
            if self.refuse_adds:
                return 500, {"status": "error", "error": "server is starting"}
            status, answer = super().answer(method, path, body)
            if status == 200 and self.pull_on_add:
                self.stream(unquote(path.rsplit("/", 1)[1]))
            return status, answer
        return super().answer(method, path, body)
