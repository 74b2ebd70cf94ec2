"""Vehicle analysers for Sentinela: one interface, two implementations.

An analyser receives the 1-frame-per-second frames of a recording segment (RGB arrays and their JPEGs)
and returns, per frame, the vehicles it sees: a box (relative to the frame, 0–1), a contract colour and
type, and a confidence. `local` needs no model weights (motion by background subtraction, dominant
colour in HSV, type by size); `rekognition` asks AWS Rekognition DetectLabels.
"""

from __future__ import annotations

from gtvision.analysers.base import Analyser, Detection, Frame
from gtvision.analysers.local import LocalAnalyser
from gtvision.analysers.rekognition import RekognitionAnalyser
from gtvision.settings import get_settings

__all__ = ["Analyser", "Detection", "Frame", "choose"]


def choose(name: str | None = None) -> Analyser:
    """The configured analyser: `auto` is Rekognition in AWS and the local one with an emulator or locally."""
    setting = name or get_settings().sentinela_analyser
    if setting == "auto":
        s = get_settings()
        setting = "local" if (s.local or s.aws_endpoint_url) else "rekognition"
    if setting == "rekognition":
        return RekognitionAnalyser()
    return LocalAnalyser()
