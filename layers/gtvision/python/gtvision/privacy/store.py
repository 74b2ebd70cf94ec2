"""SQL of privacy masks."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_exactly_one, fetch_one
from gtvision.privacy.schemas import PrivacyMasks

COLS = columns(PrivacyMasks)


def get(conn: Conn, camera_id: str) -> PrivacyMasks | None:
    return fetch_one(conn, PrivacyMasks, f"SELECT {COLS} FROM privacy_masks WHERE camera_id = %s", (camera_id,))


def put(conn: Conn, camera_id: str, masks: list[dict[str, Any]], user_id: str | None, name: str) -> PrivacyMasks:
    """Replace a camera's masks."""
    return fetch_exactly_one(
        conn,
        PrivacyMasks,
        "INSERT INTO privacy_masks (camera_id, masks, updated_by, updated_by_name) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (camera_id) DO UPDATE SET masks = EXCLUDED.masks, updated_by = EXCLUDED.updated_by,"
        f" updated_by_name = EXCLUDED.updated_by_name, updated_at = now() RETURNING {COLS}",
        (camera_id, Jsonb(masks), user_id, name),
    )
