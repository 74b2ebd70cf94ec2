"""Clips for the API: requests checked against what was recorded, lists, legal holds and deletion.

Status moves `queued → processing → ready | failed`; the worker (`clips.worker`) makes the clip. Routes hand
these functions the rows the route decorator resolved (the clip, visible in the caller's city), so nothing
here checks the caller's role or city again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gtvision.clips import keys, store
from gtvision.clips.api_schemas import ClipIn, ClipOut, ClipQueued, ClipsQuery, HoldIn  # clip.status carries ClipOut
from gtvision.clips.schemas import Clip
from gtvision.core import db, objects, pagination
from gtvision.core.errors import Conflict, Invalid, Unavailable, not_found
from gtvision.core.observability import logger
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.live import publish
from gtvision.recordings import holds
from gtvision.tenancy.authz import camera_filter, in_callers_city

MIN_LENGTH = timedelta(seconds=1)
MAX_LENGTH = timedelta(minutes=30)


#: What a ready clip whose file is gone from storage says instead of a link that would fail.
VANISHED = "o arquivo do recorte não está mais no armazenamento (apagado ou perdido); peça o recorte de novo"


def public(row: Clip, *, check_objects: bool = False) -> ClipOut:
    """The clip as the API shows it; presigned URLs only when it is ready — and, with `check_objects` (one
    clip's read), only when its file is still in storage: a vanished file gives no link and says so, rather
    than a presigned URL that fails with 403."""
    key, manifest = row.s3_key, row.manifest_key
    ready = row.status == "ready" and bool(key)
    error = row.error
    if ready and check_objects and key and objects.head(get_settings().recordings_bucket, key) is None:
        ready, error = False, VANISHED
    return ClipOut(
        id=str(row.id),
        camera_id=str(row.camera_id),
        city_id=str(row.city_id),
        start=row.start_at,
        end=row.end_at,
        mode=row.mode,
        status=row.status,
        duration_s=row.duration_s,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        download_url=store.presign(key, f"clip-{row.id}.mp4") if ready and key else None,
        manifest_url=store.presign(manifest) if ready and manifest else None,
        error=error,
        held=row.held,
        hold_reason=row.hold_reason,
        held_at=row.held_at,
        hold_case_id=str(row.hold_case_id) if row.hold_case_id else None,
        requested_by=str(row.requested_by) if row.requested_by else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def create(principal: Principal, data: ClipIn) -> ClipQueued:
    """Queue a clip of [start, end) of a camera of the caller's city."""
    from gtvision.tenancy import cameras  # the API's: the clip workers never check a caller's cameras

    camera = cameras.visible(principal, data.camera_id)
    if data.end <= data.start:
        raise Invalid("invalid_range", "o fim deve ser posterior ao início")
    length = data.end - data.start
    if length < MIN_LENGTH:
        raise Invalid("clip_too_short", "o recorte deve ter pelo menos 1 segundo")
    if length > MAX_LENGTH:
        raise Invalid("clip_too_long", "o recorte deve ter no máximo 30 minutos")
    with db.transaction() as conn:
        segments = holds.in_range(conn, data.camera_id, data.start, data.end)
        if not segments:
            raise Invalid("nothing_recorded", "nada foi gravado por esta câmera no intervalo pedido")
        row = store.insert(
            conn,
            {
                "camera_id": camera.id,
                "city_id": camera.city_id,
                "start_at": data.start,
                "end_at": data.end,
                "mode": data.mode,
                "requested_by": principal.user_id,
                "requested_by_name": principal.username,
            },
        )
        # Known already, so a hold placed while the clip is queued protects its sources too.
        store.replace_segments(conn, str(row.id), str(camera.id), [(s.start_at, s.quality) for s in segments])
    clip_id = str(row.id)
    try:
        store.enqueue(clip_id)  # after the commit: the worker must find the row
    except Exception as exc:
        logger.exception("clip job could not be queued", extra={"clip_id": clip_id})
        with db.transaction() as conn:
            store.fail_unclaimed(conn, clip_id, "a fila de recortes estava indisponível; peça o recorte de novo")
        announce(clip_id)
        raise Unavailable("queue_unavailable", "fila de recortes indisponível, tente novamente") from exc
    announce(clip_id)
    return ClipQueued(id=clip_id, status="queued")


def announce(clip_id: str) -> None:
    """The `clip.status` live event of the clip as committed now (after each transition)."""
    with db.transaction() as conn:
        row = store.get(conn, clip_id)
    if row is not None:
        publish.publish(str(row.city_id), "clip.status", public(row).model_dump(mode="python", by_alias=True))


def visible(principal: Principal, clip_id: str) -> Clip:
    """The clip if the caller's city owns it (admins see all) and, for a user restricted to camera groups, its
    camera is one of theirs; 404 otherwise."""
    with db.transaction() as conn:
        clip = in_callers_city(conn, principal, store.get, clip_id, "recorte")
    if not principal.can_see_camera(str(clip.camera_id)):
        raise not_found("recorte")
    return clip


def list_(principal: Principal, query: ClipsQuery) -> tuple[list[ClipOut], str | None]:
    """Clips of the caller's city (optionally one camera's or one status), newest first."""
    if query.camera_id is not None:
        from gtvision.tenancy import cameras  # the API's: the clip workers never check a caller's cameras

        cameras.visible(principal, query.camera_id)
    after = pagination.decode_keyset(query.cursor)
    with db.transaction() as conn:
        rows = store.list_page(
            conn, principal.scope, query.camera_id, query.status, query.limit, after, camera_filter(principal)
        )
    items, nxt = pagination.page(rows, query.limit, ("created_at", "id"))
    return [public(r) for r in items], nxt


def hold(principal: Principal, clip: Clip, data: HoldIn) -> ClipOut:
    """Place (or re-state) a legal hold: the clip and its source segments are kept by retention."""
    with db.transaction() as conn:
        row = store.set_hold(conn, str(clip.id), data.reason, principal.user_id, data.case_id)
    # Out of the lifecycle safety net too, not only out of RetentionFunction's reach.
    holds.protect_clip_sources(str(clip.id))
    if row is None:
        raise not_found("recorte")
    return public(row)


def release_hold(clip: Clip) -> ClipOut:
    """Lift the legal hold (a no-op when there is none)."""
    with db.transaction() as conn:
        row = store.set_hold(conn, str(clip.id), None, None)
    holds.release_clip_sources(str(clip.id))
    if row is None:
        raise not_found("recorte")
    return public(row)


def release_case_holds(case_id: str) -> list[str]:
    """Lift the holds a case placed on its clips (its keep period ended); the clips released."""
    with db.transaction() as conn:
        released = store.release_case_holds(conn, case_id)
    for clip_id in released:
        holds.release_clip_sources(clip_id)
    return released


def delete(clip: Clip) -> Clip:
    """Delete a clip: its objects (clip and manifest), then its row. 409 while under legal hold, and while
    a worker is cutting it (the lease is alive). Returns the deleted row (for the audit)."""
    clip_id = str(clip.id)
    with db.transaction() as conn:
        row = store.lock_for_delete(conn, clip_id)
        if row is None:
            raise not_found("recorte")
        if row.held:
            raise Conflict("clip_held", "o recorte está sob retenção legal: retire a retenção antes de excluí-lo")
        if row.status == "processing" and row.lease_until is not None and row.lease_until > datetime.now(UTC):
            raise Conflict("clip_processing", "o recorte está sendo processado; tente de novo em instantes")
        # Objects first, inside the row lock: if storage fails the row stays and the delete can be retried.
        store.delete_objects(keys.object_keys(clip_id, row.s3_key, row.manifest_key))
        store.delete(conn, clip_id)
    logger.info("clip deleted", extra={"clip_id": clip_id})
    return row


def count_unfinished() -> int:
    """How many clips are queued or processing (the local stack's start reports those a crash left pending)."""
    with db.transaction() as conn:
        return store.count_unfinished(conn)
