"""Data access: the only code that speaks SQL or boto3."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from psycopg.rows import DictRow

from gtvision.core.db import Conn


def one(cur: Cursor[DictRow]) -> DictRow:
    """The row of a statement that always returns exactly one (INSERT ... RETURNING, an aggregate, EXISTS)."""
    row = cur.fetchone()
    if row is None:  # a bug, not a user error: such a statement cannot come back empty
        raise RuntimeError("statement returned no row")
    return row


def add_where(where: list[str], params: dict[str, Any], clause: str, **values: Any) -> None:
    """Append `clause` (and its parameters) when every value is given (not None, "" or [])."""
    if all(v is not None and v != "" and v != [] for v in values.values()):
        where.append(clause)
        params.update(values)


def keyset_page(
    conn: Conn,
    select: str,
    where: list[str],
    params: list[Any],
    limit: int,
    after: list[Any] | None,
    order: tuple[str, str] = ("created_at", "id"),
) -> list[dict[str, Any]]:
    """Up to limit+1 rows of `select` after the cursor `after`, ordered by `order` (a keyset, not OFFSET)."""
    where, params = list(where) or ["true"], list(params)
    if after:
        where.append(f"({order[0]}, {order[1]}) > (%s, %s)")
        params += after
    params.append(limit + 1)
    sql = f"{select} WHERE {' AND '.join(where)} ORDER BY {order[0]}, {order[1]} LIMIT %s"
    return conn.execute(sql, params).fetchall()
