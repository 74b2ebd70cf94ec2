"""Container image functions in ``gtvision package`` (ADR 0026): no Docker here, so each image is checked from its
source — the Dockerfile exists and copies the handler and the domain package, and the handler imports with the
domain layer and this environment's packages (OpenCV 4.x and its cascades, as the image installs them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .package import Layout

_IMAGE_PROBE = """
import importlib, json, sys, time
t0 = time.perf_counter()
module_name, attr = sys.argv[1].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), attr)
assert callable(handler), f"{sys.argv[1]} is not callable"
import os, cv2
cascades = sorted(f for f in os.listdir(cv2.data.haarcascades) if f.endswith(".xml"))
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "cv2": cv2.__version__, "cascades": cascades}))
"""
#: What RedactionFunction's detector loads (cv2.data.haarcascades of the 4.x wheel).
NEEDED_CASCADES = (
    "haarcascade_frontalface_default.xml",
    "haarcascade_profileface.xml",
    "haarcascade_russian_plate_number.xml",
)


def check_images(layout: Layout, layer_python: Path) -> list[str]:
    """The problems of the layout's image functions (empty: fine)."""
    problems = []
    for image in layout.images:
        if not image.dockerfile.is_file():
            problems.append(f"{image.logical_id}: Dockerfile {image.dockerfile} does not exist")
            continue
        text = image.dockerfile.read_text(encoding="utf-8")
        module = image.handler.rpartition(".")[0]
        if f"{module}.py" not in text or "layers/gtvision/python/gtvision" not in text:
            problems.append(f"{image.logical_id}: Dockerfile does not copy {module}.py and the domain package")
        code = f"import sys; sys.path[:0] = {json.dumps([str(image.code_dir), str(layer_python)])}\n" + _IMAGE_PROBE
        proc = subprocess.run(
            [sys.executable, "-I", "-c", code, image.handler],
            cwd=image.code_dir,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        if proc.returncode != 0:
            problems.append(f"{image.logical_id}: handler does not import: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if not str(result["cv2"]).startswith("4."):
            problems.append(f"{image.logical_id}: OpenCV {result['cv2']} (4.x carries the Haar cascades)")
        missing = sorted(set(NEEDED_CASCADES) - set(result["cascades"]))
        if missing:
            problems.append(f"{image.logical_id}: cascades missing: {', '.join(missing)}")
    return problems


def format_images(layout: Layout) -> str:
    """One line per image function (no zip budget: Lambda allows 10 GB images)."""
    return "\n".join(f"{i.logical_id:<28} imagem de contêiner ({i.dockerfile.name}, ADR 0026)" for i in layout.images)
