"""Multi-camera export packages end to end: API → one SQS job per camera (ExportWorkerFunction through the local
runtime's poller) → fan-in → ExportPackageFunction → a ZIP whose files, manifest, PDF and signature hold.

Both cameras record the same scene (frames carry their global number as stripes), camera B's segments starting
0.52 s after camera A's: an exact export must start both files on the same frame.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from evidence_support import (
    FPS,
    HEIGHT,
    WIDTH,
    Workers,
    coded_segments,
    fetch,
    frame_number,
    gray_frames,
    iso,
    register,
    scratch,
    workers,
)
from utils import World

from gtvision.core import evidence
from gtvision.exports.verify import verify_package
from gtvision_local import verify as verify_cli

__all__ = ["scratch", "workers"]
SEG_S = 2.0
B_LATE_FRAMES = 13  # camera B's recording starts 0.52 s after A's


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    base = tmp_path_factory.mktemp("coded")
    return {
        "a": coded_segments(str(base / "a"), 0, 3, SEG_S),
        "b": coded_segments(str(base / "b"), B_LATE_FRAMES, 3, SEG_S),
    }


@pytest.fixture()
def two_cameras(world: World, coded: dict[str, list[str]]) -> dict[str, Any]:
    """Given: two cameras of city A recording the same 6 s an hour ago (B's segments start 0.52 s later)."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    cam_a = world.camera(name="Praça Norte")
    cam_b = world.camera(name="Praça Sul")
    register(cam_a, coded["a"], t0, SEG_S)
    register(cam_b, coded["b"], t0 + timedelta(seconds=B_LATE_FRAMES / FPS), SEG_S)
    return {"t0": t0, "a": cam_a, "b": cam_b}


def open_case(world: World, token: str, title: str = "Furto na praça") -> dict[str, Any]:
    body = {"title": title, "reference": "BO 1234/2026", "category": "ocorrencia"}
    r = world.api.call("POST", "/v1/cases", body, token)
    assert r.status == 201, r.text
    return dict(r.json())


def export(world: World, token: str, case_id: str, body: dict[str, Any]) -> str:
    r = world.api.call("POST", f"/v1/cases/{case_id}/exports", body, token)
    assert r.status == 202, r.text
    return str(r.json()["id"])


def read_export(world: World, token: str, case_id: str, export_id: str) -> dict[str, Any]:
    r = world.api.call("GET", f"/v1/cases/{case_id}/exports/{export_id}", token=token)
    assert r.status == 200, r.text
    return dict(r.json())


def finished(world: World, token: str, case_id: str, export_id: str) -> Any:
    return lambda: read_export(world, token, case_id, export_id)["status"] in ("ready", "failed")


def test_exact_package_of_two_cameras_starts_together_hashes_match_and_verifies(
    world: World, two_cameras: dict[str, Any], workers: Workers, tmp_path: Path
) -> None:
    # Given a case; When an exact export of both cameras over [t0+1 s, t0+4 s) is asked and the workers run
    t0 = two_cameras["t0"]
    case = open_case(world, world.manager_a)
    body = {
        "camera_ids": [two_cameras["a"]["id"], two_cameras["b"]["id"]],
        "start": iso(t0 + timedelta(seconds=1)),
        "end": iso(t0 + timedelta(seconds=4)),
        "mode": "exact",
    }
    export_id = export(world, world.manager_a, case["id"], body)
    workers.run_until(finished(world, world.manager_a, case["id"], export_id))

    # Then the package is ready, its download is the stated bytes
    out = read_export(world, world.manager_a, case["id"], export_id)
    assert out["status"] == "ready", out["error"]
    assert out["progress"] == 1.0 and [f["status"] for f in out["files"]] == ["ready", "ready"]
    data = fetch(out["package_url"])
    assert hashlib.sha256(data).hexdigest() == out["package_sha256"] and len(data) == out["package_size_bytes"]
    package = tmp_path / "pacote.zip"
    package.write_bytes(data)

    # And it holds one MP4 per camera, the manifest and the PDF; every hash matches the signed manifest
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        files = {f["name"]: f for f in manifest["files"]}
        assert names == {"manifest.json", "custodia.pdf", *files}
        assert len(files) == 2 and all(n.endswith(".mp4") for n in files)
        for name, item in files.items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == item["sha256"]
        pdf = zf.read("custodia.pdf")
        for name in files:
            (tmp_path / name).write_bytes(zf.read(name))
    assert manifest["documents"][0]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert manifest["case"]["id"] == case["id"] and manifest["mode"] == "exact"
    assert manifest["redaction"] == {"faces": False, "plates": False}
    assert manifest["requested_by"]["username"] and manifest["software"]["name"] == "GT-Vision"
    assert {f["sha256"] for f in out["files"]} == {f["sha256"] for f in manifest["files"]}
    deployment_key = evidence.public_key_bytes(evidence.signing_key())
    assert verify_package(str(package), [deployment_key]).ok

    # And the PDF opens and its text names the case, the files and their hashes
    from pypdf import PdfReader

    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Cadeia de custódia" in text and "Furto na praça" in text and "BO 1234/2026" in text
    for item in manifest["files"]:
        assert item["sha256"] in text.replace("\n", "")

    # And both files start on the same frame (within one), the frame of the asked start, and last 3 s
    first = {}
    for item in manifest["files"]:
        frames = gray_frames(str(tmp_path / item["name"]), WIDTH, HEIGHT)
        first[item["camera"]["id"]] = frame_number(frames[0])
        assert len(frames) == pytest.approx(3 * FPS, abs=1)
    assert abs(first[two_cameras["a"]["id"]] - first[two_cameras["b"]["id"]]) <= 1
    assert first[two_cameras["a"]["id"]] == pytest.approx(1 * FPS, abs=1)

    # And `gtvision verify pacote.zip` accepts it, and refuses it after one flipped byte
    assert verify_cli.main([str(package)]) == 0
    tampered = bytearray(data)
    middle = data.index(b"mdat") + 200  # inside the first video file's media data
    tampered[middle] ^= 0x01
    broken = tmp_path / "adulterado.zip"
    broken.write_bytes(bytes(tampered))
    assert verify_cli.main([str(broken)]) == 1
    assert not verify_package(str(broken), [deployment_key]).ok


def test_fast_package_says_how_early_each_file_starts(
    world: World, two_cameras: dict[str, Any], workers: Workers
) -> None:
    # Given a case; When a fast export starts mid-GOP (keyframes every second)
    t0 = two_cameras["t0"]
    case = open_case(world, world.manager_a)
    body = {
        "camera_ids": [two_cameras["a"]["id"], two_cameras["b"]["id"]],
        "start": iso(t0 + timedelta(seconds=1.4)),
        "end": iso(t0 + timedelta(seconds=3)),
        "mode": "fast",
    }
    export_id = export(world, world.manager_a, case["id"], body)
    workers.run_until(finished(world, world.manager_a, case["id"], export_id))
    out = read_export(world, world.manager_a, case["id"], export_id)
    assert out["status"] == "ready", out["error"]
    # Then each file says how much earlier than asked it starts (A: its keyframe at 1 s; B: at 0.52 + 1 s... )
    early = {f["camera_id"]: f["starts_early_s"] for f in out["files"]}
    assert early[two_cameras["a"]["id"]] == pytest.approx(0.4, abs=1 / FPS + 1e-6)
    assert 0 <= early[two_cameras["b"]["id"]] < 1.0 + 1 / FPS
    manifest_early = {f["camera"]["id"]: f["starts_early_s"] for f in out["manifest"]["files"]}
    assert manifest_early == early


def test_an_export_holds_its_recordings_and_is_in_the_custody_trail(
    world: World, two_cameras: dict[str, Any], workers: Workers
) -> None:
    t0 = two_cameras["t0"]
    case = open_case(world, world.manager_a)
    body = {"camera_ids": [two_cameras["a"]["id"]], "start": iso(t0), "end": iso(t0 + timedelta(seconds=2))}
    export_id = export(world, world.manager_a, case["id"], body)
    workers.run_until(finished(world, world.manager_a, case["id"], export_id))
    r = world.api.call("GET", f"/v1/cases/{case['id']}/custody", token=world.manager_a)
    assert r.status == 200, r.text
    kinds = [e["kind"] for e in r.json()["items"]]
    assert kinds[:1] == ["case.created"]
    assert {"export.requested", "hold.placed", "export.ready"} <= set(kinds)
    # And another city's manager gets 404 on the case and its export
    assert world.api.call("GET", f"/v1/cases/{case['id']}", token=world.manager_b).status == 404
    assert world.api.call("GET", f"/v1/cases/{case['id']}/exports/{export_id}", token=world.manager_b).status == 404
