"""One decode of a segment's keyframes gives everything registration needs from ffmpeg: the thumbnail, the
first presentation timestamp, the small views tamper detection compares, and — in the same run — the stream
copy that probes an MPEG-TS segment or remuxes a progressive MP4 into its playable MPEG-TS rendition.

Only keyframes are decoded (`-skip_frame nokey`), and only the first `views` of them: for a fragmented MP4 (what
MediaMTX writes) ffmpeg stops reading after them, so a 60 s segment costs about one GOP's worth of decoding.
The thumbnail is the first keyframe letterboxed to 160×90 exactly as `ffmpeg.thumbnail` makes it (same filter,
same encoder settings: byte-identical JPEGs). Each view is the keyframe area-scaled to a 320×180 grey picture,
reduced to two 64×36 grids read by Python as raw bytes on ffmpeg's stdout (no numpy, no scratch file):
`luma` (the picture) and `detail` (8 × the absolute difference between the picture and its 1.5-pixel Gaussian
blur: high-frequency energy, which a defocused lens loses).
"""

from __future__ import annotations

import os
from typing import Literal

from gtvision.core.rows import rowtype
from gtvision.media import ffmpeg
from gtvision.media.ffmpeg import MediaError, MediaInfo
from gtvision.media.rendition import Rendition

GRID_W, GRID_H = 64, 36
GRID = GRID_W * GRID_H
#: Keyframes decoded for views (the thumbnail is the first of them).
VIEWS = 3
_THUMB_FIT = (
    "scale=160:90:force_original_aspect_ratio=decrease,"
    "pad=160:90:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuvj420p"
)
_GRAPH = (
    "[0:v:0]split=2[t][k];"
    f"[t]trim=end_frame=1,{_THUMB_FIT}[thumb];"
    "[k]scale=320:180:flags=area,format=gray,split=3[a][b][c];"
    f"[a]scale={GRID_W}:{GRID_H}:flags=area[luma];"
    "[c]gblur=sigma=1.5[blurred];"
    f"[b][blurred]blend=all_expr='min(255,8*abs(A-B))',scale={GRID_W}:{GRID_H}:flags=area[detail];"
    "[luma][detail]vstack=inputs=2[views]"
)

Container = Literal["fmp4", "mp4", "ts"]


@rowtype(slots=False)
class View:
    """One keyframe as tamper detection sees it: two 64×36 grey grids (row-major bytes)."""

    luma: bytes
    detail: bytes


@rowtype(slots=False)
class Decoded:
    """What the one ffmpeg run of a registration gave."""

    thumbnail: str  # path of the 160×90 JPEG
    views: list[View]
    pts_start: float
    #: MPEG-TS only: duration, frames, codec and size from the run's stream copy (MP4 is probed by its boxes).
    info: MediaInfo | None
    #: Progressive MP4 only: the playable MPEG-TS copy (None when that remux failed; the segment still counts).
    rendition: Rendition | None


def decode(
    src: str, scratch: str, container: Container, timeout: float, views: int = VIEWS, prefix_bytes: int | None = None
) -> Decoded:
    """Run ffmpeg once over `src` (see the module's docstring). Raises `ffmpeg.MediaError` for media no
    demuxer reads (and the `MediaInterrupted`/`MediaResourceError` kinds for everything that is not the
    media's fault).

    `prefix_bytes` (a fragmented MP4's `MediaInfo.first_keyframes_bytes`): only that many bytes from the start
    are given to ffmpeg, on its stdin — opening the whole file would make the demuxer read every fragment.
    """
    thumb = os.path.join(scratch, "thumb.jpg")
    playable = os.path.join(scratch, "playable.ts")
    head: list[str] = []
    tail: list[str] = []
    if container == "ts":  # first output: ffmpeg's final stats line (frames, time) is about output #0
        head = ["-map", "0:v:0", "-c", "copy", "-f", "null", "-"]
    if container == "mp4":
        tail = ["-map", "0:v:0", "-c", "copy", "-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts", playable]
    prefix = None
    if container == "fmp4" and prefix_bytes:
        with open(src, "rb") as fh:
            prefix = fh.read(prefix_bytes)
    try:
        proc = _run(src, thumb, views, head, tail, timeout, prefix)
    except MediaError as exc:
        if container != "mp4" or isinstance(exc, ffmpeg.MediaInterrupted):
            raise
        # A progressive MP4 that thumbnails but does not remux is still registered (without a rendition).
        proc = _run(src, thumb, views, head, [], timeout, None)
        tail = []
    if not os.path.exists(thumb) or os.path.getsize(thumb) == 0:
        raise MediaError("nenhum quadro decodificável para a miniatura")
    rendition = None
    if tail:
        size = os.path.getsize(playable) if os.path.exists(playable) else 0
        rendition = Rendition(playable, size) if size else None
    info = ffmpeg.info_from_stats(proc.stderr, src) if container == "ts" else None
    return Decoded(thumb, _views(proc.stdout), ffmpeg.start_from(proc.stderr), info, rendition)


def _run(
    src: str, thumb: str, views: int, head: list[str], tail: list[str], timeout: float, prefix: bytes | None
) -> _Proc:
    source = ["-protocol_whitelist", "pipe", "-i", "pipe:0"] if prefix is not None else ["-i", src]
    # A few keyframes: one decoding thread and one filter thread cost less than starting a pool of them; the
    # progress lines are only read for MPEG-TS (the stream copy's frame count and duration).
    quiet = [] if head else ["-nostats"]
    args = [
        *quiet,
        "-y",
        "-threads",
        "1",
        "-filter_threads",
        "1",
        "-skip_frame",
        "nokey",
        *source,
        "-filter_complex",
        _GRAPH,
        *head,
        "-map",
        "[thumb]",
        "-frames:v",
        "1",
        "-c:v",
        "mjpeg",
        "-q:v",
        "4",
        "-f",
        "image2",
        "-update",
        "1",
        thumb,
        "-map",
        "[views]",
        "-frames:v",
        str(views),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "gray",
        "pipe:1",
        *tail,
    ]
    out = ffmpeg.run_ffmpeg_bytes(args, timeout, stdin=prefix)
    return _Proc(out.stdout, out.stderr)


@rowtype(slots=False)
class _Proc:
    stdout: bytes
    stderr: str


def _views(raw: bytes) -> list[View]:
    size = 2 * GRID
    return [View(raw[i : i + GRID], raw[i + GRID : i + size]) for i in range(0, len(raw) - size + 1, size)]
