"""Vehicle analysers for Sentinela: one interface, two implementations.

An analyser receives the 1-frame-per-second frames of a recording segment (RGB arrays and their JPEGs)
and returns, per frame, the vehicles it sees: a box (relative to the frame, 0–1), a contract colour and
type, and a confidence. `local` needs no model weights (motion by background subtraction, dominant
colour in HSV, type by size); `rekognition` asks AWS Rekognition DetectLabels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from gtvision.settings import get_settings

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


def choose(name: str | None = None) -> Analyser:
    """The configured analyser: `auto` is Rekognition in AWS and the local one with an emulator or locally."""
    setting = name or get_settings().sentinela_analyser
    if setting == "auto":
        s = get_settings()
        setting = "local" if (s.local or s.aws_endpoint_url) else "rekognition"
    if setting == "rekognition":
        from gtvision.analysers.rekognition import RekognitionAnalyser

        return RekognitionAnalyser()
    from gtvision.analysers.local import LocalAnalyser

    return LocalAnalyser()
