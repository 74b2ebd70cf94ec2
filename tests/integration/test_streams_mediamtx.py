"""MediaMTXClient against a local HTTP server that checks every exchange with MediaMTX's OpenAPI spec.

The fake keeps MediaMTX's path configs and live paths in memory. Each request the client sends is
validated (path, method, parameters, body) with openapi-core before it is answered, and each answer the
fake fabricates is validated too; any violation fails the test at teardown. The spec is made strict
(`additionalProperties: false`) because MediaMTX refuses unknown JSON fields (conf/jsonwrapper).
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from mediamtx_standin import SPEC_SERVER, FakeMediaMTX, fake, spec  # noqa: F401 - fixtures reused as they are
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

from gtvision.streams.mediamtx import (
    RECORD_PATH,
    MediaMTXClient,
    MediaMTXRejected,
    MediaMTXUnavailable,
    PathNotFound,
    PathTrack,
)

CAM = "6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b"
SECRET = "s3nh@-Sup3r#Secreta"
SOURCE = "rtsp://operador:s3nh%40-Sup3r%23Secreta@10.20.0.15:554/Streaming/Channels/101"


def _client(url: str, **kw: Any) -> MediaMTXClient:
    return MediaMTXClient(
        url,
        "https://live.example.gov.br:8888",
        "https://live.example.gov.br:8889/",
        "rtsp://live.example.gov.br:8554",
        **kw,
    )


def test_ensure_path_adds_then_patches_then_leaves_unchanged(fake: FakeMediaMTX) -> None:  # noqa: F811
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


def test_ensure_path_patches_when_added_concurrently(fake: FakeMediaMTX) -> None:  # noqa: F811
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


def test_remove_path_deletes_and_reports_missing(fake: FakeMediaMTX) -> None:  # noqa: F811
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


def test_path_status_of_live_and_unknown_paths(fake: FakeMediaMTX) -> None:  # noqa: F811
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


def test_invalid_path_names_never_reach_mediamtx(fake: FakeMediaMTX) -> None:  # noqa: F811
    client = _client(fake.url)
    for bad in ["", "../config/global", "a/b", "~^.*$", "cam 1"]:
        with pytest.raises(ValueError):
            client.ensure_path(bad, SOURCE)
    assert fake.calls == []


def test_api_credentials_are_sent_as_basic_auth(fake: FakeMediaMTX) -> None:  # noqa: F811
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


def test_server_errors_are_unavailable(fake: FakeMediaMTX) -> None:  # noqa: F811
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
    fake: FakeMediaMTX,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
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

    fake.answer = echo_source
    with pytest.raises(MediaMTXRejected) as rejected:
        client.ensure_path(CAM, SOURCE)
    raised.append(rejected.value)
    assert rejected.value.status == 422 and "invalid source" in str(rejected.value)

    # And MediaMTX failing with the source in its 500 message
    fake.answer = original_answer
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


def test_validator_rejects_requests_outside_the_spec(fake: FakeMediaMTX, spec: OpenAPI) -> None:  # noqa: F811
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
