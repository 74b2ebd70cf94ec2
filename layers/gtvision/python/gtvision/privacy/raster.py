"""Polygons (0–1 frame coordinates) rasterised into an RGBA image ffmpeg overlays on every frame.

Pure Python on purpose: the masks are burned by the ffmpeg the functions already carry, with no imaging
library. The image is a PAM (RGB_ALPHA): opaque black inside any polygon (even-odd rule, sampled at pixel
centres), transparent elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

Polygon = Sequence[tuple[float, float]]
_OPAQUE = b"\x00\x00\x00\xff"


def spans(polygons: Sequence[Polygon], width: int, height: int) -> list[list[tuple[int, int]]]:
    """For each row, the [x0, x1) pixel spans inside the polygons (even-odd per polygon, then united)."""
    rows: list[list[tuple[int, int]]] = [[] for _ in range(height)]
    for poly in polygons:
        pts = [(x * width, y * height) for x, y in poly]
        edges = list(zip(pts, pts[1:] + pts[:1], strict=True))
        for row in range(height):
            cy = row + 0.5
            xs = sorted(
                x0 + (cy - y0) * (x1 - x0) / (y1 - y0)
                for (x0, y0), (x1, y1) in edges
                if (y0 <= cy < y1) or (y1 <= cy < y0)
            )
            for a, b in zip(xs[::2], xs[1::2], strict=False):
                lo, hi = max(0, round(a)), min(width, round(b))
                if hi > lo:
                    rows[row].append((lo, hi))
    return rows


def rgba(polygons: Sequence[Polygon], width: int, height: int) -> bytes:
    """The RGBA pixels of the mask image, row by row."""
    data = bytearray(width * height * 4)
    for row, runs in enumerate(spans(polygons, width, height)):
        base = row * width * 4
        for lo, hi in runs:
            data[base + lo * 4 : base + hi * 4] = _OPAQUE * (hi - lo)
    return bytes(data)


def write_pam(path: str, polygons: Sequence[Polygon], width: int, height: int) -> None:
    """Write the mask image as a PAM file (`ffmpeg -i mask.pam` reads it)."""
    header = f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n".encode()
    with open(path, "wb") as fh:
        fh.write(header + rgba(polygons, width, height))
