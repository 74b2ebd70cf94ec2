"""`gtvision verify pacote.zip` without a stack: signed packages made here, then damaged one way at a time."""

from __future__ import annotations

import hashlib
import json
import tomllib
import zipfile
from pathlib import Path

import pytest

import gtvision
from gtvision.core import evidence
from gtvision.exports.verify import FORMAT, verify_package

KEY = evidence.signing_key("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
TRUSTED = [evidence.public_key_bytes(KEY)]


def make(
    path: Path, files: dict[str, bytes], *, extra: dict[str, bytes] | None = None, sign_with: object = KEY
) -> Path:
    listed = [{"name": n, "sha256": hashlib.sha256(d).hexdigest(), "size_bytes": len(d)} for n, d in files.items()]
    manifest = evidence.sign({"format": FORMAT, "files": listed[:-1], "documents": listed[-1:]}, sign_with)  # type: ignore[arg-type]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in {**files, **(extra or {})}.items():
            zf.writestr(name, data)
    return path


FILES = {"01_a.mp4": b"video a" * 100, "02_b.mp4": b"video b" * 100, "custodia.pdf": b"%PDF-1.4 ..."}


def test_a_signed_package_verifies_and_each_kind_of_damage_is_named(tmp_path: Path) -> None:
    assert verify_package(str(make(tmp_path / "ok.zip", FILES)), TRUSTED).ok
    # a file changed after signing
    changed = make(tmp_path / "changed.zip", FILES)
    with zipfile.ZipFile(changed) as zf:
        manifest = zf.read("manifest.json")
    with zipfile.ZipFile(changed, "w") as zf:
        zf.writestr("manifest.json", manifest)
        zf.writestr("01_a.mp4", b"video A" * 100)
        zf.writestr("02_b.mp4", FILES["02_b.mp4"])
        zf.writestr("custodia.pdf", FILES["custodia.pdf"])
    result = verify_package(str(changed), TRUSTED)
    assert not result.ok and any("01_a.mp4" in r and "SHA-256" in r for r in result.reasons)
    # a file left out, a file slipped in, another signer, not a ZIP at all
    missing = make(tmp_path / "missing.zip", {**FILES})
    with zipfile.ZipFile(missing) as zf:
        kept = {n: zf.read(n) for n in zf.namelist() if n != "02_b.mp4"}
    with zipfile.ZipFile(missing, "w") as zf:
        for n, d in kept.items():
            zf.writestr(n, d)
    assert any("ausente" in r for r in verify_package(str(missing), TRUSTED).reasons)
    extra = verify_package(str(make(tmp_path / "extra.zip", FILES, extra={"leia.txt": b"x"})), TRUSTED)
    assert any("fora do manifesto" in r for r in extra.reasons)
    stranger = evidence.signing_key("ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=")
    assert not verify_package(str(make(tmp_path / "other.zip", FILES, sign_with=stranger)), TRUSTED).ok
    (tmp_path / "not.zip").write_bytes(b"not a zip")
    assert not verify_package(str(tmp_path / "not.zip"), TRUSTED).ok


@pytest.mark.parametrize("flip_at", [0.3, 0.6, 0.9])
def test_one_flipped_byte_anywhere_in_a_file_is_refused(tmp_path: Path, flip_at: float) -> None:
    path = make(tmp_path / "p.zip", FILES)
    data = bytearray(path.read_bytes())
    start = data.index(b"video b")
    data[start + int(len(FILES["02_b.mp4"]) * flip_at)] ^= 0x01
    path.write_bytes(bytes(data))
    assert not verify_package(str(path), TRUSTED).ok


def test_the_software_version_in_manifests_is_the_projects() -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert gtvision.__version__ == project["project"]["version"]
