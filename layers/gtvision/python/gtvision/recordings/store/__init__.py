"""SQL of recordings: the segment index (`store.segments`) and tamper detection's view state
(`store.views`). The segment index's functions are re-exported here, where the feature has always read them."""

from __future__ import annotations

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
    source_keys_of_clip,
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
    "source_keys_of_clip",
    "thumbnails_page",
    "timeline",
]
