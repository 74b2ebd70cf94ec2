"""SQL of hotlist entries: the `watchlist` rows an agreement owns (`agreement_id` set), written in bulk.

A push is COPYed into a staging table and merged with one statement; `replace` also deletes, in the same
transaction, the agreement's entries the new list lacks. PostgreSQL's snapshots make that swap atomic: a read
matched meanwhile sees the whole old list or the whole new one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gtvision.core.db import Conn

Entry = tuple[str, str, str | None, datetime | None]  # plate, reason, source_ref, expires_at


def merge(conn: Conn, agreement_id: Any, city_id: Any, entries: list[Entry], replace: bool) -> tuple[int, int]:
    """Upsert `entries` (one per plate) as the agreement's; with `replace`, delete the ones not listed.
    Returns (written, removed)."""
    conn.execute(
        "CREATE TEMP TABLE hotlist_staging (plate text NOT NULL, reason text NOT NULL, source_ref text,"
        " expires_at timestamptz) ON COMMIT DROP"
    )
    with conn.cursor().copy("COPY hotlist_staging (plate, reason, source_ref, expires_at) FROM STDIN") as copy:
        for entry in entries:
            copy.write_row(entry)
    removed = 0
    if replace:
        conn.execute("CREATE INDEX ON hotlist_staging (plate)")
        conn.execute("ANALYZE hotlist_staging")
        removed = conn.execute(
            "DELETE FROM watchlist w WHERE w.agreement_id = %s"
            " AND NOT EXISTS (SELECT 1 FROM hotlist_staging s WHERE s.plate = w.plate)",
            (agreement_id,),
        ).rowcount
    written = conn.execute(
        "INSERT INTO watchlist (city_id, plate, reason, fuzzy, agreement_id, source_ref, expires_at)"
        " SELECT %(city)s, plate, reason, false, %(agreement)s, source_ref, expires_at FROM hotlist_staging"
        " ON CONFLICT (agreement_id, plate) WHERE agreement_id IS NOT NULL DO UPDATE"
        " SET reason = EXCLUDED.reason, source_ref = EXCLUDED.source_ref, expires_at = EXCLUDED.expires_at"
        " WHERE (watchlist.reason, watchlist.source_ref, watchlist.expires_at)"
        "   IS DISTINCT FROM (EXCLUDED.reason, EXCLUDED.source_ref, EXCLUDED.expires_at)",
        {"city": city_id, "agreement": agreement_id},
    ).rowcount
    return written, removed


def count(conn: Conn, agreement_id: Any) -> int:
    """The agreement's entries that still match (not expired)."""
    row = conn.execute(
        "SELECT count(*) AS n FROM watchlist WHERE agreement_id = %s AND (expires_at IS NULL OR expires_at > now())",
        (agreement_id,),
    ).fetchone()
    return int(row["n"]) if row else 0


def purge_expired(conn: Conn, limit: int) -> int:
    """Delete up to `limit` expired entries (they stopped matching when they expired)."""
    return conn.execute(
        "DELETE FROM watchlist WHERE id IN (SELECT id FROM watchlist WHERE expires_at < now() LIMIT %s)", (limit,)
    ).rowcount
