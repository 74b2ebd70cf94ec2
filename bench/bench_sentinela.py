"""Sentinela: local analyser speed, segments per minute through the local queue, vehicle-filter index plans.

1. Analyser: a 60 s 640×360 lavfi recording (grey scene, a red box crossing for 10 s) decoded at 1 fps;
   frames/s per core of the local analyser with the motion filter (what the worker runs) against the
   baseline of analysing every frame (no motion filter). numpy and ffmpeg are pinned to one thread.
2. End to end: N segments registered in an embedded PostgreSQL and moto S3; a search with
   analyse_video goes through moto SQS and the local runtime's poller into SentinelaAnalyseFunction
   (download, ffmpeg, analyser, S3 frames, DB) — segments/min, against the baseline of calling the
   same analysis directly (no queue).
3. Index plans: `--reads` synthetic plate reads; colour+type+time searches timed with the vehicle
   indexes and, as the baseline, with them dropped.

Run: .venv/bin/python bench/bench_sentinela.py [--segments 8] [--reads 1000000]   (BENCH_QUICK=1: 3, 100,000)
"""

from __future__ import annotations

import os

# One core: the figure is per core. Set before numpy loads its thread pools.
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF lines would land in the report
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from resultfile import quick, record  # noqa: E402

from gtvision_local.ports import free_port  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIGURES: dict[str, float] = {}
BASELINES: dict[str, dict[str, Any]] = {}


def make_recording(path: Path, seconds: int = 60) -> Path:
    from gtvision.media import ffmpeg

    ffmpeg.run_ffmpeg(
        [
            "-f", "lavfi", "-i", f"color=c=0x808080:s=640x360:r=15:d={seconds}",
            "-f", "lavfi", "-i", "color=c=red:s=96x48:r=15",
            "-filter_complex", "[0][1]overlay=x='-96+(t-20)*73':y=150:enable='between(t,20,30)':shortest=1",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p", "-y", str(path),
        ],
        timeout=300,
    )  # fmt: skip
    return path


def _median_s(fn: Any, rounds: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench_analyser(recording: Path, rounds: int) -> list[str]:
    import numpy as np

    from gtvision.media import ffmpeg, frames
    from gtvision.media.analysers import local

    def previous_extraction(work: str) -> None:
        """The extraction before ADR 0018's amendment: raw RGB + JPEG, motion left to numpy afterwards."""
        ffmpeg.run_ffmpeg(
            ["-i", str(recording), "-filter_complex", "[0:v]fps=1,scale=640:360,split=2[a][b]",
             "-map", "[a]", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", os.path.join(work, "frames.rgb"),
             "-map", "[b]", "-q:v", "4", "-start_number", "0", "-y", os.path.join(work, "f%05d.jpg")],
            timeout=300,
        )  # fmt: skip

    with tempfile.TemporaryDirectory() as work:
        old_s, _ = _median_s(lambda: previous_extraction(work), rounds)
        lambda_s, _ = _median_s(lambda: frames.extract(str(recording), work, 300, pixels=False), rounds)
        local_s, sampled = _median_s(lambda: frames.extract(str(recording), work, 300), rounds)
        n = len(sampled)
        FIGURES["sentinela_extract_frames_per_s_rekognition"] = round(n / lambda_s, 1)
        BASELINES["sentinela_extract_frames_per_s_rekognition"] = {
            "name": "previous extraction: raw RGB + JPEG, no motion grid (frames/s)",
            "value": round(n / old_s, 1),
        }

        # The motion decision: counting the grid's changed pixels (pure Python) against the numpy frame
        # difference on the 1/4 grid of the RGB frames that the previous implementation ran.
        with open(os.path.join(work, "motion.rgb"), "rb") as fh:
            diffs = [fh.read(frames.GRID_W * frames.GRID_H * 3) for _ in range(n)]
        count_s, _ = _median_s(lambda: [frames.changed_pixels(d) for d in diffs if d], rounds)

        def numpy_motion() -> int:
            grids = [local.frame_pixels(f)[::4, ::4].astype(np.int16) for f in sampled]
            return sum(int((np.abs(grids[i] - grids[i - 1 if i else 1]).max(axis=2) > 30).sum()) >= 12
                       for i in range(n))  # fmt: skip

        numpy_s, _ = _median_s(numpy_motion, rounds)
        every = {f.second for f in sampled}
        rows = []
        for name, filtered in (("every frame analysed (baseline)", False), ("motion filter + analysis", True)):
            moving = frames.moving_seconds(sampled) if filtered else every
            med, found = _median_s(lambda m=moving: local.LocalAnalyser().analyse(sampled, m), rounds)
            if filtered:
                FIGURES["sentinela_local_frames_per_s_per_core"] = round(n / med, 1)
            else:
                BASELINES["sentinela_local_frames_per_s_per_core"] = {
                    "name": "every frame analysed, no motion filter (frames/s per core)",
                    "value": round(n / med, 1),
                }
            rows.append(f"| {name} | {n} | {len(moving)} | {len(found)} | {med * 1000:.0f} | {n / med:.0f} |")
    return [
        f"Recording: 60 s, 640×360 H.264 (15 fps), 1 fps sampling → {n} frames; one ffmpeg run each, median of"
        f" {rounds}.",
        "",
        "| extraction (ffmpeg decode + scale + outputs) | seconds | frames/s |",
        "|---|---:|---:|",
        f"| raw RGB + JPEG, no motion grid (previous, baseline) | {old_s:.2f} | {n / old_s:.0f} |",
        f"| raw RGB + JPEG + 160×90 motion grid (local analyser) | {local_s:.2f} | {n / local_s:.0f} |",
        f"| JPEG + 160×90 motion grid (Rekognition, what Lambda runs) | {lambda_s:.2f} | {n / lambda_s:.0f} |",
        "",
        f"Motion decision over the {n} frames: counting the grid's changed pixels in pure Python"
        f" {count_s * 1e6 / n:.0f} µs/frame; the previous numpy frame difference (1/4 grid of the RGB frames,"
        f" baseline) {numpy_s * 1e6 / n:.0f} µs/frame.",
        "",
        "| local analyser, 1 thread | frames | frames analysed | frames with objects | ms per segment |"
        " frames/s per core |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
    ]


def bench_end_to_end(recording: Path, n_segments: int) -> list[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"})  # fmt: skip
    from gtvision_local import resources, template
    from gtvision_local.runtime import Runtime

    tpl = template.load_template(REPO / "template.yaml", endpoint_url=endpoint)
    resources.create_resources(tpl, endpoint)
    for key, value in tpl.globals_env().items():
        if key.endswith(("_URL", "_ARN", "_BUCKET")) and key != "DATABASE_URL" and value:
            os.environ[key] = str(value)
    from gtvision.core import aws, db
    from gtvision.core.principal import Principal
    from gtvision.core.settings import get_settings
    from gtvision.recordings import store as segments_dal
    from gtvision.sentinela import service as sentinela
    from gtvision.sentinela import worker
    from gtvision.sentinela.schemas import Criteria, SearchIn, SegmentTask

    get_settings.cache_clear()
    aws.reset()
    try:
        data = recording.read_bytes()
        city, camera = uuid.uuid4(), uuid.uuid4()
        t0 = (datetime.now(UTC) - timedelta(hours=5)).replace(microsecond=0)
        with db.transaction() as conn:
            conn.execute("INSERT INTO cities (id, name, state, retention_days) VALUES (%s, %s, 'SP', 7)",
                         (city, f"Bench {city.hex[:6]}"))  # fmt: skip
            conn.execute("INSERT INTO cameras (id, city_id, name, source_url) VALUES (%s, %s, 'bench', 'rtsp://10.0.0.1/')",
                         (camera, city))  # fmt: skip
            for i in range(n_segments):
                start = t0 + timedelta(seconds=60 * i)
                key = f"recordings/{camera}/{start:%Y-%m-%d_%H-%M-%S-%f}.mp4"
                aws.client("s3").put_object(Bucket=get_settings().recordings_bucket, Key=key, Body=data)
                segments_dal.insert(conn, {"camera_id": camera, "city_id": city, "start_at": start,
                                           "end_at": start + timedelta(seconds=60), "duration_s": 60.0,
                                           "s3_key": key, "container": "mp4"})  # fmt: skip
        viewer = Principal(str(uuid.uuid4()), "bench", "viewer", str(city))
        window = {"from": t0.isoformat(), "to": (t0 + timedelta(seconds=60 * n_segments)).isoformat(),
                  "color": "vermelho", "camera_ids": [str(camera)], "analyse_video": True}  # fmt: skip

        # Through the queue: SQS (moto) → local runtime poller → SentinelaAnalyseFunction handler
        rt = Runtime(tpl, api_port=0)
        poller = next(p for p in rt.pollers if p.function.logical_id == "SentinelaAnalyseFunction")
        poller.wait_seconds = 0
        started = time.perf_counter()
        search = sentinela.create(viewer, SearchIn.model_validate(window))
        while sentinela.visible(viewer, str(search.id)).status in ("pending", "processing"):
            poller.poll_once()
        queued_s = time.perf_counter() - started
        final = sentinela.visible(viewer, str(search.id))
        items, _ = sentinela.results(final, 500, None)

        # Baseline: the same analysis called directly, one segment after the other (no queue, no handler)
        from gtvision.sentinela import store as sentinela_dal

        direct_id = str(uuid.uuid4())
        with db.transaction() as conn:
            segs = sentinela_dal.recorded_segments(conn, str(city), [str(camera)], t0,
                                                   t0 + timedelta(seconds=60 * n_segments))  # fmt: skip
            sentinela_dal.insert_search(conn, direct_id, str(city), None, Criteria.model_validate(final.criteria))
            sentinela_dal.plan_segments(conn, direct_id, segs)
        started = time.perf_counter()
        for s in segs:
            worker.analyse_segment(SegmentTask(direct_id, str(camera), s.start_at))
        direct_s = time.perf_counter() - started
    finally:
        moto.stop()
    FIGURES["sentinela_segments_per_min_local_queue"] = round(n_segments / queued_s * 60, 1)
    BASELINES["sentinela_segments_per_min_local_queue"] = {
        "name": "direct analyse_segment calls, no queue (segments/min)",
        "value": round(n_segments / direct_s * 60, 1),
    }
    return [
        f"{n_segments} segments of 60 s (640×360, 15 fps) on one camera; search `color=vermelho`, analyse_video.",
        f"Job through the queue ended `{final.status}` with {len(items)} results"
        f" ({sum(1 for i in items if i.source == 'video')} video sightings).",
        "",
        "| path | seconds | segments/min |",
        "|---|---:|---:|",
        f"| direct `analyse_segment` calls (baseline, no queue) | {direct_s:.1f} | {n_segments / direct_s * 60:.1f} |",
        f"| SQS (moto) → local runtime poller → SentinelaAnalyseFunction | {queued_s:.1f} |"
        f" {n_segments / queued_s * 60:.1f} |",
    ]


def bench_index(n_reads: int) -> list[str]:
    from gtvision.core import db
    from gtvision.lpr import store as lpr_dal

    city = uuid.uuid4()
    with db.transaction() as conn:
        conn.execute("SET LOCAL statement_timeout = 0")  # a bulk load, not an API statement
        t0 = time.perf_counter()
        conn.execute(
            "INSERT INTO plate_reads (city_id, camera_id, event_id, plate, confidence, captured_at, vehicle_color,"
            " vehicle_type)"
            " SELECT CASE WHEN g %% 10 = 0 THEN %(city)s ELSE ('00000000-0000-0000-0000-' || lpad((g %% 50)::text,"
            " 12, '0'))::uuid END, gen_random_uuid(), 'bench-' || g, 'ABC' || lpad((g %% 10000)::text, 4, '0'), 0.9,"
            " now() - (g %% 43200) * interval '1 minute',"
            # A street's mix: mostly white/black/silver/grey cars, few orange vehicles or buses.
            " CASE WHEN c < 300 THEN 'branco' WHEN c < 550 THEN 'preto' WHEN c < 750 THEN 'prata'"
            "  WHEN c < 900 THEN 'cinza' WHEN c < 950 THEN 'vermelho' WHEN c < 980 THEN 'azul'"
            "  WHEN c < 995 THEN 'amarelo' ELSE 'laranja' END,"
            " CASE WHEN t < 750 THEN 'carro' WHEN t < 900 THEN 'moto' WHEN t < 950 THEN 'caminhonete'"
            "  WHEN t < 980 THEN 'caminhao' WHEN t < 990 THEN 'van' ELSE 'onibus' END"
            " FROM generate_series(1, %(n)s) g,"
            " LATERAL (SELECT (g::bigint * 7919) %% 1000 AS c, (g::bigint * 104729) %% 1000 AS t) h",
            {"city": city, "n": n_reads},
        )
        conn.execute("ANALYZE plate_reads")
        load_s = time.perf_counter() - t0
    now = datetime.now(UTC)
    cases = [
        ("preto + caminhonete, 2 h", lpr_dal.ReadFilter(str(city), None, now - timedelta(hours=2), now, "preto",
                                                       "caminhonete")),
        ("vermelho, 7 days", lpr_dal.ReadFilter(str(city), None, now - timedelta(days=7), now, "vermelho", None)),
        ("onibus, 30 days", lpr_dal.ReadFilter(str(city), None, now - timedelta(days=30), now, None, "onibus")),
        ("laranja + onibus, 30 days", lpr_dal.ReadFilter(str(city), None, now - timedelta(days=30), now, "laranja",
                                                        "onibus")),
    ]  # fmt: skip

    def run(flt: Any) -> float:
        samples = []
        for _ in range(7):
            with db.transaction() as conn:
                t = time.perf_counter()
                lpr_dal.search_page(conn, flt, None, False, None, 50)
                samples.append((time.perf_counter() - t) * 1000)
        return statistics.median(samples)

    def plans() -> dict[str, dict[str, Any]]:
        out = {}
        with db.transaction() as conn:
            for name, flt in cases:
                where, params = flt.sql()
                row = conn.execute(
                    "EXPLAIN (FORMAT JSON) SELECT r.id FROM plate_reads r WHERE " + " AND ".join(where)
                    + " ORDER BY r.captured_at DESC, r.id DESC LIMIT 51", params,
                ).fetchone()  # fmt: skip
                out[name] = row["QUERY PLAN"][0]["Plan"]
        return out

    with_idx, plans_with = {name: run(flt) for name, flt in cases}, plans()
    with db.transaction() as conn:
        conn.execute("DROP INDEX plate_reads_city_color_time_idx")
        conn.execute("DROP INDEX plate_reads_city_type_time_idx")
    without, plans_without = {name: run(flt) for name, flt in cases}, plans()
    with db.transaction() as conn:
        conn.execute("CREATE INDEX plate_reads_city_color_time_idx ON plate_reads (city_id, vehicle_color, captured_at)"
                     " WHERE vehicle_color IS NOT NULL")  # fmt: skip
        conn.execute("CREATE INDEX plate_reads_city_type_time_idx ON plate_reads (city_id, vehicle_type, captured_at)"
                     " WHERE vehicle_type IS NOT NULL")  # fmt: skip

    def scans(plan: dict[str, Any]) -> str:
        out = []
        stack = [plan]
        while stack:
            node = stack.pop()
            if "Scan" in node["Node Type"]:
                out.append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
            stack += node.get("Plans", [])
        return ", ".join(out)

    rare = "laranja + onibus, 30 days"
    FIGURES["sentinela_rare_vehicle_filter_ms"] = round(with_idx[rare], 2)
    BASELINES["sentinela_rare_vehicle_filter_ms"] = {
        "name": f"{rare} without the vehicle indexes ((city, time) index), median ms",
        "value": round(without[rare], 2),
    }
    rows = [
        f"| {n} | {scans(plans_with[n])} | {with_idx[n]:.1f} | {scans(plans_without[n])} | {without[n]:.1f} |"
        for n, _ in cases
    ]
    return [
        f"{n_reads:,} reads in 10 cities (this city {n_reads // 10:,}), 30 days;"
        f" load + ANALYZE {load_s:.0f} s. Colours 30 % branco … 0.5 % laranja; types 75 % carro … 1 % onibus.",
        "GET /v1/lpr/events statement (`dal.lpr.search_page`), limit 50.",
        "",
        "| filter | plan with the vehicle indexes | median ms | plan without them (baseline) | median ms |",
        "|---|---|---:|---|---:|",
        *rows,
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--segments", type=int, default=3 if quick() else 8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reads", type=int, default=100_000 if quick() else 1_000_000)
    args = ap.parse_args()
    import pgserver

    tmp = tempfile.mkdtemp(prefix="gtv-bench-sentinela-")
    srv = pgserver.get_server(tmp, cleanup_mode="delete")
    url = srv.get_uri()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("GTV_DATA_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
    os.environ["GTV_SENTINELA_ANALYSER"] = "local"
    from gtvision.core import db, migrations
    from gtvision.core.settings import get_settings

    get_settings.cache_clear()
    migrations.apply(url)
    try:
        recording = make_recording(Path(tmp) / "crossing.mp4")
        out = ["### Local analyser (frames per second per core, 640×360)", "", *bench_analyser(recording, args.rounds)]
        out += ["", "### Segments per minute end to end (local queue)", "", *bench_end_to_end(recording, args.segments)]
        out += ["", "### Vehicle filters on plate reads (index plans)", "", *bench_index(args.reads)]
        print("\n".join(out))
        record("sentinela", FIGURES, BASELINES, {"segments": args.segments, "reads": args.reads})
    finally:
        db.close_all()
        srv.cleanup()


if __name__ == "__main__":
    main()
