"""The recordings bucket's key layout (contract: Recordings; two-tier: sub-stream keys).

`recordings/{camera_id}/{YYYY-MM-DD_HH-MM-SS-ffffff}.{mp4|ts}` is a segment of the camera's main stream and
`recordings/{camera_id}_sub/…` one of its sub-stream (MediaMTX path `{camera_id}_sub`). One instant has one
key: a variant spelling (upper-case UUID, fullwidth digits) can never shadow the canonical key as a
"duplicate" that retention would never tag nor delete.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gtvision.core.rows import rowtype

if TYPE_CHECKING:  # a type only: the key layout does not need the segment index's rows (ADR 0029)
    from gtvision.recordings.schemas import Quality

KEY_LAYOUT = re.compile(
    r"recordings/(?P<camera>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?P<sub>_sub)?/"
    r"(?P<stamp>[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{6})\.(?P<ext>mp4|ts)",
    re.ASCII,
)
STAMP_FORMAT = "%Y-%m-%d_%H-%M-%S-%f"
#: The MediaMTX path (and key folder) suffix of a camera's sub-stream.
SUB_SUFFIX = "_sub"


@rowtype(slots=False)
class SegmentKey:
    """What a canonical key says: whose segment, from when, which container and which quality."""

    camera_id: str
    start: datetime
    ext: str
    quality: Quality

    @property
    def path_name(self) -> str:
        """The MediaMTX path (and key folder) the segment was recorded from."""
        return path_name(self.camera_id, self.quality)


def path_name(camera_id: str, quality: Quality = "main") -> str:
    """The MediaMTX path of a camera's stream of `quality`: its id, or `{id}_sub`."""
    return f"{camera_id}{SUB_SUFFIX}" if quality == "sub" else camera_id


def _stamp(start: datetime) -> str:
    return start.astimezone(UTC).strftime(STAMP_FORMAT)


def segment_key(camera_id: str, start: datetime, ext: str = "mp4", quality: Quality = "main") -> str:
    """The contract's key of a segment starting at `start` (UTC, microseconds)."""
    return f"recordings/{path_name(camera_id, quality)}/{_stamp(start)}.{ext}"


def thumbnail_key(camera_id: str, start: datetime, quality: Quality = "main") -> str:
    """The S3 key of a segment's thumbnail."""
    return f"thumbnails/{path_name(camera_id, quality)}/{_stamp(start)}.jpg"


def parse(key: str) -> SegmentKey | None:
    """What a canonical contract key says; None for any other key."""
    match = KEY_LAYOUT.fullmatch(key)
    if not match:
        return None
    try:
        start = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # e.g. month 13: the shape matches, the date does not exist
        return None
    quality: Quality = "sub" if match["sub"] else "main"
    if segment_key(match["camera"], start, match["ext"], quality) != key:  # one instant, one key
        return None
    return SegmentKey(match["camera"], start, match["ext"], quality)


def parse_key(key: str) -> tuple[str, datetime, str] | None:
    """(camera_id, UTC start, extension) of a canonical key of either quality, None for any other key."""
    parsed = parse(key)
    return None if parsed is None else (parsed.camera_id, parsed.start, parsed.ext)


def canonical_variant_of(key: str) -> str | None:
    """The canonical key a refused key is a variant of (upper-case camera UUID, non-ASCII digits), if any."""
    digits = "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in key)
    parts = digits.split("/")
    if len(parts) != 3:
        return None
    candidate = "/".join((parts[0], parts[1].lower(), parts[2]))
    return candidate if candidate != key and parse(candidate) is not None else None
