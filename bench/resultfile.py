"""Machine-readable bench results: each bench script records its figures (and the baseline each is compared
with, measured in the same run) into $BENCH_RESULTS_DIR/<section>.json; bench/run_all.sh merges them into
bench/results.json. Without BENCH_RESULTS_DIR (a script run by hand) nothing is written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def quick() -> bool:
    """BENCH_QUICK=1: every benchmark at a smaller size (the whole `make bench` in minutes)."""
    return os.environ.get("BENCH_QUICK", "") not in ("", "0")


def record(section: str, metrics: dict[str, float], baselines: dict[str, dict[str, Any]],
           context: dict[str, Any] | None = None) -> None:  # fmt: skip
    """`metrics`: name → value; `baselines`: name → {"name": what the baseline is, "value": its figure, ...}."""
    missing = set(metrics) - set(baselines)
    if missing:
        raise ValueError(f"figures without a baseline: {sorted(missing)}")
    directory = os.environ.get("BENCH_RESULTS_DIR")
    if not directory:
        return
    doc = {"metrics": metrics, "baselines": baselines, "context": context or {}}
    Path(directory, f"{section}.json").write_text(json.dumps(doc, indent=2, default=str))
