"""Live streams: the row of a MediaMTX node. MediaMTX's hook body, the viewer URLs and the stream answer are in
`api_schemas`."""

from __future__ import annotations

from gtvision.core.rows import rowtype


@rowtype
class MediaMTXNode:
    """A MediaMTX server of the fleet (table `mediamtx_nodes`): its control API and public URLs."""

    id: str
    api_url: str
    hls_url: str
    webrtc_url: str
    rtsp_url: str
    capacity: int
    active: bool
