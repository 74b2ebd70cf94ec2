"""Routes of recordings (timeline, thumbnails, HLS playback) and live streams (MediaMTX)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.http import Ctx, paged, route
from gtvision.core.errors import NotFound
from gtvision.recordings import service as recordings
from gtvision.streams import service as streams
from gtvision.tenancy import cameras

bp = Blueprint(__name__)

HLS_CONTENT_TYPE = "application/vnd.apple.mpegurl"


def _scope(ctx: Ctx, camera_id: str) -> None:
    """404 for other cities before anything else; the audit entry names the camera's city."""
    ctx.audit_city_id = str(cameras.visible(ctx.user, camera_id).city_id)


@route(bp, "/v1/cameras/{camera_id}/timeline", audit_action="recordings.timeline")
def get_timeline(ctx: Ctx, camera_id: str) -> Any:
    """Recorded spans, gaps, coverage and segment count of a camera in [from, to) (≤ 31 days)."""
    _scope(ctx, camera_id)
    return recordings.timeline(ctx.user, camera_id, ctx.query)


@route(bp, "/v1/cameras/{camera_id}/thumbnails", audit_action="recordings.thumbnails")
def get_thumbnails(ctx: Ctx, camera_id: str) -> Any:
    """One 160×90 JPEG per segment starting in [from, to), as presigned URLs (paginated)."""
    _scope(ctx, camera_id)
    items, nxt = recordings.thumbnails(ctx.user, camera_id, ctx.query, ctx.limit(), ctx.cursor())
    return paged(items, nxt)


@route(bp, "/v1/cameras/{camera_id}/playback.m3u8", audit_action="recordings.playback")
def get_playback(ctx: Ctx, camera_id: str) -> Any:
    """HLS VOD playlist (application/vnd.apple.mpegurl) of the recordings in [from, to); 404 when none."""
    _scope(ctx, camera_id)
    body = recordings.playlist(ctx.user, camera_id, ctx.query)
    if body is None:
        raise NotFound("not_found", "nenhuma gravação no intervalo pedido")
    # Presigned URLs inside expire: caches must not keep the playlist longer than they live.
    return Response(body=body, status_code=200, headers={"Content-Type": HLS_CONTENT_TYPE, "Cache-Control": "no-store"})


@route(bp, "/v1/cameras/{camera_id}/stream/start", ("POST",))
def start_stream(ctx: Ctx, camera_id: str) -> Any:
    """Start the camera's live stream and recording in MediaMTX (manager/admin); returns HLS/WebRTC/RTSP URLs."""
    _scope(ctx, camera_id)
    return streams.start(ctx.user, camera_id)


@route(bp, "/v1/cameras/{camera_id}/stream/stop", ("POST",))
def stop_stream(ctx: Ctx, camera_id: str) -> Any:
    """Stop the camera's live stream and recording in MediaMTX (manager/admin)."""
    _scope(ctx, camera_id)
    return streams.stop(ctx.user, camera_id)


@route(bp, "/v1/cameras/{camera_id}/stream", audit_action="stream.get")
def get_stream(ctx: Ctx, camera_id: str) -> Any:
    """The camera's live stream: status, viewer URLs and MediaMTX's live state."""
    _scope(ctx, camera_id)
    return streams.get(ctx.user, camera_id)
