"""A database outage while segments upload (issue 10): nothing lost, nothing doubled, the API never hangs.

A dedicated embedded PostgreSQL is first frozen (SIGSTOP of every server process: connections hang,
nothing answers) and then stopped (pg_ctl stop: connections refused) while 20 segments are uploaded
and the local runtime's SQS poller feeds them to SegmentUploadFunction. The issue's 60 s outage is
shortened here to 2 × 3 s (GTV_TEST_OUTAGE_S=30 runs the full 60 s), with timeouts and the retry
backoff lowered by their settings (GTV_DB_*, GTV_RETRY_*) so the suite stays fast; the mechanism
under test is the same.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
import recording_support as rs
from psycopg.rows import dict_row
from test_clips import drain

from gtvision.core import db, migrations
from gtvision.core.settings import get_settings
from gtvision.recordings import store as segments_dal
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments

COUNT = 20
# Each phase (frozen, then stopped) lasts this long; GTV_TEST_OUTAGE_S=30 gives the full 60 s outage.
PHASE_S = float(os.environ.get("GTV_TEST_OUTAGE_S", "3"))


class Postgres:
    """A PostgreSQL of its own, to freeze, stop and start."""

    def __init__(self, pgdata: Path) -> None:
        import pgserver

        self.pgdata = pgdata
        self.server = pgserver.get_server(str(pgdata), cleanup_mode="delete")
        self.url = self.server.get_uri()

    def processes(self) -> list[psutil.Process]:
        postmaster = psutil.Process(self.server.get_pid())
        return [postmaster, *postmaster.children(recursive=True)]

    def freeze(self) -> None:
        for proc in self.processes():
            proc.suspend()

    def thaw(self) -> None:
        for proc in self.processes():
            proc.resume()

    def stop(self) -> None:
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        # as pgserver runs it (root runs the server as its `pgserver` user)
        pg_ctl(["-m", "fast", "-w", "stop"], pgdata=self.pgdata, user=self.server.system_user, timeout=30)

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture()
def outage_db(world: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Postgres, str]]:
    """A dedicated database holding a copy of one camera (and its city); the process points at it."""
    camera = world.camera()
    pg = Postgres(Path(tempfile.mkdtemp(prefix="gtv-outage-pg-")))
    migrations.apply(pg.url)
    with db.transaction() as conn:
        city = conn.execute("SELECT * FROM cities WHERE id = %s", (camera["city_id"],)).fetchone()
        cam = conn.execute("SELECT * FROM cameras WHERE id = %s", (camera["id"],)).fetchone()
    with psycopg.connect(pg.url, row_factory=dict_row) as conn:
        for table, row in (("cities", city), ("cameras", cam)):
            assert row is not None
            conn.execute(
                f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
                [psycopg.types.json.Jsonb(v) if isinstance(v, dict) else v for v in row.values()],
            )
    fast = {"GTV_DB_CONNECT_TIMEOUT_S": "1", "GTV_DB_STATEMENT_TIMEOUT_S": "2", "GTV_DB_POOL_WAIT_S": "2",
            "GTV_RETRY_BASE_S": "1", "GTV_RETRY_MAX_S": "4"}  # fmt: skip
    for name, value in {"DATABASE_URL": pg.url, **fast}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    segments_dal.forget_partitions()
    try:
        yield pg, str(camera["id"])
    finally:
        try:
            pg.thaw()
        except psutil.Error:
            pass
        monkeypatch.undo()
        get_settings.cache_clear()
        segments_dal.forget_partitions()
        db.available()
        pg.server.cleanup()


def registered(camera: str) -> int:
    """Rows of the camera, -1 while the database does not answer yet (the test's own reads fail too)."""
    try:
        return len(rs.segment_rows(camera))
    except psycopg.OperationalError:
        return -1


def health(api: Any) -> tuple[int, float, dict[str, Any]]:
    started = time.monotonic()
    reply = api.call("GET", "/v1/health")
    return reply.status, time.monotonic() - started, reply.json()


def test_segments_uploaded_during_a_database_outage_register_exactly_once(
    api: Any, outage_db: tuple[Postgres, str], tmp_path: Path
) -> None:
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    pg, camera = outage_db
    runtime = Runtime(load_template(endpoint_url=get_settings().aws_endpoint_url), api_port=0)
    (poller,) = [p for p in runtime.pollers if p.function.logical_id == "SegmentUploadFunction"]
    (seg,) = make_segments(str(tmp_path), 1, 1, fmt="ts")
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    keys = [segment_key(camera, start + timedelta(seconds=i), "ts") for i in range(COUNT)]
    assert health(api)[0] == 200  # warm: the pool holds a live connection to the server about to freeze
    dlq = poller._sqs.get_queue_url(QueueName="gtvision-segment-uploads-dlq")["QueueUrl"]
    drain(dlq)  # what other tests dead-lettered

    # Given the database frozen while 20 segments are uploaded and delivered
    pg.freeze()
    for key in keys:
        rs.upload(key, seg.url_or_path)
    deadline = time.monotonic() + PHASE_S
    frozen_health = []
    while time.monotonic() < deadline:
        poller.poll_once()
        db.available()  # probe the real path each time, not only the fail-fast window
        frozen_health.append(health(api))

    # ... and then stopped
    pg.thaw()
    pg.stop()
    deadline = time.monotonic() + PHASE_S
    stopped_health = []
    while time.monotonic() < deadline:
        poller.poll_once()
        db.available()
        stopped_health.append(health(api))

    # Then meanwhile /v1/health answered 503 within 2 s every time (never hung)
    for status, elapsed, body in frozen_health + stopped_health:
        assert status == 503 and elapsed < 2.0, (status, elapsed, body)
        assert body["checks"]["db"].startswith("error")

    # When the database returns
    pg.start()
    returned = time.monotonic()
    while time.monotonic() - returned < 60 and registered(camera) < COUNT:
        poller.poll_once()
    print(f"all {COUNT} registered {time.monotonic() - returned:.1f} s after the database returned")

    # Then every segment is registered exactly once, none rejected, none dead-lettered
    rows = rs.segment_rows(camera)
    assert sorted(r["s3_key"] for r in rows) == sorted(keys)
    for key in keys:
        assert rs.rejections(key) == []
    attrs = poller._sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert health(api)[0] == 200
