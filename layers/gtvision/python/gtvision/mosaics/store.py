"""SQL for mosaics."""

from __future__ import annotations

from typing import Any

from gtvision.core.db import Conn
from gtvision.core.sql import keyset_page, one

_COLS = "id, city_id, name, layout, camera_ids, created_by, created_at"


def insert(conn: Conn, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a mosaic; returns it."""
    return one(
        conn.execute(
            f"INSERT INTO mosaics (city_id, name, layout, camera_ids, created_by)"
            f" VALUES (%(city_id)s, %(name)s, %(layout)s, %(camera_ids)s::uuid[], %(created_by)s) RETURNING {_COLS}",
            values,
        )
    )


def get(conn: Conn, mosaic_id: str, city_id: str | None) -> dict[str, Any] | None:
    """One mosaic (of `city_id` when given); None when missing."""
    if city_id is None:
        return conn.execute(f"SELECT {_COLS} FROM mosaics WHERE id = %s", (mosaic_id,)).fetchone()
    return conn.execute(f"SELECT {_COLS} FROM mosaics WHERE id = %s AND city_id = %s", (mosaic_id, city_id)).fetchone()


def list_page(conn: Conn, city_id: str | None, limit: int, after: list[Any] | None) -> list[dict[str, Any]]:
    """Mosaics oldest first, optionally of one city (keyset page)."""
    where, params = (["city_id = %s"], [city_id]) if city_id else ([], [])
    return keyset_page(conn, f"SELECT {_COLS} FROM mosaics", where, params, limit, after)


def update(conn: Conn, mosaic_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Set a mosaic's name, layout and cameras; returns it."""
    return one(
        conn.execute(
            "UPDATE mosaics SET name = %(name)s, layout = %(layout)s, camera_ids = %(camera_ids)s::uuid[]"
            f" WHERE id = %(id)s RETURNING {_COLS}",
            {**values, "id": mosaic_id},
        )
    )


def delete(conn: Conn, mosaic_id: str) -> bool:
    """Delete a mosaic; whether one was deleted."""
    return conn.execute("DELETE FROM mosaics WHERE id = %s", (mosaic_id,)).rowcount == 1


def cameras_in_city(conn: Conn, camera_ids: list[str], city_id: str) -> list[dict[str, Any]]:
    """Id, name and status of those of `camera_ids` that belong to the city."""
    return conn.execute(
        "SELECT id, name, status, (SELECT h.status FROM camera_health h WHERE h.camera_id = cameras.id)"
        " AS health_status FROM cameras WHERE id = ANY(%s::uuid[]) AND city_id = %s",
        (camera_ids, city_id),
    ).fetchall()
