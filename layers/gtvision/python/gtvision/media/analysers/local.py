"""The local analyser: no model weights, numpy only (the `local` extra; never shipped to Lambda, where the
analyser is Rekognition — ADR 0018, amendment).

1. Background: the per-pixel median of the segment's frames (at 1/4 resolution), robust to objects
   that pass through. 2. Motion: frames that barely differ from the previous one (`gtvision.media.frames`
   measures it while decoding) are skipped by the caller. 3. Objects: foreground pixels (far from the
   background) grouped into 4-connected blobs; each blob's box. 4. Colour: the dominant colour of the
   box's foreground pixels in HSV (hue for saturated pixels, brightness for white/black/grey/silver).
   5. Type by apparent size and shape only: `moto`, `carro`, `caminhao` or `outro` — a fixed camera's
   geometry is unknown, so this is a coarse guess.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gtvision.media.analysers.base import Detection, Frame

RGBFrame = npt.NDArray[np.uint8]  # (height, width, 3)

SCALE = 4  # analysis grid: 1/4 of the frame in each direction
DIFF = 30  # grey levels: a pixel this far from the background changed
MIN_BLOB_FRACTION = 0.002  # of the frame: smaller blobs are noise, not vehicles
WINDOW = 120  # frames (2 min at 1 fps) per background estimate


def frame_pixels(frame: Frame) -> RGBFrame:
    """The frame's pixels, memory-mapped from the raw file `gtvision.media.frames.extract(..., pixels=True)` wrote."""
    if frame.pixels is None:
        raise ValueError(f"frame {frame.second} was extracted without pixels")
    p = frame.pixels
    return np.memmap(p.path, dtype=np.uint8, mode="r", offset=p.offset, shape=(p.height, p.width, 3))


def _grid(frame: RGBFrame) -> npt.NDArray[np.int16]:
    return frame[::SCALE, ::SCALE].astype(np.int16)


def _changed(a: npt.NDArray[np.int16], b: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
    return np.asarray(np.abs(a - b).max(axis=2) > DIFF)


def blobs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int, int, int, int]]:
    """4-connected components of `mask`: (top, left, bottom, right, pixels), bottom/right exclusive."""
    h, w = mask.shape
    seen = np.zeros_like(mask)
    out = []
    for y0, x0 in np.argwhere(mask):
        if seen[y0, x0]:
            continue
        stack = [(int(y0), int(x0))]
        seen[y0, x0] = True
        top, left, bottom, right, count = h, w, 0, 0, 0
        while stack:
            y, x = stack.pop()
            count += 1
            top, left, bottom, right = min(top, y), min(left, x), max(bottom, y + 1), max(right, x + 1)
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        out.append((top, left, bottom, right, count))
    return out


def dominant_color(pixels: npt.NDArray[np.uint8]) -> tuple[str, float]:
    """The contract colour of (N, 3) RGB pixels and the share of pixels that agree with it."""
    if len(pixels) == 0:
        return "outro", 0.0
    rgb = pixels.astype(np.float32) / 255.0
    v = rgb.max(axis=1)
    c = v - rgb.min(axis=1)
    s = np.where(v > 0, c / np.maximum(v, 1e-6), 0.0)
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    safe = np.maximum(c, 1e-6)
    hue = np.where(v == r, ((g - b) / safe) % 6, np.where(v == g, (b - r) / safe + 2, (r - g) / safe + 4)) * 60.0
    chromatic = (s > 0.35) & (v > 0.25)
    if chromatic.mean() >= 0.35:
        h = hue[chromatic]
        vv = v[chromatic]
        bins = {
            "vermelho": (h < 15) | (h >= 345),
            "laranja": (h >= 15) & (h < 40) & (vv >= 0.55),
            "marrom": (h >= 15) & (h < 50) & (vv < 0.55),
            "amarelo": (h >= 40) & (h < 70) & (vv >= 0.55),
            "verde": (h >= 70) & (h < 170),
            "azul": (h >= 170) & (h < 260),
            "outro": (h >= 260) & (h < 345),
        }
        name, hits = max(((k, int(m.sum())) for k, m in bins.items()), key=lambda t: t[1])
        return name, round(hits / len(pixels), 3)
    grey = v[~chromatic]
    level = float(np.median(grey))
    name = "branco" if level > 0.78 else "prata" if level > 0.55 else "cinza" if level > 0.22 else "preto"
    return name, round(len(grey) / len(pixels), 3)


def vehicle_type(width_px: int, height_px: int, frame_w: int, frame_h: int) -> str:
    """A coarse type from the box's share of the frame and its shape."""
    area = (width_px * height_px) / float(frame_w * frame_h)
    aspect = width_px / max(height_px, 1)
    if area >= 0.12:
        return "caminhao"
    if area < 0.02 and 0.5 <= aspect < 1.1:  # taller than that is more likely a person
        return "moto"
    if area >= 0.005 and aspect >= 1.1:
        return "carro"
    return "outro"


class LocalAnalyser:
    """Background subtraction + HSV colour + size rules (see module docstring)."""

    name = "local"
    needs_pixels = True

    def analyse(self, frames: list[Frame], moving: set[int]) -> dict[int, list[Detection]]:
        out: dict[int, list[Detection]] = {}
        # The background is the median of a window of frames around the moving ones (lighting drifts).
        for start in range(0, len(frames), WINDOW):
            window = frames[start : start + WINDOW]
            if not any(f.second in moving for f in window):
                continue
            pixels = [frame_pixels(f) for f in window]
            grids = [_grid(p) for p in pixels]
            background = np.median(np.stack(grids), axis=0).astype(np.int16)
            full_h, full_w = pixels[0].shape[:2]
            for frame, image, grid in zip(window, pixels, grids, strict=True):
                if frame.second in moving:
                    found = self._objects(image, grid, background, full_w, full_h)
                    if found:
                        out[frame.second] = found
        return out

    def _objects(
        self,
        image: RGBFrame,
        grid: npt.NDArray[np.int16],
        background: npt.NDArray[np.int16],
        full_w: int,
        full_h: int,
    ) -> list[Detection]:
        mask = _changed(grid, background)
        gh, gw = mask.shape
        found = []
        for top, left, bottom, right, count in blobs(mask):
            if count / float(gh * gw) < MIN_BLOB_FRACTION:
                continue
            y0, x0 = top * SCALE, left * SCALE
            y1, x1 = min(bottom * SCALE, full_h), min(right * SCALE, full_w)
            box = image[y0:y1, x0:x1]
            fg = mask[top:bottom, left:right].repeat(SCALE, axis=0).repeat(SCALE, axis=1)[: y1 - y0, : x1 - x0]
            color, share = dominant_color(box[fg])
            found.append(
                Detection(
                    bbox={
                        "left": round(x0 / full_w, 4),
                        "top": round(y0 / full_h, 4),
                        "width": round((x1 - x0) / full_w, 4),
                        "height": round((y1 - y0) / full_h, 4),
                    },
                    color=color,
                    type=vehicle_type(x1 - x0, y1 - y0, full_w, full_h),
                    confidence=share,
                )
            )
        return found
