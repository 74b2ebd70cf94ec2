"""`sam build` beside the assembled layout: run it when the SAM CLI and a python3.12 are here, and view its
output as a :class:`~gtvision_local.package.Layout` so the same checks (imports, sizes, ffmpeg) apply."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .package import FunctionLayout, Layout, _layer_ids
from .template import Template


def layout_of_sam_build(template_path: Path, build_dir: Path, runtime_dir: Path) -> Layout:
    """The same view over ``sam build`` output (``.aws-sam/build/<LogicalId>/``)."""
    template = Template(template_path)
    functions = [
        FunctionLayout(
            fn.logical_id,
            fn.handler,
            build_dir / fn.logical_id,
            [build_dir / i for i in _layer_ids(template, fn.logical_id)],
        )
        for fn in template.functions()
        if fn.package_type == "Zip"  # image functions are built by Docker (ADR 0026)
    ]
    missing = {d for fn in functions for d in fn.layer_dirs if not d.is_dir()}
    if missing:
        raise FileNotFoundError(f"sam build produced no {sorted(d.name for d in missing)}")
    return Layout(build_dir, functions, runtime_dir)


def real_python(name: str) -> str:
    """The interpreter behind ``name`` (a pyenv shim needs its environment; the probe runs without it)."""
    out = subprocess.run([name, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def sam_available() -> bool:
    """The SAM CLI and a python3.12 that runs (a pyenv shim without 3.12 active is on PATH but fails)."""
    if shutil.which("sam") is None or shutil.which("python3.12") is None:
        return False
    try:
        real_python("python3.12")
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


#: What `sam build` is given in place of an image function: the zip function running the same job (sam builds an
#: image only through a container runtime, which these machines do not have; its Dockerfile is checked apart).
_IMAGE_STAND_IN = {"RedactionFunction": "functions/export_worker"}


def zip_only_template(text: str) -> str:
    """template.yaml's text with each image function (`_IMAGE_STAND_IN`) built from its zip twin's code: the
    `Metadata` (Docker) block and `PackageType`/`ImageConfig` are replaced by `CodeUri`/`Handler`/`Runtime`, so
    every reference to the function still resolves and `sam build` builds every zip function as Lambda runs it."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    current: str | None = None
    skipping = 0  # indentation of a block being dropped
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if skipping and (not stripped or indent > skipping):
            continue
        skipping = 0
        if indent == 2 and stripped.endswith(":"):
            current = stripped[:-1]
        if current in _IMAGE_STAND_IN and indent == 4 and stripped == "Metadata:":
            skipping = 4
            continue
        if current in _IMAGE_STAND_IN and indent == 6 and stripped == "ImageConfig:":
            skipping = 6
            continue
        if current in _IMAGE_STAND_IN and indent == 6 and stripped == "PackageType: Image":
            out += [f"      CodeUri: {_IMAGE_STAND_IN[current]}\n", "      Handler: handler.handler\n"]
            out += ["      Runtime: python3.12\n"]
            continue
        out.append(line)
    return "".join(out)


def run_sam_build(template_path: Path, build_dir: Path, quiet: bool = False) -> None:
    """``sam build`` into ``build_dir`` (image functions stand in as their zip twins: `zip_only_template`);
    ``quiet`` keeps its output off stdout (shown only if it fails)."""
    zip_only = template_path.parent / ".sam-build-template.yaml"  # beside the original: CodeUris stay relative
    zip_only.write_text(zip_only_template(template_path.read_text()))
    try:
        proc = subprocess.run(
            ["sam", "build", "--template-file", str(zip_only), "--build-dir", str(build_dir)],
            cwd=template_path.parent,
            capture_output=quiet,
            text=True,
        )
    finally:
        zip_only.unlink(missing_ok=True)
    if proc.returncode != 0:
        if quiet:
            sys.stderr.write(proc.stdout + proc.stderr)
        raise subprocess.CalledProcessError(proc.returncode, proc.args)
