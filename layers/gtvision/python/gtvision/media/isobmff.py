"""ISO-BMFF (MP4 / fragmented MP4) box walker: box headers only, ``mdat`` payloads are skipped.

It works over ``Reader.read_at(offset, n)`` so it can run over S3 range GETs as well as local files;
:mod:`gtvision.media.clipping` reuses :func:`boxes` and :func:`top_level_boxes` for edit lists.
:func:`probe` reads MP4 here and falls back to an ffmpeg stream-copy pass for MPEG-TS.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from gtvision.media.ffmpeg import MediaError, MediaInfo, probe_with_ffmpeg

# --------------------------------------------------------------------------------------------- readers


class Reader(Protocol):
    """Random access to a media object (a local file, or S3 through range GETs)."""

    size: int

    def read_at(self, offset: int, n: int) -> bytes: ...


class FileReader:
    """`Reader` over a local file."""

    def __init__(self, path: str) -> None:
        self._path = path
        self.size = os.path.getsize(path)

    def read_at(self, offset: int, n: int) -> bytes:
        with open(self._path, "rb") as fh:
            fh.seek(offset)
            return fh.read(n)


# ------------------------------------------------------------------------------------ walker


class NotIsoBmff(Exception):
    """The bytes are not an ISO-BMFF (MP4) file; another demuxer may still read them."""


_TOP_LEVEL = {
    b"ftyp",
    b"styp",
    b"moov",
    b"moof",
    b"mdat",
    b"free",
    b"skip",
    b"wide",
    b"sidx",
    b"mfra",
    b"uuid",
    b"meta",
    b"pdin",
    b"emsg",
    b"prft",
}
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"mvex", b"moof", b"traf"}
_CODECS = {
    "avc1": "h264",
    "avc3": "h264",
    "hvc1": "hevc",
    "hev1": "hevc",
    "av01": "av1",
    "vp09": "vp9",
    "mp4v": "mpeg4",
    "jpeg": "mjpeg",
    "mjpa": "mjpeg",
}
_NON_SYNC = 0x10000  # sample_is_non_sync_sample in ISO-BMFF sample flags
#: Keyframes whose fragments `MediaInfo.first_keyframes_bytes` covers (`media.keyframes.VIEWS`).
KEYFRAMES_PREFIX = 3


@dataclass
class _Track:
    track_id: int = 0
    handler: bytes = b""
    timescale: int = 0
    mdhd_duration: int = 0
    edit_duration: int | None = None  # movie timescale: the non-empty edits of the edit list, if any
    width: int = 0
    height: int = 0
    codec: str = ""
    durations: list[int] = field(default_factory=list)  # per sample, media timescale
    sync: list[bool] = field(default_factory=list)  # per sample; empty means "all sync" (no stss)
    trex_duration: int = 0
    trex_flags: int = 0


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes in `data[start:end]`."""
    pos, end = start, len(data) if end is None else end
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise MediaError("caixa MP4 truncada")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise MediaError(f"caixa MP4 '{kind.decode('latin-1')}' truncada ou inválida")
        yield kind, pos + header, pos + size
        pos += size


def _children(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, payload) of the boxes inside an in-memory container."""
    for kind, start, end in boxes(data):
        yield kind, data[start:end]


def _full_box(payload: bytes) -> tuple[int, int, bytes]:
    version_flags = struct.unpack_from(">I", payload, 0)[0]
    return version_flags >> 24, version_flags & 0xFFFFFF, payload[4:]


def _parse_trak(payload: bytes) -> _Track:
    track = _Track()
    stts: list[tuple[int, int]] = []
    stss: list[int] | None = None
    for kind, body in _walk(payload):
        if kind == b"tkhd":
            version, _, rest = _full_box(body)
            if version == 1:
                track.track_id = struct.unpack_from(">16xI", rest, 0)[0]
                wh_at = 84
            else:
                track.track_id = struct.unpack_from(">8xI", rest, 0)[0]
                wh_at = 72
            track.width = struct.unpack_from(">I", rest, wh_at)[0] >> 16
            track.height = struct.unpack_from(">I", rest, wh_at + 4)[0] >> 16
        elif kind == b"mdhd":
            version, _, rest = _full_box(body)
            fmt = ">16xIQ" if version == 1 else ">8xII"
            track.timescale, track.mdhd_duration = struct.unpack_from(fmt, rest, 0)
        elif kind == b"hdlr":
            track.handler = body[8:12]
        elif kind == b"stsd":
            _, _, rest = _full_box(body)
            if struct.unpack_from(">I", rest, 0)[0] >= 1:
                entry_type = rest[8:12].decode("latin-1")
                track.codec = _CODECS.get(entry_type, entry_type)
                if track.handler == b"vide" and len(rest) >= 12 + 28:
                    # VisualSampleEntry: 6 reserved + 2 index + 16 pre_defined/reserved, then width/height
                    w, h = struct.unpack_from(">HH", rest, 12 + 24)
                    track.width, track.height = track.width or w, track.height or h
        elif kind == b"elst":
            version, _, rest = _full_box(body)
            count = struct.unpack_from(">I", rest, 0)[0]
            fmt, step = (">Qq", 20) if version == 1 else (">Ii", 12)
            edits = [struct.unpack_from(fmt, rest, 4 + step * i) for i in range(count)]
            # empty edits (media_time -1) only delay the start; they hold no video
            track.edit_duration = sum(duration for duration, media_time in edits if media_time >= 0)
        elif kind == b"stts":
            _, _, rest = _full_box(body)
            count = struct.unpack_from(">I", rest, 0)[0]
            stts = [struct.unpack_from(">II", rest, 4 + 8 * i) for i in range(count)]
        elif kind == b"stss":
            _, _, rest = _full_box(body)
            count = struct.unpack_from(">I", rest, 0)[0]
            stss = list(struct.unpack_from(f">{count}I", rest, 4))
    for count, delta in stts:
        track.durations.extend([delta] * count)
    if stss is not None:
        marks = set(stss)
        track.sync = [i + 1 in marks for i in range(len(track.durations))]
    return track


def _walk(payload: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Depth-first over the boxes of a container, descending into the containers we need."""
    for kind, body in _children(payload):
        yield kind, body
        if kind in _CONTAINERS:
            yield from _walk(body)


def _parse_traf(payload: bytes, tracks: dict[int, _Track]) -> None:
    track: _Track | None = None
    default_duration = default_flags = 0
    for kind, body in _children(payload):
        if kind == b"tfhd":
            _, flags, rest = _full_box(body)
            track_id = struct.unpack_from(">I", rest, 0)[0]
            track = tracks.get(track_id)
            if track is None:
                return
            pos = 4 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
            default_duration, default_flags = track.trex_duration, track.trex_flags
            if flags & 0x08:
                default_duration = struct.unpack_from(">I", rest, pos)[0]
                pos += 4
            if flags & 0x10:
                pos += 4
            if flags & 0x20:
                default_flags = struct.unpack_from(">I", rest, pos)[0]
        elif kind == b"trun" and track is not None:
            _, flags, rest = _full_box(body)
            count = struct.unpack_from(">I", rest, 0)[0]
            pos = 4 + (4 if flags & 0x01 else 0)
            first_flags = None
            if flags & 0x04:
                first_flags = struct.unpack_from(">I", rest, pos)[0]
                pos += 4
            for i in range(count):
                duration, sample_flags = default_duration, default_flags
                if flags & 0x100:
                    duration = struct.unpack_from(">I", rest, pos)[0]
                    pos += 4
                if flags & 0x200:
                    pos += 4
                if flags & 0x400:
                    sample_flags = struct.unpack_from(">I", rest, pos)[0]
                    pos += 4
                if flags & 0x800:
                    pos += 4
                if i == 0 and first_flags is not None:
                    sample_flags = first_flags
                track.durations.append(duration)
                track.sync.append(not sample_flags & _NON_SYNC)


def top_level_boxes(reader: Reader) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, offset, header size, box size) of each top-level box, reading only headers."""
    pos, first = 0, True
    while pos < reader.size:
        head = reader.read_at(pos, 16)
        if len(head) < 8:
            raise MediaError("arquivo MP4 truncado")
        size, kind = struct.unpack_from(">I4s", head, 0)
        header = 8
        if size == 1:
            if len(head) < 16:
                raise MediaError("arquivo MP4 truncado")
            size, header = struct.unpack_from(">Q", head, 8)[0], 16
        elif size == 0:
            size = reader.size - pos
        if first and kind not in _TOP_LEVEL:
            raise NotIsoBmff(kind)
        first = False
        if size < header:
            raise MediaError(f"caixa MP4 '{kind.decode('latin-1')}' inválida")
        if pos + size > reader.size:
            raise MediaError(f"arquivo MP4 truncado na caixa '{kind.decode('latin-1')}'")
        yield kind, pos, header, size
        pos += size


def probe_iso_bmff(reader: Reader) -> MediaInfo:
    """MediaInfo of an MP4 or fragmented MP4 by walking its boxes. Raises NotIsoBmff or MediaError."""
    tracks: dict[int, _Track] = {}
    movie_timescale = 0
    fragment_duration = 0
    fragmented = False
    seen_moov = False
    keyframes_end: int | None = None
    keyframes_in = False  # the last moof brought the video track to KEYFRAMES_PREFIX sync samples
    for kind, offset, header, size in top_level_boxes(reader):
        if keyframes_in and kind == b"mdat":
            keyframes_end, keyframes_in = offset + size, False
        if kind == b"moov":
            seen_moov = True
            moov = reader.read_at(offset + header, size - header)
            for child, body in _children(moov):
                if child == b"mvhd":
                    version, _, rest = _full_box(body)
                    movie_timescale = struct.unpack_from(">16xI" if version == 1 else ">8xI", rest, 0)[0]
                elif child == b"trak":
                    track = _parse_trak(body)
                    tracks[track.track_id] = track
                elif child == b"mvex":
                    for sub, sub_body in _children(body):
                        if sub == b"mehd":
                            version, _, rest = _full_box(sub_body)
                            fragment_duration = struct.unpack_from(">Q" if version == 1 else ">I", rest, 0)[0]
                        elif sub == b"trex":
                            _, _, rest = _full_box(sub_body)
                            track_id, _, duration, _, flags = struct.unpack_from(">5I", rest, 0)
                            if track_id in tracks:
                                tracks[track_id].trex_duration, tracks[track_id].trex_flags = duration, flags
        elif kind == b"moof":
            if not seen_moov:
                raise MediaError("fragmento MP4 sem 'moov'")
            fragmented = True
            for child, body in _children(reader.read_at(offset + header, size - header)):
                if child == b"traf":
                    _parse_traf(body, tracks)
            if keyframes_end is None and not keyframes_in:
                keyframes_in = _sync_count(tracks) >= KEYFRAMES_PREFIX
    if not seen_moov:
        raise MediaError("arquivo MP4 sem 'moov'")
    video = next((t for t in tracks.values() if t.handler == b"vide"), None)
    if video is None or not video.timescale:
        raise MediaError("arquivo MP4 sem trilha de vídeo")
    samples = sum(video.durations)
    if fragmented and samples:
        duration = samples / video.timescale
    elif fragmented and fragment_duration and movie_timescale:
        duration = fragment_duration / movie_timescale
    elif video.edit_duration and movie_timescale:
        duration = video.edit_duration / movie_timescale  # what is presented, after the edit list
    else:
        duration = (video.mdhd_duration or samples) / video.timescale
    if duration <= 0 or not video.durations:
        raise MediaError("arquivo MP4 sem amostras de vídeo")
    return MediaInfo(
        duration_s=round(duration, 6),
        video_codec=video.codec or "unknown",
        width=video.width,
        height=video.height,
        size_bytes=reader.size,
        container="mp4",
        fragmented=fragmented,
        frame_count=len(video.durations),
        keyframe_interval_s=_keyframe_interval(video),
        first_keyframes_bytes=keyframes_end if fragmented else None,
    )


def _sync_count(tracks: dict[int, _Track]) -> int:
    video = next((t for t in tracks.values() if t.handler == b"vide"), None)
    return sum(video.sync) if video is not None else 0


def _keyframe_interval(track: _Track) -> float | None:
    if not track.sync or len(track.sync) != len(track.durations):
        return None  # no stss (every sample is a keyframe), or samples in moov without one
    times, now = [], 0
    for duration, is_sync in zip(track.durations, track.sync, strict=True):
        if is_sync:
            times.append(now)
        now += duration
    times.append(now)
    if len(times) < 3:
        return None
    return max(b - a for a, b in zip(times, times[1:], strict=False)) / track.timescale


def probe_mp4(path: str) -> MediaInfo | None:
    """MediaInfo of an MP4 or fragmented MP4 by its boxes (no ffmpeg); None when the bytes are not ISO-BMFF
    (another demuxer may still read them); `MediaError` when they are, but broken. The file is ours (just
    downloaded): failing to open it is an `OSError` of this machine, retried, not the media's fault."""
    reader = FileReader(path)
    if reader.size == 0:
        raise MediaError("arquivo de mídia vazio")
    try:
        return probe_iso_bmff(reader)
    except NotIsoBmff:
        return None
    except (struct.error, IndexError, ValueError) as exc:
        raise MediaError(f"arquivo MP4 corrompido: {exc}") from exc


def probe(path: str, timeout: float = 60) -> MediaInfo:
    """Duration, codec and size of a recording (MP4, fragmented MP4 or MPEG-TS); `MediaError` if unreadable."""
    try:
        reader = FileReader(path)
    except OSError as exc:
        raise MediaError(f"mídia ilegível: {exc}") from exc
    if reader.size == 0:
        raise MediaError("arquivo de mídia vazio")
    try:
        return probe_iso_bmff(reader)
    except NotIsoBmff:
        pass
    except (struct.error, IndexError, ValueError) as exc:
        raise MediaError(f"arquivo MP4 corrompido: {exc}") from exc
    return probe_with_ffmpeg(path, timeout)
