"""What Lambda runs: the assembled layers and functions import with Lambda's search path only and fit.

The assembly mirrors the layers' ``BuildMethod: makefile`` recipes (see gtvision_local/package.py);
``sam build`` is checked the same way when the SAM CLI and a python3.12 are on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gtvision_local.package import (
    BUDGET_BYTES,
    FunctionReport,
    Layout,
    assemble,
    check,
    ffmpeg_runs,
    fresh_import,
    run_in_function,
)
from gtvision_local.sam import layout_of_sam_build, real_python, run_sam_build, sam_available

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return assemble(TEMPLATE, tmp_path_factory.mktemp("lambda") / "assembled")


@pytest.fixture(scope="module")
def reports(layout: Layout) -> dict[str, FunctionReport]:
    return {r.logical_id: r for r in check(layout)}


def test_every_template_function_is_assembled(layout: Layout) -> None:
    ids = {fn.logical_id for fn in layout.functions}
    assert {"ApiFunction", "ClipWorkerFunction", "SegmentUploadFunction", "RetentionFunction",
            "SentinelaAnalyseFunction"} <= ids  # fmt: skip


def test_every_handler_imports_with_only_lambda_search_path(reports: dict[str, FunctionReport]) -> None:
    failures = {k: r.import_error for k, r in reports.items() if r.import_error}
    assert failures == {}


def test_domain_layer_holds_the_package_at_opt_python(layout: Layout) -> None:
    fn = next(f for f in layout.functions if f.logical_id == "ClipWorkerFunction")
    (python_dir,) = [p for p in layout.layer_python_paths(fn) if (p / "gtvision").is_dir()]
    assert (python_dir / "gtvision" / "__init__.py").is_file()
    assert not (python_dir / "python").exists()
    # Build-time baggage stays out of runtime layers; chalice ships only with the API function.
    for name in ("chalice", "pip", "setuptools", "wheel", "botocore", "boto3", "inquirer", "blessed"):
        assert not (python_dir / name).exists(), f"{name} is in the domain layer"
    api = next(f for f in layout.functions if f.logical_id == "ApiFunction")
    assert (api.code_dir / "chalice" / "app.py").is_file()
    assert not (api.code_dir / "botocore").exists()


def test_every_function_fits_the_budget(reports: dict[str, FunctionReport]) -> None:
    sizes = {k: r.total_bytes for k, r in reports.items()}
    assert all(0 < size <= BUDGET_BYTES for size in sizes.values()), sizes
    # The video workers really carry ffmpeg (the budget is met with it, not by leaving it out).
    assert reports["ClipWorkerFunction"].ffmpeg_ok is True
    assert reports["SegmentUploadFunction"].ffmpeg_ok is True
    assert reports["SentinelaAnalyseFunction"].ffmpeg_ok is True
    assert reports["ApiFunction"].ffmpeg_ok is None


# In the Sentinela function as Lambda runs it (no numpy anywhere on its path): a red box crosses a grey scene
# between 00:04 and 00:08 of a recording made with the layer's ffmpeg; the frames are sampled, the motion filter
# keeps the seconds around the crossing, and the Rekognition analyser (Stubber: one answer per moving frame; any
# other call fails) is asked about those frames only.
_SENTINELA_PROBE = """
import importlib, json, os, tempfile
importlib.import_module(sys.argv[1].rsplit(".", 1)[0])
import boto3
from botocore.stub import Stubber
from gtvision.media import analysers, ffmpeg, frames

work = tempfile.mkdtemp()
src = os.path.join(work, "crossing.mp4")
ffmpeg.run_ffmpeg([
    "-f", "lavfi", "-i", "color=c=0x808080:s=640x360:r=5:d=12", "-f", "lavfi", "-i", "color=c=red:s=96x48:r=5",
    "-filter_complex", "[0][1]overlay=x='-96+(t-4)*146':y=150:enable='between(t,4,8)':shortest=1",
    "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", "-y", src], timeout=120)
analyser = analysers.choose("rekognition")
client = boto3.client("rekognition", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
analyser.client = client
sampled = frames.extract(src, work, 120, pixels=analyser.needs_pixels)
moving = frames.moving_seconds(sampled)
box = {"Width": 0.15, "Height": 0.13, "Left": 0.3, "Top": 0.41}
answer = {"Labels": [{"Name": "Car", "Confidence": 97.0, "Instances": [{"BoundingBox": box, "Confidence": 97.0,
          "DominantColors": [{"SimplifiedColor": "red", "CSSColor": "red", "PixelPercent": 80.0}]}]}]}
with Stubber(client) as stub:
    for _ in moving:
        stub.add_response("detect_labels", answer)
    found = analyser.analyse(sampled, moving)
    stub.assert_no_pending_responses()
try:
    import numpy  # noqa: F401
    numpy_present = True
except ImportError:
    numpy_present = False
raw = os.path.exists(os.path.join(work, "frames.rgb"))
print(json.dumps({"frames": len(sampled), "moving": sorted(moving), "raw": raw,
                  "found": {s: [(d.color, d.type) for d in ds] for s, ds in found.items()},
                  "numpy": numpy_present or "numpy" in sys.modules}))
"""


def test_sentinela_function_samples_filters_motion_and_asks_rekognition_without_numpy(layout: Layout) -> None:
    fn = next(f for f in layout.functions if f.logical_id == "SentinelaAnalyseFunction")
    (ffmpeg_bin,) = [d / "ffmpeg" for d in layout.bin_dirs(fn)]
    proc = run_in_function(layout, fn, _SENTINELA_PROBE, fn.handler, env={"GTV_FFMPEG": str(ffmpeg_bin)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["numpy"] is False  # not on the function's path at all, and nothing asked for it
    assert out["frames"] == 12 and out["raw"] is False  # JPEGs only: Rekognition needs no raw pixels
    # The box is on screen at 4..7 s and gone at 8 s: those frames (and only those) differ from their predecessor.
    assert out["moving"] == [4, 5, 6, 7, 8], out
    assert sorted(int(s) for s in out["found"]) == out["moving"]
    assert all(dets == [["vermelho", "carro"]] for dets in out["found"].values()), out


_GC_PROBE = """
import gc, importlib, json, sys
module = importlib.import_module(sys.argv[1].rsplit(".", 1)[0])
print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}))
"""


@pytest.mark.parametrize("logical_id", ["ApiFunction", "ClipWorkerFunction", "EventsNotifierFunction"])
def test_a_handler_import_leaves_the_gc_on_with_the_imported_modules_frozen(layout: Layout, logical_id: str) -> None:
    """ADR 0020: the imports run with the cyclic GC paused; on Lambda what they created is frozen afterwards."""
    fn = next(f for f in layout.functions if f.logical_id == logical_id)
    proc = run_in_function(layout, fn, _GC_PROBE, fn.handler)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["enabled"] is True
    # The modules, classes and schemas the import made: far more than the young generations still hold.
    assert out["frozen"] > 50_000 and out["frozen"] > 10 * out["tracked"], out


def test_a_broken_layer_path_fails_the_check(layout: Layout, tmp_path: Path) -> None:
    """aws-sam-cli#2443: the package one directory too deep (/opt/python/python/gtvision) must not pass."""
    fn = next(f for f in layout.functions if f.logical_id == "RetentionFunction")
    (good,) = [p.parent for p in layout.layer_python_paths(fn) if (p / "gtvision").is_dir()]
    broken = tmp_path / "BrokenLayer"
    (broken / "python").mkdir(parents=True)
    (broken / "python" / "python").symlink_to(good / "python", target_is_directory=True)
    fn.layer_dirs = [broken if d == good else d for d in fn.layer_dirs]
    try:
        error, ms = fresh_import(layout, fn)
    finally:
        fn.layer_dirs = [good if d == broken else d for d in fn.layer_dirs]
    assert error is not None and "No module named" in error and ms is None


def test_an_oversized_function_and_a_non_executable_ffmpeg_fail(layout: Layout, tmp_path: Path) -> None:
    fn = next(f for f in layout.functions if f.logical_id == "SegmentUploadFunction")
    fat = tmp_path / "FatLayer"
    (fat / "bin").mkdir(parents=True)
    with open(fat / "bin" / "ffmpeg", "wb") as f:  # sparse: no disk used, but counted as Lambda would
        f.truncate(BUDGET_BYTES)
    os.chmod(fat / "bin" / "ffmpeg", 0o644)
    original = list(fn.layer_dirs)
    fn.layer_dirs = [fat, *[d for d in original if not (d / "bin").is_dir()]]
    try:
        assert ffmpeg_runs(layout, fn) is False
        report = FunctionReport(fn.logical_id, 0, BUDGET_BYTES + 1, None, 1.0, False)
        assert len(report.problems) == 2
        from gtvision_local.package import tree_bytes

        assert tree_bytes(fat) == BUDGET_BYTES
    finally:
        fn.layer_dirs = original


@pytest.mark.slow
@pytest.mark.skipif(not sam_available(), reason="SAM CLI or python3.12 not on PATH: the assembly path covers CI")
def test_sam_build_output_imports_and_fits(layout: Layout, tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make not on PATH (BuildMethod: makefile needs it)")
    build_dir = tmp_path / "build"
    run_sam_build(TEMPLATE, build_dir)
    sam_layout = layout_of_sam_build(TEMPLATE, build_dir, layout.runtime_dir)
    sam_reports = check(sam_layout, python=real_python("python3.12"))
    assert [p for r in sam_reports for p in r.problems] == []
    # And the ffmpeg `sam build` ships is the one the tests run (ADR 0013), not another wheel's
    import subprocess

    import imageio_ffmpeg

    fn = next(f for f in sam_layout.functions if f.logical_id == "ClipWorkerFunction")
    (shipped,) = [d / "ffmpeg" for d in sam_layout.bin_dirs(fn) if (d / "ffmpeg").exists()]

    def version(exe: str) -> str:
        out = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=60).stdout
        return out.splitlines()[0]

    assert version(str(shipped)) == version(imageio_ffmpeg.get_ffmpeg_exe())


_CUSTODY_PDF_PROBE = """
from datetime import UTC, datetime
from uuid import uuid4
from gtvision.cases.schemas import Case
from gtvision.exports.document import custody_pdf
case = Case(uuid4(), uuid4(), "Caso", "BO 1", "ocorrencia", "open", None, "op", datetime.now(UTC),
            datetime.now(UTC), None, None, None)
manifest = {"city": {"name": "Cidade", "state": "SP"}, "package": {"export_id": "x"},
            "range": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:02Z"},
            "requested_by": {"username": "op", "requested_at": "2026-01-01T00:00:00Z"},
            "redaction": {"faces": False, "plates": False}, "privacy_masks": {"lifted": False}, "mode": "exact",
            "files": [{"name": "01_a.mp4", "camera": {"name": "A"}, "sha256": "0" * 64, "size_bytes": 1}]}
pdf = custody_pdf(manifest, case, [], "America/Sao_Paulo", "k")
assert pdf.startswith(b"%PDF"), pdf[:10]
print("ok")
"""


def test_the_packaging_function_writes_the_custody_pdf_with_its_own_packages(layout: Layout) -> None:
    """fpdf2 (and what it imports) ships with ExportPackageFunction only, and works on Lambda's path."""
    fn = next(f for f in layout.functions if f.logical_id == "ExportPackageFunction")
    proc = run_in_function(layout, fn, _CUSTODY_PDF_PROBE)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]
    other = next(f for f in layout.functions if f.logical_id == "ExportWorkerFunction")
    assert not (other.code_dir / "fpdf").exists()


def test_the_redaction_function_is_an_image_whose_handler_and_cascades_check_out(layout: Layout) -> None:
    from gtvision_local.package_images import check_images

    assert [i.logical_id for i in layout.images] == ["RedactionFunction"]
    assert check_images(layout, REPO / "layers/gtvision/python") == []
