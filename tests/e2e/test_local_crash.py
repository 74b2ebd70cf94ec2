"""`make run` SIGKILLed and started again: PostgreSQL still stops with the next Ctrl-C, a killed clip cut's
scratch is gone, and every S3 object and SQS message the emulator acknowledged before the kill is still there
(its state is kept under GTV_LOCAL_DIR/aws, ADR 0023) — also when the kill lands in the middle of many uploads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import psutil
import psycopg
from botocore.config import Config
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


def _env(state: Path) -> dict[str, str]:
    ours = ("GTV_", "AWS_", "DATABASE_URL", "RECORDINGS_", "CLIP_", "LPR_", "ALERTS_", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        GTV_LOCAL_DIR=str(state),
        GTV_API_PORT=str(_free_port()),
        GTV_WS_PORT=str(_free_port()),
        GTV_WS_MANAGEMENT_PORT=str(_free_port()),
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{_free_port()}",
        GTV_ADMIN_PASSWORD=ADMIN_PASSWORD,
        GTV_ARGON2_TIME_COST="1",
        GTV_ARGON2_MEMORY_KIB="1024",
        PYTHONUNBUFFERED="1",
    )
    return env


def _client(service: str, endpoint: str) -> Any:
    """A client that fails fast (no retries): a request either got its answer before the kill or did not."""
    config = Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=10, s3={"addressing_style": "path"})
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=config, **credentials)


def _stop_postgres(state: Path) -> None:
    leftover = _postmaster(state / "pgdata")
    if leftover is not None and leftover.is_running():
        leftover.terminate()


def test_sigkilled_stack_restarts_clean_and_stops_postgres_on_ctrl_c(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = _env(state)
    first, second = None, None
    try:
        # Given a running stack with one recording indexed, killed (SIGKILL) in the middle of a clip cut
        first, http = _start(env, tmp_path / "first.log")
        _register_a_segment(http, json.loads((state / "stack.json").read_text())["database_url"])
        s3, sqs = _client("s3", env["AWS_ENDPOINT_URL"]), _client("sqs", env["AWS_ENDPOINT_URL"])
        s3.put_object(Bucket="gtvision-recordings", Key="antes-do-kill/objeto.bin", Body=b"evidencia")
        dlq = sqs.get_queue_url(QueueName="gtvision-clip-jobs-dlq")["QueueUrl"]
        sqs.send_message(QueueUrl=dlq, MessageBody="mensagem antes do kill")
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

        # Then the crash's leftovers are handled and said: the stale PostgreSQL handle, the scratch
        assert "uma execução anterior terminou sem parar o PostgreSQL" in log
        assert not cut.exists() and "execução interrompida removido(s)" in log
        # and the emulator's object and message are back, so nothing is announced as lost
        s3, sqs = _client("s3", env["AWS_ENDPOINT_URL"]), _client("sqs", env["AWS_ENDPOINT_URL"])
        body = s3.get_object(Bucket="gtvision-recordings", Key="antes-do-kill/objeto.bin")["Body"].read()
        assert body == b"evidencia"
        dlq = sqs.get_queue_url(QueueName="gtvision-clip-jobs-dlq")["QueueUrl"]
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
        assert [m["Body"] for m in got] == ["mensagem antes do kill"]
        assert "estado do emulador restaurado" in log and "bucket e filas começaram VAZIOS" not in log

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
        _stop_postgres(state)


def test_sigkill_mid_upload_keeps_every_acknowledged_object_and_message(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = _env(state)
    endpoint = env["AWS_ENDPOINT_URL"]
    first, second = None, None
    stored: dict[str, bytes] = {}  # objects S3 answered 200 for
    sent: set[str] = set()  # messages SQS accepted
    deleted: set[str] = set()  # messages deleted with an acknowledged DeleteMessage
    lock, stop = threading.Lock(), threading.Event()
    try:
        first, _ = _start(env, tmp_path / "first.log")
        dlq = _client("sqs", endpoint).get_queue_url(QueueName="gtvision-clip-jobs-dlq")["QueueUrl"]

        def upload(worker: int) -> None:
            s3 = _client("s3", endpoint)
            for i in range(10_000):
                key, body = f"crash-test/{worker}/{i:05d}.bin", os.urandom(64 * 1024 + worker * 4096 + i)
                if stop.is_set():
                    return
                try:
                    s3.put_object(Bucket="gtvision-recordings", Key=key, Body=body)
                except Exception:  # noqa: BLE001 - the stack died under it: not acknowledged
                    return
                with lock:
                    stored[key] = body

        def send(worker: int) -> None:
            sqs = _client("sqs", endpoint)
            for i in range(10_000):
                if stop.is_set():
                    return
                try:
                    sqs.send_message(QueueUrl=dlq, MessageBody=f"m-{worker}-{i}")
                    with lock:
                        sent.add(f"m-{worker}-{i}")
                    if i % 3 == 0:  # a consumer deletes some; the rest stay (some in flight at the kill)
                        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=1, VisibilityTimeout=300)
                        for message in got.get("Messages", []):
                            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
                            with lock:
                                deleted.add(message["Body"])
                except Exception:  # noqa: BLE001 - the stack died under it
                    return

        # Given many uploads and messages in flight
        workers = [threading.Thread(target=upload, args=(w,)) for w in range(8)]
        workers += [threading.Thread(target=send, args=(w,)) for w in range(2)]
        for worker in workers:
            worker.start()
        deadline = time.time() + 120
        while len(stored) < 60 or len(sent) < 30:
            assert time.time() < deadline and all(w.is_alive() for w in workers), (len(stored), len(sent))
            time.sleep(0.05)

        # When the stack is SIGKILLed in the middle of them, and started again
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        stop.set()
        for worker in workers:
            worker.join(30)
        second, _ = _start(env, tmp_path / "second.log")

        # Then every object S3 acknowledged is there, byte for byte
        s3 = _client("s3", endpoint)
        missing = [k for k, body in stored.items() if _body_or_none(s3, k) != body]
        assert missing == [], f"{len(missing)} of {len(stored)} acknowledged uploads lost: {missing[:5]}"
        # and every message sent and not deleted can be received
        sqs = _client("sqs", endpoint)
        received: set[str] = set()
        while got := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=300).get("Messages"):
            received |= {m["Body"] for m in got}
        assert sent - deleted <= received, f"lost messages: {sorted(sent - deleted - received)[:5]}"
    finally:
        stop.set()
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
        _stop_postgres(state)


def _body_or_none(s3: Any, key: str) -> bytes | None:
    try:
        return bytes(s3.get_object(Bucket="gtvision-recordings", Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None
