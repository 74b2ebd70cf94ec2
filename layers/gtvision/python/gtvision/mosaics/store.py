"""SQL for mosaics: the `mosaics` table, and the few fields of the cameras a wall shows."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.mosaics.schemas import Mosaic, MosaicCameraRow

_COLS = columns(Mosaic)


def insert(
    conn: Conn, city_id: str, name: str, layout: str, camera_ids: list[str], tour: dict[str, object] | None, by: str
) -> Mosaic:
    """Insert a mosaic; returns it."""
    return fetch_exactly_one(
        conn,
        Mosaic,
        f"INSERT INTO mosaics (city_id, name, layout, camera_ids, tour, created_by)"
        f" VALUES (%s, %s, %s, %s::uuid[], %s, %s) RETURNING {_COLS}",
        (city_id, name, layout, camera_ids, None if tour is None else Jsonb(tour), by),
    )


def get(conn: Conn, mosaic_id: str, city_id: str | None) -> Mosaic | None:
    """One mosaic (of `city_id` when given); None when missing."""
    if city_id is None:
        return fetch_one(conn, Mosaic, f"SELECT {_COLS} FROM mosaics WHERE id = %s", (mosaic_id,))
    return fetch_one(conn, Mosaic, f"SELECT {_COLS} FROM mosaics WHERE id = %s AND city_id = %s", (mosaic_id, city_id))


def list_page(conn: Conn, city_id: str | None, limit: int, after: list[Any] | None) -> list[Mosaic]:
    """Up to limit+1 mosaics oldest first (keyset on created_at, id), optionally of one city."""
    where, params = (["city_id = %s"], [city_id]) if city_id else (["true"], [])
    if after:
        where.append("(created_at, id) > (%s, %s)")
        params += after
    return fetch_all(
        conn,
        Mosaic,
        f"SELECT {_COLS} FROM mosaics WHERE {' AND '.join(where)} ORDER BY created_at, id LIMIT %s",
        [*params, limit + 1],
    )


def update(
    conn: Conn, mosaic_id: str, name: str, layout: str, camera_ids: list[str], tour: dict[str, object] | None
) -> Mosaic:
    """Set a mosaic's name, layout, cameras and tour; returns it."""
    return fetch_exactly_one(
        conn,
        Mosaic,
        "UPDATE mosaics SET name = %s, layout = %s, camera_ids = %s::uuid[], tour = %s"
        f" WHERE id = %s RETURNING {_COLS}",
        (name, layout, camera_ids, None if tour is None else Jsonb(tour), mosaic_id),
    )


def delete(conn: Conn, mosaic_id: str) -> bool:
    """Delete a mosaic; whether one was deleted."""
    return conn.execute("DELETE FROM mosaics WHERE id = %s", (mosaic_id,)).rowcount == 1


def cameras_in_city(conn: Conn, camera_ids: list[str], city_id: str) -> list[MosaicCameraRow]:
    """Name and status of those of `camera_ids` that belong to the city."""
    return fetch_all(
        conn,
        MosaicCameraRow,
        "SELECT id, name, status, (SELECT h.status FROM camera_health h WHERE h.camera_id = cameras.id)"
        " AS health_status FROM cameras WHERE id = ANY(%s::uuid[]) AND city_id = %s",
        (camera_ids, city_id),
    )
