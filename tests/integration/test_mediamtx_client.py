"""MediaMTXClient against a local HTTP server that checks every exchange with MediaMTX's OpenAPI spec.

The fake keeps MediaMTX's path configs and live paths in memory. Each request the client sends is
validated (path, method, parameters, body) with openapi-core before it is answered, and each answer the
fake fabricates is validated too; any violation fails the test at teardown. The spec is made strict
(`additionalProperties: false`) because MediaMTX refuses unknown JSON fields (conf/jsonwrapper).
"""

from __future__ import annotations

import base64
import copy
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from gtvision.streams.mediamtx import (
    RECORD_PATH,
    MediaMTXClient,
    MediaMTXRejected,
    MediaMTXUnavailable,
    PathNotFound,
    PathTrack,
)
from gtvision_local.jsonserver import JsonRequest, JsonServer

SPEC_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "mediamtx" / "openapi.yaml"
# openapi-core matches the request's server against `servers`; the real host is irrelevant to the contract.
SPEC_SERVER = "http://localhost:9997"
CAM = "6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b"
SECRET = "s3nh@-Sup3r#Secreta"
SOURCE = "rtsp://operador:s3nh%40-Sup3r%23Secreta@10.20.0.15:554/Streaming/Channels/101"


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


def _client(url: str, **kw: Any) -> MediaMTXClient:
    return MediaMTXClient(
        url,
        "https://live.example.gov.br:8888",
        "https://live.example.gov.br:8889/",
        "rtsp://live.example.gov.br:8554",
        **kw,
    )


def test_ensure_path_adds_then_patches_then_leaves_unchanged(fake: FakeMediaMTX) -> None:
    # Given an empty MediaMTX
    client = _client(fake.url)

    # When the camera's path is ensured for the first time
    client.ensure_path(CAM, SOURCE)

    # Then it is added with the source, always-on pull and the contract's recording settings
    assert fake.calls == [("GET", f"/v3/config/paths/get/{CAM}"), ("POST", f"/v3/config/paths/add/{CAM}")]
    conf = fake.confs[CAM]
    assert conf["source"] == SOURCE
    assert conf["sourceOnDemand"] is False
    assert conf["record"] is True
    assert conf["recordFormat"] == "fmp4"
    assert conf["recordPath"] == RECORD_PATH == "recordings/%path/%Y-%m-%d_%H-%M-%S-%f"
    assert conf["recordSegmentDuration"] == "1m0s"

    # When it is ensured again with the same values, nothing is changed (no reload of a live stream)
    fake.calls.clear()
    client.ensure_path(CAM, SOURCE)
    assert fake.calls == [("GET", f"/v3/config/paths/get/{CAM}")]

    # When the camera changes (new URL, recording off), the existing config is patched
    fake.calls.clear()
    new_source = SOURCE.replace("10.20.0.15", "10.20.0.16")
    client.ensure_path(CAM, new_source, record=False)
    assert fake.calls == [("GET", f"/v3/config/paths/get/{CAM}"), ("PATCH", f"/v3/config/paths/patch/{CAM}")]
    assert fake.confs[CAM]["source"] == new_source
    assert fake.confs[CAM]["record"] is False


def test_ensure_path_patches_when_added_concurrently(fake: FakeMediaMTX) -> None:
    # Given a path another worker adds between our GET and our POST
    client = _client(fake.url)
    client.ensure_path(CAM, SOURCE)
    fake.calls.clear()
    fake.hide_conf_once = True

    # When ensured with record off
    client.ensure_path(CAM, SOURCE, record=False)

    # Then the add's "already exists" turns into a patch
    assert [m for m, _ in fake.calls] == ["GET", "POST", "PATCH"]
    assert fake.confs[CAM]["record"] is False


def test_remove_path_deletes_and_reports_missing(fake: FakeMediaMTX) -> None:
    # Given a configured, live path
    client = _client(fake.url)
    client.ensure_path(CAM, SOURCE)
    fake.go_live(CAM)

    # When removed
    client.remove_path(CAM)

    # Then its config and live path are gone
    assert fake.calls[-1] == ("DELETE", f"/v3/config/paths/delete/{CAM}")
    assert CAM not in fake.confs and CAM not in fake.live

    # And removing it again is a PathNotFound (404), unless the caller says missing is fine
    with pytest.raises(PathNotFound) as err:
        client.remove_path(CAM)
    assert err.value.status == 404 and err.value.code == "stream_not_found"
    client.remove_path(CAM, missing_ok=True)


def test_path_status_of_live_and_unknown_paths(fake: FakeMediaMTX) -> None:
    # Given a live path with two readers
    client = _client(fake.url)
    client.ensure_path(CAM, SOURCE)
    fake.go_live(CAM, readers=2)

    # When its status is read
    status = client.path_status(CAM)

    # Then the runtime state is typed
    assert status.name == CAM
    assert status.ready is True and status.source_ready is True
    assert status.readers == 2
    assert status.source_type == "rtspSource"
    assert status.tracks == (PathTrack("H264"), PathTrack("MPEG-4 Audio"))
    assert status.inbound_bytes == 123456
    assert status.ready_since is not None
    assert status.ready_since.isoformat() == "2026-11-23T12:00:00.123456+00:00"

    # And a path MediaMTX does not have is a PathNotFound
    with pytest.raises(PathNotFound):
        client.path_status("0b7e0d7c-0000-4000-8000-000000000000")


def test_urls_are_built_from_public_bases() -> None:
    client = _client("http://127.0.0.1:1")
    assert client.urls(CAM) == {
        "hls": f"https://live.example.gov.br:8888/{CAM}/index.m3u8",
        "webrtc": f"https://live.example.gov.br:8889/{CAM}",
        "rtsp": f"rtsp://live.example.gov.br:8554/{CAM}",
    }


def test_invalid_path_names_never_reach_mediamtx(fake: FakeMediaMTX) -> None:
    client = _client(fake.url)
    for bad in ["", "../config/global", "a/b", "~^.*$", "cam 1"]:
        with pytest.raises(ValueError):
            client.ensure_path(bad, SOURCE)
    assert fake.calls == []


def test_api_credentials_are_sent_as_basic_auth(fake: FakeMediaMTX) -> None:
    client = _client(fake.url, user="gtvision", password="api-pass")
    client.ensure_path(CAM, SOURCE)
    expected = "Basic " + base64.b64encode(b"gtvision:api-pass").decode()
    assert fake.auth and all(a == expected for a in fake.auth)


def test_unreachable_mediamtx_is_unavailable() -> None:
    # Given a port nobody listens on
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = _client(f"http://127.0.0.1:{port}", timeout=1.0)

    # Then every operation raises MediaMTXUnavailable (HTTP 503)
    for call in (
        lambda: client.ensure_path(CAM, SOURCE),
        lambda: client.remove_path(CAM),
        lambda: client.path_status(CAM),
    ):
        with pytest.raises(MediaMTXUnavailable) as err:
            call()
        assert err.value.status == 503 and err.value.code == "mediamtx_unavailable"


def test_silent_mediamtx_times_out_as_unavailable() -> None:
    # Given a socket that accepts connections but never answers
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = _client(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=(1.0, 0.5))

        # Then the read timeout becomes MediaMTXUnavailable instead of hanging
        with pytest.raises(MediaMTXUnavailable, match="Timeout"):
            client.path_status(CAM)


def test_server_errors_are_unavailable(fake: FakeMediaMTX) -> None:
    client = _client(fake.url)
    fake.fail_next = (500, "internal error")
    with pytest.raises(MediaMTXUnavailable, match="500"):
        client.path_status(CAM)


def test_refused_api_credentials_are_unavailable() -> None:
    """MediaMTX answers 401 on any route when the API user is wrong (not in the spec, so a plain server)."""

    class Refuse(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="mediamtx"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        client = _client(f"http://127.0.0.1:{server.server_address[1]}", user="gtvision", password="wrong")
        with pytest.raises(MediaMTXUnavailable, match="credenciais"):
            client.path_status(CAM)
    finally:
        server.shutdown()
        server.server_close()


def test_credentials_never_appear_in_errors_or_logs(
    fake: FakeMediaMTX, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(fake.url)
    raised: list[Exception] = []

    # Given MediaMTX refusing the config and echoing the source back (as its validation errors do)
    original_answer = fake.answer

    def echo_source(method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        if method == "POST":
            unencoded = SOURCE.replace("s3nh%40-Sup3r%23Secreta", SECRET)
            message = f"invalid source: '{SOURCE}' ({unencoded}) pass={SECRET}"
            return 400, {"status": "error", "error": message}
        return original_answer(method, path, body)

    fake.answer = echo_source  # type: ignore[method-assign]
    with pytest.raises(MediaMTXRejected) as rejected:
        client.ensure_path(CAM, SOURCE)
    raised.append(rejected.value)
    assert rejected.value.status == 422 and "invalid source" in str(rejected.value)

    # And MediaMTX failing with the source in its 500 message
    fake.answer = original_answer  # type: ignore[method-assign]
    fake.fail_next = (500, f"cannot open {SOURCE}")
    with pytest.raises(MediaMTXUnavailable) as failed:
        client.ensure_path(CAM, SOURCE)
    raised.append(failed.value)

    # And MediaMTX unreachable while a credentialed source is being ensured
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = _client(f"http://127.0.0.1:{s.getsockname()[1]}", timeout=1.0)
    with pytest.raises(MediaMTXUnavailable) as unreachable:
        dead.ensure_path(CAM, SOURCE)
    raised.append(unreachable.value)

    # Then no message, cause, log record or captured output carries the password (raw or URL-encoded)
    out = capsys.readouterr()
    texts = [str(e) for e in raised] + [repr(e.__cause__) for e in raised] + [caplog.text, out.out, out.err]
    for text in texts:
        for secret in (SECRET, "s3nh%40-Sup3r%23Secreta", "operador:"):
            assert secret not in text
    assert all(e.__cause__ is None for e in raised)
    assert "rtsp://***@10.20.0.15:554" in str(rejected.value)


def test_validator_rejects_requests_outside_the_spec(fake: FakeMediaMTX, spec: OpenAPI) -> None:
    """The harness is only as good as its validator: prove wrong bodies, methods and paths are caught."""
    bad_requests = [
        ("POST", f"/v3/config/paths/add/{CAM}", {"source": SOURCE, "record": "yes"}),  # wrong type
        ("POST", f"/v3/config/paths/add/{CAM}", {"source": SOURCE, "recordFormatt": "fmp4"}),  # unknown key
        ("POST", f"/v3/config/paths/add/{CAM}", {"recordFormat": "mkv"}),  # not in the enum
        ("POST", f"/v3/config/paths/add/{CAM}", None),  # body required
        ("PUT", f"/v3/config/paths/add/{CAM}", {"record": True}),  # wrong method
        ("POST", f"/v3/config/paths/patch/{CAM}", {"record": True}),  # patch is PATCH
        ("GET", f"/v3/config/path/get/{CAM}", None),  # wrong path
    ]
    # Directly against openapi-core
    for method, path, body in bad_requests:
        data = json.dumps(body).encode() if body is not None else None
        with pytest.raises(Exception):  # noqa: B017 - openapi-core raises a family of errors
            spec.validate_request(MockRequest(SPEC_SERVER, method.lower(), path, data=data))
    # And through the fake server, which must refuse each one and record the violation
    for method, path, body in bad_requests:
        resp = requests.request(method, fake.url + path, json=body, timeout=5)
        assert resp.status_code == 400
    assert len(fake.violations) == len(bad_requests)
    assert fake.confs == {}
    # The control case: the body the client sends is accepted
    good = {"source": SOURCE, "record": True, "recordFormat": "fmp4", "recordSegmentDuration": "60s"}
    spec.validate_request(
        MockRequest(SPEC_SERVER, "post", f"/v3/config/paths/add/{CAM}", data=json.dumps(good).encode())
    )
    fake.violations.clear()  # expected ones; teardown checks nothing else slipped through
