"""Multi-camera exports for the API: request a package of a case (one job per camera), read its progress.

`queued → processing → packaging → ready | failed`. Each camera's part is cut by `exports.worker` (in
`RedactionFunction` when the export redacts faces or plates, else `ExportWorkerFunction`); the last part to
finish hands the export to `exports.package` (fan-in). The reconciler (`exports.recovery`) re-queues lost jobs.
Requesting an export holds, for the case, every segment of the window on every camera.
"""

from __future__ import annotations

from datetime import timedelta

from gtvision.cases import custody, holds
from gtvision.cases.schemas import Case
from gtvision.cases.service import Actor, ensure_open
from gtvision.cases.service import visible as case_visible
from gtvision.core import db, pagination
from gtvision.core.errors import Forbidden, Invalid, TooLarge, Unavailable, not_found
from gtvision.core.observability import logger
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.exports import store
from gtvision.exports.api_schemas import ExportIn, ExportOut, ExportQueued, RedactIn
from gtvision.exports.schemas import Export
from gtvision.exports.status import announce, public
from gtvision.tenancy import cameras

MIN_LENGTH = timedelta(seconds=1)
#: The longest window per camera (contract: the usual limits, 30 min per camera).
MAX_LENGTH = timedelta(minutes=30)


def visible(principal: Principal, export_id: str) -> Export:
    """The export if the caller may see its case; 404 otherwise."""
    with db.transaction() as conn:
        row = store.get(conn, export_id)
    if row is None:
        raise not_found("exportação")
    case_visible(principal, str(row.case_id))
    return row


def of_case(case: Case, export: Export) -> Export:
    """404 unless the export belongs to the case of the path."""
    if export.case_id != case.id:
        raise not_found("exportação")
    return export


def create(actor: Actor, case: Case, data: ExportIn) -> ExportQueued:
    """Queue a package of [start, end) of up to 16 cameras of the case's city; holds their recordings."""
    principal = actor.principal
    ensure_open(case)
    if data.end <= data.start:
        raise Invalid("invalid_range", "o fim deve ser posterior ao início")
    if data.end - data.start < MIN_LENGTH:
        raise Invalid("export_too_short", "a exportação deve ter pelo menos 1 segundo")
    if data.end - data.start > MAX_LENGTH:
        raise Invalid("export_too_long", "a exportação deve ter no máximo 30 minutos por câmera")
    redact = data.redact or RedactIn()
    longest = get_settings().redaction_max_s
    if (redact.faces or redact.plates) and (data.end - data.start).total_seconds() > longest:
        raise Invalid(
            "export_too_long_for_redaction",
            f"com rostos ou placas borrados, a exportação deve ter no máximo {longest // 60} min por câmera",
        )
    if data.lift_masks is not None and principal.role not in ("manager", "admin"):
        raise Forbidden("forbidden", "só gestores podem exportar sem as máscaras de privacidade")
    for camera_id in data.camera_ids:
        camera = cameras.visible(principal, camera_id)
        if camera.city_id != case.city_id:
            raise not_found("câmera")
    case_id = str(case.id)
    with db.transaction() as conn:
        held = [holds.hold_window(conn, case, c, data.start, data.end) for c in data.camera_ids]
        missing = [c for c, h in zip(data.camera_ids, held, strict=True) if not h.segments]
        if len(missing) == len(data.camera_ids):
            raise Invalid("nothing_recorded", "nada foi gravado por estas câmeras no intervalo pedido")
        if missing:
            raise Invalid("nothing_recorded", f"nada foi gravado no intervalo pela câmera {missing[0]}")
        size = sum(s.size_bytes or 0 for h in held for s in h.segments)
        if size > get_settings().export_max_bytes:
            raise TooLarge("export_too_large", f"a exportação teria {size / 1e9:.1f} GB; reduza câmeras ou o intervalo")
        row = store.insert(
            conn,
            {
                "case_id": case_id,
                "city_id": case.city_id,
                "start_at": data.start,
                "end_at": data.end,
                "mode": data.mode,
                "redact_faces": redact.faces,
                "redact_plates": redact.plates,
                "timestamp_overlay": data.timestamp_overlay,
                "lift_masks_reason": data.lift_masks.reason if data.lift_masks else None,
                "requested_by": principal.user_id if principal.local else None,
                "requested_by_name": principal.username,
            },
            data.camera_ids,
        )
        detail = {
            "export_id": str(row.id),
            "camera_ids": data.camera_ids,
            "start": data.start.isoformat(),
            "end": data.end.isoformat(),
            "mode": data.mode,
            "redact": redact.model_dump(),
            "timestamp_overlay": data.timestamp_overlay,
        }
        custody.record(
            conn,
            case_id,
            "export.requested",
            principal=principal,
            source_ip=actor.source_ip,
            user_agent=actor.user_agent,
            detail=detail,
        )
        if data.lift_masks is not None:
            custody.record(
                conn,
                case_id,
                "masks.lifted",
                principal=principal,
                source_ip=actor.source_ip,
                detail={"export_id": str(row.id), "reason": data.lift_masks.reason},
            )
        new = sum(h.new for h in held)
        if new:
            custody.record(
                conn, case_id, "hold.placed", principal=principal, detail={"export_id": str(row.id), "segments": new}
            )
    holds.tag(held)
    export_id = str(row.id)
    try:
        for camera_id in data.camera_ids:  # after the commit: the workers must find the rows
            store.enqueue_part(export_id, camera_id, row.in_image)
    except Exception as exc:
        logger.exception("export job could not be queued", extra={"export_id": export_id})
        with db.transaction() as conn:
            store.fail(conn, export_id, "a fila de exportação estava indisponível; peça a exportação de novo")
        announce(export_id)
        raise Unavailable("queue_unavailable", "fila de exportação indisponível, tente novamente") from exc
    announce(export_id)
    return ExportQueued(id=export_id, status="queued")


def list_(case: Case, limit: int, cursor: str | None) -> tuple[list[ExportOut], str | None]:
    """A case's exports, newest first (without presigned URLs: read one to download)."""
    after = pagination.decode_keyset(cursor)
    with db.transaction() as conn:
        rows = store.of_case(conn, str(case.id), limit, after)
        page, nxt = pagination.page(rows, limit, ("created_at", "id"))
        parts = {str(r.id): store.parts(conn, str(r.id)) for r in page}
        names = store.source_names(conn, sorted({str(p.camera_id) for ps in parts.values() for p in ps}))
    return [public(r, parts[str(r.id)], names, with_url=False) for r in page], nxt


def accessed(actor: Actor, export: Export) -> None:
    """A ready package's download link was handed to a user: a custody event."""
    if export.status != "ready":
        return
    with db.transaction() as conn:
        custody.record(
            conn,
            str(export.case_id),
            "export.accessed",
            principal=actor.principal,
            source_ip=actor.source_ip,
            user_agent=actor.user_agent,
            detail={"export_id": str(export.id), "sha256": export.package_sha256},
        )


def ready_of_case(case_id: str) -> list[Export]:
    """A case's finished packages (for share links)."""
    with db.transaction() as conn:
        return store.ready_of_case(conn, case_id)


def package_download(export: Export, ttl_s: int) -> str:
    """A short-lived URL of a ready package."""
    if export.status != "ready" or not export.package_key:
        raise not_found("pacote")
    return store.presign(export.package_key, f"pacote-{str(export.id)[:8]}.zip", ttl_s)
