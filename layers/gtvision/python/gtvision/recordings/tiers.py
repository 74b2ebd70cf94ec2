"""Two-tier recording: which segments stand for a span when a camera records its main stream and its
sub-stream. `best` keeps every main segment and a sub segment only where it covers more than `TOUCH` that
no main segment covers (a main gap): main where it exists, sub elsewhere — one list in time order, what
playback plays (`?quality=best`), what clips are cut from, and what thumbnails show.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from gtvision.recordings.schemas import PlaybackQuality
from gtvision.recordings.store import TOUCH


class Tiered(Protocol):
    """A recorded span of one camera in one quality (a `Segment` row, a Sentinela search's planned segment)."""

    @property
    def quality(self) -> str: ...
    @property
    def start_at(self) -> datetime: ...
    @property
    def end_at(self) -> datetime: ...


S = TypeVar("S", bound=Tiered)


def _merged(rows: list[S]) -> list[tuple[datetime, datetime]]:
    spans: list[tuple[datetime, datetime]] = []
    for row in sorted(rows, key=lambda r: r.start_at):
        if spans and row.start_at <= spans[-1][1] + TOUCH:
            spans[-1] = (spans[-1][0], max(spans[-1][1], row.end_at))
        else:
            spans.append((row.start_at, row.end_at))
    return spans


def _uncovered(row: Tiered, spans: list[tuple[datetime, datetime]]) -> timedelta:
    """How much of the segment no span covers."""
    covered = timedelta()
    for lo, hi in spans:
        if hi <= row.start_at:
            continue
        if lo >= row.end_at:
            break
        covered += min(hi, row.end_at) - max(lo, row.start_at)
    return (row.end_at - row.start_at) - covered


def best(rows: list[S]) -> list[S]:
    """Main segments, and the sub segments that fill main's gaps, by start (see the module's docstring). The rows
    are one camera's."""
    main = [r for r in rows if r.quality == "main"]
    spans = _merged(main)
    fill = [r for r in rows if r.quality == "sub" and _uncovered(r, spans) > TOUCH]
    return sorted(main + fill, key=lambda r: (r.start_at, r.quality))


def choose(rows: list[S], quality: PlaybackQuality) -> list[S]:
    """The rows of one quality, or the best of both."""
    if quality == "best":
        return best(rows)
    return [r for r in rows if r.quality == quality]
