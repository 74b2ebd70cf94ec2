"""Clips: requests validated against what was recorded, an idempotent SQS worker, legal holds, evidence.

Status moves `queued → processing → ready | failed`. The worker claims a clip with a conditional
UPDATE (a lease, so a crashed worker's clip is taken over once the lease runs out), writes the clip
at a key derived from its id and only marks it `ready` while its claim still holds: a redelivered
message never produces a second object nor changes a finished clip.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from gtvision.clips import store as dal
from gtvision.clips.schemas import ClipIn, ClipJob, HoldIn
from gtvision.core import db, errors, evidence, objects, pagination
from gtvision.core.errors import Conflict, Invalid, Unavailable, not_found
from gtvision.core.models import is_uuid
from gtvision.core.observability import logger
from gtvision.core.principal import Principal
from gtvision.core.records import Clip, Segment
from gtvision.core.settings import get_settings
from gtvision.core.timeutil import format_rfc3339
from gtvision.live import publish as events
from gtvision.media.clipping import SegmentSource, cut_clip
from gtvision.media.ffmpeg import MediaError, MediaInterrupted
from gtvision.recordings import store as segments_dal
from gtvision.tenancy import cameras
from gtvision.tenancy.authz import in_callers_city

MIN_LENGTH = timedelta(seconds=1)
MAX_LENGTH = timedelta(minutes=30)
LEASE_S = 960  # the queue's visibility timeout: a redelivery arrives once the lease has expired
MAX_ATTEMPTS = 3  # claims of a clip (real attempts at cutting it): the last one fails it instead of retrying
STATUSES = ("queued", "processing", "ready", "failed")
_ERROR_CHARS = 600


class PoisonMessage(errors.PoisonMessage):
    """A job message that can never succeed (not JSON, no clip id, unknown clip): it belongs in the DLQ."""


class ClipBusy(Exception):
    """Another worker holds a live claim on the clip: retry later, when it is finished or its lease expired."""


class _ClipFailed(Exception):
    """The clip cannot be made from what was recorded (a readable reason for the user)."""


# -------------------------------------------------------------------------------------------- API


def to_public(row: Clip) -> dict[str, Any]:
    """The clip as the API shows it; presigned URLs only when it is ready."""
    key, manifest = row["s3_key"], row["manifest_key"]
    ready = row["status"] == "ready" and bool(key)
    return {
        "id": str(row["id"]),
        "camera_id": str(row["camera_id"]),
        "city_id": str(row["city_id"]),
        "start": row["start_at"],
        "end": row["end_at"],
        "mode": row["mode"],
        "status": row["status"],
        "duration_s": row["duration_s"],
        "size_bytes": row["size_bytes"],
        "sha256": row["sha256"],
        "download_url": dal.presign(key, f"clip-{row['id']}.mp4") if ready and key else None,
        "manifest_url": dal.presign(manifest) if ready and manifest else None,
        "error": row["error"],
        "held": row["held"],
        "hold_reason": row["hold_reason"],
        "held_at": row["held_at"],
        "requested_by": str(row["requested_by"]) if row["requested_by"] else None,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def create(principal: Principal, data: ClipIn) -> dict[str, Any]:
    """Queue a clip of [start, end) of a camera of the caller's city."""
    principal.require("admin", "manager")
    camera = cameras.visible(principal, data.camera_id)
    if data.end <= data.start:
        raise Invalid("invalid_range", "o fim deve ser posterior ao início")
    length = data.end - data.start
    if length < MIN_LENGTH:
        raise Invalid("clip_too_short", "o recorte deve ter pelo menos 1 segundo")
    if length > MAX_LENGTH:
        raise Invalid("clip_too_long", "o recorte deve ter no máximo 30 minutos")
    with db.transaction() as conn:
        segments = segments_dal.in_range(conn, data.camera_id, data.start, data.end)
        if not segments:
            raise Invalid("nothing_recorded", "nada foi gravado por esta câmera no intervalo pedido")
        row = dal.insert(
            conn,
            {
                "camera_id": camera["id"],
                "city_id": camera["city_id"],
                "start_at": data.start,
                "end_at": data.end,
                "mode": data.mode,
                "requested_by": principal.user_id,
                "requested_by_name": principal.username,
            },
        )
        # Known already, so a hold placed while the clip is queued protects its sources too.
        dal.replace_segments(conn, str(row["id"]), str(camera["id"]), [s["start_at"] for s in segments])
    clip_id = str(row["id"])
    try:
        dal.enqueue(clip_id)  # after the commit: the worker must find the row
    except Exception as exc:
        logger.exception("clip job could not be queued", extra={"clip_id": clip_id})
        with db.transaction() as conn:
            dal.fail_unclaimed(conn, clip_id, "a fila de recortes estava indisponível; peça o recorte de novo")
        announce(clip_id)
        raise Unavailable("queue_unavailable", "fila de recortes indisponível, tente novamente") from exc
    announce(clip_id)
    return {"id": clip_id, "status": "queued"}


def announce(clip_id: str) -> None:
    """The `clip.status` live event of the clip as committed now (after each transition)."""
    with db.transaction() as conn:
        row = dal.get(conn, clip_id)
    if row is not None:
        events.publish(str(row["city_id"]), "clip.status", to_public(row))


def visible(principal: Principal, clip_id: str) -> Clip:
    """The clip if the caller's city owns it (admins see all); 404 otherwise."""
    with db.transaction() as conn:
        return in_callers_city(conn, principal, dal.get, clip_id, "recorte")


def get(principal: Principal, clip_id: str) -> dict[str, Any]:
    """A clip of the caller's city; exporting evidence is for managers (and admins), like requesting it."""
    row = visible(principal, clip_id)
    principal.require("admin", "manager")
    return to_public(row)


def list_(
    principal: Principal, camera_id: str | None, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Clips of the caller's city (optionally one camera's or one status), newest first."""
    principal.require("admin", "manager")
    if status is not None and status not in STATUSES:
        raise Invalid("invalid_status", f"status deve ser um de: {', '.join(STATUSES)}")
    if camera_id is not None:
        if not is_uuid(camera_id):
            raise not_found("câmera")
        cameras.visible(principal, camera_id)
    after = _cursor(cursor)
    with db.transaction() as conn:
        rows = dal.list_page(conn, principal.scope, camera_id, status, limit, after)
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [to_public(r) for r in items], nxt


def _cursor(raw: str | None) -> list[Any] | None:
    """The (created_at, id) keyset of a cursor, checked so a forged one is a 400, not a database error."""
    return pagination.decode_keyset(raw)


def hold(principal: Principal, clip_id: str, data: HoldIn) -> dict[str, Any]:
    """Place (or re-state) a legal hold: the clip and its source segments are kept by retention."""
    visible(principal, clip_id)
    principal.require("admin", "manager")
    with db.transaction() as conn:
        row = dal.set_hold(conn, clip_id, data.reason, principal.user_id)
        sources = segments_dal.source_keys_of_clip(conn, clip_id, only_unheld_elsewhere=False)
    # Out of the lifecycle safety net too, not only out of RetentionFunction's reach.
    bucket = get_settings().recordings_bucket
    segments_dal.tag_retention(bucket, _keys(sources), segments_dal.HELD)
    assert row is not None
    return to_public(row)


def _keys(sources: list[dict[str, Any]]) -> list[str]:
    return [k for s in sources for k in segments_dal.object_keys(s)]


def release_hold(principal: Principal, clip_id: str) -> dict[str, Any]:
    """Lift the legal hold (a no-op when there is none)."""
    visible(principal, clip_id)
    principal.require("admin", "manager")
    with db.transaction() as conn:
        row = dal.set_hold(conn, clip_id, None, None)
        sources = segments_dal.source_keys_of_clip(conn, clip_id, only_unheld_elsewhere=True)
    bucket = get_settings().recordings_bucket
    for days in {s["retention_days"] for s in sources}:
        segments_dal.tag_retention(bucket, _keys([s for s in sources if s["retention_days"] == days]), str(days))
    assert row is not None
    return to_public(row)


def delete(principal: Principal, clip_id: str) -> dict[str, Any]:
    """Delete a clip: its objects (clip and manifest), then its row. 409 while under legal hold, and while
    a worker is cutting it (the lease is alive). Returns the deleted row (for the audit's city)."""
    if not is_uuid(clip_id):
        raise not_found("recorte")
    visible(principal, clip_id)  # another city's clip is 404 to every role, as on the other clip routes
    principal.require("admin", "manager")
    with db.transaction() as conn:
        row = dal.lock_for_delete(conn, clip_id, principal.scope)
        if row is None:
            raise not_found("recorte")
        if row["held"]:
            raise Conflict("clip_held", "o recorte está sob retenção legal: retire a retenção antes de excluí-lo")
        lease = row.get("lease_until")
        if row["status"] == "processing" and lease is not None and lease > datetime.now(UTC):
            raise Conflict("clip_processing", "o recorte está sendo processado; tente de novo em instantes")
        # Objects first, inside the row lock: if storage fails the row stays and the delete can be retried.
        dal.delete_objects(dal.object_keys(row))
        dal.delete(conn, clip_id)
    logger.info("clip deleted", extra={"clip_id": clip_id})
    return row


# ----------------------------------------------------------------------------------------- worker


def parse_message(body: str) -> str:
    """The clip id of a job message, or `PoisonMessage`."""
    try:
        return ClipJob.model_validate_json(body).clip_id
    except ValidationError as exc:
        not_json = any(e["type"] == "json_invalid" for e in exc.errors(include_input=False))
        raise PoisonMessage("mensagem não é JSON" if not_json else "mensagem sem clip_id válido") from None


def process(clip_id: str, timeout_s: float, scratch_root: str | None = None) -> str:
    """Make the clip once; returns `ready`, `failed` or `skipped` (already finished).

    Raises `PoisonMessage` for an unknown clip, `ClipBusy` while another worker holds it, and
    re-raises unexpected errors (after handing the clip back) so the message is retried.
    """
    token = str(uuid.uuid4())
    with db.transaction() as conn:
        row = dal.claim(conn, clip_id, token, LEASE_S)
        current = row or dal.get(conn, clip_id)
    if current is None:
        raise PoisonMessage(f"recorte {clip_id} não existe")
    if row is None:
        if current["status"] in ("ready", "failed"):
            logger.info("clip already finished; duplicate job ignored", extra={"clip_id": clip_id})
            return "skipped"
        raise ClipBusy(f"recorte {clip_id} em processamento por outro worker")
    events.publish(str(row["city_id"]), "clip.status", to_public(row))
    try:
        _produce(row, token, timeout_s, scratch_root)
        return "ready"
    except MediaInterrupted as exc:  # ffmpeg timed out or was killed: the media may be fine, try again
        return _retry_or_fail(row, token, exc)
    except MediaError as exc:
        _fail(row, token, f"falha ao recortar o vídeo: {exc.message}")
    except _ClipFailed as exc:
        _fail(row, token, str(exc))
    except Exception as exc:
        return _retry_or_fail(row, token, exc)
    return "failed"


def _retry_or_fail(row: Clip, token: str, exc: Exception) -> str:
    """A transient failure: hand the clip back and re-raise (the message is retried), or on the last
    attempt fail it with the reason."""
    clip_id = str(row["id"])
    if row["attempts"] >= MAX_ATTEMPTS:
        logger.exception("clip failed on its last attempt", extra={"clip_id": clip_id})
        detail = exc.message if isinstance(exc, MediaError) else type(exc).__name__
        _fail(row, token, f"erro após {row['attempts']} tentativas: {detail}")
        return "failed"
    with db.transaction() as conn:
        dal.release(conn, clip_id, token)
    announce(clip_id)  # queued again
    raise exc


def _fail(row: Clip, token: str, error: str) -> None:
    logger.warning("clip failed", extra={"clip_id": str(row["id"]), "error": error[:200]})
    with db.transaction() as conn:
        dal.finish(conn, str(row["id"]), token, {"status": "failed", "error": error[:_ERROR_CHARS]})
    announce(str(row["id"]))


def _produce(row: Clip, token: str, timeout_s: float, scratch_root: str | None) -> None:
    clip_id, camera_id = str(row["id"]), str(row["camera_id"])
    start, end = row["start_at"], row["end_at"]
    with db.transaction() as conn:
        segments = dal.stored_segments(conn, clip_id)  # chosen when the clip was requested
        names = dal.context_names(conn, camera_id)
    if not segments:
        raise _ClipFailed("nenhum segmento gravado no intervalo (apagado pela retenção?)")
    scratch = tempfile.mkdtemp(prefix=f"clip-{clip_id}-", dir=scratch_root)
    try:
        sources, provenance = _fetch(segments, scratch)
        out = os.path.join(scratch, "clip.mp4")
        try:
            result = cut_clip(sources, start, end, row["mode"], out, scratch, timeout_s)
        except MediaError as exc:
            keys = {src.url_or_path: seg["s3_key"] for src, seg in zip(sources, segments, strict=True)}
            raise type(exc)(_readable(exc.message, keys, scratch)) from exc
        key = dal.clip_key(clip_id)
        dal.upload_file(out, key, "video/mp4")
        manifest = evidence.sign(
            evidence.build_manifest(
                clip={"id": clip_id, "s3_key": key, "sha256": result.sha256, "size_bytes": result.size_bytes,
                      "duration_s": round(result.duration_s, 6), "container": "mp4"},
                camera={"id": camera_id, "name": names["camera_name"]},
                city={"id": str(row["city_id"]), "name": names["city_name"], "state": names["city_state"]},
                start=start,
                end=end,
                mode=row["mode"],
                requested_by={"user_id": str(row["requested_by"]) if row["requested_by"] else None,
                              "username": row["requested_by_name"], "requested_at": format_rfc3339(row["created_at"])},
                sources=provenance,
            )
        )  # fmt: skip
        dal.put_json(dal.manifest_key(clip_id), manifest)
        with db.transaction() as conn:
            done = dal.finish(
                conn,
                clip_id,
                token,
                {"status": "ready", "duration_s": result.duration_s, "size_bytes": result.size_bytes,
                 "sha256": result.sha256, "s3_key": key, "manifest_key": dal.manifest_key(clip_id),
                 "manifest": manifest, "error": None},
            )  # fmt: skip
            if done:
                dal.replace_segments(conn, clip_id, camera_id, [s["start_at"] for s in segments])
        if done:
            announce(clip_id)
        else:
            logger.warning("clip claim lost to another worker; its result stands", extra={"clip_id": clip_id})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


_FFMPEG_CONTEXT = re.compile(r"\[[^\]]*@ 0x[0-9a-f]+\] ")


def _readable(message: str, keys: dict[str, str], scratch: str) -> str:
    """ffmpeg's error in terms of the recorded segments: their keys, not our scratch paths or addresses."""
    for local, key in keys.items():
        message = message.replace(local, key)
    return _FFMPEG_CONTEXT.sub("", message.replace(scratch + os.sep, "")).strip()


def _fetch(segments: list[Segment], scratch: str) -> tuple[list[SegmentSource], list[dict[str, Any]]]:
    """Download the covering segments and check each against the SHA-256 registered at upload."""
    sources: list[SegmentSource] = []
    provenance: list[dict[str, Any]] = []
    for index, seg in enumerate(segments):
        ext = os.path.splitext(seg["s3_key"])[1] or ".mp4"
        local = os.path.join(scratch, f"seg-{index:04d}{ext}")
        try:
            digest, size, _ = objects.download(get_settings().recordings_bucket, seg["s3_key"], local)
        except objects.ObjectMissing as exc:
            raise _ClipFailed(f"segmento {seg['s3_key']} não está mais no armazenamento") from exc
        if seg.get("sha256") and digest != seg["sha256"]:
            raise _ClipFailed(f"segmento {seg['s3_key']} não confere com o SHA-256 registrado: integridade violada")
        duration = seg.get("duration_s") or (seg["end_at"] - seg["start_at"]).total_seconds()
        sources.append(SegmentSource(url_or_path=local, start=seg["start_at"], duration_s=float(duration)))
        provenance.append(
            {"s3_key": seg["s3_key"], "sha256": digest, "size_bytes": size,
             "start": format_rfc3339(seg["start_at"]), "end": format_rfc3339(seg["end_at"])}
        )  # fmt: skip
    return sources, provenance
