"""Time StreamHealthFunction's poll over one city at the seed's limit (1,000 started cameras).

Run: .venv/bin/python bench/bench_stream_health.py [--cameras 1000] [--runs 5]
An embedded PostgreSQL holds 1,000 streaming cameras with an hour of 60 s segments each (60,000 rows);
a local HTTP stand-in serves MediaMTX's `/v3/paths/list` (100 a page, the client asks for 500) with
byte counters that grow in real time, 5 % of the paths missing (offline). Baseline in the same run:
reading and parsing the path list alone. Prints a markdown table. Goal: ≤ 2 s a run on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from scratch import scratch_env

from gtvision_local.jsonserver import JsonServer

scratch_env(POWERTOOLS_METRICS_NAMESPACE="GTVision")


class PathList:
    """MediaMTX's `/v3/paths/list` for `names`, paged at most `cap` items, counters growing 2 Mbit/s."""

    def __init__(self, names: list[str], cap: int = 100) -> None:
        self.names, self.cap = names, cap
        self.t0 = time.time()
        since = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self.template = {
            "confName": "", "source": {"type": "rtspSource", "id": ""}, "available": True, "availableTime": since,
            "online": True, "onlineTime": since, "tracks2": [{"codec": "H264", "codecProps": {"width": 1920,
            "height": 1080}}], "inboundFramesInError": 0, "outboundBytes": 0,
            "readers": [{"type": "hlsSession", "id": "r1"}],
        }  # fmt: skip
        self.server = JsonServer(
            lambda r: (200, self.page(int(r.query["page"]), int(r.query["itemsPerPage"]))), name="bench-mediamtx"
        ).start()
        self.url = self.server.url

    def page(self, page: int, per: int) -> dict[str, Any]:
        per = min(per, self.cap)
        inbound = int(250_000 * (time.time() - self.t0))
        names = self.names[page * per : (page + 1) * per]
        items = [{**self.template, "name": n, "inboundBytes": inbound} for n in names]
        return {"itemCount": len(self.names), "pageCount": math.ceil(len(self.names) / per), "items": items}


def seed(url: str, cameras: int) -> list[str]:
    import psycopg

    from gtvision.recordings import store as segments

    ids = [str(uuid.uuid4()) for _ in range(cameras)]
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn:
        city = conn.execute(
            "INSERT INTO cities (name, state, retention_days, camera_limit) VALUES ('Bench', 'SP', 7, %s) RETURNING id",
            (cameras,),
        ).fetchone()[0]
        with conn.cursor().copy("COPY cameras (id, city_id, name, source_url, status) FROM STDIN") as cp:
            for i, cid in enumerate(ids):
                cp.write_row([cid, city, f"Cam {i}", "rtsp://10.0.0.1/s", "streaming"])
        conn.commit()
    from gtvision.core import db

    with db.transaction() as conn:
        for day in {(now - timedelta(hours=1)).date(), now.date()}:
            segments.ensure_partition(conn, day)
    buf = io.StringIO()
    for cid in ids:
        for m in range(60, 0, -1):
            start = now - timedelta(minutes=m, seconds=30)
            buf.write(
                f"{cid}\t{city}\t{start.isoformat()}\t{(start + timedelta(seconds=60)).isoformat()}\t60\t"
                f"recordings/{cid}/{m}.mp4\t1500\n"
            )
    buf.seek(0)
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(
            "COPY segments (camera_id, city_id, start_at, end_at, duration_s, s3_key, frame_count) FROM STDIN"
        ) as cp:
            cp.write(buf.read())
        conn.execute("ANALYZE")
        conn.commit()
    return ids


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    import pgserver

    tmp = tempfile.mkdtemp(prefix="gtv-bench-pg-")
    pg = pgserver.get_server(tmp, cleanup_mode="delete")
    url = pg.get_uri()
    os.environ["DATABASE_URL"] = url
    from gtvision.alerts import store as alerts_dal
    from gtvision.core import db, migrations
    from gtvision.core.observability import metrics
    from gtvision.core.settings import get_settings
    from gtvision.health import poll as stream_health
    from gtvision.streams.mediamtx import MediaMTXClient

    get_settings.cache_clear()
    published: list[str] = []

    # SNS is not part of this measurement (new alerts published after the commit): counted instead.
    def record(messages: Any) -> dict[int, str]:
        published.extend(m["kind"] for m in messages)
        return {}

    alerts_dal.publish_alerts = record  # type: ignore[assignment]
    migrations.apply(url)
    t = time.perf_counter()
    ids = seed(url, args.cameras)
    seeding = time.perf_counter() - t
    offline = set(ids[: args.cameras // 20])
    mtx = PathList([i for i in ids if i not in offline])
    client = MediaMTXClient(mtx.url, "http://h", "http://w", "rtsp://r")
    rows = []
    try:
        baseline = []
        for _ in range(args.runs):
            t = time.perf_counter()
            client.list_paths()
            baseline.append(time.perf_counter() - t)
        for i in range(args.runs):
            t = time.perf_counter()
            report = stream_health.poll(client=client)
            secs = time.perf_counter() - t
            metrics.clear_metrics()
            written = report.samples_written * 2 + report.changes + report.alerts_opened + report.alerts_resolved
            rows.append((i, secs, report, written))
            time.sleep(0.2)
    finally:
        mtx.server.stop()
        db.close_all()
        pg.cleanup()

    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; PostgreSQL (pgserver), MediaMTX stand-in on localhost. Seeding took "
        f"{seeding:.1f} s."
    )
    print(
        f"{args.cameras:,} started cameras, 60 segments each; {len(offline)} paths missing (offline); "
        f"MediaMTX pages of 100. Alerts published (SNS replaced by a counter): {len(published)}.\n"
    )
    print(f"Baseline (list + parse every page, no database): median {sorted(baseline)[len(baseline) // 2]:.3f} s.\n")
    print(
        "| run | time (s) | paths | online | offline | status changes | alerts opened | rows written"
        " (samples + state + changes + alerts) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, secs, r, written in rows:
        print(
            f"| {i + 1}{' (first: every status changes)' if i == 0 else ''} | {secs:.3f} | {r.paths:,} |"
            f" {r.online:,} | {r.offline:,} | {r.changes:,} | {r.alerts_opened:,} | {written:,} |"
        )
    steady = sorted(s for i, s, _, _ in rows if i > 0)
    if steady:
        print(f"\nSteady-state median: {steady[len(steady) // 2]:.3f} s per run (goal ≤ 2 s).")


if __name__ == "__main__":
    main()
