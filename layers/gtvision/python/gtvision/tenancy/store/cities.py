"""SQL for cities (tenants)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.tenancy.schemas import City

_COLS = columns(City)


def insert(conn: Conn, values: Mapping[str, object]) -> City:
    """Insert a city; returns it."""
    return fetch_exactly_one(
        conn,
        City,
        f"INSERT INTO cities (name, state, retention_days, lpr_retention_days, camera_limit, timezone,"
        f" require_2fa_roles) VALUES (%(name)s, %(state)s, %(retention_days)s, %(lpr_retention_days)s,"
        f" %(camera_limit)s, %(timezone)s, %(require_2fa_roles)s::text[])"
        f" RETURNING {_COLS}",
        {"require_2fa_roles": [], **values},
    )


def get(conn: Conn, city_id: str, *, for_update: bool = False) -> City | None:
    """One city (locked for update when asked); None when missing."""
    lock = " FOR UPDATE" if for_update else ""
    return fetch_one(conn, City, f"SELECT {_COLS} FROM cities WHERE id = %s{lock}", (city_id,))


def find_by_name(conn: Conn, name: str, state: str) -> City | None:
    """The city called ``name`` (case-insensitive) in ``state``, if any."""
    return fetch_one(
        conn, City, f"SELECT {_COLS} FROM cities WHERE lower(name) = lower(%s) AND state = %s", (name, state)
    )


def list_page(conn: Conn, limit: int, after: list[Any] | None, only_city: str | None) -> list[City]:
    """Cities oldest first, or only `only_city` (keyset page)."""
    where, params = (["id = %s"], [only_city]) if only_city else ([], [])
    if after:
        where.append("(created_at, id) > (%s, %s)")
        params += after
    clause = " AND ".join(where) or "true"
    query = f"SELECT {_COLS} FROM cities WHERE {clause} ORDER BY created_at, id LIMIT %s"
    return fetch_all(conn, City, query, [*params, limit + 1])


def update(conn: Conn, city_id: str, changes: Mapping[str, object]) -> City | None:
    """Apply `changes` to a city; None when it does not exist."""
    sets = ", ".join(f"{k} = %({k})s" for k in changes)
    return fetch_one(
        conn,
        City,
        f"UPDATE cities SET {sets}, updated_at = now() WHERE id = %(id)s RETURNING {_COLS}",
        {**changes, "id": city_id},
    )


def delete(conn: Conn, city_id: str) -> bool:
    """Delete a city; whether one was deleted."""
    return conn.execute("DELETE FROM cities WHERE id = %s", (city_id,)).rowcount == 1


def holds_personal_data(conn: Conn, city_id: str) -> bool:
    """Recordings or not yet anonymised plate reads of the city (retention finds them only through the city)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM segments WHERE city_id = %s)"
        " OR EXISTS (SELECT 1 FROM plate_reads WHERE city_id = %s AND anonymised_at IS NULL) AS held",
        (city_id, city_id),
    ).fetchone()
    return bool(row and row["held"])


def has_dependents(conn: Conn, city_id: str) -> bool:
    """Whether the city still has cameras, active users or cases (evidence outlives no city silently)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM cameras WHERE city_id = %s)"
        " OR EXISTS (SELECT 1 FROM users WHERE city_id = %s AND anonymised_at IS NULL)"
        " OR EXISTS (SELECT 1 FROM cases WHERE city_id = %s) AS busy",
        (city_id, city_id, city_id),
    ).fetchone()
    return bool(row and row["busy"])
