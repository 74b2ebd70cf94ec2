"""SQL for users."""

from __future__ import annotations

from typing import Any

from gtvision.core.db import Conn
from gtvision.core.sql import keyset_page, one

_COLS = "id, username, role, city_id, pseudonym, created_at, anonymised_at"


def insert(conn: Conn, username: str, password_hash: str, role: str, city_id: str | None) -> dict[str, Any]:
    """Insert a user; returns it (without the password hash)."""
    return one(
        conn.execute(
            f"INSERT INTO users (username, password_hash, role, city_id) VALUES (%s, %s, %s, %s) RETURNING {_COLS}",
            (username, password_hash, role, city_id),
        )
    )


def by_username(conn: Conn, username: str) -> dict[str, Any] | None:
    """The active user with this username (any case), password hash included; None when none."""
    return conn.execute(
        f"SELECT {_COLS}, password_hash FROM users WHERE lower(username) = lower(%s) AND anonymised_at IS NULL",
        (username,),
    ).fetchone()


def get(conn: Conn, user_id: str) -> dict[str, Any] | None:
    """One active user; None when missing or anonymised."""
    return conn.execute(f"SELECT {_COLS} FROM users WHERE id = %s AND anonymised_at IS NULL", (user_id,)).fetchone()


def lock_admins(conn: Conn) -> None:
    """Serialise changes to the set of admins (first-admin creation, an admin removing itself) for this transaction."""
    conn.execute("SELECT pg_advisory_xact_lock(727275)")


def count_admins(conn: Conn) -> int:
    """How many active admins there are."""
    row = conn.execute("SELECT count(*) AS n FROM users WHERE role = 'admin' AND anonymised_at IS NULL")
    return int(one(row)["n"])


def any_admin(conn: Conn) -> bool:
    """Whether any active admin exists."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND anonymised_at IS NULL) AS e")
    return bool(one(row)["e"])


def list_page(conn: Conn, limit: int, after: list[Any] | None, only_city: str | None) -> list[dict[str, Any]]:
    """Active users oldest first, optionally of one city (keyset page)."""
    where, params = ["anonymised_at IS NULL"], []
    if only_city:
        where.append("city_id = %s")
        params.append(only_city)
    return keyset_page(conn, f"SELECT {_COLS} FROM users", where, params, limit, after)


def anonymise(conn: Conn, user_id: str) -> bool:
    """Replace the personal data of a user; the pseudonym stays so the audit trail keeps meaning."""
    return (
        conn.execute(
            "UPDATE users SET username = pseudonym, password_hash = '!', anonymised_at = now()"
            " WHERE id = %s AND anonymised_at IS NULL",
            (user_id,),
        ).rowcount
        == 1
    )
