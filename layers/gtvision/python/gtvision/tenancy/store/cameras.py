"""SQL for cameras (always filtered by city unless the caller is an admin, and by camera ids for a user
restricted to camera groups)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg.types.json import Jsonb

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one, one
from gtvision.tenancy.schemas import Camera, CameraSecrets

PUBLIC_COLS = (
    "id, city_id, name, source_url, username, (password_enc IS NOT NULL) AS has_password, lat, lon, address,"
    " lpr_enabled, status, created_at, updated_at, lpr_digest_username, lpr_keepalive_at,"
    " (SELECT h.status FROM camera_health h WHERE h.camera_id = cameras.id) AS health_status, substream_url"
)
_SECRET_COLS = columns(CameraSecrets)


def insert(conn: Conn, values: Mapping[str, object]) -> Camera:
    """Insert a camera; returns its public columns."""
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    return fetch_exactly_one(
        conn, Camera, f"INSERT INTO cameras ({cols}) VALUES ({params}) RETURNING {PUBLIC_COLS}", values
    )


def get(conn: Conn, camera_id: str, city_id: str | None) -> Camera | None:
    """One camera; None when missing or (city_id given) in another city."""
    if city_id is None:
        return fetch_one(conn, Camera, f"SELECT {PUBLIC_COLS} FROM cameras WHERE id = %s", (camera_id,))
    return fetch_one(
        conn, Camera, f"SELECT {PUBLIC_COLS} FROM cameras WHERE id = %s AND city_id = %s", (camera_id, city_id)
    )


def find_by_name(conn: Conn, city_id: str, name: str) -> Camera | None:
    """The camera called exactly ``name`` in the city, if any."""
    return fetch_one(
        conn, Camera, f"SELECT {PUBLIC_COLS} FROM cameras WHERE city_id = %s AND name = %s", (city_id, name)
    )


def secrets(conn: Conn, camera_id: str, *, for_update: bool = False) -> CameraSecrets | None:
    """The encrypted secrets of a camera (never leaves tenancy)."""
    lock = " FOR UPDATE" if for_update else ""
    return fetch_one(conn, CameraSecrets, f"SELECT {_SECRET_COLS} FROM cameras WHERE id = %s{lock}", (camera_id,))


def with_url_credentials(conn: Conn, limit: int) -> list[CameraSecrets]:
    """Cameras whose stored URL may still hold credentials itself (rows written before they were moved)."""
    return fetch_all(
        conn,
        CameraSecrets,
        f"SELECT {_SECRET_COLS} FROM cameras WHERE source_url ~ '://[^/]*@'"
        " OR source_url ~* '[/?&;](password|pwd|passwd|pass|loginpas|senha|user|username|usr|loginuse|usuario)="
        "(?!\\{GTV_)' ORDER BY id LIMIT %s",
        (limit,),
    )


def count_in_city(conn: Conn, city_id: str) -> int:
    """How many cameras the city has."""
    return int(one(conn.execute("SELECT count(*) AS n FROM cameras WHERE city_id = %s", (city_id,)))["n"])


def list_page(
    conn: Conn, city_id: str, limit: int, after: list[Any] | None, only: Sequence[str] | None = None
) -> list[Camera]:
    """Cameras of a city, oldest first (keyset page); only those of `only` when given."""
    where = "city_id = %s"
    params: list[object] = [city_id]
    if only is not None:
        where += " AND id = ANY(%s::uuid[])"
        params.append(list(only))
    if after:
        where += " AND (created_at, id) > (%s, %s)"
        params += after
    query = f"SELECT {PUBLIC_COLS} FROM cameras WHERE {where} ORDER BY created_at, id LIMIT %s"
    return fetch_all(conn, Camera, query, [*params, limit + 1])


def ids_in_city(conn: Conn, city_id: str, camera_ids: Sequence[str]) -> set[str]:
    """Which of `camera_ids` are cameras of the city."""
    rows = conn.execute(
        "SELECT id FROM cameras WHERE city_id = %s AND id = ANY(%s::uuid[])", (city_id, list(camera_ids))
    ).fetchall()
    return {str(r["id"]) for r in rows}


def update(conn: Conn, camera_id: str, changes: Mapping[str, object]) -> Camera | None:
    """Apply `changes` to a camera; None when it does not exist."""
    sets = ", ".join(f"{k} = %({k})s" for k in changes)
    return fetch_one(
        conn,
        Camera,
        f"UPDATE cameras SET {sets}, updated_at = now() WHERE id = %(id)s RETURNING {PUBLIC_COLS}",
        {**changes, "id": camera_id},
    )


def delete(conn: Conn, camera_id: str) -> bool:
    """Delete a camera; whether one was deleted."""
    return conn.execute("DELETE FROM cameras WHERE id = %s", (camera_id,)).rowcount == 1


def record_keepalive(conn: Conn, camera_id: str, at: Any, device_info: Mapping[str, object] | None) -> None:
    """An LPR camera said it is alive (ITS KeepAlive/DeviceInfo): camera health reads lpr_keepalive_at."""
    if device_info is None:
        conn.execute(
            "UPDATE cameras SET lpr_keepalive_at = greatest(lpr_keepalive_at, %s) WHERE id = %s", (at, camera_id)
        )
    else:
        conn.execute(
            "UPDATE cameras SET lpr_keepalive_at = greatest(lpr_keepalive_at, %s), lpr_device_info = %s WHERE id = %s",
            (at, Jsonb(device_info), camera_id),
        )
