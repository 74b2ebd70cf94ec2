"""Frames of a recording for analysis, in one ffmpeg run: 1 per second at 640×360 as JPEG (evidence,
Rekognition), optionally as raw RGB (the local analyser, memory-mapped), and how much each frame changed.

Motion needs no numpy: ffmpeg scales each sampled frame to a 160×90 grid and its ``tblend`` filter writes the
per-channel absolute difference with the previous frame; Python counts the grid pixels where some channel
moved more than ``DIFF`` grey levels with C-speed bytes/int operations (``bytes.translate`` to 0/1 flags,
OR of the three channels by shifts of one big integer, ``int.bit_count``).
"""

from __future__ import annotations

import os

from gtvision.core.observability import logger
from gtvision.media import ffmpeg
from gtvision.media.analysers.base import Frame, Pixels

WIDTH, HEIGHT = 640, 360
GRID_W, GRID_H = 160, 90  # motion grid: 1/4 of the frame in each direction
DIFF = 30  # grey levels: a channel that moved more than this changed
MIN_MOTION_PIXELS = 12  # grid pixels (≈ 190 full-resolution pixels) for a frame to count as moving

_ABOVE = bytes(0 if v <= DIFF else 1 for v in range(256))
_GRID_BYTES = GRID_W * GRID_H * 3
_LAST_OF_PIXEL = int.from_bytes(b"\x00\x00\x01" * (GRID_W * GRID_H), "big")


def changed_pixels(diff: bytes) -> int:
    """Pixels of an RGB24 difference frame (160×90) where some channel differs by more than ``DIFF``."""
    flags = int.from_bytes(diff.translate(_ABOVE), "big")  # one 0/1 byte per channel
    # Big-endian: shifting right by 8 moves byte k to k+1, so byte 3i+2 ends up as the OR of pixel i's channels.
    any_channel = flags | (flags >> 8) | (flags >> 16)
    return (any_channel & _LAST_OF_PIXEL).bit_count()


def _changes(path: str, count: int) -> list[int | None]:
    """Changed pixels per sampled frame, each against the previous one (the first against the second)."""
    with open(path, "rb") as fh:
        chunks = iter(lambda: fh.read(_GRID_BYTES), b"")
        counts = [changed_pixels(chunk) for chunk in chunks if len(chunk) == _GRID_BYTES]
    if count < 2:
        return [None] * count
    if len(counts) == count:  # tblend's first output is the first frame against itself
        return [counts[1], *counts[1:]]
    if len(counts) == count - 1:  # ffmpeg builds that emit only the differences
        return [counts[0], *counts]
    logger.warning("sentinela motion grid incomplete", extra={"frames": count, "differences": len(counts)})
    return [None] * count  # unknown: every frame counts as moving (costs analysis, loses nothing)


def extract(src: str, workdir: str, timeout: float, fps: int = 1, *, pixels: bool = True) -> list[Frame]:
    """Decode `src` once under `workdir`: JPEG frames, the motion grid's differences and, with `pixels`, raw RGB.

    The raw RGB file stays on disk (an hour-long segment is 3600 frames, 2.5 GB), read memory-mapped by the
    local analyser; Rekognition needs only the JPEGs, so it asks for no raw file.
    """
    raw = os.path.join(workdir, "frames.rgb")
    diff = os.path.join(workdir, "motion.rgb")
    splits = "[a][b][c]" if pixels else "[b][c]"
    graph = (
        f"[0:v]fps={fps},scale={WIDTH}:{HEIGHT},split={len(splits) // 3}{splits};"
        f"[c]scale={GRID_W}:{GRID_H}:flags=area,format=gbrp,tblend=all_mode=difference[d]"
    )
    outputs = ["-map", "[a]", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", raw] if pixels else []
    outputs += ["-map", "[b]", "-q:v", "4", "-start_number", "0", "-y", os.path.join(workdir, "f%05d.jpg")]
    outputs += ["-map", "[d]", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", diff]
    ffmpeg.run_ffmpeg(["-i", src, "-filter_complex", graph, *outputs], timeout=timeout)
    count = 0
    while os.path.exists(os.path.join(workdir, f"f{count:05d}.jpg")):
        count += 1
    if pixels:
        count = min(count, os.path.getsize(raw) // (WIDTH * HEIGHT * 3))
    changes = _changes(diff, count)
    return [
        Frame(
            second=i,
            jpeg_path=os.path.join(workdir, f"f{i:05d}.jpg"),
            changed=changes[i],
            pixels=Pixels(raw, i, WIDTH, HEIGHT) if pixels else None,
        )
        for i in range(count)
    ]


def moving_seconds(frames: list[Frame]) -> set[int]:
    """Seconds whose frame differs from the previous one (a frame whose change was not measured counts)."""
    return {f.second for f in frames if f.changed is None or f.changed >= MIN_MOTION_PIXELS}
