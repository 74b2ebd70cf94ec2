"""What every feature's `store` shares: typed rows (`columns`, `fetch_one`, `fetch_all`) and small SQL helpers.

A store selects an explicit column list made from the row's dataclass (`columns(Clip)`), so a renamed column
fails the query at once and mypy checks every use of the row's fields; no `SELECT *`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

from psycopg import Cursor
from psycopg.rows import DictRow, class_row

from gtvision.core.db import Conn

T = TypeVar("T")
Params = Sequence[Any] | Mapping[str, Any] | None
#: The named parameters of a statement being built (a WHERE clause grown filter by filter).
NamedParams: TypeAlias = dict[str, Any]


@functools.cache
def columns(row_type: type[Any], prefix: str = "") -> str:
    """The row type's fields as a SELECT/RETURNING list (`prefix` qualifies them: `c.` for a join)."""
    return ", ".join(f"{prefix}{f.name}" for f in dataclasses.fields(row_type))


def fetch_one(conn: Conn, row_type: type[T], query: str, params: Params = None) -> T | None:
    """The first row of `query` as `row_type` (None when there is none)."""
    with conn.cursor(row_factory=class_row(row_type)) as cur:
        return cur.execute(query, params).fetchone()


def fetch_all(conn: Conn, row_type: type[T], query: str, params: Params = None) -> list[T]:
    """Every row of `query` as `row_type`."""
    with conn.cursor(row_factory=class_row(row_type)) as cur:
        return cur.execute(query, params).fetchall()


def fetch_exactly_one(conn: Conn, row_type: type[T], query: str, params: Params = None) -> T:
    """The row of a statement that always returns exactly one (INSERT ... RETURNING)."""
    row = fetch_one(conn, row_type, query, params)
    if row is None:  # a bug, not a user error: such a statement cannot come back empty
        raise RuntimeError("statement returned no row")
    return row


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
