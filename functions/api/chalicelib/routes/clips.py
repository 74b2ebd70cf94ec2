"""Routes of clips (contract: Clips): request, read, list and legal hold."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.http import Ctx, json_response, paged, route
from chalicelib.resolvers import MANAGERS
from gtvision.clips import service as clips
from gtvision.clips.schemas import ClipIn, HoldIn
from gtvision.core.models import parse
from gtvision.tenancy import quotas

bp = Blueprint(__name__)


@route(bp, "/v1/clips", ("POST",), audit_action="clip.create")
def create_clip(ctx: Ctx) -> Any:
    """Queue a clip of a camera's recordings (202; the worker makes it)."""
    data = parse(ClipIn, ctx.json())
    quotas.check(ctx.user, "clip")
    ctx.audit_detail = {
        "camera_id": data.camera_id,
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "mode": data.mode,
    }
    return json_response(clips.create(ctx.user, data), 202)


@route(bp, "/v1/clips", roles=MANAGERS, audit_action="clip.list")
def list_clips(ctx: Ctx) -> Any:
    """List the city's clips, newest first (`camera_id`, `status` filter)."""
    items, nxt = clips.list_(
        ctx.user, ctx.query.get("camera_id") or None, ctx.query.get("status") or None, ctx.limit(), ctx.cursor()
    )
    return paged(items, nxt)


@route(bp, "/v1/clips/{clip_id}", roles=MANAGERS, audit_action="clip.read")
def get_clip(ctx: Ctx, clip_id: str) -> Any:
    """One clip, with presigned `download_url` and `manifest_url` once ready."""
    clip = clips.get(ctx.user, clip_id)
    ctx.audit_city_id = clip["city_id"]
    return clip


@route(bp, "/v1/clips/{clip_id}", ("DELETE",), audit_action="clip.delete")
def delete_clip(ctx: Ctx, clip_id: str) -> Any:
    """Delete a clip and its objects (manager; 409 while under legal hold)."""
    clip = clips.delete(ctx.user, clip_id)
    ctx.audit_city_id = str(clip["city_id"])
    ctx.audit_detail = {"camera_id": str(clip["camera_id"]), "sha256": clip["sha256"], "status": clip["status"]}
    return json_response(None, 204)


@route(bp, "/v1/clips/{clip_id}/hold", ("POST",), audit_action="clip.hold")
def hold_clip(ctx: Ctx, clip_id: str) -> Any:
    """Place a legal hold: the clip and the segments it was cut from are kept by retention."""
    data = parse(HoldIn, ctx.json())
    ctx.audit_detail = {"reason": data.reason}
    clip = clips.hold(ctx.user, clip_id, data)
    ctx.audit_city_id = clip["city_id"]
    return clip


@route(bp, "/v1/clips/{clip_id}/hold", ("DELETE",), audit_action="clip.unhold")
def release_clip_hold(ctx: Ctx, clip_id: str) -> Any:
    """Lift the legal hold of a clip."""
    clip = clips.release_hold(ctx.user, clip_id)
    ctx.audit_city_id = clip["city_id"]
    return clip
