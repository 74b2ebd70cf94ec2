"""Real H.264 test video made with ffmpeg's lavfi `testsrc2`, for tests and the local demo."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Literal

from gtvision.media.clipping import SegmentSource
from gtvision.media.ffmpeg import run_ffmpeg

VideoFormat = Literal["mp4", "fmp4", "ts"]

# fmp4 as MediaMTX records it: an empty moov, then moof/mdat fragments starting at keyframes
_FMP4_FLAGS = "+frag_keyframe+empty_moov+default_base_moof"


def _encode_args(seconds: float, fps: int, size: str, gop: int | None, bframes: int) -> list[str]:
    return [
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
        "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-g", str(gop or fps), "-keyint_min", str(gop or fps), "-sc_threshold", "0", "-bf", str(bframes),
        "-threads", "2",
    ]  # fmt: skip


def _muxer_args(fmt: VideoFormat) -> list[str]:
    if fmt == "ts":
        return ["-f", "mpegts"]
    if fmt == "fmp4":
        return ["-f", "mp4", "-movflags", _FMP4_FLAGS]
    return ["-f", "mp4", "-movflags", "+faststart"]


def make_video(
    path: str,
    seconds: float,
    *,
    fps: int = 25,
    size: str = "320x180",
    gop: int | None = None,
    fmt: VideoFormat = "mp4",
    start_offset: float = 0.0,
    bframes: int = 0,
    timeout: float = 120,
) -> str:
    """Write `seconds` of H.264 `testsrc2` video to `path`; `gop` in frames (default one second).

    `start_offset` shifts the stream's timestamps, as in a segment cut from a longer recording.
    """
    offset = ["-output_ts_offset", f"{start_offset:g}"] if start_offset else []
    run_ffmpeg(["-y", *_encode_args(seconds, fps, size, gop, bframes), *offset, *_muxer_args(fmt), path], timeout)
    return path


def make_segments(
    directory: str,
    count: int,
    seconds: float,
    *,
    start: datetime | None = None,
    fps: int = 25,
    size: str = "320x180",
    gop: int | None = None,
    fmt: VideoFormat = "mp4",
    bframes: int = 0,
    timeout: float = 120,
) -> list[SegmentSource]:
    """Record `count` consecutive segments of `seconds` each from one encode, named like MediaMTX does.

    Keyframes are forced at segment boundaries so every segment starts with one. MPEG-TS segments keep
    the continuous timestamps of the recording (as MediaMTX writes them); MP4 segments start at zero.
    """
    start = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    os.makedirs(directory, exist_ok=True)
    ext = "ts" if fmt == "ts" else "mp4"
    pattern = os.path.join(directory, f"seg-%03d.{ext}")
    segment_args = ["-f", "segment", "-segment_time", f"{seconds:g}", "-force_key_frames",
                    f"expr:gte(t,n_forced*{seconds:g})"]  # fmt: skip
    if fmt == "ts":
        segment_args += ["-segment_format", "mpegts"]
    else:
        flags = _FMP4_FLAGS if fmt == "fmp4" else "+faststart"
        segment_args += ["-segment_format", "mp4", "-segment_format_options", f"movflags={flags}",
                         "-reset_timestamps", "1"]  # fmt: skip
    run_ffmpeg(["-y", *_encode_args(seconds * count, fps, size, gop, bframes), *segment_args, pattern], timeout)
    segments = []
    for index in range(count):
        seg_start = start + timedelta(seconds=seconds * index)
        name = os.path.join(directory, f"{seg_start:%Y-%m-%d_%H-%M-%S-%f}.{ext}")
        os.replace(pattern % index, name)
        segments.append(SegmentSource(url_or_path=name, start=seg_start, duration_s=float(seconds)))
    return segments
