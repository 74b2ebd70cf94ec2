"""AWS Rekognition analyser: DetectLabels (GENERAL_LABELS + IMAGE_PROPERTIES) on each moving frame's JPEG.

Only vehicle labels are asked for (label inclusion filter); each label instance brings its box and its
own dominant colours, mapped to the contract vocabulary. The boto3 call is this adapter's only I/O.
"""

from __future__ import annotations

from typing import Any

from gtvision.core import aws, vehicles
from gtvision.core.jsonutil import JsonObject
from gtvision.media.analysers.base import Detection, Frame

#: Rekognition label → contract type (the inclusion filter asks for exactly these).
LABEL_TYPES = {
    "Car": "carro",
    "Sedan": "carro",
    "Suv": "carro",
    "Sports Car": "carro",
    "Pickup Truck": "caminhonete",
    "Truck": "caminhao",
    "Bus": "onibus",
    "Van": "van",
    "Motorcycle": "moto",
    "Scooter": "moto",
    "Vehicle": "outro",
}
MIN_CONFIDENCE = 60.0
MAX_DOMINANT_COLORS = 3


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """Intersection over union of two relative boxes."""
    x0, y0 = max(a["left"], b["left"]), max(a["top"], b["top"])
    x1 = min(a["left"] + a["width"], b["left"] + b["width"])
    y1 = min(a["top"] + a["height"], b["top"] + b["height"])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a["width"] * a["height"] + b["width"] * b["height"] - inter
    return inter / union if union > 0 else 0.0


def _color(instance: JsonObject) -> str:
    colors = sorted(instance.get("DominantColors") or [], key=lambda c: -float(c.get("PixelPercent") or 0))
    for c in colors:
        name = vehicles.normalize_color(c.get("SimplifiedColor") or c.get("CSSColor"))
        if name:
            return name
    return "outro"


def detections(response: JsonObject) -> list[Detection]:
    """Vehicle instances of a DetectLabels response; the most specific label wins for one box."""
    found: list[Detection] = []
    for label in response.get("Labels") or []:
        kind = LABEL_TYPES.get(str(label.get("Name")))
        if kind is None:
            continue
        for inst in label.get("Instances") or []:
            box = inst.get("BoundingBox") or {}
            if not box:
                continue
            bbox = {k.lower(): round(float(box.get(k, 0.0)), 4) for k in ("Left", "Top", "Width", "Height")}
            det = Detection(
                bbox=bbox,
                color=_color(inst),
                type=kind,
                confidence=round(float(inst.get("Confidence") or label.get("Confidence") or 0) / 100.0, 4),
                labels=[str(label["Name"])],
            )
            same = next((i for i, d in enumerate(found) if _overlap(d.bbox, bbox) > 0.7), None)
            if same is None:
                found.append(det)
            elif found[same].type == "outro" and kind != "outro":
                found[same] = det  # "Car" is more useful than "Vehicle" for the same box
    return found


class RekognitionAnalyser:
    """One DetectLabels call per frame (the caller passes only frames with motion)."""

    name = "rekognition"
    needs_pixels = False  # the JPEGs are what it sends

    def __init__(self, client: Any | None = None) -> None:
        self.client = client or aws.client("rekognition")

    def analyse(self, frames: list[Frame], moving: set[int]) -> dict[int, list[Detection]]:
        out: dict[int, list[Detection]] = {}
        for frame in frames:
            if frame.second not in moving:
                continue
            response = self.client.detect_labels(
                Image={"Bytes": frame.jpeg()},
                MaxLabels=50,
                MinConfidence=MIN_CONFIDENCE,
                Features=["GENERAL_LABELS", "IMAGE_PROPERTIES"],
                Settings={
                    "GeneralLabels": {"LabelInclusionFilters": list(LABEL_TYPES)},
                    "ImageProperties": {"MaxDominantColors": MAX_DOMINANT_COLORS},
                },
            )
            found = detections(response)
            if found:
                out[frame.second] = found
        return out
