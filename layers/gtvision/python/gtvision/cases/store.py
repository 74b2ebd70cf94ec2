"""SQL of cases: cases, their items, the chain of custody (append-only), case holds on segments and shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gtvision.cases.schemas import Case, CaseItem, CustodyEvent, Share
from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one

CASE_COLS = columns(Case)
ITEM_COLS = columns(CaseItem)
SHARE_COLS = columns(Share)

# ---------------------------------------------------------------------------------------------- cases


def insert_case(conn: Conn, values: dict[str, Any]) -> Case:
    """Insert an open case; returns it."""
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    return fetch_exactly_one(conn, Case, f"INSERT INTO cases ({cols}) VALUES ({params}) RETURNING {CASE_COLS}", values)


def get_case(conn: Conn, case_id: str, city_id: str | None = None, *, lock: bool = False) -> Case | None:
    """One case; None when missing or (city_id given) in another city. `lock`: row-locked until commit."""
    where = "id = %s" + (" AND city_id = %s" if city_id else "")
    params = (case_id, city_id) if city_id else (case_id,)
    return fetch_one(conn, Case, f"SELECT {CASE_COLS} FROM cases WHERE {where}{' FOR UPDATE' if lock else ''}", params)


def list_cases(
    conn: Conn,
    city_id: str | None,
    created_by: str | None,
    status: str | None,
    q: str | None,
    limit: int,
    after: list[Any] | None,
) -> list[Case]:
    """Newest first, keyset-paginated on (created_at, id); `q` matches title or reference (any case)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("city_id", city_id), ("created_by", created_by), ("status", status)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(title ILIKE %s OR reference ILIKE %s)")
        params += [like, like]
    if after:
        where.append("(created_at, id) < (%s::timestamptz, %s::uuid)")
        params += after
    params.append(limit + 1)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    sql = f"SELECT {CASE_COLS} FROM cases {clause} ORDER BY created_at DESC, id DESC LIMIT %s"
    return fetch_all(conn, Case, sql, params)


def update_case(conn: Conn, case_id: str, changes: dict[str, Any]) -> Case:
    """Apply `changes` (column → value) to a case; returns it."""
    sets = ", ".join(f"{k} = %({k})s" for k in changes)
    return fetch_exactly_one(
        conn,
        Case,
        f"UPDATE cases SET {sets}, updated_at = now() WHERE id = %(id)s RETURNING {CASE_COLS}",
        {**changes, "id": case_id},
    )


def city_name(conn: Conn, city_id: str) -> str | None:
    """The name of the case's city (for documents and the share page)."""
    row = conn.execute("SELECT name FROM cities WHERE id = %s", (city_id,)).fetchone()
    return str(row["name"]) if row else None


# ---------------------------------------------------------------------------------------------- items


def insert_item(conn: Conn, values: dict[str, Any]) -> CaseItem | None:
    """Add an item; None when the same thing (kind, ref_id) is already in the case."""
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    return fetch_one(
        conn,
        CaseItem,
        f"INSERT INTO case_items ({cols}) VALUES ({params}) ON CONFLICT DO NOTHING RETURNING {ITEM_COLS}",
        values,
    )


def items(conn: Conn, case_id: str, limit: int, after: list[Any] | None) -> list[CaseItem]:
    """A case's items, oldest first (keyset on (created_at, id))."""
    where, params = "case_id = %s", [case_id]
    if after:
        where += " AND (created_at, id) > (%s::timestamptz, %s::uuid)"
        params += after
    return fetch_all(
        conn,
        CaseItem,
        f"SELECT {ITEM_COLS} FROM case_items WHERE {where} ORDER BY created_at, id LIMIT %s",
        [*params, limit + 1],
    )


def all_items(conn: Conn, case_id: str) -> list[CaseItem]:
    """Every item of a case (for its documents), oldest first."""
    return fetch_all(
        conn, CaseItem, f"SELECT {ITEM_COLS} FROM case_items WHERE case_id = %s ORDER BY created_at, id", (case_id,)
    )


def item_of(conn: Conn, case_id: str, kind: str, ref_id: str) -> CaseItem | None:
    """The item of a case that refers to (kind, ref_id), if any."""
    return fetch_one(
        conn,
        CaseItem,
        f"SELECT {ITEM_COLS} FROM case_items WHERE case_id = %s AND kind = %s AND ref_id = %s",
        (case_id, kind, ref_id),
    )


# -------------------------------------------------------------------------------------------- custody


def add_custody(conn: Conn, values: dict[str, Any]) -> None:
    """Append one event to a case's chain of custody."""
    values = {**values, "detail": Jsonb(values.get("detail") or {})}
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    conn.execute(f"INSERT INTO custody_events ({cols}) VALUES ({params})", values)


def custody(conn: Conn, case_id: str, limit: int, after: int | None) -> list[CustodyEvent]:
    """A case's custody events in the order they happened (keyset on the event id)."""
    return fetch_all(
        conn,
        CustodyEvent,
        f"SELECT {columns(CustodyEvent)} FROM custody_events WHERE case_id = %s AND id > %s ORDER BY id LIMIT %s",
        (case_id, after or 0, limit + 1),
    )


# -------------------------------------------------------------------------------------- segment holds


def hold_segments(conn: Conn, case_id: str, camera_id: str, starts: list[datetime], until: datetime | None) -> int:
    """Hold these segments for the case (already held: the hold stands); how many holds are new."""
    if not starts:
        return 0
    return conn.execute(
        "INSERT INTO segment_holds (case_id, camera_id, segment_start, until)"
        " SELECT %s, %s, s, %s FROM unnest(%s::timestamptz[]) AS s ON CONFLICT DO NOTHING",
        (case_id, camera_id, until, starts),
    ).rowcount


def set_holds_until(conn: Conn, case_id: str, until: datetime | None) -> int:
    """Every hold of the case ends at `until` (None: while the case is open); how many holds."""
    return conn.execute("UPDATE segment_holds SET until = %s WHERE case_id = %s", (until, case_id)).rowcount


def expired_holds(conn: Conn, limit: int) -> list[str]:
    """Closed cases whose keep period ended and whose holds were not released yet, locked."""
    rows = conn.execute(
        "SELECT id FROM cases WHERE status = 'closed' AND keep_until < now() AND holds_released_at IS NULL"
        " ORDER BY keep_until LIMIT %s FOR UPDATE SKIP LOCKED",
        (limit,),
    ).fetchall()
    return [str(r["id"]) for r in rows]


def drop_holds(conn: Conn, case_id: str) -> int:
    """Forget a case's segment holds (its keep period ended: retention applies again) and say so on the case."""
    conn.execute("UPDATE cases SET holds_released_at = now() WHERE id = %s", (case_id,))
    return conn.execute("DELETE FROM segment_holds WHERE case_id = %s", (case_id,)).rowcount


# ---------------------------------------------------------------------------------------------- shares


def insert_share(conn: Conn, values: dict[str, Any]) -> Share:
    """Insert a share link (its token's SHA-256 only); returns it."""
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    return fetch_exactly_one(
        conn, Share, f"INSERT INTO case_shares ({cols}) VALUES ({params}) RETURNING {SHARE_COLS}", values
    )


def get_share(conn: Conn, share_id: str) -> Share | None:
    """One share link by id."""
    return fetch_one(conn, Share, f"SELECT {SHARE_COLS} FROM case_shares WHERE id = %s", (share_id,))


def share_by_token(conn: Conn, token_sha256: str) -> Share | None:
    """The share link whose token hashes to `token_sha256`."""
    return fetch_one(conn, Share, f"SELECT {SHARE_COLS} FROM case_shares WHERE token_sha256 = %s", (token_sha256,))


def shares(conn: Conn, case_id: str) -> list[Share]:
    """Every share link of a case, newest first (a case has few)."""
    return fetch_all(
        conn,
        Share,
        f"SELECT {SHARE_COLS} FROM case_shares WHERE case_id = %s ORDER BY created_at DESC, id DESC",
        (case_id,),
    )


def revoke_share(conn: Conn, share_id: str, user_id: str | None) -> Share:
    """Revoke a link (already revoked: unchanged); returns it."""
    return fetch_exactly_one(
        conn,
        Share,
        f"UPDATE case_shares SET revoked_at = coalesce(revoked_at, now()),"
        f" revoked_by = coalesce(revoked_by, %s) WHERE id = %s RETURNING {SHARE_COLS}",
        (user_id, share_id),
    )


def count_view(conn: Conn, share_id: str) -> None:
    """One more view of the link's page."""
    conn.execute("UPDATE case_shares SET views = views + 1 WHERE id = %s", (share_id,))


def take_download(conn: Conn, share_id: str) -> Share | None:
    """Count one download if the link is alive and under its limit (atomically); None otherwise."""
    return fetch_one(
        conn,
        Share,
        f"UPDATE case_shares SET downloads = downloads + 1 WHERE id = %s AND revoked_at IS NULL"
        f" AND expires_at > now() AND (max_downloads IS NULL OR downloads < max_downloads) RETURNING {SHARE_COLS}",
        (share_id,),
    )
