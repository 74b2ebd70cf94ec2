"""SQL for users, their camera groups and their inactivity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from psycopg import sql

from gtvision.core.db import Conn
from gtvision.core.rows import rowtype
from gtvision.core.sql import fetch_all, fetch_exactly_one, fetch_one, one
from gtvision.tenancy.account_schemas import User

#: Admins are never inactive: nobody above them could reactivate them (they are few and named).
_INACTIVE = (
    "(u.role <> 'admin' AND greatest(coalesce(u.last_login_at, u.created_at), coalesce(u.reactivated_at, u.created_at))"
    " < now() - make_interval(days => %(inactive_days)s))"
)
_COLS = (
    "u.id, u.username, u.role, u.city_id, u.pseudonym, u.created_at, u.last_login_at, u.reactivated_at,"
    f" u.deactivated_at, {_INACTIVE} AS inactive,"
    " EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL) AS totp_enabled,"
    " CASE WHEN u.camera_restricted THEN ARRAY(SELECT g.group_id FROM user_camera_groups g"
    "  WHERE g.user_id = u.id ORDER BY g.group_id) END AS camera_group_ids"
)


@rowtype
class Credentials:
    """What a login checks: the user and their password hash."""

    user: User
    password_hash: str


@rowtype
class _HashRow:
    id: Any
    password_hash: str


def insert(conn: Conn, username: str, password_hash: str, role: str, city_id: str | None, inactive_days: int) -> User:
    """Insert a user; returns it (without the password hash)."""
    row = one(
        conn.execute(
            "INSERT INTO users (username, password_hash, role, city_id) VALUES (%s, %s, %s, %s) RETURNING id",
            (username, password_hash, role, city_id),
        )
    )
    return fetch_exactly_one(conn, User, *_by_id(str(row["id"]), inactive_days))


def _by_id(user_id: str, inactive_days: int) -> tuple[str, dict[str, object]]:
    return (
        f"SELECT {_COLS} FROM users u WHERE u.id = %(id)s AND u.anonymised_at IS NULL",
        {"id": user_id, "inactive_days": inactive_days},
    )


def by_username(conn: Conn, username: str, inactive_days: int) -> Credentials | None:
    """The active user with this username (any case), with the password hash; None when none."""
    found = fetch_one(
        conn,
        _HashRow,
        "SELECT id, password_hash FROM users WHERE lower(username) = lower(%s) AND anonymised_at IS NULL",
        (username,),
    )
    if found is None:
        return None
    user = fetch_one(conn, User, *_by_id(str(found.id), inactive_days))
    return None if user is None else Credentials(user, found.password_hash)


def get(conn: Conn, user_id: str, inactive_days: int) -> User | None:
    """One user (not anonymised); None when missing."""
    return fetch_one(conn, User, *_by_id(user_id, inactive_days))


def password_hash(conn: Conn, user_id: str) -> str | None:
    """The user's password hash (to check it again, e.g. before turning 2FA off)."""
    row = fetch_one(
        conn, _HashRow, "SELECT id, password_hash FROM users WHERE id = %s AND anonymised_at IS NULL", (user_id,)
    )
    return None if row is None else row.password_hash


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


def list_page(conn: Conn, limit: int, after: list[Any] | None, only_city: str | None, inactive_days: int) -> list[User]:
    """Users (not anonymised) oldest first, optionally of one city (keyset page)."""
    where = ["u.anonymised_at IS NULL"]
    params: dict[str, object] = {"inactive_days": inactive_days, "limit": limit + 1}
    if only_city:
        where.append("u.city_id = %(city)s")
        params["city"] = only_city
    if after:
        where.append("(u.created_at, u.id) > (%(after_at)s, %(after_id)s)")
        params.update(after_at=after[0], after_id=after[1])
    query = f"SELECT {_COLS} FROM users u WHERE {' AND '.join(where)} ORDER BY u.created_at, u.id LIMIT %(limit)s"
    return fetch_all(conn, User, query, params)


def update(conn: Conn, user_id: str, changes: Mapping[str, object]) -> None:
    """Apply column changes to a user (role, deactivated_at, reactivated_at, camera_restricted, ...)."""
    if not changes:
        return
    sets = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in changes)
    conn.execute(sql.SQL("UPDATE users SET {} WHERE id = %(id)s").format(sets), {**changes, "id": user_id})


def set_camera_groups(conn: Conn, user_id: str, group_ids: list[str] | None) -> None:
    """Restrict the user to these groups' cameras (None: lift the restriction)."""
    conn.execute("DELETE FROM user_camera_groups WHERE user_id = %s", (user_id,))
    conn.execute("UPDATE users SET camera_restricted = %s WHERE id = %s", (group_ids is not None, user_id))
    if group_ids:
        conn.execute(
            "INSERT INTO user_camera_groups (user_id, group_id) SELECT %s, unnest(%s::uuid[])", (user_id, group_ids)
        )


def record_login(conn: Conn, user_id: str, at: datetime) -> None:
    """The user signed in now: inactivity is measured from here."""
    conn.execute("UPDATE users SET last_login_at = %s WHERE id = %s", (at, user_id))


def set_password(conn: Conn, user_id: str, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))


def anonymise(conn: Conn, user_id: str) -> bool:
    """Replace the personal data of a user; the pseudonym stays so the audit trail keeps meaning. Their second
    factor and camera restriction go with the account."""
    conn.execute("DELETE FROM user_totp WHERE user_id = %s", (user_id,))
    conn.execute("DELETE FROM user_camera_groups WHERE user_id = %s", (user_id,))
    return (
        conn.execute(
            "UPDATE users SET username = pseudonym, password_hash = '!', anonymised_at = now()"
            " WHERE id = %s AND anonymised_at IS NULL",
            (user_id,),
        ).rowcount
        == 1
    )


def totp_required(conn: Conn, user_id: str) -> bool:
    """Whether the user's city requires 2FA of their role (admins: when any city names "admin")."""
    row = conn.execute(
        "SELECT CASE WHEN u.role = 'admin'"
        " THEN EXISTS (SELECT 1 FROM cities c WHERE 'admin' = ANY(c.require_2fa_roles))"
        " ELSE EXISTS (SELECT 1 FROM cities c WHERE c.id = u.city_id AND u.role = ANY(c.require_2fa_roles)) END AS r"
        " FROM users u WHERE u.id = %s",
        (user_id,),
    ).fetchone()
    return bool(row and row["r"])
