"""Live streams' API models: MediaMTX's hook body, the viewer URLs and the stream answer. Apart from `schemas` (the
MediaMTX nodes' row, which the health worker reads) so that the worker does not build them (ADR 0029)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gtvision.core.models import Out


class MediaMTXEvent(BaseModel):
    """What MediaMTX's runOnOnline/runOnOffline hook posts (local/mediamtx/stream-event.sh)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    event: Literal["online", "offline"]
    path: str = Field(min_length=1, max_length=128, description="o nome do path no MediaMTX (o id da câmera)")


class HookAccepted(Out):
    status: Literal["recorded", "ignored"]


class SubUrls(Out):
    """Viewer URLs of the camera's sub-stream (MediaMTX path `{camera_id}_sub`): what walls of many tiles play."""

    hls: str
    webrtc: str


class StreamUrls(Out):
    hls: str
    webrtc: str
    rtsp: str
    #: The sub-stream's URLs; null when the camera has none.
    sub: SubUrls | None = None


class LiveTrack(Out):
    codec: str
    width: int | None
    height: int | None


class LiveState(Out):
    """MediaMTX's live state of the camera's path."""

    ready: bool
    source_ready: bool
    readers: int
    ready_since: datetime | None
    tracks: list[LiveTrack]


class StreamOut(Out):
    camera_id: str = Field(json_schema_extra={"format": "uuid"})
    status: str
    urls: StreamUrls | None
    live: LiveState | None = None


def stream_urls(urls: dict[str, str], sub: dict[str, str] | None = None) -> StreamUrls:
    """The answer's `urls` from a node's viewer URLs of the camera's path (and of its sub-stream's path)."""
    return StreamUrls(
        hls=urls["hls"],
        webrtc=urls["webrtc"],
        rtsp=urls["rtsp"],
        sub=SubUrls(hls=sub["hls"], webrtc=sub["webrtc"]) if sub else None,
    )
