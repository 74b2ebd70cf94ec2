"""SQL for camera groups and their members."""

from __future__ import annotations

from typing import Any

from gtvision.core.db import Conn
from gtvision.core.sql import fetch_all, fetch_exactly_one, fetch_one
from gtvision.tenancy.account_schemas import CameraGroup

_COLS = (
    "g.id, g.city_id, g.name,"
    " ARRAY(SELECT m.camera_id FROM camera_group_members m WHERE m.group_id = g.id ORDER BY m.camera_id)"
    " AS camera_ids, g.created_at, g.updated_at"
)


def insert(conn: Conn, city_id: str, name: str) -> str:
    """Create an empty group; its id."""
    row = conn.execute(
        "INSERT INTO camera_groups (city_id, name) VALUES (%s, %s) RETURNING id", (city_id, name)
    ).fetchone()
    assert row is not None
    return str(row["id"])


def get(conn: Conn, group_id: str, city_id: str | None) -> CameraGroup | None:
    """One group; None when missing or (city_id given) in another city."""
    query = f"SELECT {_COLS} FROM camera_groups g WHERE g.id = %s"
    params: list[Any] = [group_id]
    if city_id is not None:
        query += " AND g.city_id = %s"
        params.append(city_id)
    return fetch_one(conn, CameraGroup, query, params)


def get_exactly(conn: Conn, group_id: str) -> CameraGroup:
    """A group known to exist (just written in this transaction)."""
    return fetch_exactly_one(conn, CameraGroup, f"SELECT {_COLS} FROM camera_groups g WHERE g.id = %s", (group_id,))


def list_page(conn: Conn, city_id: str, limit: int, after: list[Any] | None) -> list[CameraGroup]:
    """A city's groups, oldest first (keyset page)."""
    where, params = "g.city_id = %s", [city_id]
    if after:
        where += " AND (g.created_at, g.id) > (%s, %s)"
        params += after
    query = f"SELECT {_COLS} FROM camera_groups g WHERE {where} ORDER BY g.created_at, g.id LIMIT %s"
    return fetch_all(conn, CameraGroup, query, [*params, limit + 1])


def rename(conn: Conn, group_id: str, name: str) -> None:
    """Give the group a new name."""
    conn.execute("UPDATE camera_groups SET name = %s, updated_at = now() WHERE id = %s", (name, group_id))


def set_members(conn: Conn, group_id: str, camera_ids: list[str]) -> None:
    """The group's cameras become exactly `camera_ids`."""
    conn.execute("DELETE FROM camera_group_members WHERE group_id = %s", (group_id,))
    if camera_ids:
        conn.execute(
            "INSERT INTO camera_group_members (group_id, camera_id) SELECT %s, unnest(%s::uuid[])",
            (group_id, camera_ids),
        )
    conn.execute("UPDATE camera_groups SET updated_at = now() WHERE id = %s", (group_id,))


def delete(conn: Conn, group_id: str) -> bool:
    """Delete a group (its members and user links go with it); whether one was deleted."""
    return conn.execute("DELETE FROM camera_groups WHERE id = %s", (group_id,)).rowcount == 1


def ids_in_city(conn: Conn, city_id: str, group_ids: list[str]) -> set[str]:
    """Which of `group_ids` are groups of the city."""
    rows = conn.execute(
        "SELECT id FROM camera_groups WHERE city_id = %s AND id = ANY(%s::uuid[])", (city_id, group_ids)
    ).fetchall()
    return {str(r["id"]) for r in rows}


def members_of(conn: Conn, group_id: str) -> list[str]:
    """The users restricted to this group (their sockets must learn of a change)."""
    rows = conn.execute("SELECT user_id FROM user_camera_groups WHERE group_id = %s", (group_id,)).fetchall()
    return [str(r["user_id"]) for r in rows]
