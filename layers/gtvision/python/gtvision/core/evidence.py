"""Evidence manifests: a signed statement of what a clip is and what it was cut from.

The manifest names the clip's SHA-256 and size, every source segment's key and SHA-256, the camera,
city, range, mode, who asked and when. It is signed with Ed25519; the private key is derived from
the deployment's GTV_DATA_KEY with HKDF (info ``gtvision-evidence``), so no extra secret needs to be
stored and the same deployment always signs with the same key. The public key travels inside the
manifest (with a key id) so anyone can check the signature; `verify` can also pin the deployment's
key, which is what proves *who* signed it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gtvision.core import crypto

# `cryptography` is imported where a key is made or a signature checked: the API, the reconciler and the
# segment worker import this module through the clip logic but sign nothing in most invocations (ADR 0020).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from gtvision.core.rows import rowtype
from gtvision.core.timeutil import format_rfc3339

FORMAT = "gtvision-evidence/1"
ALGORITHM = "Ed25519"
_HKDF_INFO = b"gtvision-evidence"


def signing_key(data_key_b64: str | None = None) -> Ed25519PrivateKey:
    """The deployment's evidence key: HKDF-SHA256(GTV_DATA_KEY, info="gtvision-evidence") as an Ed25519 seed."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = crypto.derived_key(_HKDF_INFO, data_key_b64, purpose="evidence manifests cannot be signed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes_raw()


def key_id(public_key: bytes) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def canonical(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed: sorted keys, no whitespace, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def build_manifest(
    *,
    clip: dict[str, Any],
    camera: dict[str, Any],
    city: dict[str, Any],
    start: datetime,
    end: datetime,
    mode: str,
    requested_by: dict[str, Any],
    sources: list[dict[str, Any]],
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """The unsigned manifest of a clip (`clip` holds id, s3_key, sha256, size_bytes, duration_s;
    each source holds s3_key, sha256, size_bytes, start, end)."""
    return {
        "format": FORMAT,
        "clip": clip,
        "camera": camera,
        "city": city,
        "range": {"start": format_rfc3339(start), "end": format_rfc3339(end)},
        "mode": mode,
        "requested_by": requested_by,
        "sources": sources,
        "created_at": format_rfc3339(created_at or datetime.now(UTC)),
    }


def sign(payload: dict[str, Any], key: Ed25519PrivateKey | None = None) -> dict[str, Any]:
    """`payload` plus a `signature` block over its canonical form."""
    key = key or signing_key()
    body = {k: v for k, v in payload.items() if k != "signature"}
    body.setdefault("format", FORMAT)
    pub = public_key_bytes(key)
    body["signature"] = {
        "alg": ALGORITHM,
        "key_id": key_id(pub),
        "public_key": base64.b64encode(pub).decode(),
        "value": base64.b64encode(key.sign(canonical(body))).decode(),
    }
    return body


@rowtype(slots=False)
class VerifyResult:
    """`ok` when the signature holds and the file is the one described; `reasons` say what failed."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _sha256_and_size(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_signature(manifest: dict[str, Any], trusted: list[bytes] | None) -> tuple[list[str], list[str]]:
    """(reasons, warnings) about a manifest's signature (clips and export packages are signed alike)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    reasons: list[str] = []
    warnings: list[str] = []
    sig = manifest.get("signature")
    if not isinstance(sig, dict) or sig.get("alg") != ALGORITHM:
        return ["manifesto sem assinatura Ed25519"], warnings
    try:
        pub = base64.b64decode(sig["public_key"], validate=True)
        value = base64.b64decode(sig["value"], validate=True)
        body = {k: v for k, v in manifest.items() if k != "signature"}
        Ed25519PublicKey.from_public_bytes(pub).verify(value, canonical(body))
    except (KeyError, TypeError, ValueError, InvalidSignature):
        return ["assinatura inválida: o manifesto foi alterado ou não foi assinado por esta chave"], warnings
    if sig.get("key_id") != key_id(pub):
        reasons.append("key_id não corresponde à chave pública do manifesto")
    if trusted is None:
        warnings.append(f"chave pública {key_id(pub)} não conferida com a chave da implantação")
    elif pub not in trusted:
        reasons.append(f"manifesto assinado por uma chave desconhecida ({key_id(pub)})")
    return reasons, warnings


def verify(clip_path: str, manifest: dict[str, Any], trusted_public_keys: list[bytes] | None = None) -> VerifyResult:
    """Check the manifest's signature and that `clip_path` has the size and SHA-256 it states.

    With `trusted_public_keys`, the signer must also be one of them (otherwise that is a warning).
    """
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return VerifyResult(False, [f"formato de manifesto desconhecido (esperado {FORMAT})"])
    reasons, warnings = check_signature(manifest, trusted_public_keys)
    raw_clip = manifest.get("clip")
    clip = raw_clip if isinstance(raw_clip, dict) else {}
    if not os.path.isfile(clip_path):
        reasons.append(f"arquivo não encontrado: {clip_path}")
        return VerifyResult(False, reasons, warnings)
    digest, size = _sha256_and_size(clip_path)
    if clip.get("size_bytes") != size:
        reasons.append(f"tamanho difere: arquivo tem {size} bytes, manifesto diz {clip.get('size_bytes')}")
    if clip.get("sha256") != digest:
        reasons.append("SHA-256 do arquivo difere do manifesto: o arquivo foi alterado")
    return VerifyResult(not reasons, reasons, warnings)
