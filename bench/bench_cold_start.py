"""Cold start: the time to import each Lambda function's handler module in a fresh Python process
(what a cold Lambda pays before its first event), against a bare interpreter start measured the same way.

Run: .venv/bin/python bench/bench_cold_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from resultfile import quick, record

REPO = Path(__file__).resolve().parents[1]
HANDLERS = {
    "ApiFunction": "functions/api/app.py",
    "SegmentUploadFunction": "functions/segment_upload/handler.py",
    "ClipWorkerFunction": "functions/clip_worker/handler.py",
    "LprIngestFunction": "functions/lpr_ingest/handler.py",
    "RetentionFunction": "functions/retention/handler.py",
}
_PROBE = """
import importlib.util, os, sys, time
t0 = time.perf_counter()
path = sys.argv[1]
if path:
    sys.path.insert(0, os.path.dirname(path))  # the function's own directory, as Lambda's /var/task
    spec = importlib.util.spec_from_file_location("handler_under_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
print((time.perf_counter() - t0) * 1000)
"""


def one(path: str) -> tuple[float, float]:
    """(import ms measured inside the process, whole process wall ms) of one cold import."""
    import time

    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
           "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _PROBE, path], capture_output=True, text=True, env=env, cwd=REPO,
                         check=True)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1]), (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2 if quick() else 5)
    args = ap.parse_args()
    bare = statistics.median(one("")[1] for _ in range(args.runs))
    rows = {}
    for name, rel in HANDLERS.items():
        samples = [one(str(REPO / rel)) for _ in range(args.runs)]
        rows[name] = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))
    print(f"Median of {args.runs} fresh processes each (bytecode caches as installed).")
    print()
    print("| function | handler import (ms) | whole process (ms) |")
    print("|---|---:|---:|")
    print(f"| bare interpreter (`python -c pass`-like baseline) | - | {bare:.0f} |")
    for name, (imp, wall) in rows.items():
        print(f"| {name} | {imp:.0f} | {wall:.0f} |")
    worst = max(rows.values(), key=lambda r: r[0])
    record(
        "cold_start",
        {"cold_start_import_ms_max": round(worst[0], 1)},
        {
            "cold_start_import_ms_max": {
                "name": "bare interpreter start (whole process, ms)",
                "value": round(bare, 1),
                "worst_whole_process_ms": round(worst[1], 1),
            }
        },  # fmt: skip
        {"per_function_import_ms": {k: round(v[0], 1) for k, v in rows.items()}, "runs": args.runs},
    )


if __name__ == "__main__":
    main()
