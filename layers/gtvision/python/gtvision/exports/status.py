"""An export's answer (`public`, `snapshot`) and its `export.status` live event (`announce`): what the API and the
export workers share, apart from the API's use cases in `exports.service` so that the workers do not import those
(cases, holds, the camera checks: ADR 0029)."""

from __future__ import annotations

from gtvision.core import db
from gtvision.exports import store
from gtvision.exports.api_schemas import ExportFileOut, ExportOut, RedactIn
from gtvision.exports.schemas import Export, ExportPart
from gtvision.live import publish


def file_name(position: int, camera_name: str | None, camera_id: str) -> str:
    """The camera's file inside the package: ordered, readable, safe in any file system."""
    base = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in (camera_name or "camera"))[:40].strip("_")
    return f"{position + 1:02d}_{base or 'camera'}_{camera_id[:8]}.mp4"


def public(row: Export, parts: list[ExportPart], names: dict[str, str], *, with_url: bool = True) -> ExportOut:
    """The export as the API shows it (a presigned `package_url` once ready)."""
    done = sum(p.status in ("ready", "failed") for p in parts)
    progress = 1.0 if row.status in ("ready", "failed") else 0.9 * done / max(1, len(parts))
    files = [
        ExportFileOut(
            camera_id=str(p.camera_id),
            camera_name=names.get(str(p.camera_id)),
            name=file_name(p.position, names.get(str(p.camera_id)), str(p.camera_id)),
            status=p.status,
            sha256=p.sha256,
            size_bytes=p.size_bytes,
            start=row.start_at,
            end=row.end_at,
            duration_s=p.duration_s,
            starts_early_s=p.lead_s,
            error=p.error,
        )
        for p in parts
    ]
    url = None
    if with_url and row.status == "ready" and row.package_key:
        url = store.presign(row.package_key, f"pacote-{str(row.id)[:8]}.zip")
    return ExportOut(
        id=str(row.id),
        case_id=str(row.case_id),
        status=row.status,
        progress=round(progress, 3),
        mode=row.mode,
        start=row.start_at,
        end=row.end_at,
        redact=RedactIn(faces=row.redact_faces, plates=row.redact_plates),
        timestamp_overlay=row.timestamp_overlay,
        masks_lifted=row.lift_masks_reason is not None,
        files=files,
        package_url=url,
        package_sha256=row.package_sha256,
        package_size_bytes=row.package_size_bytes,
        manifest=row.manifest if row.status == "ready" else None,
        error=row.error,
        requested_by_name=row.requested_by_name,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def snapshot(export_id: str, *, with_url: bool = True) -> tuple[Export, ExportOut] | None:
    """The export as committed now, with its answer (None when gone)."""
    with db.transaction() as conn:
        row = store.get(conn, export_id)
        if row is None:
            return None
        parts = store.parts(conn, export_id)
        names = store.source_names(conn, [str(p.camera_id) for p in parts])
    return row, public(row, parts, names, with_url=with_url)


def announce(export_id: str) -> None:
    """The `export.status` live event (progress, files, status) after each transition."""
    found = snapshot(export_id, with_url=False)
    if found is not None:
        row, out = found
        publish.publish(str(row.city_id), "export.status", out.model_dump(mode="python", by_alias=True))
