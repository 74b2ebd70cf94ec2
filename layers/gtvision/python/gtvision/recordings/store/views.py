"""SQL of tamper detection's per-camera state (table `camera_views`)."""

from __future__ import annotations

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_one
from gtvision.recordings.upload_schemas import ViewState


def get(conn: Conn, camera_id: str) -> ViewState | None:
    """The camera's reference and comparison state; None before its first recorded view."""
    return fetch_one(
        conn, ViewState, f"SELECT {columns(ViewState)} FROM camera_views WHERE camera_id = %s", (camera_id,)
    )


def take_reference(conn: Conn, camera_id: str) -> ViewState | None:
    """Make the camera's latest view its reference (a manager's choice); the comparison starts over."""
    return fetch_one(
        conn,
        ViewState,
        "UPDATE camera_views SET reference_luma = last_luma, reference_sharpness = last_sharpness,"
        " reference_at = last_at, reference_thumb_key = last_thumb_key, reference_source = 'manager',"
        " suspect_reason = NULL, suspect_count = 0, updated_at = now()"
        f" WHERE camera_id = %s RETURNING {columns(ViewState)}",
        (camera_id,),
    )
