"""Faces and plates found with OpenCV's bundled Haar cascades (opencv-python-headless 4.x ships them in
`cv2.data.haarcascades`; no weights are downloaded).

Faces: the frontal cascade, and where it finds none the profile cascade on the frame and its mirror (it only
knows one side).
Plates: the Russian-plate cascade as a starting point, kept only where the box has a plate's shape (Brazilian
plates, old and Mercosul, are 400 × 130 mm: about 3:1). Detection runs on a grey copy scaled so its longer
side is at most `max_side` pixels (histogram equalisation lost faces on plain backgrounds when measured);
boxes come back in the frame's own pixels.
"""

from __future__ import annotations

import os
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from gtvision.core.rows import rowtype

Frame = npt.NDArray[np.uint8]


@rowtype(slots=False)
class Box:
    """A detection in frame pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int
    kind: str = "face"

    def grown(self, margin: float, width: int, height: int) -> Box:
        """The box with `margin` of its size added on every side, inside the frame."""
        dx, dy = round(self.w * margin), round(self.h * margin)
        x0, y0 = max(0, self.x - dx), max(0, self.y - dy)
        x1, y1 = min(width, self.x + self.w + dx), min(height, self.y + self.h + dy)
        return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0), self.kind)


#: Plate boxes whose width/height is outside this range are not plates (Brazil: 400 × 130 mm ≈ 3.1).
PLATE_ASPECT = (2.0, 5.5)


def _cascade(name: str) -> Any:
    path = os.path.join(cv2.data.haarcascades, name)  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"cascata do OpenCV ausente: {path}")
    return cascade


class Detector:
    """Finds faces and/or plates in BGR frames; one per worker (loading cascades takes a few milliseconds)."""

    def __init__(self, faces: bool, plates: bool, max_side: int = 640) -> None:
        self.faces = faces
        self.plates = plates
        self.max_side = max_side
        self._frontal = _cascade("haarcascade_frontalface_default.xml") if faces else None
        self._profile = _cascade("haarcascade_profileface.xml") if faces else None
        self._plate = _cascade("haarcascade_russian_plate_number.xml") if plates else None

    def detect(self, frame: Frame) -> list[Box]:
        """Every face/plate box of one frame, in the frame's pixels."""
        height, width = frame.shape[:2]
        scale = min(1.0, self.max_side / max(width, height))
        small = cv2.resize(frame, (round(width * scale), round(height * scale))) if scale < 1 else frame
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        found: list[Box] = []
        if self._frontal is not None and self._profile is not None:
            found += self._run(self._frontal, grey, scale, "face", min_size=20)
            if not found:  # the profile passes cost twice the frontal one: only where no frontal face is
                found += self._run(self._profile, grey, scale, "face", min_size=20)
                mirrored = cv2.flip(grey, 1)
                for box in self._run(self._profile, mirrored, scale, "face", min_size=20):
                    found.append(Box(width - box.x - box.w, box.y, box.w, box.h, "face"))
        if self._plate is not None:
            lo, hi = PLATE_ASPECT
            found += [b for b in self._run(self._plate, grey, scale, "plate", min_size=12) if lo <= b.w / b.h <= hi]
        return found

    @staticmethod
    def _run(cascade: Any, grey: Any, scale: float, kind: str, min_size: int) -> list[Box]:
        hits = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_size, min_size))
        return [
            Box(round(x / scale), round(y / scale), round(w / scale), round(h / scale), kind)
            for (x, y, w, h) in (hits if len(hits) else [])
        ]


def blur(frame: Frame, boxes: list[Box], margin: float) -> None:
    """Make the boxes (grown by `margin`) unrecognisable in place: a coarse mosaic, then a Gaussian blur."""
    height, width = frame.shape[:2]
    for raw in boxes:
        box = raw.grown(margin, width, height)
        if box.w < 2 or box.h < 2:
            continue
        region = frame[box.y : box.y + box.h, box.x : box.x + box.w]
        cells = (max(1, box.w // 12), max(1, box.h // 12))
        coarse = cv2.resize(
            cv2.resize(region, cells, interpolation=cv2.INTER_AREA), (box.w, box.h), interpolation=cv2.INTER_NEAREST
        )
        kernel = max(3, (min(box.w, box.h) // 4) | 1)
        frame[box.y : box.y + box.h, box.x : box.x + box.w] = cv2.GaussianBlur(coarse, (kernel, kernel), 0)
