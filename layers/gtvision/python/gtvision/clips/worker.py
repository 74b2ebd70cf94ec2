"""The clip worker: one SQS job message → one clip, made once.

The worker claims a clip with a conditional UPDATE (a lease, so a crashed worker's clip is taken over once
the lease runs out), writes the clip at a key derived from its id and only marks it `ready` while its claim
still holds: a redelivered message never produces a second object nor changes a finished clip. What a
failure means — poison, the input's fault, or transient — is `core.retries.classify`'s rule.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from typing import Any

from pydantic import ValidationError

from gtvision.clips import keys as clip_keys
from gtvision.clips import store
from gtvision.clips.schemas import MAX_ATTEMPTS, Clip, ClipJob
from gtvision.clips.service import announce, public
from gtvision.core import db, errors, evidence, objects
from gtvision.core.observability import logger
from gtvision.core.retries import Failure, classify
from gtvision.core.settings import get_settings
from gtvision.core.timeutil import format_rfc3339
from gtvision.live import publish
from gtvision.media.clipping import SegmentSource, cut_clip
from gtvision.media.ffmpeg import MediaError, resource_reason
from gtvision.privacy import service as privacy
from gtvision.recordings.schemas import Segment

LEASE_S = 960  # the queue's visibility timeout: a redelivery arrives once the lease has expired


class PoisonMessage(errors.PoisonMessage):
    """A job message that can never succeed (not JSON, no clip id, unknown clip): it belongs in the DLQ."""


class ClipBusy(Exception):
    """Another worker holds a live claim on the clip: retry later, when it is finished or its lease expired."""


class _ClipFailed(errors.BadInput):
    """The clip cannot be made from what was recorded (a readable reason for the user)."""


def parse_message(body: str) -> str:
    """The clip id of a job message, or `PoisonMessage`."""
    try:
        return ClipJob.model_validate_json(body).clip_id
    except ValidationError as exc:
        not_json = any(e["type"] == "json_invalid" for e in exc.errors(include_input=False))
        raise PoisonMessage("mensagem não é JSON" if not_json else "mensagem sem clip_id válido") from None


def process(clip_id: str, timeout_s: float, scratch_root: str | None = None) -> str:
    """Make the clip once; returns `ready`, `failed` or `skipped` (already finished).

    Raises `PoisonMessage` for an unknown clip, `ClipBusy` while another worker holds it, and re-raises
    transient errors (after handing the clip back) so the message is retried.
    """
    token = str(uuid.uuid4())
    with db.transaction() as conn:
        row = store.claim(conn, clip_id, token, LEASE_S)
        current = row or store.get(conn, clip_id)
    if current is None:
        raise PoisonMessage(f"recorte {clip_id} não existe")
    if row is None:
        if current.status in ("ready", "failed"):
            logger.info("clip already finished; duplicate job ignored", extra={"clip_id": clip_id})
            return "skipped"
        raise ClipBusy(f"recorte {clip_id} em processamento por outro worker")
    publish.publish(str(row.city_id), "clip.status", public(row).model_dump(mode="python", by_alias=True))
    try:
        _produce(row, token, timeout_s, scratch_root)
        return "ready"
    except Exception as exc:
        if classify(exc) is Failure.TRANSIENT:
            return _retry_or_fail(row, token, exc)
        reason = f"falha ao recortar o vídeo: {exc.message}" if isinstance(exc, MediaError) else str(exc)
        _fail(row, token, reason)
        return "failed"


def transient_reason(exc: BaseException) -> str:
    """Why an attempt failed for a reason of the machine, in pt-BR: what ran out (scratch space, memory...)
    then ffmpeg's own words when it was ffmpeg, else the error's type."""
    ran_out = resource_reason(exc)
    detail = exc.message if isinstance(exc, MediaError) else (str(exc) if ran_out else type(exc).__name__)
    return f"{ran_out} para recortar: {detail}" if ran_out else detail


def _retry_or_fail(row: Clip, token: str, exc: Exception) -> str:
    """A transient failure: hand the clip back and re-raise (the message is retried: after minutes when the
    machine ran out of something, `core.retries`), or on the last attempt fail it with the reason."""
    clip_id = str(row.id)
    reason = transient_reason(exc)
    if row.attempts >= MAX_ATTEMPTS:
        logger.exception("clip failed on its last attempt", extra={"clip_id": clip_id})
        _fail(row, token, f"erro após {row.attempts} tentativas: {reason}")
        return "failed"
    logger.warning("clip attempt failed; retried", extra={"clip_id": clip_id, "reason": reason[-300:]})
    with db.transaction() as conn:
        store.release(conn, clip_id, token, error=errors.bounded_reason(f"tentativa {row.attempts} falhou: {reason}"))
    announce(clip_id)  # queued again
    raise exc


def _fail(row: Clip, token: str, error: str) -> None:
    logger.warning("clip failed", extra={"clip_id": str(row.id), "error": error[-300:]})
    with db.transaction() as conn:
        store.finish(conn, str(row.id), token, {"status": "failed", "error": errors.bounded_reason(error)})
    announce(str(row.id))


def _produce(row: Clip, token: str, timeout_s: float, scratch_root: str | None) -> None:
    clip_id, camera_id = str(row.id), str(row.camera_id)
    start, end = row.start_at, row.end_at
    with db.transaction() as conn:
        segments = store.stored_segments(conn, clip_id)  # chosen when the clip was requested
        names = store.context_names(conn, camera_id)
    if not segments:
        raise _ClipFailed("nenhum segmento gravado no intervalo (apagado pela retenção?)")
    scratch = tempfile.mkdtemp(prefix=f"clip-{clip_id}-", dir=scratch_root)
    try:
        sources, provenance = _fetch(segments, scratch)
        out = os.path.join(scratch, "clip.mp4")
        try:
            result = cut_clip(sources, start, end, row.mode, out, scratch, timeout_s)
        except MediaError as exc:
            keys = {src.url_or_path: seg.s3_key for src, seg in zip(sources, segments, strict=True)}
            raise exc.retold(_readable(exc.message, keys, scratch)) from exc
        result = privacy.burn_video(camera_id, out, scratch, timeout_s) or result  # the camera's privacy masks
        key = clip_keys.clip_key(clip_id)
        store.upload_file(out, key, "video/mp4")
        manifest = evidence.sign(
            evidence.build_manifest(
                clip={
                    "id": clip_id,
                    "s3_key": key,
                    "sha256": result.sha256,
                    "size_bytes": result.size_bytes,
                    "duration_s": round(result.duration_s, 6),
                    "container": "mp4",
                    # Two-tier recording: main, sub or both (each source says which stream it was cut from).
                    "qualities": sorted({s.quality for s in segments}),
                },
                camera={"id": camera_id, "name": names.camera_name},
                city={"id": str(row.city_id), "name": names.city_name, "state": names.city_state},
                start=start,
                end=end,
                mode=row.mode,
                requested_by={
                    "user_id": str(row.requested_by) if row.requested_by else None,
                    "username": row.requested_by_name,
                    "requested_at": format_rfc3339(row.created_at),
                },
                sources=provenance,
            )
        )
        store.put_json(clip_keys.manifest_key(clip_id), manifest)
        outcome = {
            "status": "ready",
            "duration_s": result.duration_s,
            "size_bytes": result.size_bytes,
            "sha256": result.sha256,
            "s3_key": key,
            "manifest_key": clip_keys.manifest_key(clip_id),
            "manifest": manifest,
            "error": None,
        }
        with db.transaction() as conn:
            done = store.finish(conn, clip_id, token, outcome)
            if done:
                store.replace_segments(conn, clip_id, camera_id, [(s.start_at, s.quality) for s in segments])
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
        ext = os.path.splitext(seg.s3_key)[1] or ".mp4"
        local = os.path.join(scratch, f"seg-{index:04d}{ext}")
        try:
            digest, size, _ = objects.download(get_settings().recordings_bucket, seg.s3_key, local)
        except objects.ObjectMissing as exc:
            raise _ClipFailed(f"segmento {seg.s3_key} não está mais no armazenamento") from exc
        if seg.sha256 and digest != seg.sha256:
            raise _ClipFailed(f"segmento {seg.s3_key} não confere com o SHA-256 registrado: integridade violada")
        dims = (seg.width, seg.height) if seg.width and seg.height else None
        sources.append(SegmentSource(url_or_path=local, start=seg.start_at, duration_s=seg.seconds, size=dims))
        provenance.append(
            {
                "s3_key": seg.s3_key,
                "sha256": digest,
                "size_bytes": size,
                "start": format_rfc3339(seg.start_at),
                "end": format_rfc3339(seg.end_at),
                # Two-tier recording: which stream this part was cut from (the sub-stream has less detail).
                "quality": seg.quality,
            }
        )
    return sources, provenance
