"""`gtvision verify <clip.mp4> <manifest.json>` or `gtvision verify <pacote.zip>`: is this exported clip, or
this case's evidence package, the one GT-Vision signed?

Exit code 0 when the manifest's Ed25519 signature holds and every file has the SHA-256 and size it states (a
package: every MP4 and custodia.pdf, and nothing else in the ZIP); 1 otherwise (2 for usage errors). The
signer is pinned to this deployment's key when GTV_DATA_KEY is set, or to `--public-key`; without either, only
the manifest's own key is checked and a warning says so.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import sys
from typing import Any

from gtvision.core import evidence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gtvision verify",
        description="Verifica se um recorte (com seu manifesto) ou um pacote de evidências (.zip) é o que o GT-Vision"
        " assinou.",
    )
    parser.add_argument("clip", help="arquivo do recorte (.mp4) ou pacote de evidências (.zip)")
    parser.add_argument("manifest", nargs="?", help="manifesto de evidência do recorte (.manifest.json)")
    parser.add_argument(
        "--public-key", action="append", default=[], help="chave pública Ed25519 confiável (base64); pode repetir"
    )
    return parser


def _trusted_keys(given: list[str]) -> list[bytes] | None:
    keys = [base64.b64decode(k, validate=True) for k in given]
    if os.environ.get("GTV_DATA_KEY"):
        keys.append(evidence.public_key_bytes(evidence.signing_key(os.environ["GTV_DATA_KEY"])))
    return keys or None


def _describe(manifest: dict[str, Any]) -> list[str]:
    clip, camera, city = manifest.get("clip", {}), manifest.get("camera", {}), manifest.get("city", {})
    rng, who, sig = manifest.get("range", {}), manifest.get("requested_by", {}), manifest.get("signature", {})
    return [
        f"  Câmera:       {camera.get('name')} ({camera.get('id')})",
        f"  Cidade:       {city.get('name')}/{city.get('state')}",
        f"  Intervalo:    {rng.get('start')} a {rng.get('end')} (modo {manifest.get('mode')})",
        f"  Solicitante:  {who.get('username')} em {who.get('requested_at')}",
        f"  SHA-256:      {clip.get('sha256')} ({clip.get('size_bytes')} bytes)",
        f"  Origem:       {len(manifest.get('sources', []))} segmento(s) gravado(s)",
        f"  Assinado em:  {manifest.get('created_at')} pela chave {sig.get('key_id')}",
    ]


def _package(path: str, trusted: list[bytes] | None) -> int:
    from gtvision.exports.verify import read_manifest, verify_package

    result = verify_package(path, trusted)
    if result.ok:
        manifest = read_manifest(path)
        case, rng = manifest.get("case", {}), manifest.get("range", {})
        print(f"ÍNTEGRO: {path} é exatamente o pacote de evidências assinado.")
        print(f"  Caso:         {case.get('title')} ({case.get('reference') or 'sem referência'})")
        print(f"  Intervalo:    {rng.get('start')} a {rng.get('end')} (modo {manifest.get('mode')})")
        for item in manifest.get("files", []) + manifest.get("documents", []):
            print(f"  {item.get('name')}: SHA-256 {item.get('sha256')}")
    else:
        print(f"FALHOU: {path} NÃO corresponde ao pacote assinado — não use como evidência íntegra.")
        for reason in result.reasons:
            print(f"  - {reason}")
    for warning in result.warnings:
        print(f"  aviso: {warning}")
    return 0 if result.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.manifest is None:
        try:
            return _package(args.clip, _trusted_keys(args.public_key))
        except (binascii.Error, ValueError) as exc:
            print(f"chave pública inválida: {exc}", file=sys.stderr)
            return 2
    try:
        with open(args.manifest, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"NÃO VERIFICADO: manifesto ilegível ({exc})", file=sys.stderr)
        return 1
    try:
        trusted = _trusted_keys(args.public_key)
    except (binascii.Error, ValueError) as exc:
        print(f"chave pública inválida: {exc}", file=sys.stderr)
        return 2
    result = evidence.verify(args.clip, manifest, trusted)
    if result.ok:
        print(f"ÍNTEGRO: {args.clip} é exatamente o recorte descrito no manifesto assinado.")
        if isinstance(manifest, dict):
            print("\n".join(_describe(manifest)))
    else:
        print(f"FALHOU: {args.clip} NÃO corresponde ao manifesto — não use como evidência íntegra.")
        for reason in result.reasons:
            print(f"  - {reason}")
    for warning in result.warnings:
        print(f"  aviso: {warning}")
    return 0 if result.ok else 1
