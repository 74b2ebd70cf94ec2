"""Cold start as Lambda sees it: fresh-process import of each handler from the assembled Lambda layout (only the
function dir + layers + the runtime's boto3 on sys.path; precompiled like the layer recipes), median of 5.
Targets: GT-Vision's own share of the import (import minus the third-party floor, below) <= 50 ms per worker and
<= 80 ms for the API, under python3.12 where it is measured; the floor itself leaves the request path with SnapStart
(ADR 0024).

The runs are interleaved (round 1 imports every function once, then round 2, ...) so that a slow spell of this
shared VM lands on all functions alike rather than on five runs of one. Each round also times a fixed
pure-Python loop in a fresh interpreter: the same loop takes 65 to 130 ms on this VM from one minute to the
next, so its median says which state the machine was in during the run.

Baselines in the same run:
- the same layout with `gtvision.core.coldstart.imports_without_gc` replaced by a block that does nothing (the
  handlers' imports with the cyclic GC running, as before ADR 0020's pause);
- the floor: only the modules that are not GT-Vision's (not the `gtvision` package, not the function's own
  directory) that the handler's import loads, imported by name in the order it loaded them, with the GC paused
  as the handlers pause it. That is what the third-party packages cost by themselves: those the design
  prescribes (boto3/botocore as Lambda's runtime ships them, psycopg, pydantic, Powertools; chalice for the
  API) and the X-Ray SDK (Powertools' Tracer), plus PyJWT and argon2 in the API.
  GT-Vision's own share is measured in one process: the floor's modules imported first, then the handler's import
  timed alone (what is left is GT-Vision's code and what it does at import time). Import minus floor, paired per
  round across two processes, is printed beside it as a cross-check; it carries both processes' noise.
"""

from __future__ import annotations

import json
import py_compile
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "local"))

from resultfile import record  # noqa: E402

from gtvision_local.package import FunctionLayout, Layout, assemble, compile_bytecode, fresh_import, run_in_function  # noqa: E402
from gtvision_local.sam import layout_of_sam_build, real_python, run_sam_build, sam_available  # noqa: E402

RUNS = 5


def _target_ms(logical_id: str) -> int:
    """The target for GT-Vision's share of a cold import: the API has more of its own to import than a worker."""
    return 80 if logical_id == "ApiFunction" else 50


# CPU time beside the wall time: on a shared VM the wall time of one import varies from run to run
# (other tenants, scheduling); the CPU the import itself used says whether the import did more work.
_CPU_PROBE = """
import importlib, json, sys, time
c0 = time.process_time()
module_name, attr = sys.argv[1].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), attr)
print(json.dumps({"cpu_ms": (time.process_time() - c0) * 1000}))
"""

_REFERENCE_LOOP = """
import json, time
t0 = time.perf_counter()
x = 0
for i in range(1_000_000):
    x += i
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
"""

# The modules the handler's import loads that are not GT-Vision's, in the order they were loaded.
_FOREIGN_MODULES = """
import glob, importlib, json, os, sys
before = set(sys.modules)
module_name, attr = sys.argv[1].rsplit(".", 1)
getattr(importlib.import_module(module_name), attr)
here = os.path.realpath(os.getcwd())  # the function directory: its own modules, and packages installed there
installed = set()  # files of the packages installed in it (chalice in ApiFunction), by their dist-info RECORD
for record in glob.glob(os.path.join(here, "*.dist-info", "RECORD")):
    with open(record) as f:
        installed |= {os.path.join(here, line.split(",")[0]) for line in f if line.strip()}
def ours(name):
    if name.split(".")[0] == "gtvision":
        return True
    path = os.path.realpath(getattr(sys.modules[name], "__file__", None) or "/")
    return path.startswith(here + os.sep) and path not in installed
print(json.dumps([n for n in sys.modules if n not in before and not ours(n)]))
"""

# Those modules alone, imported by name in that order, with the GC paused like the handlers' imports.
_FLOOR_PROBE = """
import gc, importlib, json, sys, time
names = json.loads(sys.argv[1])
gc.disable()
failed = []
t0 = time.perf_counter()
for name in names:
    try:
        importlib.import_module(name)
    except Exception:  # an alias that is not importable by name would be left out of the floor: reported
        failed.append(name)
ms = (time.perf_counter() - t0) * 1000
gc.enable()
print(json.dumps({"ms": ms, "failed": failed}))
"""

# GT-Vision's share measured directly, in one process: the floor's modules first (as _FLOOR_PROBE imports them),
# then the handler's import timed alone. What it still loads is GT-Vision's own code and what that code does at
# import time (clients, Powertools objects, the API's app); no difference of two noisy totals from two processes.
_SHARE_PROBE = """
import gc, importlib, json, sys, time
names = json.loads(sys.argv[2])
gc.disable()
for name in names:
    try:
        importlib.import_module(name)
    except Exception:
        pass
# As `imports_without_gc` ends on Lambda: what was imported is frozen, then the collector runs again. (Without
# the freeze, the first collection would walk every object the floor created — ~20 ms charged to our share.)
gc.freeze()
gc.enable()
module_name, attr = sys.argv[1].rsplit(".", 1)
t0 = time.perf_counter()
getattr(importlib.import_module(module_name), attr)
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
"""

_NO_PAUSE = '''"""Benchmark baseline: the handlers' imports with the cyclic GC running."""
from contextlib import contextmanager


@contextmanager
def imports_without_gc():
    yield
'''


def _without_gc_pause(layout_dir: Path) -> None:
    for module in layout_dir.rglob("gtvision/coldstart.py"):
        module.write_text(_NO_PAUSE)
        for cached in module.parent.glob("__pycache__/coldstart.*.pyc"):
            cached.unlink()
        py_compile.compile(str(module), doraise=True)  # precompiled like the rest of the layout


def _probe(layout: Layout, fn: FunctionLayout, script: str, *args: str, python: str | None = None) -> Any:
    """Run a probe script in ``fn``'s Lambda search path; the JSON it prints last."""
    proc = run_in_function(layout, fn, script, *args, python=python)
    if proc.returncode != 0:
        raise SystemExit(f"{fn.logical_id}: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _foreign_modules(layout: Layout, fn: FunctionLayout, python: str | None = None) -> str:
    names = _probe(layout, fn, _FOREIGN_MODULES, fn.handler, python=python)
    if not any(n.split(".")[0] == "psycopg" for n in names):  # every function talks to PostgreSQL
        raise SystemExit(f"{fn.logical_id}: the floor probe found no psycopg among {len(names)} modules")
    return json.dumps(names)


def _floor_ms(layout: Layout, fn: FunctionLayout, names: str, python: str | None = None) -> float:
    out = _probe(layout, fn, _FLOOR_PROBE, names, python=python)
    if out["failed"]:  # the floor would miss them: say so rather than report a smaller floor
        print(f"{fn.logical_id}: not importable by name, left out of the floor: {', '.join(out['failed'])}")
    return float(out["ms"])


def _share_ms(layout: Layout, fn: FunctionLayout, names: str, python: str | None = None) -> float:
    return float(_probe(layout, fn, _SHARE_PROBE, fn.handler, names, python=python)["ms"])


def _import_ms(layout: Layout, logical_id: str, python: str | None = None) -> float:
    fn = next(f for f in layout.functions if f.logical_id == logical_id)
    error, ms = fresh_import(layout, fn, python)
    if error or ms is None:
        raise SystemExit(f"{logical_id}: {error}")
    return ms


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        layout = assemble(REPO / "template.yaml", Path(tmp) / "assembled")
        baseline = assemble(REPO / "template.yaml", Path(tmp) / "baseline")
        _without_gc_pause(Path(tmp) / "baseline")

        names = [fn.logical_id for fn in layout.functions]
        wall: dict[str, list[float]] = {n: [] for n in names}
        cpu: dict[str, list[float]] = {n: [] for n in names}
        plain: dict[str, list[float]] = {n: [] for n in names}
        floor: dict[str, list[float]] = {n: [] for n in names}
        direct: dict[str, list[float]] = {n: [] for n in names}
        foreign = {fn.logical_id: _foreign_modules(layout, fn) for fn in layout.functions}
        reference: list[float] = []
        any_fn = layout.functions[0]
        for _ in range(RUNS):
            reference.append(_probe(layout, any_fn, _REFERENCE_LOOP)["ms"])
            for fn in layout.functions:
                wall[fn.logical_id].append(_import_ms(layout, fn.logical_id))
                plain[fn.logical_id].append(_import_ms(baseline, fn.logical_id))
                cpu[fn.logical_id].append(_probe(layout, fn, _CPU_PROBE, fn.handler)["cpu_ms"])
                floor[fn.logical_id].append(_floor_ms(layout, fn, foreign[fn.logical_id]))
                direct[fn.logical_id].append(_share_ms(layout, fn, foreign[fn.logical_id]))

        print(
            f"Machine state in this run: a fixed 1M-iteration Python loop took {statistics.median(reference):.0f} ms "
            f"(median of {RUNS}; min {min(reference):.0f}, max {max(reference):.0f}). The same loop measures 65-130 ms "
            "on this VM at different times: figures taken at the slow end are up to twice those at the fast end."
        )
        print()
        print(
            "| function | handler | import ms (median of 5) | min | max | CPU ms (median of 5) "
            "| baseline: GC not paused, ms (median of 5) | floor: third-party packages alone, ms (median of 5) "
            "| import minus floor, ms (median of the 5 paired differences) "
            "| **GT-Vision's share, ms** (one process: the handler imported after the floor, median of 5) "
            "| share target, ms |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        shares: dict[str, tuple[float, float]] = {}
        for fn in layout.functions:
            w = wall[fn.logical_id]
            fl = statistics.median(floor[fn.logical_id])
            diff = statistics.median(a - b for a, b in zip(w, floor[fn.logical_id], strict=True))  # paired per round
            share = statistics.median(direct[fn.logical_id])
            shares[fn.logical_id] = (share, fl)
            print(
                f"| {fn.logical_id} | {fn.handler} | {statistics.median(w):.0f} | {min(w):.0f} | {max(w):.0f} | "
                f"{statistics.median(cpu[fn.logical_id]):.0f} | {statistics.median(plain[fn.logical_id]):.0f} | "
                f"{fl:.0f} | {diff:.0f} | **{share:.0f}** | {_target_ms(fn.logical_id)} |"
            )
        shares312 = _lambda_interpreter(layout, Path(tmp))
        _record(shares312 or shares, "python3.12, sam build" if shares312 else "python3.11, assembled layout")


def _record(shares: dict[str, tuple[float, float]], interpreter: str) -> None:
    """bench/results.json: the worst worker's share and the API's, each beside its function's floor."""
    workers = {n: v for n, v in shares.items() if n != "ApiFunction"}
    worst = max(workers, key=lambda n: workers[n][0])
    api_share, api_floor = shares["ApiFunction"]
    print()
    print(
        f"Shares recorded ({interpreter}): worst worker {worst} {workers[worst][0]:.0f} ms (target 50), "
        f"API {api_share:.0f} ms (target 80)."
    )
    record(
        "lambda_cold_start",
        {"cold_start_share_ms_max_worker": round(workers[worst][0], 1), "cold_start_share_ms_api": round(api_share, 1)},
        {
            "cold_start_share_ms_max_worker": {
                "name": f"third-party floor of {worst}: its packages alone imported by name, ms",
                "value": round(workers[worst][1], 1),
            },
            "cold_start_share_ms_api": {
                "name": "third-party floor of ApiFunction: its packages alone imported by name, ms",
                "value": round(api_floor, 1),
            },
        },
        {"interpreter": interpreter, "share_ms": {n: round(v[0], 1) for n, v in shares.items()}, "runs": RUNS},
    )


def _lambda_interpreter(assembled: Layout, tmp: Path) -> dict[str, tuple[float, float]] | None:
    """The same import, in `sam build`'s output under python3.12 (Lambda's runtime), beside this venv's 3.11 layout."""
    print()
    if not sam_available():
        print("Lambda's interpreter: not measured (needs the SAM CLI and a python3.12 on PATH, as .ci/run sets up).")
        return None
    build_dir = tmp / "sam-build"
    run_sam_build(REPO / "template.yaml", build_dir, quiet=True)
    python = real_python("python3.12")
    compile_bytecode(assembled.runtime_dir, python)  # Lambda's boto3 comes compiled for its interpreter
    sam = layout_of_sam_build(REPO / "template.yaml", build_dir, assembled.runtime_dir)
    names = [fn.logical_id for fn in assembled.functions]
    v311: dict[str, list[float]] = {n: [] for n in names}
    v312: dict[str, list[float]] = {n: [] for n in names}
    floor312: dict[str, list[float]] = {n: [] for n in names}
    direct312: dict[str, list[float]] = {n: [] for n in names}
    foreign = {fn.logical_id: _foreign_modules(sam, fn, python) for fn in sam.functions}
    for _ in range(RUNS):
        for fn in sam.functions:
            n = fn.logical_id
            v311[n].append(_import_ms(assembled, n))
            v312[n].append(_import_ms(sam, n, python))
            floor312[n].append(_floor_ms(sam, fn, foreign[n], python))
            direct312[n].append(_share_ms(sam, fn, foreign[n], python))
    print(
        "Lambda's interpreter: the `sam build` output imported by python3.12 (cp312 wheels), interleaved with the "
        "table's layout under this venv's python 3.11. Both interpreters here are pyenv builds without PGO/LTO."
    )
    print()
    print(
        "| function | python 3.11, assembled (median of 5) | python 3.12, sam build (median of 5) | ratio "
        "| python 3.12 floor: third-party packages alone (median of 5) | 3.12 import minus floor (paired, median) "
        "| **GT-Vision's share under 3.12** (one process, median of 5) | share target, ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    out: dict[str, tuple[float, float]] = {}
    for n in names:
        a, b, fl = statistics.median(v311[n]), statistics.median(v312[n]), statistics.median(floor312[n])
        diff = statistics.median(x - y for x, y in zip(v312[n], floor312[n], strict=True))  # paired per round
        share = statistics.median(direct312[n])
        out[n] = (share, fl)
        print(f"| {n} | {a:.0f} | {b:.0f} | {b / a:.2f} | {fl:.0f} | {diff:.0f} | **{share:.0f}** | {_target_ms(n)} |")
    return out


if __name__ == "__main__":
    main()
