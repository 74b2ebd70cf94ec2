"""Frames of a recording for analysis: 1 per second, 640×360, as RGB (memory-mapped) and JPEG, in one ffmpeg run."""

from __future__ import annotations

import os

import numpy as np

from gtvision import ffmpeg
from gtvision.analysers.base import Frame

WIDTH, HEIGHT = 640, 360


def extract(src: str, workdir: str, timeout: float, fps: int = 1) -> list[Frame]:
    """Decode `src` once: raw RGB frames (analysis) and the same frames as JPEG (evidence) under `workdir`.

    The raw file is memory-mapped, so an hour-long segment (3600 frames, 2.5 GB) stays on disk, not in RAM.
    """
    raw = os.path.join(workdir, "frames.rgb")
    ffmpeg.run_ffmpeg(
        [
            "-i", src,
            "-filter_complex", f"[0:v]fps={fps},scale={WIDTH}:{HEIGHT},split=2[a][b]",
            "-map", "[a]", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", raw,
            "-map", "[b]", "-q:v", "4", "-start_number", "0", "-y", os.path.join(workdir, "f%05d.jpg"),
        ],
        timeout=timeout,
    )  # fmt: skip
    size = os.path.getsize(raw)
    count = size // (WIDTH * HEIGHT * 3)
    if count == 0:
        return []
    pixels = np.memmap(raw, dtype=np.uint8, mode="r", shape=(count, HEIGHT, WIDTH, 3))
    frames = []
    for i in range(count):
        jpeg = os.path.join(workdir, f"f{i:05d}.jpg")
        if os.path.exists(jpeg):
            frames.append(Frame(second=i, rgb=pixels[i], jpeg_path=jpeg))
    return frames
