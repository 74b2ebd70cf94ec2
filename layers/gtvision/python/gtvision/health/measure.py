"""What one poll measures of a camera from MediaMTX's cumulative counters and the segment index."""

from __future__ import annotations

from datetime import datetime

from gtvision.health.schemas import StartedCamera
from gtvision.streams.mediamtx import PathStatus, parse_time

#: tracks2 codecs that are video (the first one gives the camera's codec and size).
VIDEO_CODECS = {"AV1", "VP9", "VP8", "H265", "H264", "MPEG-4 Video", "MPEG-1/2 Video", "M-JPEG"}


def inbound_kbps(prev: StartedCamera, path: PathStatus, now: datetime) -> float | None:
    """Inbound kbit/s since the previous sample, from MediaMTX's cumulative `inboundBytes`.

    The counter restarts when the source reconnects (`onlineTime` changes) and can only grow otherwise;
    after a restart the rate is taken since `onlineTime` when that is after the previous sample, and is
    unknown (None) when nothing sound can be said — never negative, never a counter wrap.
    """
    if not path.source_ready:
        return None
    prev_at, prev_bytes = prev.sampled_at, prev.inbound_bytes
    same_session = prev.online_time is not None and prev.online_time == path.online_time
    if prev_at is not None and prev_bytes is not None and same_session and path.inbound_bytes >= prev_bytes:
        seconds = (now - prev_at).total_seconds()
        return (path.inbound_bytes - prev_bytes) * 8 / 1000 / seconds if seconds > 0 else None
    start = parse_time(path.online_time)
    if start is not None and start < now and (prev_at is None or start >= prev_at):
        return path.inbound_bytes * 8 / 1000 / (now - start).total_seconds()
    return None


def frames_in_error(prev: StartedCamera, path: PathStatus) -> int | None:
    """Frames that arrived broken since the previous sample (after a counter restart: since it)."""
    if not path.source_ready:
        return None
    total, prev_total = path.inbound_frames_in_error, prev.frames_in_error_total
    same_session = prev.online_time is not None and prev.online_time == path.online_time
    if same_session and prev_total is not None and total >= prev_total:
        return total - prev_total
    return total


def video_track(path: PathStatus) -> tuple[str | None, int | None, int | None]:
    """(codec, width, height) of the path's first video track; Nones when it has none."""
    for track in path.tracks:
        if track.codec in VIDEO_CODECS:
            return track.codec, track.width, track.height
    return None, None, None


def fps_of(cam: StartedCamera) -> float | None:
    """Frames per second of the camera's last segment, when known."""
    frames, duration = cam.segment_frames, cam.segment_duration_s
    if not frames or not duration or duration <= 0:
        return None
    return round(frames / duration, 2)
