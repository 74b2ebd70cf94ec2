"""Privacy masks: managers draw polygons per camera; clips, exports and thumbnails carry them burned in.

For other features, three calls:

- `filter_for(camera_id, width, height, scratch)` — the ffmpeg pieces that burn a camera's masks into video of
  that size (an extra input and a filter graph fragment), or None when the camera has none;
- `burn_video(camera_id, path, scratch, timeout)` — re-encode an MP4 in place with the masks (clips): the new
  file's duration, size and SHA-256, or None when the camera has no masks;
- `burn_image(camera_id, path, timeout)` — the same for a JPEG in place (thumbnails: one call after the
  thumbnail is written, before it is stored).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import TYPE_CHECKING

from gtvision.core import db
from gtvision.core.principal import Principal
from gtvision.core.rows import rowtype
from gtvision.media import isobmff
from gtvision.media.clipping import ClipResult
from gtvision.media.ffmpeg import run_ffmpeg, sha256_file
from gtvision.privacy import raster, store
from gtvision.privacy.schemas import PrivacyMasks

if TYPE_CHECKING:  # the API's models, imported where an answer is built (ADR 0029)
    from gtvision.privacy.api_schemas import MasksIn, MasksOut
    from gtvision.tenancy.schemas import Camera

#: H.264 settings of every re-encode that burns something in (near-transparent quality at a modest size).
ENCODE_ARGS = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p"]


@rowtype(slots=False)
class MaskFilter:
    """What burns masks into a video stream: `inputs` go after the video's own `-i`, and `graph(src, dst)` is
    the filter graph fragment from label `src` to label `dst` (the mask image is input number `index`)."""

    mask_path: str
    index: int = 1

    @property
    def inputs(self) -> list[str]:
        return ["-i", self.mask_path]

    def graph(self, src: str, dst: str) -> str:
        return f"[{src}][{self.index}:v]overlay=0:0:format=auto:eof_action=repeat[{dst}]"


def public(camera_id: str, row: PrivacyMasks | None) -> MasksOut:
    from gtvision.privacy.api_schemas import MaskOut, MasksOut

    masks = [MaskOut(points=[(float(x), float(y)) for x, y in m.get("points", [])]) for m in (row.masks if row else [])]
    return MasksOut(
        camera_id=camera_id,
        masks=masks,
        updated_by_name=row.updated_by_name if row else None,
        updated_at=row.updated_at if row else None,
    )


def get(camera: Camera) -> MasksOut:
    with db.transaction() as conn:
        return public(str(camera.id), store.get(conn, str(camera.id)))


def put(principal: Principal, camera: Camera, data: MasksIn) -> MasksOut:
    """Replace the camera's masks (an empty list removes them)."""
    masks = [{"points": [list(p) for p in m.points]} for m in data.masks]
    user = principal.user_id if principal.local else None
    with db.transaction() as conn:
        return public(str(camera.id), store.put(conn, str(camera.id), masks, user, principal.username))


def polygons(camera_id: str) -> list[list[tuple[float, float]]]:
    """The camera's masks as polygons (empty when it has none)."""
    with db.transaction() as conn:
        row = store.get(conn, camera_id)
    return [[(float(x), float(y)) for x, y in m.get("points", [])] for m in (row.masks if row else [])]


def filter_for(camera_id: str, width: int, height: int, scratch: str) -> MaskFilter | None:
    """The ffmpeg pieces that burn the camera's masks into video of `width`×`height` (None: no masks)."""
    shapes = polygons(camera_id)
    return mask_filter(shapes, width, height, scratch) if shapes else None


def mask_filter(shapes: list[list[tuple[float, float]]], width: int, height: int, scratch: str) -> MaskFilter:
    """The mask image of these polygons written under `scratch`, and how to overlay it."""
    fd, path = tempfile.mkstemp(prefix="mask-", suffix=".pam", dir=scratch)
    os.close(fd)
    raster.write_pam(path, shapes, width, height)
    return MaskFilter(path)


def burn_video(camera_id: str, path: str, scratch: str, timeout: float) -> ClipResult | None:
    """Re-encode the MP4 at `path` in place with the camera's masks and describe the new file; None (untouched)
    when the camera has none."""
    shapes = polygons(camera_id)
    if not shapes:
        return None
    info = isobmff.probe(path, timeout)
    work = tempfile.mkdtemp(prefix="masks-", dir=scratch)
    try:
        masks = mask_filter(shapes, info.width, info.height, work)
        out = os.path.join(work, "masked.mp4")
        run_ffmpeg(
            [
                "-y",
                "-i",
                path,
                *masks.inputs,
                "-filter_complex",
                masks.graph("0:v", "v"),
                "-map",
                "[v]",
                *ENCODE_ARGS,
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                out,
            ],
            timeout,
        )
        shutil.move(out, path)
        described = isobmff.probe(path, timeout)
        return ClipResult(described.duration_s, described.size_bytes, sha256_file(path))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def burn_image(camera_id: str, path: str, timeout: float = 30) -> bool:
    """Burn the camera's masks into the JPEG at `path` in place; False (untouched) when it has none."""
    shapes = polygons(camera_id)
    if not shapes:
        return False
    work = tempfile.mkdtemp(prefix="masks-")
    try:
        size = _jpeg_size(path)
        masks = mask_filter(shapes, size[0], size[1], work)
        out = os.path.join(work, "masked.jpg")
        run_ffmpeg(
            [
                "-y",
                "-i",
                path,
                *masks.inputs,
                "-filter_complex",
                masks.graph("0:v", "v"),
                "-map",
                "[v]",
                "-frames:v",
                "1",
                "-q:v",
                "3",
                "-update",
                "1",
                out,
            ],
            timeout,
        )
        shutil.move(out, path)
        return True
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _jpeg_size(path: str) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker."""
    with open(path, "rb") as fh:
        data = fh.read()
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        i += 2 + length
    raise ValueError("JPEG sem marcador SOF: tamanho desconhecido")
