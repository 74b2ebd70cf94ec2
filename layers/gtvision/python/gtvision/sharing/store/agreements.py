"""SQL of `agreements` and `agreement_log`."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.sharing.schemas import Agreement

COLS = columns(Agreement)


def insert(conn: Conn, values: dict[str, Any]) -> Agreement:
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    return fetch_exactly_one(
        conn, Agreement, f"INSERT INTO agreements ({cols}) VALUES ({params}) RETURNING {COLS}", values
    )


def get(conn: Conn, agreement_id: str, city_id: str | None = None, lock: bool = False) -> Agreement | None:
    """One agreement; None when missing or (city_id given) of another city."""
    where = "id = %(id)s" + (" AND city_id = %(city)s" if city_id is not None else "")
    return fetch_one(
        conn,
        Agreement,
        f"SELECT {COLS} FROM agreements WHERE {where}{' FOR UPDATE' if lock else ''}",
        {"id": agreement_id, "city": city_id},
    )


def update(conn: Conn, agreement_id: str, changes: dict[str, Any]) -> Agreement | None:
    sets = ", ".join(f"{k} = %({k})s" for k in changes)
    return fetch_one(
        conn,
        Agreement,
        f"UPDATE agreements SET {sets}, updated_at = now() WHERE id = %(id)s RETURNING {COLS}",
        {**changes, "id": agreement_id},
    )


def delete(conn: Conn, agreement_id: str) -> bool:
    return conn.execute("DELETE FROM agreements WHERE id = %s", (agreement_id,)).rowcount == 1


def list_page(conn: Conn, city_id: str | None, limit: int, after: list[Any] | None) -> list[Agreement]:
    """Oldest first, keyset-paginated on (created_at, id)."""
    where = ["true"]
    params: list[Any] = []
    if city_id is not None:
        where.append("city_id = %s")
        params.append(city_id)
    if after:
        where.append("(created_at, id) > (%s::timestamptz, %s::uuid)")
        params += after
    params.append(limit + 1)
    return fetch_all(
        conn,
        Agreement,
        f"SELECT {COLS} FROM agreements WHERE {' AND '.join(where)} ORDER BY created_at, id LIMIT %s",
        params,
    )


def flowing(conn: Conn) -> list[Agreement]:
    """Agreements whose feed may run now (active, inside the window, not stopped by the receiver)."""
    return fetch_all(
        conn,
        Agreement,
        f"SELECT {COLS} FROM agreements WHERE status = 'active' AND feed_stopped_at IS NULL"
        " AND valid_from <= now() AND now() < valid_until AND feed_url IS NOT NULL",
    )


def log(conn: Conn, agreement_id: str, kind: str, actor: str, entries: int = 0, detail: Any = None) -> None:
    """One entry of the agreement's record (the monthly report counts them)."""
    conn.execute(
        "INSERT INTO agreement_log (agreement_id, kind, actor, entries, detail) VALUES (%s, %s, %s, %s, %s)",
        (agreement_id, kind, actor, entries, Jsonb(detail or {})),
    )
