"""Assemble what Lambda runs, then prove it imports and fits (``gtvision package`` / ``make package``).

The layout follows ``template.yaml`` and the layers' ``BuildMethod: makefile`` recipes:

* ``layers/<LayerId>/`` — what Lambda unpacks at ``/opt``: ``python/`` (the domain layer: the ``gtvision``
  package and ``layers/gtvision/requirements.txt`` with their dependencies) or ``bin/ffmpeg``;
* ``functions/<FunctionId>/`` — the function's ``CodeUri`` plus its ``requirements.txt`` installed
  without dependencies (chalice's runtime is stdlib-only: its CLI baggage stays out);
* ``runtime/`` — what the Lambda Python runtime already provides (boto3 and its dependencies); it is on
  ``sys.path`` for the import check but counts for no function's size, as in Lambda.

Without the SAM CLI the packages come from the running interpreter's environment (the same versions the
tests run), so assembly is offline and takes seconds. With the SAM CLI and a ``python3.12`` on PATH,
``sam build`` output (``.aws-sam/build``) can be checked the same way (:func:`check_sam_build`).

:func:`check` imports every handler in a fresh interpreter (``-I -S``: no site-packages) whose ``sys.path``
is only the function directory, the layers' ``python/`` directories and the runtime directory, runs
``<layer>/bin/ffmpeg -version``, and measures each function's unzipped code + layers against the budget.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .template import Template

# Lambda's limit is 262,144,000 bytes unzipped (function + layers); the budget keeps 10 % of it free.
LAMBDA_LIMIT_BYTES = 262_144_000
BUDGET_BYTES = LAMBDA_LIMIT_BYTES * 9 // 10  # 235,929,600 bytes
# Distributions Lambda's python3.12 runtime provides itself (not shipped, not counted): boto3 and the AWS parts
# of its closure. aws-xray-sdk (powertools[tracer]) asks for botocore: the runtime's serves it.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath")
# Distributions that exist only to build or install, never imported by a handler.
BUILD_ONLY = {"pip", "setuptools", "wheel"}
FFMPEG_LAYER_DIR = Path("layers/ffmpeg")
DOMAIN_LAYER_DIR = Path("layers/gtvision")


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def read_requirements(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """``(name, extras)`` of each requirement line of ``path`` (comments and blanks skipped)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = _REQ.match(line)
        if not m:
            raise ValueError(f"{path}: cannot read requirement {line!r}")
        extras = tuple(e.strip() for e in (m.group(2) or "").split(",") if e.strip())
        out.append((m.group(1), extras))
    return out


def _marker_ok(marker: str, extras: tuple[str, ...]) -> bool:
    from packaging.markers import Marker

    m = Marker(marker)
    if "extra" in marker:
        return any(m.evaluate({"extra": e}) for e in extras)
    return bool(m.evaluate({"extra": ""}))


def closure(
    roots: list[tuple[str, tuple[str, ...]]], *, follow: bool = True, skip: tuple[str, ...] = ()
) -> list[metadata.Distribution]:
    """The installed distributions ``pip install -r`` would put in a target dir for ``roots`` (minus ``skip``)."""
    from packaging.requirements import Requirement

    seen: dict[str, metadata.Distribution] = {}
    todo = list(roots)
    skipped = {_canon(n) for n in skip}
    while todo:
        name, extras = todo.pop()
        key = _canon(name)
        if key in skipped:
            continue
        dist = metadata.distribution(name)
        first = key not in seen
        seen[key] = dist
        if not follow or (not first and not extras):
            continue
        for raw in dist.requires or []:
            req = Requirement(raw)
            if req.marker is not None and not _marker_ok(str(req.marker), extras):
                continue
            if _canon(req.name) in seen and not req.extras:
                continue
            todo.append((req.name, tuple(req.extras)))
    return [d for k, d in sorted(seen.items()) if k not in BUILD_ONLY]


def copy_distribution(dist: metadata.Distribution, target: Path) -> int:
    """Copy the files ``dist`` installed into site-packages to ``target``; returns bytes copied."""
    total = 0
    for rel in dist.files or []:
        if rel.parts and (rel.parts[0] == ".." or rel.parts[0].endswith(".data")):
            continue  # console scripts and data outside site-packages are not part of a layer
        if "__pycache__" in rel.parts or rel.suffix == ".pyc":
            continue  # bytecode is compiled afterwards for the target (see compile_bytecode)
        src = Path(str(dist.locate_file(rel)))
        if not src.is_file():
            continue
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        total += src.stat().st_size
    return total


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache"))


def compile_bytecode(root: Path, python: str | None = None) -> None:
    """Precompile ``root`` with ``unchecked-hash`` pycs, as the Makefiles do with python3.12.

    /opt and the function directory are read-only on Lambda, so without shipped bytecode every cold start
    compiles each imported module again; ``unchecked-hash`` because zip keeps mtimes at 2 s resolution,
    which would make timestamp-checked pycs look stale.
    """
    subprocess.run(
        [python or sys.executable, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
        + [str(root)],
        check=True,
        capture_output=True,
    )


# ---------------------------------------------------------------- layout


@dataclass
class FunctionLayout:
    logical_id: str
    handler: str
    code_dir: Path
    layer_dirs: list[Path]
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class ImageFunction:
    """A `PackageType: Image` function: built from its Dockerfile (no zip budget); checked from source here."""

    logical_id: str
    handler: str
    code_dir: Path
    dockerfile: Path


@dataclass
class Layout:
    root: Path
    functions: list[FunctionLayout]
    runtime_dir: Path
    images: list[ImageFunction] = field(default_factory=list)

    def layer_python_paths(self, fn: FunctionLayout) -> list[Path]:
        return [d / "python" for d in fn.layer_dirs if (d / "python").is_dir()]

    def bin_dirs(self, fn: FunctionLayout) -> list[Path]:
        return [d / "bin" for d in fn.layer_dirs if (d / "bin").is_dir()]


def _layer_ids(template: Template, logical_id: str) -> list[str]:
    glob = ((template.doc.get("Globals") or {}).get("Function") or {}).get("Layers") or []
    own = (template.resources[logical_id].get("Properties") or {}).get("Layers") or []
    ids = []
    for ref in [*glob, *own]:
        if isinstance(ref, dict) and "Ref" in ref:
            ids.append(str(ref["Ref"]))
    return ids


def _ffmpeg_source() -> Path:
    built = FFMPEG_LAYER_DIR / "bin" / "ffmpeg"
    if built.is_file():
        return built
    import imageio_ffmpeg

    return Path(imageio_ffmpeg.get_ffmpeg_exe())


def assemble_layer(repo: Path, layer_id: str, spec: dict[str, Any], out: Path) -> None:
    """Build one layer the way its ``BuildMethod: makefile`` recipe does (see ``layers/*/Makefile``)."""
    props = spec.get("Properties") or {}
    content = (repo / str(props.get("ContentUri", ""))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if (content / "requirements.txt").is_file():  # a Python layer: package + dependencies under python/
        target = out / "python"
        target.mkdir(exist_ok=True)
        for dist in closure(read_requirements(content / "requirements.txt"), skip=RUNTIME_PROVIDED):
            copy_distribution(dist, target)
        for pkg in sorted((content / "python").iterdir()) if (content / "python").is_dir() else []:
            if pkg.is_dir() and (pkg / "__init__.py").is_file():
                _copy_tree(pkg, target / pkg.name)
        compile_bytecode(target)
    elif content.resolve() == (repo / FFMPEG_LAYER_DIR).resolve():
        (out / "bin").mkdir(exist_ok=True)
        dst = out / "bin" / "ffmpeg"
        shutil.copy2(_ffmpeg_source() if not (content / "bin/ffmpeg").is_file() else content / "bin/ffmpeg", dst)
        dst.chmod(0o755)
    else:
        _copy_tree(content, out)


def assemble_function(code_uri: Path, out: Path) -> None:
    """The function directory plus its ``requirements.txt`` installed without dependencies."""
    _copy_tree(code_uri, out)
    reqs = code_uri / "requirements.txt"
    if reqs.is_file():
        for dist in closure(read_requirements(reqs), follow=False):
            copy_distribution(dist, out)
    compile_bytecode(out)


def assemble(template_path: Path, out: Path) -> Layout:
    """Assemble every layer and function of ``template_path`` under ``out`` (replaced)."""
    template = Template(template_path)
    repo = template.root
    if out.exists():
        shutil.rmtree(out)
    layers: dict[str, Path] = {}
    for lid, spec in template.resources.items():
        if spec.get("Type") in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            layers[lid] = out / "layers" / lid
            assemble_layer(repo, lid, spec, layers[lid])
    runtime_dir = out / "runtime"
    runtime_dir.mkdir(parents=True)
    for dist in closure([(n, ()) for n in RUNTIME_PROVIDED]):
        copy_distribution(dist, runtime_dir)
    compile_bytecode(runtime_dir)  # Lambda's runtime ships its boto3 compiled
    functions = []
    images = []
    for fn in template.functions():
        if fn.package_type == "Image":
            meta = template.resources[fn.logical_id].get("Metadata") or {}
            dockerfile = repo / str(meta.get("DockerContext", ".")) / str(meta.get("Dockerfile", "Dockerfile"))
            images.append(ImageFunction(fn.logical_id, fn.handler, fn.code_uri, dockerfile))
            continue
        code = out / "functions" / fn.logical_id
        assemble_function(fn.code_uri, code)
        functions.append(
            FunctionLayout(fn.logical_id, fn.handler, code, [layers[i] for i in _layer_ids(template, fn.logical_id)])
        )
    return Layout(out, functions, runtime_dir, images)


# ---------------------------------------------------------------- checks


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


@dataclass
class FunctionReport:
    logical_id: str
    code_bytes: int
    layer_bytes: int
    import_error: str | None
    import_ms: float | None
    ffmpeg_ok: bool | None  # None: the function has no ffmpeg layer

    @property
    def total_bytes(self) -> int:
        return self.code_bytes + self.layer_bytes

    @property
    def problems(self) -> list[str]:
        out = []
        if self.import_error:
            out.append(f"{self.logical_id}: handler does not import: {self.import_error}")
        if self.total_bytes > BUDGET_BYTES:
            out.append(
                f"{self.logical_id}: {self.total_bytes / 1e6:.1f} MB unzipped > budget {BUDGET_BYTES / 1e6:.1f} MB"
            )
        if self.ffmpeg_ok is False:
            out.append(f"{self.logical_id}: bin/ffmpeg of its layer does not run")
        return out


_IMPORT_PROBE = """
import importlib, json, sys, time
t0 = time.perf_counter()
module_name, attr = sys.argv[1].rsplit(".", 1)
module = importlib.import_module(module_name)
handler = getattr(module, attr)
assert callable(handler), f"{sys.argv[1]} is not callable"
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "gtvision": __import__("gtvision").__file__}))
"""


def run_in_function(
    layout: Layout, fn: FunctionLayout, script: str, *args: str,
    python: str | None = None, env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run ``script`` in a new interpreter (``-I -S``) whose ``sys.path`` is Lambda's for ``fn`` only: its code
    directory, its layers' ``python/`` and the runtime's boto3; ``PATH`` has its layers' ``bin/`` first."""
    paths = [fn.code_dir, *layout.layer_python_paths(fn), layout.runtime_dir]
    code = f"import sys; sys.path[:0] = {json.dumps([str(p) for p in paths])}\n" + script
    full_env = {
        # Lambda's reserved variables: libraries take their Lambda path on them (X-Ray: no sampling client)
        "LAMBDA_TASK_ROOT": str(fn.code_dir), "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id, "_HANDLER": fn.handler,
        "PATH": os.pathsep.join([*(str(d) for d in layout.bin_dirs(fn)), "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "gtvision", "POWERTOOLS_METRICS_NAMESPACE": "GTVision",
        "PYTHONDONTWRITEBYTECODE": "1", **fn.env, **(env or {}),
    }  # fmt: skip
    cmd = [python or sys.executable, "-I", "-S", "-c", code, *args]
    return subprocess.run(cmd, cwd=fn.code_dir, env=full_env, capture_output=True, text=True, timeout=120)


def fresh_import(layout: Layout, fn: FunctionLayout, python: str | None = None) -> tuple[str | None, float | None]:
    """Import ``fn.handler`` in a new interpreter with Lambda's search path only; (error, milliseconds)."""
    proc = run_in_function(layout, fn, _IMPORT_PROBE, fn.handler, python=python)
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return (lines[-1] if lines else f"exit {proc.returncode}"), None
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    inside = [str(p) for p in layout.layer_python_paths(fn)] + [str(fn.code_dir)]
    if not any(str(result["gtvision"]).startswith(p) for p in inside):
        return f"gtvision imported from outside the layers: {result['gtvision']}", None
    return None, float(result["ms"])


def ffmpeg_runs(layout: Layout, fn: FunctionLayout) -> bool | None:
    exes = [d / "ffmpeg" for d in layout.bin_dirs(fn) if (d / "ffmpeg").exists()]
    if not exes:
        return None
    exe = exes[0]
    if not os.access(exe, os.X_OK):
        return False
    proc = subprocess.run([str(exe), "-hide_banner", "-version"], capture_output=True, timeout=60)
    return proc.returncode == 0 and b"ffmpeg version" in proc.stdout


def check(layout: Layout, python: str | None = None) -> list[FunctionReport]:
    if python:  # Lambda's runtime ships its boto3 compiled for its own interpreter (not only for this one)
        compile_bytecode(layout.runtime_dir, python)
    reports = []
    for fn in layout.functions:
        error, ms = fresh_import(layout, fn, python)
        reports.append(
            FunctionReport(
                logical_id=fn.logical_id,
                code_bytes=tree_bytes(fn.code_dir),
                layer_bytes=sum(tree_bytes(d) for d in fn.layer_dirs),
                import_error=error,
                import_ms=ms,
                ffmpeg_ok=ffmpeg_runs(layout, fn),
            )
        )
    return reports


def format_reports(reports: list[FunctionReport]) -> str:
    lines = [f"{'function':<28} {'code MB':>9} {'layers MB':>11} {'total MB':>10} {'import ms':>10}  ffmpeg"]
    for r in reports:
        ms = f"{r.import_ms:.0f}" if r.import_ms is not None else "FAIL"
        ff = {None: "-", True: "ok", False: "FAIL"}[r.ffmpeg_ok]
        lines.append(
            f"{r.logical_id:<28} {r.code_bytes / 1e6:>9.1f} {r.layer_bytes / 1e6:>11.1f} "
            f"{r.total_bytes / 1e6:>10.1f} {ms:>10}  {ff}"
        )
    lines.append(f"budget {BUDGET_BYTES:,} bytes per function (Lambda limit {LAMBDA_LIMIT_BYTES:,} bytes)")
    return "\n".join(lines)
