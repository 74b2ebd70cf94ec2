"""Playback at scale: presigning 1,440 segment URLs (boto3 vs gtvision.dal.presign), building the playlist,
and (with --db) one camera's day from a segment index of many cameras.

Run: .venv/bin/python bench/bench_playback.py [--urls 1440] [--runs 5] [--db --cameras 200 --days 2]
Prints a markdown table (median of the runs). See docs/adr/0005-segment-index.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

from gtvision.dal.presign import Presigner
from gtvision.logic.recordings import build_playlist, segment_key

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


def _rows(n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        start = DAY + timedelta(seconds=60 * i)
        rows.append({"start_at": start, "end_at": start + timedelta(seconds=60), "duration_s": 60.0,
                     "video_codec": "h264", "width": 1920, "height": 1080, "container": "fmp4",
                     "init_bytes": 800, "size_bytes": 7_500_000, "pts_start": 0.0,
                     "s3_key": segment_key(CAMERA, start, "mp4")})  # fmt: skip
    return rows


def bench_presign(n: int, runs: int) -> list[tuple[str, float]]:
    client = boto3.client(
        "s3", region_name="sa-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret-example",
        aws_session_token="session-token-example", config=Config(signature_version="s3v4"),
    )  # fmt: skip
    bucket = "gtvision-recordings"
    rows = _rows(n)
    keys = [r["s3_key"] for r in rows]
    presigner = Presigner(client, bucket)

    def with_boto3() -> list[str]:
        return [
            client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": k}, ExpiresIn=3600)
            for k in keys
        ]

    def with_presigner() -> list[str]:
        return presigner.urls(keys, 3600)

    return [
        (f"boto3 generate_presigned_url x{n}", timed(with_boto3, runs)),
        (f"gtvision Presigner.urls x{n}", timed(with_presigner, runs)),
        (f"build_playlist of {n} fMP4 segments", timed(lambda: build_playlist(rows, with_presigner()), runs)),
    ]


def bench_index(cameras: int, days: int, runs: int) -> list[tuple[str, float]]:
    """Seed `cameras` x `days` x 1,440 one-minute segments in an embedded PostgreSQL; time one camera's day."""
    import pgserver
    import psycopg
    from psycopg.rows import dict_row

    from gtvision import migrations
    from gtvision.dal import segments as dal

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
                for cam in ids:
                    for i in range(1440 * days):
                        s = DAY + timedelta(seconds=60 * i)
                        copy.write_row((cam, city, s, s + timedelta(seconds=60), 60.0, f"k/{cam}/{i}", "fmp4"))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1440)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", action="store_true", help="also time the segment index in an embedded PostgreSQL")
    parser.add_argument("--cameras", type=int, default=200)
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    results = bench_presign(args.urls, args.runs)
    if args.db:
        results += bench_index(args.cameras, args.days, args.runs)
    machine = platform.processor() or platform.machine()
    print(f"Machine: {machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("\n| operation | median |\n|---|---|")
    for name, seconds in results:
        print(f"| {name} | {seconds * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
