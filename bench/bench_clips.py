"""Time fast vs exact vs full re-encode clips over a ~5 min 640x360 recording in 60 s segments.

Run: .venv/bin/python bench/bench_clips.py [--minutes 5] [--runs 3]
Prints a markdown table (median of the runs) with the machine it ran on. See docs/adr/0004-exact-clips.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta

from resultfile import quick, record

from gtvision.media import ffmpeg
from gtvision.media.clipping import SegmentSource, cut_clip
from gtvision_local.testmedia import make_segments

FPS = 25
GOP = 50  # 2 s, a common IP-camera setting


def decoded_frames(path: str) -> int:
    proc = ffmpeg.run_ffmpeg(["-i", path, "-map", "0:v", "-f", "null", "-"], timeout=600)
    return int(re.findall(r"frame=\s*(\d+)", proc.stderr)[-1])


def full_reencode(segments: list[SegmentSource], start_s: float, length_s: float, out: str) -> None:
    """The baseline: decode from the first segment and re-encode the asked range with libx264 veryfast."""
    listing = out + ".ffconcat"
    with open(listing, "w") as fh:
        fh.write("".join(f"file '{s.url_or_path}'\n" for s in segments))
    ffmpeg.run_ffmpeg(
        ["-y", "-f", "concat", "-safe", "0", "-i", listing, "-map", "0:v:0",
         "-vf", f"trim=start={start_s}:duration={length_s},setpts=PTS-STARTPTS",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-movflags", "+faststart", out],
        timeout=1800,
    )  # fmt: skip
    os.remove(listing)


def edge_gops(segments: list[SegmentSource], start_s: float, length_s: float, out: str) -> None:
    """Only the re-encoding part of a smart cut: the two partial GOPs at the edges (not a usable clip)."""
    for n, at in enumerate((start_s, start_s + length_s)):
        seg = segments[int(at // 60)]
        gop_start = (at % 60) // (GOP / FPS) * (GOP / FPS)
        ffmpeg.run_ffmpeg(
            ["-y", "-ss", f"{gop_start}", "-i", seg.url_or_path, "-t", f"{GOP / FPS}", "-map", "0:v:0",
             "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", f"{out}.{n}.mp4"],
            timeout=600,
        )  # fmt: skip
        os.remove(f"{out}.{n}.mp4")


def timed(runs: int, work: Callable[[], object]) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def machine() -> str:
    model = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    version = ffmpeg.run_ffmpeg(["-version"], timeout=30).stdout.splitlines()[0].split(" Copyright")[0]
    return f"nproc={os.cpu_count()}, cpu={model}, {version}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=int, default=3 if quick() else 5)
    parser.add_argument("--runs", type=int, default=1 if quick() else 3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gtv-bench-") as tmp:
        began = time.perf_counter()
        segments = make_segments(
            os.path.join(tmp, "rec"), args.minutes, 60, fps=FPS, size="640x360", gop=GOP, fmt="fmp4", timeout=1800
        )
        made = time.perf_counter() - began
        # 2 minutes starting mid-GOP, crossing segment boundaries
        start_s, length_s = 30.52, 120.0
        start = segments[0].start + timedelta(seconds=start_s)
        end = start + timedelta(seconds=length_s)
        scratch = os.path.join(tmp, "scratch")
        os.makedirs(scratch)
        out = {name: os.path.join(tmp, f"{name}.mp4") for name in ("fast", "exact", "full", "edges")}
        methods: list[tuple[str, str, Callable[[], object]]] = [
            ("fast (stream copy, from keyframe)", "fast",
             lambda: cut_clip(segments, start, end, "fast", out["fast"], scratch, 600)),
            ("exact (stream copy + edit list)", "exact",
             lambda: cut_clip(segments, start, end, "exact", out["exact"], scratch, 600)),
            ("full re-encode (libx264 veryfast)", "full",
             lambda: full_reencode(segments, start_s, length_s, out["full"])),
            ("edge GOPs re-encode only (part of a smart cut)", "edges",
             lambda: edge_gops(segments, start_s, length_s, out["edges"])),
        ]  # fmt: skip
        rows = [(label, timed(args.runs, work), out[key]) for label, key, work in methods]
        fast_s = rows[0][1]
        print(f"Machine: {machine()}")
        print(
            f"Recording: {args.minutes} x 60 s fmp4 segments, 640x360 H.264 {FPS} fps, GOP {GOP} (made in {made:.1f} s)"
        )
        print(f"Clip: {length_s:.0f} s from t={start_s} s (mid-GOP); median of {args.runs} runs")
        print()
        print("| method | median time (s) | x fast | decoded frames (asked 3000) | size (KiB) |")
        print("|---|---:|---:|---:|---:|")
        for label, seconds, path in rows:
            if os.path.exists(path):
                frames, size = str(decoded_frames(path)), f"{os.path.getsize(path) / 1024:.0f}"
            else:
                frames, size = "-", "-"
            print(f"| {label} | {seconds:.3f} | {seconds / fast_s:.1f} | {frames} | {size} |")
        fast, exact, full = rows[0][1], rows[1][1], rows[2][1]
        record(
            "clips",
            {"clip_fast_speedup_vs_reencode": round(full / fast, 2), "clip_exact_over_fast": round(exact / fast, 3)},
            {
                "clip_fast_speedup_vs_reencode": {"name": "full re-encode (libx264 veryfast) of the same clip, s",
                                                  "value": round(full, 3), "fast_s": round(fast, 3)},
                "clip_exact_over_fast": {"name": "fast clip (stream copy from the keyframe), s",
                                         "value": round(fast, 3), "exact_s": round(exact, 3)},
            },
            {"clip_s": length_s, "recording_minutes": args.minutes, "runs": args.runs},
        )  # fmt: skip


if __name__ == "__main__":
    main()
