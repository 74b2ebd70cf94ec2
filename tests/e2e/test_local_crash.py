"""`make run` SIGKILLed and started again (issue 10): PostgreSQL still stops with the next Ctrl-C, the lost
S3/SQS state is announced, and a killed clip cut's scratch is gone after the restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import psycopg
from psycopg.rows import dict_row
from test_local_up import Http, _free_port

from gtvision.recordings import store as segments_dal

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "senha-do-admin-crash-1"


def _start(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[bytes], Http]:
    log = open(log_path, "w")  # noqa: SIM115 - the child owns it; closed when this test's process ends
    gtvision = Path(sys.executable).parent / "gtvision"
    proc = subprocess.Popen([str(gtvision), "local", "up"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    http = Http(f"http://127.0.0.1:{env['GTV_API_PORT']}")
    deadline = time.time() + 90
    while True:
        try:
            if http("GET", "/v1/health")[0] == 200:
                return proc, http
        except OSError:
            pass
        assert proc.poll() is None, log_path.read_text()
        assert time.time() < deadline, "local up did not become healthy:\n" + log_path.read_text()
        time.sleep(0.5)


def _postmaster(pgdata: Path) -> psutil.Process | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        return psutil.Process(pid)
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def _register_a_segment(http: Http, database_url: str) -> None:
    """A city, a camera (over HTTP) and one indexed segment (as SegmentUploadFunction would have stored it)."""
    token = http("POST", "/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})[1]["access_token"]
    status, city = http("POST", "/v1/cities", {"name": "Jundiaí", "state": "SP", "retention_days": 7}, token)
    assert status == 201, city
    camera = {"name": "Portaria", "source_url": "rtsp://10.1.1.1/s"}
    status, cam = http("POST", f"/v1/cities/{city['id']}/cameras", camera, token)
    assert status == 201, cam
    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        segments_dal.insert(conn, {
            "camera_id": cam["id"], "city_id": city["id"], "start_at": start, "end_at": start + timedelta(seconds=60),
            "duration_s": 60.0, "s3_key": f"recordings/{cam['id']}/2026-11-23_10-00-00-000000.mp4", "size_bytes": 1,
            "sha256": "0" * 64, "video_codec": "h264", "width": 640, "height": 360, "container": "fmp4",
        })  # fmt: skip


def test_sigkilled_stack_restarts_clean_and_stops_postgres_on_ctrl_c(tmp_path: Path) -> None:
    state = tmp_path / "state"
    ours = ("GTV_", "AWS_", "DATABASE_URL", "RECORDINGS_", "CLIP_", "LPR_", "ALERTS_", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        GTV_LOCAL_DIR=str(state),
        GTV_API_PORT=str(_free_port()),
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{_free_port()}",
        GTV_ADMIN_PASSWORD=ADMIN_PASSWORD,
        GTV_ARGON2_TIME_COST="1",
        GTV_ARGON2_MEMORY_KIB="1024",
        PYTHONUNBUFFERED="1",
    )
    first, second = None, None
    try:
        # Given a running stack with one recording indexed, killed (SIGKILL) in the middle of a clip cut
        first, http = _start(env, tmp_path / "first.log")
        _register_a_segment(http, json.loads((state / "stack.json").read_text())["database_url"])
        cut = state / "tmp" / "clip-0b7e-interrompido"
        cut.mkdir(parents=True)
        (cut / "seg-0000.mp4").write_bytes(b"\0" * 1024)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        postmaster = _postmaster(state / "pgdata")
        assert postmaster is not None and postmaster.is_running()  # PostgreSQL outlived the killed stack

        # When it is started again
        second, http = _start(env, tmp_path / "second.log")
        log = (tmp_path / "second.log").read_text()

        # Then the crash's leftovers are handled and said: the stale PostgreSQL handle, the scratch, the lost S3/SQS
        assert "uma execução anterior terminou sem parar o PostgreSQL" in log
        assert not cut.exists() and "execução interrompida removido(s)" in log
        assert "o emulador AWS (moto) não guarda estado entre reinícios" in log

        # When Ctrl-C stops it, then PostgreSQL stops too
        second.send_signal(signal.SIGINT)
        assert second.wait(60) == 0, (tmp_path / "second.log").read_text()
        postmaster = _postmaster(state / "pgdata")
        deadline = time.time() + 15
        while postmaster is not None and postmaster.is_running() and time.time() < deadline:
            time.sleep(0.2)
        assert postmaster is None or not postmaster.is_running(), "PostgreSQL left running after Ctrl-C"
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
        leftover = _postmaster(state / "pgdata")
        if leftover is not None and leftover.is_running():
            leftover.terminate()
