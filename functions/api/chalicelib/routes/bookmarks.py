"""Routes of bookmarks (contract: Control room → Bookmarks): operators and up mark instants of a camera."""

from __future__ import annotations

from chalicelib.routes.cases import actor
from chalicelib.routing import Api, Request
from gtvision.bookmarks import service as bookmarks
from gtvision.bookmarks.schemas import Bookmark, BookmarkIn, BookmarkList, BookmarkOut, BookmarksQuery
from gtvision.cases import service as cases
from gtvision.cases.api_schemas import ItemIn
from gtvision.tenancy.schemas import Camera

api = Api(__name__)


@api.route(
    "POST",
    "/v1/cameras/{camera_id}/bookmarks",
    role="operator",
    status=201,
    body=BookmarkIn,
    response=BookmarkOut,
    audit="bookmark.create",
)
def create_bookmark(req: Request[BookmarkIn, None], camera: Camera) -> BookmarkOut:
    """Mark an instant (or `at`–`end`) with a label; with `case_id` it becomes an item of that case."""
    data = req.body
    case = cases.visible(req.user, data.case_id.lower()) if data.case_id else None
    if case is not None:
        cases.ensure_open(case)
    row = bookmarks.create(req.user, camera, data)
    if case is not None:
        cases.add_item(actor(req), case, ItemIn(kind="bookmark", ref_id=str(row.id)))
    req.audit_detail = {"bookmark_id": str(row.id), "case_id": data.case_id}
    return bookmarks.public(row)


@api.route(
    "GET",
    "/v1/cameras/{camera_id}/bookmarks",
    role="operator",
    query=BookmarksQuery,
    response=BookmarkList,
    audit="bookmark.list",
)
def list_bookmarks(req: Request[None, BookmarksQuery], camera: Camera) -> BookmarkList:
    """The camera's bookmarks in [from, to), by instant."""
    return BookmarkList(items=bookmarks.list_(camera, req.query))


@api.route("DELETE", "/v1/bookmarks/{bookmark_id}", role="operator", status=204, audit="bookmark.delete")
def delete_bookmark(req: Request[None, None], bookmark: Bookmark) -> None:
    """Delete a bookmark (its author, or a manager)."""
    bookmarks.delete(req.user, bookmark)
