"""Legal holds on recordings: the segments a held clip (or case) was cut from are kept by retention and
tagged out of the bucket's lifecycle safety net; lifting the hold gives them back their city's plan."""

from __future__ import annotations

from datetime import datetime

from gtvision.core import db
from gtvision.core.db import Conn
from gtvision.core.settings import get_settings
from gtvision.recordings import storage, store, tiers
from gtvision.recordings.schemas import Segment


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
    for days in {s.plan_days for s in sources}:
        keys = [k for s in sources if s.plan_days == days for k in s.object_keys]
        storage.tag_retention(bucket, keys, storage.plan_tag(days))
