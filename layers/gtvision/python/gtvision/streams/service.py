"""Live streams: one MediaMTX path per camera, pulled from the camera and recorded to the bucket.

The camera's credentials go to MediaMTX only (`cameras.source_with_credentials`); responses carry the
viewer URLs. When MediaMTX cannot be reached the caller gets a 503 with a plain message, and the
detail (host, reason) stays in the log. Routes hand these functions the camera the route decorator
resolved (visible in the caller's city, the role checked).
"""

from __future__ import annotations

from gtvision.core.errors import Unavailable
from gtvision.core.observability import logger
from gtvision.core.urls import parse_source_url
from gtvision.health import events as stream_health
from gtvision.recordings.keys import path_name
from gtvision.streams.api_schemas import LiveState, LiveTrack, StreamOut, StreamUrls, stream_urls
from gtvision.streams.mediamtx import MediaMTXClient, MediaMTXUnavailable, PathNotFound, PathStatus
from gtvision.streams.paths import readd_paths, wanted_paths
from gtvision.tenancy import cameras
from gtvision.tenancy.schemas import Camera

UNAVAILABLE_MESSAGE = "Servidor de vídeo ao vivo (MediaMTX) indisponível no momento. Tente novamente em instantes."


def _client(camera_id: str) -> MediaMTXClient:
    """The MediaMTX node the camera is placed on (streams.placement), or the single one of the settings."""
    from gtvision.streams import placement

    return placement.client_for(camera_id)


def _down(camera_id: str, action: str, exc: MediaMTXUnavailable) -> Unavailable:
    """The 503 the caller sees; MediaMTX's host and reason go to the log only."""
    logger.warning("MediaMTX unavailable", extra={"camera_id": camera_id, "action": action, "reason": exc.message})
    return Unavailable("mediamtx_unavailable", UNAVAILABLE_MESSAGE)


def _live(status: PathStatus) -> LiveState:
    return LiveState(
        ready=status.ready,
        source_ready=status.source_ready,
        readers=status.readers,
        ready_since=status.ready_since,
        tracks=[LiveTrack(codec=t.codec, width=t.width, height=t.height) for t in status.tracks],
    )


def start(camera: Camera) -> StreamOut:
    """Configure the camera's MediaMTX path (pull + record) and mark the camera streaming.

    The camera's host is checked again here, resolved now: a name that pointed at a camera when it was
    registered may point at this host's loopback or the metadata service today (422 then)."""
    camera_id = str(camera.id)
    parse_source_url(camera.source_url)
    if camera.substream_url:
        parse_source_url(camera.substream_url)
    client = _client(camera_id)
    try:
        readd_paths(client, camera_id, wanted_paths(camera_id, bool(camera.substream_url)))
    except MediaMTXUnavailable as exc:
        raise _down(camera_id, "start", exc) from None
    cameras.set_stream_status(camera_id, "streaming")
    stream_health.started(camera)
    return StreamOut(camera_id=camera_id, status="streaming", urls=_urls(client, camera_id, bool(camera.substream_url)))


def stop(camera: Camera) -> StreamOut:
    """Remove the camera's MediaMTX path (stops pulling and recording) and mark the camera stopped."""
    camera_id = str(camera.id)
    client = _client(camera_id)
    try:
        client.remove_path(camera_id, missing_ok=True)
        client.remove_path(path_name(camera_id, "sub"), missing_ok=True)  # also one a removed sub-stream left
    except MediaMTXUnavailable as exc:
        raise _down(camera_id, "stop", exc) from None
    cameras.set_stream_status(camera_id, "stopped")
    stream_health.stopped(camera)
    return StreamOut(camera_id=camera_id, status="stopped", urls=None)


def get(camera: Camera) -> StreamOut:
    """The camera's stream: status, viewer URLs while streaming, and MediaMTX's live state of the path."""
    camera_id = str(camera.id)
    client = _client(camera_id)
    streaming = camera.status == "streaming"
    live = None
    if streaming:
        try:
            live = _live(client.path_status(camera_id))
        except PathNotFound:
            live = None  # configured but not (yet) online in MediaMTX
        except MediaMTXUnavailable as exc:
            raise _down(camera_id, "status", exc) from None
    return StreamOut(
        camera_id=camera_id,
        status=camera.status,
        urls=_urls(client, camera_id, bool(camera.substream_url)) if streaming else None,
        live=live,
    )


def _urls(client: MediaMTXClient, camera_id: str, has_substream: bool) -> StreamUrls:
    sub = client.urls(path_name(camera_id, "sub")) if has_substream else None
    return stream_urls(client.urls(camera_id), sub)
