"""Evidence manifests: deterministic Ed25519 key from GTV_DATA_KEY, signature and file-hash checks, CLI verdict."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gtvision.core import evidence

KEY_A = base64.b64encode(b"a" * 32).decode()
KEY_B = base64.b64encode(b"b" * 32).decode()


def _clip(tmp_path: Path) -> tuple[Path, dict]:
    path = tmp_path / "clip.mp4"
    path.write_bytes(os.urandom(4096))
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    manifest = evidence.build_manifest(
        clip={"id": "c1", "s3_key": "clips/c1.mp4", "sha256": digest, "size_bytes": len(data)},
        camera={"id": "cam", "name": "Praça"},
        city={"id": "city", "name": "Campinas", "state": "SP"},
        start=datetime(2026, 1, 1, 12, tzinfo=UTC),
        end=datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC),
        mode="exact",
        requested_by={"user_id": "u", "username": "gestor"},
        sources=[{"s3_key": "recordings/cam/x.mp4", "sha256": "00" * 32}],
    )
    return path, evidence.sign(manifest, evidence.signing_key(KEY_A))


def test_key_is_derived_deterministically_from_the_data_key() -> None:
    a1 = evidence.public_key_bytes(evidence.signing_key(KEY_A))
    a2 = evidence.public_key_bytes(evidence.signing_key(KEY_A))
    b = evidence.public_key_bytes(evidence.signing_key(KEY_B))
    assert a1 == a2 and a1 != b and len(a1) == 32
    assert evidence.key_id(a1) == hashlib.sha256(a1).hexdigest()[:16]


def test_intact_clip_verifies_and_the_manifest_carries_key_and_key_id(tmp_path: Path) -> None:
    path, manifest = _clip(tmp_path)
    pub = evidence.public_key_bytes(evidence.signing_key(KEY_A))
    assert manifest["signature"]["public_key"] == base64.b64encode(pub).decode()
    assert manifest["signature"]["key_id"] == evidence.key_id(pub)
    result = evidence.verify(str(path), manifest, [pub])
    assert result.ok and result.reasons == [] and result.warnings == []
    unpinned = evidence.verify(str(path), manifest)
    assert unpinned.ok and unpinned.warnings  # says the signer was not checked against the deployment


def test_one_flipped_byte_in_the_clip_fails(tmp_path: Path) -> None:
    path, manifest = _clip(tmp_path)
    data = bytearray(path.read_bytes())
    data[2000] ^= 0x01
    path.write_bytes(bytes(data))
    result = evidence.verify(str(path), manifest)
    assert not result.ok
    assert any("SHA-256" in r for r in result.reasons)


def test_an_edited_manifest_fails_the_signature(tmp_path: Path) -> None:
    path, manifest = _clip(tmp_path)
    forged = json.loads(json.dumps(manifest))
    forged["requested_by"]["username"] = "outra-pessoa"
    result = evidence.verify(str(path), forged)
    assert not result.ok and any("assinatura" in r for r in result.reasons)


def test_a_manifest_resigned_with_another_key_fails_when_the_key_is_pinned(tmp_path: Path) -> None:
    path, manifest = _clip(tmp_path)
    resigned = evidence.sign(manifest, evidence.signing_key(KEY_B))  # self-consistent, wrong signer
    pinned = evidence.public_key_bytes(evidence.signing_key(KEY_A))
    assert evidence.verify(str(path), resigned).ok
    result = evidence.verify(str(path), resigned, [pinned])
    assert not result.ok and any("chave desconhecida" in r for r in result.reasons)


def test_cli_prints_a_verdict_and_exits_0_or_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtvision_local import verify as cli

    monkeypatch.setenv("GTV_DATA_KEY", KEY_A)
    path, manifest = _clip(tmp_path)
    mpath = tmp_path / "clip.manifest.json"
    mpath.write_text(json.dumps(manifest), encoding="utf-8")
    assert cli.main([str(path), str(mpath)]) == 0
    out = capsys.readouterr().out
    assert "ÍNTEGRO" in out and "Praça" in out

    data = bytearray(path.read_bytes())
    data[-1] ^= 0x80
    path.write_bytes(bytes(data))
    assert cli.main([str(path), str(mpath)]) == 1
    assert "FALHOU" in capsys.readouterr().out

    monkeypatch.setenv("GTV_DATA_KEY", KEY_B)  # another deployment's key: the signer is not ours
    data[-1] ^= 0x80
    path.write_bytes(bytes(data))
    assert cli.main([str(path), str(mpath)]) == 1
    assert "chave desconhecida" in capsys.readouterr().out
