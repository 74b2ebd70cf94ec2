"""The packaging job: every camera's file of an export into one ZIP with `manifest.json` (signed like clip
manifests) and `custodia.pdf`, made once.

The manifest names every file's SHA-256 and size (the PDF's too), the case, who asked and when, the window,
the mode, what was redacted and whether privacy masks were lifted, the source segments (and their quality:
main or sub-stream), and the software version. `gtvision verify pacote.zip` checks it all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from datetime import UTC, datetime
from typing import Any

import gtvision
from gtvision.cases import custody
from gtvision.cases import service as cases
from gtvision.cases.schemas import Case
from gtvision.core import db, errors, evidence, objects
from gtvision.core.observability import logger
from gtvision.core.retries import Failure, classify
from gtvision.core.settings import get_settings
from gtvision.core.timeutil import format_rfc3339
from gtvision.exports import document, store
from gtvision.exports.schemas import MAX_ATTEMPTS, Export, ExportPart, PoisonMessage, parse_message
from gtvision.exports.status import announce, file_name
from gtvision.media import ffmpeg
from gtvision.tenancy import cities

FORMAT = "gtvision-evidence-package/1"
MANIFEST = "manifest.json"
CUSTODY = "custodia.pdf"
LEASE_S = 960


class PackageBusy(Exception):
    """Another packager holds a live claim: retry later."""


class _PackageFailed(errors.BadInput):
    """The package cannot be made (a part's file is gone or altered)."""


def process_message(body: str) -> str:
    """A packaging job's SQS message (ExportPackageFunction): `ready`, `failed` or `skipped`."""
    return process(parse_message(body).export_id)


def process(export_id: str, scratch_root: str | None = None) -> str:
    """Package an export once; `ready`, `failed` or `skipped` (finished already)."""
    token = str(uuid.uuid4())
    with db.transaction() as conn:
        row = store.claim_package(conn, export_id, token, LEASE_S)
        current = row or store.get(conn, export_id)
    if current is None:
        raise PoisonMessage(f"exportação {export_id} não existe")
    if row is None:
        if current.status != "packaging":
            return "skipped"
        raise PackageBusy(f"exportação {export_id} sendo empacotada por outro worker")
    try:
        _produce(row, token, scratch_root)
        return "ready"
    except Exception as exc:
        if classify(exc) is Failure.TRANSIENT and row.attempts < MAX_ATTEMPTS:
            with db.transaction() as conn:
                store.release_package(conn, export_id, token)
            raise
        reason = (
            str(exc) if classify(exc) is not Failure.TRANSIENT else f"erro ao montar o pacote: {type(exc).__name__}"
        )
        fail(row, reason)
        return "failed"


def fail(row: Export, reason: str) -> None:
    """Fail an export with a reason (custody event and live event)."""
    with db.transaction() as conn:
        store.fail(conn, str(row.id), reason)
        custody.record(conn, str(row.case_id), "export.failed", detail={"export_id": str(row.id), "error": reason})
    announce(str(row.id))


def _zone(city_id: str) -> tuple[str, dict[str, Any]]:
    city = cities.find(city_id)
    info = {"id": city_id, "name": city.name if city else None, "state": city.state if city else None}
    return (city.timezone if city else "America/Sao_Paulo"), info


def manifest_body(
    row: Export, case: Case, parts: list[ExportPart], names: dict[str, str], city: dict[str, Any]
) -> dict[str, Any]:
    """The unsigned manifest (files only: the PDF is added once written)."""
    files = []
    for part in parts:
        camera_id = str(part.camera_id)
        detail = part.detail or {}
        files.append(
            {
                "name": file_name(part.position, names.get(camera_id), camera_id),
                "camera": {"id": camera_id, "name": names.get(camera_id)},
                "sha256": part.sha256,
                "size_bytes": part.size_bytes,
                "duration_s": part.duration_s,
                "start": format_rfc3339(row.start_at),
                "end": format_rfc3339(row.end_at),
                "starts_early_s": part.lead_s or 0.0,
                "sources": detail.get("sources", []),
                "burned_in": detail.get("render", {}),
            }
        )
    return {
        "format": FORMAT,
        "package": {"export_id": str(row.id), "created_at": format_rfc3339(datetime.now(UTC))},
        "case": {"id": str(case.id), "title": case.title, "reference": case.reference, "category": case.category},
        "city": city,
        "requested_by": {
            "user_id": str(row.requested_by) if row.requested_by else None,
            "username": row.requested_by_name,
            "requested_at": format_rfc3339(row.created_at),
        },
        "range": {"start": format_rfc3339(row.start_at), "end": format_rfc3339(row.end_at)},
        "mode": row.mode,
        "redaction": {"faces": row.redact_faces, "plates": row.redact_plates},
        "privacy_masks": {"lifted": row.lift_masks_reason is not None, "lift_reason": row.lift_masks_reason},
        "timestamp_overlay": row.timestamp_overlay,
        "software": {"name": "GT-Vision", "version": gtvision.__version__},
        "files": files,
    }


def _produce(row: Export, token: str, scratch_root: str | None) -> None:
    export_id = str(row.id)
    case = cases.get_any(str(row.case_id))
    if case is None:
        raise _PackageFailed("caso da exportação não existe mais")
    with db.transaction() as conn:
        parts = store.parts(conn, export_id)
        names = store.source_names(conn, [str(p.camera_id) for p in parts])
        events = custody.every(conn, str(case.id))
    zone, city = _zone(str(row.city_id))
    scratch = tempfile.mkdtemp(prefix=f"package-{export_id[:8]}-", dir=scratch_root)
    try:
        local = _fetch_parts(parts, scratch)
        body = manifest_body(row, case, parts, names, city)
        key = evidence.signing_key()
        pdf = document.custody_pdf(body, case, events, zone, evidence.key_id(evidence.public_key_bytes(key)))
        body["documents"] = [{"name": CUSTODY, "sha256": hashlib.sha256(pdf).hexdigest(), "size_bytes": len(pdf)}]
        manifest = evidence.sign(body, key)
        zip_path = os.path.join(scratch, "pacote.zip")
        with zipfile.ZipFile(zip_path, "w", allowZip64=True) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2), zipfile.ZIP_DEFLATED)
            zf.writestr(CUSTODY, pdf, zipfile.ZIP_DEFLATED)
            for item, path in zip(body["files"], local, strict=True):
                zf.write(path, item["name"], zipfile.ZIP_STORED)  # video does not compress
        digest, size = ffmpeg.sha256_file(zip_path), os.path.getsize(zip_path)
        store.upload_file(zip_path, store.package_key(export_id), "application/zip")
        with db.transaction() as conn:
            done = store.finish_package(
                conn,
                export_id,
                token,
                {
                    "status": "ready",
                    "package_key": store.package_key(export_id),
                    "package_sha256": digest,
                    "package_size_bytes": size,
                    "manifest": manifest,
                    "error": None,
                },
            )
            if done:
                custody.record(
                    conn,
                    str(case.id),
                    "export.ready",
                    detail={
                        "export_id": export_id,
                        "sha256": digest,
                        "size_bytes": size,
                        "files": [{"name": f["name"], "sha256": f["sha256"]} for f in body["files"]],
                    },
                )
        if done:
            announce(export_id)
        else:
            logger.warning("package claim lost; the other packager's result stands", extra={"export_id": export_id})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _fetch_parts(parts: list[ExportPart], scratch: str) -> list[str]:
    """Download each camera's file and check it is the one its worker recorded."""
    out = []
    for part in parts:
        if part.status != "ready" or not part.s3_key:
            raise _PackageFailed(f"a câmera {part.camera_id} não tem arquivo pronto")
        path = os.path.join(scratch, f"part-{part.position:02d}.mp4")
        try:
            digest, _, _ = objects.download(get_settings().recordings_bucket, part.s3_key, path)
        except objects.ObjectMissing as exc:
            raise _PackageFailed(f"o arquivo da câmera {part.camera_id} não está mais no armazenamento") from exc
        if digest != part.sha256:
            raise _PackageFailed(f"o arquivo da câmera {part.camera_id} foi alterado: integridade violada")
        out.append(path)
    return out
