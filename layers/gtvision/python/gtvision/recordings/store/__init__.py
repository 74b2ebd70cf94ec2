"""SQL of recordings: the segment index (`store.segments`), legal holds (`store.holds`) and tamper
detection's view state (`store.views`). The index's and the holds' functions are re-exported here, where
the feature has always read them."""

from __future__ import annotations

from gtvision.recordings.store.holds import source_keys_of_case, source_keys_of_clip
from gtvision.recordings.store.segments import (
    MAX_SEGMENT,
    TOUCH,
    TRANSIENT_REASONS,
    any_registered,
    clear_stale_rejections,
    ensure_partition,
    forget_partitions,
    get,
    in_range,
    insert,
    partition_name,
    record_rejection,
    register,
    registration,
    rejections,
    replace,
    set_etag,
    thumbnails_page,
    timeline,
)

__all__ = [
    "MAX_SEGMENT",
    "TOUCH",
    "TRANSIENT_REASONS",
    "any_registered",
    "clear_stale_rejections",
    "ensure_partition",
    "forget_partitions",
    "get",
    "in_range",
    "insert",
    "partition_name",
    "record_rejection",
    "register",
    "registration",
    "rejections",
    "replace",
    "set_etag",
    "source_keys_of_case",
    "source_keys_of_clip",
    "thumbnails_page",
    "timeline",
]
