"""The analyser interface: sampled frames in, vehicle detections out.

Nothing here needs numpy: in AWS the analyser is Rekognition, and SentinelaAnalyseFunction ships no numpy
(ADR 0018, amendment). Only the local analyser reads pixels (``Frame.pixels``), with numpy.
"""

from __future__ import annotations

from dataclasses import field
from typing import Protocol

from gtvision.core.rows import rowtype


@rowtype(slots=False)
class Pixels:
    """Where a frame's RGB24 pixels are: frame ``index`` of a raw file of ``width``×``height`` frames."""

    path: str
    index: int
    width: int
    height: int

    @property
    def offset(self) -> int:
        return self.index * self.width * self.height * 3


@rowtype(slots=False)
class Frame:
    """One sampled frame: its offset in the segment (s), its JPEG on disk (evidence, Rekognition), how much it
    changed since the previous frame (pixels of the motion grid, see ``gtvision.media.frames``; ``None``: not
    measured) and, when the analyser asked for them, where its raw pixels are."""

    second: int
    jpeg_path: str
    changed: int | None = None
    pixels: Pixels | None = None

    def jpeg(self) -> bytes:
        with open(self.jpeg_path, "rb") as fh:
            return fh.read()


@rowtype(slots=False)
class Detection:
    """A vehicle in a frame. bbox = {left, top, width, height} relative to the frame (0–1)."""

    bbox: dict[str, float]
    color: str
    type: str
    confidence: float
    labels: list[str] = field(default_factory=list)


class Analyser(Protocol):
    name: str
    #: whether ``analyse`` reads raw pixels (``Frame.pixels``); if not, extraction writes only JPEGs
    needs_pixels: bool

    def analyse(self, frames: list[Frame], moving: set[int]) -> dict[int, list[Detection]]:
        """Detections per frame second, looking only at the `moving` seconds (frames without any are absent)."""
        ...
