"""Vehicle analysers for Sentinela: one interface, two implementations.

An analyser receives the 1-frame-per-second frames of a recording segment (RGB arrays and their JPEGs)
and returns, per frame, the vehicles it sees: a box (relative to the frame, 0–1), a contract colour and
type, and a confidence. `local` needs no model weights (motion by background subtraction, dominant
colour in HSV, type by size); `rekognition` asks AWS Rekognition DetectLabels.

Only the local analyser needs numpy, and it is imported when chosen: SentinelaAnalyseFunction ships no
numpy (ADR 0018, amendment), so nothing on the Rekognition path may import it.
"""

from __future__ import annotations

from gtvision.core.settings import get_settings
from gtvision.media.analysers.base import Analyser, Detection, Frame, Pixels
from gtvision.media.analysers.rekognition import RekognitionAnalyser

__all__ = ["Analyser", "Detection", "Frame", "Pixels", "choose"]


def choose(name: str | None = None) -> Analyser:
    """The configured analyser: `auto` is Rekognition in AWS and the local one with an emulator or locally."""
    setting = name or get_settings().sentinela_analyser
    if setting == "auto":
        s = get_settings()
        setting = "local" if (s.local or s.aws_endpoint_url) else "rekognition"
    if setting == "rekognition":
        return RekognitionAnalyser()
    try:
        from gtvision.media.analysers.local import LocalAnalyser
    except ImportError as exc:  # numpy is in the `local` extra, not in any Lambda layer
        raise RuntimeError(
            "GTV_SENTINELA_ANALYSER=local needs numpy (pip install 'gtvision[local]'); in AWS use rekognition"
        ) from exc
    return LocalAnalyser()
