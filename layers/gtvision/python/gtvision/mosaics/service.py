"""Mosaics: up to four cameras of one city shown together, each with its live URLs."""

from __future__ import annotations

from typing import Any

from gtvision.core import db, pagination
from gtvision.core.errors import Invalid, not_found
from gtvision.core.principal import Principal
from gtvision.mosaics import store as dal
from gtvision.mosaics.schemas import MosaicIn, MosaicPatch
from gtvision.streams import placement
from gtvision.tenancy import cameras as cameras_svc
from gtvision.tenancy.authz import in_callers_city
from gtvision.tenancy.cameras import derived_status

_CAPACITY = {"1x1": 1, "1x2": 2, "2x2": 4}


def _out(row: dict[str, Any], cameras: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "city_id", "name", "layout", "created_at")}
    out["camera_ids"] = [str(c) for c in row["camera_ids"]]
    if cameras is not None:
        by_id = {str(c["id"]): c for c in cameras}
        shown = [cid for cid in out["camera_ids"] if cid in by_id]
        urls = placement.urls_for(shown)  # each camera's own MediaMTX node
        out["cameras"] = [
            {
                "camera_id": cid,
                "name": by_id[cid]["name"],
                "status": derived_status(by_id[cid]["status"], by_id[cid].get("health_status")),
                "urls": urls[cid],
            }
            for cid in shown
        ]
    return out


def create(principal: Principal, data: MosaicIn) -> dict[str, Any]:
    """Managers save a mosaic of up to four cameras of one city."""
    principal.require("admin", "manager")
    ids = list(dict.fromkeys(data.camera_ids))
    if len(ids) > _CAPACITY[data.layout]:
        raise Invalid("too_many_cameras", f"o layout {data.layout} comporta {_CAPACITY[data.layout]} câmera(s)")
    with db.transaction() as conn:
        first = cameras_svc.get_any(ids[0])
        city_id = str(first.city_id) if first else None
        if city_id is None or not principal.can_see_city(city_id):
            raise not_found("câmera")
        found = dal.cameras_in_city(conn, ids, city_id)
        if len(found) != len(ids):
            raise not_found("câmera")  # another city's (or unknown) camera: same answer as a missing one
        row = dal.insert(
            conn,
            {
                "city_id": city_id,
                "name": data.name,
                "layout": data.layout,
                "camera_ids": ids,
                "created_by": principal.user_id,
            },
        )
    return _out(row, found)


def update(principal: Principal, mosaic_id: str, data: MosaicPatch) -> dict[str, Any]:
    """Managers rename a mosaic of their city or change its cameras (of the same city) or layout."""
    with db.transaction() as conn:
        row = in_callers_city(conn, principal, dal.get, mosaic_id, "mosaico")
        principal.require("admin", "manager")
        city_id = str(row["city_id"])
        layout = data.layout or row["layout"]
        given = data.camera_ids
        ids = list(dict.fromkeys(given)) if given is not None else [str(c) for c in row["camera_ids"]]
        if len(ids) > _CAPACITY[layout]:
            raise Invalid("too_many_cameras", f"o layout {layout} comporta {_CAPACITY[layout]} câmera(s)")
        found = dal.cameras_in_city(conn, ids, city_id)
        if given is not None and len(found) != len(ids):
            raise not_found("câmera")  # another city's (or unknown) camera: same answer as a missing one
        saved = dal.update(conn, mosaic_id, {"name": data.name or row["name"], "layout": layout, "camera_ids": ids})
    return _out(saved, found)


def get(principal: Principal, mosaic_id: str) -> dict[str, Any]:
    """A mosaic of the caller's city with each camera's name, status and live URLs."""
    with db.transaction() as conn:
        row = in_callers_city(conn, principal, dal.get, mosaic_id, "mosaico")
        cams = dal.cameras_in_city(conn, [str(c) for c in row["camera_ids"]], str(row["city_id"]))
    return _out(row, cams)


def list_(principal: Principal, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Mosaics of the caller's city (admins: all), a page at a time."""
    with db.transaction() as conn:
        rows = dal.list_page(conn, principal.scope, limit, pagination.decode_keyset(cursor))
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [_out(r) for r in items], nxt


def delete(principal: Principal, mosaic_id: str) -> None:
    """Managers remove a mosaic of their city."""
    get(principal, mosaic_id)
    principal.require("admin", "manager")
    with db.transaction() as conn:
        dal.delete(conn, mosaic_id)
