"""Cold start as Lambda sees it: fresh-process import of each handler from the assembled Lambda layout (only the
function dir + layers + the runtime's boto3 on sys.path; precompiled like the layer recipes), median of 5.
Baseline in the same run: a fresh interpreter importing nothing (interpreter start-up is not the handler's).
Targets (issue 12): workers <= 300 ms, API <= 350 ms of handler import on these cores.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "local"))

from gtvision_local.package import assemble, fresh_import, run_in_function  # noqa: E402

RUNS = 5

# CPU time beside the wall time: on a shared VM the wall time of one import varies by a quarter from run to run
# (other tenants, scheduling); the CPU the import itself used varies much less.
_CPU_PROBE = """
import importlib, json, sys, time
c0 = time.process_time()
module_name, attr = sys.argv[1].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), attr)
print(json.dumps({"cpu_ms": (time.process_time() - c0) * 1000}))
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        layout = assemble(REPO / "template.yaml", Path(tmp) / "assembled")
        bare = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
            bare.append((time.perf_counter() - t0) * 1000)
        print(f"Baseline: bare `python -I -S -c pass` process, median of {RUNS}: {statistics.median(bare):.0f} ms")
        print()
        print("| function | handler | import ms (median of 5) | min | max | CPU ms (median of 5) | target |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for fn in layout.functions:
            times = []
            for _ in range(RUNS):
                error, ms = fresh_import(layout, fn)
                if error or ms is None:
                    raise SystemExit(f"{fn.logical_id}: {error}")
                times.append(ms)
            outs = [run_in_function(layout, fn, _CPU_PROBE, fn.handler).stdout for _ in range(RUNS)]
            cpu = [json.loads(out.strip().splitlines()[-1])["cpu_ms"] for out in outs]
            target = 350 if fn.logical_id == "ApiFunction" else 300
            print(
                f"| {fn.logical_id} | {fn.handler} | {statistics.median(times):.0f} | {min(times):.0f} | "
                f"{max(times):.0f} | {statistics.median(cpu):.0f} | {target} |"
            )


if __name__ == "__main__":
    main()
