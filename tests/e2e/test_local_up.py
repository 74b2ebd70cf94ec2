"""End to end: start the local runtime exactly as `make run` does and drive it over HTTP.

Given a fresh state dir (embedded PostgreSQL, moto on a free port, secrets and admin password generated),
when an operator logs in and sets up cities, users and cameras, then tenancy, roles, SSRF refusals and
password secrecy hold over real HTTP, the template's schedule fires, and Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gtvision_local.ports import free_port as _free_port

REPO = Path(__file__).resolve().parents[2]
CAMERA_PASSWORD = "Cam3ra-P@ss-e2e-7731"


class Http:
    def __init__(self, base: str) -> None:
        self.base = base
        self.bodies: list[str] = []
        self.ws_url = ""

    def __call__(self, method: str, path: str, body: object = None, token: str | None = None) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode()
        self.bodies.append(text)
        return status, (json.loads(text) if text else None)


@pytest.fixture()
def local_up(tmp_path):
    api_port, aws_port, ws_port, ws_management_port = _free_port(), _free_port(), _free_port(), _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GTV_", "AWS_", "DATABASE_URL", "RECORDINGS_", "CLIP_", "LPR_", "ALERTS_"))
    }
    env.update(
        GTV_LOCAL_DIR=str(tmp_path / "state"),
        GTV_API_PORT=str(api_port),
        GTV_WS_PORT=str(ws_port),
        GTV_WS_MANAGEMENT_PORT=str(ws_management_port),
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{aws_port}",
        GTV_LOCAL_FIRE_SCHEDULES_AT_START="1",
        GTV_ARGON2_TIME_COST="1",
        GTV_ARGON2_MEMORY_KIB="1024",
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp_path / "local-up.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed in teardown
    gtvision = Path(sys.executable).parent / "gtvision"
    proc = subprocess.Popen([str(gtvision), "local", "up"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    http = Http(f"http://127.0.0.1:{api_port}")
    http.ws_url = f"ws://127.0.0.1:{ws_port}"
    http.aws = f"http://127.0.0.1:{aws_port}"
    deadline = time.time() + 90
    while True:
        try:
            if http("GET", "/v1/health")[0] == 200:
                break
        except OSError:
            pass
        assert proc.poll() is None, log_path.read_text()
        assert time.time() < deadline, "local up did not become healthy:\n" + log_path.read_text()
        time.sleep(0.5)
    match = re.search(r"admin password: (\S+)", log_path.read_text())
    assert match, "make run must print the generated admin password once"
    yield proc, http, match.group(1), log_path
    if proc.poll() is None:
        proc.kill()
    log.close()


def test_make_run_stack_over_http(local_up):
    proc, http, admin_password, log_path = local_up

    # login
    status, body = http("POST", "/v1/auth/login", {"username": "admin", "password": admin_password})
    assert status == 200
    admin = body["access_token"]
    assert http("GET", "/v1/health")[1] == {"status": "ok", "checks": {"db": "ok", "storage": "ok", "queue": "ok"}}

    # cities and users of each role
    cities = []
    for name in ("Campinas", "Sorocaba"):
        status, city = http("POST", "/v1/cities", {"name": name, "state": "SP", "retention_days": 15}, admin)
        assert status == 201
        cities.append(city["id"])
    tokens = {}
    for role, city in (("manager", cities[0]), ("viewer", cities[0]), ("manager-b", cities[1]), ("admin2", None)):
        body = {
            "username": f"user-{role}",
            "password": "senha-forte-123",
            "role": role.split("-")[0].replace("admin2", "admin"),
            "city_id": city,
        }
        status, _ = http("POST", "/v1/users", body, admin)
        assert status == 201, body
        tokens[role] = http("POST", "/v1/auth/login", {"username": f"user-{role}", "password": "senha-forte-123"})[1][
            "access_token"
        ]

    # camera CRUD, with the password given inside the URL
    status, cam = http(
        "POST",
        f"/v1/cities/{cities[0]}/cameras",
        {
            "name": "Av. Brasil",
            "source_url": f"rtsp://op:{CAMERA_PASSWORD.replace('@', '%40')}@10.20.0.15/s1",
            "lpr_enabled": True,
        },
        tokens["manager"],
    )
    assert status == 201 and cam["has_credentials"] and cam["source_url"] == "rtsp://10.20.0.15/s1"
    assert len(cam["webhook_secret"]) == 64
    assert http("GET", f"/v1/cameras/{cam['id']}", token=tokens["viewer"])[0] == 200
    assert http("PATCH", f"/v1/cameras/{cam['id']}", {"name": "Av. Brasil 1"}, tokens["manager"])[0] == 200
    assert (
        http("GET", f"/v1/cities/{cities[0]}/cameras", token=tokens["admin2"])[1]["items"][0]["name"] == "Av. Brasil 1"
    )

    # another city's manager: 404; a viewer's write: 403; hostile URLs: 422
    assert http("GET", f"/v1/cameras/{cam['id']}", token=tokens["manager-b"])[0] == 404
    assert http("DELETE", f"/v1/cameras/{cam['id']}", token=tokens["manager-b"])[0] == 404
    assert http("PATCH", f"/v1/cameras/{cam['id']}", {"name": "x"}, tokens["viewer"])[0] == 403
    for url in ("rtsp://127.0.0.1/x", "http://169.254.169.254/latest/", "rtsp://2130706433/", "file:///etc/passwd"):
        status, err = http(
            "POST", f"/v1/cities/{cities[0]}/cameras", {"name": "x", "source_url": url}, tokens["manager"]
        )
        assert status == 422 and err["error"]["code"] == "invalid_source_url"
    assert http("GET", "/v1/nao-existe", token=admin)[0] == 404
    assert http("DELETE", f"/v1/cameras/{cam['id']}", token=tokens["manager"])[0] == 204

    # live events: a watchlist hit reaches city A's manager over the WebSocket API, not city B's
    _live_events(http, tokens, admin)
    # the emulator's public port checks signatures: an unsigned (or tampered) request is a 403, signed ones pass
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{http.aws}/gtvision-recordings?list-type=2", timeout=10)
    assert refused.value.code == 403
    import boto3
    from botocore.config import Config

    s3 = boto3.client("s3", endpoint_url=http.aws, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))  # fmt: skip
    assert s3.list_objects_v2(Bucket="gtvision-recordings")["ResponseMetadata"]["HTTPStatusCode"] == 200

    # the template's schedule fired RetentionFunction at start: its run is in the audit trail
    deadline = time.time() + 30
    while True:
        status, audit = http("GET", "/v1/audit?action=retention.run", token=admin)
        if status == 200 and audit["items"]:
            break
        assert time.time() < deadline, (status, audit)
        time.sleep(1)

    # Ctrl-C stops everything cleanly
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    logs = log_path.read_text()
    assert "[ApiFunction]" in logs and "[RetentionFunction]" in logs
    for text in [*http.bodies, logs]:
        assert CAMERA_PASSWORD not in text and CAMERA_PASSWORD.replace("@", "%40") not in text


def _live_events(http: Http, tokens: dict[str, str], admin: str) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    from gtvision.core.signatures import sign

    with pytest.raises(InvalidStatus) as refused, connect(f"{http.ws_url}/?token=not-a-token"):
        pass
    assert refused.value.response.status_code == 401
    city_a = http("GET", "/v1/me", token=tokens["manager"])[1]["city_id"]
    camera = {"name": "LPR", "source_url": "rtsp://10.20.0.16/s1", "lpr_enabled": True}
    status, cam = http("POST", f"/v1/cities/{city_a}/cameras", camera, tokens["manager"])
    assert status == 201
    assert http("POST", "/v1/watchlist", {"plate": "EEE1E11", "reason": "furto"}, tokens["manager"])[0] == 201
    with (
        connect(f"{http.ws_url}/?token={tokens['manager']}") as a,
        connect(f"{http.ws_url}/?token={tokens['manager-b']}") as b,
    ):
        for ws in (a, b):
            ws.send(json.dumps({"action": "subscribe", "topics": ["alerts"]}))
            assert json.loads(ws.recv(timeout=10)) == {"type": "subscribed", "topics": ["alerts"]}
        captured_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
        read = {"event_id": "e2e-live-1", "plate": "EEE1E11", "confidence": 0.9, "captured_at": captured_at}
        body = json.dumps(read).encode()
        req = urllib.request.Request(http.base + "/v1/lpr/events", data=body, method="POST")
        req.add_header("X-GTV-Camera", cam["id"])
        req.add_header("X-GTV-Signature", sign(cam["webhook_secret"], body, int(time.time())))
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 202
        alert = json.loads(a.recv(timeout=2))
        assert (alert["type"], alert["data"]["plate"], alert["data"]["kind"]) == ("alert", "EEE1E11", "watchlist")
        b.send(json.dumps({"action": "ping"}))
        assert json.loads(b.recv(timeout=5)) == {"type": "pong"}
