"""Playable renditions: a progressive MP4 segment remuxed (stream copy) to MPEG-TS for HLS.

HLS carries MPEG-TS and fragmented MP4 only. A progressive MP4 (one `moov` indexing one `mdat`, what
many NVRs and edge recorders write with `-movflags +faststart`) is registered as evidence as it was
uploaded — its key, bytes and SHA-256 never change — and a copy of the same frames in MPEG-TS is stored
beside it, under `playable/`, for playlists. No re-encoding: the copy holds the very same compressed
frames with the very same timestamps (`-muxdelay 0`). MPEG-TS rather than fragmented MP4 because
ffmpeg's HLS demuxer drops the first fragment after every fMP4 timestamp reset (ADR 0005), and NVR
files restart their timestamps in every file; see docs/adr/0011-playable-renditions.md.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit

from gtvision.core.observability import logger, metrics
from gtvision.core.rows import rowtype
from gtvision.media import ffmpeg

_STAMP_FORMAT = "%Y-%m-%d_%H-%M-%S-%f"


@rowtype(slots=False)
class Rendition:
    path: str
    size_bytes: int


def rendition_key(camera_id: str, start: datetime) -> str:
    """Where the playable copy of a segment lives (outside `recordings/`: it is not an upload)."""
    return f"playable/{camera_id}/{start.astimezone(UTC).strftime(_STAMP_FORMAT)}.ts"


def needs_rendition(container: str) -> bool:
    """Whether HLS needs a remuxed copy of a segment registered with this container (progressive MP4)."""
    return container == "mp4"


def remux_to_ts(src: str, dst: str, timeout: float = 120) -> Rendition:
    """Stream-copy the video of `src` into MPEG-TS at `dst`, timestamps unchanged. Raises `ffmpeg.MediaError`."""
    ffmpeg.run_ffmpeg(
        ["-y", "-i", src, "-map", "0:v:0", "-c", "copy", "-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts", dst],
        timeout,
    )
    size = os.path.getsize(dst)
    if size == 0:
        raise ffmpeg.MediaError("a cópia MPEG-TS ficou vazia")
    return Rendition(dst, size)


def playable_copy(local: str, dst: str, container: str, key: str, timeout: float) -> Rendition | None:
    """The MPEG-TS copy HLS plays of a progressive MP4 (None for containers HLS carries as they are).

    A segment ffmpeg could probe and thumbnail but not remux is still registered (it is evidence);
    it then stays out of playlists, and the warning and metric say so.
    """
    if not needs_rendition(container):
        return None
    try:
        return remux_to_ts(local, dst, timeout=timeout)
    except ffmpeg.MediaInterrupted:
        raise  # a timeout or a signal: retried like the other ffmpeg runs of the registration
    except ffmpeg.MediaError as exc:
        metrics.add_metric(name="SegmentRenditionsFailed", unit=MetricUnit.Count, value=1)
        logger.warning(
            "segment registered without a playable rendition", extra={"key": key, "error": exc.message[-500:]}
        )
        return None
