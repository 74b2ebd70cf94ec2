"""Packaging stays in step: the layer's requirements match the project's, and every subpackage ships."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# boto3 is in the Lambda runtime already; imageio-ffmpeg is replaced by the FFmpeg layer in AWS;
# chalice ships with ApiFunction only (functions/api/requirements.txt); pyyaml and ffmpeg-python are
# used by the local tooling, never imported by the gtvision package (test_lambda_package imports every handler).
NOT_IN_LAYER = {"boto3", "imageio-ffmpeg", "chalice", "pyyaml", "ffmpeg-python", "fpdf2"}


def _name(req: str) -> str:
    return re.split(r"[\[<>=!~ ]", req.strip(), maxsplit=1)[0].lower()


def test_layer_requirements_match_project_dependencies():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    deps = {_name(d): d for d in project["project"]["dependencies"]}
    layer_lines = [
        line.strip()
        for line in (REPO / "layers/gtvision/requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    layer = {_name(r): r for r in layer_lines}
    assert set(layer) == set(deps) - NOT_IN_LAYER
    for name, spec in layer.items():
        assert spec == deps[name], f"{name}: layer pins {spec!r}, project pins {deps[name]!r}"


def test_every_subpackage_is_found_for_non_editable_installs():
    """pyproject's package discovery (what a wheel holds) finds every package with an ``__init__.py``."""
    from setuptools import find_packages

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    find = project["tool"]["setuptools"]["packages"]["find"]
    discovered = {pkg for where in find["where"] for pkg in find_packages(str(REPO / where), include=find["include"])}
    found = {
        ".".join(p.parent.relative_to(REPO / where).parts)
        for where in find["where"]
        for p in (REPO / where).rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert {"gtvision.clips", "gtvision.core", "gtvision_local"} <= found
    assert found <= discovered, (
        f"not found by pyproject's [tool.setuptools.packages.find]: {sorted(found - discovered)}"
    )


def _imported_top_levels(*roots: Path) -> set[str]:
    import ast

    names: set[str] = set()
    for root in roots:
        for file in root.rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names


def test_every_runtime_dependency_is_imported_by_the_code_that_ships() -> None:
    # ADR 0008: a declared dependency is one the layer or the functions import (psycopg-pool: psycopg_pool...)
    from importlib.metadata import packages_distributions

    project = tomllib.loads((REPO / "pyproject.toml").read_text())

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    declared = {norm(_name(d)) for d in project["project"]["dependencies"]}
    imported = _imported_top_levels(REPO / "layers/gtvision/python", REPO / "functions")
    used = {norm(dist) for name in imported for dist in packages_distributions().get(name, [])}
    assert "chalice" in used and "psycopg-pool" in used  # the walk finds real imports
    # Data-only distributions are read by the standard library, never imported by name.
    data_only = {"tzdata"}  # zoneinfo's time zone database where the OS has none (Lambda)
    assert declared - used - data_only == set()


def test_api_function_requirements_pin_chalice_as_the_project_does():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    deps = {_name(d): d for d in project["project"]["dependencies"]}
    lines = [
        line.strip()
        for line in (REPO / "functions/api/requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == deps["chalice"]
    # and the PDF of the agreements' report: fpdf2 as the project pins it, with its dependencies (no-deps install)
    extra = {_name(line): line for line in lines[1:]}
    assert set(extra) == {"fpdf2", "defusedxml", "fonttools", "pillow"} and extra["fpdf2"] == deps["fpdf2"]


def test_numpy_is_for_the_local_analyser_only_and_no_lambda_code_loads_it():
    """ADR 0018 (amendment): numpy is in the `local` extra and in no layer; in AWS the analyser is Rekognition."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "numpy" not in {_name(d) for d in project["project"]["dependencies"]}
    assert "numpy" in {_name(d) for d in project["project"]["optional-dependencies"]["local"]}
    requirements = [*REPO.glob("layers/*/requirements.txt"), *REPO.glob("functions/*/requirements.txt")]
    assert requirements
    for path in requirements:
        assert "numpy" not in path.read_text().lower(), path
    # Here numpy is installed, so only sys.modules can tell whether a handler (or the analyser it would use in
    # AWS) loads it; test_lambda_package imports them where numpy does not exist at all.
    code = (
        "import sys; import app; sys.path.insert(0, '../sentinela_analyse'); import handler;"
        " from gtvision.media import frames; from gtvision.media.analysers import rekognition;"
        " assert 'numpy' not in sys.modules, 'numpy imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO / "functions/api", check=True, timeout=120)


def test_the_ffmpeg_layer_recipe_ships_the_ffmpeg_the_tests_run():
    """ADR 0013: `sam build`'s FFmpeg layer takes the binary from the imageio-ffmpeg wheel pyproject pins, for a
    platform that wheel is built for (an older manylinux2014 wheel carried another ffmpeg)."""
    from importlib.metadata import distribution

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    pinned = {_name(d): d for d in project["project"]["dependencies"]}["imageio-ffmpeg"]
    assert re.fullmatch(r"imageio-ffmpeg==[0-9.]+", pinned), pinned
    recipe = (REPO / "layers/ffmpeg/Makefile").read_text()
    assert re.search(r"^SPEC \?= (.+)$", recipe, re.M).group(1) == pinned
    installed = distribution("imageio-ffmpeg")
    assert pinned == f"imageio-ffmpeg=={installed.version}"
    wheel_tags = [line.split(": ", 1)[1] for line in (installed.read_text("WHEEL") or "").splitlines()
                  if line.startswith("Tag: ")]  # fmt: skip
    platform = re.search(r"^PLATFORM \?= (.+)$", recipe, re.M).group(1)
    assert any(tag.endswith(f"-{platform}") for tag in wheel_tags), (platform, wheel_tags)
