"""Playback at scale: presigning 1,440 segment URLs (boto3 vs gtvision.core.presign), building the playlist,
and (with --db) one camera's day from a segment index of many cameras (timeline p95 over many cameras).

Run: .venv/bin/python bench/bench_playback.py [--urls 1440] [--runs 5] [--db --cameras 1000 --days 30]
(1,000 cameras x 30 days of 60 s segments = 43.2 M rows: a city's month; BENCH_QUICK=1 seeds 50 x 2 days)
Prints a markdown table (median of the runs). See docs/adr/0005-segment-index.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from resultfile import quick, record

from gtvision.core.presign import Presigner
from gtvision.recordings.hls import build_playlist
from gtvision.recordings.schemas import Segment
from gtvision.recordings.service import segment_key

CAMERA = "6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b"
DAY = datetime(2026, 11, 23, tzinfo=UTC)


def timed(fn: Callable[[], Any], runs: int) -> float:
    """Median wall time of `fn` in seconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _rows(n: int) -> list[Segment]:
    rows = []
    for i in range(n):
        start = DAY + timedelta(seconds=60 * i)
        row = {"camera_id": uuid.UUID(CAMERA), "city_id": uuid.UUID(CAMERA), "start_at": start, "created_at": start}
        row |= {"end_at": start + timedelta(seconds=60), "duration_s": 60.0}
        row |= {"s3_key": segment_key(CAMERA, start, "mp4")}
        row |= {"video_codec": "h264", "width": 1920, "height": 1080, "container": "fmp4", "init_bytes": 800}
        row |= {"size_bytes": 7_500_000, "pts_start": 0.0, "thumb_key": None, "sha256": None, "etag": None}
        row |= {"play_key": None, "play_size_bytes": None, "frame_count": None}
        rows.append(Segment(**row))
    return rows


def bench_presign(n: int, runs: int) -> list[tuple[str, float]]:
    client = boto3.client(
        "s3", region_name="sa-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret-example",
        aws_session_token="session-token-example", config=Config(signature_version="s3v4"),
    )  # fmt: skip
    bucket = "gtvision-recordings"
    rows = _rows(n)
    keys = [r.s3_key for r in rows]
    presigner = Presigner(client, bucket)

    def with_boto3() -> list[str]:
        return [
            client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": k}, ExpiresIn=3600)
            for k in keys
        ]

    def with_presigner() -> list[str]:
        return presigner.urls(keys, 3600)

    ours = timed(lambda: build_playlist(rows, with_presigner()), runs)
    baseline = timed(lambda: build_playlist(rows, with_boto3()), runs)
    FIGURES["playlist_24h_ms"] = round(ours * 1000, 2)
    FIGURES["playlist_speedup_vs_boto3"] = round(baseline / ours, 2)
    BASELINES["playlist_24h_ms"] = {"name": f"playlist of {n} segments signed with boto3 generate_presigned_url, ms",
                                    "value": round(baseline * 1000, 2)}  # fmt: skip
    BASELINES["playlist_speedup_vs_boto3"] = BASELINES["playlist_24h_ms"]
    return [
        (f"boto3 generate_presigned_url x{n}", timed(with_boto3, runs)),
        (f"gtvision Presigner.urls x{n}", timed(with_presigner, runs)),
        (f"build_playlist of {n} fMP4 segments (Presigner)", ours),
        (f"build_playlist of {n} fMP4 segments (boto3 baseline)", baseline),
    ]


def bench_index(cameras: int, days: int, runs: int, queries: int) -> list[tuple[str, float]]:
    """Seed `cameras` x `days` x 1,440 one-minute segments in an embedded PostgreSQL; time one camera's day."""
    import pgserver
    import psycopg
    from psycopg.rows import dict_row

    from gtvision.core import migrations
    from gtvision.recordings import store as dal

    tmp = tempfile.mkdtemp(prefix="gtv-bench-pg-")
    server = pgserver.get_server(tmp, cleanup_mode="delete")
    try:
        url = server.get_uri()
        migrations.apply(url)
        ids = [str(uuid.uuid4()) for _ in range(cameras)]
        city = str(uuid.uuid4())
        with psycopg.connect(url, row_factory=dict_row) as conn:
            for d in range(days):
                dal.ensure_partition(conn, (DAY + timedelta(days=d)).date())
            started = time.perf_counter()
            with conn.cursor().copy(
                "COPY segments (camera_id, city_id, start_at, end_at, duration_s, s3_key, container) FROM STDIN"
            ) as copy:
                # text rows from precomputed timestamps: 43 M rows must not cost a datetime each
                stamps = [(DAY + timedelta(seconds=60 * i)).isoformat() for i in range(1440 * days + 1)]
                for cam in ids:
                    copy.write("".join(
                        f"{cam}\t{city}\t{stamps[i]}\t{stamps[i + 1]}\t60.0\tk/{cam}/{i}\tfmp4\n"
                        for i in range(1440 * days)
                    ))  # fmt: skip
            conn.commit()
            conn.execute("ANALYZE segments")
            seeded = time.perf_counter() - started
            cam = ids[len(ids) // 2]
            lo, hi = DAY + timedelta(hours=12), DAY + timedelta(hours=36)
            plan = conn.execute(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM segments WHERE camera_id = %s AND start_at >= %s"
                " AND start_at < %s AND end_at > %s ORDER BY start_at",
                (cam, lo - dal.MAX_SEGMENT, hi, lo),
            ).fetchall()
            print("\n".join(r["QUERY PLAN"] for r in plan), "\n")
            total = cameras * days * 1440
            # timeline p95: a day of a different camera each query (cold-ish pages), vs the baseline that
            # fetches the same rows and merges spans in Python
            rng = random.Random(7)
            picks = [(rng.choice(ids), DAY + timedelta(days=rng.randrange(days), hours=rng.randrange(24)))
                     for _ in range(queries)]  # fmt: skip
            hours24 = timedelta(hours=24)
            ours = [timed(lambda c=c, t=t: dal.timeline(conn, c, t, t + hours24), 1) * 1000 for c, t in picks]
            base = [timed(lambda c=c, t=t: python_timeline(dal.in_range(conn, c, t, t + hours24), t, t + hours24), 1)
                    * 1000 for c, t in picks]  # fmt: skip
            FIGURES["timeline_day_p95_ms"] = round(pct(ours, 0.95), 2)
            BASELINES["timeline_day_p95_ms"] = {
                "name": "same rows fetched (in_range) and merged in Python, p95 ms", "value": round(pct(base, 0.95), 2),
                "rows": total, "cameras": cameras, "days": days, "queries": queries,
            }  # fmt: skip
            print(f"timeline of one camera's 24 h, {queries} random cameras/days: p95 {pct(ours, 0.95):.2f} ms"
                  f" (SQL) vs {pct(base, 0.95):.2f} ms (rows merged in Python)\n")  # fmt: skip
            return [
                (f"seed {total:,} rows (COPY)", seeded),
                (
                    "in_range: one camera, 24 h across 2 partitions",
                    timed(lambda: dal.in_range(conn, cam, lo, hi), runs),
                ),
                ("timeline: one camera, 24 h", timed(lambda: dal.timeline(conn, cam, lo, hi), runs)),
            ]
    finally:
        server.cleanup()


FIGURES: dict[str, float] = {}
BASELINES: dict[str, dict[str, Any]] = {}


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def python_timeline(rows: list[Any], lo: datetime, hi: datetime) -> tuple[list[Any], float]:
    """The baseline: what dal.timeline computes in SQL, done in Python over the fetched rows."""
    spans: list[list[datetime]] = []
    for r in rows:
        s, e = max(r.start_at, lo), min(r.end_at, hi)
        if spans and s <= spans[-1][1] + timedelta(seconds=1):
            spans[-1][1] = max(spans[-1][1], e)
        else:
            spans.append([s, e])
    return spans, sum((e - s).total_seconds() for s, e in spans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1440)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", action="store_true", help="also time the segment index in an embedded PostgreSQL")
    parser.add_argument("--cameras", type=int, default=50 if quick() else 1000)
    parser.add_argument("--days", type=int, default=2 if quick() else 30)
    parser.add_argument("--queries", type=int, default=40 if quick() else 200)
    args = parser.parse_args()
    results = bench_presign(args.urls, args.runs)
    if args.db:
        results += bench_index(args.cameras, args.days, args.runs, args.queries)
    machine = platform.processor() or platform.machine()
    print(f"Machine: {machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("\n| operation | median |\n|---|---|")
    for name, seconds in results:
        print(f"| {name} | {seconds * 1000:.1f} ms |")
    record("playback", FIGURES, BASELINES, {"urls": args.urls, "runs": args.runs})


if __name__ == "__main__":
    main()
