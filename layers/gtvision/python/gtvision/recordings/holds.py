"""Legal holds on recordings: the segments a held clip was cut from, or a case holds, are kept by retention
and tagged out of the bucket's lifecycle safety net; lifting the hold gives them back their city's plan."""

from __future__ import annotations

from datetime import datetime

from gtvision.core import db
from gtvision.core.db import Conn
from gtvision.core.settings import get_settings
from gtvision.recordings import storage, store, tiers
from gtvision.recordings.schemas import Segment, SegmentKeys


def in_range(conn: Conn, camera_id: str, start: datetime, end: datetime) -> list[Segment]:
    """The segments a clip of a camera's [start, end) is cut from, by start: main where it was recorded,
    the sub-stream in main's gaps (`tiers.best`)."""
    return tiers.best(store.in_range(conn, camera_id, start, end))


def protect_clip_sources(clip_id: str) -> None:
    """Tag the segments a clip was cut from as held (the hold itself is the clip's row)."""
    with db.transaction() as conn:
        sources = store.source_keys_of_clip(conn, clip_id, only_unheld_elsewhere=False)
    keys = [k for s in sources for k in s.object_keys]
    storage.tag_retention(get_settings().recordings_bucket, keys, storage.HELD)


def release_clip_sources(clip_id: str) -> None:
    """Give the segments of a clip no longer held their city's retention tag (unless another hold keeps them)."""
    with db.transaction() as conn:
        sources = store.source_keys_of_clip(conn, clip_id, only_unheld_elsewhere=True)
    bucket = get_settings().recordings_bucket
    _retag(bucket, sources)


def protect_segments(segments: list[Segment]) -> None:
    """Tag segments a case holds as held (the hold itself is the case's `segment_holds` rows)."""
    keys = [k for seg in segments for k in seg.object_keys]
    storage.tag_retention(get_settings().recordings_bucket, keys, storage.HELD)


def release_case_sources(case_id: str) -> list[SegmentKeys]:
    """The segments only this case holds, with their city's plans: call before the case's holds are dropped,
    then hand the result to `retag` once they are."""
    with db.transaction() as conn:
        return store.source_keys_of_case(conn, case_id)


def retag(sources: list[SegmentKeys]) -> None:
    """Give segments their city's retention tag back (their hold ended)."""
    _retag(get_settings().recordings_bucket, sources)


def _retag(bucket: str, sources: list[SegmentKeys]) -> None:
    """Tag each segment's objects with its quality's plan (main: the full-quality days; sub: the whole plan)."""
    for days in {s.plan_days for s in sources}:
        keys = [k for s in sources if s.plan_days == days for k in s.object_keys]
        storage.tag_retention(bucket, keys, storage.plan_tag(days))
