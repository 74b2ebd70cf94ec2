"""What a worker's cold start imports (ADR 0029): no worker loads the API's models (`<feature>.api_schemas`) nor
the API function's package, but those whose live events carry an answer model: `clip.status` carries `ClipOut`
(the clip worker's every job; `clips.service`, which the clip reconciler also uses), `export.status`
`ExportOut` (the export workers). Each handler is imported in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from utils import REPO

#: Workers importing an answer model for its live event (`clips.service.announce`, `exports.status.announce`).
CLIPS, EXPORTS = "gtvision.clips.api_schemas", "gtvision.exports.api_schemas"
NEEDS_API_MODELS = {
    "clip_worker": {CLIPS},
    "clip_reconciler": {CLIPS},
    "export_worker": {EXPORTS},
    "export_package": {EXPORTS},
    "export_reconciler": {EXPORTS},
    "redaction": {EXPORTS},
}

_PROBE = """
import json, sys
import handler
print(json.dumps(sorted(n for n in sys.modules if n.endswith(".api_schemas") or n.split(".")[0] == "chalicelib")))
"""


def _workers() -> list[str]:
    return sorted(p.parent.name for p in REPO.glob("functions/*/handler.py"))


def _api_modules_loaded(worker: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and "functions" not in p)}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=REPO / "functions" / worker,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"{worker}: {proc.stderr[-2000:]}"
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_no_worker_imports_the_api_models_it_does_not_use() -> None:
    workers = _workers()
    assert len(workers) >= 14 and "clip_worker" in workers and "api" not in workers
    with ThreadPoolExecutor(max_workers=2) as pool:
        loaded = dict(zip(workers, pool.map(_api_modules_loaded, workers), strict=True))
    unexpected = {w: sorted(set(mods) - NEEDS_API_MODELS.get(w, set())) for w, mods in loaded.items()}
    assert {w: mods for w, mods in unexpected.items() if mods} == {}
    # The probe sees what it looks for: the export workers do load exports' answer models
    assert set(loaded["export_worker"]) == {"gtvision.exports.api_schemas"}
