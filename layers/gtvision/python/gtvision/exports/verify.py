"""Is this evidence package the one GT-Vision signed? (`gtvision verify pacote.zip`)

Checks the manifest's Ed25519 signature, then every file the manifest names (each MP4 and `custodia.pdf`):
present, of the stated size and SHA-256; and that the ZIP holds nothing else. A ZIP whose own structure is
damaged (a flipped byte in a stored file fails its CRC) is refused too.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from typing import Any

from gtvision.core import evidence
from gtvision.core.evidence import VerifyResult

FORMAT = "gtvision-evidence-package/1"
MANIFEST = "manifest.json"


def _digest(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with zf.open(name) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def read_manifest(path: str) -> dict[str, Any]:
    """The package's manifest (ValueError when the ZIP or the manifest cannot be read)."""
    try:
        with zipfile.ZipFile(path) as zf:
            doc = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"pacote ilegível: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError("manifesto não é um objeto JSON")
    return doc


def verify_package(path: str, trusted_public_keys: list[bytes] | None = None) -> VerifyResult:
    """Signature, then every file; `reasons` say what failed."""
    try:
        manifest = read_manifest(path)
    except ValueError as exc:
        return VerifyResult(False, [str(exc)])
    if manifest.get("format") != FORMAT:
        return VerifyResult(False, [f"formato de pacote desconhecido (esperado {FORMAT})"])
    reasons, warnings = evidence.check_signature(manifest, trusted_public_keys)
    listed = [f for f in (manifest.get("files") or []) + (manifest.get("documents") or []) if isinstance(f, dict)]
    try:
        with zipfile.ZipFile(path) as zf:
            present = set(zf.namelist())
            for item in listed:
                name = str(item.get("name"))
                if name not in present:
                    reasons.append(f"arquivo ausente do pacote: {name}")
                    continue
                try:
                    digest, size = _digest(zf, name)
                except (zipfile.BadZipFile, OSError) as exc:
                    reasons.append(f"{name}: arquivo danificado no ZIP ({exc})")
                    continue
                if size != item.get("size_bytes"):
                    reasons.append(f"{name}: tamanho {size} difere do manifesto ({item.get('size_bytes')})")
                if digest != item.get("sha256"):
                    reasons.append(f"{name}: SHA-256 difere do manifesto — o arquivo foi alterado")
            extra = present - {MANIFEST} - {str(i.get("name")) for i in listed}
            if extra:
                reasons.append(f"arquivos fora do manifesto: {', '.join(sorted(extra))}")
    except (OSError, zipfile.BadZipFile) as exc:
        reasons.append(f"pacote danificado: {exc}")
    if not listed:
        reasons.append("manifesto sem arquivos")
    return VerifyResult(not reasons, reasons, warnings)
