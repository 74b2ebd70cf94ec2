"""Read-only SQL of the audit trail and of LGPD answers (a person's data, a plate's reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import sql

from gtvision.audit.schemas import AlertRow, Entry, PlateReadRow
from gtvision.core.db import Conn
from gtvision.core.sql import fetch_all

# The login name is shown while the account exists; an anonymised account shows its pseudonym
# (anonymise() writes the pseudonym over the username), system actors their own name.
_ENTRY_COLS = (
    "a.id, a.at, a.user_id, COALESCE(u.username, a.actor) AS actor, a.role, a.city_id, a.action, a.resource,"
    " a.status, host(a.source_ip) AS source_ip, a.request_id, a.detail"
)


def entries(
    conn: Conn,
    *,
    city_id: str | None,
    from_: datetime | None,
    to: datetime | None,
    user_id: str | None,
    action: str | None,
    limit: int,
    before: list[Any] | None,
) -> list[Entry]:
    """Entries newest first (keyset on (at, id)); `city_id` scopes a manager to their city."""
    where: list[str] = []
    params: list[Any] = []
    for cond, value in (
        ("a.city_id = %s", city_id),
        ("a.at >= %s", from_),
        ("a.at < %s", to),
        ("a.user_id = %s", user_id),
        ("a.action = %s", action),
    ):
        if value is not None:
            where.append(cond)
            params.append(value)
    if before:
        where.append("(a.at, a.id) < (%s::timestamptz, %s::bigint)")
        params += before
    params.append(limit + 1)
    return fetch_all(
        conn,
        Entry,
        f"SELECT {_ENTRY_COLS} FROM audit_log a LEFT JOIN users u ON u.id = a.user_id"
        f" WHERE {' AND '.join(where) or 'true'} ORDER BY a.at DESC, a.id DESC LIMIT %s",
        params,
    )


def count_for_user(conn: Conn, user_id: str) -> int:
    """How many audit entries name the user."""
    row = conn.execute("SELECT count(*) AS n FROM audit_log WHERE user_id = %s", (user_id,)).fetchone()
    return int(row["n"]) if row else 0


def columns(conn: Conn, table: str) -> set[str]:
    """Column names of `table` (empty when the table does not exist in this deployment)."""
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
        (table,),
    ).fetchall()
    return {r["column_name"] for r in rows}


def rows_owned_by(
    conn: Conn, table: str, owner_column: str, user_id: str, cols: list[str], limit: int
) -> list[dict[str, object]]:
    """Rows of `table` whose `owner_column` is the user (a clip they asked for, a watchlist entry they made)."""
    return conn.execute(
        sql.SQL("SELECT {cols} FROM {t} WHERE {owner} = %s ORDER BY created_at DESC LIMIT %s").format(
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in cols),
            t=sql.Identifier(table),
            owner=sql.Identifier(owner_column),
        ),
        (user_id, limit),
    ).fetchall()


def plate_reads(conn: Conn, plates: list[str], limit: int) -> list[PlateReadRow]:
    """Every read whose stored plate is one of `plates` (the plate itself and its anonymised form), all cities."""
    return fetch_all(
        conn,
        PlateReadRow,
        "SELECT r.id, r.plate, r.camera_id, c.name AS camera_name, r.city_id, ci.name AS city_name, r.captured_at,"
        " r.confidence, (r.image_key IS NOT NULL) AS has_image, r.anonymised_at"
        " FROM plate_reads r JOIN cameras c ON c.id = r.camera_id JOIN cities ci ON ci.id = r.city_id"
        " WHERE r.plate = ANY (%s) ORDER BY r.captured_at, r.id LIMIT %s",
        (plates, limit),
    )


def alerts_for_reads(conn: Conn, read_ids: list[Any]) -> list[AlertRow]:
    """Alerts that cite any of the reads (a subject is told when a read fed an alert or investigation)."""
    if not read_ids:
        return []
    return fetch_all(
        conn,
        AlertRow,
        "SELECT id, kind, status, created_at, read_ids FROM alerts WHERE read_ids && %s::uuid[] ORDER BY created_at",
        (read_ids,),
    )
