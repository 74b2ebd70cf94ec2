"""SQL of bookmarks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gtvision.bookmarks.schemas import Bookmark
from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one

COLS = columns(Bookmark)
#: A camera's bookmarks in one answer at most (a range of a day has far fewer).
MAX_LISTED = 1000


def insert(conn: Conn, values: dict[str, Any]) -> Bookmark:
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    return fetch_exactly_one(
        conn, Bookmark, f"INSERT INTO bookmarks ({cols}) VALUES ({params}) RETURNING {COLS}", values
    )


def get(conn: Conn, bookmark_id: str, city_id: str | None = None) -> Bookmark | None:
    """One bookmark; None when missing or (city_id given) in another city."""
    where = "id = %s" + (" AND city_id = %s" if city_id else "")
    params = (bookmark_id, city_id) if city_id else (bookmark_id,)
    return fetch_one(conn, Bookmark, f"SELECT {COLS} FROM bookmarks WHERE {where}", params)


def in_range(conn: Conn, camera_id: str, from_: datetime | None, to: datetime | None) -> list[Bookmark]:
    """A camera's bookmarks whose instant is in [from_, to), by instant."""
    return fetch_all(
        conn,
        Bookmark,
        f"SELECT {COLS} FROM bookmarks WHERE camera_id = %(cam)s"
        " AND (%(from)s::timestamptz IS NULL OR at >= %(from)s) AND (%(to)s::timestamptz IS NULL OR at < %(to)s)"
        " ORDER BY at, id LIMIT %(n)s",
        {"cam": camera_id, "from": from_, "to": to, "n": MAX_LISTED},
    )


def set_case(conn: Conn, bookmark_id: str, case_id: str) -> None:
    conn.execute("UPDATE bookmarks SET case_id = %s WHERE id = %s", (case_id, bookmark_id))


def delete(conn: Conn, bookmark_id: str) -> None:
    conn.execute("DELETE FROM bookmarks WHERE id = %s", (bookmark_id,))
