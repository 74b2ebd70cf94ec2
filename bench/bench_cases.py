"""Cases and evidence: package time for 4 cameras × 5 min (fast and exact), redaction throughput per core and
its Lambda cost per exported hour, and the face detector's recall and false positives on the astronaut clip.

Run: .venv/bin/python bench/bench_cases.py [--cameras 4] [--minutes 5]   (BENCH_QUICK=1: 4 × 1 min)

The package is timed with the functions the workers run — `cut_clip` per camera, then the manifest, the
custody PDF (fpdf2), the signature and the ZIP — on local files (S3 and SQS are not in the figure). Parts run
one after another here; in AWS each camera is its own job, so the wall time of a package is about the slowest
part plus the packaging, which the table also shows.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from resultfile import quick, record

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
os.environ.setdefault("GTV_DATA_KEY", base64.b64encode(b"bench-evidence-key-0123456789abc").decode())

import astronaut_clip as ac  # noqa: E402
import cv2  # noqa: E402

from gtvision.cases.schemas import Case  # noqa: E402
from gtvision.core import evidence  # noqa: E402
from gtvision.exports.document import custody_pdf  # noqa: E402
from gtvision.media import ffmpeg  # noqa: E402
from gtvision.media.clipping import cut_clip  # noqa: E402
from gtvision.redaction import detect, video  # noqa: E402
from gtvision_local.testmedia import make_segments  # noqa: E402

#: Lambda x86 price per GB-second (us-east-1, first tier) and RedactionFunction's memory (template.yaml).
LAMBDA_GB_S_USD = 0.0000166667
REDACTION_MEMORY_MB = 3008
LAMBDA_MAX_S = 900


def package(parts: dict[str, str], tmp: str) -> float:
    """Seconds to write the manifest, the custody PDF, the signature and the ZIP of these files."""
    t0 = time.perf_counter()
    files = []
    for i, (camera, path) in enumerate(parts.items()):
        files.append(
            {
                "name": f"{i + 1:02d}_{camera}.mp4",
                "camera": {"id": camera, "name": camera},
                "sha256": ffmpeg.sha256_file(path),
                "size_bytes": os.path.getsize(path),
            }
        )
    body = {
        "format": "gtvision-evidence-package/1",
        "package": {"export_id": str(uuid.uuid4())},
        "city": {"name": "Bench", "state": "SP"},
        "range": {"start": "2026-01-01T12:00:00Z", "end": "2026-01-01T12:05:00Z"},
        "requested_by": {"username": "bench", "requested_at": "2026-01-01T12:00:00Z"},
        "redaction": {"faces": False, "plates": False},
        "privacy_masks": {"lifted": False},
        "mode": "exact",
        "files": files,
    }
    now = datetime.now(UTC)
    case = Case(
        uuid.uuid4(), uuid.uuid4(), "Bench", "BO 1", "ocorrencia", "open", None, "bench", now, now, None, None, None
    )
    key = evidence.signing_key()
    pdf = custody_pdf(body, case, [], "America/Sao_Paulo", evidence.key_id(evidence.public_key_bytes(key)))
    body["documents"] = [{"name": "custodia.pdf", "sha256": hashlib.sha256(pdf).hexdigest(), "size_bytes": len(pdf)}]
    manifest = evidence.sign(body, key)
    out = os.path.join(tmp, "pacote.zip")
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
        zf.writestr("manifest.json", str(manifest), zipfile.ZIP_DEFLATED)
        zf.writestr("custodia.pdf", pdf, zipfile.ZIP_DEFLATED)
        for item, path in zip(files, parts.values(), strict=True):
            zf.write(path, item["name"], zipfile.ZIP_STORED)
    ffmpeg.sha256_file(out)
    return time.perf_counter() - t0


def bench_package(cameras: int, minutes: float) -> dict[str, float]:
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    seg_s = 60.0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        count = max(1, round(minutes * 60 / seg_s)) + 1
        recorded = make_segments(
            os.path.join(tmp, "rec"),
            count,
            seg_s,
            start=start,
            size="640x360",
            fps=25,
            gop=50,
            fmt="fmp4",
            timeout=1800,
        )
        made = time.perf_counter() - t0
        # Every camera records the same scene here (the cut's cost does not depend on what is in the picture).
        window = (start + timedelta(seconds=30.52), start + timedelta(seconds=30.52 + minutes * 60))
        rows = {}
        for mode in ("fast", "exact"):
            parts, times = {}, []
            for n in range(cameras):
                out = os.path.join(tmp, f"{mode}-{n}.mp4")
                t = time.perf_counter()
                cut_clip(recorded, *window, mode, out, tmp, 1800)  # type: ignore[arg-type]
                times.append(time.perf_counter() - t)
                parts[f"cam{n + 1}"] = out
            pack = package(parts, tmp)
            rows[mode] = {
                "parts_sum": sum(times),
                "slowest_part": max(times),
                "package": pack,
                "size": sum(os.path.getsize(p) for p in parts.values()),
            }
            for p in parts.values():
                os.remove(p)
    print(
        f"Recording: {count} x {seg_s:.0f} s fmp4 segments, 640x360 H.264 25 fps, GOP 50 (made in {made:.1f} s);"
        f" window {minutes:g} min from mid-GOP, {cameras} cameras\n"
    )
    print(
        "| mode | parts, one after another (s) | slowest part (s) | packaging: manifest, PDF, signature, ZIP (s)"
        " | package wall time with one job per camera (s) | package size (MiB) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for mode, r in rows.items():
        print(
            f"| {mode} | {r['parts_sum']:.2f} | {r['slowest_part']:.2f} | {r['package']:.2f} |"
            f" {r['slowest_part'] + r['package']:.2f} | {r['size'] / 2**20:.1f} |"
        )
    return {f"package_{m}_s": r["slowest_part"] + r["package"] for m, r in rows.items()} | {
        f"parts_sum_{m}_s": r["parts_sum"] for m, r in rows.items()
    }


def bench_redaction(frames: int) -> dict[str, float]:
    cv2.setNumThreads(1)  # per core: one detection thread (ffmpeg's decode and encode run beside it)
    clip = ac.build(frames)
    with tempfile.TemporaryDirectory() as tmp:
        src = ac.encode(clip, os.path.join(tmp, "astro.mp4"))
        plain_s = statistics.median(
            _timed(lambda: video.redact(src, os.path.join(tmp, "p.mp4"), detect.Detector(False, False), 600))
            for _ in range(2)
        )
        faces = detect.Detector(True, False)
        t = time.perf_counter()
        stats = video.redact(src, os.path.join(tmp, "r.mp4"), faces, 600, keep_boxes=True)
        redact_s = time.perf_counter() - t
        both_s = _timed(lambda: video.redact(src, os.path.join(tmp, "b.mp4"), detect.Detector(True, True), 600))
    # Detector quality on every frame (the pipeline detects on every second one), and what the pipeline covers.
    every = [faces.detect(f) for f in clip.frames]
    hits = misses = false_pos = 0
    for truth, boxes in zip(clip.faces, every, strict=True):
        inside = [b for b in boxes if truth and _overlaps(b, truth)]
        false_pos += len(boxes) - len(inside)
        if truth:
            hits += bool(inside)
            misses += not inside
    near = video.SMOOTH
    covered = sum(
        any(
            _overlaps(b, truth) for k in range(max(0, n - near), n + near + 1) if k < frames for b in stats.per_frame[k]
        )
        for n, truth in enumerate(clip.faces)
        if truth
    )
    fps = frames / redact_s
    fps_both = frames / both_s
    frames_hour = 3600 * ac.FPS
    gb = REDACTION_MEMORY_MB / 1024
    cost_hour = frames_hour / fps * gb * LAMBDA_GB_S_USD
    print(
        f"Clip: {frames} frames {ac.WIDTH}x{ac.HEIGHT} at {ac.FPS} fps built from skimage.data.astronaut() moving over"
        f" a background ({ac.EMPTY_FRAMES} frames without the photo); OpenCV {cv2.__version__}, 1 detection thread\n"
    )
    print("| pipeline | frames/s | x plain |")
    print("|---|---:|---:|")
    print(f"| plain re-encode (decode + libx264 veryfast, no detection) | {frames / plain_s:.1f} | 1.0 |")
    print(f"| faces (frontal; profile both ways where no frontal face) | {fps:.1f} | {(frames / plain_s) / fps:.1f} |")
    print(f"| faces + plates | {fps_both:.1f} | {(frames / plain_s) / fps_both:.1f} |")
    print()
    print(
        f"Detector on every frame of the clip: recall {hits}/{hits + misses} frames with the face"
        f" ({hits / max(1, hits + misses):.1%}), {false_pos} false positive box(es) in {frames} frames."
        f" The pipeline (detection on every {video.DETECT_EVERY}nd frame, blur over n-{near}..n+{near}) blurred the"
        f" face in {covered}/{hits + misses} frames."
    )
    print(
        f"Cost per exported hour at {ac.FPS} fps ({frames_hour:,} frames), faces only, at the measured"
        f" {fps:.1f} frames/s per core on Lambda x86 with {REDACTION_MEMORY_MB} MB (${LAMBDA_GB_S_USD}/GB-s):"
        f" {frames_hour / fps / 60:.0f} min of compute, ${cost_hour:.3f}. One invocation ({LAMBDA_MAX_S} s) redacts"
        f" about {LAMBDA_MAX_S * fps / ac.FPS / 60:.1f} min of {ac.FPS} fps video at this rate."
    )
    return {
        "redaction_faces_fps": fps,
        "redaction_faces_plates_fps": fps_both,
        "plain_reencode_fps": frames / plain_s,
        "detector_recall": hits / max(1, hits + misses),
        "detector_false_positives": false_pos,
        "redaction_usd_per_hour": cost_hour,
    }


def _timed(work: object) -> float:
    t = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - t


def _overlaps(box: detect.Box, truth: tuple[int, int, int, int]) -> bool:
    x0, y0, x1, y1 = truth
    return box.x < x1 and box.x + box.w > x0 and box.y < y1 and box.y + box.h > y0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=1.0 if quick() else 5.0)
    parser.add_argument("--frames", type=int, default=100 if quick() else 250)
    args = parser.parse_args()
    version = ffmpeg.run_ffmpeg(["-version"], 30).stdout.splitlines()[0]
    print(f"Machine: nproc={os.cpu_count()}, load {os.getloadavg()[0]:.2f}, {version}\n")
    package_figures = bench_package(args.cameras, args.minutes)
    print()
    redaction = bench_redaction(args.frames)
    record(
        "bench_cases",
        {**package_figures, **redaction},
        {
            **{
                k: {"name": "the same cut, one camera", "value": package_figures["parts_sum_fast_s"] / args.cameras}
                for k in package_figures
            },
            **{k: {"name": "plain re-encode frames/s", "value": redaction["plain_reencode_fps"]} for k in redaction},
        },
        {"cameras": args.cameras, "minutes": args.minutes, "frames": args.frames},
    )


if __name__ == "__main__":
    main()
