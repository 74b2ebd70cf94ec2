"""The export part worker: one SQS job → one camera's file of an export, made once; the last part to finish
moves the export on (fan-in) and queues its packaging.

Claims are leases as for clips (a killed worker's part is taken over once its lease runs out, or re-queued
by the reconciler); a part's object key is derived from its ids, so a redelivered job overwrites, never adds.
What a failure means is `core.retries.classify`'s rule: transient errors hand the part back and retry, the
rest fail the part with a reason the user can read — and with it the export, naming the camera.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gtvision.cases import custody
from gtvision.core import db, errors, objects
from gtvision.core.observability import logger
from gtvision.core.retries import Failure, classify
from gtvision.core.settings import get_settings
from gtvision.core.timeutil import format_rfc3339
from gtvision.exports import render, store
from gtvision.exports.schemas import MAX_ATTEMPTS, Export, ExportPart, PoisonMessage
from gtvision.exports.status import announce
from gtvision.media import ffmpeg, isobmff
from gtvision.media.clipping import SegmentSource, cut_clip
from gtvision.media.ffmpeg import MediaError
from gtvision.privacy import service as privacy
from gtvision.recordings import holds
from gtvision.recordings.schemas import Segment
from gtvision.tenancy import cameras, cities

LEASE_S = 960  # the queues' visibility timeout covers it; a redelivery finds the lease expired


class PartBusy(Exception):
    """Another worker holds a live claim on the part: retry later."""


class _PartFailed(errors.BadInput):
    """The part cannot be made from what was recorded (a readable reason)."""


def process_part(export_id: str, camera_id: str, timeout_s: float, scratch_root: str | None = None) -> str:
    """Make one camera's file once; `ready`, `failed` or `skipped` (finished already, or its export is)."""
    token = str(uuid.uuid4())
    with db.transaction() as conn:
        claimed = store.claim_part(conn, export_id, camera_id, token, LEASE_S)
        export = store.get(conn, export_id)
        current = claimed or store.part(conn, export_id, camera_id)
    if export is None or current is None:
        raise PoisonMessage(f"parte {export_id}/{camera_id} não existe")
    if claimed is None:
        if current.status in ("ready", "failed") or export.status not in ("queued", "processing"):
            logger.info("export part finished already; duplicate job ignored", extra={"export_id": export_id})
            return "skipped"
        raise PartBusy(f"parte {export_id}/{camera_id} em processamento por outro worker")
    announce(export_id)
    try:
        _produce(export, claimed, token, timeout_s, scratch_root)
        return "ready"
    except Exception as exc:
        if classify(exc) is Failure.TRANSIENT:
            return _retry_or_fail(claimed, token, exc)
        reason = f"falha ao recortar o vídeo: {exc.message}" if isinstance(exc, MediaError) else str(exc)
        _finish(claimed, token, {"status": "failed", "error": errors.bounded_reason(reason)})
        return "failed"


def _retry_or_fail(part: ExportPart, token: str, exc: Exception) -> str:
    if part.attempts >= MAX_ATTEMPTS:
        detail = exc.message if isinstance(exc, MediaError) else type(exc).__name__
        _finish(part, token, {"status": "failed", "error": f"erro após {part.attempts} tentativas: {detail}"})
        return "failed"
    with db.transaction() as conn:
        store.release_part(conn, str(part.export_id), str(part.camera_id), token)
    announce(str(part.export_id))
    raise exc


def _finish(part: ExportPart, token: str, outcome: dict[str, Any]) -> None:
    """Record the part's outcome and, when it was the last one, move the export on (queue its package)."""
    moved = finish_and_fan_in(str(part.export_id), str(part.camera_id), token, outcome)
    if moved is None and outcome["status"] == "failed":
        logger.warning("export part failed", extra={"export_id": str(part.export_id), "error": outcome["error"]})
    announce(str(part.export_id))


def finish_and_fan_in(export_id: str, camera_id: str, token: str | None, outcome: dict[str, Any]) -> str | None:
    """Apply a part's outcome (its claim `token`; None: the reconciler's verdict on a stale part) and run the
    fan-in; returns the export's new status when this was the last part."""
    with db.transaction() as conn:
        export = store.get(conn, export_id, lock=True)  # serialises the parts' fan-in
        if export is None:
            return None
        if token is None:
            store.fail_part(conn, export_id, camera_id, str(outcome.get("error")))
        elif not store.finish_part(conn, export_id, camera_id, token, outcome):
            logger.warning("export part claim lost; the other worker's result stands", extra={"export_id": export_id})
            return None
        moved = store.fan_in(conn, export_id)
        if moved == "failed":
            failed = store.get(conn, export_id)
            custody.record(
                conn,
                str(export.case_id),
                "export.failed",
                detail={"export_id": export_id, "error": failed.error if failed else None},
            )
    if moved == "packaging":
        try:
            store.enqueue_package(export_id)
        except Exception:  # noqa: BLE001 - the reconciler queues packages nobody picked up
            logger.exception("package job not queued; the reconciler will", extra={"export_id": export_id})
    return moved


def _overlay(export: Export, camera_name: str, first_frame: datetime) -> render.Overlay:
    city = cities.find(str(export.city_id))
    zone = ZoneInfo(city.timezone if city else "America/Sao_Paulo")
    offset = first_frame.astimezone(zone).utcoffset() or timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    label = f"UTC{'+' if offset >= timedelta(0) else '-'}{abs(hours):02d}:{abs(rest) // 60:02d}"
    return render.Overlay(camera_name, first_frame, offset, label)


def _produce(export: Export, part: ExportPart, token: str, timeout_s: float, scratch_root: str | None) -> None:
    export_id, camera_id = str(export.id), str(part.camera_id)
    with db.transaction() as conn:
        segments = holds.in_range(conn, camera_id, export.start_at, export.end_at)
    if not segments:
        raise _PartFailed("nenhum segmento gravado no intervalo (apagado pela retenção?)")
    camera = cameras.get_any(camera_id)
    scratch = tempfile.mkdtemp(prefix=f"export-{export_id[:8]}-", dir=scratch_root)
    try:
        sources, provenance = _fetch(segments, scratch)
        cut = os.path.join(scratch, "cut.mp4")
        result = cut_clip(sources, export.start_at, export.end_at, export.mode, cut, scratch, timeout_s)
        asked = (min(export.end_at, segments[-1].end_at) - max(export.start_at, segments[0].start_at)).total_seconds()
        lead = round(max(0.0, result.duration_s - asked), 3) if export.mode == "fast" else 0.0
        first_frame = export.start_at - timedelta(seconds=lead)
        burn = render.Burn(
            masks=[] if export.lift_masks_reason else privacy.polygons(camera_id),
            overlay=_overlay(export, camera.name if camera else camera_id, first_frame)
            if export.timestamp_overlay
            else None,
            faces=export.redact_faces,
            plates=export.redact_plates,
        )
        final = os.path.join(scratch, "part.mp4")
        done = render.render(cut, final, burn, scratch, timeout_s)
        info = isobmff.probe(final, timeout_s)
        digest = ffmpeg.sha256_file(final)
        store.upload_file(final, store.part_key(export_id, camera_id), "video/mp4")
        detail = {"sources": provenance, "render": done, "masks_lifted": export.lift_masks_reason is not None}
        _finish(
            part,
            token,
            {
                "status": "ready",
                "s3_key": store.part_key(export_id, camera_id),
                "sha256": digest,
                "size_bytes": info.size_bytes,
                "duration_s": round(info.duration_s, 6),
                "lead_s": lead,
                "detail": detail,
                "error": None,
            },
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _fetch(segments: list[Segment], scratch: str) -> tuple[list[SegmentSource], list[dict[str, Any]]]:
    """Download the covering segments and check each against the SHA-256 registered at upload."""
    sources: list[SegmentSource] = []
    provenance: list[dict[str, Any]] = []
    for index, seg in enumerate(segments):
        local = os.path.join(scratch, f"seg-{index:04d}{os.path.splitext(seg.s3_key)[1] or '.mp4'}")
        try:
            digest, size, _ = objects.download(get_settings().recordings_bucket, seg.s3_key, local)
        except objects.ObjectMissing as exc:
            raise _PartFailed(f"segmento {seg.s3_key} não está mais no armazenamento") from exc
        if seg.sha256 and digest != seg.sha256:
            raise _PartFailed(f"segmento {seg.s3_key} não confere com o SHA-256 registrado: integridade violada")
        # Main and sub-stream pieces differ in size: `cut_clip` re-encodes such a window to the largest.
        dims = (seg.width, seg.height) if seg.width and seg.height else None
        sources.append(SegmentSource(url_or_path=local, start=seg.start_at, duration_s=seg.seconds, size=dims))
        provenance.append(
            {
                "s3_key": seg.s3_key,
                "sha256": digest,
                "size_bytes": size,
                "quality": seg.quality,
                "start": format_rfc3339(seg.start_at.astimezone(UTC)),
                "end": format_rfc3339(seg.end_at.astimezone(UTC)),
            }
        )
    return sources, provenance
