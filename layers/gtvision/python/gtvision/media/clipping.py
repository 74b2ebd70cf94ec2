"""Cut a clip (MP4, faststart) out of recorded segments with stream copy; see docs/adr/0004-exact-clips.md.

Both modes run one ffmpeg concat-demuxer pass with stream copy, so a clip costs about one read of
its segments. The first segment gets an `inpoint`, the last one an `outpoint` (a decoding timestamp,
so the end is frame-exact either way: every frame shown before the end has an earlier dts).

- `fast`: timestamps are shifted to zero, so the clip starts at the keyframe before `start` (up to
  one GOP early) and is never shorter than asked.
- `exact`: `-copyts` keeps the frames between that keyframe and `start` at negative timestamps, and
  ffmpeg's MP4 muxer writes an edit list (elst) whose media_time hides them; we then trim the edit
  list's duration to the asked length, which also hides frames past `end` that B-frame reordering
  lets through. Players that honour edit lists start and stop on the exact frames.

Gaps between segments are skipped, not frozen: the concat demuxer lays each file right after the
previous one, so timestamps stay monotonic and the clip is shorter than `end - start` by the gap.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlparse

from gtvision.core.rows import rowtype
from gtvision.media import ffmpeg, isobmff
from gtvision.media.ffmpeg import MediaError

ClipMode = Literal["fast", "exact"]
_OVERLAP_TOLERANCE_S = 0.5  # a segment starting this far inside the previous one is a duplicate
_SHORTFALL_TOLERANCE_S = 0.5  # segment durations in the database come from the same files, to the frame


@rowtype(slots=False)
class SegmentSource:
    """A recorded segment: a local path or an http(s) (presigned) URL, its UTC start and real duration."""

    url_or_path: str
    start: datetime
    duration_s: float
    #: (width, height) when known: pieces of different sizes (a camera's main stream and sub-stream) cannot be
    #: joined by stream copy, so such a clip is re-encoded to the largest size (`_cut_reencoded`).
    size: tuple[int, int] | None = None


@rowtype(slots=False)
class ClipResult:
    """The clip as written: duration measured from the output file, its size and SHA-256."""

    duration_s: float
    size_bytes: int
    sha256: str


@rowtype(slots=False)
class _Piece:
    source: SegmentSource
    inpoint: float | None  # seconds from the segment's first frame
    outpoint: float | None
    length: float  # seconds of this segment the clip asks for


def _plan(segments: list[SegmentSource], start: datetime, end: datetime) -> list[_Piece]:
    pieces: list[_Piece] = []
    covered_until: datetime | None = None
    for seg in segments:
        lo = max(0.0, (start - seg.start).total_seconds())
        hi = min(seg.duration_s, (end - seg.start).total_seconds())
        if hi - lo <= 1e-3:
            continue
        overlap = (covered_until - seg.start).total_seconds() if covered_until is not None else 0.0
        if overlap > _OVERLAP_TOLERANCE_S:
            # A range we already have: a duplicate upload (skipped), or a sub-stream segment that begins
            # under the main stream's last one and fills the gap after it (cut from where main ends).
            lo = max(lo, overlap)
            if hi - lo <= _OVERLAP_TOLERANCE_S:
                continue
        pieces.append(_Piece(seg, lo if lo > 0 else None, hi if hi < seg.duration_s else None, hi - lo))
        covered_until = seg.start + timedelta(seconds=hi)
    return pieces


def _is_ts(url_or_path: str) -> bool:
    return urlparse(url_or_path).path.lower().endswith(".ts")


def _quote(url_or_path: str) -> str:
    """A concat-demuxer `file` line value: single-quoted, with quotes escaped as the demuxer expects."""
    return "'" + url_or_path.replace("'", "'\\''") + "'"


class _Budget:
    """One timeout shared by every ffmpeg run of a clip."""

    def __init__(self, timeout: float) -> None:
        self._deadline = time.monotonic() + timeout

    def left(self) -> float:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise MediaError("tempo limite do recorte esgotado")
        return remaining


def _local_mp4(piece: _Piece, work: str, index: int, budget: _Budget) -> str:
    """MPEG-TS seeks by estimate (it may land after the in point), so remux TS inputs to MP4 first."""
    if not _is_ts(piece.source.url_or_path):
        return piece.source.url_or_path
    remuxed = os.path.join(work, f"in-{index:04d}.mp4")
    ffmpeg.run_ffmpeg(
        ["-y", "-i", piece.source.url_or_path, "-map", "0:v:0", "-c", "copy", "-f", "mp4", remuxed], budget.left()
    )
    return remuxed


_TBN = re.compile(r"Stream #0:\d+\S*: Video: .*?(\d+)(k?) tbn")  # "12800 tbn", "90k tbn"


def _video_timescale(path: str, budget: _Budget) -> int | None:
    proc = ffmpeg.run_ffmpeg(
        ["-i", path, "-map", "0:v:0", "-frames:v", "1", "-c", "copy", "-f", "null", "-"], budget.left()
    )
    match = _TBN.search(proc.stderr)
    return int(match.group(1)) * (1000 if match.group(2) else 1) if match else None


def _same_timescale(inputs: list[str], work: str, budget: _Budget) -> list[str]:
    """Inputs whose video time bases differ (mixed containers: TS remuxed at 1/90000, recorder MP4 at
    1/12800...) remuxed to the first one's: the concat demuxer reads every file's timestamps in the first
    file's time base, so a mix would go backwards. Inputs that already agree are left as they are."""
    if len(inputs) < 2:
        return inputs
    scales = [_video_timescale(src, budget) for src in inputs]
    if len(set(scales)) == 1 or scales[0] is None:
        return inputs
    out = []
    for index, (src, scale) in enumerate(zip(inputs, scales, strict=True)):
        if scale == scales[0]:
            out.append(src)
            continue
        remuxed = os.path.join(work, f"tb-{index:04d}.mp4")
        ffmpeg.run_ffmpeg(
            [
                "-y",
                "-i",
                src,
                "-map",
                "0:v:0",
                "-c",
                "copy",
                "-video_track_timescale",
                str(scales[0]),
                "-f",
                "mp4",
                remuxed,
            ],
            budget.left(),
        )
        out.append(remuxed)
    return out


def _concat_list(pieces: list[_Piece], inputs: list[str], budget: _Budget) -> str:
    lines = []
    for piece, src in zip(pieces, inputs, strict=True):
        lines.append(f"file {_quote(src if '://' in src else os.path.abspath(src))}")
        if piece.inpoint is None and piece.outpoint is None:
            continue
        # concat in/out points are timestamps of the file itself, which need not start at zero
        origin = ffmpeg.start_time(src, budget.left())
        if piece.inpoint is not None:
            lines.append(f"inpoint {origin + piece.inpoint:.6f}")
        if piece.outpoint is not None:
            lines.append(f"outpoint {origin + piece.outpoint:.6f}")
    return "\n".join(lines) + "\n"


_TRACK_CONTAINERS = (b"trak", b"edts", b"mdia", b"minf", b"stbl")


def _descend(data: bytes, lo: int, hi: int) -> Iterator[tuple[bytes, int, int]]:
    for kind, start, end in isobmff.boxes(data, lo, hi):
        yield kind, start, end
        if kind in _TRACK_CONTAINERS:
            yield from _descend(data, start, end)


def _set_edit_list(path: str, asked_s: float, show_preroll: bool) -> None:
    """Rewrite, in place, the edit list of the one-video-track faststart MP4 that ffmpeg wrote.

    With `-copyts`, ffmpeg's muxer starts the edit at the asked frame and ends it after the last
    packet. Exact clips keep that start and end the edit `asked_s` later; fast clips move the start
    back to the first (key)frame so the GOP preroll is shown, and end at the same place.
    """
    reader = isobmff.FileReader(path)
    moov = next(((o + h, s - h) for kind, o, h, s in isobmff.top_level_boxes(reader) if kind == b"moov"), None)
    if moov is None:
        raise MediaError("recorte sem 'moov'")
    base, length = moov
    data = reader.read_at(base, length)
    movie_ts = media_ts = first_cts = 0
    durations: list[tuple[int, int]] = []  # (offset, width) of the mvhd, tkhd and elst durations
    media_time: tuple[int, int] | None = None
    for kind, lo, _ in _descend(data, 0, len(data)):
        v1 = data[lo] == 1
        if kind == b"mvhd":
            movie_ts = int.from_bytes(data[lo + (20 if v1 else 12) :][:4], "big")
            durations.append((lo + (24 if v1 else 16), 8 if v1 else 4))
        elif kind == b"tkhd":
            durations.append((lo + (28 if v1 else 20), 8 if v1 else 4))
        elif kind == b"mdhd":
            media_ts = int.from_bytes(data[lo + (20 if v1 else 12) :][:4], "big")
        elif kind == b"ctts" and struct.unpack_from(">I", data, lo + 4)[0]:
            first_cts = struct.unpack_from(">i" if v1 else ">I", data, lo + 12)[0]
        elif kind == b"elst" and media_time is None:
            width = 8 if v1 else 4
            for i in range(struct.unpack_from(">I", data, lo + 4)[0]):
                entry = lo + 8 + i * 2 * (width + 2)
                if int.from_bytes(data[entry + width :][:width], "big", signed=True) >= 0:  # -1: empty edit
                    durations.append((entry, width))
                    media_time = (entry + width, width)
                    break
    if media_time is None or not movie_ts or not media_ts:
        return  # no edit list: the clip starts on a keyframe with nothing to hide
    edit_at, width = durations[-1]
    edit_duration = int.from_bytes(data[edit_at : edit_at + width], "big")
    start = int.from_bytes(data[media_time[0] : media_time[0] + width], "big", signed=True)
    preroll = max(0, start - first_cts) if show_preroll else 0  # media timescale
    preroll_movie = round(preroll * movie_ts / media_ts)
    new_duration = min(edit_duration + preroll_movie, round(asked_s * movie_ts) + preroll_movie)
    with open(path, "r+b") as fh:
        for offset, width in durations:
            fh.seek(base + offset)
            fh.write(new_duration.to_bytes(width, "big"))
        fh.seek(base + media_time[0])
        fh.write((start - preroll).to_bytes(media_time[1], "big", signed=True))


def cut_clip(
    segments: list[SegmentSource],
    start: datetime,
    end: datetime,
    mode: ClipMode,
    out_path: str,
    scratch_dir: str,
    timeout: float,
) -> ClipResult:
    """Cut [start, end) out of sorted `segments` into `out_path` (MP4, video only, faststart).

    Everything this creates under `scratch_dir` is removed, on success and on error; `out_path` is
    only written once the clip is complete. Raises `MediaError` when nothing overlaps, ffmpeg fails or
    the whole cut exceeds `timeout` seconds.
    """
    if mode not in ("fast", "exact"):
        raise ValueError(f"unknown clip mode {mode!r}")
    if end <= start:
        raise ValueError("end must be after start")
    pieces = _plan(segments, start, end)
    if not pieces:
        raise MediaError("nenhum segmento gravado no intervalo pedido")
    budget = _Budget(timeout)
    work = tempfile.mkdtemp(prefix="clip-", dir=scratch_dir)
    sizes = {piece.source.size for piece in pieces if piece.source.size}
    if len(sizes) > 1:
        try:
            return _cut_reencoded(pieces, max(sizes), out_path, work, budget)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    try:
        inputs = _same_timescale([_local_mp4(piece, work, i, budget) for i, piece in enumerate(pieces)], work, budget)
        listing = os.path.join(work, "segments.ffconcat")
        with open(listing, "w", encoding="utf-8") as fh:
            fh.write(_concat_list(pieces, inputs, budget))
        clip = os.path.join(work, "clip.mp4")
        ffmpeg.run_ffmpeg(
            [
                "-y",
                "-xerror",
                "-copyts",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                listing,
                "-map",
                "0:v:0",
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                clip,
            ],
            budget.left(),
        )
        planned = sum(piece.length for piece in pieces)
        _set_edit_list(clip, planned, show_preroll=mode == "fast")
        info = isobmff.probe(clip, budget.left())
        if info.duration_s < planned - _SHORTFALL_TOLERANCE_S:
            # ffmpeg may skip a segment it cannot read and still exit 0; a short clip is a failed clip
            raise MediaError(f"recorte incompleto: {info.duration_s:.2f} s de {planned:.2f} s pedidos")
        result = ClipResult(duration_s=info.duration_s, size_bytes=info.size_bytes, sha256=ffmpeg.sha256_file(clip))
        shutil.move(clip, out_path)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cut_reencoded(
    pieces: list[_Piece], size: tuple[int, int], out_path: str, work: str, budget: _Budget
) -> ClipResult:
    """Pieces of different sizes (main stream and sub-stream) decoded by one decoder each, trimmed to the frame,
    scaled (letterboxed) to `size` and joined by the concat filter into one H.264 track: frame-exact whatever the
    mode, at the price of an encode."""
    width, height = size
    args: list[str] = ["-y"]
    chains = []
    for index, piece in enumerate(pieces):
        src = piece.source.url_or_path
        origin = ffmpeg.start_time(src, budget.left())
        if piece.inpoint is not None:
            args += ["-ss", f"{origin + piece.inpoint:.6f}"]
        if piece.outpoint is not None:
            args += ["-to", f"{origin + piece.outpoint:.6f}"]
        args += ["-i", src]
        chains.append(
            f"[{index}:v:0]scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p[v{index}]"
        )
    joined = "".join(f"[v{i}]" for i in range(len(pieces)))
    graph = ";".join(chains) + f";{joined}concat=n={len(pieces)}:v=1:a=0[out]"
    clip = os.path.join(work, "clip.mp4")
    args += ["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20"]
    args += ["-movflags", "+faststart", "-f", "mp4", clip]
    ffmpeg.run_ffmpeg(args, budget.left())
    planned = sum(piece.length for piece in pieces)
    info = isobmff.probe(clip, budget.left())
    if info.duration_s < planned - _SHORTFALL_TOLERANCE_S:
        raise MediaError(f"recorte incompleto: {info.duration_s:.2f} s de {planned:.2f} s pedidos")
    result = ClipResult(duration_s=info.duration_s, size_bytes=info.size_bytes, sha256=ffmpeg.sha256_file(clip))
    shutil.move(clip, out_path)
    return result
