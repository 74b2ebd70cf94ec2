"""SQL of `grants`: requests, answers, and the grants in force for a read of another city."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.sharing.schemas import Grant

COLS = columns(Grant)


def insert(conn: Conn, values: dict[str, Any]) -> Grant:
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    return fetch_exactly_one(conn, Grant, f"INSERT INTO grants ({cols}) VALUES ({params}) RETURNING {COLS}", values)


def get(conn: Conn, grant_id: str, city_id: str | None = None) -> Grant | None:
    """One grant; None when missing or (city_id given) neither requested by nor held by that city."""
    if city_id is None:
        return fetch_one(conn, Grant, f"SELECT {COLS} FROM grants WHERE id = %s", (grant_id,))
    return fetch_one(
        conn,
        Grant,
        f"SELECT {COLS} FROM grants WHERE id = %(id)s AND (requesting_city_id = %(c)s OR holding_city_id = %(c)s)",
        {"id": grant_id, "c": city_id},
    )


def list_page(conn: Conn, city_id: str | None, status: str | None, limit: int, after: list[Any] | None) -> list[Grant]:
    """Newest first; a city's grants on either side."""
    where = ["true"]
    params: list[Any] = []
    if city_id is not None:
        where.append("(requesting_city_id = %s OR holding_city_id = %s)")
        params += [city_id, city_id]
    if status is not None:
        where.append("status = %s")
        params.append(status)
    if after:
        where.append("(created_at, id) < (%s::timestamptz, %s::uuid)")
        params += after
    params.append(limit + 1)
    return fetch_all(
        conn,
        Grant,
        f"SELECT {COLS} FROM grants WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT %s",
        params,
    )


def answer(
    conn: Conn, grant_id: str, status: str, user_id: str, expires_at: datetime | None, from_: str
) -> Grant | None:
    """Move the grant from `from_` to `status` (None when it is no longer in `from_`)."""
    return fetch_one(
        conn,
        Grant,
        f"UPDATE grants SET status = %(s)s, answered_by = COALESCE(answered_by, %(u)s),"
        f" answered_at = COALESCE(answered_at, now()), expires_at = COALESCE(%(exp)s, expires_at)"
        f" WHERE id = %(id)s AND status = %(from)s RETURNING {COLS}",
        {"s": status, "u": user_id, "exp": expires_at, "id": grant_id, "from": from_},
    )


def in_force(conn: Conn, requesting: str, holding: str, plates: list[str] | None) -> list[Grant]:
    """Approved, unexpired grants of `requesting` over `holding`'s reads (of one of `plates` when given)."""
    return fetch_all(
        conn,
        Grant,
        f"SELECT {COLS} FROM grants WHERE requesting_city_id = %(r)s AND holding_city_id = %(h)s"
        " AND status = 'approved' AND expires_at > now()"
        " AND (%(p)s::text[] IS NULL OR plates && %(p)s::text[]) ORDER BY created_at",
        {"r": requesting, "h": holding, "p": plates},
    )


def in_force_for_plate(conn: Conn, requesting: str, plate: str) -> list[Grant]:
    """Approved, unexpired grants of `requesting` naming `plate`, over any holding city."""
    return fetch_all(
        conn,
        Grant,
        f"SELECT {COLS} FROM grants WHERE requesting_city_id = %s AND status = 'approved' AND expires_at > now()"
        " AND %s = ANY (plates) ORDER BY created_at",
        (requesting, plate),
    )
