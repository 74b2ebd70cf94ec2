"""Bookmarks for the API: mark an instant (or a span) of a camera's recordings with a label.

Operators and up. A bookmark is deleted by whoever made it, or by a manager of its city.
"""

from __future__ import annotations

from gtvision.bookmarks import store
from gtvision.bookmarks.schemas import Bookmark, BookmarkIn, BookmarkOut, BookmarksQuery
from gtvision.core import db
from gtvision.core.errors import Forbidden, Invalid
from gtvision.core.principal import Principal
from gtvision.tenancy.authz import in_callers_city
from gtvision.tenancy.schemas import Camera

MAX_SPAN_DAYS = 31


def public(row: Bookmark) -> BookmarkOut:
    return BookmarkOut(
        id=str(row.id),
        camera_id=str(row.camera_id),
        at=row.at,
        end=row.end_at,
        label=row.label,
        case_id=str(row.case_id) if row.case_id else None,
        created_by_name=row.created_by_name,
        created_at=row.created_at,
    )


def visible(principal: Principal, bookmark_id: str) -> Bookmark:
    """The bookmark if the caller's city owns it (admins see all); 404 otherwise."""
    with db.transaction() as conn:
        return in_callers_city(conn, principal, store.get, bookmark_id, "marcador")


def create(principal: Principal, camera: Camera, data: BookmarkIn) -> Bookmark:
    """Mark an instant of the camera (the case, if any, is the caller's business: `cases.add_item`)."""
    with db.transaction() as conn:
        return store.insert(
            conn,
            {
                "camera_id": camera.id,
                "city_id": camera.city_id,
                "at": data.at,
                "end_at": data.end,
                "label": data.label,
                "case_id": data.case_id.lower() if data.case_id else None,
                "created_by": principal.user_id if principal.local else None,
                "created_by_name": principal.username,
            },
        )


def list_(camera: Camera, query: BookmarksQuery) -> list[BookmarkOut]:
    """The camera's bookmarks in [from, to), by instant."""
    if query.from_ and query.to:
        if query.to <= query.from_:
            raise Invalid("invalid_range", "to deve ser posterior a from")
        if (query.to - query.from_).days > MAX_SPAN_DAYS:
            raise Invalid("range_too_long", f"o intervalo deve ter no máximo {MAX_SPAN_DAYS} dias")
    with db.transaction() as conn:
        rows = store.in_range(conn, str(camera.id), query.from_, query.to)
    return [public(r) for r in rows]


def delete(principal: Principal, bookmark: Bookmark) -> None:
    """Delete a bookmark: its author, or a manager/admin (403 otherwise)."""
    mine = bookmark.created_by is not None and str(bookmark.created_by) == principal.user_id
    if not mine and principal.role not in ("manager", "admin"):
        raise Forbidden("forbidden", "só quem criou o marcador ou um gestor pode excluí-lo")
    with db.transaction() as conn:
        store.delete(conn, str(bookmark.id))
