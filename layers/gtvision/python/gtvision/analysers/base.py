"""The analyser interface: sampled frames in, vehicle detections out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

RGBFrame = npt.NDArray[np.uint8]  # (height, width, 3)


@dataclass(frozen=True)
class Frame:
    """One sampled frame: its offset in the segment (s), pixels, and its JPEG on disk (evidence, Rekognition)."""

    second: int
    rgb: RGBFrame
    jpeg_path: str

    def jpeg(self) -> bytes:
        with open(self.jpeg_path, "rb") as fh:
            return fh.read()


@dataclass(frozen=True)
class Detection:
    """A vehicle in a frame. bbox = {left, top, width, height} relative to the frame (0–1)."""

    bbox: dict[str, float]
    color: str
    type: str
    confidence: float
    labels: list[str] = field(default_factory=list)


class Analyser(Protocol):
    name: str

    def analyse(self, frames: list[Frame], moving: set[int]) -> dict[int, list[Detection]]:
        """Detections per frame second, looking only at the `moving` seconds (frames without any are absent)."""
        ...
