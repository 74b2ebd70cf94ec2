"""Mosaics: cameras of one city shown together, each with its live URLs.

Routes hand these functions the mosaic the route decorator resolved (`visible`: in the caller's city or 404)
and check the least role themselves, so nothing here checks the caller's role or the mosaic's city again.
"""

from __future__ import annotations

from gtvision.core import db, pagination
from gtvision.core.errors import Invalid, not_found
from gtvision.core.models import PageQuery
from gtvision.core.principal import Principal
from gtvision.mosaics import store
from gtvision.mosaics.schemas import CAPACITY, Mosaic, MosaicCamera, MosaicCameraRow, MosaicIn, MosaicOut, MosaicPatch
from gtvision.streams import placement
from gtvision.tenancy import cameras as cameras_svc
from gtvision.tenancy.authz import in_callers_city
from gtvision.tenancy.cameras import derived_status


def public(row: Mosaic, cameras: list[MosaicCameraRow] | None = None) -> MosaicOut:
    """The mosaic as the API shows it; with `cameras`, each shown camera's name, status and live URLs."""
    ids = [str(c) for c in row.camera_ids]
    shown: list[MosaicCamera] | None = None
    if cameras is not None:
        by_id = {str(c.id): c for c in cameras}
        present = [cid for cid in ids if cid in by_id]
        urls = placement.urls_for(present)  # each camera's own MediaMTX node
        shown = [
            MosaicCamera.model_validate(
                {
                    "camera_id": cid,
                    "name": by_id[cid].name,
                    "status": derived_status(by_id[cid].status, by_id[cid].health_status),
                    "urls": urls[cid],
                }
            )
            for cid in present
        ]
    return MosaicOut.model_validate(
        {
            "id": str(row.id),
            "city_id": str(row.city_id),
            "name": row.name,
            "layout": row.layout,
            "camera_ids": ids,
            "created_at": row.created_at,
            "cameras": shown,
        }
    )


def visible(principal: Principal, mosaic_id: str) -> Mosaic:
    """The mosaic if the caller's city owns it (admins see all); 404 otherwise."""
    with db.transaction() as conn:
        return in_callers_city(conn, principal, store.get, mosaic_id, "mosaico")


def _fits(layout: str, ids: list[str]) -> None:
    if len(ids) > CAPACITY[layout]:
        raise Invalid("too_many_cameras", f"o layout {layout} comporta {CAPACITY[layout]} câmera(s)")


def create(principal: Principal, data: MosaicIn) -> MosaicOut:
    """A mosaic of cameras of one city the caller can see (the city of its first camera)."""
    ids = list(dict.fromkeys(data.camera_ids))
    _fits(data.layout, ids)
    first = cameras_svc.get_any(ids[0])
    if first is None or not principal.can_see_city(str(first.city_id)):
        raise not_found("câmera")
    city_id = str(first.city_id)
    with db.transaction() as conn:
        found = store.cameras_in_city(conn, ids, city_id)
        if len(found) != len(ids):
            raise not_found("câmera")  # another city's (or unknown) camera: same answer as a missing one
        row = store.insert(conn, city_id, data.name, data.layout, ids, principal.user_id)
    return public(row, found)


def update(mosaic: Mosaic, data: MosaicPatch) -> MosaicOut:
    """Rename a mosaic or change its cameras (of the same city) or layout; nothing changes on a refusal."""
    city_id = str(mosaic.city_id)
    layout = data.layout or mosaic.layout
    given = data.camera_ids
    ids = list(dict.fromkeys(given)) if given is not None else [str(c) for c in mosaic.camera_ids]
    _fits(layout, ids)
    with db.transaction() as conn:
        found = store.cameras_in_city(conn, ids, city_id)
        if given is not None and len(found) != len(ids):
            raise not_found("câmera")  # another city's (or unknown) camera: same answer as a missing one
        saved = store.update(conn, str(mosaic.id), data.name or mosaic.name, layout, ids)
    return public(saved, found)


def get(mosaic: Mosaic) -> MosaicOut:
    """A mosaic with each camera's name, status and live URLs."""
    with db.transaction() as conn:
        cams = store.cameras_in_city(conn, [str(c) for c in mosaic.camera_ids], str(mosaic.city_id))
    return public(mosaic, cams)


def list_(principal: Principal, query: PageQuery) -> tuple[list[MosaicOut], str | None]:
    """Mosaics of the caller's city (admins: all), a page at a time."""
    after = pagination.decode_keyset(query.cursor)
    with db.transaction() as conn:
        rows = store.list_page(conn, principal.scope, query.limit, after)
    items, nxt = pagination.page(rows, query.limit, ("created_at", "id"))
    return [public(r) for r in items], nxt


def delete(mosaic: Mosaic) -> None:
    """Remove a mosaic."""
    with db.transaction() as conn:
        store.delete(conn, str(mosaic.id))
