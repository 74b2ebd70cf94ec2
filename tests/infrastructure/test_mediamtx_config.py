"""mediamtx.yml against MediaMTX's own schema, and the segment upload hook it runs.

MediaMTX refuses unknown keys in its config file, so every key is checked against the control API's
`GlobalConf` / `PathConf` (the same structs MediaMTX loads the file into), with values type-checked by
validating them as the bodies of `PATCH /v3/config/global/patch` and `/v3/config/pathdefaults/patch`.
The hook is run with /bin/sh and a stand-in `aws` on PATH that stores objects in a directory.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

from gtvision.streams.mediamtx import RECORD_FORMAT, RECORD_PATH, RECORD_SEGMENT_DURATION

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = ROOT / "tests" / "fixtures" / "mediamtx" / "openapi.yaml"
HOOK = ROOT / "local" / "mediamtx" / "upload-segment.sh"
CAM = "6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b"


@pytest.fixture(scope="module")
def spec_doc() -> dict[str, Any]:
    return yaml.safe_load(SPEC_FILE.read_text())


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "mediamtx.yml").read_text())


def _schema_props(spec_doc: dict[str, Any], name: str) -> dict[str, Any]:
    return spec_doc["components"]["schemas"][name]["properties"]


def test_every_key_exists_in_the_spec_and_none_is_deprecated(spec_doc: dict[str, Any], config: dict[str, Any]) -> None:
    global_props = _schema_props(spec_doc, "GlobalConf")
    path_props = _schema_props(spec_doc, "PathConf")
    global_keys = set(config) - {"pathDefaults", "paths"}
    path_sections = [config["pathDefaults"], *(v or {} for v in (config.get("paths") or {}).values())]

    assert global_keys - set(global_props) == set()
    for section in path_sections:
        assert set(section) - set(path_props) == set()
    deprecated = {k for k in global_keys if global_props[k].get("deprecated")}
    deprecated |= {k for s in path_sections for k in s if path_props[k].get("deprecated")}
    assert deprecated == set()


def test_values_validate_as_global_and_path_configs(spec_doc: dict[str, Any], config: dict[str, Any]) -> None:
    strict = copy.deepcopy(spec_doc)
    for schema in strict["components"]["schemas"].values():
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
    api = OpenAPI.from_dict(strict)
    global_conf = {k: v for k, v in config.items() if k not in ("pathDefaults", "paths")}

    def patch(path: str, body: dict[str, Any]) -> None:
        api.validate_request(MockRequest("http://localhost:9997", "patch", path, data=json.dumps(body).encode()))

    patch("/v3/config/global/patch", global_conf)
    patch("/v3/config/pathdefaults/patch", config["pathDefaults"])
    # Control: a wrong type in the same config is caught.
    with pytest.raises(Exception):  # noqa: B017 - openapi-core raises a family of errors
        patch("/v3/config/pathdefaults/patch", {**config["pathDefaults"], "record": "sim"})


def test_servers_listen_on_the_contract_ports(config: dict[str, Any]) -> None:
    for server, port in {"api": 9997, "hls": 8888, "webrtc": 8889, "rtsp": 8554, "playback": 9996}.items():
        assert config[server] is True
        assert config[f"{server}Address"] == f":{port}"


def test_the_api_user_can_use_the_control_api(config: dict[str, Any]) -> None:
    users = config["authInternalUsers"]
    api_users = [u for u in users if any(p["action"] == "api" for p in u["permissions"])]
    assert any(u["user"] == "gtvision" and u.get("ips") == [] for u in api_users)
    # Index 1 is what docker-compose overrides with MTX_AUTHINTERNALUSERS_1_PASS.
    assert users[1]["user"] == "gtvision"
    # Nobody may publish into a camera path.
    assert not any(p["action"] == "publish" for u in users for p in u["permissions"])


def test_recording_defaults_follow_the_contract(config: dict[str, Any]) -> None:
    defaults = config["pathDefaults"]
    assert defaults["record"] is True
    assert defaults["recordPath"] == RECORD_PATH == "recordings/%path/%Y-%m-%d_%H-%M-%S-%f"
    assert defaults["recordFormat"] == RECORD_FORMAT == "fmp4"
    assert defaults["recordSegmentDuration"] == RECORD_SEGMENT_DURATION == "60s"
    assert defaults["runOnRecordSegmentComplete"] == "/usr/local/bin/upload-segment.sh"
    dockerfile = (ROOT / "local" / "mediamtx" / "Dockerfile").read_text()
    assert re.search(r"COPY .*upload-segment\.sh /usr/local/bin/upload-segment\.sh", dockerfile)
    assert "apk add --no-cache aws-cli" in dockerfile

    # MediaMTX's recordPath formatting (%f = microseconds) yields the contract's key, extension added.
    start = datetime(2026, 11, 23, 14, 5, 0, 123456, tzinfo=UTC)
    formatted = (
        defaults["recordPath"]
        .replace("%path", CAM)
        .replace("%Y", "2026")
        .replace("%m", "11")
        .replace("%d", "23")
        .replace("%H", "14")
        .replace("%M", "05")
        .replace("%S", "00")
        .replace("%f", f"{start.microsecond:06d}")
    ) + ".mp4"
    assert formatted == f"recordings/{CAM}/2026-11-23_14-05-00-123456.mp4"


# -- the upload hook ------------------------------------------------------------------------------

FAKE_AWS = r"""#!/bin/sh
# Stand-in for `aws s3api put-object`: logs argv, fails the first $FAKE_AWS_FAILS calls, stores the body.
echo "$*" >> "$FAKE_AWS_LOG"
count=$(cat "$FAKE_AWS_COUNT" 2>/dev/null || echo 0)
echo $((count + 1)) > "$FAKE_AWS_COUNT"
if [ "$count" -lt "${FAKE_AWS_FAILS:-0}" ]; then echo "simulated S3 outage" >&2; exit 255; fi
while [ $# -gt 0 ]; do
  case "$1" in
    --bucket) bucket=$2; shift ;;
    --key) key=$2; shift ;;
    --body) body=$2; shift ;;
  esac
  shift
done
mkdir -p "$FAKE_S3/$bucket/$(dirname "$key")" && cp "$body" "$FAKE_S3/$bucket/$key"
"""


@pytest.fixture
def hook_env(tmp_path: Path) -> dict[str, Any]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aws = bin_dir / "aws"
    aws.write_text(FAKE_AWS)
    aws.chmod(0o755)
    work = tmp_path / "mediamtx"
    (work / "recordings" / CAM).mkdir(parents=True)
    return {
        "work": work,
        "s3": tmp_path / "s3",
        "log": tmp_path / "aws.log",
        "env": {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_AWS_LOG": str(tmp_path / "aws.log"),
            "FAKE_AWS_COUNT": str(tmp_path / "aws.count"),
            "FAKE_S3": str(tmp_path / "s3"),
            "RECORDINGS_BUCKET": "gtvision-recordings",
            "AWS_ENDPOINT_URL": "http://localstack:4566",
            "GTV_UPLOAD_BACKOFF_S": "0",
            "MTX_PATH": CAM,
        },
    }


def _segment(work: Path, name: str, data: bytes = b"\x00\x00\x00\x18ftypiso6") -> str:
    rel = f"recordings/{CAM}/{name}"
    (work / rel).write_bytes(data)
    return rel


def _run_hook(hook_env: dict[str, Any], segment: str, **extra: str) -> subprocess.CompletedProcess[str]:
    sh = shutil.which("dash") or "/bin/sh"  # dash when present: proves the script is plain POSIX sh
    env = {**hook_env["env"], "MTX_SEGMENT_PATH": segment, **extra}
    return subprocess.run(
        [sh, str(HOOK)], cwd=hook_env["work"], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_hook_uploads_to_the_contract_key_then_deletes(hook_env: dict[str, Any]) -> None:
    # Given a finished segment written by MediaMTX at its relative recordPath
    segment = _segment(hook_env["work"], "2026-11-23_14-05-00-123456.mp4", b"segment-bytes")

    # When the hook runs
    result = _run_hook(hook_env, segment)

    # Then the object is at recordings/{camera_id}/{start}.mp4 on the configured endpoint, and the file is gone
    assert result.returncode == 0, result.stderr
    stored = hook_env["s3"] / "gtvision-recordings" / "recordings" / CAM / "2026-11-23_14-05-00-123456.mp4"
    assert stored.read_bytes() == b"segment-bytes"
    argv = hook_env["log"].read_text()
    assert "s3api put-object --bucket gtvision-recordings" in argv
    assert f"--key recordings/{CAM}/2026-11-23_14-05-00-123456.mp4" in argv
    assert "--content-type video/mp4" in argv
    assert "--endpoint-url http://localstack:4566" in argv
    assert not (hook_env["work"] / segment).exists()


def test_hook_retries_until_s3_accepts(hook_env: dict[str, Any]) -> None:
    segment = _segment(hook_env["work"], "2026-11-23_14-06-00-000001.mp4")
    result = _run_hook(hook_env, segment, FAKE_AWS_FAILS="2")
    assert result.returncode == 0, result.stderr
    assert len(hook_env["log"].read_text().splitlines()) == 3
    assert not (hook_env["work"] / segment).exists()


def test_hook_keeps_the_file_when_s3_stays_down_and_retries_it_later(hook_env: dict[str, Any]) -> None:
    # Given S3 down for every attempt
    first = _segment(hook_env["work"], "2026-11-23_14-07-00-000000.mp4")
    result = _run_hook(hook_env, first, FAKE_AWS_FAILS="99", GTV_UPLOAD_ATTEMPTS="3")

    # Then the hook fails after 3 attempts and the segment stays on disk
    assert result.returncode != 0
    assert len(hook_env["log"].read_text().splitlines()) == 3
    assert (hook_env["work"] / first).exists()

    # When S3 is back and the next segment completes (the leftover is now minutes old)
    old = time.time() - 600
    os.utime(hook_env["work"] / first, (old, old))
    Path(hook_env["env"]["FAKE_AWS_COUNT"]).write_text("0")
    second = _segment(hook_env["work"], "2026-11-23_14-08-00-000000.mp4")
    result = _run_hook(hook_env, second)

    # Then both are uploaded and removed
    assert result.returncode == 0, result.stderr
    stored = sorted(p.name for p in (hook_env["s3"] / "gtvision-recordings" / "recordings" / CAM).iterdir())
    assert stored == ["2026-11-23_14-07-00-000000.mp4", "2026-11-23_14-08-00-000000.mp4"]
    assert list((hook_env["work"] / "recordings" / CAM).iterdir()) == []


def test_hook_without_endpoint_uses_aws_and_refuses_odd_path_names(hook_env: dict[str, Any]) -> None:
    segment = _segment(hook_env["work"], "2026-11-23_14-09-00-000000.mp4")
    env = dict(hook_env["env"])
    env.pop("AWS_ENDPOINT_URL")
    result = _run_hook({**hook_env, "env": env}, segment)
    assert result.returncode == 0, result.stderr
    assert "--endpoint-url" not in hook_env["log"].read_text()

    for bad in ["../etc", "a/b", ".hidden", "cam;rm"]:
        result = _run_hook(hook_env, segment, MTX_PATH=bad)
        assert result.returncode == 2


# -- the stream event hook (runOnOnline / runOnOffline) -------------------------------------------

EVENT_HOOK = ROOT / "local" / "mediamtx" / "stream-event.sh"


def test_stream_event_hooks_are_configured(config: dict[str, Any]) -> None:
    defaults = config["pathDefaults"]
    assert defaults["runOnOnline"] == "/usr/local/bin/stream-event.sh online"
    assert defaults["runOnOffline"] == "/usr/local/bin/stream-event.sh offline"
    dockerfile = (ROOT / "local" / "mediamtx" / "Dockerfile").read_text()
    assert re.search(r"COPY .*stream-event\.sh /usr/local/bin/stream-event\.sh", dockerfile)
    assert re.search(r"apk add --no-cache .*curl.*openssl", dockerfile)


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl and openssl")
def test_stream_event_hook_posts_a_signature_the_api_accepts(tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from gtvision.core import signatures

    received: list[tuple[str | None, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-GTV-Signature"), raw))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sh = shutil.which("dash") or "/bin/sh"
    env = {
        "PATH": os.environ["PATH"], "MTX_PATH": CAM, "GTV_MEDIAMTX_HOOK_SECRET": "segredo",
        "GTV_HOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/v1/hooks/mediamtx",
    }  # fmt: skip
    try:
        # When MediaMTX runs the hook for a camera going offline
        done = subprocess.run([sh, str(EVENT_HOOK), "offline"], env=env, capture_output=True, text=True, timeout=30)
        # And with a path name that could break the JSON, or an unknown event
        bad_path = subprocess.run([sh, str(EVENT_HOOK), "online"], env={**env, "MTX_PATH": 'a"b'}, timeout=30)
        bad_event = subprocess.run([sh, str(EVENT_HOOK), "exploded"], env=env, timeout=30)
    finally:
        server.shutdown()
        server.server_close()

    # Then one JSON event was posted, signed so that the API's verifier accepts it with that secret
    assert done.returncode == 0, done.stderr
    assert bad_path.returncode == 2 and bad_event.returncode == 2
    assert len(received) == 1
    header, raw = received[0]
    assert json.loads(raw) == {"event": "offline", "path": CAM}
    signatures.verify(header, raw, ["segredo"], time.time())
    with pytest.raises(signatures.SignatureError):
        signatures.verify(header, raw, ["outro-segredo"], time.time())
