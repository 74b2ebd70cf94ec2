"""Time retention over N expired segments and extrapolate to 1,000 cameras (1.44 M segments a day).

Run: .venv/bin/python bench/bench_retention.py [--rows 100000] [--objects 1000] [--cameras 100]
Uses an embedded PostgreSQL and a moto S3 server. Every row's two keys go through DeleteObjects; only
`--objects` segments have real objects (moto is slow to fill), the rest are deletes of absent keys,
which S3 answers the same way. Prints a markdown table. See docs/adr/0007-retention.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from resultfile import quick
from scratch import scratch_env

from gtvision_local.ports import free_port

scratch_env()

PER_DAY = 1_440_000  # 1,000 cameras x one 60 s segment a minute


def seed(conn, city_id: str, cameras: list[str], day: datetime, rows: int, objects: int, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    """`rows` 60 s segments spread over `cameras` on `day` (COPY), the first `objects` with real objects."""
    from gtvision.recordings import store as segments

    segments.ensure_partition(conn, day.date())
    buf = io.StringIO()
    per_cam = -(-rows // len(cameras))
    n = 0
    for cam in cameras:
        for i in range(per_cam):
            if n == rows:
                break
            start = day + timedelta(seconds=60 * i)
            stamp = start.strftime("%Y-%m-%d_%H-%M-%S-%f")
            key, thumb = f"recordings/{cam}/{stamp}.mp4", f"thumbnails/{cam}/{stamp}.jpg"
            buf.write(
                f"{cam}\t{city_id}\t{start.isoformat()}\t{(start + timedelta(seconds=60)).isoformat()}"
                f"\t60\t{key}\t{thumb}\tfmp4\n"
            )
            if n < objects:
                s3.put_object(Bucket=bucket, Key=key, Body=b"seg")
                s3.put_object(Bucket=bucket, Key=thumb, Body=b"jpg")
            n += 1
    buf.seek(0)
    with conn.cursor().copy(
        "COPY segments (camera_id, city_id, start_at, end_at, duration_s, s3_key, thumb_key, container) FROM STDIN"
    ) as cp:
        cp.write(buf.read())
    conn.commit()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000 if quick() else 100_000)
    ap.add_argument("--objects", type=int, default=200 if quick() else 1_000)
    ap.add_argument("--cameras", type=int, default=100)
    args = ap.parse_args()

    import logging

    import pgserver
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    tmp = tempfile.mkdtemp(prefix="gtv-bench-pg-")
    pg = pgserver.get_server(tmp, cleanup_mode="delete")
    url = pg.get_uri()
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    os.environ.update(
        {"DATABASE_URL": url, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "RECORDINGS_BUCKET": "bench-recordings"}
    )

    import psycopg
    from psycopg.rows import dict_row

    from gtvision.core import aws, migrations
    from gtvision.core.settings import get_settings
    from gtvision.retention import service as retention

    get_settings.cache_clear()
    aws.reset()
    migrations.apply(url)
    # Split each run's time into storage (DeleteObjects round trips) and the database.
    from gtvision.retention import store as dal

    storage = {"s": 0.0, "calls": 0}
    real_delete = dal.delete_objects

    def timed_delete(keys: list[str], bucket: str) -> int:
        t = time.perf_counter()
        try:
            return real_delete(keys, bucket)
        finally:
            storage["s"] += time.perf_counter() - t
            storage["calls"] += -(-len(set(keys)) // dal.DELETE_BATCH)

    dal.delete_objects = timed_delete  # type: ignore[assignment]

    def measured(**kw: object) -> tuple[object, float, float, int]:
        storage.update(s=0.0, calls=0)
        t = time.perf_counter()
        report = retention.run(**kw)  # type: ignore[arg-type]
        return report, time.perf_counter() - t, storage["s"], storage["calls"]

    s3 = aws.client("s3")
    bucket = get_settings().recordings_bucket
    s3.create_bucket(Bucket=bucket)
    now = datetime.now(UTC)
    results = []
    try:
        with psycopg.connect(url, row_factory=dict_row) as conn:
            short = conn.execute(
                "INSERT INTO cities (name, state, retention_days) VALUES ('Curta', 'SP', 7) RETURNING id"
            ).fetchone()["id"]
            long_ = conn.execute(
                "INSERT INTO cities (name, state, retention_days) VALUES ('Longa', 'SP', 30) RETURNING id"
            ).fetchone()["id"]
            conn.commit()
            cams = [str(uuid.uuid4()) for _ in range(args.cameras)]
            # Row path: the day also holds a 30-day city's young rows, so it can't be dropped whole.
            row_day = (now - timedelta(days=9)).replace(hour=0, minute=0, second=0, microsecond=0)
            t0 = time.perf_counter()
            seed(conn, str(short), cams, row_day, args.rows, args.objects, s3, bucket)
            seed(conn, str(long_), [str(uuid.uuid4())], row_day, 10, 0, s3, bucket)
            # Partition path: a whole day past every plan.
            part_day = (now - timedelta(days=40)).replace(hour=0, minute=0, second=0, microsecond=0)
            seed(conn, str(short), cams, part_day, args.rows, args.objects, s3, bucket)
            seeding = time.perf_counter() - t0

        first, elapsed, st_both, calls_both = measured(now=now)
        again, noop, _, _ = measured(now=now)

        with psycopg.connect(url, row_factory=dict_row) as conn:
            left = conn.execute("SELECT count(*) AS n FROM segments WHERE city_id = %s", (short,)).fetchone()["n"]
        objs = sum(p.get("KeyCount", 0) for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket))
        assert left == 0 and objs == 0, (left, objs)
        assert first.partitions_dropped == 1 and again.segments_deleted == 0  # type: ignore[attr-defined]

        # Time each path alone: re-seed and run, separately.
        with psycopg.connect(url, row_factory=dict_row) as conn:
            seed(conn, str(short), cams, row_day, args.rows, args.objects, s3, bucket)
        rows_run, row_path, st_rows, calls_rows = measured(now=now)
        with psycopg.connect(url, row_factory=dict_row) as conn:
            seed(conn, str(short), cams, part_day - timedelta(days=1), args.rows, args.objects, s3, bucket)
        part_run, part_path, st_part, calls_part = measured(now=now)
        assert rows_run.segments_deleted == args.rows and part_run.partitions_dropped == 1  # type: ignore[attr-defined]
        results = [
            ("row batches (500 rows + 1,000 keys a batch)", args.rows, row_path, st_rows, calls_rows),
            ("whole-day partition drop (keys listed + DeleteObjects)", args.rows, part_path, st_part, calls_part),
            ("both paths in one run", 2 * args.rows, elapsed, st_both, calls_both),
            ("second run (nothing to do)", 0, noop, 0.0, 0),
        ]
    finally:
        moto.stop()
        from gtvision.core import db

        db.close_all()
        pg.cleanup()

    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; PostgreSQL (pgserver) + moto S3 on localhost. Seeding took {seeding:.1f} s."
    )
    print(
        f"{args.rows:,} segments per path, {args.cameras} cameras, {args.objects:,} with real objects; "
        "each segment is 2 keys (recording + thumbnail).\n"
    )
    print(
        "| path | segments | total (s) | DeleteObjects calls | storage (s) | database (s) | segments/s |"
        " one hour of 1,000 cameras (60,000) | one day (1.44 M) | database only, one day |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, n, secs, st, calls in results:
        dbs = secs - st
        if n:
            rate = n / secs
            print(
                f"| {name} | {n:,} | {secs:.2f} | {calls:,} | {st:.2f} | {dbs:.2f} | {rate:,.0f} |"
                f" {PER_DAY / 24 / rate:.1f} s | {PER_DAY / rate / 60:.1f} min | {dbs * PER_DAY / n:.0f} s |"
            )
        else:
            print(f"| {name} | 0 | {secs:.2f} | 0 | – | {dbs:.2f} | – | – | – | – |")


if __name__ == "__main__":
    main()
