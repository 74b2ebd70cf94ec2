"""Routes of recordings (timeline, thumbnails, HLS playback) and live streams (MediaMTX)."""

from __future__ import annotations

from chalice import Response

from chalicelib.routing import Api, Request, page
from gtvision.core.errors import NotFound
from gtvision.core.models import Page
from gtvision.recordings import service as recordings
from gtvision.recordings import views
from gtvision.recordings.api_schemas import (
    PlaybackQuery,
    RangeQuery,
    ReferenceViewOut,
    Thumbnail,
    ThumbnailsQuery,
    Timeline,
)
from gtvision.streams import service as streams
from gtvision.streams.api_schemas import StreamOut
from gtvision.tenancy.schemas import Camera

api = Api(__name__)

HLS_CONTENT_TYPE = "application/vnd.apple.mpegurl"


@api.route("GET", "/v1/cameras/{camera_id}/timeline", query=RangeQuery, response=Timeline, audit="recordings.timeline")
def get_timeline(req: Request[None, RangeQuery], camera: Camera) -> Timeline:
    """Recorded spans, gaps, coverage and segment count of a camera in [from, to) (≤ 31 days)."""
    return recordings.timeline(camera, req.query)


@api.route(
    "GET",
    "/v1/cameras/{camera_id}/thumbnails",
    query=ThumbnailsQuery,
    response=Page[Thumbnail],
    audit="recordings.thumbnails",
)
def get_thumbnails(req: Request[None, ThumbnailsQuery], camera: Camera) -> Page[Thumbnail]:
    """One 160×90 JPEG per segment starting in [from, to), as presigned URLs (paginated)."""
    return page(*recordings.thumbnails(camera, req.query))


@api.route(
    "GET",
    "/v1/cameras/{camera_id}/playback.m3u8",
    query=PlaybackQuery,
    response=HLS_CONTENT_TYPE,
    audit="recordings.playback",
)
def get_playback(req: Request[None, PlaybackQuery], camera: Camera) -> Response:
    """HLS VOD playlist (application/vnd.apple.mpegurl) of the recordings in [from, to); 404 when none."""
    body = recordings.playlist(camera, req.query)
    if body is None:
        raise NotFound("not_found", "nenhuma gravação no intervalo pedido")
    # Presigned URLs inside expire: caches must not keep the playlist longer than they live.
    return Response(body=body, status_code=200, headers={"Content-Type": HLS_CONTENT_TYPE, "Cache-Control": "no-store"})


@api.route("POST", "/v1/cameras/{camera_id}/stream/start", role="manager", response=StreamOut)
def start_stream(req: Request[None, None], camera: Camera) -> StreamOut:
    """Start the camera's live stream and recording in MediaMTX (manager/admin); returns HLS/WebRTC/RTSP URLs."""
    return streams.start(camera)


@api.route("POST", "/v1/cameras/{camera_id}/stream/stop", role="manager", response=StreamOut)
def stop_stream(req: Request[None, None], camera: Camera) -> StreamOut:
    """Stop the camera's live stream and recording in MediaMTX (manager/admin)."""
    return streams.stop(camera)


@api.route("GET", "/v1/cameras/{camera_id}/stream", response=StreamOut, audit="stream.get")
def get_stream(req: Request[None, None], camera: Camera) -> StreamOut:
    """The camera's stream: status, viewer URLs and MediaMTX's live state."""
    return streams.get(camera)


@api.route(
    "POST",
    "/v1/cameras/{camera_id}/reference-view",
    role="manager",
    response=ReferenceViewOut,
    audit="camera.reference_view",
)
def take_reference_view(req: Request[None, None], camera: Camera) -> ReferenceViewOut:
    """Take the camera's current (latest recorded) view as the reference tamper detection compares with."""
    return views.take_reference(camera)
