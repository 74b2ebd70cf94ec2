"""Time one segment's registration (SegmentUploadFunction's work) at 1, 2 and 4 Mb/s: the input of docs/cost.md.

Run: .venv/bin/python bench/bench_segment_registration.py [--seconds 60] [--repeat 5]
Embedded PostgreSQL + moto S3 over HTTP + real ffmpeg: each 60 s CBR H.264 segment (640x360, made here with
lavfi) is uploaded once and registered `--repeat` times (the row is deleted between runs), so the time is
download + SHA-256 + probe + thumbnail + upload + insert, as in the function. Baseline in the same run: the
same registration of a 1-second segment (the fixed part: thumbnail, S3 and database round trips).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime

from scratch import scratch_env

from gtvision_local.ports import free_port

scratch_env(POWERTOOLS_METRICS_DISABLED="true")


def make_segment(path: str, seconds: float, mbps: float) -> None:
    from gtvision.media.ffmpeg import run_ffmpeg

    rate = f"{int(mbps * 1000)}k"
    run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=640x360:rate=25:duration={seconds:g}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "50",
            "-b:v",
            rate,
            "-minrate",
            rate,
            "-maxrate",
            rate,
            "-bufsize",
            rate,
            "-x264-params",
            "nal-hrd=cbr:force-cfr=1",
            "-pix_fmt",
            "yuv420p",
            "-f",
            "mp4",
            path,
        ],
        timeout=600,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import boto3
    import pgserver
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    tmp = tempfile.mkdtemp(prefix="gtv-bench-reg-")
    pg = pgserver.get_server(os.path.join(tmp, "pg"), cleanup_mode="delete")
    url = pg.get_uri()
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = "bench-recordings"
    os.environ.update({"DATABASE_URL": url, "AWS_ENDPOINT_URL": endpoint, "RECORDINGS_BUCKET": bucket})

    from gtvision.core import aws, db, migrations
    from gtvision.core.settings import get_settings
    from gtvision.recordings import service as recordings

    get_settings.cache_clear()
    aws.reset()
    migrations.apply(url)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    city, camera = str(uuid.uuid4()), str(uuid.uuid4())
    with db.transaction() as conn:
        conn.execute("INSERT INTO cities (id, name, state, retention_days) VALUES (%s, 'Bench', 'SP', 7)", (city,))
        conn.execute(
            "INSERT INTO cameras (id, city_id, name, source_url) VALUES (%s, %s, 'cam', 'rtsp://192.0.2.1/x')",
            (camera, city),
        )

    print(f"Segments: {args.seconds:g} s, 640x360 H.264 CBR, registered {args.repeat} times each (median).")
    print()
    print("| segment | size (MB) | registration median (ms) | min | max |")
    print("|---|---:|---:|---:|---:|")
    cases = [("baseline: 1 s at 2 Mb/s", 1.0, 2.0)] + [
        (f"{args.seconds:g} s at {m:g} Mb/s", args.seconds, m) for m in (1.0, 2.0, 4.0)
    ]
    for n, (label, seconds, mbps) in enumerate(cases):
        path = os.path.join(tmp, f"seg{n}.mp4")
        make_segment(path, seconds, mbps)
        start = datetime(2026, 11, 1, 12, n, tzinfo=UTC)
        key = f"recordings/{camera}/{start:%Y-%m-%d_%H-%M-%S-%f}.mp4"
        s3.upload_file(path, bucket, key)
        times = []
        for _ in range(args.repeat):
            with db.transaction() as conn:
                conn.execute("DELETE FROM segments WHERE camera_id = %s", (camera,))
            t0 = time.perf_counter()
            outcome = recordings.register_upload(bucket, key)
            times.append((time.perf_counter() - t0) * 1000)
            if outcome.status != "registered":
                raise SystemExit(f"{label}: {outcome}")
        size = os.path.getsize(path) / 1e6
        print(f"| {label} | {size:.2f} | {statistics.median(times):.0f} | {min(times):.0f} | {max(times):.0f} |")
    db.close_all()
    moto.stop()


if __name__ == "__main__":
    main()
