"""Mosaics (video walls): cameras of one city shown together in a layout, each with its live URLs, and
optionally a tour (pages of cameras shown in turn).

Routes hand these functions the mosaic the route decorator resolved (`visible`: in the caller's city or 404)
and check the least role themselves, so nothing here checks the caller's role or the mosaic's city again.
A user restricted to camera groups (`tenancy.authz.camera_filter`) puts only their cameras on a wall (any
other is 404, as a missing one) and sees a wall with only their cameras, on it and on its tour's pages; they
may rename such a wall or change its layout, but not replace the cameras or tour of one that shows others (403).
"""

from __future__ import annotations

import dataclasses

from gtvision.core import db, pagination
from gtvision.core.errors import Forbidden, Invalid, not_found
from gtvision.core.models import PageQuery
from gtvision.core.principal import Principal
from gtvision.mosaics import store
from gtvision.mosaics.schemas import (
    CAPACITY,
    Mosaic,
    MosaicCamera,
    MosaicCameraRow,
    MosaicIn,
    MosaicOut,
    MosaicPatch,
    TourIn,
)
from gtvision.streams import placement
from gtvision.tenancy import cameras as cameras_svc
from gtvision.tenancy.authz import camera_filter, in_callers_city
from gtvision.tenancy.cameras import derived_status


def _tour_ids(tour: TourIn | None) -> list[str]:
    return [] if tour is None else [c for page in tour.pages for c in page]


def _stored_tour(row: Mosaic) -> TourIn | None:
    return None if row.tour is None else TourIn.model_validate(row.tour)


def every_camera(row: Mosaic) -> list[str]:
    """The wall's cameras, then those only its tour shows, each once."""
    return list(dict.fromkeys([str(c) for c in row.camera_ids] + _tour_ids(_stored_tour(row))))


def _allowed(principal: Principal) -> frozenset[str] | None:
    ids = camera_filter(principal)
    return None if ids is None else frozenset(ids)


def _within(principal: Principal, wanted: list[str]) -> None:
    """404 `câmera` when a restricted caller names a camera outside their groups (as for a missing one)."""
    allowed = _allowed(principal)
    if allowed is not None and not set(wanted) <= allowed:
        raise not_found("câmera")


def seen_by(principal: Principal, row: Mosaic) -> Mosaic:
    """The mosaic as the caller may see it: a restricted user's cameras only, on the wall and on each tour
    page (a page left empty goes, and a tour left without pages)."""
    allowed = _allowed(principal)
    if allowed is None:
        return row
    tour = _stored_tour(row)
    doc: dict[str, object] | None = None
    if tour is not None:
        pages = [[c for c in page if c in allowed] for page in tour.pages]
        pages = [page for page in pages if page]
        doc = {"dwell_s": tour.dwell_s, "pages": pages} if pages else None
    return dataclasses.replace(row, camera_ids=[c for c in row.camera_ids if str(c) in allowed], tour=doc)


def public(row: Mosaic, cameras: list[MosaicCameraRow] | None = None) -> MosaicOut:
    """The mosaic as the API shows it; with `cameras`, each shown camera's name, status and live URLs (every
    camera of the wall and of its tour)."""
    ids = [str(c) for c in row.camera_ids]
    shown: list[MosaicCamera] | None = None
    if cameras is not None:
        by_id = {str(c.id): c for c in cameras}
        present = [cid for cid in every_camera(row) if cid in by_id]
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
            "tour": row.tour,
            "created_at": row.created_at,
            "cameras": shown,
        }
    )


def visible(principal: Principal, mosaic_id: str) -> Mosaic:
    """The mosaic if the caller's city owns it (admins see all); 404 otherwise."""
    with db.transaction() as conn:
        return in_callers_city(conn, principal, store.get, mosaic_id, "mosaico")


def _fits(layout: str, ids: list[str], tour: TourIn | None) -> None:
    """Every page (the wall's cameras, each page of its tour) fits the layout's cells (a camera given twice
    takes two)."""
    cells = CAPACITY[layout]
    if len(ids) > cells or (tour is not None and any(len(page) > cells for page in tour.pages)):
        raise Invalid("too_many_cameras", f"o layout {layout} comporta {cells} câmera(s) por página")


def _tour_doc(tour: TourIn | None) -> dict[str, object] | None:
    if tour is None:
        return None
    return {"dwell_s": tour.dwell_s, "pages": [list(dict.fromkeys(page)) for page in tour.pages]}


def _sees_all_of(principal: Principal, mosaic: Mosaic) -> None:
    """403 when a restricted caller would replace a wall's cameras or tour while some of them are outside their
    groups: they read the wall without those (`seen_by`), so their new list would drop them for everyone else."""
    allowed = _allowed(principal)
    if allowed is not None and not set(every_camera(mosaic)) <= allowed:
        raise Forbidden(
            "mosaic_has_other_cameras",
            "este mosaico tem câmeras fora dos seus grupos: só quem vê todas pode trocar suas câmeras ou o tour",
        )


def create(principal: Principal, data: MosaicIn) -> MosaicOut:
    """A mosaic of cameras of one city the caller can see (the city of its first camera)."""
    _fits(data.layout, data.camera_ids, data.tour)
    ids = list(dict.fromkeys(c.lower() for c in data.camera_ids))
    first = cameras_svc.get_any(ids[0])
    if first is None or not principal.can_see_city(str(first.city_id)):
        raise not_found("câmera")
    city_id = str(first.city_id)
    wanted = list(dict.fromkeys(ids + _tour_ids(data.tour)))
    _within(principal, wanted)
    with db.transaction() as conn:
        found = store.cameras_in_city(conn, wanted, city_id)
        if len(found) != len(wanted):
            raise not_found("câmera")  # another city's (or unknown) camera: same answer as a missing one
        row = store.insert(conn, city_id, data.name, data.layout, ids, _tour_doc(data.tour), principal.user_id)
    return public(row, found)


def update(principal: Principal, mosaic: Mosaic, data: MosaicPatch) -> MosaicOut:
    """Rename a mosaic or change its cameras (of the same city), layout or tour (`"tour": null` removes it);
    nothing changes on a refusal."""
    city_id = str(mosaic.city_id)
    layout = data.layout or mosaic.layout
    given = data.camera_ids
    ids = list(dict.fromkeys(c.lower() for c in given)) if given is not None else [str(c) for c in mosaic.camera_ids]
    if "tour" in data.model_fields_set:
        tour = data.tour
    else:
        tour = _stored_tour(mosaic)
    _fits(layout, given if given is not None else ids, tour)
    wanted = list(dict.fromkeys(ids + _tour_ids(tour)))
    # Only the cameras this patch names are checked: a rename or a new layout keeps the wall as it is.
    named = (ids if given is not None else []) + (_tour_ids(tour) if "tour" in data.model_fields_set else [])
    _within(principal, named)
    if given is not None or "tour" in data.model_fields_set:
        _sees_all_of(principal, mosaic)
    with db.transaction() as conn:
        found = store.cameras_in_city(conn, wanted, city_id)
        if (given is not None or "tour" in data.model_fields_set) and len(found) != len(wanted):
            raise not_found("câmera")  # another city's (or unknown) camera: same answer as a missing one
        saved = store.update(conn, str(mosaic.id), data.name or mosaic.name, layout, ids, _tour_doc(tour))
    return public(seen_by(principal, saved), found)


def get(principal: Principal, mosaic: Mosaic) -> MosaicOut:
    """A mosaic with each camera's name, status and live URLs (its tour's cameras included)."""
    shown = seen_by(principal, mosaic)
    with db.transaction() as conn:
        cams = store.cameras_in_city(conn, every_camera(shown), str(mosaic.city_id))
    return public(shown, cams)


def list_(principal: Principal, query: PageQuery) -> tuple[list[MosaicOut], str | None]:
    """Mosaics of the caller's city (admins: all), a page at a time."""
    after = pagination.decode_keyset(query.cursor)
    with db.transaction() as conn:
        rows = store.list_page(conn, principal.scope, query.limit, after)
    items, nxt = pagination.page(rows, query.limit, ("created_at", "id"))
    return [public(seen_by(principal, r)) for r in items], nxt


def delete(mosaic: Mosaic) -> None:
    """Remove a mosaic."""
    with db.transaction() as conn:
        store.delete(conn, str(mosaic.id))
