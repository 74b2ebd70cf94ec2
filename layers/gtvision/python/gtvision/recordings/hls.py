"""HLS VOD media playlists over recorded segments: renditions, discontinuities, fMP4 init sections."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime

from gtvision.core.timeutil import format_rfc3339
from gtvision.recordings import store as dal
from gtvision.recordings.schemas import Segment

#: Containers HLS can carry: MPEG-TS, and fragmented MP4 (its ftyp+moov served as EXT-X-MAP). A
#: progressive MP4 is not an HLS segment: playlists serve its MPEG-TS rendition (`play_key`) instead.
PLAYABLE = ("ts", "fmp4")


def rendition_row(row: Segment) -> Segment | None:
    """The row as HLS sees it: the original when HLS carries it, else its playable rendition (or None)."""
    if row.container in PLAYABLE:
        return row
    if not row.play_key:
        return None
    return dataclasses.replace(
        row, container="ts", s3_key=row.play_key, init_bytes=None, size_bytes=row.play_size_bytes
    )


_PTS_TOLERANCE_S = 0.5


def duration(row: Segment) -> float:
    """Seconds the segment plays: its measured duration, else end minus start."""
    return row.seconds


def _discontinuous(prev: Segment, cur: Segment) -> bool:
    """Whether the player must reset its decoder/timeline between two consecutive segments.

    At gaps, where codec, resolution or container change, and where timestamps do not continue —
    recorders that restart timestamps in every file (MediaMTX's fMP4, our recorder) need one at every
    boundary, while continuous MPEG-TS recordings play straight through.
    """
    if cur.start_at - prev.end_at > dal.TOUCH:
        return True
    if (prev.video_codec, prev.width, prev.height, prev.container) != (
        cur.video_codec,
        cur.width,
        cur.height,
        cur.container,
    ):
        return True
    prev_pts, cur_pts = prev.pts_start, cur.pts_start
    if prev_pts is None or cur_pts is None:
        return True
    return abs(cur_pts - (prev_pts + duration(prev))) > _PTS_TOLERANCE_S


def _pdt(at: datetime) -> str:
    return format_rfc3339(at, "milliseconds")


def build_playlist(rows: list[Segment], urls: list[str]) -> str:
    """An HLS VOD media playlist over `rows` (ordered by start) served from `urls` (one per row)."""
    fmp4 = any(r.container == "fmp4" for r in rows)
    target = max(1, math.ceil(max(duration(r) for r in rows)))
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{7 if fmp4 else 3}",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    prev: Segment | None = None
    for row, url in zip(rows, urls, strict=True):
        if prev is not None and _discontinuous(prev, row):
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_pdt(row.start_at)}")
        if row.container == "fmp4":
            # Each MediaMTX/recorder fMP4 file carries its own ftyp+moov: serve those bytes as the
            # initialization section and the fragments after them as the media segment, from one URL.
            init = int(row.init_bytes or 0)
            lines.append(f'#EXT-X-MAP:URI="{url}",BYTERANGE="{init}@0"')
            lines.append(f"#EXTINF:{duration(row):.6f},")
            lines.append(f"#EXT-X-BYTERANGE:{int(row.size_bytes or 0) - init}@{init}")
        else:
            lines.append(f"#EXTINF:{duration(row):.6f},")
        lines.append(url)
        prev = row
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
