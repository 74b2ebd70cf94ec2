"""SQL of legal holds on segments: which objects a held clip or a case keeps, and which go back to their
city's plan when a hold ends (nothing else — another held clip, another case's hold in force — keeps them).

A case holds (camera, start): every quality recorded at that start; a clip holds exactly the segments (and
qualities) it was cut from.
"""

from __future__ import annotations

from gtvision.core.db import Conn
from gtvision.core.sql import fetch_all
from gtvision.recordings.schemas import SegmentKeys

_KEYS = (
    "SELECT s.s3_key, s.thumb_key, s.play_key, s.quality, ci.retention_days,"
    " least(coalesce(ci.full_quality_days, ci.retention_days), ci.retention_days) AS full_quality_days"
)

#: No case holds the segment (camera, start) now (a hold in force: the case open, or closed and in its keep period).
_NOT_CASE_HELD = (
    " AND NOT EXISTS (SELECT 1 FROM segment_holds h WHERE h.camera_id = {cam} AND h.segment_start = {start}"
    " AND (h.until IS NULL OR h.until > now()))"
)


def source_keys_of_clip(conn: Conn, clip_id: str, *, only_unheld_elsewhere: bool) -> list[SegmentKeys]:
    """Object keys (+ city plans) of the segments a clip was cut from; optionally only those no other held
    clip and no case still protects."""
    other = (
        " AND NOT EXISTS (SELECT 1 FROM clip_segments o JOIN clips c ON c.id = o.clip_id"
        " WHERE c.held AND o.clip_id <> cs.clip_id AND o.camera_id = cs.camera_id"
        " AND o.segment_start = cs.segment_start AND o.segment_quality = cs.segment_quality)"
        + _NOT_CASE_HELD.format(cam="cs.camera_id", start="cs.segment_start")
        if only_unheld_elsewhere
        else ""
    )
    return fetch_all(
        conn,
        SegmentKeys,
        _KEYS + " FROM clip_segments cs JOIN segments s ON s.camera_id = cs.camera_id"
        " AND s.start_at = cs.segment_start AND s.quality = cs.segment_quality"
        " JOIN cities ci ON ci.id = s.city_id WHERE cs.clip_id = %s" + other,
        (clip_id,),
    )


def source_keys_of_case(conn: Conn, case_id: str) -> list[SegmentKeys]:
    """Object keys (+ city plans) of the segments a case holds that nothing else holds (another case's hold
    in force, a held clip cut from them): what goes back to the city's plan when the case's hold ends."""
    return fetch_all(
        conn,
        SegmentKeys,
        _KEYS + " FROM segment_holds x"
        " JOIN segments s ON s.camera_id = x.camera_id AND s.start_at = x.segment_start"
        " JOIN cities ci ON ci.id = s.city_id WHERE x.case_id = %s"
        " AND NOT EXISTS (SELECT 1 FROM segment_holds h WHERE h.case_id <> x.case_id AND h.camera_id = x.camera_id"
        " AND h.segment_start = x.segment_start AND (h.until IS NULL OR h.until > now()))"
        " AND NOT EXISTS (SELECT 1 FROM clip_segments cs JOIN clips c ON c.id = cs.clip_id WHERE c.held"
        " AND cs.camera_id = s.camera_id AND cs.segment_start = s.start_at AND cs.segment_quality = s.quality)",
        (case_id,),
    )
