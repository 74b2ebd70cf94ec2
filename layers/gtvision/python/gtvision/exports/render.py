"""What is burned into a camera's file of an export: privacy masks, the timestamp and camera name, and (in
RedactionFunction) blurred faces and plates. Without any of them the file is the stream-copied cut itself.

Everything burned in is one H.264 re-encode: the masks as an overlay image, the text with ffmpeg's
`drawtext` (the clock runs from the file's first frame in the city's time zone), redaction by
`gtvision.redaction` feeding the same encoder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gtvision.core.rows import rowtype
from gtvision.media import isobmff
from gtvision.media.ffmpeg import run_ffmpeg
from gtvision.privacy import service as privacy

ENCODE_ARGS = privacy.ENCODE_ARGS
#: Fonts drawtext may use, first found wins (GTV_OVERLAY_FONT first; the container image installs DejaVu).
FONT_CANDIDATES = (
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",  # Amazon Linux 2023 (RedactionFunction's image)
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/opt/fonts/DejaVuSans.ttf",
)


@rowtype(slots=False)
class Overlay:
    """The text burned at the top left: camera name and a clock starting at `first_frame` (UTC)."""

    camera_name: str
    first_frame: datetime
    utc_offset: timedelta
    zone_label: str


@dataclass
class Burn:
    """Everything to burn into one camera's file."""

    masks: list[list[tuple[float, float]]] = field(default_factory=list)
    overlay: Overlay | None = None
    faces: bool = False
    plates: bool = False

    @property
    def encodes(self) -> bool:
        return bool(self.masks or self.overlay or self.faces or self.plates)


def _font() -> str | None:
    for path in (os.environ.get("GTV_OVERLAY_FONT", ""), *FONT_CANDIDATES):
        if path and os.path.isfile(path):
            return path
    return None


def _quoted(path: str) -> str:
    """A file path as a quoted filter option (our scratch files and known fonts never hold a quote)."""
    if "'" in path:
        raise ValueError(f"caminho com aspas: {path!r}")
    return f"'{path}'"


def text_filters(overlay: Overlay, scratch: str) -> str:
    """Two drawtext filters (name, then clock) joined with a comma."""
    font = _font()
    face = f"fontfile={_quoted(font)}:" if font else ""
    style = f"{face}fontsize=h/22:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=4"
    name_file = os.path.join(scratch, "camera-name.txt")
    with open(name_file, "w", encoding="utf-8") as fh:
        fh.write(f"{overlay.camera_name} ({overlay.zone_label})")
    epoch = (overlay.first_frame + overlay.utc_offset).timestamp()
    clock = r"%{pts\:gmtime\:" + f"{epoch:.3f}" + r"\:%d/%m/%Y %H\\\:%M\\\:%S}"
    return (
        f"drawtext={style}:expansion=none:textfile={_quoted(name_file)}:x=8:y=8,"
        f"drawtext={style}:text='{clock}':x=8:y=8+h/18"
    )


def graph_for(burn: Burn, mask: privacy.MaskFilter | None, scratch: str) -> Callable[[str, str], str] | None:
    """The encoder's filter graph from the video label to the output label (None: nothing to add)."""
    if mask is None and burn.overlay is None:
        return None
    overlay = burn.overlay

    def graph(src: str, dst: str) -> str:
        steps = [f"[{src}]setpts=PTS-STARTPTS[t0]"]
        label = "t0"
        if mask is not None:
            steps.append(mask.graph(label, "t1"))
            label = "t1"
        if overlay is not None:
            steps.append(f"[{label}]{text_filters(overlay, scratch)}[t2]")
            label = "t2"
        steps.append(f"[{label}]null[{dst}]")
        return ";".join(steps)

    return graph


def render(src: str, dst: str, burn: Burn, scratch: str, timeout: float) -> dict[str, Any]:
    """Write `src` (the cut) to `dst` with everything of `burn`; returns what was done (for the manifest)."""
    detail: dict[str, Any] = {"masks": len(burn.masks), "timestamp_overlay": burn.overlay is not None}
    if not burn.encodes:
        shutil.move(src, dst)
        detail["reencoded"] = False
        return detail
    info = isobmff.probe(src, timeout)
    mask = privacy.mask_filter(burn.masks, info.width, info.height, scratch) if burn.masks else None
    graph = graph_for(burn, mask, scratch)
    detail["reencoded"] = True
    if burn.faces or burn.plates:
        from gtvision.redaction import detect, video  # OpenCV: only RedactionFunction's image carries it

        stats = video.redact(
            src,
            dst,
            detect.Detector(burn.faces, burn.plates),
            timeout,
            extra_inputs=mask.inputs if mask else None,
            graph=graph,
        )
        detail["redaction"] = {"faces": burn.faces, "plates": burn.plates, **stats.summary()}
        return detail
    filters = ["-filter_complex", graph("0:v", "out"), "-map", "[out]"] if graph else ["-map", "0:v"]
    run_ffmpeg(
        [
            "-y",
            "-i",
            src,
            *(mask.inputs if mask else []),
            *filters,
            *ENCODE_ARGS,
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            dst,
        ],
        timeout,
    )
    return detail
